"""From a spectrum identifier to its file: the one way the services reach a user's bytes."""

from __future__ import annotations

from pathlib import Path

from services.storage.layout import UserSpace
from services.storage.paths import PathEscape
from services.vo_serve.catalogue import Catalogue
from services.vo_serve.errors import NotFoundFault

MAX_ID = 4000  # longer than any identifier of ours (a path is at most 3000 bytes)


def spectrum_file(space: UserSpace, catalogue: Catalogue, identifier: str) -> tuple[int, Path]:
    """The catalogue row and the file of ``identifier`` in ``space``.

    Only identifiers of the caller's own catalogue are served, and the file is found through
    :meth:`UserSpace.resolve` (the containment function): an identifier cannot name a file
    outside the owner's ``files/``, nor one that no dataset or ingest put in the catalogue.

    Raises
    ------
    NotFoundFault
        If the identifier is not in the catalogue or its file is gone.
    """
    shown = identifier if len(identifier) <= 80 else identifier[:77] + "..."
    row = catalogue.find(identifier) if len(identifier) <= MAX_ID else None
    if row is None:
        raise NotFoundFault(f"no spectrum {shown!r} here")
    try:
        path = space.resolve(str(catalogue.columns["path"][row]))
    except PathEscape:
        raise NotFoundFault(f"no spectrum {shown!r} here") from None
    if not path.is_file():
        raise NotFoundFault(f"the file of {shown!r} is no longer in your storage")
    return row, path
