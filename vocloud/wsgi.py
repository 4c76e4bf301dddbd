"""WSGI entry point (gunicorn vocloud.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocloud.settings")
application = get_wsgi_application()
