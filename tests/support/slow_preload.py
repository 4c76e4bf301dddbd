"""A module for the job fork server to preload that takes long (as compiling UMAP does)."""

import time

time.sleep(60)
