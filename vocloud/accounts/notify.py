"""E-mail to a job's owner when a job they started from the portal ends.

A job carries ``notify`` from its creation (the portal sets it from :func:`wants_mail`);
:func:`vocloud.uws.phases.transition` calls :func:`job_ended` once the move into a final
phase is committed. The mail is plain text: the kind, the job's id, its phase, the reason
of a failure as its owner reads it on the job page, and a link to that page. Sending it
never breaks the job: a failure is logged, and the owner still finds the job in the portal.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from vocloud.accounts.models import MailChoice

logger = logging.getLogger(__name__)

ENDINGS = {"COMPLETED": "completed", "ERROR": "failed", "ABORTED": "was aborted"}


def wants_mail(user) -> bool:
    """Whether ``user`` asked for a mail when a portal job ends, and has an address."""
    if not user.is_authenticated or not user.email:
        return False
    return MailChoice.objects.filter(user=user, job_ended=True).exists()


def job_ended(job) -> bool:
    """Send one mail about ``job``'s end to its owner, if they (still) want it.

    Returns whether a mail went out. Never raises: a mail server that is down or refuses
    is logged, and the job's end stands.
    """
    try:
        owner = job.owner
        if not (job.notify and wants_mail(owner)):
            return False
        subject, body = compose(job)
        send_mail(subject, body, None, [owner.email])
    except Exception:
        logger.warning("could not send the end-of-job mail for job %s", job.job_id, exc_info=True)
        return False
    return True


def compose(job) -> tuple[str, str]:
    """The subject and plain-text body of the mail about ``job``'s end."""
    from vocloud.uws.kinds import KINDS  # the registry imports the job kinds' modules

    kind = KINDS[job.kind].title if job.kind in KINDS else job.kind
    ending = ENDINGS.get(job.phase, job.phase.lower())
    link = settings.SITE_URL + reverse("portal:job", args=[job.kind, job.job_id])
    subject = f"{settings.SITE_NAME}: your {kind} job {job.job_id} {ending}"
    lines = [
        f"Hello {job.owner.get_username()},",
        "",
        f"Your {kind} job {job.job_id} {ending} (phase {job.phase}).",
    ]
    if job.run_id:
        lines.append(f"Its run ID: {_one_line(job.run_id)}")
    if job.phase == "COMPLETED" and job.progress_message:
        lines.append(f"Outcome: {_one_line(job.progress_message)}")
    if job.phase == "ERROR" and job.error_message:
        lines.append(f"Reason: {_one_line(job.error_message)}")
    lines += [
        "",
        f"See it, with its results and log: {link}",
        "",
        f"You receive this because you asked for it in {settings.SITE_NAME}'s settings:",
        settings.SITE_URL + reverse("accounts:settings"),
    ]
    return subject, "\n".join(lines) + "\n"


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def set_mail_choice(user, *, job_ended: bool, email: str) -> None:
    """Keep ``user``'s choice and address (an empty address turns the mails off)."""
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    MailChoice.objects.update_or_create(
        user=user, defaults={"job_ended": job_ended and bool(email)}
    )


def mail_choice(user) -> dict:
    """The initial values of the settings form."""
    choice = MailChoice.objects.filter(user=user).first()
    return {"job_ended": bool(choice and choice.job_ended), "email": user.email}
