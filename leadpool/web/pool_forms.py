"""The pool settings form: members, admins and every rule, each with help in plain words.
The form only shapes input; pools/configuration.py judges it and its errors land here."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leadpool.accounts.models import Department, User
from leadpool.pools.models import Pool

PEOPLE_WIDGET = {"class": "choices-box"}


def _people(label, help_text=""):
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=User.objects.none(),
        required=False,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple(attrs=PEOPLE_WIDGET),
    )


def _whole(label, help_text):
    return forms.IntegerField(label=label, required=False, help_text=help_text)


class PoolForm(forms.Form):
    # (section title, field names), in the order the page shows them.
    SECTIONS = (
        (_("The pool"), ("name", "kind", "description")),
        (_("People"), ("admins", "members", "member_departments")),
        (
            _("Claiming"),
            (
                "visibility",
                "claim_limit_per_day",
                "max_held",
                "max_held_counts_converted",
                "reclaim_cooldown_hours",
                "claim_embargo_hours",
                "claim_reason_required",
                "contact_visibility",
            ),
        ),
        (_("Returning"), ("return_reasons",)),
        (
            _("Handing out new records"),
            ("distribution", "distribution_members", "redistribute_reclaimed", "routing"),
        ),
        (
            _("Automatic reclaim"),
            (
                "reclaim_no_followup_days",
                "reclaim_not_converted_days",
                "reclaim_exempt_open_opportunity",
                "reclaim_warning_days",
            ),
        ),
        (
            _("Records nobody claims"),
            ("retention_days", "on_retention_expiry", "retention_move_to_pool"),
        ),
        (_("Lead scoring"), ("score_threshold", "score_threshold_action")),
    )
    # Only leads have a score: a customer pool's page leaves these out.
    LEAD_ONLY = ("score_threshold", "score_threshold_action")

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Pool.Kind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    admins = _people(
        _("Admins"),
        _("They assign, reclaim, delete, restore, import, export and edit these rules."),
    )
    members = _people(_("Members"), _("People who see the pool and may claim from it."))
    member_departments = forms.ModelMultipleChoiceField(
        label=_("Member departments"),
        queryset=Department.objects.all(),
        required=False,
        help_text=_("Everyone in these departments and the departments below them is a member."),
        widget=forms.CheckboxSelectMultiple(attrs=PEOPLE_WIDGET),
    )
    visibility = forms.ChoiceField(
        label=_("Who may claim"),
        choices=Pool.Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Assign-only pools hide their records from members: only admins hand them out."
        ),
    )
    claim_limit_per_day = _whole(
        _("Claims per member per day"), _("Leave empty for no daily limit.")
    )
    max_held = _whole(
        _("Most records a member may hold from this pool"),
        _("Counted over the records they own from this pool now. Empty: no limit."),
    )
    max_held_counts_converted = forms.BooleanField(
        label=_("Converted or won records count towards that limit"), required=False
    )
    reclaim_cooldown_hours = _whole(
        _("Hours before a previous owner may claim the same record again"),
        _("Stops someone returning a record and claiming it straight back. Empty: no wait."),
    )
    claim_embargo_hours = _whole(
        _("Hours a record waits in the pool before anyone may claim it"),
        _("Gives admins time to hand it out first. Empty: claimable at once."),
    )
    claim_reason_required = forms.BooleanField(label=_("A claim needs a reason"), required=False)
    contact_visibility = forms.ChoiceField(
        label=_("Phone and e-mail before claiming"),
        choices=Pool.ContactVisibility.choices,
        widget=forms.RadioSelect,
        help_text=_("Admins and the owner always see them, on screen, in the API and in exports."),
    )
    return_reasons = forms.CharField(
        label=_("Return reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line, e.g. 无法联系 (cannot reach), 无意向 (not interested). A return must "
            "pick one; leave empty to allow any reason."
        ),
    )
    distribution = forms.ChoiceField(
        label=_("When records enter the pool"),
        choices=Pool.Distribution.choices,
        help_text=_(
            "Manual: they wait for members to claim them or admins to assign them. Round "
            "robin: to the people below in turn. Fewest: to whoever holds fewest open records."
        ),
    )
    distribution_members = _people(
        _("Hand them to"),
        _("Members or admins of this pool, for round robin and “to whoever holds fewest”."),
    )
    redistribute_reclaimed = forms.BooleanField(
        label=_("Hand out reclaimed records again"),
        required=False,
        help_text=_("Otherwise reclaimed records wait in the pool to be claimed."),
    )
    routing = forms.CharField(
        label=_("Routing conditions (advanced)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "Checked in order before the distribution above, as JSON: "
            '[{"when": {"region": {"equals": "上海"}}, "to_user": 12}] or "to_pool". '
            "Conditions: equals, in, contains, empty; on source, region, industry or "
            "custom.(field key). Leave empty for none."
        ),
    )
    reclaim_no_followup_days = _whole(
        _("Reclaim after this many days without a follow-up"),
        _("The record goes back to the pool when its owner logs nothing for this long."),
    )
    reclaim_not_converted_days = _whole(
        _("Reclaim after this many days without converting"),
        _("Counted from when the owner got it. Converted records are never reclaimed."),
    )
    reclaim_exempt_open_opportunity = forms.BooleanField(
        label=_("Never reclaim records with an open opportunity"), required=False
    )
    reclaim_warning_days = _whole(
        _("Warn the owner this many days before"),
        _("The owner gets a notification, and the dashboard lists the record."),
    )
    retention_days = _whole(
        _("Days a record may stay unclaimed"),
        _("What happens after that is chosen below. Empty: it stays for ever."),
    )
    on_retention_expiry = forms.ChoiceField(label=_("Then"), choices=Pool.RetentionAction.choices)
    retention_move_to_pool = forms.ModelChoiceField(
        label=_("Move to pool"),
        queryset=Pool.objects.none(),
        required=False,
        help_text=_("Only when the records are moved to another pool."),
    )

    score_threshold = forms.IntegerField(
        label=_("Score threshold"),
        required=False,
        help_text=_(
            "When a lead's score rises to this number, something happens once (chosen "
            "below); it happens again only if the score drops under it and rises again. "
            "Scores add up the points of the scoring rules. Empty: nothing happens."
        ),
    )
    score_threshold_action = forms.ChoiceField(
        label=_("When a lead reaches it"),
        choices=Pool.ThresholdAction.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Converting makes the lead a customer of its owner, with a contact and an "
            "opportunity named after the lead (or adds it to the one customer it matches), "
            "as if the owner had converted it. Leads nobody owns are not converted. The "
            "owner is told either way, and why if it could not be converted."
        ),
    )

    def __init__(self, *args, pool=None, may_change_admins: bool, **kwargs):
        if pool is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(pool)
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True).order_by("display_name", "username")
        for name in ("admins", "members", "distribution_members"):
            self.fields[name].queryset = users
        if pool is not None:
            del self.fields["kind"]  # a pool's kind never changes
            if pool.kind != Pool.Kind.LEAD:
                for name in self.LEAD_ONLY:
                    del self.fields[name]
            self.fields["retention_move_to_pool"].queryset = Pool.objects.filter(
                kind=pool.kind
            ).exclude(pk=pool.pk)
        else:
            self.fields["retention_move_to_pool"].queryset = Pool.objects.all()
        if not may_change_admins:
            del self.fields["admins"]  # pool admins hand the pool over by transferring it
        elif pool is None:
            self.fields["admins"].required = True

    def clean_return_reasons(self) -> list[str]:
        text = self.cleaned_data["return_reasons"]
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean_score_threshold_action(self) -> str:
        # A browser always sends the ticked radio button; a form posted without it means
        # the default.
        return self.cleaned_data["score_threshold_action"] or Pool.ThresholdAction.NOTIFY

    def clean_routing(self) -> list:
        text = self.cleaned_data["routing"].strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError:
            raise ValidationError(_("This is not valid JSON.")) from None

    def sections(self):
        for title, names in self.SECTIONS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield title, fields

    def changes(self) -> dict:
        """The settings, as pools/configuration.py takes them."""
        data = dict(self.cleaned_data)
        data.pop("kind", None)
        for name in ("admins", "members", "distribution_members", "member_departments"):
            if name in data:
                data[name] = list(data[name])
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def initial_of(pool: Pool) -> dict:
    initial = {
        name: getattr(pool, name)
        for name in (
            "name",
            "description",
            "visibility",
            "claim_limit_per_day",
            "max_held",
            "max_held_counts_converted",
            "reclaim_cooldown_hours",
            "claim_embargo_hours",
            "claim_reason_required",
            "contact_visibility",
            "distribution",
            "redistribute_reclaimed",
            "reclaim_no_followup_days",
            "reclaim_not_converted_days",
            "reclaim_exempt_open_opportunity",
            "reclaim_warning_days",
            "retention_days",
            "on_retention_expiry",
            "retention_move_to_pool",
            "score_threshold",
            "score_threshold_action",
        )
    }
    initial["return_reasons"] = "\n".join(pool.return_reasons)
    initial["routing"] = (
        json.dumps(pool.routing, ensure_ascii=False, indent=1) if pool.routing else ""
    )
    for name in ("admins", "members", "member_departments", "distribution_members"):
        initial[name] = list(getattr(pool, name).values_list("pk", flat=True))
    return initial


class TransferForm(forms.Form):
    to_admins = _people(_("New admins"), _("They are told that the pool is now theirs."))
    keep_current = forms.BooleanField(
        label=_("Keep the current admins too"),
        required=False,
        help_text=_("Otherwise the new admins replace the current ones, you included."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_admins"].queryset = User.objects.filter(is_active=True).order_by(
            "display_name", "username"
        )
        self.fields["to_admins"].required = True

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
