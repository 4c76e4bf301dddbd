"""What can be done to jobs: the domain functions that UWS views and portal views call."""

import errno
import logging
import re
import shutil
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from pydantic import ValidationError

from services.jobs.params import validate, validation_message
from vocloud.uws import events, phases, storage
from vocloud.uws.errors import (
    IllegalState,
    NotFound,
    StorageFull,
    TooLarge,
    TooManyJobs,
    UsageError,
)
from vocloud.uws.kinds import Kind, get_kind
from vocloud.uws.models import Job, Phase
from vocloud.uws.queue import enqueue

logger = logging.getLogger(__name__)

MAX_LAST = 1_000_000  # a LAST above this lists everything anyway (jobs per user are capped)
# Job-control parameters of UWS itself, never passed to a kind.
CONTROL = frozenset({"PHASE", "RUNID", "EXECUTIONDURATION", "DESTRUCTION", "ACTION"})
_ISO_UTC = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d{1,9})?(Z|[+-]00:?00)?$")


def kind_or_404(name: str) -> Kind:
    kind = get_kind(name)
    if kind is None:
        raise NotFound(f"no job kind {name!r}")
    return kind


def now_ms() -> datetime:
    """Now, to the millisecond: what the XML shows is exactly what the database holds."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def parse_utc(text: str, name: str) -> datetime:
    """An ISO 8601 instant in UTC (``Z``, ``+00:00`` or no zone), 0 to 9 fractional digits."""
    match = _ISO_UTC.match(text.strip())
    if not match:
        raise UsageError(f"{name} must be an ISO 8601 UTC time such as 2030-01-31T12:00:00Z")
    fraction = match.group(7) or ".0"
    try:
        moment = datetime(*(int(match.group(i)) for i in range(1, 7)), tzinfo=UTC)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None
    # nanoseconds are cut, not rounded: 9999-12-31T23:59:59.999999999Z must not overflow
    return moment + timedelta(microseconds=min(999_999, int(float(fraction) * 1e6)))


def parse_duration(text: str, kind: Kind) -> int:
    try:
        seconds = int(text.strip())
    except ValueError:
        raise UsageError("EXECUTIONDURATION must be a whole number of seconds") from None
    if seconds < 0:
        raise UsageError("EXECUTIONDURATION must not be negative")
    # 0 (unlimited) and anything beyond the kind's limit get the limit.
    if seconds == 0 or seconds > kind.max_execution_duration:
        return kind.max_execution_duration
    return seconds


def latest_destruction() -> datetime:
    return now_ms() + timedelta(days=settings.VOCLOUD_DESTRUCTION_DAYS)


def clamp_destruction(moment: datetime) -> datetime:
    return min(moment, latest_destruction())


def _split(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Split UWS name -> value into (control, kind parameters), names upper-cased."""
    control, params = {}, {}
    for name, value in values.items():
        if "\x00" in name or "\x00" in str(value):  # no database stores NUL in text
            raise UsageError(f"{name[:40]!r}: parameters must not contain NUL characters")
        upper = name.upper()
        (control if upper in CONTROL else params)[upper] = value
    return control, params


def _resolve_job_refs(owner, kind: Kind, params: Mapping[str, str]) -> dict[str, str]:
    """Parameters naming another job replaced by that job's results directory.

    The job must be the owner's, of the declared kind, and COMPLETED.
    """
    resolved = dict(params)
    for name, ref_kind in kind.job_refs.items():
        if name not in params:
            continue
        job_id = str(params[name]).strip()
        ref = Job.objects.filter(owner=owner, kind=ref_kind, job_id=job_id).first()
        if ref is None:
            raise UsageError(f"{name}: you have no {ref_kind} job {job_id!r}")
        if ref.phase != Phase.COMPLETED:
            raise UsageError(f"{name}: {ref_kind} job {job_id} is {ref.phase}, not COMPLETED")
        resolved[name] = str(storage.results_dir(job_id))
    return resolved


