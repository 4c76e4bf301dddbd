"""A large folder in a real headless Chromium: paging and sorting by clicks, the toolbar in
reach, drag-and-drop upload in chunks with progress, "select all N matching"."""

import os
import uuid

import pytest

from tests.support.browser import screenshot_dir
from tests.support.platform import PASSWORDS

pytestmark = pytest.mark.platform

DASH = "\u2013"  # the en dash of "1-50 of 230"
BIG_BYTES = 9 * 1024 * 1024  # two chunks of the 8 MB chunked upload


def test_paging_sorting_drop_upload_and_all_matching(platform, page, tmp_path):
    shots = screenshot_dir(tmp_path)
    name = f"survey-{uuid.uuid4().hex[:6]}"
    folder = platform.data_dir / "users" / "1" / "files" / name  # alice is user 1
    folder.mkdir(parents=True)
    for i in range(230):
        with open(folder / f"spec-{i:04d}.fits", "wb") as out:
            out.truncate(1000 + (i * 37) % 230)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")
    page.goto(f"{platform.url}/files/browse/{name}?per_page=50")
    counts = page.locator("#counts")
    assert counts.text_content() == f"1{DASH}50 of 230"
    page.locator(".list-tools .pages a[rel=next]").click()
    page.wait_for_url("**page=2*")
    assert counts.text_content() == f"51{DASH}100 of 230"
    assert page.locator("table.files td.name").first.text_content() == "spec-0050.fits"
    # Sort by size (back to page 1), then click again for largest first.
    page.locator("th a.sort", has_text="Size").click()
    page.wait_for_url("**sort=size*")
    page.locator("th a.sort", has_text="Size").click()
    page.wait_for_url("**order=desc*")
    sizes = page.locator("table.files td.num").evaluate_all("cells => cells.map(c => c.title)")
    numbers = [int(s.split()[0]) for s in sizes]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == 1229
    # The toolbar stays at the top while the rows scroll under it.
    top = page.evaluate(
        "() => { window.scrollTo(0, 4000); "
        "return document.querySelector('.list-tools').getBoundingClientRect().top; }"
    )
    assert top == 0
    page.screenshot(path=f"{shots}/files-large-folder.png")
    page.evaluate("() => window.scrollTo(0, 0)")

    # Drop a 9 MB file and a small one on the page: chunks with progress, then the list.
    chunks = []
    page.on("request", lambda r: chunks.append(r.url) if "offset=" in r.url else None)
    dropped = page.evaluate_handle(
        f"""() => {{ const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array({BIG_BYTES}).fill(7)], 'big-drop.bin'));
        dt.items.add(new File(['seeing 2 arcsec'], 'notes-drop.txt'));
        return dt; }}"""
    )
    page.dispatch_event("main", "drop", {"dataTransfer": dropped})
    page.wait_for_selector("#transfers .transfer-summary")
    states = page.locator("#transfers .transfer-state").all_text_contents()
    assert states == ["done", "done"]
    bars = page.locator("#transfers progress").evaluate_all(
        "bars => bars.map(b => [b.value, b.max])"
    )
    assert bars == [[BIG_BYTES, BIG_BYTES], [15, 15]]
    assert len(chunks) == 3  # 8 MB + 1 MB, and the note
    page.screenshot(path=f"{shots}/files-upload-progress.png")
    assert (folder / "big-drop.bin").stat().st_size == BIG_BYTES
    assert (folder / "notes-drop.txt").read_text() == "seeing 2 arcsec"

    # Filter, tick the page, widen to every match, delete them all: the drops remain.
    page.goto(f"{platform.url}/files/browse/{name}?q=SPEC-&per_page=50")
    assert page.locator(".select-matching").is_hidden()  # until the whole page is ticked
    page.locator(".pick-all").check()
    page.locator(".select-matching").click()
    assert page.locator(".selection .picked").text_content() == "230"
    assert "every match" in page.locator(".selection .picked-scope").text_content()
    assert page.locator(".select-matching").is_hidden()
    page.screenshot(path=f"{shots}/files-select-matching.png")
    page.locator(".selection button", has_text="Delete…").click()
    page.wait_for_selector("text=Delete 230 items?")
    page.screenshot(path=f"{shots}/files-delete-matching.png")
    page.locator("form.actions button.danger").click()
    page.wait_for_selector(".messages li.success")
    assert "Deleted 230 item(s)." in page.locator(".messages").text_content()
    assert sorted(os.listdir(folder)) == ["big-drop.bin", "notes-drop.txt"]
    assert page.locator("#counts").text_content() == f"1{DASH}2 of 2"
