"""Labelling sessions: a dataset, a label schema, its rounds and the expert's labels."""

from django.conf import settings
from django.db import models

from vocloud.uws.models import Job


class Session(models.Model):
    """An active-learning campaign on one of the owner's datasets."""

    CLASSES, NUMERIC = "classes", "numeric"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    dataset = models.CharField(max_length=200, help_text="Name of one of the owner's datasets.")
    schema = models.CharField(
        max_length=10, choices=[(CLASSES, "classes"), (NUMERIC, "numeric")], default=CLASSES
    )
    target = models.CharField(
        max_length=50, default="class", help_text="Label column name in snapshots."
    )
    classes = models.JSONField(default=list, blank=True, help_text="Class names (classes).")
    unit = models.CharField(max_length=30, blank=True, help_text="Unit of a numeric target.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="one_session_name_per_owner")
        ]
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"

    @property
    def is_numeric(self) -> bool:
        return self.schema == self.NUMERIC


class Round(models.Model):
    """One turn of the loop: a label snapshot, the model trained on it, the next sample."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()
    snapshot = models.CharField(max_length=500, help_text="Label snapshot, relative to files/.")
    n_labels = models.PositiveIntegerField(default=0)
    train_job = models.ForeignKey(Job, null=True, on_delete=models.SET_NULL, related_name="+")
    round_job = models.ForeignKey(Job, null=True, on_delete=models.SET_NULL, related_name="+")
    # The al-round job was started: a round_job of None is then a deleted job, not one to come.
    round_started = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="one_round_number")
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.session.name} round {self.number}"


class Label(models.Model):
    """The expert's current word on one spectrum of a session (one row per spectrum)."""

    NOT_SURE, BAD_DATA = "not_sure", "bad_data"
    MARKS = [("", "—"), (NOT_SURE, "not sure"), (BAD_DATA, "bad data")]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="labels")
    path = models.CharField(max_length=1000, help_text="Spectrum path relative to files/.")
    value = models.CharField(max_length=200, blank=True, help_text="Class or number.")
    mark = models.CharField(max_length=10, choices=MARKS, blank=True)
    verdict = models.CharField(max_length=3, blank=True, help_text="'Am I correct?': yes/no.")
    predicted = models.CharField(max_length=200, blank=True, help_text="What was checked.")
    seen = models.BooleanField(
        null=True,
        help_text="Whether the spectrum was on the expert's screen when this was given "
        "(False: labelled in bulk without a view; None: imported or from before this was kept).",
    )
    round = models.ForeignKey(Round, null=True, on_delete=models.SET_NULL, related_name="+")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "path"], name="one_label_per_spectrum")
        ]

    def __str__(self) -> str:
        return f"{self.path}: {self.value or self.mark or self.verdict}"


class LabelChange(models.Model):
    """What one action changed, for undo: the state of each spectrum before it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    action = models.PositiveIntegerField(help_text="Changes of one action share this number.")
    path = models.CharField(max_length=1000)
    before = models.JSONField(null=True, help_text="The label fields before; null: none.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["session", "action"])]


class PoolCheck(models.Model):
    """One spectrum drawn at random from a round's unlabelled pool, and the expert's word
    on the round model's prediction for it ("Am I correct?" on a random pick)."""

    YES, NO, SKIP, BAD_DATA = "yes", "no", "skip", "bad_data"
    ANSWERS = [("", "not yet"), (YES, "yes"), (NO, "no"), (SKIP, "skip"), (BAD_DATA, "bad data")]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="pool_checks")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="pool_checks")
    order = models.PositiveIntegerField(help_text="Draw order in the round's check (0 first).")
    path = models.CharField(max_length=1000, help_text="Spectrum path relative to files/.")
    row = models.PositiveIntegerField(help_text="Row in the dataset.")
    predicted = models.CharField(max_length=200, help_text="The round model's class.")
    probability = models.FloatField(null=True, help_text="Its mean predictive probability.")
    answer = models.CharField(max_length=10, choices=ANSWERS, blank=True)
    truth = models.CharField(max_length=200, blank=True, help_text="The class the expert gave.")
    action = models.PositiveIntegerField(
        null=True, help_text="The label action the answer made (LabelChange.action), if any."
    )
    created = models.DateTimeField(auto_now_add=True)
    answered = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "order"], name="one_draw_per_order"),
            models.UniqueConstraint(fields=["round", "path"], name="one_draw_per_spectrum"),
        ]
        ordering = ["round", "order"]

    def __str__(self) -> str:
        return f"{self.round} check {self.order}: {self.path} {self.answer or '?'}"