def _check_parameters(
    owner, kind: Kind, params: dict[str, str], upload_names: Iterable[str], job_id: str = ""
) -> None:
    """Validate kind parameters; uploads are checked for presence, not content."""
    misplaced = set(params) & kind.upload_names
    if misplaced:
        raise UsageError(f"{', '.join(sorted(misplaced))} must be uploaded as a file")
    uploads = {name: storage.upload_path(job_id or "new", name, "check") for name in upload_names}
    try:
        validate(kind.parameters_model, _resolve_job_refs(owner, kind, params), uploads)
    except ValidationError as exc:
        raise UsageError(validation_message(exc)) from None


def check_upload_sizes(owner, files: Mapping[str, UploadedFile], replaced: int = 0) -> int:
    """The uploads' total bytes if each is within the upload limit and all fit the owner's
    free quota (``replaced``: bytes of earlier uploads they replace); TooLarge otherwise."""
    from services.storage.listing import human_size
    from vocloud.files.operations import quota_for
    from vocloud.files.uploads import max_upload_bytes

    if not files:
        return 0  # no upload: no need to weigh the owner's storage
    limit = max_upload_bytes()
    for name, upload in files.items():
        if (upload.size or 0) > limit:
            raise TooLarge(f"{name} is larger than the {human_size(limit)} allowed for one file")
    total = sum(upload.size or 0 for upload in files.values())
    free = quota_for(owner).free_bytes + replaced
    if total > free:
        raise TooLarge(
            f"the upload needs {human_size(total)} but only {human_size(free)} of your "
            "storage quota is free (job uploads count until the job is destroyed)"
        )
    return total


def _check_run_id(control: Mapping[str, str]) -> None:
    limit = Job._meta.get_field("run_id").max_length
    if len(control.get("RUNID", "")) > limit:  # PostgreSQL would refuse it with a 500
        raise UsageError(f"RUNID must be at most {limit} characters")


def _check_job_count(owner) -> None:
    cap = settings.VOCLOUD_MAX_JOBS_PER_USER
    if Job.objects.filter(owner=owner).count() >= cap:
        raise TooManyJobs(f"you have {cap} jobs, the most one user may keep: delete some first")


def create_job(
    owner,
    kind: Kind,
    values: Mapping[str, str],
    files: Mapping[str, UploadedFile] | None = None,
    notify: bool = False,
) -> Job:
    """Create a PENDING job (QUEUED if PHASE=RUN came with it).

    ``notify``: mail the owner when it ends (portal jobs of users who asked for it).
    """
    control, params = _split(values)
    files = {name.upper(): f for name, f in (files or {}).items()}
    unknown_files = set(files) - kind.upload_names
    if unknown_files:
        raise UsageError(f"{', '.join(sorted(unknown_files))} does not take a file")
    _check_parameters(owner, kind, params, files)
    phase_request = control.get("PHASE", "").upper()
    if phase_request not in ("", "RUN"):
        raise UsageError("PHASE at creation may only be RUN")
    _check_run_id(control)
    _check_job_count(owner)
    upload_bytes = check_upload_sizes(owner, files)
    now = now_ms()
    job = Job(
        kind=kind.name,
        owner=owner,
        run_id=control.get("RUNID", ""),
        creation_time=now,
        execution_duration=kind.execution_duration,
        destruction=latest_destruction(),
        parameters=params,
        uploads={name: f.name for name, f in files.items()},
        upload_bytes=upload_bytes,
        notify=notify,
    )
    if "EXECUTIONDURATION" in control:
        job.execution_duration = parse_duration(control["EXECUTIONDURATION"], kind)
    if "DESTRUCTION" in control:
        job.destruction = clamp_destruction(parse_utc(control["DESTRUCTION"], "DESTRUCTION"))
    job.save()
    try:
        _store_uploads(job, files)
    except StorageFull:
        storage.remove_job_files(job.job_id)
        job.delete()  # a job without its upload would fail later: better none at all
        raise
    if phase_request == "RUN":
        try:
            run_job(job)
        except TooManyJobs:  # refused: nothing is left behind
            storage.remove_job_files(job.job_id)
            job.delete()
            raise
    return job


