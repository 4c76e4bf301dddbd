"""One date format everywhere: ISO-8601 UTC in a <time> element (local time on hover)."""

from datetime import UTC, datetime, timedelta, timezone

from vocloud.portal.templatetags.when import when


def test_an_aware_moment_is_shown_in_utc():
    prague = timezone(timedelta(hours=1))
    html = str(when(datetime(2026, 12, 6, 16, 30, 5, tzinfo=prague)))
    assert html == '<time datetime="2026-12-06T15:30:05Z">2026-12-06 15:30:05 UTC</time>'


def test_minutes_precision_and_iso_text_and_nothing():
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ">2026-01-02 03:04 UTC<" in str(when(moment, "minutes"))
    assert 'datetime="2026-01-02T03:04:05Z"' in str(when("2026-01-02T03:04:05+00:00"))
    assert when(None) == "—" and when("") == "—"
    assert when("not a date") == "not a date"  # shown as it is, escaped by the template


def test_a_naive_moment_is_taken_as_utc():
    assert 'datetime="2026-01-02T03:04:05Z"' in str(when(datetime(2026, 1, 2, 3, 4, 5)))
