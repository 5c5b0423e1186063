"""The streamed XLSX writer (xlsx_writer.py) read back by openpyxl and by calamine, and the
values-based record rows (exports._record_rows) against the model-instance columns."""

import datetime
import io
import zipfile

from django.utils import timezone
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from leadpool.fields.models import CustomField
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.pools.models import Pool
from leadpool.transfer import exports, xlsx_writer
from leadpool.transfer.tests.test_sanitize import PAYLOADS, SAFE


def workbook_bytes(export) -> bytes:
    handle = io.BytesIO()
    export.write_xlsx(handle)
    return handle.getvalue()


def read_both(data: bytes) -> tuple[list[list], list[list], list[list]]:
    """The cells as openpyxl reads them, their data types, and as calamine reads them."""
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    types = [[cell.data_type for cell in row] for row in sheet.iter_rows()]
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return cells, types, calamine.to_python()


def as_read(text: str) -> str:
    # XML reads every line end back as LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_formula_payloads_arrive_as_text_in_openpyxl_and_calamine(rep_east, make_lead):
    # given
    values = [*PAYLOADS, *SAFE[1:]]
    for value in reversed(values):
        make_lead(owner=rep_east, name=value, notes="a & b < c > d \x01\x0b\ufffe end")
    export = exports.export_records(by=rep_east, model=Lead, fields=["name", "notes"])
    # when
    cells, types, calamine = read_both(workbook_bytes(export))
    # then: every payload is a text cell with its apostrophe, never a formula (no `f`)
    expected = [as_read(exports.neutralize(value)) for value in values]
    assert [row[0] for row in cells[1:]] == expected
    assert [row[0] for row in calamine[1:]] == expected
    assert {kind for row in types for kind in row} == {"s"}
    # and XML's special characters are escaped, the ones it forbids dropped
    assert cells[1][1] == calamine[1][1] == "a & b < c > d  end"
    assert cells[0] == calamine[0] == ["Name", "Notes"]


def test_ids_are_numbers_and_times_are_local_date_times(rep_east, make_lead, settings):
    # given
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = timezone.make_aware(datetime.datetime(2026, 1, 2, 20, 30, 15), datetime.UTC)
    lead = make_lead(owner=rep_east, name="张三", created_at=moment, phone="13800138000")
    export = exports.export_records(
        by=rep_east, model=Lead, fields=["id", "name", "phone", "created_at", "last_followup_at"]
    )
    # when
    cells, types, calamine = read_both(workbook_bytes(export))
    # then
    local = datetime.datetime(2026, 1, 3, 4, 30, 15)
    assert cells[1] == [lead.pk, "张三", "13800138000", local, None]
    assert types[1][:3] == ["n", "s", "s"]
    assert calamine[1][:4] == [lead.pk, "张三", "13800138000", local]
    assert calamine[1][4] in ("", None)


def test_custom_values_and_empty_cells(rep_east, make_lead):
    # given
    CustomField.objects.create(entity="lead", key="amount", label="金额", type="number")
    CustomField.objects.create(entity="lead", key="tags", label="标签", type="text")
    make_lead(owner=rep_east, name="", company="公司", custom={"amount": 12.5, "tags": ["=x", "y"]})
    export = exports.export_records(
        by=rep_east, model=Lead, fields=["name", "company", "custom.amount", "custom.tags"]
    )
    # when
    cells, _types, calamine = read_both(workbook_bytes(export))
    # then: a number stays a number, a list is its text, neutralised; nothing is ""
    assert cells[0] == ["Name", "Company", "金额", "标签"]
    assert cells[1] == [None, "公司", 12.5, "'=x, y"]
    assert calamine[1] == ["", "公司", 12.5, "'=x, y"]


def test_the_package_is_a_minimal_spreadsheetml_with_inline_strings(rep_east, make_lead):
    # given
    make_lead(owner=rep_east, name="x")
    data = workbook_bytes(exports.export_records(by=rep_east, model=Lead, fields=["name"]))
    # when
    package = zipfile.ZipFile(io.BytesIO(data))
    sheet = package.read("xl/worksheets/sheet1.xml").decode()
    # then
    assert set(package.namelist()) == {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    }
    assert (
        '<row r="2"><c t="inlineStr" s="2"><is><t xml:space="preserve">x</t></is></c></row>'
        in sheet
    )
    assert (
        "<f>" not in sheet and "sharedStrings" not in package.read("[Content_Types].xml").decode()
    )


def test_the_writer_streams_rows_as_they_come():
    # given: rows from a generator that records how far it has been read
    taken = []

    def rows():
        for index in range(3000):
            taken.append(index)
            yield [index, f"row {index}"]

    handle = io.BytesIO()
    # when
    xlsx_writer.write(
        handle,
        sheet_name='a "sheet" & co',
        header=["n", "text"],
        rows=rows(),
        text=exports.cell_text,
        local=lambda moment: moment,
    )
    # then
    cells, _types, calamine = read_both(handle.getvalue())
    assert len(taken) == 3000 and len(cells) == len(calamine) == 3001
    assert cells[-1] == [2999, "row 2999"] and calamine[-1] == [2999.0, "row 2999"]
    assert load_workbook(io.BytesIO(handle.getvalue())).sheetnames == ['a "sheet" & co']


def test_column_letters_go_past_z():
    assert xlsx_writer.column_letters(28)[-3:] == ["Z", "AA", "AB"]
    assert xlsx_writer.column_letters(703)[-1] == "AAA"


# --- the values-based rows are the instance-based columns -----------------------------------


def test_record_rows_read_as_values_match_the_model_instance_columns(
    member, pool_admin, rep_east, lead_pool, make_lead, level_field
):
    # given: masked and hidden pools, owners, collaborators, custom values
    masked = Pool.objects.create(name="遮盖池", kind=Pool.Kind.LEAD, contact_visibility="masked")
    hidden = Pool.objects.create(name="隐藏池", kind=Pool.Kind.LEAD, contact_visibility="hidden")
    for pool in (masked, hidden, lead_pool):
        pool.members.add(member)
    for index in range(12):
        pool = [lead_pool, masked, hidden][index % 3]
        lead = make_lead(
            pool=pool,
            owner=rep_east if index % 4 == 0 else None,
            name=f"=客户 {index}",
            phone=f"1380013{index:04d}",
            email=f"user{index}@example.com" if index % 2 else "",
            status=["new", "following", "invalid"][index % 3],
            custom={"level": "A"} if index % 2 else {},
        )
        if index % 5 == 0:
            lead.collaborators.add(member, pool_admin)
    columns = list(exports.record_columns(Lead).values())
    for user in (member, pool_admin, rep_east):
        scope = access.scope_of(user)
        export = exports.export_records(by=user, model=Lead, fields=[c.key for c in columns])
        # when
        by_values = list(export.rows)
        selected = access.visible_records(user, Lead, scope=scope)
        queryset = selected.select_related("owner", "pool").prefetch_related("collaborators")
        by_instances = list(exports._rows(queryset, columns, scope, export.count, 5))
        # then
        assert by_values == by_instances and by_values, user.username
