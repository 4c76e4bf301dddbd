"""What makes two ingested spectra the same, whatever bytes a service wraps them in.

Services rewrite their documents on every request (GAVO DaCHS writes fresh random element
IDs into each VOTable it serves), so the bytes of a file say nothing about whether it is
already stored. An ingested spectrum is known by, in this order:

1. its **identity**: the publisher's dataset identifier where the service gave one
   (SSAP ``ssa:Curation.PublisherDID``, a VOTable's PublisherDID column, or the DataLink
   ``ID``), as ``did:<identifier>``; a SODA cut-out adds the cut it asked for, since two
   cuts of one dataset are two spectra;
2. its **content** key: a SHA-256 over the spectrum as read: wavelengths (Å) and fluxes
   as float64 (NaN payloads and signed zeros made canonical), with the object name,
   position and observation date the reader found, so that two observations that happen
   to hold equal numbers stay two spectra.

Both are strings that are only ever compared (they are never used as paths or URLs).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import PurePosixPath

import numpy as np

from services.fetch.names import clean_name
from services.spectra import Spectrum

CONTENT_VERSION = "v1"  # bump when the normalisation below changes
MAX_IDENTITY_CHARS = 500


def record_identity(did: str, cut: str = "") -> str:
    """The identity of a dataset (``""`` when the service gave no identifier).

    Parameters
    ----------
    did : str
        The publisher's dataset identifier, e.g. ``ivo://org.gavo.dc/~?flashheros/data/1``.
    cut : str
        For a cut-out: what was cut (e.g. ``"BAND=5.5e-07 6e-07"``).
    """
    did = did.strip()
    if not did or len(did) > MAX_IDENTITY_CHARS or not did.isprintable():
        return ""
    return f"did:{did}" + (f"#cut:{cut}" if cut else "")


def cutout_name(did: str, downloaded: str) -> str:
    """A file name for a cut-out: the identifier's last part + ``-cut`` (services name
    every cut-out alike, e.g. DaCHS's ``dlget``); the downloaded name without a DID.

    ``ivo://org.gavo.dc/~?flashheros/data/f0082`` and ``dlget.vot`` -> ``f0082-cut.vot``,
    ``ivo://vocloud.test/syn?0001`` -> ``syn_0001-cut.vot``.
    """
    if not did:
        return downloaded
    suffix = PurePosixPath(downloaded).suffix
    stem = clean_name(did.replace("#", "/"), "dataset")[:100]
    return f"{stem}-cut{suffix}"


def trusted_dids(dids: list[str]) -> list[str]:
    """The identifiers of one answer, ``""`` for any that several of its rows share.

    A service that gives the same "identifier" to several rows (a collection name, a
    placeholder) does not identify them: those rows are known by their content instead.
    """
    counts = Counter(d for d in dids if d)
    return [d if counts[d] == 1 else "" for d in dids]


def content_key(spectrum: Spectrum) -> str:
    """SHA-256 (hex, prefixed with the normalisation version) of a spectrum as read.

    Parameters
    ----------
    spectrum : Spectrum
        ``wave`` (Å) and ``flux``, shape (n_pix,), and ``meta``.
    """
    digest = hashlib.sha256()
    for values in (spectrum.wave, spectrum.flux):
        array = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)  # (n_pix,)
        array = np.where(np.isnan(array), np.nan, array) + 0.0  # one NaN, no -0.0
        digest.update(len(array).to_bytes(8, "little"))
        digest.update(array.tobytes())
    meta = spectrum.meta
    words = [meta.object_name or "", _number(meta.ra), _number(meta.dec), meta.obs_date or ""]
    digest.update("\x1f".join(words).encode("utf-8", "replace"))
    return f"{CONTENT_VERSION}:{digest.hexdigest()}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{float(value):.9f}"
