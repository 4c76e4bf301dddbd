"""A user's download and ingest history: their ingest and dataset jobs, newest first."""

from django.db.models import QuerySet

from vocloud.uws.models import Job

HISTORY_KINDS = ("ingest", "dataset")
HISTORY_PAGE = 50


def history_jobs(user) -> QuerySet[Job]:
    """``user``'s own ingest and dataset jobs, newest first.

    What each one brought is its final progress message ("12 stored, 3 already in your
    storage, 0 failed"; "40 spectra in stars v2"), kept in the job's row: no result file
    is opened to list a page.
    """
    return (
        Job.objects.filter(owner=user, kind__in=HISTORY_KINDS)
        .order_by("-creation_time", "-id")
        .only(
            "job_id",
            "kind",
            "phase",
            "run_id",
            "parameters",
            "creation_time",
            "end_time",
            "progress",
            "progress_message",
            "error_message",
        )
    )
