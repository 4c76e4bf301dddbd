"""Read settings from environment variables, with defaults that work when nothing is set.

Every helper also honours a ``NAME_FILE`` variant holding the path of a file with the
value, for secrets mounted by an orchestrator.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def envstr(name: str, default: str = "") -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = envstr(name, "")
    if not value:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    value = envstr(name, "")
    return int(value) if value.strip() else default


def envlist(name: str, default: list[str]) -> list[str]:
    value = envstr(name, "")
    if not value.strip():
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, sqlite_default: Path) -> dict:
    """Django DATABASES entry for ``sqlite:///path`` or ``postgres://user:pw@host:port/db``."""
    if not url:
        url = f"sqlite:///{sqlite_default}"
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": unquote(parts.path),
            # WAL lets the web threads read while the worker writes progress; IMMEDIATE
            # avoids "database is locked" on lock upgrades under concurrent writers.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"VOCLOUD_DATABASE_URL: unsupported scheme {parts.scheme!r}")


MIN_SECRET_KEY_LENGTH = 32
_PLACEHOLDER_KEYS = {"change-me", "changeme", "secret", "insecure"}
NO_KEY = (
    "no secret key: set VOCLOUD_SECRET_KEY (or VOCLOUD_SECRET_KEY_FILE, the path of a file "
    "holding it) to a long random string, e.g. "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. "
    "./deploy/quickstart.sh keeps one in var/secret_key: "
    "export VOCLOUD_SECRET_KEY_FILE=var/secret_key"
)


def secret_key(debug: bool) -> str:
    """The key that signs sessions and links, from the environment only.

    Without one, a DEBUG start gets a random key for this process (sessions and links die
    with it); any other start is refused, as is a placeholder or a key too short to be random.
    """
    key = envstr("VOCLOUD_SECRET_KEY", "").strip()
    if not key:
        if debug:
            import secrets

            return secrets.token_urlsafe(50)
        raise ImproperlyConfigured(NO_KEY)
    if not debug and (len(key) < MIN_SECRET_KEY_LENGTH or key.lower() in _PLACEHOLDER_KEYS):
        raise ImproperlyConfigured(
            f"VOCLOUD_SECRET_KEY is a placeholder or shorter than {MIN_SECRET_KEY_LENGTH} "
            "characters; " + NO_KEY.split(": ", 1)[1]
        )
    return key


def check_fetch_allow(text: str) -> None:
    """Refuse to start with an allow-list entry that is not an IP address or network."""
    from services.fetch.policy import parse_allow

    try:
        parse_allow(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"VOCLOUD_FETCH_ALLOW: {exc}") from None
