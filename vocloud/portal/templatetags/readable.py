"""``{{ message|readable }}``: a flash message without a traceback or a server path.

base.html shows every flash message through it, so a view that puts an exception's text
into a message cannot show where the server keeps its files or its code. Only a text that
holds a traceback, the data directory or the code's directory is rewritten (by
:func:`services.messages.for_user`): the paths users know (``/demo/miles``) stay as written.
"""

from django import template
from django.conf import settings

from services.messages import for_user

register = template.Library()


@register.filter
def readable(text: object) -> str:
    """``text`` as its reader may see it."""
    text = str(text)
    server = (str(settings.DATA_DIR), str(settings.BASE_DIR), "Traceback (most recent call")
    if any(part in text for part in server):
        text = for_user(text, settings.DATA_DIR)
    return text
