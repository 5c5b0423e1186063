"""The PostgreSQL COPY path of CSV exports (export_sql.py) against the Python path, the
reference: the same file, byte for byte, and the same formula rule as sanitize.py."""

import datetime
import random
import re
import unicodedata

import pytest
from django.db import connection
from django.utils import timezone

from leadpool.fields.models import CustomField
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.transfer import export_sql, exports, sanitize
from leadpool.transfer.tests.test_sanitize import PAYLOADS, SAFE

postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's"
)

# More of what the rule has to tell apart: every trigger and blank, DDE spellings.
EXTRA = [
    *(f"{char}1+1" for char in sanitize.trigger_characters()),
    *(f"{char}=1" for char in sanitize.blank_characters()),
    *(f"{char}x" for char in sanitize.blank_characters()),
    *(f"{char}" for char in sanitize.blank_characters()),
    "\u2a75x",
    "ddeauto x",
    "DdEaUtO(",
    "ddeautox",
    "ddex",
    "dde",
    "dde_",
    "DDE.",
    "d",
    "David",
    "a.b-c\\d | x ! y",
    "a.b-c\\d\u3000| x ! y",
    "名字|命令!A0",
    "名字 | 没有感叹号",
    "x y|z!",
    "|!",
    "!|",
    "  cmd|'/C calc'!A0",
    "+.5",
    "-.5",
    "-5.",
    "+1.2.3",
    "--1",
    "+",
    "@",
    "=",
    "'=1",
    "1e5",
    "+١٢٣",
    "-１２",
    "＝",
    "\t",
    "\r",
    "\n",
    " \n\t",
    "😀=1",
    "=😀",
]
CORPUS = [*PAYLOADS, *SAFE, *EXTRA]


# --- the rule, spelled once ---------------------------------------------------------------


def test_the_sql_character_classes_are_pythons():
    # when: the generated classes are read back by Python's own regular expressions
    word = re.compile(f"[{sanitize.regex_class(sanitize.word_characters())}]")
    space = re.compile(f"[{sanitize.regex_class(sanitize.space_characters())}]")
    # then: they match exactly the characters of \w and \s, all of Unicode over
    for char in sanitize.characters("(?s:.)"):
        assert bool(word.fullmatch(char)) == bool(re.fullmatch(r"\w", char)), hex(ord(char))
        assert bool(space.fullmatch(char)) == bool(re.fullmatch(r"\s", char)), hex(ord(char))


def test_the_triggers_are_every_character_nfkc_turns_into_one():
    # when: every character is normalised on its own, the slow way
    every = sanitize.characters("(?s:.)")
    slow = [char for char in every if unicodedata.normalize("NFKC", char)[:1] in "=+-@"]
    # then
    assert sanitize.trigger_characters() == "".join(slow)
    assert {"=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "⁼"} <= set(slow)
    assert all(sanitize.is_formula_like(char + "x") for char in slow)
    assert sorted(sanitize.blank_characters()) == [
        char for char in every if char.isspace() or char in sanitize.INVISIBLE
    ]


@postgresql
@pytest.mark.django_db
def test_the_sql_rule_neutralises_the_whole_corpus_as_python_does():
    # when: every value goes through the SQL expression
    expression = sanitize.sql_neutralize("v")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {expression} FROM unnest(%s::text[]) WITH ORDINALITY AS c(v, i) "  # noqa: S608 - our expression
            "ORDER BY i",
            [CORPUS],
        )
        in_sql = [row[0] for row in cursor.fetchall()]
    # then
    assert in_sql == [sanitize.neutralize(value) for value in CORPUS]
    assert any(value.startswith("'") for value in in_sql)


@postgresql
@pytest.mark.django_db
def test_random_text_is_neutralised_alike():
    # given: strings from an alphabet of the rule's edge characters
    rng = random.Random(9)  # noqa: S311 - test data
    alphabet = "=+-@dDeEaAuUtToO|!._\\ \t\r\n\u3000\u200b＝－1.x名" + sanitize.trigger_characters()
    values = ["".join(rng.choices(alphabet, k=rng.randrange(1, 8))) for _ in range(3000)]
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sanitize.sql_neutralize('v')} "  # noqa: S608 - our expression
            "FROM unnest(%s::text[]) WITH ORDINALITY AS c(v, i) ORDER BY i",
            [values],
        )
        in_sql = [row[0] for row in cursor.fetchall()]
    # then
    assert in_sql == [sanitize.neutralize(value) for value in values]


