"""Settings of vocloud, from environment variables only (see deploy/env.example)."""

from importlib.util import find_spec
from pathlib import Path

from vocloud.env import database_from_url, envbool, envint, envlist, envstr, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("VOCLOUD_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite needs its directory

DEBUG = envbool("VOCLOUD_DEBUG", False)
# No key lives in the source: quickstart.sh keeps a random one in the data directory; any
# other start without VOCLOUD_SECRET_KEY (or _FILE) and with DEBUG off refuses to start.
SECRET_KEY = secret_key(DEBUG)
ALLOWED_HOSTS = envlist("VOCLOUD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("VOCLOUD_CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = envstr("VOCLOUD_SITE_NAME", "vocloud")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "vocloud.accounts",
    "vocloud.uws",
    "vocloud.files",
    "vocloud.datasets",
    "vocloud.labelling",
    "vocloud.portal",
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
]

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

# --- jobs --------------------------------------------------------------------------
# "" means the embedded Redis server that `manage.py serve` starts on a unix socket in
# DATA_DIR/run; otherwise redis://host:port/db, unix:///path.sock or amqp://... (RabbitMQ).
VOCLOUD_BROKER_URL = envstr("VOCLOUD_BROKER_URL", "")
VOCLOUD_JOBS_DIR = DATA_DIR / "jobs"
# Longest blocking WAIT on a job (s); pyvo polls with a 10 s and waits with a 600 s timeout.
VOCLOUD_UWS_MAX_WAIT = max(1, min(60, envint("VOCLOUD_UWS_MAX_WAIT", 60)))
# Jobs live this long unless their owner asks for less (days), and never longer.
VOCLOUD_DESTRUCTION_DAYS = envint("VOCLOUD_DESTRUCTION_DAYS", 30)
# A job whose worker has not reported for this long is declared lost (s).
VOCLOUD_HEARTBEAT_TIMEOUT = envint("VOCLOUD_HEARTBEAT_TIMEOUT", 15)
# Signed links to job results and stored files (for TOPCAT, SPLAT) stay valid this long (s).
VOCLOUD_SIGNED_URL_LIFETIME = envint("VOCLOUD_SIGNED_URL_LIFETIME", 24 * 3600)
VOCLOUD_WORKER_THREADS = envint("VOCLOUD_WORKER_THREADS", 8)
# A gpu-queue worker compiles UMAP in its job fork server at start (jobs then project warm).
VOCLOUD_WARM_PROJECTION = envbool("VOCLOUD_WARM_PROJECTION", True)
# Storage: the default per-user quota (the admin sets others), the largest upload, and the
# caps on an uploaded archive's extracted bytes, member count and compression ratio.
VOCLOUD_DEFAULT_QUOTA_BYTES = envint("VOCLOUD_DEFAULT_QUOTA_BYTES", 5 * 1024**3)
VOCLOUD_MAX_UPLOAD_BYTES = envint("VOCLOUD_MAX_UPLOAD_BYTES", 2 * 1024**3)
VOCLOUD_ARCHIVE_MAX_BYTES = envint("VOCLOUD_ARCHIVE_MAX_BYTES", 2 * 1024**3)
VOCLOUD_ARCHIVE_MAX_MEMBERS = envint("VOCLOUD_ARCHIVE_MAX_MEMBERS", 100_000)
VOCLOUD_ARCHIVE_MAX_RATIO = envint("VOCLOUD_ARCHIVE_MAX_RATIO", 200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("VOCLOUD_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if envbool("VOCLOUD_HTTPS", False):
        SESSION_COOKIE_SECURE = True
        CSRF_COOKIE_SECURE = True
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
