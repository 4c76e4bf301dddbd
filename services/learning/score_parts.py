"""The pieces of a ``score`` job: per-spectrum columns of one part of the pool, their file,
and the selection over the merged parts.

A part (a shard, or the whole pool) is the rows ``start:stop`` of a dataset. Its file
``part.npz`` holds per-spectrum columns (``c_<name>``), arrays for ``project``
(``a_<name>``), the deterministic ``embedding`` and, for batch-aware acquisition methods,
the MC samples of its best candidates (``cand_rows``, ``cand_log_probs``). Ranked methods
(:data:`services.acquisition.RANKED`) merge exactly: the batch is the top k of the parts'
per-item scores taken together. Batch-aware methods choose among the union of every part's
candidates (its best spectra by BALD; for ``discovery``, by its own score, the mean
probability of the target class, so that its batch is exact too).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services import acquisition
from services.jobs import JobFailure

#: Prefix of the per-class mean probability columns of ``scores.vot`` ("p_" + class name).
PROBABILITY = "p_"


@dataclass
class Scored:
    """Per-spectrum results of the rows ``start:stop`` of a dataset.

    Attributes
    ----------
    columns : dict of str to ndarray, shape (n,)
        What the score tables show (score, prediction, uncertainty...).
    arrays : dict of str to ndarray, first axis n
        What ``arrays.npz`` keeps for ``project``.
    embedding : ndarray, shape (n, D)
    regression : bool
        Whether the model predicts a number rather than classes.
    cand_rows : ndarray of int64, shape (m,), optional
        Dataset rows of the candidates a batch-aware method may choose.
    cand_log_probs : ndarray, shape (T, m, C), optional
        Their MC samples.
    target_class : int, optional
        The index of the class ``discovery`` seeks.
    """

    columns: dict[str, np.ndarray]
    arrays: dict[str, np.ndarray]
    embedding: np.ndarray
    regression: bool
    cand_rows: np.ndarray | None = None
    cand_log_probs: np.ndarray | None = None
    target_class: int | None = None


def target_index(method: str, target_class: str, classes: list[str]) -> int | None:
    """The index of ``target_class`` among the model's ``classes`` for ``discovery``, else None.

    Raises
    ------
    JobFailure
        ``discovery`` without a target class, or with a name the model does not know.
    """
    if method != "discovery":
        return None
    names = ", ".join(classes)
    if not target_class:
        raise JobFailure(f"discovery needs a target class, one of the model's classes: {names}")
    if target_class not in classes:
        raise JobFailure(f"{target_class!r} is not a class of the model; its classes: {names}")
    return classes.index(target_class)


def check_method(method: str, regression: bool) -> None:
    """A clear JobFailure when ``method`` does not apply to the model's kind."""
    needs = acquisition.METHODS[method].needs
    if needs != "any" and regression != (needs == "regression"):
        kind = "regression" if regression else "classification"
        raise JobFailure(f"{method} does not apply to a {kind} model")


def scored(
    out: dict[str, np.ndarray],
    classes: list[str],
    method: str,
    seed: int,
    start: int,
    pool: np.ndarray,
    n_candidates: int | None,
    target_class: int | None = None,
) -> Scored:
    """Columns, arrays and candidates of one part from ``mc_predict`` output.

    Parameters
    ----------
    out : dict
        ``mc_predict`` output for the part's n rows (``log_probs`` already derived from
        vote ``probs``).
    classes : list of str
        The model's class (or question) names.
    method : str
        The acquisition method.
    seed : int
        The job's seed; random scores continue one stream across the parts.
    start : int
        The part's first dataset row.
    pool : ndarray of bool, shape (n,)
        Which of the part's rows may be selected.
    n_candidates : int or None
        Candidates kept for batch-aware methods: the best by BALD among the pool rows;
        None keeps every pool row.
    target_class : int, optional
        The class index ``discovery`` seeks (see :func:`target_index`).
    """
    regression = "means" in out
    check_method(method, regression)
    bits = np.random.PCG64(seed)
    bits.advance(start)  # row i's random score is the same whichever part holds it
    rng = np.random.Generator(bits)
    columns, arrays = _columns(out, classes, method, rng, target_class)
    result = Scored(columns, arrays, out["embedding"], regression, target_class=target_class)
    if method not in acquisition.RANKED:
        rows = np.flatnonzero(pool)
        if n_candidates is not None and rows.size > n_candidates:
            # discovery ranks by its own per-item score: the merged batch is exact
            rank_by = columns["bald" if target_class is None else "score"][rows]
            best = acquisition.top_k(rank_by, n_candidates)
            rows = np.sort(rows[best])
        result.cand_rows = rows + start
        result.cand_log_probs = np.take(out["log_probs"], rows, axis=1)
    return result


