"""VOTable pieces every document of the services shares, built with astropy's VOTable tree.

- :func:`new_results` -- a VOTable whose ``RESOURCE type="results"`` holds one table and the
  ``QUERY_STATUS`` INFO (DALI 1.1);
- :func:`error_votable` -- the DALI error document (``QUERY_STATUS=ERROR`` and one sentence);
- :func:`service_descriptor` -- a ``RESOURCE type="meta" utype="adhoc:service"`` (DataLink 1.1
  section 4), how a client learns where DataLink and SODA live and what they take;
- :func:`add_field` -- a FIELD with its datatype, UCD, utype, unit and description;
- :func:`to_bytes` -- the document, serialised.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from astropy.io.votable.tree import (
    Field,
    Group,
    Info,
    Param,
    Resource,
    TableElement,
    Values,
    VOTableFile,
)

VOTABLE_MIME = "application/x-votable+xml"


def new_results(status: str = "OK", message: str = "") -> tuple[VOTableFile, Resource]:
    """An empty VOTable with its results RESOURCE carrying ``QUERY_STATUS``."""
    votable = VOTableFile(version="1.4")
    resource = Resource(type="results")
    votable.resources.append(resource)
    info = Info(name="QUERY_STATUS", value=status)
    if message:
        info.content = message
    resource.infos.append(info)
    return votable, resource


def error_votable(message: str) -> bytes:
    """The DALI error document: ``QUERY_STATUS=ERROR`` with ``message`` as its content."""
    votable, _resource = new_results("ERROR", message)
    return to_bytes(votable)


def to_bytes(votable: VOTableFile) -> bytes:
    buffer = io.BytesIO()
    votable.to_xml(buffer, tabledata_format="tabledata")
    return buffer.getvalue()


def add_field(
    votable: VOTableFile,
    table: TableElement,
    name: str,
    datatype: str,
    *,
    ucd: str | None = None,
    utype: str | None = None,
    unit: str | None = None,
    arraysize: str | None = None,
    description: str = "",
    null: int | None = None,
) -> Field:
    """Append a FIELD (its ``ID`` is its name) to ``table``; ``null`` marks an int's missing
    value."""
    if datatype == "char" and arraysize is None:
        arraysize = "*"
    field = Field(
        votable,
        ID=name,
        name=name,
        datatype=datatype,
        arraysize=arraysize,
        ucd=ucd,
        utype=utype,
        unit=unit,
    )
    if description:
        field.description = description
    if null is not None:
        field.values = Values(votable, field, null=null)
    table.fields.append(field)
    return field


def fill(table: TableElement, columns: dict[str, Any], n_rows: int) -> None:
    """Create the table's arrays for ``n_rows`` and copy ``columns`` (name -> values) in."""
    table.create_arrays(n_rows)
    for name, values in columns.items():
        table.array[name] = np.asarray(values)


def service_descriptor(
    votable: VOTableFile,
    descriptor_id: str,
    standard_id: str,
    access_url: str,
    inputs: list[Param],
) -> Resource:
    """An ``adhoc:service`` RESOURCE: ``standardID``, ``accessURL`` and the input PARAMs."""
    resource = Resource(type="meta", ID=descriptor_id, utype="adhoc:service")
    for name, value in (("standardID", standard_id), ("accessURL", access_url)):
        ucd = "meta.ref.ivoid" if name == "standardID" else "meta.ref.url"
        resource.params.append(text_param(votable, name, value, ucd=ucd))
    group = Group(resource, name="inputParams")
    group.entries.extend(inputs)
    resource.groups.append(group)
    return resource


class UserParam(Param):
    """An input PARAM the client fills in, written with ``value=""`` as DataLink asks.

    astropy parses ``""`` for a fixed-size numeric array (SODA ``BAND``, ``double[2]``) as
    zeros and writes ``value="0 0"``, which clients would read as a default: only the
    written value changes here.
    """

    def to_xml(self, w, **kwargs) -> None:
        kept, self._value = self._value, ""
        try:
            Field.to_xml(self, w, **kwargs)
        finally:
            self._value = kept


def text_param(
    votable: VOTableFile, name: str, value: str, *, ucd: str | None = None, ref: str | None = None
) -> Param:
    """A ``char`` PARAM (``ref``: the FIELD whose value a client puts in instead)."""
    param = Param(votable, name=name, datatype="char", arraysize="*", value=value, ucd=ucd)
    param.ID = None  # astropy names it after ``name``: "ID" would clash with the ID FIELD
    if ref is not None:
        param.ref = ref
    return param
