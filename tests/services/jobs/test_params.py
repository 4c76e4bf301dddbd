"""Parameter declarations: described once, validated from UWS strings."""

import pytest
from pydantic import ValidationError

from services import selftest
from services.jobs.params import describe_parameters, upload_fields, validate, validation_message


def test_selftest_parameters_are_described():
    docs = {d.name: d for d in describe_parameters(selftest.Parameters)}
    assert list(docs) == ["DURATION", "FAIL", "NOTE", "ATTACHMENT"]
    assert (docs["DURATION"].kind, docs["DURATION"].default) == ("float", 1.0)
    assert (docs["DURATION"].minimum, docs["DURATION"].maximum) == (0, 3600)
    assert docs["FAIL"].kind == "bool" and docs["ATTACHMENT"].kind == "upload"
    assert upload_fields(selftest.Parameters) == {"ATTACHMENT"}


def test_uws_strings_are_coerced():
    params = validate(selftest.Parameters, {"DURATION": "2.5", "FAIL": "true"})
    assert params.duration == 2.5 and params.fail is True


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"DURATION": "soon"}, "DURATION: Input should be a valid number"),
        ({"WHAT": "x"}, "unknown parameter WHAT"),
    ],
)
def test_errors_read_well(values, expected):
    with pytest.raises(ValidationError) as error:
        validate(selftest.Parameters, values)
    assert expected in validation_message(error.value)