def _store_uploads(job: Job, files: Mapping[str, UploadedFile]) -> None:
    """Write the uploads into the job's directory; StorageFull (and none kept) if the disk is."""
    for name, upload in files.items():
        path = storage.upload_path(job.job_id, name, upload.name)
        if path.parent.exists():  # a new file for the parameter replaces the old one
            shutil.rmtree(path.parent)
        path.parent.mkdir(parents=True)
        try:
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            shutil.rmtree(path.parent, ignore_errors=True)
            raise StorageFull(
                f"no space left on the server to store {name} ({upload.size} bytes); "
                "nothing was kept, try again later"
            ) from None


@cache
def _job_lookup() -> str:
    table, qn = Job._meta.db_table, connection.ops.quote_name
    return f"SELECT * FROM {qn(table)} WHERE kind = %s AND job_id = %s AND owner_id = %s"


def get_job(owner, kind: Kind, job_id: str) -> Job:
    """The job, if it exists and belongs to ``owner``; another user's job is 404 too."""
    # A plain query: building it with the ORM costs more than the indexed look-up itself,
    # and this is the request scripts make most (pyvo polls a job).
    found = Job.objects.raw(_job_lookup(), [kind.name, job_id, owner.pk])
    job = next(iter(found), None)
    if job is None:
        raise NotFound(f"no job {job_id!r} in {kind.name}")
    return job


def run_job(job: Job) -> None:
    """PENDING -> QUEUED, then send the message (after commit, so a worker finds the row).

    Refused (TooManyJobs) when the owner already has VOCLOUD_MAX_ACTIVE_JOBS_PER_USER jobs
    queued or executing: one user cannot fill the queue for everyone else.
    """
    if job.phase != Phase.PENDING:
        if job.phase in (Phase.QUEUED, Phase.EXECUTING):
            return  # already running: PHASE=RUN again is harmless
        raise IllegalState(f"a {job.phase} job cannot be run")
    cap = settings.VOCLOUD_MAX_ACTIVE_JOBS_PER_USER
    with transaction.atomic():
        lock_owner(job.owner_id)  # the count and the change are one step per owner
        active = Job.objects.filter(owner_id=job.owner_id, phase__in=phases.WAITING_OR_RUNNING)
        if active.count() >= cap:
            raise TooManyJobs(
                f"you have {cap} jobs queued or executing, the most one user may have: "
                "run this one when some have finished"
            )
        moved = phases.transition(job, Phase.QUEUED)
    if not moved:
        raise IllegalState(f"a {_current_phase(job)} job cannot be run")
    transaction.on_commit(lambda: send_or_mark(job.pk, job.kind))


