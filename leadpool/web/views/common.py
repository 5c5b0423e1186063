"""What every web view shares: the login check that htmx understands, and safe `next` URLs."""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect


def login_required(view):
    """Like Django's, but an expired session also comes back to the right page: an htmx
    request sends the whole window to the login page (not into a fragment), and a POST
    comes back to the page it was sent from, since its own URL answers only POSTs."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            back = request.htmx.current_url_abs_path or "/"
            login = resolve_url(settings.LOGIN_URL)
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': back})}")
        if request.method == "POST":
            return redirect_to_login(safe_next(request, "/"))
        return redirect_to_login(request.get_full_path())

    return wrapper


def safe_next(request, default: str) -> str:
    """Where to go after a POST: its `next` field or the page it came from, on this site."""
    for candidate in (request.POST.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(candidate)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return default
