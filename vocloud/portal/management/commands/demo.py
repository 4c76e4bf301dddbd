import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo account (once) and print its name and password."

    def handle(self, **options):
        password_file = settings.DATA_DIR / "demo-password.txt"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(9) + "\n")
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        user, created = get_user_model().objects.get_or_create(username="demo")
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo account: user 'demo', password '{password}' (kept in {password_file})"
            )
        )
