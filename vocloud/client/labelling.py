"""Labelling sessions: their labels, rounds and samples; pushing labels from a script."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from vocloud.client.http import API, VocloudError

if TYPE_CHECKING:
    from astropy.table import Table

    from vocloud.client.http import Client

MARKS = ("not_sure", "bad_data", "")
ROUND_POLL_S = 1.0  # seconds between two looks at a round that is not ready


class Sessions:
    """``vc.sessions.list()``, and ``vc.sessions[id_or_name]`` for one session."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<labelling sessions of {self._client.url}>"

    def list(self) -> list[dict[str, Any]]:
        """Each session's ``id``, ``name``, ``dataset``, ``schema``, ``classes``..."""
        return self._client.get_json(f"{API}/labelling/sessions/")["sessions"]

    def create(
        self,
        name: str,
        dataset: str,
        *,
        schema: str = "classes",
        target: str = "class",
        classes: list[str] | str = "",
        unit: str = "",
        import_file: str = "",
        per_class: int = 5,
    ) -> LabellingSession:
        """Start a labelling session on one of your datasets, as the portal's form does.

        Parameters
        ----------
        name : str
            Unique among your sessions.
        dataset : str
            One of your datasets.
        schema : {"classes", "numeric"}
            Label with class names, or with a number (e.g. a redshift, in ``unit``).
        target : str
            The label column's name in snapshots (``class``, ``z``, ``teff``...).
        classes : list of str, optional
            The class names; taken from ``import_file`` if not given.
        import_file : str, optional
            A label CSV in your storage (``path`` and the target column) to start from;
            at most ``per_class`` labels per class are imported (0: all).
        """
        fields = {
            "name": name,
            "dataset": dataset,
            "schema": schema,
            "target": target,
            "classes": classes,
            "unit": unit,
            "import_file": import_file,
            "per_class": per_class,
        }
        created = self._client.post_json(f"{API}/labelling/sessions/", fields)
        return LabellingSession(self._client, int(created["id"]))

    def __getitem__(self, key: int | str) -> LabellingSession:
        if isinstance(key, int) and not isinstance(key, bool):
            return LabellingSession(self._client, key)
        found = [s for s in self.list() if s["name"] == key]
        if not found:
            raise VocloudError(f"You have no labelling session called {key!r}.", 404)
        return LabellingSession(self._client, int(found[0]["id"]))


