"""Jobs through the platform's UWS interface: submit, follow, fetch results.

A job made here is an ordinary UWS job (``/uws/<kind>/async/<id>``): pyvo, the portal and
this client all see the same thing.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vocloud.client import params as parameters
from vocloud.client.http import API, VocloudError
from vocloud.client.uws import JobState, ResultRef, parse_job

if TYPE_CHECKING:
    import numpy as np
    from astropy.table import Table

    from vocloud.client.http import Client

#: Seconds one blocking WAIT may last while a progress bar is shown (it is redrawn after each).
PROGRESS_WAIT_S = 2
QUIET_WAIT_S = 30


class Jobs:
    """Job kinds and jobs: ``kinds()``, ``describe(kind)``, ``submit(kind, **params)``,
    ``get(job_id, kind)``."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._declared: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"<jobs of {self._client.url}>"

    def kinds(self) -> list[dict[str, Any]]:
        """Each kind's ``name``, ``title``, ``summary`` and ``parameters``."""
        return self._client.get_json(f"{API}/kinds/")["kinds"]

    def describe(self, kind: str) -> dict[str, Any]:
        """One kind: its description and each parameter's ``name``, ``type``, ``default``,
        ``required``, ``choices``, ``minimum``/``maximum`` and ``help``."""
        if kind not in self._declared:
            self._declared[kind] = self._client.get_json(f"{API}/kinds/{kind}/")
        return self._declared[kind]

    def submit(self, kind: str, *, run: bool = True, **params: Any) -> Job:
        """Create a job of ``kind`` (and start it unless ``run`` is False).

        Parameters are keyword arguments named as the kind declares them (any case), and
        are checked against its declaration before anything is sent: a wrong name, type,
        choice or bound raises VocloudError naming the parameter. UWS's own ``runid``,
        ``executionduration`` and ``destruction`` are taken too.
        """
        declared = self.describe(kind)["parameters"]
        values, files = parameters.prepare(kind, declared, params)
        response = self._client.request(
            "POST", f"/uws/{kind}/async", data=values, files=files or None, allow_redirects=False
        )
        location = response.headers.get("Location", "")
        if response.status_code != 303 or not location:
            raise VocloudError(f"The platform made no {kind} job (HTTP {response.status_code}).")
        job = Job(self._client, kind, location.rstrip("/").rpartition("/")[2])
        if run:
            job.run()
        return job

    def get(self, job_id: str, kind: str) -> Job:
        """An existing job of yours (VocloudError 404 if there is none such)."""
        job = Job(self._client, kind, job_id)
        job.state()
        return job

    def list(self, kind: str, phase: str | None = None) -> list[str]:
        """The ids of your jobs of ``kind`` (only those in ``phase`` if given)."""
        import xml.etree.ElementTree as ET

        from vocloud.client.uws import UWS

        params = {"PHASE": phase} if phase else None
        document = self._client.request("GET", f"/uws/{kind}/async", params=params).content
        return [node.get("id", "") for node in ET.fromstring(document).iter(f"{UWS}jobref")]


