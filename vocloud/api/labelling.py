"""Labelling sessions: read them, their labels and rounds' samples; push labels.

Labels go through ``vocloud.labelling.operations.apply``, exactly as the portal's labelling
page sends them (``vocloud.labelling.views.labels_api``): same body, same checks.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
from django.conf import settings
from django.http import Http404, JsonResponse

from services.datasets import list_datasets
from services.storage import user_space
from vocloud.api.base import ApiView, Refused
from vocloud.labelling import checks, loop, operations
from vocloud.labelling.creation import SessionRefused, create_session
from vocloud.labelling.forms import ProposeForm, RoundForm, SessionForm
from vocloud.labelling.models import Round, Session
from vocloud.labelling.sample_cache import round_sample

SESSION_DEFAULTS = {"schema": Session.CLASSES, "target": "class", "per_class": 5}
CHECK_BODY_BYTES = 16_384  # a pool-check request: a path, an answer, a class


def _session(request, session_id: int) -> Session:
    # Someone else's session answers exactly like one that does not exist.
    found = Session.objects.filter(pk=session_id, owner=request.user).first()
    if found is None:
        raise Refused("No such labelling session.", 404)
    return found


def _round(session: Session, number: int) -> Round:
    found = session.rounds.filter(number=number).first()
    if found is None:
        raise Refused(f"The session has no round {number}.", 404)
    return found


def session_json(session: Session) -> dict:
    return {
        "id": session.pk,
        "name": session.name,
        "dataset": session.dataset,
        "schema": session.schema,
        "target": session.target,
        "classes": list(session.classes),
        "unit": session.unit,
        "created": session.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def sample_columns(sample: dict[str, np.ndarray], states: dict[str, dict]) -> dict[str, list]:
    """The sample as JSON columns, with each spectrum's current label and mark."""
    columns = {
        name: [_finite(v) for v in np.asarray(values).tolist()] for name, values in sample.items()
    }
    paths = columns["path"]
    columns["label"] = [states.get(p, {}).get("value", "") for p in paths]
    columns["mark"] = [states.get(p, {}).get("mark", "") for p in paths]
    return columns


