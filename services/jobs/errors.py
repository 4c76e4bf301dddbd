"""Errors a job raises, each carrying its intent (UWS ``errorSummary/@type``)."""


class JobFailure(Exception):
    """The job cannot succeed with these inputs; rerunning it will fail again (``fatal``)."""

    error_type = "fatal"


class TransientJobError(JobFailure):
    """Something outside the job failed (a network service, a full disk); a rerun may work."""

    error_type = "transient"


class JobAborted(Exception):
    """Raised inside a job when the platform asked it to stop."""
