"""The portal's "new job" form, generated from a kind's parameter declaration.

Labels and help come from the fields' ``title`` and ``description``; parameters that name
the owner's folders, files, datasets or jobs get a picker and are checked to exist when the
form is sent. Every problem is reported at once, beside its field: the form's own checks,
then the kind's model (whose messages are the same as the UWS service gives).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from django import forms
from pydantic import ValidationError

from services.jobs.params import ParameterDoc, validate
from vocloud.files.operations import space_for
from vocloud.portal import pickers
from vocloud.uws import storage
from vocloud.uws.kinds import Kind
from vocloud.uws.models import Job, Phase

PLACEHOLDER_UPLOAD = Path("/nonexistent/upload")  # model checks need a path, not the file


def label_of(kind: Kind, doc: ParameterDoc) -> str:
    """The field's ``title``, else its name in words (``batch_size`` -> "Batch size")."""
    title = kind.parameters_model.model_fields[doc.field].title
    return title or doc.field.replace("_", " ").capitalize()


def _job_choices(user, kind: str) -> list[tuple[str, str]]:
    jobs = Job.objects.filter(owner=user, kind=kind, phase=Phase.COMPLETED)
    return [("", "—")] + [
        (
            j.job_id,
            f"{j.job_id} · {j.end_time:%Y-%m-%d %H:%M} UTC"
            + (f" · {str(j.parameters['DATASET'])[:64]}" if j.parameters.get("DATASET") else "")
            + (f" · {j.run_id[:60]}" if j.run_id else ""),
        )
        for j in jobs.order_by("-creation_time")[:200]
    ]


def _field(kind: Kind, doc: ParameterDoc, user, role: pickers.Role | None) -> forms.Field:
    common = {"label": label_of(kind, doc), "help_text": doc.description, "required": doc.required}
    if role and role.name == "job":
        return forms.ChoiceField(
            choices=_job_choices(user, doc.job_kind),
            error_messages={
                "invalid_choice": f"You have no finished {doc.job_kind} job %(value)s."
            },
            **common,
        )
    if role and role.name == "dataset":  # only the owner's datasets can be picked
        names = pickers.dataset_choices(space_for(user))
        return forms.ChoiceField(
            choices=[("", "—")] + [(n, n) for n in names],
            error_messages={"invalid_choice": "You have no dataset called “%(value)s”."},
            **common,
        )
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
    widget = forms.Textarea(attrs={"rows": 2}) if doc.name == "NOTE" else None
    if role:  # a picker: the owner's folders, files or datasets (templates/portal/_form_fields)
        widget = forms.TextInput(attrs={"list": f"choices-{doc.field}", "autocomplete": "off"})
    return forms.CharField(initial=doc.default or "", widget=widget, **common)


class JobForm(forms.Form):
    """Base of the generated forms; ``kind`` and ``user`` are set on the generated class."""

    kind: Kind
    user = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.roles = {
            doc.field: role
            for doc in self.kind.parameters
            if (role := pickers.role_of(self.kind.parameters_model, doc)) is not None
        }
        for doc in self.kind.parameters:
            self.fields[doc.field].uws_name = doc.name
        self.fields["run_id"].uws_name = "RUNID"
        self._space = None

    @property
    def space(self):
        if self._space is None:
            self._space = space_for(self.user)
        return self._space

    def datalists(self) -> list[tuple[str, list[str]]]:
        """(id, values) of the pickers' <datalist> elements: the owner's things only."""
        makers = {
            "folders": pickers.folder_choices,
            "folder": pickers.folder_choices,
            "file": pickers.table_choices,
        }
        cache: dict[str, list[str]] = {}
        found = []
        for field, role in self.roles.items():
            if role.name in makers:
                if role.name not in cache:
                    cache[role.name] = makers[role.name](self.space)
                found.append((f"choices-{field}", cache[role.name]))
        return found

    def clean(self) -> dict:
        cleaned = super().clean()
        for field, role in self.roles.items():
            value = cleaned.get(field)
            if isinstance(value, str) and field not in self.errors:
                for problem in pickers.check(role, value, self.space):
                    self.add_error(field, problem)
        self._check_model(cleaned)
        return cleaned

    def _check_model(self, cleaned: dict) -> None:
        """The kind's own rules (formats, combinations), each error beside its field."""
        values, files = uws_values(self.kind, cleaned)
        for name in self.kind.job_refs:
            if name in values:
                values[name] = str(storage.results_dir(values[name]))
        uploads = {name: PLACEHOLDER_UPLOAD for name in files}
        for doc in self.kind.parameters:  # a field with an error already has no value here
            if doc.field in self.errors:
                values.pop(doc.name, None)
                if doc.kind == "upload":
                    uploads[doc.name] = PLACEHOLDER_UPLOAD
        # The model's rules across fields run only once every field is valid: after field
        # errors, check again without those fields (their defaults) to report the rest too.
        for _ in range(3):
            try:
                validate(self.kind.parameters_model, values, uploads)
                return
            except ValidationError as exc:
                problems = exc.errors()
            failed = set()
            for item in problems:
                field = str(item["loc"][0]) if item["loc"] else ""
                failed.add(field)
                if field in self.errors or (not field and item["type"] == "missing"):
                    continue  # said already, by the form's own check
                message = item["msg"].removeprefix("Value error, ")
                self.add_error(field if field in self.fields else None, message)
            names = {doc.field: doc.name for doc in self.kind.parameters}
            dropped = {names[f] for f in failed if f in names and names[f] in values}
            if not dropped:
                return
            for name in dropped:
                values.pop(name)


def job_form_class(kind: Kind, user) -> type[JobForm]:
    fields = {
        doc.field: _field(kind, doc, user, pickers.role_of(kind.parameters_model, doc))
        for doc in kind.parameters
    }
    fields["run_id"] = forms.CharField(
        label="Run ID", required=False, help_text="Your own label for this job (optional)."
    )
    attributes = {**fields, "kind": kind, "user": user}
    return type(f"{kind.name.title().replace('-', '')}JobForm", (JobForm,), attributes)


def initial_from(kind: Kind, job: Job) -> dict:
    """A job's parameters as a form's initial values ("run again with these parameters").

    Uploaded files cannot be carried over: the person uploads them again.
    """
    initial = {}
    for doc in kind.parameters:
        value = job.parameters.get(doc.name)
        if value is None or doc.kind == "upload":
            continue
        initial[doc.field] = (
            str(value).lower() in ("true", "1", "yes") if doc.kind == "bool" else value
        )
    if job.run_id:
        initial["run_id"] = job.run_id
    return initial


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


def parameter_rows(kind: Kind) -> list[dict]:
    """The kind's parameters for its documentation page, each with its human label."""
    return [{**asdict(doc), "label": label_of(kind, doc)} for doc in kind.parameters]
