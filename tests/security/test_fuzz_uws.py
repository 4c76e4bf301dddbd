"""Property-based fuzzing of UWS job creation: any parameters give 303 or a 400 UsageError,
never a server error, for every job kind."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import basic
from vocloud.uws.kinds import KINDS

pytestmark = pytest.mark.django_db

KIND_NAMES = sorted(KINDS)
# Names the kinds declare, the UWS control parameters, and anything else.
KNOWN = sorted({p.name for kind in KINDS.values() for p in kind.parameters})
NAMES = st.one_of(
    st.sampled_from([*KNOWN, "PHASE", "RUNID", "DESTRUCTION", "EXECUTIONDURATION"]),
    st.text(min_size=1, max_size=12),
)
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "RUN", "-1", "0", "1e309", "nan", "2026-13-45T25:00:00Z", "../../x"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind=st.sampled_from(KIND_NAMES), params=st.dictionaries(NAMES, VALUES, max_size=6))
def test_any_parameters_give_a_job_or_a_usage_error(client, alice, kind, params):
    response = client.post(f"/uws/{kind}/async", params, **basic("alice"))
    assert response.status_code in (303, 400), (response.status_code, params)
    if response.status_code == 400:
        assert response.content.startswith(b"UsageError"), response.content[:200]
        assert b"Traceback" not in response.content
