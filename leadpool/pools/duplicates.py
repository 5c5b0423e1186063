"""Duplicate check (查重): find leads and customers matching a name, phone, e-mail or company.

Exact matches compare the normalised columns through their indexes. Partial input
("8000", "zhang@") matches by substring; company names also match fuzzily (trigram
similarity on PostgreSQL, rapidfuzz on SQLite) with a score.

Results are limited to the caller's scope. A phone or e-mail that is on file outside
it is reported without saying which record or whose (`elsewhere`), so a rep does not
re-create a colleague's lead and still learns nothing else about it.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from leadpool.core.normalize import (
    normalize_company,
    normalize_email,
    normalize_phone,
    phone_search_digits,
)
from leadpool.pools import access

# Similar company names: on PostgreSQL, pg_trgm's `%` operator at its similarity
# threshold (0.3 unless the database sets pg_trgm.similarity_threshold); on SQLite,
# rapidfuzz's ratio (0–100) at least this.
FUZZY_COMPANY_MIN_RATIO = 60
MIN_PARTIAL_PHONE_DIGITS = 4
MIN_PARTIAL_TEXT = 2


@dataclass
class Match:
    type: str  # "lead" or "customer"
    id: int
    display: str
    matched_on: list[str]
    score: int
    state: str  # "in_pool", "owned" or "converted"
    owner: str = ""
    pool: str = ""

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "display": self.display,
            "matched_on": self.matched_on,
            "score": self.score,
            "state": self.state,
            "owner": self.owner,
            "pool": self.pool,
        }


@dataclass
class HiddenMatch:
    """A match outside the caller's scope: only what kind of record and in what state."""

    type: str
    matched_on: list[str]
    state: str

    def as_dict(self) -> dict:
        return {"type": self.type, "matched_on": self.matched_on, "state": self.state}


@dataclass
class DuplicateReport:
    matches: list[Match] = field(default_factory=list)
    elsewhere: list[HiddenMatch] = field(default_factory=list)

    @property
    def has_exact_contact_match(self) -> bool:
        contact = {"phone", "other_phone", "email"}
        return any(contact & set(m.matched_on) for m in [*self.matches, *self.elsewhere])

    def matched(self, field_name: str) -> bool:
        return any(field_name in m.matched_on for m in [*self.matches, *self.elsewhere])

    def describe(self, field_name: str | None = None) -> str:
        """A sentence for a form: who holds the record this field (or any field) matches."""
        for match in self.matches:
            if field_name is None or field_name in match.matched_on:
                return _describe_visible(match)
        return _("This is already on file in a record held by a colleague.")

    def as_dict(self) -> dict:
        return {
            "results": [m.as_dict() for m in self.matches],
            "elsewhere": [m.as_dict() for m in self.elsewhere],
        }


def _describe_visible(match: Match) -> str:
    words = {"record": match.display, "owner": match.owner, "pool": match.pool}
    if match.state == "converted":
        return _("Already on file: “%(record)s”, converted.") % words
    if match.state == "owned":
        return _("Already on file: “%(record)s”, owned by %(owner)s.") % words
    return _("Already on file: “%(record)s”, unassigned in the pool “%(pool)s”.") % words


def _models():
    from leadpool.customers.models import Customer
    from leadpool.leads.models import Lead

    return [Lead, Customer]


# What a match is made of (_add, _contact_reasons, the scores): reading only these, not
# every column of the record, its owner and its pool, halves the cost of building a row.
MATCH_FIELDS = (
    "name",
    "company",
    "company_normalized",
    "phone_normalized",
    "other_phone_normalized",
    "email_normalized",
    "status",
    "owner__display_name",
    "owner__username",
    "pool__name",
)