def _columns(
    out: dict,
    classes: list[str],
    method: str,
    rng: np.random.Generator,
    target_class: int | None = None,
) -> tuple[dict, dict]:
    if "probs" in out:  # vote fractions [T, N, Q]; log_probs are one more vote's answers
        fractions = out["probs"].astype(np.float64)
        score = _per_item_score(method, out["log_probs"], rng, target_class)
        columns = {"score": score, "bald": acquisition.bald(out["log_probs"])}
        for q, name in enumerate(classes):
            columns[f"{name}_fraction"] = fractions[..., q].mean(axis=0)
            columns[f"{name}_std"] = fractions[..., q].std(axis=0)
        mean = fractions.mean(axis=0).astype(np.float32)
        return columns, {"score": score, "fractions": mean}
    if "log_probs" in out:
        log_probs = out["log_probs"]  # [T, N, C]
        probs = acquisition.mean_probs(log_probs)  # [N, C]
        score = _per_item_score(method, log_probs, rng, target_class)
        columns = {
            "score": score,
            "predicted": np.array(classes)[probs.argmax(axis=1)],
            "confidence": probs.max(axis=1),
            "entropy": acquisition.max_entropy(log_probs),
            "bald": acquisition.bald(log_probs),
        }
        for c, name in enumerate(classes):  # what the expert compares against
            columns[f"{PROBABILITY}{name}"] = probs[:, c].astype(np.float32)
        return columns, {"score": score, "probs": probs.astype(np.float32)}
    means, log_vars = out["means"], out["log_vars"]  # [T, N] each
    score = (
        acquisition.epistemic_variance(means, log_vars)
        if method == "epistemic_variance"
        else acquisition.predictive_variance(means, log_vars)
    )
    mean = means.astype(np.float64).mean(axis=0)  # [N]
    sigma = np.sqrt(acquisition.predictive_variance(means, log_vars))  # [N]
    columns = {"score": score, "mean": mean, "sigma": sigma}
    return columns, dict(columns)


def _per_item_score(
    method: str,
    log_probs: np.ndarray,
    rng: np.random.Generator,
    target_class: int | None = None,
) -> np.ndarray:
    """The per-spectrum score a ranked method sorts by (BALD for batch-aware methods; the
    mean probability of the target class for ``discovery``)."""
    if target_class is not None:
        return acquisition.mean_probs(log_probs)[:, target_class]
    per_item = {
        "entropy": acquisition.max_entropy,
        "variation_ratios": acquisition.variation_ratios,
        "mean_std": acquisition.mean_std,
    }
    if method == "random":
        return acquisition.random_scores(log_probs.shape[1], rng)
    return per_item.get(method, acquisition.bald)(log_probs)


def write_part(part: Scored, path: Path) -> None:
    """Save a part atomically (a reader never sees half a file)."""
    arrays = {f"c_{k}": v for k, v in part.columns.items()}
    arrays |= {f"a_{k}": v for k, v in part.arrays.items()}
    arrays |= {"embedding": part.embedding, "regression": np.array(part.regression)}
    if part.cand_rows is not None:
        arrays |= {"cand_rows": part.cand_rows, "cand_log_probs": part.cand_log_probs}
    if part.target_class is not None:
        arrays |= {"target_class": np.array(part.target_class)}
    path.parent.mkdir(parents=True, exist_ok=True)
    # A shard may run twice at once (given back to the queue while its first worker was
    # only slow): each writer has a file of its own until the rename.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".partial", delete=False) as handle:
        np.savez(handle, **arrays)
    Path(handle.name).replace(path)


def read_parts(paths: list[Path]) -> Scored:
    """The parts, in dataset row order, as one :class:`Scored`."""
    loaded = []
    for path in paths:
        try:
            with np.load(path, allow_pickle=False) as npz:
                loaded.append({name: npz[name] for name in npz.files})
        except (OSError, ValueError) as exc:
            why = f"a part of the scores is unreadable ({path.parent.name}): {exc}"
            raise JobFailure(why) from None

    def joined(prefix: str) -> dict[str, np.ndarray]:
        names = [n for n in loaded[0] if n.startswith(prefix)]
        return {n[len(prefix) :]: np.concatenate([p[n] for p in loaded]) for n in names}

    merged = Scored(
        columns=joined("c_"),
        arrays=joined("a_"),
        embedding=np.concatenate([p["embedding"] for p in loaded]),
        regression=bool(loaded[0]["regression"]),
    )
    if "cand_rows" in loaded[0]:
        merged.cand_rows = np.concatenate([p["cand_rows"] for p in loaded])
        merged.cand_log_probs = np.concatenate([p["cand_log_probs"] for p in loaded], axis=1)
    if "target_class" in loaded[0]:
        merged.target_class = int(loaded[0]["target_class"])
    return merged


def select(part: Scored, method: str, k: int, seed: int, pool: np.ndarray) -> np.ndarray:
    """Dataset rows to label, best or first chosen first, from the merged parts.

    ``pool`` (bool, one per dataset row) says which rows may be chosen.
    """
    rows = np.flatnonzero(pool)
    if rows.size == 0:
        raise JobFailure("the pool is empty")
    if method in acquisition.RANKED:
        return rows[acquisition.top_k(part.columns["score"][rows], k)]
    needs_embedding = acquisition.METHODS[method].needs_embedding
    embedding = part.embedding[part.cand_rows] if needs_embedding else None
    options = {} if part.target_class is None else {"target_class": part.target_class}
    try:
        chosen, _ = acquisition.select(
            method, part.cand_log_probs, k=k, rng=seed, embedding=embedding, **options
        )
    except ValueError as exc:
        raise JobFailure(f"acquisition failed: {exc}") from None
    return part.cand_rows[chosen]
