"""The home page leads with the labelling loop; error pages look like the site."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import path

from tests.accounts.jobs import make_job
from vocloud.labelling.models import Label, Round, Session
from vocloud.urls import urlpatterns as site_urlpatterns
from vocloud.uws.models import Phase


def refuse(request):
    raise PermissionDenied("secret reason /srv/vocloud/users/1")


def explode(request):
    raise RuntimeError(f"boom in {__file__}")


# This module is also the URLconf of the tests marked with it: the site plus two failing views.
urlpatterns = [path("test-refused/", refuse), path("test-explodes/", explode), *site_urlpatterns]
handler403 = "vocloud.portal.errors.forbidden"
handler404 = "vocloud.portal.errors.not_found"
handler500 = "vocloud.portal.errors.server_error"


def test_home_leads_with_labelling_then_sessions_jobs_and_selftest_last(client, alice):
    session = Session.objects.create(owner=alice, name="stars", dataset="miles")
    Round.objects.create(session=session, number=1, snapshot="labels/r1.csv")
    for i in range(3):
        Label.objects.create(session=session, path=f"s/{i}.fits", value="A")
    job = make_job(alice, "ingest", Phase.EXECUTING, progress=0.4, progress_message="4 of 10")
    client.force_login(alice)
    page = client.get("/").content.decode()
    order = [
        page.index(part)
        for part in (
            'id="labelling-loop"',
            'id="recent-sessions"',
            'id="recent-jobs"',
            ">Self-test<",
        )
    ]
    assert order == sorted(order)
    assert f'href="/labelling/{session.pk}/"' in page and "Continue labelling" in page
    assert "3 labels, 1 round" in page
    assert job.job_id in page and 'value="0.400"' in page and "4 of 10" in page
    assert page.count(" UTC</time>") >= 2


def test_home_offers_to_start_labelling_and_shows_five_of_each(client, alice, bob):
    for _ in range(7):
        make_job(alice, "selftest", Phase.COMPLETED)
    theirs = make_job(bob, "selftest", Phase.COMPLETED)
    Session.objects.create(owner=bob, name="bobs-secret-session", dataset="d")
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert 'id="start-labelling"' in page
    assert page.count('href="/jobs/selftest/') == 5
    assert theirs.job_id not in page and "bobs-secret-session" not in page


@pytest.mark.parametrize("logged_in", [True, False])
def test_404_is_styled_with_navigation_and_one_sentence(client, alice, logged_in):
    url = "/no-such-page-0123456789abcdef/"
    if logged_in:
        client.force_login(alice)
        url = "/jobs/selftest/0123456789abcdef/"  # a job that is nobody's (raises Http404)
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="topbar"' in page and "/static/css/vocloud.css" in page
    assert "There is no such page here, or it is not yours to see." in page
    assert ("Log out" in page) == logged_in and ('href="/jobs/"' in page) == logged_in
    assert "0123456789abcdef" not in page  # nothing of the request is echoed


@pytest.mark.urls(__name__)
def test_403_is_styled_and_does_not_show_the_reason(client, alice):
    client.force_login(alice)
    response = client.get("/test-refused/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="topbar"' in page and 'href="/accounts/settings/"' in page
    assert "You may not do this here." in page
    assert "secret reason" not in page and "/srv/" not in page


@pytest.mark.urls(__name__)
def test_500_is_styled_with_links_and_one_sentence(client, alice):
    client.raise_request_exception = False
    client.force_login(alice)
    response = client.get("/test-explodes/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'class="topbar"' in page and 'href="/labelling/"' in page
    assert "the error is logged for the administrators" in page
    assert "boom" not in page and __file__ not in page and "Traceback" not in page


def test_login_page_names_the_site_not_the_host(client):
    page = client.get("/accounts/login/", HTTP_HOST="127.0.0.1").content.decode()
    assert "Log in to vocloud" in page and "Log in to 127.0.0.1" not in page


def test_messages_never_show_a_server_path_or_a_traceback(settings):
    from django.template.loader import render_to_string

    leaky = [
        f"Cannot import {settings.DATA_DIR}/users/1/files/demo/a.csv: bad row",
        'Traceback (most recent call last):\n  File "/srv/x.py", line 1\nValueError: no',
        f"Broken: {settings.BASE_DIR}/vocloud/labelling/views.py",
        "Moved 2 item(s) to /demo/sub.",  # a path the user knows stays as written
    ]
    page = render_to_string("base.html", {"messages": leaky})
    assert str(settings.DATA_DIR) not in page and str(settings.BASE_DIR) not in page
    assert "Cannot import demo/a.csv: bad row" in page
    assert "ValueError: no" in page and "Traceback" not in page and "/srv/" not in page
    assert "Broken: views.py" in page and "Moved 2 item(s) to /demo/sub." in page


def test_a_refused_form_gets_the_sites_403_page(rf, alice):
    from vocloud.portal.errors import csrf_failure

    request = rf.post("/accounts/settings/mail/")
    request.user = alice
    response = csrf_failure(request, reason="CSRF cookie not set.")
    page = response.content.decode()
    assert response.status_code == 403 and 'class="topbar"' in page
    assert "Reload the page and try again." in page and "cookie" not in page