def _fields(request, form_class) -> dict:
    """The JSON body as the portal's form fields; unknown names are refused."""
    body = request.data
    if not isinstance(body, dict):
        raise Refused("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(form_class.base_fields))
    if unknown:
        known = ", ".join(form_class.base_fields)
        raise Refused(f"Unknown field {unknown[0]!r}: the fields are {known}.")
    return body


def _form_sentence(form) -> str:
    field, errors = next(iter(form.errors.items()))
    return f"{field}: {errors[0]}"


class SessionListView(ApiView):
    def get(self, request):
        sessions = Session.objects.filter(owner=request.user)
        return JsonResponse({"sessions": [session_json(s) for s in sessions]})

    def post(self, request):
        data = {**SESSION_DEFAULTS, **_fields(request, SessionForm)}
        if isinstance(data.get("classes"), list):
            data["classes"] = ",".join(str(c) for c in data["classes"])
        datasets = user_space(settings.DATA_DIR, request.user.pk).datasets
        form = SessionForm(data, datasets=[d["name"] for d in list_datasets(datasets)])
        if not form.is_valid():
            raise Refused(_form_sentence(form))
        try:
            created = create_session(request.user, form.cleaned_data)
        except SessionRefused as exc:
            raise Refused(str(exc), 409 if "already" in str(exc) else 400) from None
        answer = session_json(created.session)
        answer |= {"imported": created.imported, "skipped": created.skipped[:100]}
        return JsonResponse(answer, status=201)


class SessionView(ApiView):
    def get(self, request, session_id: int):
        session = _session(request, session_id)
        rounds = [loop.status(r) for r in session.rounds.select_related("train_job", "round_job")]
        return JsonResponse(
            {
                **session_json(session),
                "counts": operations.counts(session),
                "performance": operations.performance(session),
                "dataset_size": loop.dataset_size(session),
                "rounds": rounds,
            }
        )


class LabelsView(ApiView):
    def get(self, request, session_id: int):
        session = _session(request, session_id)
        rows = sorted(operations.states(session).values(), key=lambda row: row["path"])
        return JsonResponse({"fields": ["path", *operations.FIELDS], "labels": rows})

    def post(self, request, session_id: int):
        session = _session(request, session_id)
        try:
            paths = operations.apply_body(session, request.data)
        except operations.LabelError as exc:
            raise Refused(_capital(str(exc))) from None
        return JsonResponse(operations.answer(session, paths))


class RoundListView(ApiView):
    def post(self, request, session_id: int):
        session = _session(request, session_id)
        body = request.data
        if isinstance(body, dict) and "cold_start" in body:
            if body["cold_start"] not in (True, False):
                raise Refused("cold_start must be true or false.")
            if body["cold_start"]:
                return _propose(session, body)
            fields = _without_cold_start(body, RoundForm)
        else:
            fields = _fields(request, RoundForm)
        form = RoundForm({**loop.DEFAULTS, **fields}, classes=session.classes)
        if not form.is_valid():
            raise Refused(_form_sentence(form))
        try:
            round_ = loop.start_round(session, form.cleaned_data)
        except (loop.LoopError, ValueError) as exc:
            raise Refused(_capital(str(exc)), 409) from None
        return JsonResponse(loop.status(round_), status=201)


def _without_cold_start(body: dict, form_class) -> dict:
    """The body's fields but ``cold_start``; unknown names are refused."""
    fields = {k: v for k, v in body.items() if k != "cold_start"}
    unknown = sorted(set(fields) - set(form_class.base_fields))
    if unknown:
        known = ", ".join(["cold_start", *form_class.base_fields])
        raise Refused(f"Unknown field {unknown[0]!r}: the fields are {known}.")
    return fields


def _propose(session: Session, body: dict) -> JsonResponse:
    """A cold-start round (``{"cold_start": true, "k": 30, "method": ..., "encoder": ...}``)."""
    fields = _without_cold_start(body, ProposeForm)
    encoders = loop.encoder_choices(session)
    form = ProposeForm({**loop.PROPOSE_DEFAULTS, **fields}, encoders=encoders)
    if not form.is_valid():
        raise Refused(_form_sentence(form))
    try:
        round_ = loop.propose_round(session, form.cleaned_data)
    except loop.LoopError as exc:
        raise Refused(_capital(str(exc)), 409) from None
    return JsonResponse(loop.status(round_), status=201)


class RoundView(ApiView):
    def get(self, request, session_id: int, number: int):
        return JsonResponse(loop.status(_round(_session(request, session_id), number)))


class SampleView(ApiView):
    def get(self, request, session_id: int, number: int):
        session = _session(request, session_id)
        round_ = _round(session, number)
        loop.status(round_)  # advances the round as the portal's pages do
        try:
            sample = round_sample(round_)
        except Http404 as exc:
            raise Refused(_capital(str(exc)), 404) from None
        states = operations.states(session, [str(p) for p in sample["path"]])
        return JsonResponse({"round": number, "columns": sample_columns(sample, states)})


class CheckView(ApiView):
    """A round's pool check: GET its state; POST ``{"draw": 20}`` draws more spectra."""

    def get(self, request, session_id: int, number: int):
        return JsonResponse(checks.state(_round(_session(request, session_id), number)))

    def post(self, request, session_id: int, number: int):
        round_ = _round(_session(request, session_id), number)
        body = _object(request, {"draw"})
        with _refusals():
            checks.draw_more(round_, body.get("draw", checks.BATCH))
        return JsonResponse(checks.state(round_), status=201)


class CheckAnswerView(ApiView):
    """POST ``{"path", "answer", "truth"?, "label"?}``: the expert's word on a drawn spectrum."""

    def post(self, request, session_id: int, number: int):
        round_ = _round(_session(request, session_id), number)
        body = _object(request, {"path", "answer", "truth", "label"})
        with _refusals():
            checks.answer(
                round_, body.get("path"), body.get("answer"), body.get("truth"),
                body.get("label", False),
            )  # fmt: skip
        return JsonResponse(checks.state(round_))


class CheckUndoView(ApiView):
    def post(self, request, session_id: int, number: int):
        round_ = _round(_session(request, session_id), number)
        _object(request, set())
        with _refusals():
            said = checks.undo(round_)
        return JsonResponse(checks.state(round_) | {"message": said})


class CheckSpectrumView(ApiView):
    """GET ``?order=3``: a drawn spectrum's wavelengths and flux."""

    def get(self, request, session_id: int, number: int):
        round_ = _round(_session(request, session_id), number)
        order = request.GET.get("order", "")
        with _refusals():
            return JsonResponse(checks.spectrum(round_, int(order) if order.isdigit() else None))


def _object(request, allowed: set[str]) -> dict:
    """The JSON body as an object of only ``allowed`` keys (an empty body: {})."""
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > CHECK_BODY_BYTES:  # before reading it: no pool-check body is this big
        raise Refused(f"The request body is too large (at most {CHECK_BODY_BYTES:,} bytes).", 413)
    body = request.data
    if not isinstance(body, dict):
        raise Refused("The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refused(f"Unknown field {unknown[0][:50]!r}: the fields are {sorted(allowed)}.")
    return body


@contextlib.contextmanager
def _refusals():
    try:
        yield
    except checks.CheckError as exc:
        raise Refused(_capital(str(exc)), exc.status) from None


def _capital(sentence: str) -> str:
    sentence = sentence.strip()
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence.endswith((".", "?", "!", ")")) else sentence + "."
