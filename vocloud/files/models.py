from django.conf import settings
from django.db import models

from services.storage.listing import human_size
from services.storage.quota import QuotaSpec

DEFAULT_QUOTA_BYTES = 5 * 1024**3


def default_quota_bytes() -> int:
    return int(getattr(settings, "VOCLOUD_DEFAULT_QUOTA_BYTES", DEFAULT_QUOTA_BYTES))


class Quota(models.Model):
    """How many bytes a user's storage (files and datasets) may hold."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="storage_quota"
    )
    bytes = models.PositiveBigIntegerField(
        default=default_quota_bytes, help_text="Storage limit in bytes (5 GB = 5368709120)."
    )

    def __str__(self) -> str:
        return f"{self.user}: {human_size(self.bytes)}"


def quota_bytes(user) -> int:
    """The user's limit; users without a Quota row get the default."""
    row = Quota.objects.filter(user=user).values_list("bytes", flat=True).first()
    return default_quota_bytes() if row is None else int(row)


def job_upload_bytes(user) -> int:
    """Bytes the user's jobs hold as uploads (they count against the quota)."""
    from vocloud.uws.models import Job  # the jobs app depends on this one, not the reverse

    total = Job.objects.filter(owner=user).aggregate(n=models.Sum("upload_bytes"))["n"]
    return int(total or 0)


def quota_spec(user) -> QuotaSpec:
    """The user's limit and what they keep outside their space (job uploads)."""
    return QuotaSpec(quota_bytes(user), job_upload_bytes(user))
