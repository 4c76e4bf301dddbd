"""One way to show a moment everywhere: ISO-8601 UTC, with local time on hover.

``{% load when %}{{ job.creation_time|when }}`` gives
``<time datetime="2026-12-06T15:12:27Z">2026-12-06 15:12:27 UTC</time>``;
``static/js/when.js`` (loaded by base.html) adds the reader's local time as its title.
``None`` gives an em dash.
"""

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def when(moment: datetime | str | None, precision: str = "seconds"):
    """A ``<time>`` element for ``moment`` (``precision``: "seconds" or "minutes")."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):  # an ISO-8601 text, as dataset descriptions store it
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    shown = utc.strftime("%Y-%m-%d %H:%M" if precision == "minutes" else "%Y-%m-%d %H:%M:%S")
    machine = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return format_html('<time datetime="{}">{} UTC</time>', machine, shown)
