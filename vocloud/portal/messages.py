"""The portal's messages ("Upload refused: …") as users may read them.

Every message goes through :func:`services.messages.for_user` once, here: whatever an
operation's error carried (a server path, a traceback's last line), the page shows one
sentence with paths as the user knows them.
"""

from django.conf import settings
from django.contrib.messages.storage.fallback import FallbackStorage

from services.messages import for_user


class UserMessageStorage(FallbackStorage):
    def add(self, level, message, extra_tags=""):
        super().add(level, for_user(str(message), settings.DATA_DIR), extra_tags)
