from django import template

from services.storage.listing import human_size as _human_size

register = template.Library()


@register.filter
def human_size(n_bytes: int) -> str:
    return _human_size(n_bytes or 0)


@register.filter
def count(number: int) -> str:
    """``100000`` -> ``"100,000"``."""
    return f"{int(number or 0):,}"
