"""Read settings from environment variables, with defaults that work when nothing is set.

Every helper also honours a ``NAME_FILE`` variant holding the path of a file with the
value, for secrets mounted by an orchestrator.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit


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
