import hashlib
import secrets

from django.conf import settings
from django.db import models


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A named token for scripts; only its hash is stored, the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=hash_key(key), prefix=key[:8])
        return token, key


def new_link_stamp() -> str:
    return secrets.token_urlsafe(6)


class LinkGeneration(models.Model):
    """The stamp every signed link of a user carries; replacing it revokes them all.

    A random stamp rather than a counter: a counter would start again at 0 for an account
    recreated under a reused id, and bring that id's old links back to life.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="link_generation",
    )
    stamp = models.CharField(max_length=16, default=new_link_stamp)
    changed = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"signed links of {self.user} since {self.changed:%Y-%m-%d %H:%M}"


class MailChoice(models.Model):
    """Whether a user wants an e-mail when a job they started from the portal ends.

    The address is the user's own ``email`` field (one home for it, also in the admin).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="mail_choice",
    )
    job_ended = models.BooleanField(default=False)
    changed = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {'mail' if self.job_ended else 'no mail'} when a job ends"
