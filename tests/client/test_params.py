"""Job parameters are checked against the kind's declaration before anything is sent.

The declarations are the platform's own (what ``GET /api/v1/kinds/<kind>/`` answers).
"""

from __future__ import annotations

import pytest

from vocloud.api.kinds import kind_json
from vocloud.client import VocloudError
from vocloud.client.params import prepare
from vocloud.uws.kinds import KINDS


def declared(kind: str) -> list[dict]:
    return kind_json(KINDS[kind], full=True)["parameters"]


def test_python_values_become_uws_values():
    values, files = prepare(
        "selftest", declared("selftest"), {"Duration": 2, "fail": False, "NOTE": "hi", "runid": 7}
    )
    assert values == {"DURATION": "2", "FAIL": "false", "NOTE": "hi", "RUNID": "7"}
    assert files == {}


def test_uploads_travel_as_files(tmp_path):
    local = tmp_path / "a.bin"
    local.write_bytes(b"abc")
    _values, files = prepare("selftest", declared("selftest"), {"attachment": local})
    assert files == {"ATTACHMENT": ("a.bin", b"abc")}
    _values, files = prepare("selftest", declared("selftest"), {"attachment": ("t.tar.gz", b"x")})
    assert files == {"ATTACHMENT": ("t.tar.gz", b"x")}


@pytest.mark.parametrize(
    "kind, given, words",
    [
        ("selftest", {"durration": 1}, "selftest has no parameter 'durration' (it takes: duration"),
        ("selftest", {"duration": "long"}, "duration is a number (float), not 'long'"),
        ("selftest", {"duration": 4000}, "duration must be between 0 and 3600"),
        ("selftest", {"fail": "yes"}, "fail is True or False"),
        ("selftest", {"attachment": 3}, "attachment takes a file"),
        ("selftest", {"attachment": "/no/such/file"}, "is not a file here"),
        ("dataset", {"name": "x", "folders": "a", "grid": "cubic"}, "grid is one of linear, log"),
        ("dataset", {"folders": "a"}, "dataset needs name"),
        ("score", {"model": 5}, "model names a train job"),
    ],
)
def test_wrong_parameters_are_refused_naming_them(kind, given, words):
    with pytest.raises(VocloudError, match=None) as refused:
        prepare(kind, declared(kind), given)
    assert words in str(refused.value)


def test_lists_join_with_commas_and_jobs_give_their_ids():
    class Trained:
        job_id = "abc"

    values, _files = prepare(
        "score", declared("score"), {"model": Trained(), "dataset": "d", "acquisition": "bald"}
    )
    assert values["MODEL"] == "abc" and values["ACQUISITION"] == "bald"
    values, _files = prepare("dataset", declared("dataset"), {"name": "x", "folders": ["a", "b"]})
    assert values["FOLDERS"] == "a,b"
