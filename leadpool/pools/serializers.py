"""API shapes of pools and pooled records (leads and customers share them)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadpool.core.api import IdField, StrictSerializer
from leadpool.pools import access
from leadpool.pools.configuration import RULE_LIMITS, RULES
from leadpool.pools.models import Pool
from leadpool.pools.records import OPERATION_FIELDS
from leadpool.scoring.rules import reason_text

MAX_BATCH = 1000


def _rule(limits: tuple[int, int]) -> serializers.IntegerField:
    low, high = limits
    return serializers.IntegerField(required=False, allow_null=True, min_value=low, max_value=high)


class ScoreReasonSerializer(serializers.Serializer):
    rule = serializers.IntegerField(allow_null=True, help_text="the scoring rule's id")
    name = serializers.CharField()
    points = serializers.IntegerField()
    reason = serializers.CharField()


class RecordSerializer(serializers.Serializer):
    """A lead or customer as its reader may see it: contact details follow the pool's
    visibility rule for this reader (context["scope"])."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    company = serializers.CharField()
    phone = serializers.SerializerMethodField()
    other_phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    contact_visibility = serializers.SerializerMethodField(
        help_text="visible, hidden or masked: how phone and e-mail are shown to you."
    )
    source = serializers.CharField()
    region = serializers.CharField()
    industry = serializers.CharField()
    status = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    pool = serializers.IntegerField(source="pool_id", allow_null=True)
    collaborators = serializers.SerializerMethodField()
    notes = serializers.CharField()
    custom = serializers.SerializerMethodField(
        help_text="Custom field values by key; a phone or e-mail field follows "
        "contact_visibility as phone and email do."
    )
    reclaim_at = serializers.DateTimeField(allow_null=True)
    claimed_at = serializers.DateTimeField(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)
    last_followup_at = serializers.DateTimeField(allow_null=True)
    next_followup_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    deleted_at = serializers.DateTimeField(allow_null=True)

    def _visibility(self, record) -> access.ContactVisibility:
        """contact_visibility once a record: phone, e-mail, custom contacts and the
        field itself all follow it, and it may cost a collaborator query."""
        cache = self.context.setdefault("_visibility", {})
        if record.pk not in cache:
            cache[record.pk] = access.contact_visibility(self.context["scope"], record)
        return cache[record.pk]

    def _contact(self, record) -> dict:
        cache = self.context.setdefault("_contact", {})
        if record.pk not in cache:
            cache[record.pk] = access.contacts_as_seen(record, self._visibility(record))
        return cache[record.pk]

    def get_phone(self, record) -> str:
        return self._contact(record)["phone"]

    def get_other_phone(self, record) -> str:
        return self._contact(record)["other_phone"]

    def get_email(self, record) -> str:
        return self._contact(record)["email"]

    @extend_schema_field(serializers.DictField())
    def get_custom(self, record) -> dict:
        return access.custom_as_seen(
            record, self._visibility(record), lambda: self._contact_fields(record.entity)
        )

    def _contact_fields(self, entity: str) -> dict[str, str]:
        cache = self.context.setdefault("_contact_fields", {})
        if entity not in cache:
            cache[entity] = access.contact_custom_fields(entity)
        return cache[entity]

    def get_contact_visibility(self, record) -> str:
        return self._visibility(record)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_collaborators(self, record) -> list[int]:
        return sorted(user.pk for user in record.collaborators.all())


class LeadRecordSerializer(RecordSerializer):
    """A lead: a record's fields with its score (leadpool/scoring) and why."""

    score = serializers.SerializerMethodField(
        help_text="The sum of the points of the scoring rules the lead meets."
    )
    score_explanation = serializers.SerializerMethodField(
        help_text="The scoring rules the lead meets, each with its points and why."
    )

    def get_score(self, record) -> int:
        return record.score

    @extend_schema_field(ScoreReasonSerializer(many=True))
    def get_score_explanation(self, record) -> list[dict]:
        # The reason is written again in the reader's language (it was stored in the
        # language of whoever rescored the lead: often the worker's).
        return [
            {
                "rule": entry.get("rule"),
                "name": entry.get("name", ""),
                "points": entry.get("points", 0),
                "reason": reason_text(entry) if "field" in entry else entry.get("reason", ""),
            }
            for entry in record.score_explanation or []
        ]


class RecordWriteSerializer(StrictSerializer):
    """Fields a client may write. Values are checked by the service (pools/records.py),
    which answers every bad field at once; this only checks their JSON types."""

    refused_fields = OPERATION_FIELDS

    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    company = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    other_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    source = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.CharField(required=False, allow_blank=True, max_length=100)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=100)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    status = serializers.CharField(required=False)
    custom = serializers.DictField(required=False)
    collaborators = serializers.ListField(child=IdField(), required=False, max_length=100)
    next_followup_at = serializers.DateTimeField(required=False, allow_null=True)
    allow_duplicate = serializers.BooleanField(
        required=False, default=False, help_text="Save even if the phone or e-mail is on file."
    )


class RecordCreateSerializer(RecordWriteSerializer):
    pool = IdField(
        required=False,
        allow_null=True,
        help_text="Create it unassigned in this pool (or owned by `owner` there).",
    )
    owner = IdField(
        required=False,
        allow_null=True,
        help_text="Defaults to you when no pool is given.",
    )


class IdsSerializer(StrictSerializer):
    ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=MAX_BATCH)


