"""What vocloud knows about the spectra a VO answer returns: labels and predictions.

Labels come from the owner's labelling sessions on each row's dataset (the newest session
that labels a spectrum gives ``label``; ``labels`` lists every session's). Predictions come
from the owner's latest COMPLETED ``score`` or ``al-round`` job on that dataset
(``scores.vot``), or, for a candidates list, from that job's own ``candidates.vot``.
"""

import numpy as np
from django.db.models import F

from services.learning.label_view import label_text
from services.vo_serve.catalogue import FILES, Catalogue
from services.vo_serve.predictions import Predictions, join, read_predictions
from vocloud.labelling.models import Label, Session
from vocloud.uws import storage
from vocloud.uws.models import Job, Phase

PREDICTING_KINDS = ("score", "al-round")
PATHS_IN_QUERY = 500  # up to this many rows, labels are fetched by path; beyond, by session


def annotate(owner, found: Catalogue) -> dict[str, np.ndarray]:
    """Label and latest-prediction columns for the rows of ``found``."""
    columns = label_columns(owner, found)
    n = len(found)
    predictions = {
        name: values
        for name, values in join(found, None, np.zeros(n, bool)).items()
        if name != "verdict"
    }
    job_ids = np.full(n, "", dtype=object)
    collections = found.columns["collection"]
    datasets = set(collections.tolist()) - {FILES}
    for dataset, job in latest_prediction_jobs(owner, datasets).items():
        mine = collections == dataset
        table = read_predictions(storage.results_dir(job.job_id) / "scores.vot")
        joined = join(found, table, mine)
        for name in predictions:
            predictions[name] = np.where(mine, joined[name], predictions[name])
        job_ids[mine & (joined["prediction"] != "")] = job.job_id
    return columns | predictions | {"prediction_job": job_ids}


def annotate_candidates(
    owner, found: Catalogue, table: Predictions, job_id: str
) -> dict[str, np.ndarray]:
    """Label columns and the candidates table's own predictions and verdicts."""
    n = len(found)
    joined = join(found, table, np.ones(n, bool))
    return label_columns(owner, found) | joined | {"prediction_job": np.full(n, job_id, object)}


def label_columns(owner, found: Catalogue) -> dict[str, np.ndarray]:
    n = len(found)
    keys = list(zip(found.columns["collection"], found.columns["path"], strict=True))
    sessions = Session.objects.filter(owner=owner, dataset__in={c for c, _ in keys})
    labels = Label.objects.filter(session__in=sessions)
    if n <= PATHS_IN_QUERY:
        labels = labels.filter(path__in={p for _, p in keys})
    given: dict[tuple[str, str], list[tuple[str, str]]] = {}
    rows = labels.order_by("session__created", "session_id").values_list(
        "session__name", "session__dataset", "session__schema", "path", "value", "mark"
    )
    for name, dataset, schema, path, value, mark in rows:
        text = label_text({"value": value, "mark": mark}, schema == Session.NUMERIC)
        if text:
            given.setdefault((dataset, path), []).append((name, text))
    label, session, every = (np.full(n, "", dtype=object) for _ in range(3))
    for i, key in enumerate(keys):
        if key in given:
            session[i], label[i] = given[key][-1]
            every[i] = "; ".join(f"{s}: {t}" for s, t in given[key])
    return {"label": label, "label_session": session, "labels": every}


def latest_prediction_jobs(owner, datasets: set[str]) -> dict[str, Job]:
    """Dataset name -> the owner's latest COMPLETED score or al-round job on it."""
    chosen: dict[str, Job] = {}
    if not datasets:
        return chosen
    jobs = Job.objects.filter(owner=owner, kind__in=PREDICTING_KINDS, phase=Phase.COMPLETED)
    newest_first = (F("end_time").desc(nulls_last=True), F("creation_time").desc())
    for job in jobs.order_by(*newest_first).only("job_id", "parameters"):
        dataset = str(job.parameters.get("DATASET", ""))
        if dataset in datasets and dataset not in chosen:
            chosen[dataset] = job
            if len(chosen) == len(datasets):
                break
    return chosen
