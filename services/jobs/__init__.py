"""The contract between job kinds and the platform that runs them.

A job kind is one module with a pydantic ``Parameters`` model and a function
``run(params, ctx) -> list[Result]``; :mod:`services.jobs.runner` executes it in a
process of its own.
"""

from services.jobs.context import JobContext, Result
from services.jobs.errors import JobAborted, JobFailure, TransientJobError
from services.jobs.params import Upload, describe_parameters

__all__ = [
    "JobAborted",
    "JobContext",
    "JobFailure",
    "Result",
    "TransientJobError",
    "Upload",
    "describe_parameters",
]