class Job:
    """One UWS job of the user's.

    Attributes
    ----------
    kind, job_id : str
    url : str
        Its UWS address (pyvo's ``AsyncTAPJob(url)`` drives the same job).
    """

    def __init__(self, client: Client, kind: str, job_id: str) -> None:
        self._client = client
        self.kind = kind
        self.job_id = job_id
        self.url = client.absolute(f"/uws/{kind}/async/{job_id}")

    def __repr__(self) -> str:
        return f"<{self.kind} job {self.job_id}>"

    def state(self, wait: int | None = None) -> JobState:
        """The job document now (or after a blocking WAIT of at most ``wait`` seconds)."""
        params = {"WAIT": wait} if wait else None
        timeout = self._client.timeout + (wait or 0)
        response = self._client.request("GET", self.url, params=params, timeout=timeout)
        return parse_job(response.content)

    @property
    def phase(self) -> str:
        return self.state().phase

    def run(self) -> None:
        self._client.request("POST", f"{self.url}/phase", data={"PHASE": "RUN"})

    def abort(self) -> None:
        self._client.request("POST", f"{self.url}/phase", data={"PHASE": "ABORT"})

    def delete(self) -> None:
        self._client.request("DELETE", self.url, allow_redirects=False)

    def follow(self, progress: bool = True, timeout: float | None = None) -> str:
        """Wait until the job ends; its final phase.

        Parameters
        ----------
        progress : bool
            Show a progress bar (a widget in Jupyter) fed by the job's reported progress.
        timeout : float, optional
            Give up after this many seconds (VocloudError); wait for ever if None.

        Raises
        ------
        VocloudError
            With the job's error summary if it ends in ERROR.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = _bar(self) if progress else None
        try:
            state = self.state()
            while not state.finished:
                if deadline is not None and time.monotonic() > deadline:
                    raise VocloudError(f"{self} is still {state.phase} after {timeout} s.")
                if bar is not None:
                    _draw(bar, state)
                if state.phase == "PENDING":
                    raise VocloudError(f"{self} is PENDING: start it with run() first.")
                if state.phase == "HELD":
                    time.sleep(1)  # WAIT returns at once for a job that is not active
                    state = self.state()
                    continue
                state = self.state(wait=PROGRESS_WAIT_S if bar is not None else QUIET_WAIT_S)
            if bar is not None:
                _draw(bar, state, final=True)
        finally:
            if bar is not None:
                bar.close()
        if state.phase == "ERROR":
            raise VocloudError(f"{self} failed: {state.error or 'no reason was given'}")
        return state.phase

    def results(self) -> list[ResultRef]:
        """The results of a COMPLETED job: ``id``, ``href``, ``size``, ``mime_type``."""
        return self.state().results

    def _result(self, result_id: str) -> ResultRef:
        found = {r.id: r for r in self.results()}
        if result_id not in found:
            known = ", ".join(found) or "none yet"
            raise VocloudError(f"{self} has no result {result_id!r} (it has: {known}).")
        return found[result_id]

    def content(self, result_id: str) -> bytes:
        """The bytes of one result."""
        return self._client.request("GET", self._result(result_id).href).content

    def download(self, result_id: str, path: str | os.PathLike) -> Path:
        """Write one result to the local ``path`` (a folder: under the result's own name)."""
        ref = self._result(result_id)
        response = self._client.request("GET", ref.href, stream=True)
        target = Path(path)
        if target.is_dir():
            target = target / _file_name(response, ref)
        with target.open("wb") as out:
            for block in response.iter_content(1024 * 1024):
                out.write(block)
        return target

    def table(self, result_id: str) -> Table:
        """A VOTable, FITS or CSV result as an astropy Table."""
        from astropy.table import Table

        ref = self._result(result_id)
        response = self._client.request("GET", ref.href)
        fmt = _table_format(ref.mime_type, _file_name(response, ref))
        if fmt is None:
            raise VocloudError(f"Result {result_id!r} ({ref.mime_type}) is not a table.")
        return Table.read(io.BytesIO(response.content), format=fmt)

    def array(self, result_id: str) -> np.ndarray | dict[str, np.ndarray]:
        """A ``.npy`` result as a NumPy array (a ``.npz`` one: a dict of arrays by name)."""
        import numpy as np

        loaded = np.load(io.BytesIO(self.content(result_id)), allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {name: loaded[name] for name in loaded.files}
        return loaded

    def model(self, result_id: str = "model") -> Any:
        """A Keras model result, loaded (needs Keras; imported only here)."""
        try:
            import keras
        except ImportError:
            raise VocloudError("Loading a model needs Keras: pip install keras.") from None
        # The platform's own layers (MC dropout, heads), when this runs beside the platform.
        with contextlib.suppress(ImportError):
            import services.models.heads
            import services.models.layers  # noqa: F401
        with tempfile.TemporaryDirectory() as folder:
            path = self.download(result_id, folder)
            if path.suffix not in (".keras", ".h5"):
                path = path.rename(path.with_suffix(".keras"))
            return keras.models.load_model(path, compile=False)

    def json(self, result_id: str) -> Any:
        """A JSON result (metrics, history...) as Python values."""
        import json

        return json.loads(self.content(result_id))


def _file_name(response, ref: ResultRef) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    if "filename=" in disposition:
        name = disposition.split("filename=", 1)[1].split(";")[0].strip().strip('"')
        if name:
            return os.path.basename(name)
    return ref.id


def _table_format(mime_type: str, name: str) -> str | None:
    lower, mime = name.lower(), mime_type.split(";")[0].strip().lower()
    if "votable" in mime or lower.endswith((".vot", ".xml", ".votable")):
        return "votable"
    if "fits" in mime or lower.endswith((".fits", ".fit", ".fits.gz")):
        return "fits"
    if mime in ("text/csv", "text/plain") or lower.endswith(".csv"):
        return "ascii.csv"
    if lower.endswith(".ecsv"):
        return "ascii.ecsv"
    return None


def _bar(job: Job):
    from tqdm.auto import tqdm

    return tqdm(total=100, desc=f"{job.kind} {job.job_id}", unit="%")


def _draw(bar, state: JobState, final: bool = False) -> None:
    done = 100.0 if final and state.phase == "COMPLETED" else 100.0 * (state.progress or 0.0)
    bar.n = round(min(100.0, max(0.0, done)), 1)
    bar.set_postfix_str(f"{state.phase} {state.message}".strip()[:60], refresh=False)
    bar.refresh()
