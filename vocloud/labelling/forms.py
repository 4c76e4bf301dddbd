"""Forms of the labelling pages."""

from django import forms

from vocloud.labelling.loop import DEFAULTS, PROPOSE_DEFAULTS
from vocloud.labelling.models import Session


class SessionForm(forms.Form):
    name = forms.CharField(max_length=100)
    dataset = forms.ChoiceField(help_text="The spectra to label.")
    schema = forms.ChoiceField(
        choices=[(Session.CLASSES, "classes"), (Session.NUMERIC, "a number (e.g. redshift)")]
    )
    target = forms.CharField(
        max_length=50, initial="class", help_text="Label column name (class, z, teff, ...)."
    )
    classes = forms.CharField(
        required=False, help_text="Class names separated by commas (or taken from the import)."
    )
    unit = forms.CharField(required=False, max_length=30, help_text="Unit of a number.")
    import_file = forms.CharField(
        required=False,
        help_text="Optional: a label snapshot CSV in your files to start from "
        "(e.g. demo/miles.labels.csv).",
    )
    per_class = forms.IntegerField(
        min_value=0, initial=5, help_text="Import at most this many per class (0: all)."
    )

    def __init__(self, *args, datasets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(d, d) for d in datasets]

    def clean_classes(self) -> list[str]:
        text = self.cleaned_data["classes"]
        return list(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))


ACQUISITIONS = ("bald", "bald_kcenter", "powerbald", "entropy", "random", "discovery", "balanced")


class RoundForm(forms.Form):
    epochs = forms.IntegerField(min_value=1, max_value=2000, initial=DEFAULTS["epochs"])
    acquisition = forms.ChoiceField(
        choices=[(m, m) for m in ACQUISITIONS],
        initial=DEFAULTS["acquisition"],
        help_text="discovery looks for members of the target class; balanced splits K "
        "evenly over the predicted classes.",
    )
    target_class = forms.CharField(
        required=False,
        max_length=100,
        label="Target class",
        help_text="For discovery: the class whose members to find.",
    )
    k = forms.IntegerField(min_value=3, max_value=200_000, initial=DEFAULTS["k"], label="K")
    method = forms.ChoiceField(
        choices=[(m, m) for m in ("umap", "tsne", "pca")], initial=DEFAULTS["method"]
    )
    mc_samples = forms.IntegerField(
        min_value=2, max_value=200, initial=DEFAULTS["mc_samples"], label="MC samples"
    )

    def __init__(self, *args, classes: list[str] | None = None, **kwargs):
        """``classes``: the session's class names, to check the target class against."""
        super().__init__(*args, **kwargs)
        self.classes = classes

    def clean(self) -> dict:
        data = super().clean()
        target = (data.get("target_class") or "").strip()
        data["target_class"] = target
        if data.get("acquisition") != "discovery":
            return data
        known = f" (one of: {', '.join(self.classes)})" if self.classes else ""
        if not target:
            self.add_error("target_class", f"Discovery needs the class to look for{known}.")
        elif self.classes is not None and target not in self.classes:
            self.add_error("target_class", f"{target} is not a class of this session{known}.")
        return data


class ProposeForm(forms.Form):
    """A cold-start round: how many spectra to propose, the map, the optional encoder."""

    k = forms.IntegerField(
        min_value=1,
        max_value=5000,
        initial=PROPOSE_DEFAULTS["k"],
        label="Spectra to propose",
        help_text="Typical spectra of different clusters, one per cluster (TypiClust).",
    )
    method = forms.ChoiceField(
        choices=[(m, m) for m in ("umap", "tsne", "pca")],
        initial=PROPOSE_DEFAULTS["method"],
        label="Map",
    )
    encoder = forms.ChoiceField(
        required=False,
        label="Features",
        help_text="A finished pretrain job of yours (its embedding), or PCA of the flux.",
    )

    def __init__(self, *args, encoders: list[tuple[str, str]] = (), **kwargs):
        """``encoders``: (job id, what to show) of the owner's finished pretrain jobs."""
        super().__init__(*args, **kwargs)
        self.fields["encoder"].choices = [("", "PCA of the flux (no encoder)"), *encoders]
