import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from tqdm import tqdm

from services.demo import install_demo
from services.storage import user_space


class Command(BaseCommand):
    help = (
        "Create the demo account (once), print its name and password, and give it the demo "
        "spectra: MILES (fetched from PyPI once) or, offline, synthetic H-alpha spectra."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--offline", action="store_true", help="never download; use what is cached"
        )
        parser.add_argument(
            "--synthetic", action="store_true", help="use the synthetic H-alpha set"
        )
        parser.add_argument("--no-data", action="store_true", help="only the account")

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
        if not options["no_data"]:
            self._install_data(user, options)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo account: user 'demo', password '{password}' (kept in {password_file})"
            )
        )

    def _install_data(self, user, options):
        bar = None

        def progress(done, total):
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="spectra", file=self.stderr, leave=False)
            bar.update(done - bar.n)

        space = user_space(settings.DATA_DIR, user.pk).ensure()
        try:
            # The MILES extraction is shared by every account; each account gets a copy.
            installed = install_demo(
                space,
                settings.DATA_DIR / "demo",
                download=not options["offline"],
                synthetic=options["synthetic"],
                say=self.stdout.write,
                progress=progress,
            )
        finally:
            if bar is not None:
                bar.close()
        what = f"{installed.n_new} stored now" if installed.n_new else "already there"
        self.stdout.write(
            f"Demo spectra: {installed.n_spectra} {installed.source} spectra in "
            f"{installed.folder} ({what}); labels in {installed.labels}"
        )
