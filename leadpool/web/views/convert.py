"""Converting a lead into a customer (线索转成单客户), with the duplicate check and an
optional order: one call to leads.services.convert_lead."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from leadpool.core.results import Refused
from leadpool.leads.models import Lead
from leadpool.leads.services import convert_lead
from leadpool.pools import access
from leadpool.pools.duplicates import find_duplicates
from leadpool.web.forms import ConvertForm
from leadpool.web.kinds import KINDS
from leadpool.web.views.common import login_required


def _customer_candidates(lead, by):
    """Customers this lead may already be (same phone, e-mail or company), to link to."""
    report = find_duplicates(
        by=by, phone=lead.phone, email=lead.email, company=lead.company, exact_only=True
    )
    return [match for match in report.matches if match.type == "customer"]


@login_required
def lead_convert(request, pk):
    lead = access.get_record_for(request.user, Lead, pk, "convert")
    candidates = _customer_candidates(lead, request.user)
    duplicate_warning = False
    if request.method == "POST":
        form = ConvertForm(request.POST, candidates=candidates)
        if form.is_valid():
            try:
                conversion = convert_lead(
                    lead_id=lead.pk, by=request.user, **form.service_arguments()
                )
            except Refused as refused:
                form.add_error(None, refused.refusal.message)
            except ValidationError as error:
                duplicate_warning = getattr(error, "report", None) is not None
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Converted into the customer “%(customer)s”.")
                    % {"customer": conversion.customer},
                )
                return redirect("web:record", "customers", conversion.customer.pk)
    else:
        initial = {"customer_name": lead.company or lead.name}
        if candidates:
            initial["existing_customer"] = candidates[0].id
        form = ConvertForm(initial=initial, candidates=candidates)
    context = {
        "kind": KINDS["leads"],
        "record": lead,
        "form": form,
        "candidates": candidates,
        "duplicate_warning": duplicate_warning,
    }
    return render(request, "web/records/convert.html", context, status=400 if form.errors else 200)
