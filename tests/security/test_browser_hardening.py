"""Browser hardening, as rows of attack -> expected refusal.

User text never becomes markup (page scripts use textContent; templates escape), every page
runs only scripts that carry its Content-Security-Policy nonce, and bytes a user uploaded or
a job wrote never run as a page or a script of ours (vocloud/content.py).

The browser rows run in Debian's headless Chromium against the running platform, in a world
made once per module: a class name, a session name, a file name, a job note and an upload
name that are all markup meant to set ``window.pwned``. A row fails when that flag is set,
when any element anywhere (shadow roots included) has an ``on*`` attribute, when the page
reports a CSP violation or a console error, or when the hostile text is not on the page as
text. The header rows run against the same platform over HTTP; the type rows call
``vocloud.content.content_response`` itself.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from urllib.parse import quote

import lxml.html
import pytest

from tests.files.conftest import ONDREJOV
from tests.live.test_labelling import _post, start_session, wait_ready
from tests.support.browser import CHROMIUM_FLAGS, chromium_path, screenshot_dir
from tests.support.platform import PASSWORDS, run_job
from tests.support.toy_upload import toy_archive
from vocloud.content import INERT_CSP, content_response

CLASS = "<img src=x onerror=\"window.pwned='class'\">"  # markup in an element
CLASS_2 = "\"><svg onload=window.pwned='class2'>"  # breaking out of an attribute
SESSION = "</title><img src=x onerror=window.pwned='session'>"  # out of <title>
FILE = "<img src=x onerror=window.pwned='file'>.fits"  # no '/' and no '"' in a file name
NOTE = "<script>window.pwned='note'</script>"
UPLOAD = "<svg onload=window.pwned='upload'>.html"
EVIL = {  # evil/<name> in alice's files: what an attacker would upload
    "evil.html": b"<html><body><script>window.pwned='html'</script></body></html>",
    "evil.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=\'svg\'"/>',
    "evil.js": b"window.pwned = 'js';\n",
    # "<VOTABLE" in the first bytes makes these VOTables to the file manager (signable for
    # TOPCAT); as XML a browser would run their XHTML and SVG scripts.
    "polyglot.html": b'<html xmlns="http://www.w3.org/1999/xhtml"><!-- <VOTABLE> -->'
    b"<body><script>window.pwned='polyglot-html'</script></body></html>",
    "polyglot.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><!-- <VOTABLE> -->'
    b"<script>window.pwned='polyglot-svg'</script></svg>",
    "polyglot.js": b"window.pwned = 'polyglot-js'; // <VOTABLE>\n",
}
EXECUTABLE = ("html", "svg", "xml", "javascript", "ecmascript", "xhtml")

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
"""
INJECTED = """() => {
  const found = [];
  const walk = (root) => { for (const el of root.querySelectorAll("*")) {
    for (const name of el.getAttributeNames()) {
      if (name.startsWith("on")) found.push(`${el.tagName} ${name}`);
    }
    if (el.shadowRoot) walk(el.shadowRoot);
  } };
  walk(document);
  return found;
}"""
BACKENDS = """() => {
  const walk = (view) => [view, ...(view.child_views || []).flatMap(walk)];
  return Object.values(Bokeh.index).flatMap(walk).filter((v) => v.canvas_view)
    .map((v) => (v.canvas_view.webgl ? "webgl" : "canvas"));
}"""
HUB = "http://localhost:21012/"  # sampjs looks for a SAMP hub; none runs here


@dataclass
class World:
    portal: object  # alice's requests session, logged in through the login page
    session_id: int
    train_job: str
    round_job: str
    note_job: str