class ClaimSerializer(IdsSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    expected_followup_at = serializers.DateTimeField(required=False, allow_null=True)


class AssignSerializer(IdsSerializer):
    to_user = IdField(required=False, allow_null=True)
    to_pool = IdField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ReasonSerializer(IdsSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ReturnSerializer(IdsSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=500)
    to_pool = IdField(required=False, allow_null=True)


class PutIntoPoolSerializer(IdsSerializer):
    pool = IdField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RefusalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    until = serializers.DateTimeField(required=False)


class BatchResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())
    refused = RefusalSerializer(many=True)


class RulesSerializer(serializers.Serializer):
    """A pool's rules; null turns a rule off (API.md lists the keys)."""

    visibility = serializers.ChoiceField(Pool.Visibility.choices, required=False)
    claim_limit_per_day = _rule(RULE_LIMITS["claim_limit_per_day"])
    max_held = _rule(RULE_LIMITS["max_held"])
    max_held_counts_converted = serializers.BooleanField(required=False)
    reclaim_cooldown_hours = _rule(RULE_LIMITS["reclaim_cooldown_hours"])
    claim_embargo_hours = _rule(RULE_LIMITS["claim_embargo_hours"])
    claim_reason_required = serializers.BooleanField(required=False)
    contact_visibility = serializers.ChoiceField(Pool.ContactVisibility.choices, required=False)
    return_reasons = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    distribution = serializers.ChoiceField(Pool.Distribution.choices, required=False)
    distribution_members = serializers.ListField(child=IdField(), required=False, max_length=1000)
    routing = serializers.ListField(child=serializers.DictField(), required=False, max_length=100)
    redistribute_reclaimed = serializers.BooleanField(required=False)
    reclaim_no_followup_days = _rule(RULE_LIMITS["reclaim_no_followup_days"])
    reclaim_not_converted_days = _rule(RULE_LIMITS["reclaim_not_converted_days"])
    reclaim_exempt_open_opportunity = serializers.BooleanField(required=False)
    reclaim_warning_days = _rule(RULE_LIMITS["reclaim_warning_days"])
    retention_days = _rule(RULE_LIMITS["retention_days"])
    on_retention_expiry = serializers.ChoiceField(Pool.RetentionAction.choices, required=False)
    retention_move_to_pool = IdField(required=False, allow_null=True)
    score_threshold = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=RULE_LIMITS["score_threshold"][0],
        max_value=RULE_LIMITS["score_threshold"][1],
        help_text="Lead pools: a lead whose score rises to this notifies its owner, or is "
        "also converted (score_threshold_action); null: off.",
    )
    score_threshold_action = serializers.ChoiceField(
        Pool.ThresholdAction.choices,
        required=False,
        help_text="notify: tell the owner. convert: also convert an assigned lead as its "
        "owner into a customer with an opportunity named after the lead (or link it to the "
        "one customer it matches); unassigned leads are not converted.",
    )

    def to_representation(self, pool):
        rules = {}
        for key in RULES:
            if key == "distribution_members":
                rules[key] = sorted(user.pk for user in pool.distribution_members.all())
            elif key == "retention_move_to_pool":
                rules[key] = pool.retention_move_to_pool_id
            else:
                rules[key] = getattr(pool, key)
        return rules


class StrictRulesSerializer(StrictSerializer, RulesSerializer):
    pass


class PoolSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    kind = serializers.ChoiceField(Pool.Kind.choices)
    description = serializers.CharField()
    admins = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    member_departments = serializers.SerializerMethodField()
    rules = RulesSerializer(source="*")
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_admins(self, pool) -> list[int]:
        return sorted(user.pk for user in pool.admins.all())

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_members(self, pool) -> list[int]:
        return sorted(user.pk for user in pool.members.all())

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_member_departments(self, pool) -> list[int]:
        return sorted(department.pk for department in pool.member_departments.all())


class PoolWriteSerializer(StrictSerializer):
    name = serializers.CharField(required=False, max_length=100)
    kind = serializers.ChoiceField(Pool.Kind.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    admins = serializers.ListField(child=IdField(), required=False, max_length=1000)
    members = serializers.ListField(child=IdField(), required=False, max_length=10_000)
    member_departments = serializers.ListField(child=IdField(), required=False, max_length=1000)
    rules = StrictRulesSerializer(required=False)


class TransferSerializer(StrictSerializer):
    to_admins = serializers.ListField(child=IdField(), allow_empty=False, max_length=100)
    keep_current = serializers.BooleanField(required=False, default=False)


class DuplicateQuerySerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    email = serializers.CharField(required=False, allow_blank=True, max_length=254, default="")
    company = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class DuplicateMatchSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["lead", "customer"])
    id = serializers.IntegerField()
    display = serializers.CharField()
    matched_on = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField(min_value=0, max_value=100)
    state = serializers.ChoiceField(["in_pool", "owned", "converted"])
    owner = serializers.CharField()
    pool = serializers.CharField()


class HiddenMatchSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["lead", "customer"])
    matched_on = serializers.ListField(child=serializers.CharField())
    state = serializers.ChoiceField(["in_pool", "owned", "converted"])


class DuplicateReportSerializer(serializers.Serializer):
    results = DuplicateMatchSerializer(many=True)
    elsewhere = HiddenMatchSerializer(
        many=True, help_text=_("Matches outside your scope: only their kind and state.")
    )
