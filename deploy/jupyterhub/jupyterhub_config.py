"""JupyterHub beside vocloud: log in with the vocloud account, work in the vocloud storage.

    jupyterhub -f deploy/jupyterhub/jupyterhub_config.py     (deploy/jupyterhub/README.md)

vocloud is the hub's OpenID Connect provider (GenericOAuthenticator, authorization code with
PKCE). At each spawn the user's single-user server gets

- ``VOCLOUD_URL`` and ``VOCLOUD_TOKEN`` (the user's access token, refreshed before the
  spawn when it has expired): ``vocloud.client.Client()`` works with no arguments;
- its file browser rooted at the user's vocloud storage, ``DATA_DIR/users/<id>/files``
  (the ``vocloud_storage`` claim): the same files as the portal's file manager.

The deployment runs the hub, the proxy (the Python configurable-http-proxy: no Node.js) and
every user's server on the platform's host as the platform's OS user, which owns the data
directory; each user's server runs in a bubblewrap sandbox that shows it its own storage and
nothing else of the data directory. Everything is read from the environment:

VOCLOUD_URL (required)
    The platform as the hub and the notebooks reach it, e.g. ``http://127.0.0.1:8000``.
VOCLOUD_PUBLIC_URL
    The platform as browsers reach it (the log-in page); VOCLOUD_URL if unset.
VOCLOUD_DATA_DIR (required)
    The platform's data directory (its ``users/`` holds the storage).
JUPYTERHUB_BIND_URL
    Where the hub's proxy listens, ``http://127.0.0.1:8001`` if unset.
JUPYTERHUB_URL
    The hub's public address (behind nginx: ``https://hub.example.org``), the bind URL if
    unset; its ``/hub/oauth_callback`` is the redirect URI that
    ``manage.py jupyterhub_client`` registers.
JUPYTERHUB_CLIENT_FILE, or JUPYTERHUB_CLIENT_ID and JUPYTERHUB_CLIENT_SECRET
    The client that ``manage.py jupyterhub_client --output FILE`` registered and wrote.
JUPYTERHUB_CRYPT_KEY (required; JupyterHub reads it)
    Encrypts the stored tokens: ``openssl rand -hex 32``.
JUPYTERHUB_STATE_DIR
    The hub's database, cookie secret and the users' home directories;
    ``VOCLOUD_DATA_DIR/jupyterhub`` if unset.
JUPYTERHUB_HUB_PORT, JUPYTERHUB_PROXY_API_PORT
    Internal ports on 127.0.0.1 (8081, 8082).
JUPYTERHUB_SINGLEUSER
    The command of a user's server; this Python's ``-m jupyterhub.singleuser`` if unset.
JUPYTERHUB_SANDBOX
    ``bwrap`` (the default): every user's server runs in a bubblewrap sandbox that sees the
    host read-only, its own storage and home read-write, and neither the platform's data
    directory (other users' files, the database, keys) nor the hub's state nor other
    processes. ``none`` runs servers unconfined: only for one person or a group that may
    read each other's files.
JUPYTERHUB_SANDBOX_HIDE
    More paths the sandbox hides, separated by ``:`` (e.g. ``/etc/vocloud``, where the
    platform's environment file with its secrets lives).
"""

import os
import shlex
import shutil
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from oauthenticator.generic import GenericOAuthenticator
from tornado import web

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(f"jupyterhub_config.py: set {name} (deploy/jupyterhub/README.md says how).")
    return value


def client_credentials() -> tuple[str, str]:
    """The OAuth client id and secret, from JUPYTERHUB_CLIENT_FILE or the environment."""
    values = dict(os.environ)
    path = os.environ.get("JUPYTERHUB_CLIENT_FILE", "").strip()
    if path:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    try:
        return values["JUPYTERHUB_CLIENT_ID"], values["JUPYTERHUB_CLIENT_SECRET"]
    except KeyError:
        sys.exit(
            "jupyterhub_config.py: no OAuth client; run manage.py jupyterhub_client "
            "--redirect-uri <hub>/hub/oauth_callback --output FILE, then set "
            "JUPYTERHUB_CLIENT_FILE=FILE."
        )