def find_duplicates(
    *,
    by,
    name: str = "",
    phone: str = "",
    other_phone: str = "",
    email: str = "",
    company: str = "",
    exact_only: bool = False,
    exclude=None,
    limit: int = 20,
) -> DuplicateReport:
    """Leads and customers matching any of the given values, best first."""
    scope = access.scope_of(by)
    phones = {_exact_phone(value) for value in (phone, other_phone)} - {""}
    exact_email = _exact_email(email)
    report = DuplicateReport()
    for model in _models():
        found: dict[int, Match] = {}
        visible = (
            access.visible_records(by, model, scope=scope)
            .select_related("owner", "pool")
            .only(*MATCH_FIELDS)
        )
        if exclude is not None and isinstance(exclude, model):
            visible = visible.exclude(pk=exclude.pk)
        contact_condition = _contact_condition(model, phones, exact_email)
        if contact_condition is not None:
            for record in _with_contacts(visible.filter(contact_condition))[:limit]:
                _add(found, record, _contact_reasons(record, phones, exact_email), 100)
            if not scope.is_admin:  # a system admin sees every record: none is hidden
                _add_hidden(report, model, contact_condition, visible, exclude, phones, exact_email)
        if not exact_only:
            _partial_matches(
                found,
                visible,
                model,
                scope=scope,
                name=name,
                phone=phone,
                email=email,
                exact_email=exact_email,
                phones=phones,
                limit=limit,
            )
        _company_matches(
            found,
            visible,
            company,
            limit=limit,
            fuzzy=not exact_only,
            exact_elsewhere=_exact_count(report.matches),
        )
        report.matches.extend(found.values())
    report.matches.sort(key=lambda m: (-m.score, m.type, -m.id))
    del report.matches[limit:]
    return report


def _exact_phone(raw: str) -> str:
    try:
        return normalize_phone(raw or "")
    except ValidationError:
        return ""


def _exact_email(raw: str) -> str:
    try:
        return normalize_email(raw or "")
    except ValidationError:
        return ""


def _contact_condition(model, phones: set[str], email: str) -> Q | None:
    """Rows whose phone, other phone or e-mail (or, for a customer, a contact's) is one
    of these: `pk IN (… UNION …)` of one indexed lookup a column. Each lookup uses its
    column's partial index on PostgreSQL and SQLite alike; an OR of the columns did on
    PostgreSQL (a bitmap OR) but made SQLite scan the table (167 ms at 100k leads), and
    an OR beside a subquery (the contacts) PostgreSQL can only test row by row."""
    from leadpool.customers.models import Contact

    live = model.objects.alive().order_by()
    lookups = []
    if phones:
        lookups.append(live.filter(phone_normalized__in=phones).values("pk"))
        lookups.append(live.filter(other_phone_normalized__in=phones).values("pk"))
    if email:
        lookups.append(live.filter(email_normalized=email).values("pk"))
    if model.entity == "customer" and (phones or email):
        contact = Q(phone_normalized__in=phones) if phones else Q()
        if email:
            contact |= Q(email_normalized=email)
        lookups.append(Contact.objects.filter(contact).order_by().values("customer_id"))
    if not lookups:
        return None
    first, *rest = lookups
    return Q(pk__in=first.union(*rest) if rest else first)


def _with_contacts(records):
    """Customers with their contacts in one more query (_contact_reasons reads them)."""
    if records.model.entity == "customer":
        return records.prefetch_related("contacts")
    return records


def _contact_reasons(record, phones: set[str], email: str) -> list[str]:
    reasons = []
    if phones and record.phone_normalized in phones:
        reasons.append("phone")
    if phones and record.other_phone_normalized in phones:
        reasons.append("other_phone")
    if email and record.email_normalized == email:
        reasons.append("email")
    if record.entity == "customer":  # one of its contacts may match as well
        contacts = record.contacts.all()
        contact_phones = {c.phone_normalized for c in contacts}
        contact_emails = {c.email_normalized for c in contacts}
        if phones & contact_phones and "phone" not in reasons:
            reasons.append("phone")
        if email and email in contact_emails and "email" not in reasons:
            reasons.append("email")
    return reasons


def _state(record) -> str:
    if record.status in record.CONVERTED_STATUSES:
        return "converted"
    return "owned" if record.owner_id else "in_pool"


def _add(found: dict, record, reasons: list[str], score: int) -> None:
    match = found.get(record.pk)
    if match is None:
        found[record.pk] = Match(
            type=record.entity,
            id=record.pk,
            display=record.display_name,
            matched_on=list(reasons),
            score=score,
            state=_state(record),
            owner=str(record.owner) if record.owner else "",
            pool=record.pool.name if record.pool else "",
        )
        return
    match.matched_on.extend(reason for reason in reasons if reason not in match.matched_on)
    match.score = max(match.score, score)


