"""A real SAMP hub (pyvo) with the Web Profile, and a real client that records what it gets.

Fixtures (registered for every test by ``pytest_plugins`` in tests/conftest.py):

``samp_hub``
    The running hub (a :class:`WebHub`): ``pyvo.samp.SAMPHubServer`` with the Web Profile
    on 127.0.0.1:21012 (the fixed port browsers look at), a private lockfile in a temporary
    directory named by ``SAMP_HUB`` (so pyvo clients find it and nothing on the machine
    does), ``pyvo.samp.conf.use_internet = False``, and ``.dialog``, a consent dialog that
    approves every web registration (``samp_hub.dialog.approve = False`` refuses them; its
    ``.requests`` lists the names and origins that asked).
``samp_receiver``
    A :class:`Receiver`, a ``pyvo.samp.SAMPIntegratedClient`` named "receiver" that
    subscribes to ``table.load.votable``, ``table.load.fits``, ``table.select.rowList`` and
    ``spectrum.load.ssa-generic`` and records each message (``.wait_for(mtype)`` returns
    them); ``.broadcast(mtype, params)`` sends one, as TOPCAT would. It answers calls as
    TOPCAT and SPLAT do: it fetches the URL and reads the table (astropy) before replying
    ``samp.ok``, and replies ``samp.error`` with TOPCAT's own ``samp.errortxt`` to a
    table-id it has loaded already; ``.fail_loads(text)`` makes it refuse every load with
    that text, ``.replying = False`` makes it never reply. ``.loaded`` lists what it read.
``no_samp_hub``
    Stops the hub (if a test before started it) for a test of what a page does without one;
    it is the same :class:`WebHub`, so ``no_samp_hub.start()`` brings it back mid-test.

A labelling test, say, asks for ``samp_hub, samp_receiver, page``, drives the page and
asserts on ``samp_receiver.wait_for("table.load.votable")``.

The hub is pyvo's, with one change (:class:`LongPollHub`): a web page's pullCallbacks
waits for a callback, as TOPCAT's (JSAMP) hub does, instead of answering at once, which
made every callable page poll in a tight loop.

The Web Profile port is fixed, so only one hub can run on the machine at a time: a test
that uses ``samp_hub`` or ``no_samp_hub`` holds a lock file for its duration and stops the
hub at its end, so that tests in other pytest processes (pytest-xdist workers, another
session) wait for it rather than fight over the port.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyvo.samp import SAMPHubServer, SAMPIntegratedClient, conf
from pyvo.samp.hub import WebProfileDialog

WEB_PROFILE_PORT = 21012
TABLE_LOADS = ("table.load.votable", "table.load.fits")
MTYPES = (*TABLE_LOADS, "table.select.rowList", "spectrum.load.ssa-generic")
PORT_LOCK = Path(tempfile.gettempdir()) / f"vocloud-samp-{WEB_PROFILE_PORT}.lock"


class LongPollHub(SAMPHubServer):
    """pyvo's hub whose Web Profile pullCallbacks waits (up to 30 s) for a callback."""

    def _web_profile_pullCallbacks(self, private_key, timeout_secs):
        deadline = time.monotonic() + min(float(timeout_secs), 30.0)
        waiting = self._web_profile_callbacks.get(private_key)
        while (
            waiting is not None
            and waiting.empty()
            and self._is_running
            and private_key in self._private_keys
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        return super()._web_profile_pullCallbacks(private_key, timeout_secs)


class AutoApproveDialog(WebProfileDialog):
    """The hub's consent dialog without a person: answers every web registration at once."""

    def __init__(self) -> None:
        super().__init__()
        self.approve = True
        self.requests: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="samp-dialog", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.02):
            self.handle_queue()

    def show_dialog(self, samp_name: str, details: dict, client: tuple, origin: str) -> None:
        self.requests.append({"name": samp_name, "origin": origin, "approved": self.approve})
        if self.approve:
            self.consent()
        else:
            self.reject()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@dataclass
