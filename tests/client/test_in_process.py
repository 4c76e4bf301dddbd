"""The client against the platform's web app served in this process (pytest-django's
live_server), for what needs a finished labelling round: samples and a trained model."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import numpy as np
import pytest

from vocloud.client import Client, VocloudError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vc(live_server, alice) -> Iterator[Client]:
    from vocloud.accounts.models import ApiToken

    _token, key = ApiToken.issue(alice, "client")
    client = Client(live_server.url, token=key)
    yield client
    # The live server answers each kept-alive connection in a thread that ends when the
    # client closes it: closed now, while the test database is still there.
    client.http.close()
    gc.collect()


def test_a_rounds_sample_comes_as_a_table_with_the_labels(vc, labelling):
    session = vc.sessions[labelling.name]
    assert [r["number"] for r in session.rounds if r["ready"]] == [1]
    sample = session.sample()
    assert len(sample) == 30 and {"path", "x", "y", "score", "label"} <= set(sample.colnames)
    assert np.all(np.isfinite(sample["x"])) and np.all(np.isnan(sample["ra"]))
    first = str(sample["path"][0])
    session.label([first], value=session.classes[1], round=1)
    assert session.sample(round=1)["label"][0] == session.classes[1]
    labels = session.labels()
    assert first in list(labels["path"]) and len(labels) == 16
    with pytest.raises(VocloudError, match="no round 7"):
        session.sample(round=7)


def test_a_trained_model_comes_back_as_a_keras_model(vc, labelling):
    from vocloud.uws import storage
    from vocloud.uws.models import Result

    trained = labelling.rounds.get(number=1).train_job
    for result_id, name in (("model", "model.keras"), ("metrics", "metrics.json")):
        size = storage.result_path(trained.job_id, name).stat().st_size
        Result.objects.create(job=trained, result_id=result_id, path=name, size=size)
    job = vc.jobs.get(trained.job_id, "train")
    assert {r.id for r in job.results()} == {"model", "metrics"}
    model = job.model()
    dataset = vc.datasets[labelling.dataset]
    flux = dataset.flux(slice(0, 4))
    assert model.input_shape[1] == flux.shape[1] == len(dataset.wave)
    assert np.asarray(model.predict(flux, verbose=0)).shape[0] == 4
    assert isinstance(job.json("metrics"), dict)


def test_npy_and_npz_results_come_back_as_arrays(vc, completed_job):
    from vocloud.uws import storage
    from vocloud.uws.models import Result

    folder = storage.result_path(completed_job.job_id, "x").parent
    np.save(folder / "rows.npy", np.arange(6.0).reshape(2, 3))
    np.savez(folder / "parts.npz", a=np.arange(3), b=np.ones(2, bool))
    for result_id, name in (("rows", "rows.npy"), ("parts", "parts.npz")):
        Result.objects.create(job=completed_job, result_id=result_id, path=name)
    job = vc.jobs.get(completed_job.job_id, "selftest")
    assert np.array_equal(job.array("rows"), np.arange(6.0).reshape(2, 3))
    parts = job.array("parts")
    assert sorted(parts) == ["a", "b"] and parts["b"].dtype == bool
    with pytest.raises(VocloudError, match="has no result 'nope'"):
        job.array("nope")


def test_an_upload_over_the_limit_is_refused_before_it_is_sent(vc, alice, settings):
    settings.VOCLOUD_MAX_UPLOAD_BYTES = 10
    with pytest.raises(VocloudError, match="bigger than the 10 bytes") as refused:
        vc.files.upload(b"x" * 11, "big.bin")
    assert refused.value.status == 413
    # the platform says the same to a client that sends it anyway
    with pytest.raises(VocloudError, match="bigger than the 10 bytes allowed") as server:
        vc.request("PUT", "/api/v1/files/content/big.bin", data=b"x" * 11)
    assert server.value.status == 413
    assert vc.files.upload(b"x" * 10, "small.bin") == ["small.bin"]
    assert [item["name"] for item in vc.files.list()] == ["small.bin"]
