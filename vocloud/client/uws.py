"""A UWS 1.1 job document read with the standard library (the client needs no lxml)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
JOBINFO = "{https://vocloud.org/xml/jobinfo/v1}"
FINAL_PHASES = ("COMPLETED", "ERROR", "ABORTED", "ARCHIVED")


@dataclass(frozen=True)
class ResultRef:
    """One result of a job: its id, address, size (bytes) and media type."""

    id: str
    href: str
    size: int | None = None
    mime_type: str = ""


@dataclass(frozen=True)
class JobState:
    """What a job document says: phase, progress (0-1 or None), error, results."""

    job_id: str
    phase: str
    progress: float | None = None
    message: str = ""
    error: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    results: list[ResultRef] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.phase in FINAL_PHASES


def parse_job(document: bytes) -> JobState:
    """The state in a ``<uws:job>`` document."""
    root = ET.fromstring(document)
    progress = root.findtext(f"{UWS}jobInfo/{JOBINFO}progress")
    results = [
        ResultRef(
            id=node.get("id", ""),
            href=node.get(f"{XLINK}href", ""),
            size=int(node.get("size")) if (node.get("size") or "").isdigit() else None,
            mime_type=node.get("mime-type", ""),
        )
        for node in root.iterfind(f"{UWS}results/{UWS}result")
    ]
    parameters = {
        node.get("id", ""): (node.text or "")
        for node in root.iterfind(f"{UWS}parameters/{UWS}parameter")
    }
    return JobState(
        job_id=root.findtext(f"{UWS}jobId", ""),
        phase=root.findtext(f"{UWS}phase", "").strip(),
        progress=float(progress) if progress else None,
        message=root.findtext(f"{UWS}jobInfo/{JOBINFO}message", "") or "",
        error=(root.findtext(f"{UWS}errorSummary/{UWS}message", "") or "").strip(),
        parameters=parameters,
        results=results,
    )
