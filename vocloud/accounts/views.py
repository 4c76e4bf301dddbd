from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from vocloud.accounts.forms import TokenForm
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