# --- the whole file ------------------------------------------------------------------------


def both_paths(**options) -> tuple[bytes, bytes, exports.ExportFile]:
    fast = exports.export_records(**options)
    slow = exports.export_records(**options, use_copy=False)
    assert fast.copy is not None and fast.copy.exact() and slow.copy is None
    return b"".join(fast.csv_chunks()), b"".join(slow.csv_chunks()), fast


@pytest.fixture
def custom_fields(db):
    fields = {}
    for key, kind, choices in [
        ("level", CustomField.Type.CHOICE, ["A", "=B", "甲"]),
        ("tags", CustomField.Type.MULTI_CHOICE, ["x", "-y", "乙"]),
        ("amount", CustomField.Type.NUMBER, []),
        ("vip", CustomField.Type.BOOLEAN, []),
        ("since", CustomField.Type.DATE, []),
        ("met", CustomField.Type.DATETIME, []),
        ("memo", CustomField.Type.TEXT, []),
    ]:
        fields[key] = CustomField.objects.create(
            entity="lead", key=key, label=f"字段 {key}", type=kind, choices=choices
        )
    return fields


NUMBERS = [
    0,
    -3,
    7,
    10**20,
    0.5,
    -12.25,
    1e-05,
    -1.5e-07,
    0.0001,
    123456.789,
    1234567890123456.5,
    -1234567890123.25,
    3.141592653589793,
    0.1 + 0.2,
    2.5e-300,
]


@postgresql
def test_the_copy_file_is_the_python_file_byte_for_byte(
    admin, rep_east, member, pool_admin, lead_pool, custom_fields, settings
):
    # given: records with Chinese, quotes, newlines, formulas, empty values, custom
    # fields of every type, collaborators, and pools that mask or hide contacts
    settings.LEADPOOL_EXPORT_CAP = 10_000
    masked = Pool.objects.create(
        name='遮盖 "池", =1', kind=Pool.Kind.LEAD, contact_visibility="masked"
    )
    hidden = Pool.objects.create(name="隐藏池", kind=Pool.Kind.LEAD, contact_visibility="hidden")
    for pool in (masked, hidden):
        pool.members.add(member)
    rep_east.display_name = "=东区 Rep"
    rep_east.save()
    rng = random.Random(4)  # noqa: S311 - test data
    texts = [*CORPUS, '他说 "你好", 再见', "line\nbreak\r\nand\rcr", "back\\slash\\n", "tab\tin"]
    phones = [
        "13800138000",
        "+86 138 0013 8000",
        "0086-138-0013-8000",
        "10086",
        "123",
        "＋８６１３８００１３８０００",
        "",
    ]
    emails = ["zhang@example.com", " @x.cn ", "no-at-sign", "=a@b.c", "", "张@例子.中国"]
    moment = timezone.make_aware(datetime.datetime(2026, 1, 2, 23, 59, 58), datetime.UTC)
    custom_values = [
        {"level": "=B", "tags": ["x", "-y", "乙"], "amount": number, "vip": index % 2 == 0}
        for index, number in enumerate(NUMBERS)
    ]
    custom_values += [
        {"since": "2026-03-04", "met": "2026-03-04T05:06:07+00:00", "memo": "=cmd|' /C calc'!A0"},
        {"tags": [], "memo": "多行\n备注"},
        {"tags": [1, 2.5, True, None]},
        {},
    ]
    for index in range(90):
        pool = [lead_pool, masked, hidden, None][index % 4]
        owner = None if pool is not None and index % 3 else rep_east
        # Created as stored, unnormalised: the export shows what is there.
        lead = Lead.objects.create(
            pool=pool,
            owner=owner,
            name=texts[index % len(texts)],
            company=texts[(index * 7) % len(texts)],
            phone=phones[index % len(phones)],
            other_phone=phones[(index + 3) % len(phones)],
            email=emails[index % len(emails)],
            notes=texts[(index * 3) % len(texts)],
            source="＝来源" if index % 5 == 0 else "官网",
            status=["new", "following", "converted", "invalid"][index % 4],
            custom=custom_values[index % len(custom_values)],
            created_at=moment + datetime.timedelta(hours=index * 7, seconds=rng.randrange(60)),
            last_followup_at=None if index % 2 else moment,
        )
        if index % 6 == 0:
            lead.collaborators.add(member, pool_admin)
    every_field = list(exports.record_columns(Lead))
    # when / then: for a system admin, a pool member (masked and hidden contacts) and a
    # pool admin, with every field and with the default ones
    for user in (admin, member, pool_admin, rep_east):
        for fields in (every_field, None):
            fast, slow, export = both_paths(by=user, model=Lead, fields=fields)
            assert fast == slow, user.username
    fast, _slow, _export = both_paths(by=member, model=Lead, fields=every_field)
    assert b"***" in fast and b"138****8000" in fast
    assert "'=东区 Rep".encode() in both_paths(by=admin, model=Lead)[0]


