"""A kind's module docstring as a page: paragraphs, ``code`` and :role:`target` as <code>.

Everything else is escaped: the docstring is ours, but it is rendered as text that
happens to contain a few marks, never as markup.
"""

from __future__ import annotations

import re

from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

_CODE = re.compile(r"``(.+?)``|:[a-z]+:`~?([^`]+)`|`([^`]+)`", re.S)


def _inline(text: str) -> str:
    """One paragraph's text: escaped, with its code spans as <code>."""
    out, last = [], 0
    for match in _CODE.finditer(text):
        out.append(escape(text[last : match.start()]))
        code = next(group for group in match.groups() if group is not None)
        out.append(f"<code>{escape(' '.join(code.split()))}</code>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def render_docstring(text: str) -> SafeString:
    """Paragraphs (separated by blank lines; lines within one joined) as <p> elements."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return format_html_join("\n", "<p>{}</p>", ((mark_safe(_inline(p)),) for p in paragraphs))
