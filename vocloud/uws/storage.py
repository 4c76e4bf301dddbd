"""The on-disk layout of jobs: DATA_DIR/jobs/<job_id>/{uploads,results,work,job.log}."""

import shutil
from pathlib import Path

from django.conf import settings


def job_dir(job_id: str) -> Path:
    return Path(settings.VOCLOUD_JOBS_DIR) / job_id


def uploads_dir(job_id: str) -> Path:
    return job_dir(job_id) / "uploads"


def upload_path(job_id: str, name: str, filename: str = "") -> Path:
    """Where parameter ``name``'s file is kept: ``uploads/<NAME>/<base name>``.

    The directory is the parameter's UWS name; only the base name of the client's file
    name is kept (no path can come from the client), so jobs see e.g. ``spectra.tar.gz``.
    """
    base = Path(filename.replace("\\", "/")).name.strip(". ") or "upload"
    return uploads_dir(job_id) / name.upper() / base


def results_dir(job_id: str) -> Path:
    return job_dir(job_id) / "results"


def result_path(job_id: str, relative: str) -> Path:
    """The file of a result; refuses any path that would leave the results directory."""
    base = results_dir(job_id).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        raise ValueError(f"result path {relative!r} leaves the job's results directory")
    return path


def remove_job_files(job_id: str) -> None:
    shutil.rmtree(job_dir(job_id), ignore_errors=True)
