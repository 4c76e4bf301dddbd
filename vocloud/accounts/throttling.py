"""Brute-force protection of the log-in form and of HTTP Basic, on top of django-axes.

Axes counts failed log-ins in the database, which every gunicorn worker shares, and refuses a
user name from an address once it has failed ``AXES_FAILURE_LIMIT`` times within the cool-off
(``AXES_COOLOFF_TIME``, counted from the last failure). This module is our side of it:

- ``client_address``: where a request comes from (X-Forwarded-For only through proxies we
  trust; an IPv6 client counts as its /64, which one subscriber holds whole);
- ``LoginThrottle``: axes' database handler plus a limit per address, against trying a few
  common passwords on many names (password spraying);
- ``retry_after`` and ``lockout_sentence``: how long a refused client waits, in one sentence;
- ``lockout_response``: the log-in page with that sentence and HTTP 429 (for the form);
  HTTP Basic (``vocloud.accounts.auth``) raises ``LockedOut`` with the same sentence instead.
"""

from __future__ import annotations

import math
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import TYPE_CHECKING

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

if TYPE_CHECKING:
    from rest_framework.request import Request

IPV6_CLIENT_PREFIX = 64  # one subscriber's network: anything smaller is free to rotate through


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(request: HttpRequest) -> str | None:
    """The address that counts a request's failed log-ins (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR``, unless that is a proxy of ``VOCLOUD_TRUSTED_PROXIES``: then the hop that
    proxy appended to X-Forwarded-For, and so on leftwards while the hops are trusted proxies.
    Whatever a client writes into X-Forwarded-For itself lies left of that and is never read.
    """
    address = _parse(request.META.get("REMOTE_ADDR", ""))
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    while address is not None and hops and _trusted(address):
        hop = _parse(hops.pop())
        if hop is None:  # a trusted proxy wrote nothing usable: stay with the proxy itself
            break
        address = hop
    if address is None:
        return None
    if isinstance(address, IPv6Address):
        address = ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False).network_address
    return str(address)


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.VOCLOUD_TRUSTED_PROXIES)


def _recent_failures(request: HttpRequest):
    """Axes' failure records from this request's address within the cool-off."""
    since = request.axes_attempt_time - get_cool_off(request)
    return AccessAttempt.objects.filter(ip_address=request.axes_ip_address, attempt_time__gte=since)


_ANY_RECENT_FAILURE = (
    f"SELECT 1 FROM {AccessAttempt._meta.db_table} WHERE ip_address = %s AND attempt_time >= %s"
    " LIMIT 1"
)


def surely_allowed(request: HttpRequest) -> bool:
    """True when this address has no failed log-in within the cool-off: no lockout applies.

    Every lockout (per name and address, or per address) counts such records, so one indexed
    look at them spares the full check (two aggregates) on the requests scripts make most.
    """
    AxesProxyHandler.update_request(request)
    if request.axes_ip_address is None:
        return False
    # Plain SQL: this runs on every cached Basic request, and the ORM's query building
    # costs more than the indexed look itself.
    since = request.axes_attempt_time - get_cool_off(request)
    with connection.cursor() as cursor:
        since_value = connection.ops.adapt_datetimefield_value(since)
        cursor.execute(_ANY_RECENT_FAILURE, [request.axes_ip_address, since_value])
        return cursor.fetchone() is None


def address_locked(request: HttpRequest) -> bool:
    """Whether the address as a whole has failed ``VOCLOUD_LOGIN_ADDRESS_FAILURE_LIMIT`` times."""
    limit = settings.VOCLOUD_LOGIN_ADDRESS_FAILURE_LIMIT
    if limit <= 0 or request.axes_ip_address is None:
        return False
    failures = _recent_failures(request).aggregate(n=Sum("failures_since_start"))["n"] or 0
    return failures >= limit


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler; an address over its own limit counts as locked for every name.

    Axes has one failure limit for all its lockout parameters, so the limit per address (much
    higher than the one per name and address) is checked here, over axes' own records. A
    successful log-in still clears only that name's failures at that address.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_locked(request):
            return max(failures, get_failure_limit(request, credentials))
        return failures


def retry_after(request: HttpRequest, credentials: dict | None = None) -> int:
    """Seconds until a locked-out client may try again (at most the cool-off)."""
    cool_off = get_cool_off(request)
    records = _recent_failures(request)
    if not address_locked(request):
        records = records.filter(username=get_client_username(request, credentials))
    latest = records.aggregate(latest=Max("attempt_time"))["latest"] or request.axes_attempt_time
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def lockout_sentence(seconds: int) -> str:
    # The same words for a name that exists and one that does not: nothing to learn from it.
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed log-ins: wait {minutes} {unit} before you try again."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The log-in page, HTTP 429, saying how long to wait (``AXES_LOCKOUT_CALLABLE``)."""
    seconds = retry_after(request, credentials)
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    response = render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked_out": lockout_sentence(seconds),
            "next": request.POST.get("next", request.GET.get("next", "")),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def attempt_request(request: Request) -> HttpRequest:
    """What axes needs of an API request to count a log-in: its headers and path, no body.

    Axes records a failed request's form data, and reading a DRF request's form data parses
    its body: for a job upload, gigabytes written to disk for a request about to be refused.
    (Axes' documented pattern for non-Django requests, as in its OAuth Toolkit recipe.)
    """
    probe = HttpRequest()
    probe.method = request.method
    probe.path = request.path
    probe.path_info = request.path_info
    probe.META = request.META
    return probe
