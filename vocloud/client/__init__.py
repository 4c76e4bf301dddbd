"""Drive a vocloud platform from Python or Jupyter: files, datasets, jobs and labelling.

Importable without Django or TensorFlow: it needs requests, numpy, astropy and tqdm. Jobs go
through the platform's UWS interface (so pyvo remains a valid client), everything else
through its JSON API under ``/api/v1/`` (docs/api.md).

>>> from vocloud.client import Client
>>> vc = Client("http://127.0.0.1:8000", token="...")   # or VOCLOUD_URL / VOCLOUD_TOKEN
"""

from vocloud.client.http import Client, VocloudError

__all__ = ["Client", "VocloudError"]
