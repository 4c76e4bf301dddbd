"""A hostile VO service cannot break an ingest, reach our network or write on our pages.

Rows: attack (what a DataLink document served to an ingest says) -> what the report must
say. All rows are one in-process ingest job (a URL list of DataLink documents, with a
SODA cut-out asked for) against a real server on 127.0.0.2; the job completes because
one good document is among them. Markup stays text (escaped in the report), a service's
message is one printable line of at most 300 characters, a publisher DID is only ever
compared (never a path), and a cut-out service at the platform's own address is refused
by the fetch policy like any other URL.
"""

from __future__ import annotations

import pytest
from astropy.io.votable import parse_single_table

from services import ingest
from services.jobs import JobContext, JobFailure
from services.messages import for_user
from tests.support.dachs_like import DachsLikeServer
from tests.support.remote import TEST_POLICY
from tests.support.vo_catalogue import make_synthetic
from tests.support.vo_servers import DATALINK_MIME, SODA_ID, _data, _field, _param, _row, _tag
from tests.support.vo_servers import _votable as votable

MARKUP = "<script>alert('x')</script><img src=x onerror=alert(1)>NotFoundFault"
PATHY = "/srv/vocloud/users/2/files/secret.fits: no such\nTraceback (most recent call last):"
HUGE = "UsageFault: " + "A" * 200_000
CONTROL = "red\u202ereversed\u2028next\ttab\r\nline"  # XML allows these; a report line not
# attack -> (ID, error_message or "", #this URL (a dataset index) or "", SODA accessURL or "")
# -> the report's reason must contain
ROWS = [
    ("markup in an error message", ("ivo://x/markup", MARKUP, None, ""), "<script>alert('x')"),
    ("a server path and a traceback", ("ivo://x/path", PATHY, None, ""), "secret.fits: no such"),
    ("a 200 kB error message", ("ivo://x/huge", HUGE, None, ""), "UsageFault: AAAA"),
    ("invisible characters", ("ivo://x/ctl", CONTROL, None, ""), "red reversed next tab line"),
    ("a DID that climbs out", ("../../../escaped-did", "", 0, ""), "no SODA service"),
    ("a cut-out at the platform", ("ivo://x/own", "", 1, "http://127.0.0.1:{port}/x"), "loopback"),
    ("a cut-out as a file URL", ("ivo://x/file", "", 2, "file:///etc/passwd"), "no SODA service"),
    (
        "a cut-out on another network",
        ("ivo://x/meta", "", 3, "http://169.254.169.254/"),
        "link-local",
    ),
]


class HostileVO(DachsLikeServer):
    """Serves ``documents[name]`` at ``/dl/<name>`` as DataLink, the rest as DaCHS does."""

    def __init__(self, datasets) -> None:
        super().__init__(datasets)
        self.documents: dict[str, str] = {}

    def route(self, handler, path: str, query: dict, raw: dict) -> None:
        name = path.removeprefix("/dl/")
        if path.startswith("/dl/") and name in self.documents:
            return handler.send(200, self.documents[name].encode(), DATALINK_MIME)
        return super().route(handler, path, query, raw)


def document(server: HostileVO, did: str, error: str, dataset, access: str) -> str:
    rows = [_row([did, "", "", error, "#this"])]
    services = ""
    if dataset is not None:
        rows = [_row([did, server.product_url(dataset), "", "", "#this"])]
    if access:
        rows.append(_row([did, "", "cut", "", "#proc"]))
        inputs = _param("ID", value=did) + _param("BAND", "double", "2", value="")
        params = _param("standardID", value=SODA_ID) + _param("accessURL", value=access)
        group = _tag("GROUP", {"name": "inputParams"}, inputs)
        attrs = {"type": "meta", "utype": "adhoc:service", "ID": "cut"}
        services = _tag("RESOURCE", attrs, params + group)
    names = ["ID", "access_url", "service_def", "error_message", "semantics"]
    table = _tag("TABLE", {}, "".join(_field(n) for n in names) + _data(rows))
    return votable(_tag("RESOURCE", {"type": "results"}, table) + services)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    with HostileVO(make_synthetic(tmp_path_factory.mktemp("hostile-vo"), n=4)) as server:
        yield server


@pytest.fixture
def ctx(tmp_path) -> JobContext:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    return JobContext("j1", job_dir, tmp_path / "user", fetch_policy=TEST_POLICY)


@pytest.fixture
def report(hostile, ctx, tmp_path) -> tuple[dict[str, str], bytes]:
    """One ingest over every row's document: (reason by attack, the report's bytes)."""
    urls = {}
    for n, (attack, (did, error, dataset, access), _said) in enumerate(ROWS):
        target = None if dataset is None else hostile.datasets[list(hostile.datasets)[dataset]]
        access = access.format(port=8000)
        hostile.documents[str(n)] = document(hostile, did, error, target, access)
        urls[attack] = f"{hostile.url}/dl/{n}"
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls.values()) + "\n")
    ingest.run(ingest.Parameters(url_list=listing, soda_band="5e-7 6e-7", retries=0), ctx)
    path = ctx.results_dir / "report.vot"
    table = parse_single_table(str(path)).to_table()
    by_source = {str(row["source"]): str(row["reason"]) for row in table}
    return {attack: by_source[url] for attack, url in urls.items()}, path.read_bytes()


@pytest.mark.parametrize(("attack", "said"), [(row[0], row[2]) for row in ROWS])
def test_a_hostile_datalink_answer_fails_or_is_contained(report, attack, said):
    reasons, _raw = report
    reason = reasons[attack]
    assert said in reason
    assert reason.isprintable() and len(reason) <= 320  # one line, capped


def test_markup_stays_text_and_nothing_lands_outside_the_target(report, ctx):
    reasons, raw = report
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw  # escaped in the VOTable
    assert reasons["a 200 kB error message"].endswith("...")
    target = ctx.user_space.files / "ingest" / "j1"
    around = [p for p in ctx.user_space.root.parent.rglob("*") if not p.is_relative_to(target)]
    assert not [p for p in around if "escaped" in p.name]
    files = [p for p in ctx.user_space.files.rglob("*") if p.is_file()]
    assert files and all(p.is_relative_to(target) and ".." not in p.name for p in files)


def test_a_job_whose_every_item_is_a_hostile_error_says_one_clean_sentence(hostile, ctx, tmp_path):
    hostile.documents["bad"] = document(hostile, "ivo://x/1", PATHY + MARKUP + HUGE, None, "")
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{hostile.url}/dl/bad\n")
    with pytest.raises(JobFailure) as failure:
        ingest.run(ingest.Parameters(url_list=listing), ctx)
    shown = for_user(str(failure.value), "/srv/vocloud")  # what /error would show
    assert 'File "' not in shown and "\n" not in shown and len(shown) <= 1000  # no stack
    assert "/srv/vocloud/users" not in shown and "secret.fits: no such" in shown
