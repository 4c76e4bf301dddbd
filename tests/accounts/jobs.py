"""Jobs made straight in the database, in any phase, for the accounts tests."""

from datetime import timedelta

from vocloud.uws import service
from vocloud.uws.models import Job, Phase


def make_job(owner, kind: str = "selftest", phase: str = Phase.EXECUTING, **fields) -> Job:
    fields.setdefault("creation_time", service.now_ms())
    return Job.objects.create(
        kind=kind,
        owner=owner,
        phase=phase,
        execution_duration=0,
        destruction=service.now_ms() + timedelta(days=1),
        **fields,
    )
