"""The container files agree with the code: deploy/container/Containerfile, entrypoint.sh and
deploy/compose.yaml (docs/container.md).

The static checks always run. Building the image and running it needs a container engine and
minutes (TensorFlow is large): those tests run only with VOCLOUD_TEST_CONTAINER=1 and a working
``docker info``. PIP_INDEX_URL and PIP_TRUSTED_HOST, when set, go to the build as arguments.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from vocloud.uws.kinds import QUEUES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CONTAINERFILE = DEPLOY / "container" / "Containerfile"
ENTRYPOINT = DEPLOY / "container" / "entrypoint.sh"
COMPOSE = DEPLOY / "compose.yaml"
VOCLOUD_SERVICES = ("web", "worker-cpu", "worker-gpu", "janitor")
IMAGE = "vocloud:test"


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read deploy/compose.yaml")
    return yaml.safe_load(COMPOSE.read_text())


def management_commands() -> set[str]:
    return {
        path.stem
        for path in ROOT.glob("vocloud/*/management/commands/*.py")
        if not path.stem.startswith("_")
    }


def env_example_names() -> set[str]:
    text = (DEPLOY / "env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))


def systemd_exec(unit: str) -> list[str]:
    """ExecStart of a unit, as arguments, without the virtual environment's path."""
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    args = shlex.split(re.search(r"^ExecStart=(.*)$", text, re.M).group(1))
    return [Path(args[0]).name, *args[1:]]


def systemd_environment() -> set[str]:
    names = set()
    for unit in (DEPLOY / "systemd").glob("*.service"):
        names |= set(re.findall(r"^Environment=([A-Z][A-Z0-9_]*)=", unit.read_text(), re.M))
    return names


def without_bind(args: list[str]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--bind":
            skip = True
        else:
            out.append(arg)
    return out


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile, continuation lines joined."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    return [
        (match.group(1).upper(), match.group(2).strip())
        for match in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.M)
    ]


# --- compose ------------------------------------------------------------------------------


def test_services_are_all_there(compose):
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", *VOCLOUD_SERVICES}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name in VOCLOUD_SERVICES:
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == CONTAINERFILE
    assert len({services[n]["image"] for n in VOCLOUD_SERVICES}) == 1  # one image


def test_redis_keeps_its_queue_on_disk(compose):
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in compose["services"]["redis"]["volumes"])


def test_commands_name_real_programs_and_queues(compose):
    services = compose["services"]
    commands = management_commands()
    assert {"worker", "janitor"} <= commands
    served = set()
    for name in VOCLOUD_SERVICES:
        command = services[name]["command"]
        if command[0] == "gunicorn":
            module, _, attribute = command[1].partition(":")
            path = ROOT / (module.replace(".", "/") + ".py")
            assert path.exists(), command[1]
            assert re.search(rf"^{attribute} = ", path.read_text(), re.M), command[1]
            port = command[command.index("--bind") + 1].rsplit(":", 1)[1]
            assert any(p.endswith(f":{port}") for p in services[name]["ports"])
            assert f"EXPOSE {port}" in CONTAINERFILE.read_text()
            continue
        assert command[:2] == ["python", "manage.py"], name
        assert command[2] in commands, name
        if command[2] == "worker":
            queues = command[command.index("--queues") + 1 :]
            queues = queues[: next((i for i, a in enumerate(queues) if a.startswith("-")), None)]
            assert set(queues) <= set(QUEUES), name
            served |= set(queues)
    assert served == set(QUEUES) == {"cpu", "gpu"}


def test_commands_match_the_systemd_units(compose):
    services = compose["services"]
    units = {
        "web": "vocloud-web.service",
        "worker-cpu": "vocloud-worker-cpu@.service",
        "worker-gpu": "vocloud-worker-gpu@.service",
        "janitor": "vocloud-janitor.service",
    }
    for name, unit in units.items():
        assert without_bind(services[name]["command"]) == without_bind(systemd_exec(unit)), name


def test_entrypoint_shorthands_match_compose(compose):
    text = ENTRYPOINT.read_text().replace("\\\n", " ")
    shorthands = dict(re.findall(r"^\s*([\w-]+)\)\s*\n\s*set -- (.*?) ;;", text, re.M))
    assert set(shorthands) == set(VOCLOUD_SERVICES)
    for name, command in shorthands.items():
        assert shlex.split(command) == compose["services"][name]["command"], name


def test_environment_names_exist(compose):
    known = env_example_names()
    assert "VOCLOUD_DATABASE_URL" in known  # the pattern still reads env.example
    extra = systemd_environment()  # KERAS_BACKEND and friends of the GPU unit
    for name in VOCLOUD_SERVICES:
        environment = compose["services"][name]["environment"]
        assert isinstance(environment, dict), name
        unknown = sorted(set(environment) - known - extra)
        assert not unknown, f"{name}: not in deploy/env.example: {unknown}"
    # Variables Compose itself substitutes are in env.example or explained in the docs.
    docs = (ROOT / "docs" / "container.md").read_text()
    for variable in set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text())):
        assert variable in known or variable in docs, variable


