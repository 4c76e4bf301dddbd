"""Register JupyterHub as a trusted OAuth2/OpenID Connect client of this platform.

    manage.py jupyterhub_client --redirect-uri https://hub.example.org/hub/oauth_callback \
        --output /etc/jupyterhub/vocloud-client.env

Creates the application (or updates the one of that name) and gives it a new client secret
each run: the old one stops working. The secret is printed, or written with the client id to
``--output`` (mode 0600, ``JUPYTERHUB_CLIENT_ID=...`` lines that deploy/jupyterhub reads).
The platform keeps only a hash of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings


class Command(BaseCommand):
    help = "Create or update JupyterHub's OAuth2 client; print or write its id and secret."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            help="the hub's callback, e.g. https://hub.example.org/hub/oauth_callback "
            "(repeat for several)",
        )
        parser.add_argument("--name", default="JupyterHub", help="the application's name")
        parser.add_argument(
            "--output", type=Path, help="write JUPYTERHUB_CLIENT_ID/_SECRET here (mode 0600)"
        )

    def handle(self, redirect_uri: list[str], name: str, output: Path | None, **options):
        schemes = oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
        for uri in redirect_uri:
            parts = urlsplit(uri)
            if parts.scheme not in schemes or not parts.netloc or parts.fragment:
                raise CommandError(
                    f"{uri!r} is not an {' or '.join(schemes)} address without a #fragment."
                )
        model = get_application_model()
        secret = generate_client_secret()
        application = model.objects.filter(name=name).first() or model(name=name)
        application.client_type = model.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = model.GRANT_AUTHORIZATION_CODE
        application.algorithm = model.RS256_ALGORITHM
        application.redirect_uris = " ".join(redirect_uri)
        application.skip_authorization = True  # trusted: the user logs in, sees no consent page
        application.hash_client_secret = True
        application.client_secret = secret
        application.save()
        lines = f"JUPYTERHUB_CLIENT_ID={application.client_id}\nJUPYTERHUB_CLIENT_SECRET={secret}\n"
        if output is None:
            self.stdout.write(lines, ending="")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode otherwise
        with os.fdopen(descriptor, "w") as out:
            out.write(lines)
        self.stdout.write(f"client {application.client_id} of {name!r} written to {output}")
