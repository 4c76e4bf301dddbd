"""window.vocloudSamp (static/js/samp-bridge.js) in real Chromium against a real SAMP hub."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.platform

SCRIPTS = ("vendor/sampjs/module-shim.js", "vendor/sampjs/samp.js", "js/samp-bridge.js")
NO_HUB = "No SAMP hub is running: start TOPCAT or SPLAT (they include a hub) and try again."


def bridge_page(page, platform):
    """Any vocloud page (the login page) with the three scripts, as templates/samp has them."""
    page.goto(f"{platform.url}/accounts/login/")
    for script in SCRIPTS:
        page.add_script_tag(url=f"{platform.url}/static/{script}")
    page.wait_for_function("() => window.vocloudSamp !== undefined")
    return page


def outcome(page, call: str) -> dict:
    """What a vocloudSamp call's Promise settles to: {ok, value} or {ok: false, message, code}."""
    return page.evaluate(
        f"""() => ({call}).then(
            (value) => ({{ok: true, value}}),
            (error) => ({{ok: false, message: error.message, code: error.code}}))"""
    )


def test_the_bridge_leaves_no_module_global_behind(platform, page, no_samp_hub):
    bridge_page(page, platform)
    assert page.evaluate("typeof module") == "undefined"
    assert page.evaluate("typeof samp.Connector") == "function"


def test_tables_spectra_and_row_selections_reach_a_samp_client(
    platform, page, samp_hub, samp_receiver
):
    bridge_page(page, platform)
    assert outcome(page, "vocloudSamp.isHubRunning()") == {"ok": True, "value": True}
    sent = outcome(
        page,
        """vocloudSamp.sendTable({url: "http://127.0.0.1:9/t.vot", name: "cands",
                                  tableId: "vocloud:t"})""",
    )
    # A call: the receiver tried to fetch the table (nothing listens on port 9) and said so.
    assert sent["ok"], sent
    [reply] = sent["value"]
    assert (reply["name"], reply["status"]) == ("receiver", "error"), reply
    assert "refused" in reply["error"] and reply["id"].startswith("cli#")
    [table] = samp_receiver.wait_for("table.load.votable")
    assert table.params == {
        "url": "http://127.0.0.1:9/t.vot",
        "table-id": "vocloud:t",
        "name": "cands",
    }

    outcome(
        page,
        """vocloudSamp.sendSpectrum({url: "http://127.0.0.1:9/s.fits", name: "s.fits",
             meta: {"Access.Format": "application/fits", "Target.Name": "HD 1", "Char.X": 5}})""",
    )
    [spectrum] = samp_receiver.wait_for("spectrum.load.ssa-generic")
    assert spectrum.params == {
        "url": "http://127.0.0.1:9/s.fits",
        "name": "s.fits",
        "meta": {
            "Access.Reference": "http://127.0.0.1:9/s.fits",
            "Access.Format": "application/fits",
            "Target.Name": "HD 1",
            "Char.X": "5",  # SAMP carries strings
        },
    }

    outcome(
        page,
        """vocloudSamp.selectRows({tableId: "vocloud:t", url: "http://127.0.0.1:9/t.vot",
                                   rowList: [0, 2, 5]})""",
    )
    [rows] = samp_receiver.wait_for("table.select.rowList")
    assert rows.params["row-list"] == ["0", "2", "5"] and rows.params["table-id"] == "vocloud:t"

    # One registration for the page, named vocloud, with its description and icon, and
    # the hub's consent dialog saw where it came from.
    assert [(r["name"], r["origin"]) for r in samp_hub.dialog.requests] == [
        ("vocloud", platform.url)
    ]
    meta = samp_receiver.client.get_metadata(table.sender)
    assert meta["samp.name"] == "vocloud"
    assert meta["samp.icon.url"] == f"{platform.url}/static/img/vocloud-samp.png"
    assert "spectra" in meta["samp.description.text"]


