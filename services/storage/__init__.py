"""Per-user storage: where things live on disk, safe paths, the content index, archives.

The only code that knows the on-disk layout of a user's space
(``DATA_DIR/users/<user_id>/``): ``files/`` is what the file manager shows, ``datasets/``
holds learning arrays, ``index.sqlite3`` records every stored spectrum by content hash.
"""

from services.storage.layout import UserSpace, user_space
from services.storage.paths import PathEscape, safe_join

__all__ = ["PathEscape", "UserSpace", "safe_join", "user_space"]
