"""What users read of an error: one sentence, no traceback, no server path.

Tracebacks and absolute paths belong in the job's log and the server's log; what reaches a
user (a UWS ``errorSummary``, the ``/error`` document, a portal message) goes through
:func:`for_user` once, where it is stored.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_LENGTH = 1000
# An absolute POSIX path of two or more parts (as Python error texts quote them).
_ABSOLUTE = re.compile(r"(?<![\w.~:/-])/(?:[\w.+@%~-]+/)+([\w.+@%~ -]*[\w.+@%~-])")
_USER_FILES = re.compile(r"users/\d+/files/")
_USER_DATASETS = re.compile(r"users/\d+/datasets/")
_JOB_FILES = re.compile(r"jobs/[0-9a-f]+/")


def for_user(text: str, data_dir: Path | str | None = None) -> str:
    """``text`` as a user may read it.

    Only the first line of a traceback-like text is kept; a path inside a user's files
    becomes the path the user knows (``demo/a.fits``), a dataset or job path its name, any
    other absolute path its last part. Capped at :data:`MAX_LENGTH` characters.

    Parameters
    ----------
    text : str
        A message built from an exception or by a job.
    data_dir : Path or str, optional
        The platform's data directory (user files and jobs live under it).
    """
    if "Traceback (most recent call last)" in text:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        text = lines[-1] if lines else ""
    if data_dir:
        root = str(data_dir).rstrip("/") + "/"
        text = text.replace(root, "\x00")
        text = re.sub("\x00" + _USER_FILES.pattern, "", text)
        text = re.sub("\x00" + _USER_DATASETS.pattern, "dataset ", text)
        text = re.sub("\x00" + _JOB_FILES.pattern, "", text)
        text = text.replace("\x00", "")
    text = _ABSOLUTE.sub(lambda match: match.group(1), text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 3] + "..."


def os_reason(exc: OSError) -> str:
    """The system's reason for an OSError without the file name it carries."""
    return exc.strerror or type(exc).__name__


_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def summarise_failures(failures: list[tuple[str, str]], shown: int = 3) -> str:
    """One line for many failed items: the commonest reasons, each with a count and an example.

    Reasons that differ only in their numbers (``Primary 564 x 3`` / ``Primary 565 x 3``)
    count as one. Used when every item of a batch failed, so that 3,000 identical failures
    read as one sentence, not 3,000.

    Parameters
    ----------
    failures : list of (str, str)
        ``(item, reason)`` pairs, in the order the items were met.
    shown : int
        How many distinct reasons to name.

    Returns
    -------
    str
        For example ``"2998 x no 1-D spectrum found (HDUs: Primary 564 x 3) (e.g. a.fits);
        2 x an HTML page, not a spectrum (e.g. b.fits)"``; ``""`` for no failures.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for item, reason in failures:
        groups.setdefault(_DIGITS.sub("#", reason), []).append((item, reason))
    ranked = sorted(groups.values(), key=len, reverse=True)  # stable: first met first on ties
    parts = [f"{len(group)} x {group[0][1]} (e.g. {group[0][0]})" for group in ranked[:shown]]
    if len(ranked) > shown:
        rest = sum(len(group) for group in ranked[shown:])
        parts.append(f"{rest} more with {len(ranked) - shown} other reasons")
    return "; ".join(parts)
