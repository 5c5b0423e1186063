"""From an import file's rows to a plan per batch: what to create, update or skip, and why.

A row is mapped to fields by the job's column mapping, then validated by
`pools.records.clean_record_data`, the same rules as manual entry. Duplicates are found
by normalised phone and e-mail, set-wise: one query per batch against the records on file
(an earlier batch of the same file is already on file by then), and a dictionary within
the batch. Nothing here writes; `imports.py` carries the plan out.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from leadpool.pools import access
from leadpool.pools.models import PooledRecord
from leadpool.pools.records import clean_record_data

# The standard fields an import column may fill; `custom.<key>` fills a custom field.
IMPORT_FIELDS = (
    "name",
    "company",
    "phone",
    "other_phone",
    "email",
    "source",
    "region",
    "industry",
    "notes",
)
CUSTOM_PREFIX = "custom."
# What duplicates are matched on: normalised phone numbers (main and other), e-mail.
MATCH_KEYS = ("phone", "email")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass
class RowPlan:
    """One row's fate."""

    row: int
    cells: list[str]
    cleaned: dict | None = None  # the validated fields, for rows that go in
    outcome: str = "create"  # create | update | failed | skipped | duplicate_created
    reasons: dict[str, list[str]] = field(default_factory=dict)
    record_id: int | None = None  # the record on file it matched (update/skip/duplicate)
    # For rows of this batch merged into an earlier row's new record (dedupe=update).
    merged_into: "RowPlan | None" = None


class RowReader:
    """Maps a file's cells to record data with the job's column mapping."""

    def __init__(self, headers: list[str], mapping: Mapping[str, str | None], name_parts=None):
        # The first column under each header (a repeated header cannot be told apart).
        self.columns: list[tuple[int, str]] = []
        seen: set[str] = set()
        for index, header in enumerate(headers):
            target = mapping.get(header)
            if header in seen or not target:
                continue
            seen.add(header)
            self.columns.append((index, target))
        self.name_columns = None
        if name_parts:
            given, family = name_parts
            self.name_columns = (headers.index(given), headers.index(family))

    def data(self, cells: list[str]) -> dict:
        data: dict = {}
        custom: dict = {}
        for index, target in self.columns:
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                continue  # an empty cell sets nothing (and never clears on update)
            if target.startswith(CUSTOM_PREFIX):
                custom[target[len(CUSTOM_PREFIX) :]] = value
            else:
                data[target] = value
        if self.name_columns and "name" not in data:
            given, family = (cells[i].strip() if i < len(cells) else "" for i in self.name_columns)
            data["name"] = join_name(given, family)
        data["custom"] = custom
        return data


