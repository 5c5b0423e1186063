"""LeadPool speaks Simplified Chinese (zh-hans): the catalogue is complete, compiled, and used.

The .po file is read in pure Python (no polib, no GNU gettext), so CI needs no extra tools.
"""

import ast
import datetime
import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.test import APIClient

from leadpool.history.models import Notification
from leadpool.history.services import notification_text
from leadpool.leads.models import Lead
from leadpool.pools import records
from leadpool.pools.rules import format_time
from leadpool.pools.services import assign_records, claim_records

PACKAGE = Path(__file__).resolve().parents[2]
MESSAGES = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = MESSAGES / "django.po"
MO_FILE = MESSAGES / "django.mo"

# Python %-format placeholders: %(name)s, %(count)d, %s, %.2f … (not a literal %%).
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
HAN = re.compile(r"[\u4e00-\u9fff]")


# --- reading the catalogue -------------------------------------------------------------


def _unquote(literal: str) -> str:
    literal = literal.strip()
    assert literal.startswith('"') and literal.endswith('"'), literal
    escapes = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
    return re.sub(r'\\(["\\nt])', lambda m: escapes[m.group(1)], literal[1:-1])


def read_po(path: Path) -> list[dict]:
    """The live entries of a .po file, header included, as dicts.

    Each has `flags` (a set), `msgctxt` (or None), `msgid`, `msgid_plural` (or None) and
    `msgstr` (a list: one string, or one per plural form). Obsolete (#~) entries are
    left out, as msgfmt leaves them out of the .mo.
    """
    entries: list[dict] = []
    entry: dict | None = None
    keyword = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith('"'):
            entry["parts"][keyword] += _unquote(line)
            continue
        if entry is None or (
            (line.startswith("#") or line.startswith(("msgid ", "msgctxt ")))
            and any(k.startswith("msgstr") for k in entry["parts"])
        ):
            entry = {"flags": set(), "parts": {}}
            entries.append(entry)
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif not line.startswith("#"):
            keyword, literal = line.split(" ", 1)
            entry["parts"][keyword] = _unquote(literal)
    result = []
    for entry in entries:
        parts = entry["parts"]
        forms = sorted(k for k in parts if k.startswith("msgstr"))
        result.append(
            {
                "flags": entry["flags"],
                "msgctxt": parts.get("msgctxt"),
                "msgid": parts["msgid"],
                "msgid_plural": parts.get("msgid_plural"),
                "msgstr": [parts[k] for k in forms],
            }
        )
    return result


