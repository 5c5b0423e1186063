"""Who may see and change scoring rules: system admins only (rules are configuration)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from leadpool.core.models import MAX_ID
from leadpool.pools import access
from leadpool.scoring.models import ScoringRule


def check_may_manage_rules(user) -> None:
    scope = access.scope_of(user)
    if not (scope.is_active and scope.is_admin):
        raise PermissionDenied(_("Only system admins manage scoring rules."))


def visible_rules(user) -> QuerySet:
    """Every scoring rule, for a system admin; others are refused (403)."""
    check_may_manage_rules(user)
    return ScoringRule.objects.all()


def get_rule_for(user, pk) -> ScoringRule:
    """The rule `pk` for a system admin, 404 when there is none."""
    rules = visible_rules(user)
    try:
        valid = 0 < int(pk) <= MAX_ID
    except (TypeError, ValueError):
        valid = False
    rule = rules.filter(pk=pk).first() if valid else None
    if rule is None:
        raise Http404(_("No such scoring rule."))
    return rule