def lock_owner(owner_id: int) -> None:
    """Serialise one owner's job starts inside a transaction (SQLite serialises all writes)."""
    from django.contrib.auth import get_user_model

    list(get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk"))


def _current_phase(job: Job) -> str:
    """The job's phase in the database; NotFound if it was deleted meanwhile."""
    phase = Job.objects.filter(pk=job.pk).values_list("phase", flat=True).first()
    if phase is None:
        raise NotFound("the job was deleted")
    return phase


def send_or_mark(job_pk: int, kind_name: str) -> None:
    """Send the job's message, or mark the job ``unsent`` for the janitor to send again."""
    if not enqueue(job_pk, kind_name):
        Job.objects.filter(pk=job_pk, phase=Phase.QUEUED).update(unsent=True)


def abort_job(job: Job, message: str = "") -> None:
    if job.phase == Phase.ABORTED:
        return
    if job.phase not in phases.ACTIVE:
        raise IllegalState(f"a {job.phase} job cannot be aborted")
    if not phases.transition(job, Phase.ABORTED, error_message=message):
        phase = _current_phase(job)
        if phase != Phase.ABORTED:
            raise IllegalState(f"a {phase} job cannot be aborted")


def delete_job(job: Job) -> None:
    """Destroy the job: stop it if it runs, then remove its record and its files."""
    if job.phase in phases.ACTIVE:
        phases.transition(job, Phase.ABORTED, error_message="The job was deleted.")
    Job.objects.filter(pk=job.pk).delete()
    events.announce(job.pk)
    storage.remove_job_files(job.job_id)


def set_execution_duration(job: Job, value: str) -> None:
    seconds = parse_duration(value, get_kind(job.kind))
    if job.phase not in (Phase.PENDING, Phase.QUEUED, Phase.HELD):
        raise IllegalState(f"the execution duration of a {job.phase} job cannot change")
    Job.objects.filter(pk=job.pk).update(execution_duration=seconds)


def set_destruction(job: Job, value: str) -> None:
    moment = clamp_destruction(parse_utc(value, "DESTRUCTION"))
    Job.objects.filter(pk=job.pk).update(destruction=moment)


def update_parameters(
    job: Job, values: Mapping[str, str], files: Mapping[str, UploadedFile] | None = None
) -> None:
    """Change parameters of a PENDING job (UWS 1.1 §2.1.11)."""
    if job.phase != Phase.PENDING:
        raise IllegalState(f"parameters of a {job.phase} job cannot change")
    kind = get_kind(job.kind)
    control, params = _split(values)
    files = {name.upper(): f for name, f in (files or {}).items()}
    if set(control) - {"RUNID"}:
        raise UsageError(f"{', '.join(sorted(set(control) - {'RUNID'}))} is not a parameter")
    _check_run_id(control)
    merged = {**job.parameters, **params}
    _check_parameters(job.owner, kind, merged, {*job.uploads, *files}, job.job_id)
    replaced = _upload_sizes(job, files)
    added = check_upload_sizes(job.owner, files, replaced=replaced)
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, phase=Phase.PENDING).update(
            parameters=merged,
            uploads={**job.uploads, **{name: f.name for name, f in files.items()}},
            run_id=control.get("RUNID", job.run_id),
            upload_bytes=max(0, job.upload_bytes - replaced) + added,
        )
    if not updated:
        raise IllegalState("the job left PENDING while its parameters were being changed")
    try:
        _store_uploads(job, files)
    except StorageFull:  # the job stays as it was (an upload it had is gone: it is dropped)
        kept = {n: f for n, f in job.uploads.items() if n not in files}
        Job.objects.filter(pk=job.pk).update(
            parameters=job.parameters,
            uploads=kept,
            run_id=job.run_id,
            upload_bytes=max(0, job.upload_bytes - replaced),
        )
        raise


def _upload_sizes(job: Job, names) -> int:
    """Bytes of the job's current uploads for parameters ``names``."""
    total = 0
    for name in names:
        if name in job.uploads:
            path = storage.upload_path(job.job_id, name, job.uploads[name])
            total += path.stat().st_size if path.is_file() else 0
    return total


def list_jobs(
    owner, kind: Kind, phases_wanted: list[str], after: datetime | None, last: int | None
) -> QuerySet[Job]:
    """The owner's jobs of one kind, filtered as UWS 1.1 §2.2.2.1 says, newest first."""
    jobs = Job.objects.filter(owner=owner, kind=kind.name)
    if phases_wanted:
        jobs = jobs.filter(phase__in=phases_wanted)
    else:
        jobs = jobs.exclude(phase=Phase.ARCHIVED)
    if after is not None:
        jobs = jobs.filter(creation_time__gt=after)
    jobs = jobs.order_by("-creation_time", "-id")
    return jobs[:last] if last else jobs


def job_parameters(job: Job) -> dict:
    """The validated parameter dict the worker receives (uploads as local paths, job
    references as those jobs' results directories).

    Raises
    ------
    UsageError
        If a job it names is gone or no longer COMPLETED.
    pydantic.ValidationError
        If the stored values no longer validate.
    """
    kind = get_kind(job.kind)
    uploads = {
        name: storage.upload_path(job.job_id, name, filename)
        for name, filename in job.uploads.items()
    }
    values = _resolve_job_refs(job.owner, kind, job.parameters)
    return validate(kind.parameters_model, values, uploads).model_dump(mode="json")