VOCLOUD_URL = required("VOCLOUD_URL").rstrip("/")
VOCLOUD_PUBLIC_URL = os.environ.get("VOCLOUD_PUBLIC_URL", VOCLOUD_URL).rstrip("/")
DATA_DIR = Path(required("VOCLOUD_DATA_DIR")).resolve()
BIND_URL = os.environ.get("JUPYTERHUB_BIND_URL", "http://127.0.0.1:8001").rstrip("/")
HUB_URL = os.environ.get("JUPYTERHUB_URL", BIND_URL).rstrip("/")
STATE_DIR = Path(os.environ.get("JUPYTERHUB_STATE_DIR", DATA_DIR / "jupyterhub")).resolve()
STATE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
required("JUPYTERHUB_CRYPT_KEY")  # without it JupyterHub refuses enable_auth_state

# --- the hub and its proxy -------------------------------------------------------------
c.JupyterHub.bind_url = BIND_URL
if HUB_URL != BIND_URL:
    c.JupyterHub.public_url = HUB_URL
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("JUPYTERHUB_HUB_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{STATE_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE_DIR / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{int(os.environ.get('JUPYTERHUB_PROXY_API_PORT', '8082'))}"
)
c.ConfigurableHTTPProxy.pid_file = str(STATE_DIR / "jupyterhub-proxy.pid")
# The Python port of configurable-http-proxy, from this environment.
_proxy = Path(sys.executable).with_name("configurable-http-proxy")
c.ConfigurableHTTPProxy.command = [str(_proxy) if _proxy.exists() else "configurable-http-proxy"]

# --- log-in through vocloud -------------------------------------------------------------
CLIENT_ID, CLIENT_SECRET = client_credentials()
c.JupyterHub.authenticator_class = GenericOAuthenticator
c.GenericOAuthenticator.login_service = "vocloud"
c.GenericOAuthenticator.client_id = CLIENT_ID
c.GenericOAuthenticator.client_secret = CLIENT_SECRET
c.GenericOAuthenticator.oauth_callback_url = f"{HUB_URL}/hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = f"{VOCLOUD_PUBLIC_URL}/o/authorize/"
c.GenericOAuthenticator.token_url = f"{VOCLOUD_URL}/o/token/"
c.GenericOAuthenticator.userdata_url = f"{VOCLOUD_URL}/o/userinfo/"
c.GenericOAuthenticator.scope = ["openid", "profile", "vocloud"]
c.GenericOAuthenticator.username_claim = "preferred_username"
c.GenericOAuthenticator.enable_pkce = True
# Every account of the platform may use the hub (the platform decides who has one).
c.GenericOAuthenticator.allow_all = True


async def one_account_per_name(authenticator, handler, authentication: dict) -> dict:
    """Refuse a log-in whose hub name is another vocloud account's.

    The hub lower-cases names; vocloud tells ``Alice`` from ``alice``. Without this, the second
    to log in would get the first one's server (and storage).
    """
    sub = str(authentication["auth_state"]["oauth_user"]["sub"])
    user = handler.find_user(authentication["name"])
    known = ((await user.get_auth_state()) or {}).get("oauth_user", {}) if user else {}
    if "sub" in known and str(known["sub"]) != sub:
        raise web.HTTPError(
            403, "This hub name belongs to another vocloud account; ask the hub's administrator."
        )
    return authentication


c.GenericOAuthenticator.post_auth_hook = one_account_per_name
# The tokens are kept (encrypted with JUPYTERHUB_CRYPT_KEY) for the spawner; before each
# spawn an expired access token is exchanged for a new one with the refresh token.
c.GenericOAuthenticator.enable_auth_state = True
c.GenericOAuthenticator.refresh_pre_spawn = True
c.GenericOAuthenticator.auth_refresh_age = 300