@postgresql
def test_a_one_column_file_quotes_its_empty_cells_as_python_does(rep_east, make_lead):
    # given
    for name in ["", "\\.", "a,b", ""]:
        make_lead(owner=rep_east, name=name, company="c")
    # when
    fast, slow, _export = both_paths(by=rep_east, model=Lead, fields=["name"])
    # then
    assert fast == slow
    assert b'\r\n""\r\n' in fast


@postgresql
def test_ids_filters_and_scope_narrow_the_copy_as_they_do_python(rep_east, rep_west, make_lead):
    # given
    mine = [make_lead(owner=rep_east, name=f"mine {i}") for i in range(5)]
    make_lead(owner=rep_west, name="theirs")
    # when
    fast, slow, export = both_paths(
        by=rep_east,
        model=Lead,
        records=Lead.objects.filter(name__in=["mine 1", "mine 2", "mine 3", "theirs"]),
        ids=[mine[1].pk, mine[3].pk, mine[4].pk],
        fields=["id", "name"],
    )
    # then
    assert fast == slow
    assert fast.decode("utf-8-sig").splitlines()[1:] == [
        f"{mine[3].pk},mine 3",
        f"{mine[1].pk},mine 1",
    ]
    assert export.count == 2


@postgresql
def test_the_copy_streams_in_chunks_of_rows(rep_east, settings):
    # given
    settings.LEADPOOL_EXPORT_CAP = 5000
    Lead.objects.bulk_create(
        Lead(owner=rep_east, name=f"Lead {i}\n", phone=f"1390000{i:04d}") for i in range(1200)
    )
    export = exports.export_records(by=rep_east, model=Lead, fields=["id", "name"], chunk_size=500)
    # when
    chunks = list(export.csv_chunks())
    # then: header and 500 rows, 500 rows, 200 rows; the newline inside each name kept
    assert [chunk.count(b'\n"\r\n') for chunk in chunks] == [500, 500, 200]
    assert chunks[0].startswith(b"\xef\xbb\xbfID,Name\r\n")


@postgresql
def test_custom_values_python_renders_unlike_json_take_the_python_path(
    rep_east, make_lead, custom_fields
):
    # given: an object where a value belongs (written past the field's validation)
    make_lead(owner=rep_east, name="x", custom={"memo": {"a": 1}})
    export = exports.export_records(by=rep_east, model=Lead, fields=["name", "custom.memo"])
    # when
    data = b"".join(export.csv_chunks())
    # then: the plan saw it, and the file is Python's
    assert export.copy is not None and not export.copy.exact()
    assert data == b"".join(
        exports.export_records(
            by=rep_east, model=Lead, fields=["name", "custom.memo"], use_copy=False
        ).csv_chunks()
    )
    assert b"{'a': 1}" in data


@postgresql
def test_an_export_of_nothing_is_the_header_alone(rep_east, rep_west, make_lead):
    # given: only someone else's record, asked for by id
    other = make_lead(owner=rep_west, name="theirs")
    # when
    export = exports.export_records(by=rep_east, model=Lead, ids=[other.pk], fields=["name"])
    # then
    assert export.copy is None and export.count == 0
    assert b"".join(export.csv_chunks()) == b"\xef\xbb\xbfName\r\n"


def test_sqlite_has_no_copy_plan(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="x")
    # when
    export = exports.export_records(by=rep_east, model=Lead)
    # then
    assert (export.copy is None) == (connection.vendor != "postgresql")
    assert export_sql.plan_records(Lead.objects.all(), Lead, [], None, 1) is None
