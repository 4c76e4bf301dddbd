"""UWS documents: valid against the UWS 1.1 schema, read back by pyvo without warnings."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import pyvo.io.uws
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from tests.conftest import basic
from vocloud.uws import phases
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase
from vocloud.uws.service import create_job

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "conformance"


class _LocalXlink(etree.Resolver):
    def resolve(self, url, public_id, context):
        if url and url.endswith("xlink.xsd"):
            return self.resolve_filename(str(SCHEMA_DIR / "xlink.xsd"), context)
        return None


@pytest.fixture(scope="module")
def schema():
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalXlink())
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "UWS.xsd"), parser))


def check(schema, content: bytes) -> etree._Element:
    root = etree.fromstring(content)
    assert schema.validate(root), schema.error_log
    return root


def test_job_documents_in_every_phase_are_valid(client, alice, completed_job, schema):
    failed = create_job(alice, KINDS["selftest"], {"NOTE": "<&> ✓"})
    for step in (Phase.QUEUED, Phase.EXECUTING):
        phases.transition(failed, step)
    Job.objects.filter(pk=failed.pk).update(progress=0.25, progress_message="step 1 <of> 4")
    phases.transition(failed, Phase.ERROR, error_message="it broke & <stopped>")
    for job in (completed_job, failed):
        response = client.get(f"/uws/selftest/async/{job.job_id}", **basic("alice"))
        root = check(schema, response.content)
        assert root.get("version") == "1.1"
        parsed = pyvo.io.uws.parse_job(io.BytesIO(response.content))
        assert parsed.jobid == job.job_id
    assert parsed.errorsummary.message.content == "it broke & <stopped>"
    ns = {"uws": "http://www.ivoa.net/xml/UWS/v1.0", "vc": "https://vocloud.org/xml/jobinfo/v1"}
    assert root.findtext("uws:jobInfo/vc:progress", namespaces=ns) == "0.25"
    assert root.find("uws:runId", ns) is None  # no RUNID given: the element is left out


def test_times_end_in_z(client, completed_job):
    text = client.get(f"/uws/selftest/async/{completed_job.job_id}", **basic("alice")).content
    root = etree.fromstring(text)
    for name in ("creationTime", "startTime", "endTime", "destruction"):
        value = root.findtext(f"{{http://www.ivoa.net/xml/UWS/v1.0}}{name}")
        assert value.endswith("Z") and "+" not in value, (name, value)


def test_list_results_and_parameters_are_valid(client, completed_job, schema):
    base = f"/uws/selftest/async/{completed_job.job_id}"
    for url in ("/uws/selftest/async", f"{base}/results", f"{base}/parameters"):
        check(schema, client.get(url, **basic("alice")).content)
    parameters = etree.fromstring(client.get(f"{base}/parameters", **basic("alice")).content)
    by_id = {p.get("id"): p for p in parameters}
    assert by_id["ATTACHMENT"].get("byReference") == "true"
    assert by_id["ATTACHMENT"].text == f"http://testserver{base}/parameters/ATTACHMENT"


@pytest.mark.parametrize(
    "url, status",
    [
        ("/uws/nosuchkind/async", 404),
        ("/uws/selftest/async/nosuchjob", 404),
        ("/uws/selftest/async?LAST=0", 400),
        ("/uws/selftest/async?PHASE=NAPPING", 400),
        ("/uws/selftest/async?AFTER=yesterday", 400),
    ],
)
def test_errors_are_plain_text_with_a_code(client, alice, url, status):
    response = client.get(url, **basic("alice"))
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().split(":")[0] in ("UsageError", "NotFound")


def test_vosi_capabilities_point_at_the_job_list(client, db):
    response = client.get("/uws/selftest/capabilities")
    assert response.status_code == 200
    assert b"ivo://ivoa.net/std/UWS#rest-1.1" in response.content
    assert b"http://testserver/uws/selftest/async" in response.content
    assert client.get("/uws/nosuchkind/capabilities").status_code == 404


def test_a_job_document_costs_few_queries_and_a_finished_one_is_cached(
    client, alice, completed_job, schema
):
    """What pyvo polls most: credentials from the cache (one look at failed log-ins, the
    user), the job, its results; a finished job's document comes from the cache after the
    first time, until its destruction time changes."""
    url = f"/uws/selftest/async/{completed_job.job_id}"
    assert client.get(url, **basic("alice")).status_code == 200  # fills the credential cache
    with CaptureQueriesContext(connection) as first:
        response = client.get(url, **basic("alice"))
    assert response.status_code == 200
    root = check(schema, response.content)
    assert root.findtext("{http://www.ivoa.net/xml/UWS/v1.0}ownerId") == "alice"
    assert len(first) <= 4, [q["sql"][:80] for q in first]
    with CaptureQueriesContext(connection) as second:
        again = client.get(url, **basic("alice"))
    assert again.content == response.content
    assert not any("uws_result" in q["sql"] for q in second)  # the document was cached
    sooner = (completed_job.destruction - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post(f"{url}/destruction", {"DESTRUCTION": sooner}, **basic("alice"))
    assert response.status_code == 303
    changed = check(schema, client.get(url, **basic("alice")).content)
    destruction = changed.findtext("{http://www.ivoa.net/xml/UWS/v1.0}destruction")
    assert destruction.startswith(sooner[:-1])


def test_a_job_list_names_its_owner_without_a_join(client, alice, completed_job, schema):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/uws/selftest/async", **basic("alice"))
    root = check(schema, response.content)
    refs = root.findall("{http://www.ivoa.net/xml/UWS/v1.0}jobref")
    assert [ref.findtext("{http://www.ivoa.net/xml/UWS/v1.0}ownerId") for ref in refs] == ["alice"]
    assert not any("JOIN" in q["sql"] for q in queries if "uws_job" in q["sql"])


def test_a_running_job_document_reads_no_results(client, alice, schema):
    """Results are recorded in the step to COMPLETED: a running job's document, which pyvo
    polls, does not look for any."""
    job = create_job(alice, KINDS["selftest"], {})
    for phase in (Phase.QUEUED, Phase.EXECUTING):
        assert phases.transition(job, phase)
    url = f"/uws/selftest/async/{job.job_id}"
    client.get(url, **basic("alice"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **basic("alice"))
    root = check(schema, response.content)
    assert root.findtext("{http://www.ivoa.net/xml/UWS/v1.0}phase") == "EXECUTING"
    assert not any("uws_result" in q["sql"] for q in queries)
    assert len(queries) <= 3, [q["sql"][:80] for q in queries]