# --- each user's server: on this host, in the user's vocloud storage ----------------------
def user_files(oauth_user: dict) -> Path:
    """``DATA_DIR/users/<id>/files`` from the platform's ``vocloud_storage`` claim."""
    files = (DATA_DIR / str(oauth_user.get("vocloud_storage", ""))).resolve()
    if not files.is_relative_to(DATA_DIR / "users") or files.name != "files":
        raise web.HTTPError(500, "The platform named no storage for this account.")
    files.mkdir(parents=True, exist_ok=True)
    return files


SINGLEUSER = shlex.split(os.environ.get("JUPYTERHUB_SINGLEUSER", "")) or [
    sys.executable,
    "-m",
    "jupyterhub.singleuser",
]
SANDBOX = os.environ.get("JUPYTERHUB_SANDBOX", "bwrap").strip().lower()
HIDDEN = [Path(p) for p in os.environ.get("JUPYTERHUB_SANDBOX_HIDE", "").split(":") if p]
if SANDBOX == "bwrap":
    BWRAP = shutil.which("bwrap") or sys.exit(
        "jupyterhub_config.py: bubblewrap is not installed (Debian: apt install bubblewrap); "
        "without it set JUPYTERHUB_SANDBOX=none, for one person or a trusted group only."
    )
elif SANDBOX != "none":
    sys.exit(f"jupyterhub_config.py: JUPYTERHUB_SANDBOX is bwrap or none, not {SANDBOX!r}.")


def _software_under_tmp() -> list[Path]:
    """The Python environment and the platform's code, where they live under /tmp (a
    checkout or virtual environment there): the server needs them, read-only."""
    code = Path(__file__).resolve().parents[2]  # deploy/jupyterhub/ -> the project root
    places = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent, code}
    return sorted({p.resolve() for p in places if p.resolve().is_relative_to("/tmp")})


def server_command(files: Path, home: Path) -> list[str]:
    """The user's server, confined to its storage (``files``) and home when sandboxed.

    The sandbox sees the host's file system read-only, with the platform's data directory,
    the hub's state and JUPYTERHUB_SANDBOX_HIDE replaced by empty folders; only the user's
    own storage and home come back, read-write. Its own process and IPC namespaces hide the
    platform's processes (and their environments); no capabilities are kept.
    """
    if SANDBOX == "none":
        return SINGLEUSER
    args = [BWRAP, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc"]
    args += ["--unshare-uts", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev"]
    args += ["--proc", "/proc", "--tmpfs", "/tmp"]
    for needed in _software_under_tmp():  # the sandbox's own /tmp would hide them
        args += ["--ro-bind", str(needed), str(needed)]
    for hidden in (DATA_DIR, STATE_DIR, *HIDDEN):
        args += ["--tmpfs", str(hidden)]
    args += ["--bind", str(files), str(files), "--bind", str(home), str(home)]
    return [*args, "--chdir", str(files), "--", *SINGLEUSER]


def vocloud_environment(spawner, auth_state: dict | None) -> None:
    """Root the server at the user's storage and give it the platform's address and token."""
    if not auth_state or "access_token" not in auth_state:
        raise web.HTTPError(403, "Log out and in again: the hub holds no vocloud token for you.")
    files = user_files(auth_state.get("oauth_user") or {})
    home = Path(spawner.home_dir)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    spawner.cmd = server_command(files, home)
    spawner.notebook_dir = str(files)
    spawner.environment = {
        **spawner.environment,
        "VOCLOUD_URL": VOCLOUD_URL,
        "VOCLOUD_TOKEN": auth_state["access_token"],
    }


class VocloudSpawner(SimpleLocalProcessSpawner):
    """A local server run as the hub's own OS user (the owner of the platform's data), in a
    sandbox that shows it only its user's storage (see :func:`server_command`)."""


c.JupyterHub.spawner_class = VocloudSpawner
c.Spawner.auth_state_hook = vocloud_environment
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE_DIR / "home" / "{username}")
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 60
