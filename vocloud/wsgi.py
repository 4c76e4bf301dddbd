"""WSGI entry point (gunicorn vocloud.wsgi).

Every view is imported here, not on a worker's first request: with gunicorn's
``--preload`` (as ``manage.py serve`` runs it) that happens once, in the master, and the
workers are forked with it (~2.5 s of imports per worker saved, and no slow first request).
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocloud.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports the URL configuration and every view)