def test_row_selections_made_in_a_tool_reach_the_page(platform, page, samp_hub, samp_receiver):
    bridge_page(page, platform)
    subscribed = outcome(
        page,
        """vocloudSamp.onRowSelection((s) => { window.selections = (window.selections || [])
                                                 .concat([s]); }).then(() => "subscribed")""",
    )
    assert subscribed == {"ok": True, "value": "subscribed"}
    recipients = samp_receiver.broadcast(
        "table.select.rowList",
        {"table-id": "vocloud:t", "url": "http://127.0.0.1:9/t.vot", "row-list": ["3", "1"]},
    )
    assert len(recipients) == 1
    page.wait_for_function("() => window.selections && window.selections.length === 1")
    assert page.evaluate("window.selections[0]") == {
        "table-id": "vocloud:t",  # the params as sent...
        "url": "http://127.0.0.1:9/t.vot",
        "row-list": ["3", "1"],
        "tableId": "vocloud:t",  # ...and handier
        "rowList": [3, 1],
        "sender": samp_receiver.public_id,
        "senderName": "receiver",  # its samp.name, not "cli#1"
    }


def test_without_a_hub_everything_says_how_to_get_one(platform, page, no_samp_hub):
    bridge_page(page, platform)
    page.evaluate(
        """() => { const e = document.createElement("span"); e.id = "hub";
                   document.body.append(e); vocloudSamp.watchHub(e); }"""
    )
    page.wait_for_function("() => document.getElementById('hub').dataset.sampHub === 'absent'")
    assert page.text_content("#hub") == "SAMP hub: not running"
    assert outcome(page, "vocloudSamp.isHubRunning()") == {"ok": True, "value": False}
    for call in (
        "vocloudSamp.connect()",
        'vocloudSamp.sendTable({url: "http://127.0.0.1:9/t.vot"})',
        'vocloudSamp.sendSpectrum({url: "http://127.0.0.1:9/s.fits", meta: {}})',
        'vocloudSamp.selectRows({tableId: "t", url: "http://127.0.0.1:9/t.vot", rowList: [1]})',
        "vocloudSamp.onRowSelection(() => {})",
    ):
        assert outcome(page, call) == {"ok": False, "message": NO_HUB, "code": "no-hub"}, call


def test_a_row_listener_set_before_the_hub_runs_is_subscribed_later(platform, page, no_samp_hub):
    from tests.support.samp_hub import Receiver

    bridge_page(page, platform)
    early = outcome(page, "vocloudSamp.onRowSelection((s) => { window.selection = s; })")
    assert early["code"] == "no-hub"
    no_samp_hub.start()
    receiver = Receiver().connect()
    try:
        outcome(page, 'vocloudSamp.sendTable({url: "http://127.0.0.1:9/t.vot"})')
        [table] = receiver.wait_for("table.load.votable")
        page_id = table.sender
        deadline = time.monotonic() + 10
        while page_id not in receiver.client.get_subscribed_clients("table.select.rowList"):
            assert time.monotonic() < deadline, "the page never subscribed"
            time.sleep(0.05)
        receiver.broadcast("table.select.rowList", {"table-id": "t", "url": "u", "row-list": ["7"]})
        page.wait_for_function("() => window.selection !== undefined")
        assert page.evaluate("window.selection.rowList") == [7]
    finally:
        receiver.disconnect()


def test_the_hub_status_follows_the_hub(platform, page, samp_hub, samp_receiver):
    bridge_page(page, platform)
    page.evaluate(
        """() => { const e = document.createElement("span"); e.id = "hub";
                   document.body.append(e); vocloudSamp.watchHub(e, {intervalMs: 200}); }"""
    )
    page.wait_for_function("() => document.getElementById('hub').dataset.sampHub === 'running'")
    outcome(page, 'vocloudSamp.sendTable({url: "http://127.0.0.1:9/t.vot"})')
    page.wait_for_function(
        "() => document.getElementById('hub').textContent === 'SAMP hub: connected'"
    )
    samp_hub.stop()
    page.wait_for_function(
        "() => document.getElementById('hub').textContent === 'SAMP hub: not running'"
    )


def test_a_refused_registration_is_explained(platform, page, samp_hub, samp_receiver):
    samp_hub.dialog.approve = False
    bridge_page(page, platform)
    refused = outcome(page, 'vocloudSamp.sendTable({url: "http://127.0.0.1:9/t.vot"})')
    assert refused["code"] == "refused" and "Accept vocloud" in refused["message"]
    assert samp_receiver.messages == []


def test_a_hub_without_a_table_tool_is_explained(platform, page, samp_hub):
    bridge_page(page, platform)
    nobody = outcome(page, 'vocloudSamp.sendTable({url: "http://127.0.0.1:9/t.vot"})')
    assert nobody["code"] == "no-recipient" and "start TOPCAT" in nobody["message"]


