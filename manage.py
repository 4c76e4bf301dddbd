#!/usr/bin/env python
"""Django's command-line utility for vocloud."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocloud.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:  # a setting is missing: one sentence, no traceback
        sys.exit(f"vocloud cannot start: {exc}")
