from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from vocloud.accounts import notify
from vocloud.accounts.forms import MailChoiceForm, TokenForm
from vocloud.accounts.history import HISTORY_PAGE, history_jobs
from vocloud.accounts.models import ApiToken
from vocloud.signed_links import revoke_all
from vocloud.vo.portal import service_links


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        token, new_key = ApiToken.issue(request.user, form.cleaned_data["name"])
        messages.success(request, f"Token “{token.name}” created. Copy it now: it is shown once.")
        form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "tokens": request.user.api_tokens.all(),
            "new_key": new_key,
            "vo": service_links(request),
        },
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")


@login_required
@require_POST
def revoke_links(request):
    revoke_all(request.user)
    messages.success(
        request,
        "Every signed link you handed out until now no longer works; "
        "links you make from now on do.",
    )
    return redirect("accounts:tokens")


def _settings_page(request, password_form=None, mail_form=None):
    return render(
        request,
        "accounts/settings.html",
        {
            "password_form": password_form or PasswordChangeForm(request.user),
            "mail_form": mail_form or MailChoiceForm(initial=notify.mail_choice(request.user)),
            "n_tokens": request.user.api_tokens.count(),
        },
    )


@login_required
@require_GET
def account_settings(request):
    return _settings_page(request)


@login_required
@require_POST
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _settings_page(request, password_form=form)
    form.save()
    update_session_auth_hash(request, form.user)  # this session stays logged in
    messages.success(request, "Your password is changed.")
    return redirect("accounts:settings")


@login_required
@require_POST
def change_mail(request):
    form = MailChoiceForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, mail_form=form)
    notify.set_mail_choice(request.user, **form.cleaned_data)
    if form.cleaned_data["job_ended"]:
        sentence = f"You will get a mail at {form.cleaned_data['email']} when a portal job ends."
    else:
        sentence = "You will get no mail when your jobs end."
    messages.success(request, sentence)
    return redirect("accounts:settings")


@login_required
@require_GET
def history(request):
    page = Paginator(history_jobs(request.user), HISTORY_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/history.html", {"page": page})