@pytest.fixture(scope="module")
def world(platform) -> World:
    """alice's hostile names on the platform: dataset, session with round 1, files, a job."""
    archive, snapshot, _labels = toy_archive("hostile", seed=8)
    rename = {"absorption": CLASS, "emission": CLASS_2}
    labels = io.StringIO()
    rows = csv.writer(labels)
    for path, label in csv.reader(io.StringIO(snapshot)):
        rows.writerow([path, rename.get(label, label)])
    api = platform.session("alice")
    run_job(api, platform, "ingest", TARGET="hostile", files={"UPLOAD": ("t.tar.gz", archive)})
    run_job(api, platform, "dataset", NAME="hostile", FOLDERS="hostile", NORMALISATION="none")
    portal = platform.portal_session("alice")
    uploads = [("files", (FILE, ONDREJOV.read_bytes()))]
    uploads.append(("files", ("hostile.labels.csv", labels.getvalue().encode())))
    _post(portal, f"{platform.url}/files/upload/", {"folder": ""}, files=uploads)
    evil = [("files", (name, body)) for name, body in EVIL.items()]
    _post(portal, f"{platform.url}/files/mkdir/", {"folder": "", "name": "evil"})
    _post(portal, f"{platform.url}/files/upload/", {"folder": "evil"}, files=evil)
    fields = {"name": SESSION, "schema": "classes", "target": "class", "per_class": "5"}
    session_id = start_session(
        portal, platform, dataset="hostile", import_file="hostile.labels.csv", **fields
    )
    status = wait_ready(portal, platform, session_id, 1)
    note = run_job(
        api,
        platform,
        "selftest",
        DURATION="0",
        NOTE=NOTE,
        files={"ATTACHMENT": (UPLOAD, EVIL["evil.html"])},
    )
    return World(
        portal, session_id, status["train"]["job_id"], status["round"]["job_id"], note.job_id
    )


# --- every page: a CSP with a nonce, and every script carries it -------------------------

PAGES = [  # (row, path, persona, what must be on the page as text)
    ("login", "/accounts/login/", None, []),
    ("home", "/", "alice", []),
    ("files", "/files/", "alice", [FILE]),
    ("file view of a FITS spectrum", "/files/view/" + quote(FILE), "alice", [FILE]),
    ("datasets", "/datasets/", "alice", []),
    ("dataset detail", "/datasets/hostile/", "alice", []),
    ("labelling sessions", "/labelling/", "alice", [SESSION, CLASS, CLASS_2]),
    ("labelling session", "/labelling/{session}/", "alice", [SESSION, CLASS, CLASS_2]),
    ("label view", "/labelling/{session}/rounds/1/", "alice", [SESSION, CLASS, CLASS_2]),
    ("candidates", "/labelling/{session}/rounds/1/candidates/", "alice", [SESSION]),
    ("jobs", "/jobs/", "alice", []),
    ("job with a hostile note", "/jobs/selftest/{note}/", "alice", [NOTE, UPLOAD]),
    ("training job", "/jobs/train/{train}/", "alice", []),
    ("new job", "/jobs/new/selftest/", "alice", []),
    ("job kinds", "/kinds/", "alice", []),
    ("job kind", "/kinds/selftest/", "alice", []),
    ("SSAP search", "/ssap/", "alice", []),
    ("API tokens", "/accounts/tokens/", "alice", []),
    ("admin", "/admin/", "staff", []),
    ("admin: jobs", "/admin/uws/job/", "staff", []),
    ("admin: labelling sessions", "/admin/labelling/session/", "staff", [SESSION]),
]


def _url(platform, world: World, path: str) -> str:
    ids = {"session": world.session_id, "note": world.note_job, "train": world.train_job}
    return platform.url + path.format(**ids)


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.fixture(scope="module")
def staff_portal(platform):
    return platform.portal_session("staff")


