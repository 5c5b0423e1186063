"""Settings (系统设置): users, departments, custom fields and the conversion mapping, for
system admins; and every user's own preferences. Each change is one call to the service
the REST API calls (accounts/services.py, fields/services.py, customers/services.py), so
the rules and their messages are the same in both. Pool settings are in pool_settings.py.
"""

import contextlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from leadpool.accounts.models import Department, User
from leadpool.accounts.services import (
    delete_department,
    save_department,
    save_preferences,
    save_user,
)
from leadpool.customers.models import Customer, CustomFieldMapping
from leadpool.customers.services import delete_mapping, save_mapping
from leadpool.fields.models import CustomField
from leadpool.fields.services import save_field
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry
from leadpool.leads.models import Lead
from leadpool.leads.services import MAPPED_FIELDS
from leadpool.web.settings_forms import (
    CustomFieldForm,
    DepartmentForm,
    MappingForm,
    PasswordForm,
    PreferencesForm,
    UserForm,
    department_choices,
    department_tree,
)
from leadpool.web.views.common import login_required

USERS_PER_PAGE = 50


def admin_required(view):
    """System admins only. A refusal is in the audit log, as the API's refusals are
    (core/api.py), and answers 403: these pages are no secret, only out of reach."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_system_admin:
            audit(
                AuditEntry.Action.PERMISSION_DENIED,
                actor=request.user,
                target=f"{request.method} {request.path}"[:255],
                details={"detail": "settings are for system admins"},
            )
            raise PermissionDenied(_("Only system admins change these settings."))
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, template: str, context: dict, form=None):
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, f"web/settings/{template}", context, status=status)


@admin_required
def settings_home(request):
    counts = {
        "users": User.objects.filter(is_active=True).count(),
        "departments": Department.objects.count(),
        "fields": CustomField.objects.filter(is_active=True).count(),
        "mappings": CustomFieldMapping.objects.count(),
    }
    return render(request, "web/settings/index.html", {"counts": counts})


# --- users -----------------------------------------------------------------------------


@admin_required
def user_list(request):
    users = User.objects.select_related("department").order_by("username")
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(email__icontains=query)
        )
    department = request.GET.get("department", "")
    if department == "none":
        users = users.filter(department__isnull=True)
    elif department.isdigit():
        # A department's users and those of the departments below it, as managers see them.
        users = users.filter(department_id__in=Department.objects.subtree_ids([int(department)]))
    state = request.GET.get("state", "")
    if state in ("active", "inactive"):
        users = users.filter(is_active=state == "active")
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    departments = department_choices()
    paths = dict(departments)
    context = {
        "page": page,
        "users": [(user, paths.get(user.department_id, "")) for user in page],
        "query": query,
        "department": department,
        "state": state,
        "departments": departments,
    }
    return render(request, "web/settings/users.html", context)


@admin_required
def user_create(request):
    if request.method == "POST":
        form = UserForm(request.POST)
        if form.is_valid():
            try:
                user = save_user(by=request.user, data=form.data_for_service())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Created the user “%(user)s”.") % {"user": user})
                return redirect("web:settings_user", user.pk)
    else:
        form = UserForm()
    return _page(request, "user_form.html", {"form": form, "person": None}, form)


@admin_required
def user_edit(request, pk):
    person = get_object_or_404(User, pk=pk)
    password_form = PasswordForm()
    if request.method == "POST":
        form = UserForm(request.POST, user=person)
        if form.is_valid():
            try:
                person = save_user(by=request.user, user=person, data=form.data_for_service())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved the user “%(user)s”.") % {"user": person})
                return redirect("web:settings_user", person.pk)
    else:
        form = UserForm(user=person)
    context = {"form": form, "person": person, "password_form": password_form}
    return _page(request, "user_form.html", context, form)


@admin_required
def user_password(request, pk):
    person = get_object_or_404(User, pk=pk)
    if request.method != "POST":
        return redirect("web:settings_user", person.pk)
    password_form = PasswordForm(request.POST)
    if password_form.is_valid():
        try:
            # Checked by Django's password validators in the service, as the API's is.
            save_user(
                by=request.user,
                user=person,
                data={"password": password_form.cleaned_data["password"]},
            )
        except ValidationError as error:
            password_form.add_service_errors(error)
        else:
            messages.success(request, _("Set a new password for “%(user)s”.") % {"user": person})
            return redirect("web:settings_user", person.pk)
    person.refresh_from_db()
    context = {"form": UserForm(user=person), "person": person, "password_form": password_form}
    return _page(request, "user_form.html", context, password_form)


# --- departments -----------------------------------------------------------------------


@admin_required
def department_list(request):
    departments = Department.objects.annotate(
        user_count=Count("users", distinct=True), child_count=Count("children", distinct=True)
    )
    return render(request, "web/settings/departments.html", {"tree": department_tree(departments)})


@admin_required
def department_create(request):
    if request.method == "POST":
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                department = save_department(by=request.user, data=dict(form.cleaned_data))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Created the department “%(department)s”.") % {"department": department},
                )
                return redirect("web:settings_departments")
    else:
        form = DepartmentForm(initial={"parent": request.GET.get("parent") or None})
    return _page(request, "department_form.html", {"form": form, "department": None}, form)


@admin_required
def department_edit(request, pk):
    department = get_object_or_404(Department, pk=pk)
    if request.method == "POST":
        form = DepartmentForm(request.POST, department=department)
        if form.is_valid():
            try:
                department = save_department(
                    by=request.user, department=department, data=dict(form.cleaned_data)
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Saved the department “%(department)s”.") % {"department": department},
                )
                return redirect("web:settings_departments")
    else:
        form = DepartmentForm(department=department)
    context = {"form": form, "department": department}
    return _page(request, "department_form.html", context, form)


@admin_required
def department_delete(request, pk):
    department = get_object_or_404(Department, pk=pk)
    if request.method != "POST":
        return redirect("web:settings_department", department.pk)
    name = department.name
    try:
        delete_department(by=request.user, department=department)
    except ValidationError as error:
        # The edit page again, the refusal on top: it names what to move out first.
        context = {
            "form": DepartmentForm(department=department),
            "department": department,
            "delete_errors": error.messages,
        }
        return render(request, "web/settings/department_form.html", context, status=400)
    messages.success(request, _("Deleted the department “%(department)s”.") % {"department": name})
    return redirect("web:settings_departments")


# --- custom fields ---------------------------------------------------------------------


def _entity(entity: str) -> str:
    if entity not in CustomField.Entity.values:
        raise Http404
    return entity


@admin_required
def field_list(request, entity="lead"):
    entity = _entity(entity)
    fields = CustomField.objects.filter(entity=entity).order_by("-is_active", "order", "id")
    context = {"entity": entity, "fields": fields, "entities": CustomField.Entity.choices}
    return render(request, "web/settings/fields.html", context)


@admin_required
def field_create(request, entity):
    entity = _entity(entity)
    if request.method == "POST":
        form = CustomFieldForm(request.POST)
        if form.is_valid():
            try:
                field = save_field(
                    by=request.user, data={"entity": entity, **form.data_for_service()}
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request, _("Created the field “%(field)s”.") % {"field": field.label}
                )
                return redirect("web:settings_fields", entity)
    else:
        form = CustomFieldForm()
    context = {"form": form, "custom_field": None, "entity": entity}
    return _page(request, "field_form.html", context, form)


@admin_required
def field_edit(request, entity, pk):
    field = get_object_or_404(CustomField, entity=_entity(entity), pk=pk)
    if request.method == "POST":
        form = CustomFieldForm(request.POST, field=field)
        if form.is_valid():
            try:
                field = save_field(by=request.user, field=field, data=form.data_for_service())
            except ValidationError as error:
                field.refresh_from_db()  # the service set the refused values on it
                form.add_service_errors(error)
            else:
                messages.success(
                    request, _("Saved the field “%(field)s”.") % {"field": field.label}
                )
                return redirect("web:settings_fields", entity)
    else:
        form = CustomFieldForm(field=field)
    context = {"form": form, "custom_field": field, "entity": entity}
    return _page(request, "field_form.html", context, form)


# --- conversion mapping ----------------------------------------------------------------


def _standard_mapping() -> list[tuple[str, str]]:
    """The lead fields conversion always carries over (leads/services.py), in words."""
    rows = [
        (
            _("Company, or the person's name when there is none"),
            str(Customer._meta.get_field("name").verbose_name),
        )
    ]
    for name in MAPPED_FIELDS:
        rows.append(
            (
                str(Lead._meta.get_field(name).verbose_name),
                str(Customer._meta.get_field(name).verbose_name),
            )
        )
    return rows


@admin_required
def mapping_edit(request):
    lead_fields = CustomField.objects.filter(entity="lead", is_active=True)
    customer_fields = CustomField.objects.filter(entity="customer", is_active=True)
    # Mappings onto retired fields do nothing on conversion; they are left alone here.
    mappings = {
        mapping.lead_field_id: mapping
        for mapping in CustomFieldMapping.objects.filter(customer_field__is_active=True)
    }
    current = {lead_id: mapping.customer_field_id for lead_id, mapping in mappings.items()}
    form_args = {
        "lead_fields": lead_fields,
        "customer_fields": customer_fields,
        "current": current,
    }
    if request.method == "POST":
        form = MappingForm(request.POST, **form_args)
        if form.is_valid() and _save_mappings(request, form, mappings, current):
            messages.success(request, _("Saved the conversion mapping."))
            return redirect("web:settings_mapping")
    else:
        form = MappingForm(**form_args)
    context = {
        "form": form,
        "standard": _standard_mapping(),
        "has_customer_fields": customer_fields.exists(),
    }
    return _page(request, "mapping.html", context, form)


def _save_mappings(request, form, mappings: dict, current: dict) -> bool:
    """Every changed row through the service, all or none: a refused row undoes the rest
    and each refusal lands on its row."""
    with transaction.atomic():
        for lead_id, target_id in form.chosen().items():
            if target_id == current.get(lead_id):
                continue
            try:
                if target_id is None:
                    delete_mapping(by=request.user, mapping=mappings[lead_id])
                else:
                    save_mapping(by=request.user, lead_field=lead_id, customer_field=target_id)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(f"lead_{lead_id}", message)
        if form.errors:
            transaction.set_rollback(True)
            return False
    return True


# --- my preferences --------------------------------------------------------------------


@login_required
def preferences(request):
    """Anyone's own language and e-mail choices. The language is also the browser's
    language cookie, as the switch in the navigation sets it (django.views.i18n), so the
    next page is in it; blank clears the cookie and the browser's language applies."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                save_preferences(user=user, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                language = form.cleaned_data["language"]
                with translation.override(language or translation.get_language()):
                    messages.success(request, _("Saved your preferences."))
                response = redirect("web:preferences")
                set_language_cookie(response, language)
                return response
    else:
        form = PreferencesForm(
            initial={"language": user.language, "email_notifications": user.email_notifications}
        )
    context = {"form": form, "has_email": bool(user.email)}
    status = 400 if form.is_bound else 200
    return render(request, "web/settings/preferences.html", context, status=status)


@require_POST
def switch_language(request):
    """The navigation's language switch: Django's set_language (the cookie, then back to
    `next`), and for a signed-in user their saved language too, so the choice follows
    them to their other browsers and into the e-mails LeadPool sends them."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language != user.language:
        # An unknown code: set_language ignored it as well.
        with contextlib.suppress(ValidationError):
            save_preferences(
                user=user, language=language, email_notifications=user.email_notifications
            )
    return response


def set_language_cookie(response, language: str) -> None:
    """Make `language` the language of the browser's next pages (blank: its own), with the
    same cookie and cookie settings as Django's set_language view (the navigation's
    switch), which LocaleMiddleware reads."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
