"""The ``ingest`` job kind: bring spectra into your storage from files, the web and VO services.

Sources (any combination, at least one): an uploaded spectrum or archive (``UPLOAD``,
.zip/.tar.gz, extracted safely: ``..``, absolute paths, links and zip bombs are refused);
an http(s) or ftp URL of a file or a directory listing (``URL``, crawled ``DEPTH`` levels
deep); an uploaded file of URLs (``URL_LIST``); a VOTable with an access-reference column
(``VOTABLE`` or ``VOTABLE_URL``); an SSAP 1.1 query (``SSAP_URL`` with ``POS``, ``SIZE``,
``BAND``, ``TIME``, ``FORMAT``, ``MAXREC``). DataLink documents are followed
(``DATALINK``) to the dataset itself or, with ``SODA_BAND``/``SODA_CIRCLE``, to a SODA
cut-out.

Files are downloaded ``PARALLEL`` at a time with ``TIMEOUT``, ``MAX_FILE_MB`` and
``RETRIES`` (exponential back-off on connection errors, timeouts, HTTP 5xx/429), each
checked by reading it as a spectrum, and stored under ``TARGET`` unless the same bytes
(SHA-256) are already in your storage: re-running an ingestion skips what it stored before.
One bad item never stops the others.

The result ``result`` (the report) is a VOTable with one row per item: ``source``, ``path``
(relative to your files), ``status`` (ok, skipped or failed), ``reason``, ``sha256``,
``format``, ``object``, ``ra``, ``dec``, ``n_pix``. A job in which every item failed ends in
ERROR; its error message lists the first reasons (the report is still written to the job's
results folder, but the platform publishes results of completed jobs only). A job that finds
no items at all (e.g. an SSAP query without matches) completes with an empty report.
"""

from services.ingest.job import run
from services.ingest.parameters import Parameters

TITLE = "Ingest spectra"
SUMMARY = (
    "Bring spectra into your storage from uploads, URLs, directory listings, FTP, "
    "VOTables and SSAP/DataLink/SODA services."
)
EXECUTION_DURATION = 3600
MAX_EXECUTION_DURATION = 24 * 3600

__all__ = ["EXECUTION_DURATION", "MAX_EXECUTION_DURATION", "SUMMARY", "TITLE", "Parameters", "run"]
