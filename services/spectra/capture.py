"""Record warnings (astropy's non-standard-keyword notes...) instead of letting them escape.

The project's pytest configuration turns warnings into errors, and ingest must not fail on
a harmless note, so readers record warnings into ``Spectrum.meta.warnings``. In Python 3.12
:class:`warnings.catch_warnings` changes process-global state; the lock keeps concurrent
reads in several threads (dramatiq workers) from restoring each other's filters.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["captured_warnings"]

_LOCK = threading.RLock()


@contextmanager
def captured_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Collect every warning raised inside the block into the yielded list.

    Yields
    ------
    list of warnings.WarningMessage
        Filled as warnings occur; nothing is printed or raised.
    """
    with _LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