class WebHub:
    """One real hub at a time on the Web Profile port; restartable between tests."""

    lockfile: Path
    dialog: AutoApproveDialog = field(default_factory=AutoApproveDialog)
    server: SAMPHubServer | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{WEB_PROFILE_PORT}/"

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.is_running

    def start(self) -> WebHub:
        if self.running:
            return self
        if not port_is_free(WEB_PROFILE_PORT):
            pytest.fail(
                f"Port {WEB_PROFILE_PORT} (SAMP Web Profile) is taken: close TOPCAT, SPLAT or "
                "any other SAMP hub on this machine to run the SAMP tests."
            )
        self.server = LongPollHub(
            addr="127.0.0.1",
            lockfile=str(self.lockfile),
            web_profile=True,
            web_profile_dialog=self.dialog,
            web_port=WEB_PROFILE_PORT,
            label="vocloud test hub",
        )
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        deadline = time.monotonic() + 10
        while not port_is_free(WEB_PROFILE_PORT) and time.monotonic() < deadline:
            time.sleep(0.05)


@dataclass(frozen=True)
class Message:
    mtype: str
    params: dict[str, Any]
    sender: str


@dataclass(frozen=True)
class Loaded:
    """A table or spectrum the receiver fetched and read, as TOPCAT or SPLAT would."""

    mtype: str
    table_id: str | None
    url: str
    n_rows: int | None  # tables only


