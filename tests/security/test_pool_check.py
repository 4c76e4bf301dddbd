"""The pool check's ways in (its page and the JSON API): rows of attack -> refusal.

Another user's session or round answers 404 as if absent; an answer on a spectrum that was
not drawn is refused; class names stay text; a browser session's POST needs its CSRF
token; garbage and oversized bodies get one sentence, never a traceback or a server path.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from vocloud.labelling import checks
from vocloud.labelling.models import Label, PoolCheck

pytestmark = pytest.mark.django_db

API = "/api/v1/labelling/sessions"
HOSTILE = '<img src=x onerror="alert(1)">'


def _urls(session_id: int, number: int = 1) -> list[tuple[str, str, dict | None]]:
    api = f"{API}/{session_id}/rounds/{number}/check"
    return [
        ("get", f"/labelling/{session_id}/rounds/{number}/check/", None),
        ("get", api, None),
        ("post", api, {"draw": 5}),
        ("post", f"{api}/answers", {"path": "demo/s001.fits", "answer": "yes"}),
        ("post", f"{api}/undo", {}),
        ("get", f"{api}/spectrum?order=0", None),
    ]


def _call(client, method: str, url: str, body):
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(body), content_type="application/json")


def test_another_users_session_or_round_is_404(labelling, client, alice, bob):
    checks.draw_more(labelling.rounds.get(number=1), 3)
    client.force_login(bob)
    for method, url, body in [*_urls(labelling.pk), *_urls(labelling.pk, 9)]:
        assert _call(client, method, url, body).status_code == 404, url
    assert PoolCheck.objects.count() == 3 and PoolCheck.objects.exclude(answer="").count() == 0
    client.force_login(alice)
    for method, url, body in _urls(labelling.pk, 9):  # alice's own session, no round 9
        assert _call(client, method, url, body).status_code == 404, url


def test_an_answer_on_a_spectrum_not_drawn_is_refused(labelling, client, alice):
    round_ = labelling.rounds.get(number=1)
    drawn = {c.path for c in checks.draw_more(round_, 3)}
    not_drawn = next(
        f"demo/s{i:03d}.fits" for i in range(1, 90) if f"demo/s{i:03d}.fits" not in drawn
    )
    client.force_login(alice)
    url = f"{API}/{labelling.pk}/rounds/1/check/answers"
    for path in (not_drawn, "demo/s000.fits", "../../etc/passwd", ""):
        answer = _call(client, "post", url, {"path": path, "answer": "yes", "label": True})
        assert answer.status_code == 400 and answer.json()["error"].endswith("."), path
    assert PoolCheck.objects.exclude(answer="").count() == 0
    assert not Label.objects.filter(path=not_drawn).exists()


def test_class_names_stay_text(labelling, client, alice):
    labelling.classes = [*labelling.classes, HOSTILE]
    labelling.save()
    client.force_login(alice)
    page = client.get(f"/labelling/{labelling.pk}/rounds/1/check/").content.decode()
    assert HOSTILE not in page and "\\u003Cimg src=x" in page  # json_script escapes it
    round_ = labelling.rounds.get(number=1)
    [drawn] = checks.draw_more(round_, 1)
    url = f"{API}/{labelling.pk}/rounds/1/check/answers"
    refused = _call(client, "post", url, {"path": drawn.path, "answer": "no", "truth": "<b>x"})
    assert refused.status_code == 400 and "<b>" not in refused.content.decode()
    taken = _call(client, "post", url, {"path": drawn.path, "answer": "no", "truth": HOSTILE})
    assert taken.status_code == 200 and PoolCheck.objects.get(pk=drawn.pk).truth == HOSTILE


def test_posts_from_a_browser_session_need_the_csrf_token(labelling, alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    for method, url, body in _urls(labelling.pk):
        if method == "post":
            response = _call(browser, method, url, body)
            assert response.status_code == 403 and "CSRF" in response.json()["error"], url
    assert not PoolCheck.objects.exists()


@pytest.mark.parametrize(
    "suffix, body",
    [
        ("", b"not json"),
        ("", b"[1, 2]"),
        ("", b'{"draw": 1000000}'),
        ("", b'{"draw": "20"}'),
        ("", b'{"draw": true}'),
        ("", b'{"draw": 5, "seed": 1}'),
        ("/answers", b'{"path": "' + b"a" * 100_000 + b'", "answer": "yes"}'),
        ("/answers", b'{"path": "demo/s001.fits", "answer": "<script>"}'),
        ("/answers", b'{"path": "demo/s001.fits", "answer": "yes", "label": "yes"}'),
        ("/answers", b'{"path": ["demo/s001.fits"], "answer": "yes"}'),
        ("/answers", b"{" * 5000),
        ("/undo", b'{"x": 1}'),
        ("", b'{"draw": 5}' + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)),
    ],
)
def test_garbage_and_oversized_bodies_get_one_sentence(labelling, client, alice, suffix, body):
    client.force_login(alice)
    url = f"{API}/{labelling.pk}/rounds/1/check{suffix}"
    response = client.post(url, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    text = response.content.decode()
    assert set(json.loads(text)) == {"error"} and json.loads(text)["error"].endswith(".")
    assert "Traceback" not in text and str(settings.DATA_DIR) not in text
    assert not PoolCheck.objects.exists()
