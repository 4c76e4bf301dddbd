"""Job kinds and their parameters, from the kinds' own declarations (vocloud.uws.kinds).

Jobs themselves are created and followed through UWS (``/uws/<kind>/async``); this is what
a client checks its parameters against before it sends them.
"""

from __future__ import annotations

import math
from pathlib import PurePath

from django.http import JsonResponse

from services.jobs.params import ParameterDoc
from vocloud.api.base import ApiView, Refused
from vocloud.uws.kinds import KINDS, Kind


def _plain(value):
    """A default as JSON holds it (paths as text; no NaN or infinity)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def parameter_json(doc: ParameterDoc) -> dict:
    return {
        "name": doc.name,
        "field": doc.field,
        "type": doc.kind,
        "required": doc.required,
        "default": _plain(doc.default),
        "choices": list(doc.choices),
        "minimum": doc.minimum,
        "maximum": doc.maximum,
        "job_kind": doc.job_kind,
        "help": doc.description,
    }


def kind_json(kind: Kind, *, full: bool) -> dict:
    answer = {
        "name": kind.name,
        "title": kind.title,
        "summary": kind.summary,
        "queue": kind.queue,
        "uws": f"/uws/{kind.name}/async",
        "parameters": [parameter_json(doc) for doc in kind.parameters],
    }
    if full:
        answer["description"] = kind.description
        answer["execution_duration"] = kind.execution_duration
        answer["max_execution_duration"] = kind.max_execution_duration
    return answer


class KindListView(ApiView):
    def get(self, request):
        return JsonResponse({"kinds": [kind_json(kind, full=False) for kind in KINDS.values()]})


class KindView(ApiView):
    def get(self, request, kind: str):
        found = KINDS.get(kind)
        if found is None:
            raise Refused(f"No job kind {kind[:60]!r}: the kinds are {', '.join(KINDS)}.", 404)
        return JsonResponse(kind_json(found, full=True))
