"""The public side of web forms: `GET /forms/<token>` (the page, or its fields and a
stamp as JSON) and `POST /forms/<token>` (a submission), with CORS preflight.

No login and no CSRF check: the endpoint takes no session and acts for nobody who is
signed in (it acts as the form's owner, chosen by the token), so a forged cross-site
request can do nothing a visitor could not do by filling in the form. CSRF protection
would also refuse every post from the embedding sites, which is the point of the form.
Abuse is what protection.py (honeypot, fill time, rate limits) guards against instead.
"""

import json
from types import SimpleNamespace

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from leadpool.capture import protection, services
from leadpool.capture.access import public_form
from leadpool.capture.models import CUSTOM_PREFIX, LeadForm
from leadpool.capture.pages import form_page_fields

# A lead's fields fit in a few kilobytes; anything much larger is not a person typing.
MAX_BODY_BYTES = 64 * 1024


@csrf_exempt  # see the module docstring
@xframe_options_exempt  # the iframe snippet shows this page inside other sites
def form_endpoint(request, token: str):
    if request.method == "OPTIONS":
        return _preflight(request, token)
    if request.method not in ("GET", "HEAD", "POST"):
        return _json({"detail": _("Use GET or POST.")}, 405, allow="GET, POST, OPTIONS")
    if request.method == "POST":
        # Counted before the token is looked up: guessing tokens is throttled too.
        wait = protection.throttled(protection.FormIPThrottle(), request)
        if wait is not None:
            return _too_many(request, wait)
    try:
        form = public_form(token)
    except Http404:
        return _not_found(request)
    if request.method != "POST":
        return _with_cors(request, form, _show(request, form))
    wait = protection.throttled(protection.FormThrottle(), request, SimpleNamespace(token=token))
    if wait is not None:
        return _too_many(request, wait, form)
    origin = request.headers.get("Origin")
    if origin and not _is_allowed_origin(request, form, origin):
        # Another site posting this form: not one of the sites it was given to.
        return _json({"detail": _("This form does not take submissions from there.")}, 403)
    return _with_cors(request, form, _submit(request, form))


def _submit(request, form: LeadForm) -> HttpResponse:
    try:
        raw = _read_body(request)
    except RequestDataTooBig:
        message = _("The request body is larger than %(max)d bytes.") % {"max": MAX_BODY_BYTES}
        return _json({"detail": message}, 413)
    except ValueError as error:
        return _answer_errors(request, form, {"non_field_errors": [str(error)]}, {})
    fields = {key: value for key, value in raw.items() if key not in protection.CONTROL_FIELDS}
    if protection.is_honeypot_filled(raw.get(protection.HONEYPOT_FIELD)):
        return _accepted(request, form)  # a bot: it must not learn it was caught
    verdict = protection.stamp_verdict(form.token, raw.get(protection.STAMP_FIELD))
    if verdict == "bot":
        return _accepted(request, form)
    if verdict in ("missing", "expired"):
        # A person with an old page (or a script that did not fetch a stamp): say so,
        # rather than lose their submission without a word.
        message = _("This form has expired; reload the page and submit it again.")
        return _answer_errors(request, form, {"non_field_errors": [message]}, fields)
    try:
        data = services.clean_submission(form, fields)
    except ValidationError as error:
        return _answer_errors(request, form, error.message_dict, fields)
    services.submit_form(form=form, data=data)
    return _accepted(request, form)


def _read_body(request) -> dict:
    """The submission as {field: value}: JSON (an object; a nested `custom` object is
    spread as custom.<key>) or form-encoded (repeated keys give a list)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise RequestDataTooBig
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError(_("Send a JSON object.")) from None
        if not isinstance(data, dict):
            raise ValueError(_("Send a JSON object."))
        custom = data.pop("custom", None)
        if isinstance(custom, dict):
            data.update({f"{CUSTOM_PREFIX}{key}": value for key, value in custom.items()})
        elif custom is not None:
            data["custom"] = custom  # reported as an unknown field
        return data
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ValueError(_("Send JSON or a form (application/x-www-form-urlencoded)."))
    return {key: values[0] if len(values) == 1 else values for key, values in request.POST.lists()}


def _wants_json(request) -> bool:
    if request.content_type == "application/json":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _show(request, form: LeadForm) -> HttpResponse:
    stamp = protection.issue_stamp(form.token)
    if _wants_json(request):
        return _json({"name": form.name, "fields": form_page_fields(form), "stamp": stamp}, 200)
    return _page(request, form, stamp=stamp)


def _page(request, form, *, stamp, values=None, errors=None, status=200) -> HttpResponse:
    context = {
        "form": form,
        "fields": form_page_fields(form, values=values or {}, errors=errors or {}),
        "general_errors": (errors or {}).get("non_field_errors", []),
        "honeypot": protection.HONEYPOT_FIELD,
        "stamp_field": protection.STAMP_FIELD,
        "stamp": stamp,
    }
    return render(request, "capture/form.html", context, status=status)


def _answer_errors(request, form, errors: dict, values: dict) -> HttpResponse:
    if _wants_json(request):
        return _json({"errors": errors}, 400)
    # Same page again with the person's input and the messages. The stamp is a fresh one,
    # not backdated: a bot must not get a ready-to-use stamp by posting garbage.
    stamp = protection.issue_stamp(form.token)
    return _page(request, form, stamp=stamp, values=values, errors=errors, status=400)


def _accepted(request, form: LeadForm) -> HttpResponse:
    message = form.thank_you_message or _("Thank you. We will be in touch soon.")
    if _wants_json(request):
        return _json({"ok": True, "message": message}, 201)
    if form.redirect_url:
        return HttpResponseRedirect(form.redirect_url, status=303)
    return render(request, "capture/thanks.html", {"form": form, "message": message})


def _not_found(request) -> HttpResponse:
    if _wants_json(request) or request.method == "POST":
        return _json({"detail": _("No such form.")}, 404)
    return render(request, "capture/missing.html", status=404)


def _too_many(request, wait: int, form: LeadForm | None = None) -> HttpResponse:
    response = _json({"detail": _("Too many submissions; try again later.")}, 429)
    response["Retry-After"] = str(wait)
    return _with_cors(request, form, response) if form is not None else response


def _json(body: dict, status: int, **headers) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name.title()] = value
    return response


# --- CORS -----------------------------------------------------------------------------------


def _is_allowed_origin(request, form: LeadForm, origin: str) -> bool:
    normalized = services.normalize_origin(origin)
    # Our own pages (the hosted form, the iframe) post from this site's origin.
    own = f"{request.scheme}://{request.get_host()}".lower()
    return normalized is not None and (normalized in form.allowed_origins or normalized == own)


def _with_cors(request, form: LeadForm, response: HttpResponse) -> HttpResponse:
    """Let the browser hand our answer to the embedding page, for its allowed origins only."""
    response["Vary"] = "Origin"
    origin = request.headers.get("Origin")
    if origin and services.normalize_origin(origin) in form.allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
    return response


def _preflight(request, token: str) -> HttpResponse:
    try:
        form = public_form(token)
    except Http404:
        return _json({"detail": _("No such form.")}, 404)
    response = HttpResponse(status=204)
    origin = request.headers.get("Origin")
    if origin and services.normalize_origin(origin) in form.allowed_origins:
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response["Access-Control-Max-Age"] = "3600"
    return _with_cors(request, form, response)
