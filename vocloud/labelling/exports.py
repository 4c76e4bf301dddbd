"""Tables the labelling pages hand out: candidates (CSV, VOTable) and the sample for TOPCAT."""

import csv
import io
import secrets
from typing import NamedTuple

import numpy as np
from astropy.table import Table

from services.learning.label_view import label_text
from services.learning.sample import prediction_text
from vocloud.labelling.loop import is_cold_start
from vocloud.labelling.models import Round
from vocloud.signed_links import LinkInvalid, sign, unsign

_SALT = "vocloud.labelling.sample"
MIME = {"csv": ("text/csv", "csv"), "votable": ("application/x-votable+xml", "vot")}


class Column(NamedTuple):
    unit: str | None
    ucd: str
    description: str


# What every column of a sample or candidates table means, as the VOTable FIELDs say it to
# TOPCAT. Numbers without a unit are dimensionless.
COLUMNS = {
    "id": Column(None, "meta.record", "Row of the spectrum in the session's dataset (0-based)"),
    "path": Column(None, "meta.id;meta.file", "The spectrum's file, relative to your files"),
    "object": Column(None, "meta.id;src", "Object name in the spectrum's header"),
    "ra": Column("deg", "pos.eq.ra;meta.main", "Right ascension in the spectrum's header"),
    "dec": Column("deg", "pos.eq.dec;meta.main", "Declination in the spectrum's header"),
    "x": Column(None, "pos.cartesian.x", "x on the round's 2-D map of the spectra (projection)"),
    "y": Column(None, "pos.cartesian.y", "y on the round's 2-D map of the spectra (projection)"),
    "uncertainty": Column(
        None,
        "stat.value",
        "The round's uncertainty score, its acquisition function (e.g. BALD), as the labelling "
        "page shows it: higher is more worth labelling",
    ),
    "typicality": Column(
        None,
        "stat.value",
        "How typical the spectrum is of its cluster (TypiClust: 1 / mean distance to its "
        "nearest neighbours in the features); a cold-start round proposes the most typical",
    ),
    "prediction": Column(
        None,
        "meta.code.class;stat.fit",
        "The model's prediction: the class, or for a number its predictive mean",
    ),
    "probability": Column(
        None, "stat.probability", "Mean predictive probability of the predicted class"
    ),
    "sigma": Column(
        None, "stat.stdev;stat.fit", "Predictive standard deviation (in the target's unit)"
    ),
    "label": Column(None, "meta.code.class", "Your label in this session (empty: none yet)"),
    "verdict": Column(
        None, "meta.code.qual", "Your answer to 'Am I correct?' for this spectrum (empty: none)"
    ),
}


def new_table_id(round_: Round) -> str:
    """A table-id for one send of a round's sample to TOPCAT: new every time, because
    TOPCAT refuses a table-id it has loaded ("Duplicate table-id") and the labels change."""
    return f"vocloud-session-{round_.session_id}-round-{round_.number}-{secrets.token_hex(4)}"


def score_column(round_: Round) -> str:
    """What a round's score is: "typicality" for a cold-start round, else "uncertainty"."""
    return "typicality" if is_cold_start(round_) else "uncertainty"


def sample_table(
    sample: dict, states: dict, numeric: bool = False, *, score: str = "uncertainty"
) -> dict[str, np.ndarray]:
    """One row per sampled spectrum: ids, sky position (when any spectrum has one),
    2-D map position, the round's score (named ``score``: see :func:`score_column`),
    prediction and its probability (or sigma), label."""
    labels = [label_text(states.get(p) or {}, numeric) for p in sample["path"]]
    ra = np.asarray(sample["ra"], dtype=np.float64)
    dec = np.asarray(sample["dec"], dtype=np.float64)
    # All-NaN columns flagged as the main position would make TOPCAT plot nothing on the sky.
    sky = {"ra": ra, "dec": dec} if np.any(np.isfinite(ra) & np.isfinite(dec)) else {}
    return {
        "id": sample["row"].astype(np.int64),
        "path": sample["path"].astype(str),
        "object": sample["object"].astype(str),
        **sky,
        "x": sample["x"],
        "y": sample["y"],
        score: np.asarray(sample["score"], dtype=np.float64),
        "prediction": np.asarray(prediction_text(sample)).astype(str),
        **_spread(sample),
        # At least 8 characters wide: an all-empty column would be char arraysize="1".
        "label": np.array(labels, dtype=f"U{max([8, *map(len, labels)])}"),
    }


def _spread(sample: dict) -> dict[str, np.ndarray]:
    """How sure the model is of its prediction: the class's probability, or sigma."""
    if "sigma" in sample:
        return {"sigma": np.asarray(sample["sigma"], dtype=np.float64)}
    if "confidence" in sample:
        return {"probability": np.asarray(sample["confidence"], dtype=np.float64)}
    return {}


def candidates(
    sample: dict, wanted: str, states: dict, *, score: str = "uncertainty"
) -> dict[str, np.ndarray]:
    """Spectra predicted as ``wanted`` (all when empty), most confident first."""
    table = sample_table(sample, states, score=score)
    chosen = np.arange(len(table["id"]))
    if wanted:
        chosen = chosen[table["prediction"] == wanted]
    doubt = -table["probability"] if "probability" in table else table.get("sigma", table[score])
    chosen = chosen[np.argsort(doubt[chosen], kind="stable")]
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
    for name in votable.colnames:
        if name in COLUMNS:
            unit, ucd, about = COLUMNS[name]
            votable[name].unit = unit
            votable[name].meta["ucd"] = ucd
            votable[name].description = about
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