class LabellingSession:
    """One labelling session of the user's.

    Attributes
    ----------
    id : int
    info : dict
        ``name``, ``dataset``, ``schema`` (classes or numeric), ``target``, ``classes``,
        ``unit``, ``counts``, ``rounds``, as the platform says now.
    """

    def __init__(self, client: Client, session_id: int) -> None:
        self._client = client
        self.id = int(session_id)
        self._base = f"{API}/labelling/sessions/{self.id}"
        self.info = self.refresh()

    def __repr__(self) -> str:
        return f"<labelling session {self.id} {self.info['name']!r}>"

    def refresh(self) -> dict[str, Any]:
        """Read the session again (counts, rounds and their phases change)."""
        self.info = self._client.get_json(f"{self._base}/")
        return self.info

    @property
    def name(self) -> str:
        return self.info["name"]

    @property
    def classes(self) -> list[str]:
        return list(self.info["classes"])

    @property
    def rounds(self) -> list[dict[str, Any]]:
        """Each round's ``number``, ``ready``, ``failed``, and its ``train`` and ``round``
        jobs (``job_id``, ``kind``, ``phase``, ``progress``)."""
        return self.refresh()["rounds"]

    @property
    def counts(self) -> dict[str, Any]:
        return self.refresh()["counts"]

    def labels(self) -> Table:
        """Every current label: ``path``, ``value``, ``mark``, ``verdict``, ``predicted``,
        ``seen``."""
        from astropy.table import Table

        answer = self._client.get_json(f"{self._base}/labels")
        rows, table = answer["labels"], Table()
        for name in answer["fields"]:
            values = [row.get(name) for row in rows]
            if name == "seen":  # True, False, or None (not known)
                table[name] = np.array(values, dtype=object)
            else:
                table[name] = np.array(["" if v is None else str(v) for v in values], dtype=str)
        return table

    def label(
        self,
        paths: str | Iterable[str],
        value: str | float | None = None,
        mark: str | None = None,
        *,
        round: int | None = None,
    ) -> dict[str, Any]:
        """Give the spectra at ``paths`` a label ``value`` (a class, or a number) or a
        ``mark`` (``"not_sure"``, ``"bad_data"``; ``""`` clears marks), as the labelling
        page does; the new counts.
        """
        paths = [paths] if isinstance(paths, str) else [str(p) for p in paths]
        if (value is None) == (mark is None):
            raise VocloudError("Give a value or a mark (one of them).")
        if mark is not None and mark not in MARKS:
            raise VocloudError(f"A mark is not_sure or bad_data (or '' to clear), not {mark!r}.")
        body: dict[str, Any] = {"paths": paths}
        if value is not None:
            body["value"] = str(value)
        else:
            body["mark"] = mark
        if round is not None:
            body["round"] = int(round)
        answer = self._client.post_json(f"{self._base}/labels", body)
        self.info["counts"] = answer["counts"]
        return answer["counts"]

    def start_round(self, *, cold_start: bool = False, **options: Any) -> int:
        """Freeze the labels and start the next round (training, then scoring and the
        projection); its number. Options as on the session page: ``epochs``,
        ``acquisition``, ``k``, ``method`` (umap, tsne, pca), ``mc_samples``.

        With ``cold_start=True`` nothing is trained: the platform proposes spectra to label
        (see :meth:`propose`), and the options are ``k``, ``method`` and ``encoder``."""
        body = {"cold_start": True, **options} if cold_start else options
        started = self._client.post_json(f"{self._base}/rounds/", body)
        return int(started["number"])

    def propose(self, k: int = 30, *, method: str = "umap", encoder: str = "") -> int:
        """Start a cold-start round: the platform proposes ``k`` spectra to label, typical
        spectra of different regions (TypiClust) in the embedding of a finished pretrain job
        (``encoder``, its job id) or in PCA of the flux; the round's number. Label them (its
        sample, or its widget), then :meth:`start_round` once 10 spectra of 2 classes are
        labelled."""
        return self.start_round(cold_start=True, k=k, method=method, encoder=encoder)

    def round(self, number: int) -> dict[str, Any]:
        """Where round ``number`` is: ``ready``, ``failed``, its jobs, ``metrics``..."""
        return self._client.get_json(f"{self._base}/rounds/{int(number)}/")

    def wait_round(
        self, number: int | None = None, *, progress: bool = True, timeout: float | None = None
    ) -> dict[str, Any]:
        """Wait until round ``number`` (the last one if None) can be labelled; its state.

        A progress bar follows its jobs (training, then scoring and projection).

        Raises
        ------
        VocloudError
            If the round cannot finish (the reason is the message), or after ``timeout`` s.
        """
        if number is None:
            numbers = [r["number"] for r in self.rounds]
            if not numbers:
                raise VocloudError(f"{self.name} has no round yet: start_round() first.")
            number = max(numbers)
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=100, desc=f"{self.name} round {number}", unit="%")
        try:
            while True:
                state = self.round(number)
                if state["failed"]:
                    raise VocloudError(f"Round {number} cannot finish: {state['failed']}")
                if bar is not None:
                    _draw_round(bar, state)
                if state["ready"]:
                    return state
                if deadline is not None and time.monotonic() > deadline:
                    raise VocloudError(f"Round {number} is not ready after {timeout} s.")
                time.sleep(ROUND_POLL_S)
        finally:
            if bar is not None:
                bar.close()

    def latest_round(self) -> int:
        """The number of the last round whose sample is ready."""
        ready = [r["number"] for r in self.rounds if r["ready"]]
        if not ready:
            raise VocloudError(f"{self.name} has no round with a sample ready yet.")
        return max(ready)

    def sample(self, round: int | None = None) -> Table:
        """A round's projected sample (the last ready one if None): ``path``, ``x``, ``y``,
        ``score``, ``predicted``..., with each spectrum's current ``label`` and ``mark``."""
        from astropy.table import Table

        number = self.latest_round() if round is None else int(round)
        columns = self._client.get_json(f"{self._base}/rounds/{number}/sample")["columns"]
        table = Table()
        for name, values in columns.items():
            table[name] = [float("nan") if v is None else v for v in values]
        return table

    def check(self, round: int | None = None, *, draw: int = 0) -> dict[str, Any]:
        """A round's pool check (the last ready round if None): spectra drawn at random
        from its unlabelled pool, with the model's prediction and your answers.

        ``draw`` spectra more are drawn first (e.g. 20). The answer has ``items`` (each
        ``order``, ``path``, ``predicted``, ``probability``, ``answer``, ``truth``), ``next``
        (the order of the first not answered, or None) and ``headline``: the accuracy on
        the answered ones (``value``, ``low``, ``high``: 95 % interval, ``n``, ``skipped``,
        ``text``).
        """
        number = self.latest_round() if round is None else int(round)
        url = f"{self._base}/rounds/{number}/check"
        if draw:
            return self._client.post_json(url, {"draw": int(draw)})
        return self._client.get_json(url)

    def answer_check(
        self,
        round: int,
        path: str,
        answer: str,
        *,
        truth: str | None = None,
        label: bool = False,
    ) -> dict[str, Any]:
        """Say whether round ``round``'s model is correct on the drawn spectrum ``path``:
        ``answer`` is ``"yes"``, ``"no"``, ``"skip"`` or ``"bad_data"``; ``truth`` the true
        class (with "yes" when it is the prediction, else "no"). With ``label`` a yes or a
        true class also becomes the spectrum's label in the session. The check's state."""
        body: dict[str, Any] = {"path": str(path), "answer": answer, "label": bool(label)}
        if truth is not None:
            body["truth"] = str(truth)
        return self._client.post_json(f"{self._base}/rounds/{int(round)}/check/answers", body)

    def undo_check(self, round: int) -> dict[str, Any]:
        """Take back the last answer of round ``round``'s check (and the label it gave)."""
        return self._client.post_json(f"{self._base}/rounds/{int(round)}/check/undo", {})

    def widget(self, round: int | None = None):
        """The labelling widget for Jupyter (scatter plot, spectrum, buttons)."""
        from vocloud.client.widget import LabelWidget

        return LabelWidget(self._client, self.id, round)


def _draw_round(bar, state: dict[str, Any]) -> None:
    """Training is the first half of a round, scoring and projection the second."""
    train, scoring = state.get("train") or {}, state.get("round") or {}
    if state["ready"]:
        done, what = 100.0, "ready"
    elif state.get("cold_start") and scoring:  # one job, no training
        done = 100 * (scoring.get("progress") or 0)
        what = f"{scoring['kind']} {scoring['phase']}"
    elif scoring:
        done = 50 + 50 * (scoring.get("progress") or 0)
        what = f"{scoring['kind']} {scoring['phase']}"
    else:
        done = 50 * (train.get("progress") or 0)
        what = f"train {train.get('phase', '')}"
    bar.n = round(min(100.0, max(0.0, done)), 1)
    bar.set_postfix_str(what[:60], refresh=False)
    bar.refresh()
