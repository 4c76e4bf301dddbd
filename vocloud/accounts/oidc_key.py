"""The RSA key that signs OpenID Connect ID tokens: from the environment, or made once.

``VOCLOUD_OIDC_RSA_KEY`` (PEM text) or ``VOCLOUD_OIDC_RSA_KEY_FILE`` (its path) name the key;
without either, the first use writes a new 2048-bit key to ``DATA_DIR/oidc_rsa_key.pem``
(mode 0600) and every process of the platform reads that one. No key lives in the source.
Settings hold :data:`OIDC_PRIVATE_KEY`, a lazy string: nothing is read or made until
django-oauth-toolkit signs or publishes a key, so commands that never do make no file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cache
from pathlib import Path

from django.utils.functional import lazy

from vocloud.env import envstr

KEY_FILE_NAME = "oidc_rsa_key.pem"


def private_key_pem() -> str:
    """The PEM text of the signing key (the environment's, else the data directory's)."""
    from django.conf import settings

    configured = envstr("VOCLOUD_OIDC_RSA_KEY", "").strip()
    if configured:
        return configured + "\n"
    return key_file_pem(Path(settings.DATA_DIR) / KEY_FILE_NAME)


def new_key_pem() -> str:
    """A new 2048-bit RSA signing key, PKCS#8 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@cache
def key_file_pem(path: Path) -> str:
    """The key in ``path``, made there (mode 0600) when there is none.

    Two processes that start at once both make a key; the first to link its file wins and
    the other reads that one, so all of them sign with the same key.
    """
    with contextlib.suppress(FileNotFoundError):
        return path.read_text()
    pem = new_key_pem()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(pem)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text()


OIDC_PRIVATE_KEY = lazy(private_key_pem, str)()
