"""Pool settings (线索池规则 / 公海规则): the pools one administers (all for system admins),
creating one (system admins), editing its people and rules, and handing it over
(转移线索池). Each is one call to pools/configuration.py or pools/services.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from leadpool.accounts.models import User
from leadpool.pools import access
from leadpool.pools.configuration import create_pool, update_pool
from leadpool.pools.models import Pool
from leadpool.pools.services import transfer_pool
from leadpool.web.pool_forms import PoolForm, TransferForm
from leadpool.web.views.common import login_required


def administered_pools(user, scope: access.Scope):
    """The pools whose settings `user` may open: theirs to administer, or all for admins."""
    if scope.is_admin:
        return Pool.objects.all()
    return Pool.objects.filter(pk__in=scope.administered_pool_ids)


def _pool(request, pk) -> Pool:
    # Pools one does not administer are not found, like records out of scope.
    scope = access.scope_of(request.user)
    return get_object_or_404(administered_pools(request.user, scope), pk=pk)


@login_required
def pool_settings_list(request):
    scope = access.scope_of(request.user)
    pools = administered_pools(request.user, scope).prefetch_related(
        Prefetch("admins", queryset=User.objects.order_by("display_name", "username"))
    )
    context = {"pools": pools, "may_create": scope.is_admin}
    return render(request, "web/pool_settings/list.html", context)


@login_required
def pool_settings_create(request):
    if not access.scope_of(request.user).is_admin:
        raise PermissionDenied(_("Only system admins create pools."))
    if request.method == "POST":
        form = PoolForm(request.POST, may_change_admins=True)
        if form.is_valid():
            settings = form.changes()
            try:
                pool = create_pool(
                    by=request.user,
                    name=settings.pop("name"),
                    kind=form.cleaned_data["kind"],
                    admins=settings.pop("admins"),
                    **settings,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Created the pool “%(pool)s”.") % {"pool": pool})
                return redirect("web:pool_settings", pool.pk)
    else:
        form = PoolForm(initial={"kind": request.GET.get("kind", "lead")}, may_change_admins=True)
    return _form_page(request, form, None)


@login_required
def pool_settings_edit(request, pk):
    pool = _pool(request, pk)
    may_change_admins = access.scope_of(request.user).is_admin
    if request.method == "POST":
        form = PoolForm(request.POST, pool=pool, may_change_admins=may_change_admins)
        if form.is_valid():
            try:
                pool = update_pool(pool=pool, by=request.user, changes=form.changes())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved the pool's settings."))
                return redirect("web:pool_settings", pool.pk)
    else:
        form = PoolForm(pool=pool, may_change_admins=may_change_admins)
    return _form_page(request, form, pool)


def _form_page(request, form, pool):
    status = 400 if form.is_bound else 200
    context = {"form": form, "pool": pool}
    if pool is not None:
        context["admins"] = pool.admins.order_by("display_name", "username")
    return render(request, "web/pool_settings/form.html", context, status=status)


@login_required
def pool_transfer(request, pk):
    pool = _pool(request, pk)
    if request.method == "POST":
        form = TransferForm(request.POST)
        if form.is_valid():
            try:
                transfer_pool(
                    pool=pool,
                    by=request.user,
                    to_admins=list(form.cleaned_data["to_admins"]),
                    keep_current=form.cleaned_data["keep_current"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The pool “%(pool)s” has new admins.") % {"pool": pool})
                still_mine = administered_pools(request.user, access.scope_of(request.user)).filter(
                    pk=pool.pk
                )
                if still_mine.exists():
                    return redirect("web:pool_settings", pool.pk)
                return redirect("web:pool_settings_list")
    else:
        form = TransferForm()
    context = {"form": form, "pool": pool, "admins": pool.admins.all()}
    status = 400 if form.is_bound else 200
    return render(request, "web/pool_settings/transfer.html", context, status=status)
