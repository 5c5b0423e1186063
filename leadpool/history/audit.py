"""Writing the audit log (models.AuditEntry): one call, `audit(...)`, from any layer.

Services do not see the request, so the address a request came from travels in a context
variable that `AuditAddressMiddleware` sets for the request's duration; the sign-in
signals of django.contrib.auth feed the log from wherever people sign in.
"""

from contextvars import ContextVar

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from rest_framework.throttling import BaseThrottle

from leadpool.history.models import AuditEntry

_address: ContextVar[str | None] = ContextVar("audit_address", default=None)


def client_address(request) -> str | None:
    """The client's address, through LEADPOOL_NUM_PROXIES proxies' X-Forwarded-For (the
    same reading as the rate limits)."""
    address = BaseThrottle().get_ident(request)
    return address.strip() or None if address else None


class AuditAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _address.reset(token)


def audit(
    action: str,
    *,
    actor=None,
    target: str = "",
    details: dict | None = None,
    username: str = "",
    address: str | None = None,
) -> AuditEntry:
    """Record one audit entry; the address defaults to the current request's."""
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        action=action,
        actor=user,
        username=username or (user.get_username() if user else ""),
        target=target[:255],
        details=details or {},
        address=address or _address.get(),
    )


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    audit(AuditEntry.Action.LOGIN, actor=user, address=_request_address(request))


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit(AuditEntry.Action.LOGOUT, actor=user, address=_request_address(request))


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # `credentials` has the password masked by Django; only the name is kept.
    audit(
        AuditEntry.Action.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        address=_request_address(request),
    )


def _request_address(request) -> str | None:
    return client_address(request) if request is not None else None
