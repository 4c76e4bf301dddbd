"""Run one job in a process of its own, so that it can be stopped at any moment.

The parent (the platform's worker) starts the child with :func:`start`, reads its
messages with :meth:`JobProcess.poll` and kills it when the job is aborted, deleted or
over its execution duration. The child dies by itself when its parent dies: it blocks
reading a pipe that only the parent holds open.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import logging
import multiprocessing
import os
import shutil
import threading
import traceback
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from services.fetch.policy import FetchPolicy
from services.jobs.context import JobContext, Result
from services.jobs.errors import JobFailure
from services.storage.paths import PathEscape
from services.storage.quota import QuotaExceeded, QuotaSpec

# Modules imported once by the fork server, so that each job process starts in ~10 ms; the
# first makes it die with its worker.
PRELOAD = [
    "services.jobs.lifeline",
    "numpy",
    "pydantic",
    "astropy.table",
    "astropy.io.votable",
    "services.jobs.context",
]

_context: multiprocessing.context.BaseContext | None = None
_extra_preload: list[str] = []


def _mp_context() -> multiprocessing.context.BaseContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD + _extra_preload)
    return _context


def start_server(preload: list[str] | None = None) -> None:
    """Start the fork server now, importing ``preload`` modules besides the usual ones.

    A worker calls this once at start, so that the preloading (e.g.
    :mod:`services.projection.warm`, which compiles UMAP) happens before its first job
    rather than during it: this returns once the server serves (a no-op process has run).
    Without a call, the server starts with the first job.
    """
    if _context is None:
        _extra_preload.extend(preload or [])
    elif preload:
        raise RuntimeError("the fork server has started already; preload comes too late")
    probe = _mp_context().Process(target=os.getpid, name="vocloud-fork-server-probe")
    probe.start()  # the server forks only once its preloading is done
    probe.join()


@dataclass
class Message:
    """What a job process tells its parent."""

    kind: str  # "progress", "done" or "failed"
    fraction: float = 0.0
    text: str = ""
    results: list[Result] | None = None
    error_type: str = "fatal"
    detail: str = ""
    value: Any = None  # what a ``plan`` step returned (JSON-like)


class JobProcess:
    """The parent's handle on a running job process."""

    def __init__(
        self,
        process: multiprocessing.process.BaseProcess,
        messages: Connection,
        lifeline: Connection,
    ) -> None:
        self.process = process
        self._messages = messages
        self._lifeline = lifeline

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def poll(self, timeout: float) -> list[Message]:
        """Messages received within ``timeout`` seconds (empty once the child has gone)."""
        found: list[Message] = []
        try:
            if not self._messages.poll(timeout):
                return found
            while self._messages.poll(0):
                kind, payload = self._messages.recv()
                found.append(_decode(kind, payload))
        except (EOFError, OSError):
            pass
        return found

    def alive(self) -> bool:
        return self.process.is_alive()

    def exitcode(self) -> int | None:
        return self.process.exitcode

    def kill(self, grace: float = 2.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.close()

    def close(self) -> None:
        for conn in (self._messages, self._lifeline):
            conn.close()


def _decode(kind: str, payload: dict[str, Any]) -> Message:
    if kind == "done":
        return Message(
            "done", results=[Result(**r) for r in payload["results"]], value=payload.get("value")
        )
    if kind == "failed":
        return Message(
            "failed", text=payload["message"], error_type=payload["type"], detail=payload["detail"]
        )
    return Message("progress", fraction=payload["fraction"], text=payload["message"])


# Entry points a kind module may have: ``run`` (every kind) and the three steps of a
# sharded kind (see :mod:`vocloud.uws.sharding`): ``plan(params, ctx) -> list[dict]``,
# ``run_shard(params, shard, ctx) -> None`` and ``merge(params, shards, ctx) -> results``.
ENTRIES = ("run", "plan", "run_shard", "merge")


def start(
    module: str,
    params: dict[str, Any],
    job_id: str,
    job_dir: Path,
    user_root: Path | None = None,
    *,
    entry: str = "run",
    extra: Any = None,
    fetch_policy: FetchPolicy | None = None,
    quota: QuotaSpec | None = None,
) -> JobProcess:
    """Start ``module.<entry>(module.Parameters(**params), [extra,] ctx)`` in a new process.

    ``extra`` (JSON-like) is passed to ``run_shard`` (its shard) and ``merge`` (the list of
    shards). The process answers ``done`` with the results of ``run``/``merge`` or the
    value of ``plan``.
    """
    if entry not in ENTRIES:
        raise ValueError(f"unknown entry point {entry!r}")
    ctx = _mp_context()
    messages_r, messages_w = ctx.Pipe(duplex=False)
    lifeline_r, lifeline_w = ctx.Pipe(duplex=False)
    call = (module, entry, extra)
    grants = (fetch_policy or FetchPolicy(), quota)
    process = ctx.Process(
        target=_child_main,
        args=(call, params, job_id, str(job_dir), user_root, grants, messages_w, lifeline_r),
        name=f"vocloud-job-{job_id}",
        daemon=False,
    )
    process.start()
    messages_w.close()
    lifeline_r.close()
    return JobProcess(process, messages_r, lifeline_w)


def _watch_parent(lifeline: Connection) -> None:
    """Exit as soon as the parent is gone: a job never outlives its worker."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    os._exit(70)


def _job_logger(job_dir: Path) -> logging.Logger:
    logger = logging.getLogger("vocloud.job")
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(job_dir / "job.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


def _child_main(
    call: tuple[str, str, Any],
    params: dict[str, Any],
    job_id: str,
    job_dir_name: str,
    user_root: Path | None,
    grants: tuple[FetchPolicy, QuotaSpec | None],
    messages: Connection,
    lifeline: Connection,
) -> None:
    threading.Thread(target=_watch_parent, args=(lifeline,), daemon=True).start()
    job_dir = Path(job_dir_name)
    job_dir.mkdir(parents=True, exist_ok=True)
    logger = _job_logger(job_dir)

    def report(fraction: float, message: str) -> None:
        messages.send(("progress", {"fraction": fraction, "message": message}))

    fetch_policy, quota = grants
    ctx = JobContext(
        job_id=job_id,
        job_dir=job_dir,
        user_root=user_root,
        report=report,
        logger=logger,
        fetch_policy=fetch_policy,
        quota=quota,
    )
    module, entry, extra = call
    try:
        kind = importlib.import_module(module)
        parsed = kind.Parameters.model_validate(params)
        function = getattr(kind, entry)
        value = function(parsed, ctx) if entry in ("run", "plan") else function(parsed, extra, ctx)
        if entry in ("run", "merge"):
            payload = {"results": [asdict(r) for r in value]}
        else:
            payload = {"results": [], "value": value}
        messages.send(("done", payload))
    except (JobFailure, PathEscape, QuotaExceeded) as exc:  # refusals meant for the user
        logger.error("job failed: %s", exc)
        messages.send(
            (
                "failed",
                {
                    "type": getattr(exc, "error_type", "fatal"),
                    "message": str(exc),
                    "detail": traceback.format_exc(),
                },
            )
        )
    except Exception as exc:  # the job's own bug, or a full disk: reported, never lost
        logger.exception("job crashed")
        # One line of the error for the owner (paths are cut where it is stored); the
        # traceback goes to the job's log and error_detail.
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        error_type = "fatal"
        message = f"The job stopped on an unexpected error ({type(exc).__name__}: {first})."
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            shutil.rmtree(job_dir / "results", ignore_errors=True)  # half-written: worthless
            error_type = "transient"
            message = (
                f"The disk is full: the job could not write {exc.filename or 'its files'}. "
                "Its partial results were removed; run it again once there is space."
            )
        messages.send(
            ("failed", {"type": error_type, "message": message, "detail": traceback.format_exc()})
        )
    finally:
        messages.close()
