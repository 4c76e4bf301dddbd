"""The UWS phase machine: the allowed edges in one table, one conditional UPDATE each.

Nothing else in the code base assigns ``Job.phase``. An error message stored with a phase
is what the owner reads (errorSummary, ``/error``, the portal): it passes through
:func:`services.messages.for_user` here, once; the traceback stays in ``error_detail``
(staff only, in the admin) and the job's log. A move into a final phase of a job whose
``notify`` is set mails its owner once the change is committed (:mod:`vocloud.accounts.notify`).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from services.messages import for_user
from vocloud.accounts import notify
from vocloud.uws import events
from vocloud.uws.models import Job, Phase

ACTIVE = frozenset({Phase.PENDING, Phase.QUEUED, Phase.EXECUTING})
WAITING_OR_RUNNING = frozenset({Phase.QUEUED, Phase.EXECUTING})
FINAL = frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED})

# from phase -> phases it may move to (UWS 1.1 §2.1.3).
EDGES: dict[str, frozenset[str]] = {
    Phase.PENDING: frozenset({Phase.QUEUED, Phase.ABORTED}),
    Phase.QUEUED: frozenset({Phase.EXECUTING, Phase.ABORTED, Phase.ERROR}),
    Phase.EXECUTING: frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED}),
}


def sources(target: str) -> list[str]:
    """The phases from which ``target`` can be reached."""
    return [source for source, targets in EDGES.items() if target in targets]


def transition(job: Job, target: str, **fields) -> bool:
    """Move ``job`` to ``target`` if the table allows it from its current phase in the DB.

    Sets startTime on EXECUTING and endTime on a final phase. Returns False (and changes
    nothing) if the job is gone or in a phase from which ``target`` is not allowed;
    ``job`` is refreshed in memory when the change happened.
    """
    now = timezone.now()
    if fields.get("error_message"):
        fields["error_message"] = for_user(fields["error_message"], settings.DATA_DIR)
    if target == Phase.EXECUTING:
        fields.setdefault("start_time", now)
        fields.setdefault("heartbeat", now)
    if target in FINAL:
        fields.setdefault("end_time", now)
    changed = Job.objects.filter(pk=job.pk, phase__in=sources(target)).update(
        phase=target, **fields
    )
    if changed:
        events.announce(job.pk)
        job.phase = target
        for name, value in fields.items():
            setattr(job, name, value)
        if target in FINAL and job.notify:  # the owner asked for a mail (it never raises)
            transaction.on_commit(lambda: notify.job_ended(job))
    return bool(changed)


def may(phase: str, target: str) -> bool:
    return target in EDGES.get(phase, frozenset())
