"""Who may see and change web forms: system admins, and the admins of the form's pool."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from leadpool.capture.models import LeadForm
from leadpool.core.models import MAX_ID
from leadpool.pools import access
from leadpool.pools.models import Pool


def visible_forms(user, *, scope: access.Scope | None = None) -> QuerySet:
    """Forms `user` may see and edit: every form for a system admin, else those of the
    pools they administer. Pool members do not see them (a form is pool configuration)."""
    scope = scope or access.scope_of(user)
    if not scope.is_active:
        return LeadForm.objects.none()
    if scope.is_admin:
        return LeadForm.objects.all()
    return LeadForm.objects.filter(pool_id__in=scope.administered_pool_ids)


def get_form_for(user, pk) -> LeadForm:
    """The form `pk` if `user` may manage it, else 404 (out of scope reads as unknown)."""
    try:
        valid = 0 < int(pk) <= MAX_ID
    except (TypeError, ValueError):
        valid = False
    form = visible_forms(user).select_related("pool").filter(pk=pk).first() if valid else None
    if form is None:
        raise Http404(_("No such form."))
    return form


def check_may_manage_pool_forms(scope: access.Scope, pool: Pool) -> None:
    """Only system admins and the pool's admins put a form on a pool."""
    if not (scope.is_admin or pool.pk in scope.administered_pool_ids):
        raise PermissionDenied(_("Only the pool's admins may manage its web forms."))


def public_form(token) -> LeadForm:
    """The active form with this token, for anyone (the token is the secret), else 404."""
    form = None
    if isinstance(token, str) and 0 < len(token) <= 64:
        form = LeadForm.objects.select_related("pool").filter(token=token, is_active=True).first()
    if form is None:
        raise Http404(_("No such form."))
    return form
