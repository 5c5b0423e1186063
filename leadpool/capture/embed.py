"""The snippets an admin pastes into a website to show a form: an iframe of the hosted
page, or a plain HTML form posting straight to LeadPool."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from leadpool.capture import protection
from leadpool.capture.models import LeadForm
from leadpool.capture.pages import form_page_fields


def public_url(form: LeadForm, base_url: str) -> str:
    """The hosted page's address; `base_url` is "scheme://host" of this LeadPool."""
    return base_url.rstrip("/") + reverse("capture:form", args=[form.token])


def embed_snippets(form: LeadForm, base_url: str, *, custom=None) -> dict[str, str]:
    """`custom`: the active lead custom fields, read once for a list of forms."""
    url = public_url(form, base_url)
    iframe = format_html(
        '<iframe src="{}" title="{}" style="width:100%;max-width:36rem;height:40rem;border:0"'
        ' loading="lazy"></iframe>',
        url,
        form.name,
    )
    # The plain form posts from the embedding site: its origin must be allowed.
    plain = render_to_string(
        "capture/embed_form.html",
        {
            "action": url,
            "fields": form_page_fields(form, custom=custom),
            "honeypot": protection.HONEYPOT_FIELD,
            "stamp_field": protection.STAMP_FIELD,
        },
    )
    return {"iframe": str(iframe), "form": plain.strip()}
