import secrets

from django.conf import settings
from django.db import models


class Phase(models.TextChoices):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    UNKNOWN = "UNKNOWN"
    HELD = "HELD"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"


def new_job_id() -> str:
    return secrets.token_hex(8)


class Job(models.Model):
    """One UWS job. Its phase changes only through vocloud.uws.phases."""

    job_id = models.CharField(max_length=32, unique=True, default=new_job_id, editable=False)
    kind = models.CharField(max_length=64, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    run_id = models.CharField(max_length=1024, blank=True, default="")
    phase = models.CharField(
        max_length=16, choices=Phase.choices, default=Phase.PENDING, db_index=True
    )
    creation_time = models.DateTimeField(db_index=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    execution_duration = models.PositiveIntegerField(help_text="seconds; 0 = unlimited")
    destruction = models.DateTimeField(db_index=True)
    # UWS name -> value as given (strings); uploads: UWS name -> original file name.
    parameters = models.JSONField(default=dict, blank=True)
    uploads = models.JSONField(default=dict, blank=True)
    # What the uploads weigh: counted against the owner's storage quota while the job lives.
    upload_bytes = models.PositiveBigIntegerField(default=0)
    progress = models.FloatField(null=True, blank=True)
    progress_message = models.CharField(max_length=500, blank=True, default="")
    error_type = models.CharField(max_length=16, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    error_detail = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=200, blank=True, default="")
    heartbeat = models.DateTimeField(null=True, blank=True)
    # QUEUED, but its message could not be sent (broker down): the janitor sends it again.
    unsent = models.BooleanField(default=False, db_index=True)
    # Mail the owner when the job ends (started from the portal by someone who asked for it).
    notify = models.BooleanField(default=False)

    class Meta:
        ordering = ["-creation_time", "-id"]
        indexes = [models.Index(fields=["owner", "kind", "-creation_time"])]

    def __str__(self) -> str:
        return f"{self.kind}/{self.job_id} ({self.phase})"


class Result(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="results")
    result_id = models.CharField(max_length=200)
    path = models.CharField(max_length=500, help_text="relative to the job's results/")
    mime_type = models.CharField(max_length=200, default="application/octet-stream")
    size = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "result_id"], name="unique_result_id"),
        ]

    def __str__(self) -> str:
        return f"{self.job.job_id}/{self.result_id}"


class Shard(models.Model):
    """One part of a job whose kind splits its work (``plan``/``run_shard``/``merge``).

    Any worker of the job's queue may run a QUEUED shard; the state changes by conditional
    updates in :mod:`vocloud.uws.sharding` only.
    """

    class State(models.TextChoices):
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        DONE = "DONE"
        FAILED = "FAILED"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="shards")
    index = models.PositiveIntegerField()
    spec = models.JSONField(help_text="what the kind's run_shard receives")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    worker = models.CharField(max_length=200, blank=True, default="")
    heartbeat = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(default=0.0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error_type = models.CharField(max_length=16, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    error_detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="unique_shard_index"),
        ]
        indexes = [models.Index(fields=["job", "state"])]

    def __str__(self) -> str:
        return f"{self.job.job_id}/shard {self.index} ({self.state})"
