"""Headless Chromium (Debian's) driven by Playwright, for page tests."""

import os
import shutil

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("VOCLOUD_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("Debian's chromium is not installed (deploy/test.sh installs it as root)")
    return path


def screenshot_dir(tmp_path):
    """Where page screenshots go: $VOCLOUD_SCREENSHOTS if set, else the test's tmp dir."""
    target = os.environ.get("VOCLOUD_SCREENSHOTS")
    if target:
        os.makedirs(target, exist_ok=True)
        return target
    return str(tmp_path)
