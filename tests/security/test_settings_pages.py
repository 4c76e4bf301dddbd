"""Attack rows for the Settings page (password, notification address) and the history."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.jobs import make_job
from tests.support.platform import PASSWORDS
from vocloud.accounts.models import MailChoice
from vocloud.uws.models import Phase

NEW = "a-new-and-long-passphrase"
PASSWORD_FORM = {"old_password": PASSWORDS["alice"], "new_password1": NEW, "new_password2": NEW}
MAIL_FORM = {"job_ended": "on", "email": "alice@example.org"}


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("url", "data"),
    [("/accounts/settings/password/", PASSWORD_FORM), ("/accounts/settings/mail/", MAIL_FORM)],
)
def test_settings_forms_need_the_csrf_token(alice, url, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post(url, data).status_code == 403
    assert fresh(alice).check_password(PASSWORDS["alice"])
    assert not MailChoice.objects.filter(user=alice).exists() and not fresh(alice).email


@pytest.mark.parametrize(
    ("url", "data"),
    [("/accounts/settings/password/", PASSWORD_FORM), ("/accounts/settings/mail/", MAIL_FORM)],
)
def test_settings_forms_refuse_anonymous_posts_and_gets(client, alice, url, data):
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    assert client.get(url).status_code == 405  # a change is a POST only


def test_one_user_cannot_change_anothers_settings(client, alice, bob):
    client.force_login(bob)
    # Fields naming another user are ignored: the form changes the logged-in user only.
    client.post(
        "/accounts/settings/mail/",
        {"job_ended": "on", "email": "bob@example.org", "user": alice.pk, "username": "alice"},
    )
    client.post(
        "/accounts/settings/password/",
        {
            "old_password": PASSWORDS["alice"],  # alice's password does not open bob's form
            "new_password1": NEW,
            "new_password2": NEW,
            "user": alice.pk,
        },
    )
    assert not MailChoice.objects.filter(user=alice).exists() and not fresh(alice).email
    assert fresh(alice).check_password(PASSWORDS["alice"])
    assert fresh(bob).check_password(PASSWORDS["bob"]) and fresh(bob).email == "bob@example.org"
    client.force_login(alice)
    assert "bob@example.org" not in client.get("/accounts/settings/").content.decode()


def test_a_wrong_old_password_changes_nothing_and_says_so(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/settings/password/", {**PASSWORD_FORM, "old_password": "guess"}
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert fresh(alice).check_password(PASSWORDS["alice"]) and not fresh(alice).check_password(NEW)


@pytest.mark.parametrize(
    "address",
    [
        "alice@example.org\nBcc: eve@evil.example",
        "alice@example.org\r\nSubject: hello",
        "alice@example.org%0ABcc:eve@evil.example",
        "alice@example.org, eve@evil.example",
        "Alice <alice@example.org>",
        '"><script>alert(1)</script>@example.org',
        "alice@example.org\x00",
        "a" * 250 + "@example.org",
        "not an address",
    ],
)
def test_hostile_addresses_are_refused_and_never_stored(client, alice, address):
    client.force_login(alice)
    response = client.post("/accounts/settings/mail/", {"job_ended": "on", "email": address})
    assert response.status_code == 200  # the form again, with a sentence
    page = response.content.decode()
    assert 'class="error"' in page and "<script>alert(1)" not in page
    assert not fresh(alice).email and not MailChoice.objects.filter(user=alice).exists()


def test_history_never_lists_other_users_jobs(client, alice, bob):
    mine = make_job(alice, "ingest", Phase.COMPLETED)
    theirs = [make_job(bob, kind, Phase.COMPLETED) for kind in ("ingest", "dataset")]
    client.force_login(alice)
    for query in ("", "?page=2", "?owner=bob", f"?user={bob.pk}"):
        page = client.get(f"/accounts/history/{query}").content.decode()
        assert all(job.job_id not in page for job in theirs)
    assert mine.job_id in client.get("/accounts/history/").content.decode()
