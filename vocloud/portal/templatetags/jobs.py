"""Filters of the job pages: ``{% load jobs %}``."""

from django import template
from django.utils.safestring import SafeString

from services.storage.listing import human_size
from vocloud.portal.kinddocs import render_docstring

register = template.Library()


@register.filter
def size(n_bytes: int | float | None) -> str:
    """``1536`` -> ``"1.5 KB"``; "—" when unknown."""
    return "—" if n_bytes is None else human_size(n_bytes)


@register.filter
def docstring(text: str) -> SafeString:
    """A kind's documentation as paragraphs with its ``code`` spans as <code>."""
    return render_docstring(text or "")
