"""Whether a classifier has collapsed: one class predicted for nearly every spectrum while
its labels were spread over several.

A model trained on few labels sometimes learns only the prior (early stopping on a
handful of validation spectra made some DBAL-style runs call 894 of 927 test spectra one
class). Its uncertainties then mean little and the spectra it selects are near random, so
the pages say so in one sentence.

Rule
----
Collapsed when, on ``n >= MIN_SPECTRA`` spectra, one class is predicted for at least
``MAX_PREDICTED_SHARE`` (90 %) of them while the labels have at least two classes and none
above ``MAX_LABEL_SHARE`` (70 %). Why these numbers: a model that has learned something
predicts the classes roughly in the proportions it was shown; a 70 % majority among the
labels leaves at least 30 % of other classes, and predicting 90 % one class means ignoring
two thirds of them or more. With a majority above 70 % (genuinely imbalanced labels, e.g. a
rare-object search) predicting the majority class for 90 % of a pool can be right, so that
case is never flagged. Below ``MIN_SPECTRA`` predictions a 90 % share is too noisy to call
(9 of 10 happens by chance).

Everything is plain NumPy on class names; no Keras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from services.learning.metrics import proportion_interval

__all__ = ["MAX_LABEL_SHARE", "MAX_PREDICTED_SHARE", "MIN_SPECTRA", "detect"]

MAX_PREDICTED_SHARE = 0.9
MAX_LABEL_SHARE = 0.7
MIN_SPECTRA = 20


def detect(
    predicted: Sequence[str] | np.ndarray,
    label_counts: Mapping[str, int],
    where: str = "spectra",
) -> dict:
    """Judge whether the predictions on a set of spectra look like a collapsed model.

    Parameters
    ----------
    predicted : sequence of str, shape (n,)
        The predicted class (argmax of the MC-dropout mean) of each spectrum.
    label_counts : mapping of str to int
        How many training labels each class had.
    where : str
        What the spectra are, for the sentence ("unlabelled spectra", "labelled spectra").

    Returns
    -------
    dict
        JSON-ready: ``collapsed`` (bool); ``judged`` (False when there were too few
        predictions or fewer than two labelled classes to tell); ``class``, the most
        predicted class; ``k`` and ``n``, the spectra predicted in it and all of them;
        ``share`` = k / n with its 95 % Clopper-Pearson ``low`` and ``high``;
        ``label_share``, the largest class's share of the labels; ``sentence``, one
        sentence for people when collapsed, else "". Shares are None when there is
        nothing to count.
    """
    predicted = np.asarray(predicted).astype(str)  # [n]
    counts = {str(k): int(v) for k, v in label_counts.items() if int(v) > 0}
    total_labels = sum(counts.values())
    label_share = max(counts.values()) / total_labels if total_labels else None
    n = int(predicted.size)
    if n == 0:
        top, k = "", 0
    else:
        names, found = np.unique(predicted, return_counts=True)
        top, k = str(names[found.argmax()]), int(found.max())
    share = k / n if n else None  # None, not NaN: the dict goes into JSON files
    low, high = proportion_interval(k, n) if n else (None, None)
    judged = n >= MIN_SPECTRA and len(counts) >= 2
    collapsed = bool(judged and share >= MAX_PREDICTED_SHARE and label_share <= MAX_LABEL_SHARE)
    sentence = ""
    if collapsed:
        sentence = (
            f"The model predicts {top} for {k} of {n} {where} ({share:.0%}, 95 % interval "
            f"{low:.0%} to {high:.0%}) although no class has more than {label_share:.0%} of the "
            f"{total_labels} labels: it has probably collapsed to one class, so its "
            "predictions and uncertainties should not be trusted; train again with more "
            "labels of the other classes, another seed or REGIME=fixed."
        )
    return {
        "collapsed": collapsed,
        "judged": judged,
        "class": top,
        "k": k,
        "n": n,
        "share": share,
        "low": low,
        "high": high,
        "label_share": label_share,
        "sentence": sentence,
    }