class Receiver:
    """A SAMP client (standard profile) that records the messages of :data:`MTYPES` and
    answers calls like TOPCAT (tables) and SPLAT (spectra)."""

    def __init__(self, name: str = "receiver") -> None:
        self.client = SAMPIntegratedClient(
            name=name, description="Records messages for vocloud's tests"
        )
        self.messages: list[Message] = []
        self.loaded: list[Loaded] = []
        self.replying = True
        self.failure: str | None = None
        self._table_ids: set[str] = set()  # TOPCAT's: a table-id it has loaded
        self._changed = threading.Condition()

    def connect(self) -> Receiver:
        self.client.connect()  # finds the hub through SAMP_HUB and its lockfile
        for mtype in MTYPES:
            self.client.bind_receive_notification(mtype, self._notified)
            self.client.bind_receive_call(mtype, self._called)
        return self

    def disconnect(self) -> None:
        """Unregister; a test that stopped the hub leaves nothing to unregister from."""
        if self.client.is_connected:
            with contextlib.suppress(OSError):  # the client's own server stops all the same
                self.client.disconnect()

    @property
    def public_id(self) -> str:
        return self.client.get_public_id()

    def _record(self, mtype: str, params: dict, sender: str) -> None:
        with self._changed:
            self.messages.append(Message(mtype, params, sender))
            self._changed.notify_all()

    def _notified(self, private_key, sender_id, mtype, params, extra) -> None:
        self._record(mtype, params, sender_id)

    def _called(self, private_key, sender_id, msg_id, mtype, params, extra) -> None:
        self._record(mtype, params, sender_id)
        if self.replying:  # later, as TOPCAT does once the table is loaded
            threading.Thread(target=self._answer, args=(msg_id, mtype, params), daemon=True).start()

    def fail_loads(self, errortxt: str | None) -> None:
        """Refuse every load from now on with ``errortxt`` (None: load again)."""
        self.failure = errortxt

    def _answer(self, msg_id: str, mtype: str, params: dict) -> None:
        try:
            self._load(mtype, params)
        except Exception as exc:  # what the tool would say, as its samp.errortxt
            response = {"samp.status": "samp.error", "samp.error": {"samp.errortxt": str(exc)}}
        else:
            response = {"samp.status": "samp.ok", "samp.result": {}}
        with contextlib.suppress(Exception):  # the hub may be gone by now
            self.client.reply(msg_id, response)

    def _load(self, mtype: str, params: dict) -> None:
        if mtype not in (*TABLE_LOADS, "spectrum.load.ssa-generic"):
            return
        table_id = params.get("table-id")
        if mtype in TABLE_LOADS and table_id in self._table_ids:
            # TOPCAT 4.8's words (TopcatSampControl.TableLoadHandler)
            raise ValueError(f"Duplicate table-id: table '{table_id}' has already been received")
        if self.failure is not None:
            raise ValueError(self.failure)
        with urllib.request.urlopen(params["url"], timeout=20) as response:
            body = response.read()
        n_rows = None
        if mtype in TABLE_LOADS:
            if mtype == "table.load.votable":
                from astropy.io.votable import parse_single_table

                n_rows = len(parse_single_table(io.BytesIO(body)).array)
            else:
                n_rows = fits_table_rows(body)
            self._table_ids.add(table_id)
        with self._changed:
            self.loaded.append(Loaded(mtype, table_id, params["url"], n_rows))
            self._changed.notify_all()

    def wait_for(self, mtype: str, count: int = 1, timeout: float = 10) -> list[Message]:
        """The first ``count`` messages of ``mtype``, waiting up to ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.of(mtype)) >= count, timeout)
            found = self.of(mtype)
        assert len(found) >= count, f"wanted {count} {mtype}, got {self.messages}"
        return found[:count]

    def of(self, mtype: str) -> list[Message]:
        return [message for message in self.messages if message.mtype == mtype]

    def broadcast(self, mtype: str, params: dict[str, Any]) -> list[str]:
        """Notify every subscribed client (a web page, say); returns their ids."""
        return self.client.notify_all({"samp.mtype": mtype, "samp.params": params})


def fits_table_rows(body: bytes) -> int:
    """Rows of the first table extension, as TOPCAT loads a FITS file; ValueError without."""
    from astropy.io import fits

    with fits.open(io.BytesIO(body)) as hdus:
        for hdu in hdus:
            if isinstance(hdu, fits.BinTableHDU | fits.TableHDU):
                return int(hdu.header["NAXIS2"])
    raise ValueError("No table HDU found in FITS file")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextlib.contextmanager
def port_lock(timeout: float = 300) -> Iterator[None]:
    """Held while a test may run a hub: other pytest processes wait for the port."""
    with PORT_LOCK.open("w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"Another test session held {PORT_LOCK} for {timeout:.0f} s")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def _samp_web_hub(tmp_path_factory) -> Iterator[WebHub]:
    lockfile = tmp_path_factory.mktemp("samp") / "samp-hub.lock"
    saved_env, saved_internet = os.environ.get("SAMP_HUB"), conf.use_internet
    os.environ["SAMP_HUB"] = f"std-lockurl:file://{lockfile}"
    conf.use_internet = False  # no FQDN look-up, no "internet on?" probe
    hub = WebHub(lockfile)
    try:
        yield hub
        hub.stop()
    finally:
        hub.dialog.stop()
        conf.use_internet = saved_internet
        if saved_env is None:
            os.environ.pop("SAMP_HUB", None)
        else:
            os.environ["SAMP_HUB"] = saved_env


@pytest.fixture
def _samp_port(_samp_web_hub: WebHub) -> Iterator[None]:
    """This test has the Web Profile port: other processes' hub tests wait until it ends."""
    with port_lock():
        yield
        _samp_web_hub.stop()


@pytest.fixture
def samp_hub(_samp_web_hub: WebHub, _samp_port: None) -> WebHub:
    """The session's hub, running (started again if a test before stopped it)."""
    _samp_web_hub.dialog.approve = True  # whatever the test before chose
    _samp_web_hub.dialog.requests.clear()
    return _samp_web_hub.start()


@pytest.fixture
def samp_receiver(samp_hub: WebHub) -> Iterator[Receiver]:
    receiver = Receiver().connect()
    yield receiver
    receiver.disconnect()


@pytest.fixture
def no_samp_hub(_samp_web_hub: WebHub, _samp_port: None) -> WebHub:
    """The session's hub, stopped; ``.start()`` brings it up for a test that wants it later."""
    _samp_web_hub.stop()
    assert port_is_free(WEB_PROFILE_PORT), "something else holds the SAMP Web Profile port"
    _samp_web_hub.dialog.approve = True
    _samp_web_hub.dialog.requests.clear()
    return _samp_web_hub
