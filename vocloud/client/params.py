"""Job parameters checked against the kind's declaration before anything is sent.

The declaration is the platform's (``GET /api/v1/kinds/<kind>/``, made from the kind's
parameter model); the platform checks again, this only says earlier and in Python terms.
"""

from __future__ import annotations

import math
import os
from typing import Any

from vocloud.client.http import VocloudError

#: Parameters that every UWS job takes besides its kind's own.
CONTROL = ("RUNID", "EXECUTIONDURATION", "DESTRUCTION")


def prepare(
    kind: str, declared: list[dict[str, Any]], given: dict[str, Any]
) -> tuple[dict[str, str], dict[str, Any]]:
    """UWS form values and files from Python keyword arguments.

    Parameters
    ----------
    kind : str
        The job kind, for the messages.
    declared : list of dict
        The kind's parameters as ``GET kinds/<kind>/`` lists them.
    given : dict
        Parameter names (any case) to values: numbers, bools, text, lists (joined with
        commas); for uploads a local path, bytes, an open file or ``(name, bytes)``; for
        job references a job or its id.

    Returns
    -------
    values : dict of str to str
    files : dict of str to (name, bytes or file)

    Raises
    ------
    VocloudError
        Naming the first parameter that is unknown, of the wrong type, out of bounds,
        not one of its choices, or missing.
    """
    by_name = {p["name"]: p for p in declared}
    values: dict[str, str] = {}
    files: dict[str, Any] = {}
    for name, value in given.items():
        upper = name.upper()
        if upper in CONTROL:
            values[upper] = str(value)
            continue
        spec = by_name.get(upper)
        if spec is None:
            known = ", ".join(p["name"].lower() for p in declared) or "none"
            raise VocloudError(f"{kind} has no parameter {name!r} (it takes: {known}).")
        if value is None:
            continue
        if spec["type"] == "upload":
            files[upper] = _upload(upper, value)
        else:
            values[upper] = _value(spec, value)
    missing = [
        p["name"].lower() for p in declared if p["required"] and p["name"] not in values | files
    ]
    if missing:
        raise VocloudError(f"{kind} needs {', '.join(missing)}.")
    return values, files


def _value(spec: dict[str, Any], value: Any) -> str:
    name, kind = spec["name"].lower(), spec["type"]
    if kind == "bool":
        if not isinstance(value, bool):
            raise VocloudError(f"{name} is True or False, not {value!r}.")
        return "true" if value else "false"
    if kind in ("int", "float"):
        number = _number(name, kind, value)
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = (
                f"between {low} and {high}"
                if None not in (low, high)
                else (f"at least {low}" if low is not None else f"at most {high}")
            )
            raise VocloudError(f"{name} must be {bounds}, not {value!r}.")
        return repr(number) if kind == "float" else str(number)
    if kind == "job":
        job_id = getattr(value, "job_id", value)
        if not isinstance(job_id, str) or not job_id:
            raise VocloudError(
                f"{name} names a {spec.get('job_kind') or ''} job: give the job or its id."
            )
        return job_id
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value)
    elif isinstance(value, os.PathLike):
        value = os.fspath(value)
    elif not isinstance(value, str | int | float) or isinstance(value, bool):
        raise VocloudError(f"{name} is text, not {type(value).__name__}.")
    text = str(value)
    if kind == "choice" and text not in spec["choices"]:
        raise VocloudError(f"{name} is one of {', '.join(spec['choices'])}, not {text!r}.")
    return text


def _number(name: str, kind: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VocloudError(f"{name} is a number ({kind}), not {value!r}.")
    if kind == "int" and isinstance(value, float):
        if not value.is_integer():
            raise VocloudError(f"{name} is a whole number, not {value!r}.")
        value = int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise VocloudError(f"{name} must be finite.")
    return value


def _upload(name: str, value: Any) -> tuple[str, Any]:
    """(file name, content) of an upload: a local path, bytes, an open binary file, or
    ``(file name, bytes)`` (the name tells the platform what it is, e.g. ``x.tar.gz``)."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return (os.path.basename(value[0]), value[1])
    if isinstance(value, bytes | bytearray):
        return (name.lower(), bytes(value))
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if not os.path.isfile(path):
            raise VocloudError(f"{name.lower()}: {path} is not a file here.")
        with open(path, "rb") as source:
            return (os.path.basename(path), source.read())
    if hasattr(value, "read"):
        return (os.path.basename(getattr(value, "name", name.lower())), value)
    raise VocloudError(f"{name.lower()} takes a file: a local path, bytes or an open file.")