@pytest.mark.platform
@pytest.mark.parametrize(("row", "path", "persona", "texts"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_runs_only_scripts_with_its_nonce(
    platform, world, staff_portal, row, path, persona, texts
):
    import requests

    who = {None: requests.Session(), "alice": world.portal, "staff": staff_portal}[persona]
    response = who.get(_url(platform, world, path), timeout=60)
    assert response.status_code == 200, response.text[:300]
    policy = _directives(response.headers["Content-Security-Policy"])
    [nonce] = [s[7:-1] for s in policy["script-src"] if s.startswith("'nonce-")]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] in (["'none'"], ["'self'"])
    document = lxml.html.fromstring(response.content)
    scripts = document.iter("script")
    assert all(s.get("nonce") == nonce for s in scripts if s.get("type") != "application/json")
    handlers = [(e.tag, a) for e in document.iter() for a in e.attrib if a.startswith("on")]
    assert handlers == []
    text = document.text_content()
    assert all(t in text for t in texts)


# --- the same pages in Chromium ---------------------------------------------------------


class Browser:
    """One headless Chromium for the module; a page per persona, watched for trouble."""

    def __init__(self, playwright, platform) -> None:
        self.platform = platform
        self.browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        self.pages: dict[str | None, object] = {}
        self.errors: list[str] = []

    def page(self, persona: str | None):
        if persona not in self.pages:
            context = self.browser.new_context(viewport={"width": 1280, "height": 720})
            context.add_init_script(WATCH)
            page = context.new_page()
            page.on("console", self._console)
            page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
            if persona:
                page.goto(f"{self.platform.url}/accounts/login/")
                page.fill("input[name=username]", persona)
                page.fill("input[name=password]", PASSWORDS[persona])
                page.click("button[type=submit]")
                page.wait_for_selector("text=Log out")
            self.pages[persona] = page
        return self.pages[persona]

    def _console(self, message) -> None:
        where = message.location.get("url", "")
        # Chromium reports a missing hub (sampjs looks for one) and favicon as failed loads.
        if message.type == "error" and not where.startswith(HUB) and "favicon" not in where:
            self.errors.append(f"console: {message.text} ({where})")

    def visit(self, page, url: str) -> None:
        self.errors.clear()
        page.goto(url)
        page.wait_for_load_state("load")
        if page.evaluate("() => !!window.Bokeh"):
            page.wait_for_function("() => Object.keys(Bokeh.index).length > 0", timeout=30_000)
        page.wait_for_timeout(300)  # late errors (a script that fails after load)

    def assert_clean(self, page) -> None:
        assert page.evaluate("() => window.pwned") is None  # nothing of the payloads ran
        assert page.evaluate(INJECTED) == []  # nor became an element
        assert page.evaluate("() => window.__violations") == []
        assert self.errors == []


@pytest.fixture(scope="module")
def chromium(platform):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = Browser(playwright, platform)
        yield browser
        browser.browser.close()


@pytest.mark.platform
@pytest.mark.parametrize(("row", "path", "persona", "texts"), PAGES, ids=[p[0] for p in PAGES])
def test_hostile_names_stay_text_and_pages_load_without_violations(
    platform, world, chromium, tmp_path, row, path, persona, texts
):
    page = chromium.page(persona)
    chromium.visit(page, _url(platform, world, path))
    picture = re.sub(r"\W+", "-", row)
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/hostile-{picture}.png", full_page=True)
    chromium.assert_clean(page)
    shown = page.inner_text("body")
    assert all(t in shown for t in texts), shown[:2000]


@pytest.mark.platform
def test_the_label_view_writes_class_names_as_text(platform, world, chromium, tmp_path):
    """Legend, counts, performance table, message, review title, class probabilities,
    small plots of a selection, the list of overlapping points and the hover read-out,
    after real actions."""
    page = chromium.page("alice")
    chromium.visit(page, _url(platform, world, "/labelling/{session}/rounds/1/"))
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#colour-by", "predicted")
    assert CLASS in page.inner_text("#legend") and CLASS_2 in page.inner_text("#legend")
    first = page.evaluate(
        "() => JSON.parse(document.getElementById('label-config').textContent).classes[0]"
    )
    page.keyboard.press("ArrowRight")  # the review queue: the most uncertain spectrum
    page.wait_for_selector("#review-title:has-text('predicted')")
    page.keyboard.press("1")  # labelled as shown, and on to the next spectrum
    page.wait_for_selector("#message:has-text('labelled')")
    assert first in page.inner_text("#message") and first in page.inner_text("#counts")
    page.select_option("#colour-by", "label")
    assert first in page.inner_text("#legend")
    # "Am I correct?" about a spectrum shown as predicted CLASS: its row in the table
    page.select_option("#mode", "check")
    page.evaluate(
        "(shown) => { Bokeh.documents[0].get_model_by_name('points').data.prediction[1] = shown; }",
        CLASS,
    )
    page.wait_for_selector("#review-position:has-text('2 of')")
    page.keyboard.press("y")
    page.wait_for_selector("#message:has-text('confirmed')")
    assert CLASS in page.inner_text("#performance")
    # the selection's small plots carry the predicted class names
    page.evaluate(
        "() => { Bokeh.documents[0].get_model_by_name('points').selected.indices = [0, 1, 2]; }"
    )
    page.wait_for_selector(".thumb svg")
    # the hover read-out and the list of points under a click name the labelled point
    point = page.evaluate(
        """() => { const model = Bokeh.documents[0].get_model_by_name('scatter-plot');
                   const v = Object.values(Bokeh.index).find((x) => x.model === model);
                   const d = Bokeh.documents[0].get_model_by_name('points').data;
                   const box = v.el.getBoundingClientRect(), f = v.frame.bbox;
                   const xr = model.x_range, yr = model.y_range;
                   const kx = f.width / (xr.end - xr.start), ky = f.height / (yr.end - yr.start);
                   return {x: box.left + f.left + (d.x[0] - xr.start) * kx,
                           y: box.top + f.top + (yr.end - d.y[0]) * ky}; }"""
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector("#hover-tip:not([hidden])")
    assert first in page.inner_text("#hover-tip")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("#review-title:has-text('labelled: ')")
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/hostile-label-view.png", full_page=True)
    chromium.assert_clean(page)


# --- bytes users and jobs put on our origin ----------------------------------------------

# (attack, how it is fetched, served type, disposition)
CONTENT = [
    ("evil/evil.html", "download", "application/octet-stream", "attachment"),
    ("evil/evil.svg", "download", "application/octet-stream", "attachment"),
    ("evil/evil.js", "download", "application/octet-stream", "attachment"),
    ("evil/polyglot.html", "download", "application/x-votable+xml", "attachment"),
    ("evil/polyglot.html", "signed", "application/x-votable+xml", "inline"),
    ("evil/polyglot.svg", "signed", "application/x-votable+xml", "inline"),
    ("evil/polyglot.js", "signed", "application/x-votable+xml", "inline"),
    (FILE, "signed", "application/fits", "inline"),
    ("upload of a job", "parameter", "application/octet-stream", "attachment"),
]


def _content_url(platform, world: World, name: str, route: str) -> str:
    if route == "download":
        return f"{platform.url}/files/download/{quote(name)}"
    if route == "parameter":
        return f"{platform.jobs_url('selftest')}/{world.note_job}/parameters/ATTACHMENT"
    purpose = "spectrum" if name.endswith(".fits") else "table"
    portal = world.portal
    answer = portal.post(
        f"{platform.url}/files/samp/links/",
        data={"paths": [name], "purpose": purpose},
        headers={"X-CSRFToken": portal.cookies["csrftoken"], "Referer": platform.url + "/files/"},
    ).json()
    [signed] = answer["files"]
    return signed["url"]


@pytest.mark.platform
@pytest.mark.parametrize(("name", "route", "served", "disposition"), CONTENT)
def test_user_content_is_never_served_as_something_that_runs(
    platform, world, name, route, served, disposition
):
    import requests

    url = _content_url(platform, world, name, route)
    who = {
        "download": world.portal,
        "signed": requests.Session(),  # the link is the credential
        "parameter": platform.session("alice"),  # UWS: HTTP Basic
    }[route]
    response = who.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == served
    assert response.headers["Content-Disposition"].startswith(disposition)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == INERT_CSP


@pytest.mark.platform
def test_inline_user_content_runs_nothing_in_chromium(platform, world, chromium):
    from playwright.sync_api import Error as PlaywrightError

    page = chromium.page("alice")
    for name in ("evil/polyglot.html", "evil/polyglot.svg"):  # XML with XHTML / SVG scripts
        try:
            page.goto(_content_url(platform, world, name, "signed"))
        except PlaywrightError as error:  # Chromium saves a VOTable rather than show it
            assert "Download is starting" in error.message
            continue
        page.wait_for_timeout(300)  # a browser that shows XML: in a sandbox, scripts off
        assert page.evaluate("() => window.pwned") is None, name
        assert page.evaluate("() => window.origin") == "null", name
    # Injected into one of our pages, a same-origin <script src> of a user's file (which the
    # page CSP's 'self' allows) is refused for its type: nosniff and no script type.
    chromium.visit(page, f"{platform.url}/files/")
    sources = [
        f"/files/download/{quote('evil/evil.js')}",
        _content_url(platform, world, "evil/polyglot.js", "signed"),
    ]
    outcome = page.evaluate(
        """async (sources) => Promise.all(sources.map((src) => new Promise((done) => {
             const script = document.createElement("script");
             script.src = src;
             script.onload = () => done("ran"); script.onerror = () => done("refused");
             document.body.append(script); })))""",
        sources,
    )
    assert outcome == ["refused", "refused"] and page.evaluate("() => window.pwned") is None


@pytest.mark.platform
def test_an_html_job_result_is_shown_in_a_sandbox_of_its_own(platform, world, chromium):
    """The projection plot a round writes (Bokeh, WebGL) draws, but in an opaque origin."""
    url = f"{platform.jobs_url('al-round')}/{world.round_job}/results/plot"
    response = world.portal.get(url, timeout=30)
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Content-Disposition"].startswith("inline")
    policy = _directives(response.headers["Content-Security-Policy"])
    assert sorted(policy["sandbox"]) == ["allow-downloads", "allow-modals", "allow-scripts"]
    assert policy["default-src"] == ["'none'"] and "connect-src" not in policy
    page = chromium.page("alice")
    chromium.visit(page, url)
    assert page.evaluate("() => window.origin") == "null"
    cookie = "() => { try { return document.cookie; } catch (e) { return e.name; } }"
    assert page.evaluate(cookie) == "SecurityError"  # no cookies in an opaque origin
    assert set(page.evaluate(BACKENDS)) == {"webgl"}  # regl ran: its eval is allowed here
    chromium.assert_clean(page)
    # the "save" tool of a training plot still asks for a name and saves a PNG
    chromium.visit(page, f"{platform.jobs_url('train')}/{world.train_job}/results/learning-curve")
    page.once("dialog", lambda dialog: dialog.accept("curve"))
    with page.expect_download() as download:
        page.locator(".bk-tool-icon-save").first.click()
    assert download.value.suggested_filename == "curve.png"
    chromium.assert_clean(page)


@pytest.mark.platform
def test_confirmations_work_without_inline_handlers(platform, world, chromium):
    """data-confirm (static/js/confirm.js) asks before a form submits; No keeps the token."""
    page = chromium.page("alice")
    chromium.visit(page, f"{platform.url}/accounts/tokens/")
    page.fill("input[name=name]", "to revoke")
    page.click("form.inline button[type=submit]")
    revoke = page.locator("tr", has_text="to revoke").locator("button", has_text="Revoke")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    revoke.click()
    page.wait_for_timeout(300)
    assert questions == ["Revoke this token?"] and revoke.is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    page.wait_for_load_state("load")
    revoke.wait_for(state="detached")
    chromium.assert_clean(page)


# --- the type rule itself -----------------------------------------------------------------

# (declared type, sandboxed_html, served type, disposition, policy starts with)
TYPES = [
    ("text/html", False, "application/octet-stream", "attachment", INERT_CSP),
    ("text/html", True, "text/html; charset=utf-8", "inline", "sandbox allow-scripts "),
    ("TEXT/HTML; charset=utf-8", False, "application/octet-stream", "attachment", INERT_CSP),
    ("application/xhtml+xml", True, "application/octet-stream", "attachment", INERT_CSP),
    ("image/svg+xml", True, "application/octet-stream", "attachment", INERT_CSP),
    ("text/javascript", False, "application/octet-stream", "attachment", INERT_CSP),
    ("application/xml", False, "application/octet-stream", "attachment", INERT_CSP),
    ("text/xsl", False, "application/octet-stream", "attachment", INERT_CSP),
    ("application/pdf", False, "application/octet-stream", "attachment", INERT_CSP),
    ("", False, "application/octet-stream", "attachment", INERT_CSP),
    ("application/x-votable+xml", False, "application/x-votable+xml", "inline", INERT_CSP),
    ("application/fits", False, "application/fits", "inline", INERT_CSP),
    ("text/csv", False, "text/plain; charset=utf-8", "inline", INERT_CSP),
    ("text/plain", False, "text/plain; charset=utf-8", "inline", INERT_CSP),
    ("application/json", False, "application/json", "inline", INERT_CSP),
    ("image/png", False, "image/png", "inline", INERT_CSP),
]


@pytest.mark.parametrize(("declared", "html", "served", "disposition", "policy"), TYPES)
def test_only_types_that_run_nothing_are_served_inline(
    tmp_path, declared, html, served, disposition, policy
):
    path = tmp_path / "x"
    path.write_bytes(b"<script>window.pwned = 1</script>")
    response = content_response(path, declared, filename=CLASS, sandboxed_html=html)
    response.file_to_stream.close()  # close() would signal request_finished (database)
    assert response["Content-Type"] == served
    # the name, however hostile, stays one quoted parameter of the header
    quoted = CLASS.replace('"', '\\"')
    assert response["Content-Disposition"] == f'{disposition}; filename="{quoted}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith(policy)
