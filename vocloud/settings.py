"""Settings of vocloud, from environment variables only (see deploy/env.example)."""

from datetime import timedelta
from importlib.util import find_spec
from ipaddress import ip_network
from pathlib import Path

from django.utils.csp import CSP

from vocloud.accounts.oidc_key import OIDC_PRIVATE_KEY
from vocloud.env import (
    check_fetch_allow,
    database_from_url,
    envbool,
    envint,
    envlist,
    envstr,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("VOCLOUD_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite needs its directory

DEBUG = envbool("VOCLOUD_DEBUG", False)
# No key lives in the source: quickstart.sh keeps a random one in the data directory; any
# other start without VOCLOUD_SECRET_KEY (or _FILE) and with DEBUG off refuses to start.
SECRET_KEY = secret_key(DEBUG)
ALLOWED_HOSTS = envlist("VOCLOUD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("VOCLOUD_CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "vocloud.portal.errors.csrf_failure"  # the site's 403 page, one sentence
SITE_NAME = envstr("VOCLOUD_SITE_NAME", "vocloud")
# The site's public address, for links in mails (a job's page).
SITE_URL = envstr("VOCLOUD_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# E-mail (to a job's owner when a job they started from the portal ends, if they ask for it):
# printed on the console (the worker's log) unless an SMTP server is named.
_EMAIL_HOST = envstr("VOCLOUD_EMAIL_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": envint("VOCLOUD_EMAIL_PORT", 587),
                "username": envstr("VOCLOUD_EMAIL_USER", ""),
                "password": envstr("VOCLOUD_EMAIL_PASSWORD", ""),
                "use_tls": envbool("VOCLOUD_EMAIL_USE_TLS", True),  # STARTTLS
                "timeout": envint("VOCLOUD_EMAIL_TIMEOUT", 10),  # s; a worker waits no longer
            },
        }
        if _EMAIL_HOST
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = envstr("VOCLOUD_EMAIL_FROM", "vocloud@localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "axes",
    "vocloud.accounts",
    "vocloud.uws",
    "vocloud.files",
    "vocloud.datasets",
    "vocloud.labelling",
    "vocloud.vo",
    "vocloud.portal",
    "vocloud.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as axes asks: it turns a log-in form answer into the lockout page (HTTP 429).
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy of every page (responses with user content set a stricter one of
# their own: vocloud/content.py). Scripts only from here or with the request's nonce; page
# scripts put user text in with textContent, so this is the second lock, not the first.
# Each source beyond 'self' is one that Chromium reported blocked without it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # BokehJS puts <style> elements into its shadow roots and style= attributes on what it
    # draws; neither can carry a nonce ("Applying inline style violates ... style-src").
    # Styles run no script.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    # Bokeh's toolbar icons are data: images in its stylesheets.
    "img-src": [CSP.SELF, "data:"],
    # sampjs talks to the SAMP Web Profile hub on the user's machine (always this URL).
    "connect-src": [CSP.SELF, "http://localhost:21012"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Pages that draw Bokeh plots (views marked with vocloud.plots.plot_page) may also eval:
# regl, BokehJS's WebGL layer, builds its draw calls with Function(); blocked, the plots
# fall back to a canvas that does not keep up with 100k points.
VOCLOUD_CSP_PLOT_PAGES = {**SECURE_CSP, "script-src": [CSP.SELF, CSP.NONCE, CSP.UNSAFE_EVAL]}

ROOT_URLCONF = "vocloud.urls"
WSGI_APPLICATION = "vocloud.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "vocloud.portal.context.site",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(envstr("VOCLOUD_DATABASE_URL", ""), DATA_DIR / "vocloud.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- log-in throttling (django-axes; vocloud/accounts/throttling.py) ------------------------
# Failed log-ins through the form and through HTTP Basic are counted in the database, which
# every web worker shares. A user name is refused from an address after
# VOCLOUD_LOGIN_FAILURE_LIMIT failures, until VOCLOUD_LOGIN_COOLOFF_MINUTES have passed since
# the last one; by name and address together, so that nobody elsewhere can lock a colleague
# out. Against trying a few passwords on many names, an address is refused for every name
# after VOCLOUD_LOGIN_ADDRESS_FAILURE_LIMIT failures (0: no such limit); everyone behind that
# address (a NAT) then waits too, hence a limit far above the one per name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out client costs no password hash
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "vocloud.accounts.throttling.LoginThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = max(1, envint("VOCLOUD_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=max(1, envint("VOCLOUD_LOGIN_COOLOFF_MINUTES", 15)))
VOCLOUD_LOGIN_ADDRESS_FAILURE_LIMIT = max(0, envint("VOCLOUD_LOGIN_ADDRESS_FAILURE_LIMIT", 50))
# Attempts refused during a lockout do not prolong it: "wait N minutes" stays true, and a
# refused attempt writes nothing. A success clears that name's failures at that address.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no history of successful log-ins: personal data, unbounded
AXES_CLIENT_IP_CALLABLE = "vocloud.accounts.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "vocloud.accounts.throttling.lockout_response"
# X-Forwarded-For is believed only from these proxies (addresses or networks, comma-separated),
# e.g. 127.0.0.1,::1 for deploy/nginx/vocloud.conf on the same host. Empty: REMOTE_ADDR only.
VOCLOUD_TRUSTED_PROXIES = [
    ip_network(proxy, strict=False) for proxy in envlist("VOCLOUD_TRUSTED_PROXIES", [])
]

# Messages pass through services.messages.for_user (no server path reaches a page).
MESSAGE_STORAGE = "vocloud.portal.messages.UserMessageStorage"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# BokehJS comes from the bokeh wheel itself, served by us: no CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bokeh", Path(find_spec("bokeh").origin).parent / "server" / "static"),
]
STATIC_ROOT = DATA_DIR / "static"  # filled by collectstatic (quickstart does it)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one

# Uploads: whole files above this go to disk while they stream in.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vocloud.accounts.auth.CachedBasicAuthentication",
        "vocloud.accounts.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# --- vocloud as an OAuth2 / OpenID Connect provider (JupyterHub: deploy/jupyterhub) -------
# Authorization code with PKCE (S256) only; the ID tokens' RSA key comes from
# VOCLOUD_OIDC_RSA_KEY(_FILE) or is made once in DATA_DIR (vocloud/accounts/oidc_key.py).
# Access tokens are kept as their SHA-256 only. The issuer is the address the request came
# to (https behind nginx, through SECURE_PROXY_SSL_HEADER).
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_PRIVATE_KEY,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_VALIDATOR_CLASS": "vocloud.accounts.oidc.VocloudValidator",
    "SCOPES": {
        "openid": "Know who you are on this platform",
        "profile": "Your user name and full name",
        "vocloud": "Use the platform as you: your files, datasets and jobs",
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    # Behind HTTPS a client's callback must be https too (the code must not travel in clear).
    "ALLOWED_REDIRECT_URI_SCHEMES": (
        ["https"] if envbool("VOCLOUD_HTTPS", False) else ["http", "https"]
    ),
    # A notebook's VOCLOUD_TOKEN lives this long; JupyterHub refreshes it at the next spawn.
    "ACCESS_TOKEN_EXPIRE_SECONDS": envint("VOCLOUD_OAUTH_ACCESS_TOKEN_SECONDS", 12 * 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 86400,  # a month away from the hub: log in again
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

# --- jobs --------------------------------------------------------------------------
# "" means the embedded Redis server that `manage.py serve` starts on a unix socket in
# DATA_DIR/run; otherwise redis://host:port/db, unix:///path.sock or amqp://... (RabbitMQ).
VOCLOUD_BROKER_URL = envstr("VOCLOUD_BROKER_URL", "")
VOCLOUD_JOBS_DIR = DATA_DIR / "jobs"
# Longest blocking WAIT on a job (s); pyvo polls with a 10 s and waits with a 600 s timeout.
VOCLOUD_UWS_MAX_WAIT = max(1, min(60, envint("VOCLOUD_UWS_MAX_WAIT", 60)))
# Blocking WAITs one user may hold at once in one web process (each holds a thread).
VOCLOUD_UWS_MAX_WAITS_PER_USER = max(1, envint("VOCLOUD_UWS_MAX_WAITS_PER_USER", 4))
# Jobs live this long unless their owner asks for less (days), and never longer.
VOCLOUD_DESTRUCTION_DAYS = envint("VOCLOUD_DESTRUCTION_DAYS", 30)
# A job whose worker has not reported for this long is declared lost (s).
VOCLOUD_HEARTBEAT_TIMEOUT = envint("VOCLOUD_HEARTBEAT_TIMEOUT", 15)
# Signed links to job results and stored files (for TOPCAT, SPLAT) stay valid this long (s).
VOCLOUD_SIGNED_URL_LIFETIME = envint("VOCLOUD_SIGNED_URL_LIFETIME", 24 * 3600)
# A user's VO service URL with its capability (for TOPCAT, Aladin: no log-in) stays valid
# this long (s), unless revoked with the other signed links; rows one SSAP answer may hold.
VOCLOUD_VO_URL_LIFETIME = envint("VOCLOUD_VO_URL_LIFETIME", 180 * 24 * 3600)
VOCLOUD_VO_MAXREC = max(1, envint("VOCLOUD_VO_MAXREC", 10_000))
VOCLOUD_WORKER_THREADS = envint("VOCLOUD_WORKER_THREADS", 8)
# Per user: jobs kept at all, jobs queued or executing (PHASE=RUN beyond it is refused with
# 429), and jobs executing at once (a worker defers the others, so one user cannot take every
# worker thread while others wait).
VOCLOUD_MAX_JOBS_PER_USER = envint("VOCLOUD_MAX_JOBS_PER_USER", 10_000)
VOCLOUD_MAX_ACTIVE_JOBS_PER_USER = envint("VOCLOUD_MAX_ACTIVE_JOBS_PER_USER", 100)
VOCLOUD_MAX_RUNNING_JOBS_PER_USER = envint("VOCLOUD_MAX_RUNNING_JOBS_PER_USER", 4)
# A gpu-queue worker compiles UMAP in its job fork server at start (jobs then project warm).
VOCLOUD_WARM_PROJECTION = envbool("VOCLOUD_WARM_PROJECTION", True)
# Storage: the default per-user quota (the admin sets others), the largest upload, and the
# caps on an uploaded archive's extracted bytes, member count and compression ratio.
VOCLOUD_DEFAULT_QUOTA_BYTES = envint("VOCLOUD_DEFAULT_QUOTA_BYTES", 5 * 1024**3)
VOCLOUD_MAX_UPLOAD_BYTES = envint("VOCLOUD_MAX_UPLOAD_BYTES", 2 * 1024**3)
VOCLOUD_ARCHIVE_MAX_BYTES = envint("VOCLOUD_ARCHIVE_MAX_BYTES", 2 * 1024**3)
VOCLOUD_ARCHIVE_MAX_MEMBERS = envint("VOCLOUD_ARCHIVE_MAX_MEMBERS", 100_000)
VOCLOUD_ARCHIVE_MAX_RATIO = envint("VOCLOUD_ARCHIVE_MAX_RATIO", 200)
# Outbound fetches (ingest sources, VO services, the SSAP preview): internal addresses
# (loopback, private, link-local, ...) are refused unless listed here as IPs or CIDR
# networks, each with an optional :port ("10.1.0.0/16, 192.168.1.5:8443"); every request
# ends after the deadline (s) and a document read into memory (listing, VOTable) is capped.
VOCLOUD_FETCH_ALLOW = envstr("VOCLOUD_FETCH_ALLOW", "")
check_fetch_allow(VOCLOUD_FETCH_ALLOW)
VOCLOUD_FETCH_DEADLINE = envint("VOCLOUD_FETCH_DEADLINE", 900)
VOCLOUD_FETCH_MAX_DOCUMENT_BYTES = envint("VOCLOUD_FETCH_MAX_DOCUMENT_BYTES", 64 * 1024**2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("VOCLOUD_LOG_LEVEL", "INFO")},
    # axes logs every login at INFO (names masked): warnings are enough in the server's log
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if envbool("VOCLOUD_HTTPS", False):
        SESSION_COOKIE_SECURE = True
        CSRF_COOKIE_SECURE = True
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
