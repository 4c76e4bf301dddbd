"""Search an SSAP service, preview the spectra found, and ingest them with one click."""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from services.fetch import FetchOptions, make_session
from services.messages import for_user
from services.vo import VOError, check_band, check_time, parse_pos, ssap_query
from vocloud import outbound
from vocloud.accounts.notify import wants_mail
from vocloud.uws import service
from vocloud.uws.errors import UsageError
from vocloud.uws.kinds import KINDS

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 50
# A page waits for the service: the whole request must end well within the web server's
# worker timeout, whatever the service does (the fetch policy's deadline closes it).
PREVIEW_DEADLINE_S = 20


def _validated(check):
    def validate(value):
        try:
            check(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    return validate


class SsapForm(forms.Form):
    ssap_url = forms.URLField(label="Service URL", max_length=2000, assume_scheme="https")
    pos = forms.CharField(
        label="POS",
        required=False,
        help_text="ra,dec in degrees",
        validators=[_validated(parse_pos)],
    )
    size = forms.FloatField(
        label="SIZE",
        required=False,
        min_value=0,
        max_value=180,
        help_text="search diameter in degrees",
    )
    band = forms.CharField(
        label="BAND",
        required=False,
        help_text="lo/hi in metres",
        validators=[_validated(check_band)],
    )
    time = forms.CharField(
        label="TIME",
        required=False,
        help_text="start/end, ISO 8601",
        validators=[_validated(check_time)],
    )
    format = forms.CharField(label="FORMAT", required=False, max_length=100)
    maxrec = forms.IntegerField(label="MAXREC", min_value=1, max_value=100000, initial=1000)

    def uws_values(self) -> dict[str, str]:
        return {
            name.upper(): str(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }


def _preview(data: dict) -> dict:
    policy = outbound.fetch_policy(deadline_s=PREVIEW_DEADLINE_S)
    options = FetchOptions(policy=policy, connect_timeout=5, read_timeout=PREVIEW_DEADLINE_S)
    with make_session(options) as session:
        result = ssap_query(
            data["ssap_url"],
            session,
            pos=parse_pos(data["pos"]) if data["pos"] else None,
            size=data["size"],
            band=data["band"],
            time=data["time"],
            format=data["format"],
            maxrec=data["maxrec"],
        )
    table = result.table[:PREVIEW_ROWS]
    return {
        "columns": table.colnames,
        "rows": [[_cell(row[name]) for name in table.colnames] for row in table],
        "total": len(result.table),
        "truncated": result.truncated,
        "notes": result.notes(),  # rows outside the SIZE diameter, left out as ingest does
    }


def _cell(value) -> str:
    text = " ".join(str(v) for v in value) if getattr(value, "ndim", 0) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


@login_required
def ssap_preview(request):
    form = SsapForm(request.POST or None)
    context = {"form": form, "preview": None, "error": ""}
    if request.method == "POST" and form.is_valid():
        if "ingest" in request.POST:
            values = {**form.uws_values(), "PHASE": "RUN"}
            try:
                job = service.create_job(
                    request.user, KINDS["ingest"], values, notify=wants_mail(request.user)
                )
            except UsageError as exc:
                context["error"] = str(exc)
            else:
                messages.success(request, f"Ingestion job {job.job_id} started.")
                return redirect("portal:job", kind="ingest", job_id=job.job_id)
        else:
            try:
                context["preview"] = _preview(form.cleaned_data)
            except VOError as exc:
                context["error"] = for_user(str(exc), settings.DATA_DIR)
            except Exception:  # a broken service must never become a 500 page
                logger.exception("SSAP preview of %s failed", form.cleaned_data["ssap_url"])
                context["error"] = "The service's answer could not be understood."
    return render(request, "portal/ssap.html", context)
