"""Tables the labelling pages hand out: candidates (CSV, VOTable) and the sample for TOPCAT."""

import csv
import io

import numpy as np
from astropy.table import Table

from services.learning.label_view import label_text
from services.learning.sample import prediction_text, uncertainty
from vocloud.labelling.models import Round
from vocloud.signed_links import LinkInvalid, sign, unsign

_SALT = "vocloud.labelling.sample"
MIME = {"csv": ("text/csv", "csv"), "votable": ("application/x-votable+xml", "vot")}


def sample_table(sample: dict, states: dict, numeric: bool = False) -> dict[str, np.ndarray]:
    """One row per sampled spectrum: ids, position, prediction, uncertainty and label."""
    labels = [label_text(states.get(p) or {}, numeric) for p in sample["path"]]
    return {
        "id": sample["row"].astype(np.int64),
        "path": sample["path"].astype(str),
        "object": sample["object"].astype(str),
        "ra": sample["ra"],
        "dec": sample["dec"],
        "x": sample["x"],
        "y": sample["y"],
        "score": sample["score"],
        "prediction": np.asarray(prediction_text(sample)).astype(str),
        "uncertainty": uncertainty(sample),
        "label": np.array(labels, dtype=str),
    }


def candidates(sample: dict, wanted: str, states: dict) -> dict[str, np.ndarray]:
    """Spectra predicted as ``wanted`` (all when empty), most confident first."""
    table = sample_table(sample, states)
    chosen = np.arange(len(table["id"]))
    if wanted:
        chosen = chosen[table["prediction"] == wanted]
    chosen = chosen[np.argsort(table["uncertainty"][chosen], kind="stable")]
    verdicts = np.array([(states.get(p) or {}).get("verdict", "") for p in table["path"]])
    return {name: values[chosen] for name, values in table.items()} | {
        "verdict": verdicts[chosen].astype(str)
    }


def rows(table: dict) -> list[dict]:
    names = list(table)
    return [dict(zip(names, values, strict=True)) for values in zip(*table.values(), strict=True)]


def render(table: dict, fmt: str, description: str) -> tuple[bytes, str, str]:
    """The table as CSV or VOTable bytes, its MIME type and file suffix."""
    mime, suffix = MIME[fmt]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(list(table))
        for values in zip(*table.values(), strict=True):
            writer.writerow(["" if _missing(v) else _inert(v) for v in values])
        return out.getvalue().encode(), mime, suffix
    votable = Table({k: np.asarray(v) for k, v in table.items()})
    votable.meta["description"] = description
    units = {"ra": "deg", "dec": "deg"}
    ucds = {"id": "meta.id", "ra": "pos.eq.ra;meta.main", "dec": "pos.eq.dec;meta.main"}
    for name in votable.colnames:
        if name in units:
            votable[name].unit = units[name]
        if name in ucds:
            votable[name].meta["ucd"] = ucds[name]
    buffer = io.BytesIO()
    votable.write(buffer, format="votable")
    return buffer.getvalue(), mime, suffix


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    """A text cell a spreadsheet would run as a formula (an OBJECT header written by
    whoever made the file, say "=HYPERLINK(...)") gets a leading quote; numbers stay."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _missing(value) -> bool:
    return isinstance(value, float | np.floating) and not np.isfinite(value)


def sign_sample(round_: Round) -> str:
    # The al-round job's random id binds the link to this very sample: a round's key may
    # come back for another round (a restored database), a job id does not.
    job_id = round_.round_job.job_id if round_.round_job_id else ""
    return sign(round_.session.owner, {"r": round_.pk, "j": job_id}, salt=_SALT)


def round_from_token(token: str) -> Round:
    """The round a signed sample link names; LinkInvalid (a sentence) when it cannot."""
    owner, data = unsign(token, salt=_SALT)
    found = (
        Round.objects.select_related("session", "round_job")
        .filter(pk=data.get("r"), session__owner=owner)
        .first()
    )
    job_id = found.round_job.job_id if found is not None and found.round_job_id else ""
    if found is None or not job_id or job_id != data.get("j"):
        raise LinkInvalid("This sample no longer exists.")
    return found