@pytest.fixture
def tables(tmp_path):
    """A real HTTP server (127.0.0.2) with cands.vot, a two-row VOTable."""
    from tests.files.conftest import write_votable
    from tests.support.vo_servers import StaticServer

    write_votable(tmp_path / "cands.vot")
    with StaticServer(tmp_path) as server:
        yield server


SEND = """vocloudSamp.sendTable({url: "%s/cands.vot", name: "cands", tableId: "%s",
                                timeoutMs: %d})"""


def told(page, replies: list[dict]) -> dict:
    """What vocloudSamp.describeReplies makes of ``replies`` for a two-row table."""
    return page.evaluate(
        """(replies) => vocloudSamp.describeReplies(
               replies, {done: "loaded 2 rows", what: "the table"})""",
        replies,
    )


def test_a_table_id_sent_again_is_refused_and_the_page_hears_why(
    platform, page, samp_hub, samp_receiver, tables
):
    bridge_page(page, platform)
    first = outcome(page, SEND % (tables.url, "vocloud:t-1", 10_000))
    assert [(r["name"], r["status"], r["error"]) for r in first["value"]] == [
        ("receiver", "ok", "")
    ]
    again = outcome(page, SEND % (tables.url, "vocloud:t-1", 10_000))
    [refused] = again["value"]
    assert refused["status"] == "error"
    assert refused["error"] == "Duplicate table-id: table 'vocloud:t-1' has already been received"
    assert told(page, again["value"]) == {
        "ok": False,
        "text": "receiver could not load the table: Duplicate table-id: table 'vocloud:t-1' "
        "has already been received.",
    }
    fresh = outcome(page, SEND % (tables.url, "vocloud:t-2", 10_000))
    assert told(page, fresh["value"]) == {
        "ok": True,
        "text": "receiver loaded 2 rows.",
    }
    assert [(t.table_id, t.n_rows) for t in samp_receiver.loaded] == [
        ("vocloud:t-1", 2),
        ("vocloud:t-2", 2),
    ]


def test_a_failed_load_and_a_silent_tool_are_reported(
    platform, page, samp_hub, samp_receiver, tables
):
    bridge_page(page, platform)
    samp_receiver.fail_loads("Can't open table: not enough memory")
    failed = outcome(page, SEND % (tables.url, "vocloud:f-1", 10_000))
    assert told(page, failed["value"])["text"] == (
        "receiver could not load the table: Can't open table: not enough memory."
    )
    samp_receiver.replying = False
    started = time.monotonic()
    silent = outcome(page, SEND % (tables.url, "vocloud:f-2", 1000))
    assert 0.9 < time.monotonic() - started < 8
    assert [r["status"] for r in silent["value"]] == ["timeout"]
    assert told(page, silent["value"]) == {
        "ok": False,
        "text": "receiver did not answer within 1 s (it may still be loading the table).",
    }


def page_ids(receiver) -> set[str]:
    return set(receiver.client.get_registered_clients())


def wait_gone(receiver, client_id: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while client_id in page_ids(receiver):
        assert time.monotonic() < deadline, f"{client_id} is still registered with the hub"
        time.sleep(0.05)


def test_a_page_that_goes_away_unregisters_from_the_hub(platform, page, samp_hub, samp_receiver):
    before = page_ids(samp_receiver)
    bridge_page(page, platform)
    assert outcome(page, "vocloudSamp.connect()")["ok"]
    [navigating] = page_ids(samp_receiver) - before
    # Leaving for another site: sampjs' own unregister (an XMLHttpRequest) was cancelled
    # here, and the page stayed listed in the hub (and in TOPCAT) for good.
    page.goto("about:blank")
    wait_gone(samp_receiver, navigating)

    closing = bridge_page(page.context.new_page(), platform)
    assert outcome(closing, "vocloudSamp.connect()")["ok"]
    [disconnected] = page_ids(samp_receiver) - before
    assert outcome(closing, "vocloudSamp.disconnect()")["ok"]
    assert disconnected not in page_ids(samp_receiver)  # told before the Promise settled
    assert outcome(closing, "vocloudSamp.connect()")["ok"]
    [closed] = page_ids(samp_receiver) - before
    closing.close(run_before_unload=True)  # as a user closes the tab
    wait_gone(samp_receiver, closed)