def test_one_data_volume_for_web_and_workers(compose):
    services = compose["services"]
    mounts = set()
    for name in VOCLOUD_SERVICES:
        data_dir = services[name]["environment"]["VOCLOUD_DATA_DIR"]
        mine = [v for v in services[name]["volumes"] if v.split(":")[1] == data_dir]
        assert len(mine) == 1, name
        mounts.add(mine[0].split(":")[0])
    assert len(mounts) == 1
    assert mounts <= set(compose["volumes"])  # a named volume, not a host folder


def test_gpu_reservation_is_documented_in_place():
    text = COMPOSE.read_text()
    block = text[text.index("  worker-gpu:") : text.index("  janitor:")]
    for line in ("# deploy:", "#   resources:", "#     reservations:", "#       devices:"):
        assert line in block
    assert "driver: nvidia" in block and "capabilities: [gpu]" in block


# --- Containerfile ------------------------------------------------------------------------


def test_containerfile_installs_the_project_and_drops_root():
    steps = instructions(CONTAINERFILE.read_text())
    args = dict(a.split("=", 1) for kind, a in steps if kind == "ARG" and "=" in a)
    assert args["PYTHON_IMAGE"] == "python:3.12-slim-bookworm"
    assert next(a for kind, a in steps if kind == "FROM").startswith("${PYTHON_IMAGE}")
    runs = " ".join(a for kind, a in steps if kind == "RUN")
    assert re.search(r"pip install \"\$spec\"", runs) and 'spec=".[${VOCLOUD_EXTRAS}]"' in runs
    assert "spec=." in runs  # without extras: pip install .
    assert "manage.py collectstatic" in runs
    users = [a for kind, a in steps if kind == "USER"]
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert ("ENTRYPOINT", '["vocloud-entrypoint"]') in steps
    assert ("COPY", "deploy/container/entrypoint.sh /usr/local/bin/vocloud-entrypoint") in steps


def dockerignored(path: str) -> bool:
    """Whether .dockerignore leaves ``path`` out (its patterns without "!" exceptions)."""
    patterns = [
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "teach this test about exceptions"
    parts = Path(path).parts
    for pattern in patterns:
        anywhere = pattern.startswith("**/")
        pattern = pattern.removeprefix("**/")
        for i in range(len(parts)):
            candidate = "/".join(parts[i : i + 1] if anywhere else parts[: i + 1])
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
    return False


def test_containerfile_copies_what_exists_and_is_in_the_context():
    for kind, arguments in instructions(CONTAINERFILE.read_text()):
        if kind != "COPY" or arguments.startswith("--from"):
            continue
        sources = [a for a in shlex.split(arguments) if not a.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not dockerignored(source), f"{source} is excluded by .dockerignore"
    for excluded in (".venv", "var", ".git", "services/__pycache__"):
        assert dockerignored(excluded), excluded


def test_entrypoint_is_valid_sh():
    sh = shutil.which("sh")
    if not sh:
        pytest.skip("no sh")
    done = subprocess.run([sh, "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- the image, built and run (opt-in) -----------------------------------------------------


def docker(*args: str, check: bool = True, timeout: float = 120, **kwargs):
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check, **kwargs
    )


@pytest.fixture(scope="module")
def image():
    if os.environ.get("VOCLOUD_TEST_CONTAINER") != "1":
        pytest.skip("building the image takes minutes: set VOCLOUD_TEST_CONTAINER=1")
    if not shutil.which("docker"):
        pytest.skip("no docker command")
    try:
        info = docker("info", check=False, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.skip("docker info did not answer")
    if info.returncode != 0:
        pytest.skip(f"no container engine: docker info: {info.stderr.strip()[-300:]}")
    env = dict(os.environ)
    if docker("buildx", "version", check=False, timeout=30).returncode != 0:
        env["DOCKER_BUILDKIT"] = "0"  # an engine without the buildx plugin: legacy builder
    command = ["build", "-f", str(CONTAINERFILE), "-t", IMAGE]
    for name in ("PIP_INDEX_URL", "PIP_TRUSTED_HOST"):
        if os.environ.get(name):
            command += ["--build-arg", f"{name}={os.environ[name]}"]
    built = docker(*command, str(ROOT), check=False, timeout=1800, env=env)
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    return IMAGE


@pytest.mark.timeout(1900)
def test_image_passes_django_checks(image):
    done = docker("run", "--rm", image, "python", "manage.py", "check", check=False)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout
    user = docker("run", "--rm", image, "id", "-u").stdout.strip()
    assert user != "0"


@pytest.mark.timeout(1900)
def test_image_serves_health_on_sqlite(image):
    """The web role alone: migrate on SQLite in the data directory, gunicorn, /health."""
    container = docker("run", "-d", "-p", "127.0.0.1::8000", image, "web").stdout.strip()
    try:
        port = docker("port", container, "8000/tcp").stdout.split()[0].rsplit(":", 1)[1]
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and answer is None:
            url = f"http://127.0.0.1:{port}/health"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as r:
                answer = (r.status, r.read())
            time.sleep(1)
        logs = docker("logs", container, check=False)
        assert answer == (200, b"ok\n"), logs.stdout + logs.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/vocloud.css") as css:
            assert css.status == 200
    finally:
        docker("rm", "-f", container, check=False)
