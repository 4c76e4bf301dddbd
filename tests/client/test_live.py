"""vocloud.client against the running platform, as a notebook would use it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.table import Table

from tests.support.toy_upload import toy_archive
from vocloud.client import Client, VocloudError

pytestmark = pytest.mark.platform
LABELS = b"path,class\nclient/s000.fits,a\nclient/s001.fits,b\n"


@pytest.fixture(scope="module")
def vc(platform) -> Client:
    return Client(platform.url, token=platform.api_token("alice", "client tests"))


@pytest.fixture(scope="module")
def toy(vc, tmp_path_factory) -> tuple[str, list[str]]:
    """alice's toy spectra ingested and made into dataset ``client`` with the client."""
    archive, snapshot, labels = toy_archive("client", seed=11)
    local = tmp_path_factory.mktemp("toy") / "toy.tar.gz"
    local.write_bytes(archive)
    vc.jobs.submit("ingest", target="client", upload=local).follow(progress=False)
    made = vc.jobs.submit("dataset", name="client", folders="client", normalisation="none")
    assert made.follow(progress=False) == "COMPLETED"
    vc.files.upload(snapshot.encode(), "client.labels.csv", overwrite=True)
    return "client", labels


def test_me_is_the_tokens_owner(vc):
    assert vc.me()["username"] == "alice"


def test_a_label_csv_goes_in_and_comes_back(vc, tmp_path):
    assert vc.files.upload(LABELS, "labels/mine.csv") == ["labels/mine.csv"]
    assert vc.files.download("labels/mine.csv") == LABELS
    listed = {item["name"]: item for item in vc.files.list("labels")}
    assert listed["mine.csv"]["size"] == len(LABELS) and listed["mine.csv"]["type"] == "file"
    with pytest.raises(VocloudError, match="overwrite=1") as taken:
        vc.files.upload(b"other", "labels/mine.csv")
    assert taken.value.status == 409
    vc.files.upload(b"path,class\n", "labels/mine.csv", overwrite=True)
    saved = vc.files.download("labels/mine.csv", tmp_path)
    assert saved == tmp_path / "mine.csv" and saved.read_bytes() == b"path,class\n"


def test_folders_go_up_whole_and_come_down(vc, tmp_path):
    (tmp_path / "night" / "raw").mkdir(parents=True)
    (tmp_path / "night" / "raw" / "a.txt").write_text("a")
    (tmp_path / "night" / "b.txt").write_text("b")
    stored = vc.files.upload(tmp_path / "night", "up/night")
    assert stored == ["up/night/b.txt", "up/night/raw/a.txt"]
    assert vc.files.mkdir("up/night/empty/deep") is True
    assert {i["name"] for i in vc.files.list("up/night")} == {"b.txt", "raw", "empty"}
    vc.files.delete("up")
    with pytest.raises(VocloudError, match="No such file or folder") as gone:
        vc.files.list("up")
    assert gone.value.status == 404


def test_a_dataset_is_read_a_few_rows_at_a_time(vc, toy):
    name, labels = toy
    assert name in vc.datasets.names()
    ds = vc.datasets[name]
    n, n_pix = ds.info["n_spectra"], ds.info["n_pix"]
    assert len(ds) == n == len(labels) and ds.wave.shape == (n_pix,)
    rows = ds.flux([1, 3, 5])
    assert rows.shape == (3, n_pix) and rows.dtype == np.float32
    assert np.array_equal(ds.flux(slice(1, 6, 2)), rows)
    assert np.array_equal(ds.flux(3), rows[1])
    assert ds.ivar(slice(0, 2)).shape == (2, n_pix) and ds.mask([0]).dtype == bool
    assert list(ds.meta_rows([3])["path"]) == ["client/s003.fits"]
    assert len(ds.meta) == n and ds.meta["path"][0] == "client/s000.fits"
    with pytest.raises(VocloudError, match="No such dataset"):
        vc.datasets["nope"]