def join_name(given: str, family: str) -> str:
    """Chinese names are family name first with no space (张 + 伟 = 张伟); others
    given name first (Ada Lovelace)."""
    if _HAN.search(given + family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def match_keys(cleaned: Mapping, match_on: Iterable[str]) -> list[str]:
    """The duplicate keys of a cleaned row: `p:+8613800138000`, `e:a@b.cn`."""
    keys = []
    if "phone" in match_on:
        for column in ("phone_normalized", "other_phone_normalized"):
            if cleaned.get(column):
                keys.append("p:" + cleaned[column])
    if "email" in match_on and cleaned.get("email_normalized"):
        keys.append("e:" + cleaned["email_normalized"])
    return list(dict.fromkeys(keys))


def _key_words(key: str) -> str:
    return _("phone number") if key.startswith("p:") else _("e-mail address")


class BatchPlanner:
    """Plans batches of one job: validates rows and sorts out their duplicates."""

    def __init__(
        self,
        *,
        model: type[PooledRecord],
        reader: RowReader,
        custom_fields: dict,
        dedupe: str,
        match_on: Iterable[str],
        scope: access.Scope,
        dry_run: bool,
    ):
        self.model = model
        self.reader = reader
        self.custom_fields = custom_fields
        self.dedupe = dedupe
        self.match_on = tuple(match_on)
        self.scope = scope
        # A dry run writes nothing, so earlier batches are not on file to be matched:
        # it remembers their keys instead, as 8-byte digests (bounded: ~60 bytes a key).
        self.dry_run_seen: set[int] | None = set() if dry_run else None

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        return self.resolve_duplicates(self.validate(rows))

    def validate(self, rows: list[tuple[int, list[str]]]) -> list[RowPlan]:
        """Each row checked by the rules of manual entry. No database access, so it may
        run in another thread, one batch ahead of the writing (imports.py)."""
        return [self._clean(row, cells) for row, cells in rows]

    def resolve_duplicates(self, plans: list[RowPlan]) -> list[RowPlan]:
        """Sort out the valid rows' duplicates, within the batch and on file. Run it once
        the batches before are on file, so a duplicate of an earlier row is found there."""
        valid = [plan for plan in plans if plan.outcome == "create"]
        on_file = self._on_file(valid)
        first_in_batch: dict[str, RowPlan] = {}
        for plan in valid:
            keys = match_keys(plan.cleaned, self.match_on)
            earlier = next((first_in_batch[key] for key in keys if key in first_in_batch), None)
            matched_key = next((key for key in keys if key in on_file), None)
            if earlier is not None:
                self._in_batch_duplicate(plan, earlier, keys)
            elif matched_key is not None:
                self._on_file_duplicate(plan, on_file[matched_key], matched_key)
            elif self.dry_run_seen is not None and any(
                _digest(key) in self.dry_run_seen for key in keys
            ):
                self._earlier_batch_duplicate(plan, keys)
            for key in keys:
                first_in_batch.setdefault(key, plan)
            if self.dry_run_seen is not None and plan.outcome in ("create", "duplicate_created"):
                self.dry_run_seen.update(_digest(key) for key in keys)
        return plans

    def _clean(self, row: int, cells: list[str]) -> RowPlan:
        plan = RowPlan(row=row, cells=cells)
        try:
            plan.cleaned = clean_record_data(
                self.model, self.reader.data(cells), custom_fields=self.custom_fields
            )
        except ValidationError as error:
            plan.outcome = "failed"
            plan.reasons = error.message_dict
        return plan

    def _on_file(self, plans: list[RowPlan]) -> dict[str, dict]:
        """{key: the record on file with it (lowest id)} for the batch's keys, one query."""
        phones, emails = set(), set()
        for plan in plans:
            for key in match_keys(plan.cleaned, self.match_on):
                (phones if key.startswith("p:") else emails).add(key[2:])
        if not phones and not emails:
            return {}
        found: dict[str, dict] = {}
        for record in self._records_with(sorted(phones), sorted(emails)):
            for key in match_keys(record, self.match_on):
                found.setdefault(key, record)
        return found

    def _records_with(self, phones: list[str], emails: list[str]) -> Iterable[dict]:
        """Live records holding any of these normalised phones or e-mails, lowest id first."""
        columns = ("id", "phone_normalized", "other_phone_normalized", "email_normalized")
        if connection.vendor == "postgresql":
            # Three array parameters rather than thousands of IN (…) placeholders: the
            # statement plans in a fraction of the time (bench/README.md).
            table = connection.ops.quote_name(self.model._meta.db_table)
            sql = (
                f"SELECT {', '.join(columns)} FROM {table} WHERE deleted_at IS NULL AND ("  # noqa: S608
                "phone_normalized = ANY(%s::varchar[]) OR other_phone_normalized = "
                "ANY(%s::varchar[]) OR email_normalized = ANY(%s::varchar[])) ORDER BY id"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [phones, phones, emails])
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        condition = Q()
        if phones:
            condition |= Q(phone_normalized__in=phones) | Q(other_phone_normalized__in=phones)
        if emails:
            condition |= Q(email_normalized__in=emails)
        return self.model.objects.alive().filter(condition).order_by("id").values(*columns)

    def _in_batch_duplicate(self, plan: RowPlan, earlier: RowPlan, keys: list[str]) -> None:
        key = next(key for key in keys if key in match_keys(earlier.cleaned, self.match_on))
        words = {"what": _key_words(key), "row": earlier.row}
        if self.dedupe == "create":
            plan.outcome = "duplicate_created"
            plan.reasons = {"duplicate": [_("Same %(what)s as row %(row)d.") % words]}
        elif self.dedupe == "update" and earlier.outcome in ("create", "update"):
            # The later row updates what the earlier row is about to create or update.
            plan.outcome = "merged"
            plan.merged_into = earlier
            _merge(earlier.cleaned, plan.cleaned)
            plan.reasons = {"duplicate": [_("Merged into row %(row)d (same %(what)s).") % words]}
        else:
            plan.outcome = "skipped"
            plan.reasons = {"duplicate": [_("Same %(what)s as row %(row)d.") % words]}

    def _on_file_duplicate(self, plan: RowPlan, record: dict, key: str) -> None:
        plan.record_id = record["id"]
        words = {
            "what": _key_words(key),
            "entity": self.model._meta.verbose_name,
            "id": record["id"],
        }
        message = _("Same %(what)s as %(entity)s #%(id)d on file.") % words
        if self.dedupe == "create":
            plan.outcome = "duplicate_created"
        elif self.dedupe == "update":
            plan.outcome = "update"
        else:
            plan.outcome = "skipped"
        plan.reasons = {"duplicate": [message]}

    def _earlier_batch_duplicate(self, plan: RowPlan, keys: list[str]) -> None:
        words = {"what": _key_words(keys[0])}
        message = _("Same %(what)s as an earlier row of this file.") % words
        plan.outcome = {"create": "duplicate_created", "update": "update"}.get(
            self.dedupe, "skipped"
        )
        plan.reasons = {"duplicate": [message]}


def _merge(into: dict, later: dict) -> None:
    """A later row's filled fields over an earlier row's (custom fields key by key)."""
    for name, value in later.items():
        if name == "custom":
            into["custom"] = {**into.get("custom", {}), **value}
        elif value not in ("", None):
            into[name] = value


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
