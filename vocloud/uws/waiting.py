"""Blocking WAITs (UWS 1.1 §2.2.1.2) hold a web thread each: one user may hold only a few.

Each web process has a fixed number of threads; without a limit, one user's script polling
many jobs with WAIT would hold them all and everyone else's pages would wait. A user over
VOCLOUD_UWS_MAX_WAITS_PER_USER (per web process) gets the job document at once instead,
which UWS allows (WAIT is the longest the service may block, not the shortest).
"""

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

_lock = threading.Lock()
_waiting: Counter[int] = Counter()


@contextmanager
def wait_slot(user_id: int) -> Iterator[bool]:
    """True (and a slot held until the block ends) if ``user_id`` may block now."""
    with _lock:
        allowed = _waiting[user_id] < settings.VOCLOUD_UWS_MAX_WAITS_PER_USER
        if allowed:
            _waiting[user_id] += 1
    try:
        yield allowed
    finally:
        if allowed:
            with _lock:
                _waiting[user_id] -= 1
                if not _waiting[user_id]:
                    del _waiting[user_id]
