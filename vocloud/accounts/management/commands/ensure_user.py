from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a user, or reset the password of an existing one."
    requires_system_checks = []  # no URL configuration to import: starts in 0.5 s, not 3

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("password")
        parser.add_argument("--staff", action="store_true", help="staff and superuser")

    def handle(self, username, password, staff, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        if staff:
            user.is_staff = user.is_superuser = True
        user.save()
        self.stdout.write(f"{'created' if created else 'updated'} user {username}")
