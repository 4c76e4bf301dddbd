"""The platform's outbound-fetch policy, from its settings (see services/fetch/policy.py).

Workers hand it to every job; the web process uses it for the SSAP preview with a shorter
deadline (a page must not wait on a slow service for long).
"""

from django.conf import settings

from services.fetch.policy import FetchPolicy, parse_allow


def fetch_policy(deadline_s: float | None = None) -> FetchPolicy:
    return FetchPolicy(
        allow=parse_allow(settings.VOCLOUD_FETCH_ALLOW),
        max_document_bytes=settings.VOCLOUD_FETCH_MAX_DOCUMENT_BYTES,
        deadline_s=deadline_s or settings.VOCLOUD_FETCH_DEADLINE,
    )
