"""Settings of the in-process tests: the platform's own, with a random key for this run.

Platforms the tests start in subprocesses get keys of their own
(tests/support/platform.py); nothing here is a key that lives in the source.
"""

import os
import secrets

os.environ.setdefault("VOCLOUD_SECRET_KEY", secrets.token_urlsafe(50))

from vocloud.settings import *  # noqa: F403
