"""The pool-check page of a round: "Am I correct?" on spectra drawn at random from its pool.

The page is a shell; its script (static/labelling/check.js) draws, answers and undoes
through the JSON API (vocloud/api/labelling.py, ``.../rounds/<n>/check``), as a notebook
would. Owner only: another user's session or round answers 404.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from vocloud.labelling import checks
from vocloud.labelling.models import Round, Session


@login_required
@require_GET
def check_page(request, session_id: int, number: int):
    session = get_object_or_404(Session, pk=session_id, owner=request.user)
    round_ = get_object_or_404(Round, session=session, number=number)
    kwargs = {"session_id": session.pk, "number": round_.number}
    config = {
        "state": reverse("api:check", kwargs=kwargs),
        "answers": reverse("api:check_answers", kwargs=kwargs),
        "undo": reverse("api:check_undo", kwargs=kwargs),
        "spectrum": reverse("api:check_spectrum", kwargs=kwargs),
        "classes": list(session.classes)[:9],
        "batch": checks.BATCH,
    }
    return render(
        request,
        "labelling/check.html",
        {
            "session": session,
            "round": round_,
            "reason": checks.unavailable(round_),
            "config": config,
            "batch": checks.BATCH,
        },
    )
