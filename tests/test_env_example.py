"""deploy/env.example names every VOCLOUD_ setting the code reads from the environment."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ = re.compile(
    r"""(?:env(?:str|int|bool|list)\(\s*|environ(?:\.get\(|\[))["'](VOCLOUD_[A-Z_]+)"""
)


def test_every_setting_is_in_env_example():
    read = set()
    for folder in ("vocloud", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            read |= set(READ.findall(path.read_text()))
    assert len(read) > 15  # the pattern still finds the settings
    example = (ROOT / "deploy" / "env.example").read_text()
    missing = sorted(name for name in read if name not in example)
    assert not missing, f"not in deploy/env.example: {missing}"