def test_a_wrong_parameter_is_refused_before_anything_is_sent(vc):
    before = vc.jobs.list("selftest")
    with pytest.raises(VocloudError, match="selftest has no parameter 'durration'"):
        vc.jobs.submit("selftest", durration=1)
    with pytest.raises(VocloudError, match="duration must be between 0 and 3600"):
        vc.jobs.submit("selftest", duration=-1)
    assert vc.jobs.list("selftest") == before
    assert {p["name"] for p in vc.jobs.describe("selftest")["parameters"]} >= {"DURATION"}
    assert "selftest" in [k["name"] for k in vc.jobs.kinds()]


def test_a_job_is_followed_to_its_end_and_its_result_read(vc, capsys, platform):
    from pyvo.dal import AsyncTAPJob

    job = vc.jobs.submit("selftest", duration=1.5, note="from the client", attachment=b"abc")
    assert job.follow(progress=True) == "COMPLETED"
    assert "100%" in capsys.readouterr().err  # tqdm draws on stderr outside Jupyter
    table = job.table("result")
    assert isinstance(table, Table) and len(table) >= 1
    assert [r.id for r in job.results()] == ["result"]
    again = vc.jobs.get(job.job_id, "selftest")
    assert again.phase == "COMPLETED" and again.url == job.url
    assert AsyncTAPJob(job.url, session=platform.session("alice")).phase == "COMPLETED"
    raw = job.content("result")
    assert Table.read(io.BytesIO(raw), format="votable").colnames == table.colnames


def test_a_failing_job_raises_its_error_summary(vc):
    job = vc.jobs.submit("selftest", duration=0, fail=True)
    with pytest.raises(VocloudError, match="failed: ") as failed:
        job.follow(progress=False)
    assert job.state().error and job.state().error in str(failed.value)
    with pytest.raises(VocloudError) as missing:
        vc.jobs.get("nosuchjob", "selftest")
    assert missing.value.status == 404


def test_a_session_is_made_read_and_labelled(vc, toy):
    name, labels = toy
    made = vc.sessions.create("client session", name, import_file="client.labels.csv", per_class=2)
    with pytest.raises(VocloudError, match="already") as taken:
        vc.sessions.create("client session", name, classes=["a", "b"])
    assert taken.value.status == 409
    session_id = made.id
    session = vc.sessions["client session"]
    assert session.id == session_id and vc.sessions[session_id].name == "client session"
    assert session.classes == sorted(set(labels)) and session.rounds == []
    assert session.info["counts"]["total"] == 2 * len(set(labels))
    counts = session.label(["client/s010.fits", "client/s011.fits"], value=session.classes[0])
    assert counts["total"] == 2 * len(set(labels)) + 2
    session.label("client/s011.fits", mark="bad_data")
    table = session.labels()
    row = table[list(table["path"]).index("client/s011.fits")]
    assert row["mark"] == "bad_data" and row["value"] == ""
    with pytest.raises(VocloudError, match="not a class of this session"):
        session.label(["client/s012.fits"], value="nonsense")
    with pytest.raises(VocloudError, match="no round with a sample ready"):
        session.sample()


def test_a_round_is_started_waited_for_and_its_sample_read(vc, toy):
    name, _labels = toy
    session = vc.sessions.create("client rounds", name, import_file="client.labels.csv")
    with pytest.raises(VocloudError, match="Unknown field 'speed'"):
        session.start_round(speed=3)
    number = session.start_round(epochs=3, k=20, method="pca", mc_samples=2)
    assert number == 1
    state = session.wait_round(number, progress=False, timeout=240)
    assert state["ready"] and state["round"]["phase"] == "COMPLETED"
    sample = session.sample(number)
    assert len(sample) == 20 and {"path", "x", "y", "score", "label"} <= set(sample.colnames)
    trained = vc.jobs.get(state["train"]["job_id"], "train")
    assert trained.json("metrics")
