"""Running an ingestion: gather items, download them concurrently, check, de-duplicate, store."""

from __future__ import annotations

import shutil
from pathlib import Path

from services.fetch import FetchOptions, Outcome, download_all, make_session
from services.ingest.identity import cutout_name, record_identity
from services.ingest.parameters import Parameters
from services.ingest.report import Row, counts, failure_summary, write_report
from services.ingest.sources import Item, gather
from services.ingest.store import store_file
from services.jobs import JobContext, JobFailure, Result
from services.storage import PathEscape
from services.storage.index import ContentIndex
from services.storage.quota import snapshot
from services.vo import (
    Cutout,
    VOError,
    is_datalink_document,
    is_datalink_type,
    parse_datalink,
    resolve,
)

BACKOFF_S = 0.5  # first wait before a retry; doubled after each further failure


def fetch_options(params: Parameters, ctx: JobContext) -> FetchOptions:
    """The download behaviour the parameters ask for, under the platform's fetch policy."""
    return FetchOptions(
        policy=ctx.fetch_policy,
        parallel=params.parallel,
        connect_timeout=min(10.0, params.timeout),
        read_timeout=params.timeout,
        max_bytes=int(params.max_file_mb * 1024**2),
        retries=params.retries,
        backoff=BACKOFF_S,
    )


def target_relative(params: Parameters, ctx: JobContext) -> str:
    """The destination inside the user's ``files/`` as they wrote it; checked to stay inside."""
    relative = params.target.strip() or f"ingest/{ctx.job_id}"
    try:
        ctx.user_space.resolve(relative)
    except PathEscape as exc:
        raise JobFailure(f"TARGET is not a folder in your storage: {exc}") from None
    return relative


class Ingestion:
    """The state of one run: the report rows so far and the progress counters."""

    def __init__(self, params: Parameters, ctx: JobContext, target: str) -> None:
        self.params, self.ctx, self.target = params, ctx, target
        self.options = fetch_options(params, ctx)
        self.space = ctx.user_space
        self.files_root = self.space.files
        self.index = ContentIndex(ctx.user_space.index_path)
        self.cutout = Cutout(params.cutout_band, params.cutout_circle)
        self.rows: list[Row] = []
        self.total = self.done = 0
        self._folders: dict[str, Path] = {}  # sub-folder -> contained path (resolved once)

    def tick(self, message: str) -> None:
        self.done += 1
        self.ctx.progress(0.05 + 0.9 * self.done / max(1, self.total), message)

    def store(self, path: Path, item: Item) -> None:
        try:  # the one containment point: target and sub-folder stay in the user's files
            folder = self._folder(item.subdir)
        except PathEscape as exc:
            path.unlink(missing_ok=True)
            self.fail(item, f"not stored: {exc}")
            return
        identity = record_identity(item.did, item.cut)
        name = cutout_name(item.did, path.name) if item.cut else ""
        row = store_file(
            path, item.source, folder, self.files_root, self.index, self.ctx.admit, identity, name
        )
        if row.status == "ok" and item.note:
            row.reason = item.note
        self.rows.append(row)

    def _folder(self, subdir: str) -> Path:
        if subdir not in self._folders:
            self._folders[subdir] = self.space.resolve(self.target, subdir)
        return self._folders[subdir]

    def fail(self, item: Item, reason: str) -> None:
        self.rows.append(Row(item.source, reason=reason))

    def run(self, items: list[Item]) -> None:
        """Ingest local files, then download URLs in rounds (round 2: DataLink targets)."""
        self.total = len(items)
        for item in items:
            if item.local is not None:
                self.store(item.local, item)
                self.tick(f"checked {item.source}")
        pending = [item for item in items if item.local is None]
        for round_ in (1, 2):
            if not pending:
                break
            pending = self.fetch(pending, round_)

    def fetch(self, items: list[Item], round_: int) -> list[Item]:
        """Download ``items`` concurrently; return DataLink targets found on the way."""
        staging = self.ctx.work_dir / "download"
        pairs = [(item.url, staging / f"{round_}-{i}") for i, item in enumerate(items)]
        follow: list[Item] = []
        for index, outcome in download_all(pairs, self.options):
            item = items[index]
            if not outcome.ok:
                self.fail(item, outcome.error)
            elif item.datalink or self._is_datalink(outcome):
                follow.extend(self.follow(item, outcome, round_))
            else:
                self.store(outcome.path, item)
            self.tick(f"{self.done + 1} of {self.total}: {item.source}")
        return follow

    @staticmethod
    def _is_datalink(outcome: Outcome) -> bool:
        if is_datalink_type(outcome.content_type):
            return True
        if "xml" not in outcome.content_type.lower() or outcome.path is None:
            return False
        with outcome.path.open("rb") as handle:
            return is_datalink_document(handle.read(20000))

    def follow(self, item: Item, outcome: Outcome, round_: int) -> list[Item]:
        """Resolve a downloaded DataLink document into the items it points to."""
        assert outcome.path is not None
        data = outcome.path.read_bytes()
        outcome.path.unlink(missing_ok=True)
        if not self.params.datalink:
            self.fail(item, "a DataLink document, and DATALINK is false")
            return []
        if round_ > 1:
            self.fail(item, "a DataLink document pointing to another one (not followed)")
            return []
        try:
            links = resolve(parse_datalink(data, item.url), self.cutout or None)
        except VOError as exc:
            self.fail(item, str(exc))
            return []
        except Exception as exc:  # a document pyvo chokes on fails its item, not the job
            self.ctx.logger.exception("DataLink document of %s", item.source)
            self.fail(item, f"the DataLink document could not be used ({type(exc).__name__})")
            return []
        found = []
        for link in links:
            source = f"{item.source} [{link.id}]" if len(links) > 1 else item.source
            if link.error:
                self.rows.append(Row(source, reason=f"DataLink: {link.error}"))
                continue
            found.append(
                Item(
                    source,
                    url=link.url,
                    subdir=item.subdir,
                    note=link.note,  # how it was made (a SODA cut-out), never from the URL
                    did=link.id or item.did,
                    cut=_cut(self.cutout) if link.cutout else "",
                )
            )
        self.total += len(found)
        return found


