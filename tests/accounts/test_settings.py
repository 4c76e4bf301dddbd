"""The Settings page: password, notification choice, the way to API tokens and history."""

from django.contrib.auth import get_user_model

from tests.support.platform import PASSWORDS
from vocloud.accounts import notify
from vocloud.accounts.models import MailChoice

NEW_PASSWORD = "a-new-and-long-passphrase"


def test_settings_page_shows_the_forms_and_the_way_to_tokens(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/settings/").content.decode()
    for part in ('id="password"', 'id="mail"', 'href="/accounts/tokens/"', "/accounts/history/"):
        assert part in page
    assert 'href="/accounts/settings/"' in page  # in the top bar


def test_changing_the_password_keeps_this_session_and_the_new_one_logs_in(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/settings/password/",
        {
            "old_password": PASSWORDS["alice"],
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/settings/"
    assert "Your password is changed." in response.content.decode()
    assert client.get("/accounts/settings/").status_code == 200  # still logged in
    alice = get_user_model().objects.get(pk=alice.pk)
    assert alice.check_password(NEW_PASSWORD) and not alice.check_password(PASSWORDS["alice"])


def test_mismatched_new_passwords_are_refused_with_a_sentence(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/settings/password/",
        {"old_password": PASSWORDS["alice"], "new_password1": NEW_PASSWORD, "new_password2": "x"},
    )
    assert response.status_code == 200
    assert "The two password fields didn\u2019t match." in response.content.decode()
    assert get_user_model().objects.get(pk=alice.pk).check_password(PASSWORDS["alice"])


def test_the_notification_choice_is_saved_and_shown_again(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/settings/mail/", {"job_ended": "on", "email": "alice@example.org"}, follow=True
    )
    assert "You will get a mail at alice@example.org" in response.content.decode()
    assert MailChoice.objects.get(user=alice).job_ended
    assert notify.wants_mail(get_user_model().objects.get(pk=alice.pk))
    page = client.get("/accounts/settings/").content.decode()
    assert 'value="alice@example.org"' in page and "checked" in page
    client.post("/accounts/settings/mail/", {"email": "alice@example.org"})  # box unticked
    assert not MailChoice.objects.get(user=alice).job_ended


def test_ticking_the_box_without_an_address_asks_for_one(client, alice):
    client.force_login(alice)
    response = client.post("/accounts/settings/mail/", {"job_ended": "on", "email": ""})
    assert response.status_code == 200
    assert "Give the address to write to" in response.content.decode()
    assert not MailChoice.objects.filter(user=alice).exists()


def test_settings_need_a_login(client):
    for url in ("/accounts/settings/", "/accounts/history/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
