"""What the home page shows of a user's own things: recent labelling sessions and jobs."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from vocloud.labelling.models import Label, Round, Session
from vocloud.uws.kinds import KINDS, Kind
from vocloud.uws.models import Job

RECENT = 5


def _count(model, **outer) -> Coalesce:
    # A count per session as a subquery: joining rounds and labels at once would multiply rows.
    rows = model.objects.filter(**outer).values("session").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def recent_sessions(user, n: int = RECENT) -> QuerySet[Session]:
    """``user``'s latest labelling sessions, each with ``n_rounds`` and ``n_labels``."""
    return (
        Session.objects.filter(owner=user)
        .annotate(
            n_rounds=_count(Round, session=OuterRef("pk")),
            n_labels=_count(Label, session=OuterRef("pk")),
        )
        .order_by("-created", "-pk")[:n]
    )


def recent_jobs(user, n: int = RECENT) -> QuerySet[Job]:
    """``user``'s latest jobs of every kind."""
    return Job.objects.filter(owner=user).order_by("-creation_time", "-id")[:n]


def kinds_for_home() -> list[Kind]:
    """The job kinds, the self-test last: it checks the platform, it is not the work."""
    return sorted(KINDS.values(), key=lambda kind: kind.name == "selftest")
