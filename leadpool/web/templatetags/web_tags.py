from django import template
from django.utils.http import urlencode

from leadpool.history.models import Notification

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    if not user.is_authenticated:
        return 0
    # One indexed count per page (the notification_inbox index).
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current page's query string with some parameters changed (None drops one)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        params.pop(name, None)
        if value not in (None, ""):
            params[name] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.simple_tag
def administers_pools(user) -> bool:
    """Whether the navigation offers pool settings: system admins and pool admins."""
    if not user.is_authenticated:
        return False
    return user.is_system_admin or user.administered_pools.exists()