def messages() -> list[dict]:
    """The catalogue's messages, without the header."""
    return [entry for entry in read_po(PO_FILE) if entry["msgid"]]


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def marked_strings() -> set[tuple[str | None, str]]:
    """(context, msgid) of every literal the package's code marks for translation."""
    singular = {"gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
    with_context = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if {"tests", "migrations"} & set(path.relative_to(PACKAGE).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {
            alias.asname or alias.name: alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            function = aliases.get(node.func.id)
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if function in singular and args and isinstance(args[0], str):
                found.add((None, args[0]))
            elif function in with_context and len(args) > 1 and isinstance(args[1], str):
                found.add((args[0], args[1]))
    return found


# --- the catalogue -------------------------------------------------------------------


def test_the_catalogue_declares_simplified_chinese_with_a_single_plural_form():
    # when
    header = read_po(PO_FILE)[0]
    # then
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Language: zh_Hans\n" in header["msgstr"][0]
    assert "Content-Type: text/plain; charset=UTF-8\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"][0]


def test_every_message_is_translated_and_none_is_fuzzy():
    # given
    entries = messages()
    # when
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    wrong_plurals = [e["msgid"] for e in entries if e["msgid_plural"] and len(e["msgstr"]) != 1]
    # then
    assert len(entries) > 300
    assert untranslated == []
    assert fuzzy == []
    assert wrong_plurals == []


def test_every_translation_keeps_the_placeholders_of_its_source():
    # given
    entries = messages()
    # when
    mismatched = [
        (e["msgid"], msgstr)
        for e in entries
        for msgstr in e["msgstr"]
        if placeholders(msgstr) != placeholders(e["msgid_plural"] or e["msgid"])
    ]
    # then
    assert mismatched == []


def test_every_translation_keeps_the_typographic_quotes_of_its_source():
    # given
    entries = messages()
    # when
    mismatched = [
        (e["msgid"], msgstr)
        for e in entries
        for msgstr in e["msgstr"]
        if (msgstr.count("“"), msgstr.count("”")) != (e["msgid"].count("“"), e["msgid"].count("”"))
    ]
    # then
    assert mismatched == []


def test_every_translation_is_in_chinese_except_names_and_codes():
    # given: words that stay as they are in Chinese, and sentence joints that are only
    # placeholders and punctuation (Chinese changes the comma)
    kept = {"LeadPool", "%(done)s, %(refused)s"}
    # when
    not_chinese = [
        e["msgid"]
        for e in messages()
        if e["msgid"] not in kept and not all(HAN.search(s) for s in e["msgstr"])
    ]
    # then
    assert not_chinese == []


def test_every_string_marked_in_the_code_is_in_the_catalogue():
    # given
    catalogue = {(e["msgctxt"], e["msgid"]) for e in messages()}
    # when
    missing = sorted(marked_strings() - catalogue, key=str)
    # then: run `make messages` and translate what it adds
    assert missing == []


def test_the_compiled_catalogue_is_up_to_date_with_the_po_file():
    # given
    with MO_FILE.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    # when
    stale = []
    for entry in messages():
        msgid = entry["msgid"]
        if entry["msgctxt"] is not None:
            found = catalogue.pgettext(entry["msgctxt"], msgid)
        elif entry["msgid_plural"] is not None:
            found = catalogue.ngettext(msgid, entry["msgid_plural"], 1)
        else:
            found = catalogue.gettext(msgid)
        if found != entry["msgstr"][0]:
            stale.append((msgid, found, entry["msgstr"][0]))
    # then: run `make messages` (or compilemessages) after editing the .po
    assert stale == []
    assert catalogue.info()["plural-forms"] == "nplurals=1; plural=0;"


# --- the product speaks Chinese ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate their language for the thread; put back what was active."""
    with translation.override(translation.get_language()):
        yield


def test_model_labels_and_choices_are_translated(lead_pool):
    # when
    with translation.override("zh-hans"):
        labels = (
            str(Lead._meta.verbose_name),
            str(Lead._meta.get_field("owner").verbose_name),
            str(Lead._meta.get_field("collaborators").verbose_name),
            str(Lead.Status.CONVERTED.label),
            lead_pool.get_kind_display(),
        )
    # then
    assert labels == ("线索", "负责人", "协同人", "已转化", "线索池")


def test_a_claim_over_the_daily_limit_is_refused_in_chinese(lead_pool, member, make_lead):
    # given: a pool allowing one claim per member per day, and two leads in it
    lead_pool.claim_limit_per_day = 1
    lead_pool.save()
    first, second = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    # when
    with translation.override("zh-hans"):
        claim_records(model=Lead, ids=[first.pk], by=member)
        result = claim_records(model=Lead, ids=[second.pk], by=member)
    # then
    refusal = result.refusal_for(second.pk)
    assert refusal.code == "claim_limit_reached"
    assert "1/1" in refusal.message
    assert refusal.message == (
        f"已达到每日领取上限 1/1，{format_time(refusal.until)} 后才可再次领取。"
    )


def test_the_same_refusal_stays_in_english_without_chinese(lead_pool, member, make_lead):
    # given
    lead_pool.claim_limit_per_day = 1
    lead_pool.save()
    first, second = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    # when
    with translation.override("en"):
        claim_records(model=Lead, ids=[first.pk], by=member)
        result = claim_records(model=Lead, ids=[second.pk], by=member)
    # then
    refusal = result.refusal_for(second.pk)
    assert refusal.message == (
        f"Daily claim limit 1/1 reached; you may claim again after {format_time(refusal.until)}."
    )


def test_an_invalid_phone_number_is_reported_in_chinese(rep_east):
    # when
    with translation.override("zh-hans"), pytest.raises(ValidationError) as raised:
        records.create_record(model=Lead, by=rep_east, data={"name": "张三", "phone": "12345"})
    # then
    assert raised.value.message_dict == {"phone": ["“12345”不是有效的电话号码。"]}


def test_claim_refusals_over_the_api_follow_accept_language(lead_pool, member, make_lead):
    # given
    lead_pool.claim_limit_per_day = 1
    lead_pool.save()
    first, second = make_lead(pool=lead_pool), make_lead(pool=lead_pool)
    missing = second.pk + 1000
    client = APIClient()
    client.force_authenticate(member)
    # when
    response = client.post(
        "/api/v1/leads/claim",
        {"ids": [first.pk, second.pk, missing]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    again = client.post(
        "/api/v1/leads/claim", {"ids": [first.pk]}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["done"] == [first.pk]
    refused = {r["id"]: r for r in body["refused"]}
    until = datetime.datetime.fromisoformat(refused[second.pk]["until"])
    assert refused[second.pk]["code"] == "claim_limit_reached"
    assert refused[second.pk]["message"] == (
        f"已达到每日领取上限 1/1，{format_time(until)} 后才可再次领取。"
    )
    assert refused[missing]["message"] == "记录不存在。"
    assert again.json()["refused"] == [
        {"id": first.pk, "code": "already_owned", "message": "您已是此记录的负责人。"}
    ]


def test_the_api_answers_in_english_without_accept_language(lead_pool, member, make_lead):
    # given
    lead = make_lead(pool=lead_pool)
    client = APIClient()
    client.force_authenticate(member)
    client.post("/api/v1/leads/claim", {"ids": [lead.pk]}, format="json")
    # when
    response = client.post("/api/v1/leads/claim", {"ids": [lead.pk]}, format="json")
    # then
    assert response.json()["refused"] == [
        {"id": lead.pk, "code": "already_owned", "message": "You already own this record."}
    ]


def test_api_validation_errors_follow_accept_language(member):
    # given
    client = APIClient()
    client.force_authenticate(member)
    # when
    response = client.post(
        "/api/v1/leads/",
        {"name": "张三", "phone": "12345"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    # then
    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == ["“12345”不是有效的电话号码。"]


def test_a_notification_is_rendered_in_the_readers_language(
    lead_pool, pool_admin, member, make_lead
):
    # given: the pool admin assigns a lead to the member, who is notified
    lead = make_lead(pool=lead_pool, name="张三", company="星河科技")
    assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_user=member)
    notification = Notification.objects.get(user=member)
    # when
    with translation.override("zh-hans"):
        chinese = notification_text(notification)
    with translation.override("en"):
        english = notification_text(notification)
    # then
    assert chinese == "Pool Admin将“张三 (星河科技)”分配给了您。"
    assert english == "Pool Admin assigned “张三 (星河科技)” to you."


def test_a_notification_without_an_actor_says_someone_in_chinese(member):
    # given: a warning written by the reclaim rule, which has no actor
    notification = Notification.objects.create(
        user=member,
        kind=Notification.Kind.RECLAIM_WARNING,
        details={"record": "张三", "reclaim_at": "2027-03-04 10:00"},
    )
    # when
    with translation.override("zh-hans"):
        text = notification_text(notification)
    # then
    assert text == "若未及时跟进，“张三”将于 2027-03-04 10:00 被收回到所属池。"


def test_notifications_over_the_api_follow_accept_language(
    lead_pool, pool_admin, member, make_lead
):
    # given
    lead = make_lead(pool=lead_pool, name="张三")
    assign_records(model=Lead, ids=[lead.pk], by=pool_admin, to_user=member)
    client = APIClient()
    client.force_authenticate(member)
    # when
    response = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # then
    assert response.status_code == 200
    assert [n["text"] for n in response.json()["results"]] == ["Pool Admin将“张三”分配给了您。"]
