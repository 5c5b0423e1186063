from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import server_error as html_server_error


def server_error(request, *args, **kwargs):
    """A bug: say so without details; API clients get JSON in the API's error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return html_server_error(request, *args, **kwargs)


def page_not_found(request, exception=None, *args, **kwargs):
    """Unknown URLs under /api/ answer in the API's error shape, not an HTML page."""
    from django.views.defaults import page_not_found as html_page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return html_page_not_found(request, exception, *args, **kwargs)
