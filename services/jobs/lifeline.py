"""Imported first by the job fork server: on Linux it dies with the worker that started it.

The fork server notices a dead parent only in its serving loop, after its preloading, which
can take a minute (:mod:`services.projection.warm` compiles UMAP). The kernel's parent-death
signal ends it at once instead. Job processes forked from it die with their worker anyway:
each blocks on a pipe that only the worker holds open (:mod:`services.jobs.runner`).
"""

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1

if sys.platform == "linux":
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL))
    if os.getppid() != parent:  # the worker died before the signal was arranged
        os._exit(1)
