"""UWS 1.1 documents, built with vo-models (pydantic-xml) from Job rows."""

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Optional

from lxml import etree
from pydantic_xml import BaseXmlModel, element
from vo_models.uws import (
    ErrorSummary,
    Jobs,
    JobSummary,
    Parameter,
    ResultReference,
    Results,
    ShortJobDescription,
)
from vo_models.uws.models import NSMAP
from vo_models.uws.types import ErrorType, ExecutionPhase

from vocloud.uws.models import Job, Phase

JOBINFO_NS = "https://vocloud.org/xml/jobinfo/v1"
_UWS_NS = NSMAP["uws"]


class ParameterList(BaseXmlModel, tag="parameters", ns="uws", nsmap=NSMAP):
    parameters: list[Parameter] = element(tag="parameter", default_factory=list)


class JobInfo(BaseXmlModel, tag="jobInfo", ns="uws", nsmap={**NSMAP, "vc": JOBINFO_NS}):
    """Progress of a running job, in our own namespace inside <uws:jobInfo>."""

    progress: float = element(tag="progress", ns="vc")
    message: Optional[str] = element(tag="message", ns="vc", default=None)  # noqa: UP045


class JobDocument(JobSummary[ParameterList], tag="job"):
    job_info: Optional[JobInfo] = element(tag="jobInfo", default=None)  # noqa: UP045


def _serialize(model: BaseXmlModel) -> bytes:
    tree = model.to_xml_tree()
    # vo-models writes <uws:runId/> for a job without one; the schema lets us leave it out.
    for node in tree.iter(f"{{{_UWS_NS}}}runId"):
        if not node.text:
            node.getparent().remove(node)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def parameter_elements(job: Job, job_url: str) -> list[Parameter]:
    params = [Parameter(id=name, value=str(value)) for name, value in job.parameters.items()]
    params += [
        Parameter(id=name, value=f"{job_url}/parameters/{name}", by_reference=True)
        for name in job.uploads
    ]
    return params


def results_model(job: Job, job_url: str) -> Results:
    # Results are recorded in the step that makes a job COMPLETED: no other phase has any,
    # and a running job's document (polled by pyvo) is spared the query.
    found = job.results.all() if job.phase == Phase.COMPLETED else []
    return Results(
        results=[
            ResultReference(
                id=r.result_id,
                href=f"{job_url}/results/{r.result_id}",
                size=r.size,
                mime_type=r.mime_type,
            )
            for r in found
        ]
    )


def _error_summary(job: Job) -> ErrorSummary | None:
    if job.phase not in (Phase.ERROR, Phase.ABORTED) or not job.error_message:
        return None
    error_type = ErrorType.TRANSIENT if job.error_type == "transient" else ErrorType.FATAL
    return ErrorSummary(
        message=job.error_message,
        type=error_type,
        has_detail=bool(job.error_detail or job.error_message),
    )


def _job_info(job: Job) -> JobInfo | None:
    if job.progress is None:
        return None
    return JobInfo(progress=round(job.progress, 4), message=job.progress_message or None)


# Finished jobs' documents, per web process: nothing in them changes but the destruction
# time, which is part of the key (as are the phase, the owner's name and the URL).
_finished: OrderedDict[tuple, bytes] = OrderedDict()
_finished_lock = threading.Lock()
FINISHED_CACHE_SIZE = 4096


def job_document(job: Job, job_url: str) -> bytes:
    """The job's UWS document (cached once the job is COMPLETED, ERROR or ABORTED)."""
    if job.phase not in (Phase.COMPLETED, Phase.ERROR, Phase.ABORTED):
        return _job_document(job, job_url)
    key = (job.pk, job.phase, job.end_time, job.destruction, job.owner.get_username(), job_url)
    with _finished_lock:
        document = _finished.get(key)
        if document is not None:
            _finished.move_to_end(key)
            return document
    document = _job_document(job, job_url)
    with _finished_lock:
        _finished[key] = document
        while len(_finished) > FINISHED_CACHE_SIZE:
            _finished.popitem(last=False)
    return document


def _job_document(job: Job, job_url: str) -> bytes:
    model = JobDocument(
        job_id=job.job_id,
        run_id=job.run_id or None,
        owner_id=job.owner.get_username(),
        phase=ExecutionPhase(job.phase),
        quote=None,
        creation_time=job.creation_time,
        start_time=job.start_time,
        end_time=job.end_time,
        execution_duration=job.execution_duration,
        destruction=job.destruction,
        parameters=ParameterList(parameters=parameter_elements(job, job_url)),
        results=results_model(job, job_url),
        error_summary=_error_summary(job),
        job_info=_job_info(job),
    )
    return _serialize(model)


def jobs_document(jobs: Iterable[Job], jobs_url: str, owner: str) -> bytes:
    """The job list; every job in ``jobs`` belongs to the user called ``owner``."""
    refs = [
        ShortJobDescription(
            job_id=job.job_id,
            phase=ExecutionPhase(job.phase),
            run_id=job.run_id or None,
            owner_id=owner,
            creation_time=job.creation_time,
            href=f"{jobs_url}/{job.job_id}",
        )
        for job in jobs
    ]
    return _serialize(Jobs(jobref=refs))


def results_document(job: Job, job_url: str) -> bytes:
    return _serialize(results_model(job, job_url))


def parameters_document(job: Job, job_url: str) -> bytes:
    return _serialize(ParameterList(parameters=parameter_elements(job, job_url)))


def utc_text(moment) -> str:
    """A time as the plain-text resources show it: ISO 8601, milliseconds, 'Z'."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