def _add_hidden(report, model, condition, visible, exclude, phones, email) -> None:
    # NOT EXISTS, an anti-join probing the few matching rows by primary key; `NOT IN
    # (every visible pk)` hashed the whole visible set for each check.
    hidden = model.objects.alive().filter(condition, ~Exists(visible.filter(pk=OuterRef("pk"))))
    if exclude is not None and isinstance(exclude, model):
        hidden = hidden.exclude(pk=exclude.pk)
    for record in _with_contacts(hidden)[:5]:
        report.elsewhere.append(
            HiddenMatch(model.entity, _contact_reasons(record, phones, email), _state(record))
        )


def _partial_matches(
    found, visible, model, *, scope, name, phone, email, exact_email, phones, limit
) -> None:
    # Fragments of a phone or e-mail find only records whose contacts the caller may
    # see: otherwise they would reveal a hidden number a few digits at a time.
    contacts_visible = visible.filter(access.contacts_visible_condition(scope, model))
    digits = phone_search_digits(phone)
    if not phones and len(digits) >= MIN_PARTIAL_PHONE_DIGITS:
        # icontains: the form the trigram indexes serve (core/postgres.search_indexes).
        condition = Q(phone_normalized__icontains=digits) | Q(
            other_phone_normalized__icontains=digits
        )
        for record in contacts_visible.filter(condition)[:limit]:
            _add(found, record, ["phone"], 70)
    fragment = email.strip().lower()
    if not exact_email and len(fragment) >= MIN_PARTIAL_TEXT:
        for record in contacts_visible.filter(email_normalized__icontains=fragment)[:limit]:
            _add(found, record, ["email"], 70)
    name = name.strip()
    if len(name) >= MIN_PARTIAL_TEXT or (name and not name.isascii()):
        for record in visible.filter(name__icontains=name)[:limit]:
            score = fuzz.ratio(name.casefold(), record.name.casefold())
            _add(found, record, ["name"], max(50, round(score)))


def _company_matches(
    found, visible, company: str, *, limit: int, fuzzy: bool, exact_elsewhere: int = 0
) -> None:
    wanted = normalize_company(company)
    if not wanted:
        return
    for record in visible.filter(company_normalized=wanted)[:limit]:
        _add(found, record, ["company"], 100)
    # Exact matches (score 100, of this kind or one checked before) that already fill the
    # list leave no room for similar names, which score below 100: skip scoring them.
    if not fuzzy or exact_elsewhere + _exact_count(found.values()) >= limit:
        return
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        table = visible.model._meta.db_table
        # `%` (similar at pg_trgm's threshold, 0.3 by default) can use the trigram GIN
        # index; `similarity(...) >= 0.3` would score every row in scope. (A trigram GiST
        # index walked nearest first by `<->` was measured at 1M leads and was slower:
        # core/postgres.py search_indexes.)
        similar = (
            visible.filter(
                # The table name is our own; the user's text goes in as a parameter.
                RawSQL(f'"{table}"."company_normalized" %% %s', (wanted,), BooleanField())  # noqa: S611
            )
            .annotate(similarity=TrigramSimilarity("company_normalized", wanted))
            .exclude(company_normalized=wanted)
            .order_by("-similarity", "-pk")[:limit]
        )
        for record in similar:
            _add(found, record, ["company"], _similar_score(record.similarity * 100))
        return
    # SQLite (small installs): score each distinct company name in scope with rapidfuzz,
    # in C. A company has several contacts on file, so there are fewer names than rows;
    # the best `limit` names hold at least the best `limit` records.
    names = (
        visible.exclude(company_normalized="")
        .exclude(company_normalized=wanted)
        .order_by()
        .values_list("company_normalized", flat=True)
        .distinct()
    )
    best = process.extract(
        wanted, list(names), scorer=fuzz.ratio, limit=limit, score_cutoff=FUZZY_COMPANY_MIN_RATIO
    )
    scores = {name: _similar_score(score) for name, score, _index in best}
    if not scores:
        return
    score = Case(
        *(When(company_normalized=name, then=Value(s)) for name, s in scores.items()),
        output_field=IntegerField(),
    )
    similar = visible.filter(company_normalized__in=scores).annotate(similarity=score)
    for record in similar.order_by("-similarity", "-pk")[:limit]:
        _add(found, record, ["company"], record.similarity)


def _similar_score(percent: float) -> int:
    """A similar name's score: below an exact match's 100, however close it comes."""
    return min(99, round(percent))


def _exact_count(matches) -> int:
    return sum(match.score >= 100 for match in matches)
