"""Exports as a service: what goes in the file, for whom, and how it is written."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from leadpool.history.models import AuditEntry
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.transfer import exports
from leadpool.transfer.tests.test_sanitize import PAYLOADS, SAFE


def csv_rows(export) -> list[list[str]]:
    data = b"".join(export.csv_chunks())
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_sheet(export):
    handle = io.BytesIO()
    export.write_xlsx(handle)
    handle.seek(0)
    return load_workbook(handle).active


# --- the formula corpus, in both formats --------------------------------------------------


@pytest.fixture
def corpus(rep_east, make_lead):
    # One lead per value, the value in its notes; ids ascend, the export runs newest first.
    values = [*PAYLOADS, *SAFE]
    for value in reversed(values):
        make_lead(owner=rep_east, notes=value)
    return values


def test_formula_payloads_are_neutralised_in_csv(rep_east, corpus):
    # when
    export = exports.export_records(by=rep_east, model=Lead, fields=["notes"])
    rows = csv_rows(export)
    # then: each cell reads back as the sanitiser's output, payloads with an apostrophe
    notes = [row[0] for row in rows[1:]]
    expected = ["'" + v for v in PAYLOADS] + SAFE
    assert notes == expected


def test_formula_payloads_are_text_cells_with_an_apostrophe_in_xlsx(rep_east, corpus):
    # when
    sheet = xlsx_sheet(exports.export_records(by=rep_east, model=Lead, fields=["notes"]))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # then: (XML reads every line end back as LF, so a CR arrives as LF)
    expected = [
        value.replace("\r\n", "\n").replace("\r", "\n")
        for value in ["'" + v for v in PAYLOADS] + SAFE
    ]
    assert [cell.value or "" for cell in cells] == expected
    assert {cell.data_type for cell in cells if cell.value} == {"s"}
    assert {cell.number_format for cell in cells} == {"@"}


def test_a_phone_stays_text_in_xlsx_and_plain_in_csv(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, phone="+8613800138000", other_phone="+86 138 0013 8001")
    # when
    rows = csv_rows(
        exports.export_records(by=rep_east, model=Lead, fields=["phone", "other_phone"])
    )
    sheet = xlsx_sheet(
        exports.export_records(by=rep_east, model=Lead, fields=["phone", "other_phone"])
    )
    # then
    assert rows[1] == ["+8613800138000", "'+86 138 0013 8001"]
    phone = sheet.cell(row=2, column=1)
    assert (phone.value, phone.data_type) == ("+8613800138000", "s")


def test_control_characters_openpyxl_refuses_are_dropped_from_xlsx(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, notes="bell\x07 and form feed\x0c")
    # when
    sheet = xlsx_sheet(exports.export_records(by=rep_east, model=Lead, fields=["notes"]))
    # then
    assert sheet.cell(row=2, column=1).value == "bell and form feed"


# --- scope and contact visibility ----------------------------------------------------------


def test_another_reps_leads_are_never_exported(rep_east, rep_west, make_lead):
    # given
    mine = make_lead(owner=rep_east, name="Mine")
    theirs = make_lead(owner=rep_west, name="Theirs")
    # when: even asked for by id, and with a caller's queryset covering every lead
    export = exports.export_records(
        by=rep_east, model=Lead, records=Lead.objects.all(), ids=[mine.pk, theirs.pk]
    )
    rows = csv_rows(export)
    # then
    assert [row[0] for row in rows[1:]] == [str(mine.pk)]
    assert export.count == 1


def test_masked_contacts_stay_masked_for_a_pool_member(member, lead_pool, make_lead):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    make_lead(pool=lead_pool, phone="13800138000", email="zhang@example.com")
    # when
    fields = ["phone", "email"]
    rows = csv_rows(exports.export_records(by=member, model=Lead, fields=fields))
    sheet = xlsx_sheet(exports.export_records(by=member, model=Lead, fields=fields))
    # then
    assert rows[1] == ["138****8000", "z***@example.com"]
    assert [c.value for c in next(sheet.iter_rows(min_row=2))] == [
        "138****8000",
        "z***@example.com",
    ]


def test_hidden_contacts_are_empty_for_a_pool_member_but_not_for_the_pool_admin(
    member, pool_admin, lead_pool, make_lead
):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.HIDDEN
    lead_pool.save()
    make_lead(pool=lead_pool, phone="13800138000", email="zhang@example.com")
    # when
    as_member = csv_rows(exports.export_records(by=member, model=Lead, fields=["phone", "email"]))
    as_admin = csv_rows(
        exports.export_records(by=pool_admin, model=Lead, fields=["phone", "email"])
    )
    # then
    assert as_member[1] == ["", ""]
    assert as_admin[1] == ["13800138000", "zhang@example.com"]


# --- cap, filters, fields ------------------------------------------------------------------


def test_an_export_past_the_cap_is_refused_saying_the_cap(rep_east, make_lead, settings):
    # given
    settings.LEADPOOL_EXPORT_CAP = 3
    for _ in range(4):
        make_lead(owner=rep_east)
    # when
    with pytest.raises(ValidationError) as refused:
        exports.export_records(by=rep_east, model=Lead)
    # then
    assert "at most 3" in refused.value.messages[0]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 0


def test_an_export_at_the_cap_goes_through(rep_east, make_lead, settings):
    # given
    settings.LEADPOOL_EXPORT_CAP = 3
    for _ in range(3):
        make_lead(owner=rep_east)
    # when
    export = exports.export_records(by=rep_east, model=Lead)
    # then
    assert len(csv_rows(export)) == 4


def test_the_records_narrowing_is_respected(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="Web", source="web")
    make_lead(owner=rep_east, name="Fair", source="fair")
    # when
    records = Lead.objects.filter(source="web")
    rows = csv_rows(
        exports.export_records(by=rep_east, model=Lead, records=records, fields=["name"])
    )
    # then
    assert rows == [["Name"], ["Web"]]


def test_chosen_fields_come_in_the_order_asked(rep_east, make_lead):
    # given
    lead = make_lead(owner=rep_east, name="Li Si", company="ACME", source="web")
    # when
    rows = csv_rows(
        exports.export_records(by=rep_east, model=Lead, fields=["source", "id", "name", "company"])
    )
    # then
    assert rows == [["Source", "ID", "Name", "Company"], ["web", str(lead.pk), "Li Si", "ACME"]]


def test_an_unknown_field_is_refused_naming_it(rep_east):
    with pytest.raises(ValidationError) as refused:
        exports.export_records(by=rep_east, model=Lead, fields=["name", "salary"])
    assert "salary" in refused.value.message_dict["fields"][0]


def test_an_unknown_format_is_refused(rep_east):
    with pytest.raises(ValidationError) as refused:
        exports.export_records(by=rep_east, model=Lead, format="pdf")
    assert "format" in refused.value.message_dict


def test_custom_fields_are_columns_headed_by_their_label(rep_east, make_lead, level_field):
    # given
    make_lead(owner=rep_east, name="Wang", custom={"level": "A"})
    # when: by default, and chosen
    default = csv_rows(exports.export_records(by=rep_east, model=Lead))
    chosen = csv_rows(
        exports.export_records(by=rep_east, model=Lead, fields=["custom.level", "name"])
    )
    # then
    assert default[0][-1] == "客户等级" and default[1][-1] == "A"
    assert chosen == [["客户等级", "Name"], ["A", "Wang"]]


def test_chinese_text_and_headers_round_trip(rep_east, make_lead, settings):
    # given
    make_lead(owner=rep_east, name="张三", company="北京某某科技有限公司")
    # when
    from django.utils import translation

    with translation.override("zh-hans"):
        export = exports.export_records(by=rep_east, model=Lead, fields=["name", "company"])
        rows = csv_rows(export)
    sheet = xlsx_sheet(exports.export_records(by=rep_east, model=Lead, fields=["name", "company"]))
    # then
    assert rows[1] == ["张三", "北京某某科技有限公司"]
    assert rows[0] != ["Name", "Company"]  # headers in the reader's language
    assert [c.value for c in next(sheet.iter_rows(min_row=2))] == ["张三", "北京某某科技有限公司"]
    assert "utf-8''" in export.content_disposition().lower()


def test_every_export_is_logged_with_its_row_count(rep_east, make_lead):
    # given
    make_lead(owner=rep_east)
    make_lead(owner=rep_east)
    # when
    export = exports.export_records(
        by=rep_east, model=Lead, format="xlsx", filters={"source": "web"}, address="10.0.0.1"
    )
    # then
    log = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
    details = log.details
    assert (log.actor, details["entity"], details["format"], details["count"]) == (
        rep_east,
        "lead",
        "xlsx",
        2,
    )
    assert details["filters"] == {"source": "web"}
    assert details["fields"][:3] == ["id", "name", "company"]
    assert log.address == "10.0.0.1"
    assert export.log == log


# --- call records ---------------------------------------------------------------------------


def test_call_records_of_chosen_leads_export_with_the_number_masked_as_on_screen(
    member, rep_east, lead_pool, make_lead, make_call
):
    # given
    lead_pool.contact_visibility = Pool.ContactVisibility.MASKED
    lead_pool.save()
    pooled = make_lead(pool=lead_pool, name="Pooled", phone="13800138000")
    other = make_lead(owner=rep_east, name="Not visible")
    make_call(pooled, rep_east, number="13800138000", notes='=HYPERLINK("x")')
    make_call(other, rep_east)
    # when
    export = exports.export_calls(by=member, model=Lead, ids=[pooled.pk, other.pk])
    rows = csv_rows(export)
    # then
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Lead ID"] == str(pooled.pk)
    assert row["Number"] == "138****8000"
    assert row["Notes"] == '\'=HYPERLINK("x")'
    assert (
        AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get().details["entity"]
        == "lead_call"
    )


# --- streaming ------------------------------------------------------------------------------


def test_5000_leads_stream_in_chunks_not_all_at_once(rep_east, settings):
    # given
    settings.LEADPOOL_EXPORT_CAP = 6000
    Lead.objects.bulk_create(
        Lead(owner=rep_east, name=f"Lead {i}", phone=f"1390000{i:04d}") for i in range(5000)
    )
    export = exports.export_records(by=rep_east, model=Lead, fields=["id", "name"], chunk_size=500)
    # when: the first chunk of the file is taken
    chunks = export.csv_chunks()
    first = next(chunks)
    # then: one chunk of rows, not the table
    assert first.count(b"\r\n") == 501  # header + 500 rows
    rest = b"".join(chunks)
    assert first.count(b"\r\n") + rest.count(b"\r\n") == 5001


def test_the_keyset_reads_the_table_a_chunk_per_query(rep_east, django_assert_num_queries):
    # given
    Lead.objects.bulk_create(
        Lead(owner=rep_east, name=f"Lead {i}", phone=f"1390000{i:04d}") for i in range(1200)
    )
    queryset = Lead.objects.all()
    # when / then: 1200 rows, 500 per query → 3 queries, each bounded by LIMIT
    with django_assert_num_queries(3) as captured:
        ids = [lead.pk for lead in exports._keyset(queryset, 500, 5000)]
    assert len(ids) == 1200 and ids == sorted(ids, reverse=True)
    assert all("LIMIT 500" in query["sql"] for query in captured.captured_queries)
