"""The portal's "new job" form, generated from a kind's parameter declaration."""

from django import forms

from services.jobs.params import ParameterDoc
from vocloud.uws.kinds import Kind
from vocloud.uws.models import Job, Phase


def _job_choices(user, kind: str) -> list[tuple[str, str]]:
    jobs = Job.objects.filter(owner=user, kind=kind, phase=Phase.COMPLETED)
    return [("", "—")] + [
        (
            j.job_id,
            f"{j.job_id} · {j.end_time:%Y-%m-%d %H:%M}" + (f" · {j.run_id}" if j.run_id else ""),
        )
        for j in jobs.order_by("-creation_time")[:200]
    ]


def _field(doc: ParameterDoc, user) -> forms.Field:
    common = {"label": doc.name, "help_text": doc.description, "required": doc.required}
    if doc.kind == "job":
        return forms.ChoiceField(choices=_job_choices(user, doc.job_kind), **common)
    if doc.kind == "upload":
        return forms.FileField(**common)
    if doc.kind == "bool":
        return forms.BooleanField(**{**common, "required": False}, initial=bool(doc.default))
    if doc.kind == "choice":
        return forms.ChoiceField(
            choices=[(c, c) for c in doc.choices], initial=doc.default, **common
        )
    if doc.kind in ("int", "float"):
        cls = forms.IntegerField if doc.kind == "int" else forms.FloatField
        extra = {} if doc.kind == "int" else {"widget": forms.NumberInput(attrs={"step": "any"})}
        return cls(
            min_value=doc.minimum, max_value=doc.maximum, initial=doc.default, **common, **extra
        )
    return forms.CharField(
        initial=doc.default or "",
        **{**common, "required": doc.required},
        widget=forms.Textarea(attrs={"rows": 2}) if doc.name == "NOTE" else None,
    )


def job_form_class(kind: Kind, user) -> type[forms.Form]:
    fields = {doc.field: _field(doc, user) for doc in kind.parameters}
    fields["run_id"] = forms.CharField(
        label="RUNID", required=False, help_text="Your own label for this job (optional)."
    )
    return type(f"{kind.name.title()}JobForm", (forms.Form,), fields)


def uws_values(kind: Kind, cleaned: dict) -> tuple[dict[str, str], dict]:
    """The form's cleaned data as UWS values (strings) and files, keyed by UWS name."""
    values, files = {}, {}
    for doc in kind.parameters:
        value = cleaned.get(doc.field)
        if doc.kind == "upload":
            if value:
                files[doc.name] = value
        elif value is not None and value != "":
            values[doc.name] = ("true" if value else "false") if doc.kind == "bool" else str(value)
    if cleaned.get("run_id"):
        values["RUNID"] = cleaned["run_id"]
    return values, files
