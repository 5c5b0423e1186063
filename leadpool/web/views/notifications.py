"""The notification centre: the user's own notifications, newest first, in their language."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadpool.history.models import Notification
from leadpool.history.services import mark_read, notification_text
from leadpool.web.views.common import login_required, safe_next

SHOWN = 100


@login_required
def notification_list(request):
    notifications = list(Notification.objects.filter(user=request.user)[:SHOWN])
    for notification in notifications:
        notification.text = notification_text(notification)
    return render(request, "web/notifications.html", {"notifications": notifications})


@login_required
@require_POST
def notifications_read(request):
    """Mark the ticked notifications read, or every unread one ("all")."""
    if request.POST.get("all"):
        ids = Notification.objects.filter(user=request.user, read_at__isnull=True).values_list(
            "pk", flat=True
        )
    else:
        ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit() and len(pk) < 19]
    mark_read(user=request.user, ids=ids)
    return redirect(safe_next(request, "/notifications/"))