def _cut(cutout: Cutout) -> str:
    """What a SODA request cut, as part of the cut-out's identity."""
    words = []
    if cutout.band_m is not None:
        words.append("BAND=" + " ".join(repr(float(v)) for v in cutout.band_m))
    if cutout.circle_deg is not None:
        words.append("CIRCLE=" + " ".join(repr(float(v)) for v in cutout.circle_deg))
    return "&".join(words)


def _outcome_notes(n: dict[str, int]) -> list[str]:
    """What the counts mean for the user, for the report."""
    if not n["skipped"]:
        return []
    if n["ok"] == n["failed"] == 0:
        return [f"nothing new: all {n['skipped']} already in your storage"]
    return [f"{n['skipped']} already in your storage (not stored again)"]


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    """Ingest every source of ``params`` into the target folder; see :mod:`services.ingest`."""
    target = target_relative(params, ctx)
    ctx.progress(0.0, "collecting the sources", force=True)
    ingestion = Ingestion(params, ctx, target)
    with make_session(ingestion.options) as session:
        room = snapshot(ctx.user_space, ctx.quota).free_bytes if ctx.quota else None
        gathered = gather(params, ctx.work_dir, ingestion.options, session, room)
    ingestion.rows.extend(Row(source, reason=reason) for source, reason in gathered.failures)
    try:
        ingestion.run(gathered.items)
    finally:
        ingestion.index.close()
        shutil.rmtree(ctx.work_dir / "download", ignore_errors=True)
        shutil.rmtree(ctx.work_dir / "upload", ignore_errors=True)
    rows = ingestion.rows
    n = counts(rows)
    notes = [*gathered.notes, *_outcome_notes(n)]
    write_report(rows, ctx.results_dir / "report.vot", notes, gathered.counts)
    ctx.logger.info("ingest: %s into %s; %s", n, target, "; ".join(notes))
    done = f"{n['ok']} stored, {n['skipped']} already in your storage, {n['failed']} failed"
    ctx.progress(1.0, done, force=True)
    if rows and n["failed"] == len(rows):
        raise JobFailure(failure_summary(rows))
    # id "result": the per-item report is what pyvo's AsyncTAPJob.fetch_result() reads
    return [Result("result", "report.vot", "application/x-votable+xml")]
