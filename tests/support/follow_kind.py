"""A job kind used by tests: it takes another job's results (a `selftest` job's)."""

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.jobs import JobContext, Result
from services.jobs.params import JobOutput

TITLE = "Follow-up (tests)"


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Annotated[Path, JobOutput("selftest")] = Field(description="A finished selftest job.")


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    (ctx.results_dir / "seen.txt").write_text(sorted(p.name for p in params.source.iterdir())[0])
    return [Result("result", "seen.txt", "text/plain")]
