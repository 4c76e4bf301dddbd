"""The ``selftest`` job kind: a predictable job for checking the platform end to end.

It stays EXECUTING for ``DURATION`` seconds while reporting progress, optionally fails,
and writes a small VOTable describing what it received.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np
from astropy.table import Table
from pydantic import BaseModel, ConfigDict, Field

from services.jobs import JobContext, JobFailure, Result, Upload

TITLE = "Self-test"
SUMMARY = "Waits, reports progress, optionally fails, and writes a small VOTable."
EXECUTION_DURATION = 600  # seconds, the default limit
MAX_EXECUTION_DURATION = 3600


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="Seconds the job stays EXECUTING before it ends.",
        title="Duration (s)",
    )
    fail: bool = Field(
        False, description="End in ERROR instead of COMPLETED.", title="Fail on purpose"
    )
    note: str = Field(
        "", max_length=10000, description="Free text, stored and echoed back.", title="Note"
    )
    attachment: Upload | None = Field(
        None,
        description="An optional file; its size and SHA-256 go into the result.",
        title="Attachment",
    )


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Sleep ``params.duration`` seconds in steps, reporting progress, then write the result."""
    start = time.monotonic()
    steps = max(1, int(params.duration / 0.1))
    for step in range(steps):
        elapsed = time.monotonic() - start
        if elapsed >= params.duration:
            break
        ctx.progress(
            elapsed / params.duration if params.duration else 1.0, f"step {step + 1} of {steps}"
        )
        time.sleep(min(0.1, params.duration - elapsed))
    ctx.progress(1.0, "done", force=True)
    if params.fail:
        raise JobFailure("the self-test was asked to fail (FAIL=true)")

    size, digest = 0, ""
    if params.attachment is not None:
        data = params.attachment.read_bytes()
        size, digest = len(data), hashlib.sha256(data).hexdigest()
    table = Table(
        {
            "step": np.arange(1, 4, dtype=np.int32),
            "duration": np.full(3, params.duration),
            "note": [params.note] * 3,
            "attachment_size": np.full(3, size, dtype=np.int64),
            "attachment_sha256": [digest] * 3,
        }
    )
    table.meta["description"] = "vocloud self-test result"
    table.write(ctx.results_dir / "result.vot", format="votable", overwrite=True)
    ctx.logger.info("selftest done after %.2f s", time.monotonic() - start)
    return [Result("result", "result.vot", "application/x-votable+xml")]
