"""Parameter declarations of job kinds: one pydantic model per kind.

The model validates UWS input (strings, coerced in pydantic's lax mode), documents the
kind, renders the portal's form and is what the worker receives. A field annotated with
:data:`Upload` takes an uploaded file; the worker sees the file's local path.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo


class _UploadMarker:
    """Marks a parameter whose value is an uploaded file."""


Upload = Annotated[Path, _UploadMarker()]


@dataclass(frozen=True)
class JobOutput:
    """Marks a parameter naming another job of the same owner, by its id.

    The platform checks that the job exists, belongs to the owner, is of ``kind`` and
    COMPLETED; the worker receives that job's results directory as a ``Path``.
    Use as ``Annotated[Path, JobOutput("train")]``.
    """

    kind: str


@dataclass(frozen=True)
class ParameterDoc:
    """How one parameter is presented to people and to UWS clients."""

    name: str  # the UWS name, upper case
    field: str  # the model's field name
    kind: str  # "float", "int", "bool", "str", "upload", "choice" or "job"
    required: bool
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    job_kind: str = ""  # for kind "job": the kind of job it names


def uws_name(field_name: str) -> str:
    return field_name.upper()


def job_output_kind(info: FieldInfo) -> str:
    """The job kind a parameter refers to ("" if it is not a job reference)."""
    markers = list(info.metadata)
    if typing.get_origin(info.annotation) is Annotated:
        markers += typing.get_args(info.annotation)[1:]
    for args in typing.get_args(info.annotation):
        if typing.get_origin(args) is Annotated:
            markers += typing.get_args(args)[1:]
    return next((m.kind for m in markers if isinstance(m, JobOutput)), "")


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether it carried an upload marker."""
    is_upload = False
    if typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        is_upload = any(isinstance(m, _UploadMarker) for m in args[1:])
        annotation = args[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            inner, upload = _base_type(members[0])
            return inner, is_upload or upload
    return annotation, is_upload


def _kind_of(annotation: Any, is_upload: bool) -> tuple[str, tuple[str, ...]]:
    if is_upload:
        return "upload", ()
    if typing.get_origin(annotation) is typing.Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    for python_type, name in ((bool, "bool"), (int, "int"), (float, "float")):
        if annotation is python_type:
            return name, ()
    return "str", ()


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in info.metadata:
        if isinstance(item, Ge | Gt):
            low = item.ge if isinstance(item, Ge) else item.gt
        if isinstance(item, Le | Lt):
            high = item.le if isinstance(item, Le) else item.lt
    return low, high


def describe_parameters(model: type[BaseModel]) -> list[ParameterDoc]:
    """The parameters of a kind, in declaration order, as people and forms see them."""
    docs = []
    for name, info in model.model_fields.items():
        annotation, is_upload = _base_type(info.annotation)
        for item in info.metadata:
            is_upload = is_upload or isinstance(item, _UploadMarker)
        kind, choices = _kind_of(annotation, is_upload)
        job_kind = job_output_kind(info)
        if job_kind:
            kind = "job"
        low, high = _bounds(info)
        docs.append(
            ParameterDoc(
                name=uws_name(name),
                field=name,
                kind=kind,
                required=info.is_required(),
                default=None if info.is_required() else info.get_default(call_default_factory=True),
                description=info.description or "",
                minimum=low,
                maximum=high,
                choices=choices,
                job_kind=job_kind,
            )
        )
    return docs


def upload_fields(model: type[BaseModel]) -> set[str]:
    """UWS names of the parameters that take an uploaded file."""
    return {doc.name for doc in describe_parameters(model) if doc.kind == "upload"}


def validation_message(error: ValidationError) -> str:
    """One readable sentence from a pydantic error, naming parameters by their UWS names."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "parameters"
        if item["type"] == "extra_forbidden":
            parts.append(f"unknown parameter {uws_name(where)}")
        else:
            value = item.get("input")
            shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
            parts.append(f"{uws_name(where)}: {item['msg']}{shown}")
    return "; ".join(parts)


def job_fields(model: type[BaseModel]) -> dict[str, str]:
    """UWS name -> job kind, for the parameters that name another job."""
    return {doc.name: doc.job_kind for doc in describe_parameters(model) if doc.kind == "job"}


def validate(
    model: type[BaseModel], values: dict[str, str], uploads: dict[str, Path] | None = None
) -> BaseModel:
    """Build the parameter model from UWS name -> string values and uploaded files.

    Values of job-reference parameters must already be replaced by the jobs' results
    directories (the platform does that, see vocloud.uws.service).

    Raises
    ------
    pydantic.ValidationError
        If a value is malformed, out of bounds, missing or unknown.
    """
    data: dict[str, Any] = {name.lower(): value for name, value in values.items()}
    for name, path in (uploads or {}).items():
        data[name.lower()] = path
    return model.model_validate(data)
