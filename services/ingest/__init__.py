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
checked by reading it as a spectrum, and stored under ``TARGET`` unless it is already in
your storage: the same dataset identifier (the service's publisher DID or DataLink ID),
else the same spectrum as read (wavelengths, fluxes, object, position, date), whatever
bytes the service wrapped it in; re-running an ingestion stores nothing new and says so.
One bad item never stops the others: a DataLink ``error_message`` row fails its dataset
only, with the service's message. ``SIZE`` is the diameter of the search cone, as SSAP
defines it; rows of the answer farther than ``SIZE/2`` from ``POS`` (services that read
SIZE as a radius send them) are left out and counted in the report; rows without a
position are kept and counted. A SODA cut-out is marked in the report from the service
descriptor used (``standardID ivo://ivoa.net/std/SODA#sync``).

The result ``result`` (the report) is a VOTable with one row per item: ``source``, ``path``
(relative to your files), ``status`` (ok, skipped or failed), ``reason``, ``sha256``,
``format``, ``object``, ``ra``, ``dec``, ``n_pix``; INFOs count them (``n_ok``, ``n_skipped``,
``n_failed``, and for SSAP with POS and SIZE ``n_outside_cone``, ``n_without_position``) and
notes say what the counts mean. A job in which every item failed ends in
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
