"""Reading import files (transfer/readers.py): real files from ../shared/data and generated ones."""

import codecs
import csv
import datetime
import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from leadpool.transfer.readers import (
    MAX_LINE_CHARS,
    SAMPLE_BYTES,
    ReadError,
    cell_text,
    from_excel_serial,
    open_table,
)

DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_shared_data = pytest.mark.skipif(
    not DATA.is_dir(),
    reason=f"the shared data folder {DATA} is absent (CI has it beside the clone)",
)
TEMPLATE_HEADERS = [
    "名称",
    "联系人",
    "电话",
    "邮箱",
    "微信",
    "地址",
    "类型",
    "区域",
    "需求",
    "备注",
]
TEMPLATE_ROWS = [
    ["XX小区物业管理处", "张经理", "13800138001", "", "", "上海市浦东新区XX路100号", "物业",
     "上海浦东", "小区需要新建电动车停车棚，约200㎡", ""],
    ["YY建材市场", "李总", "13900139002", "li@yy.com", "li_wechat", "上海市闵行区YY路200号",
     "商业", "上海闵行", "市场门口需要安装大型遮阳棚", "预算10万左右"],
    ["ZZ工厂", "王厂长", "13700137003", "", "wang_chang", "上海市松江区ZZ工业园", "工厂",
     "上海松江", "厂区停车场需要钢结构车棚500㎡", "比较急"],
]  # fmt: skip


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def template_csv(encoding: str, *, delimiter: str = ",", newline: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows([TEMPLATE_HEADERS, *TEMPLATE_ROWS])
    return buffer.getvalue().encode(encoding)


# --- the shared real-world files ------------------------------------------------------------


def test_shared_data_folder_is_beside_the_clone():
    # given the layout CI uses: shared/ next to the repository
    # then the tests look for it there
    assert DATA.name == "data" and DATA.parent.name == "shared"


@needs_shared_data
def test_chinese_import_template_xlsx_reads_with_phones_as_text():
    table = open_table(DATA / "Kevin-Hu88__lead-system__客户导入模板.xlsx")

    assert (table.format, table.encoding, table.delimiter) == ("xlsx", None, None)
    assert table.sheet_names == ["客户导入模板"]
    assert table.sheet == "客户导入模板"
    assert table.header_row == 1
    assert table.headers == TEMPLATE_HEADERS
    assert list(table.numbered_rows()) == list(zip([2, 3, 4], TEMPLATE_ROWS, strict=True))


@needs_shared_data
def test_legacy_xls_template_skips_the_merged_instruction_banner_above_its_headers():
    table = open_table(DATA / "alibaba__easyexcel__t01.xls")

    assert table.format == "xls"
    assert table.sheet_names == ["产品数据"]
    assert table.header_row == 2
    assert table.headers == [
        "材质*", "等级", "标准号*", "规格*", "品名*", "表面处理*", "计量单位*", "单重", "牙型",
        "品牌", "印记", "一级包装单位", "一级包装数", "二级包装单位", "二级包装数", "三级包装单位",
        "三级包装数", "备注",
    ]  # fmt: skip
    assert list(table.numbered_rows()) == [
        (
            3,
            ["Q235(碳钢)", "HV200", "DIN9021", "M6", "加大平垫圈", "达克罗", "千支", "5.5千克",
             "半牙", "通润春（TRC）", "WT8", "箱", "200", "", "", "", "", ""],
        )
    ]  # fmt: skip


@needs_shared_data
def test_xlsx_date_cells_become_iso_and_numbers_keep_their_shortest_text():
    table = open_table(DATA / "alibaba__easyexcel__dataformat.xlsx")

    assert table.sheet_names == ["Sheet1", "Sheet2", "Sheet3"]
    assert table.sheet == "Sheet1"
    assert table.headers == [
        "date", "dateStringCn", "dateStringCn2", "dateStringUs", "number", "numberStringCn",
        "numberStringUs",
    ]  # fmt: skip
    rows = list(table.rows())
    assert len(rows) == 27
    assert rows[0] == [
        "2020-01-01T01:01:01", "2020-1-1 1:01", "", "2020-1-1 1:01", "1.1111", "1.1111", "1.1111",
    ]  # fmt: skip
    assert {row[0] for row in rows} == {"2020-01-01T01:01:01"}
    assert [row[4] for row in rows[8:13]] == ["1111.1111", "1111.1111", "1111.1111", "1", "0.105"]


@needs_shared_data
def test_empty_sheets_can_still_be_chosen_and_have_no_rows():
    with pytest.raises(ReadError) as raised:
        open_table(DATA / "alibaba__easyexcel__dataformat.xlsx", sheet="Sheet2")

    assert raised.value.code == "empty"


@needs_shared_data
def test_utf8_bom_csv_loses_its_bom_before_the_first_header():
    table = open_table(DATA / "alibaba__easyexcel__office_bom.csv")

    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8-sig", ",")
    assert table.headers == ["姓名", "年纪"]
    assert list(table.rows()) == [[f"姓名{i}", "20"] for i in range(10)]


@needs_shared_data
def test_utf16le_csv_as_excel_unicode_text_is_decoded():
    table = open_table(DATA / "alibaba__easyexcel__bom_utf16le.csv")

    assert (table.encoding, table.delimiter) == ("utf-16-le", ",")
    assert table.headers == ["姓名", "年纪"]
    assert list(table.rows()) == [[f"姓名{i}", str(i)] for i in range(10)]


@needs_shared_data
def test_leads_csv_with_crlf_and_quoted_commas():
    table = open_table(DATA / "suhasini-cmd__suha_azure_data__leads-100.csv")

    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.headers == [
        "Index", "Account Id", "Lead Owner", "First Name", "Last Name", "Company", "Phone 1",
        "Phone 2", "Email 1", "Email 2", "Website", "Source", "Deal Stage", "Notes",
    ]  # fmt: skip
    rows = list(table.numbered_rows())
    assert len(rows) == 100
    assert rows[0] == (
        2,
        ["1", "0970F99ED4a2CE4", "Bethany Dixon", "Victor", "Cochran", "Grimes, Madden and Huff",
         "+1-532-344-1362", "2754733370", "hatkinson@mclaughlin.com", "ygibbs@guzman.com",
         "http://www.rosales-molina.com/", "Retargeting Ads", "New Lead", "Speak own such."],
    )  # fmt: skip
    assert rows[1][1][6:8] == ["001-672-799-2170x5610", "+1-887-577-1205x5686"]
    assert rows[-1][0] == 101


@needs_shared_data
def test_dolibarr_semicolon_csv():
    table = open_table(DATA / "Dolibarr__dolibarr__Example_import_company_1.csv")

    assert (table.encoding, table.delimiter) == ("utf-8", ";")
    assert len(table.headers) == 28
    assert table.headers[:3] == ["Name* (s.nom)", "Status (s.status)", "Customer* (s.client)"]
    assert table.headers[-1] == "BarCode (s.gencod)"
    rows = list(table.rows())
    assert len(rows) == 1
    assert rows[0][:5] == ["MyBigCompanyImport1", "1", "3", "1", "01/01/00"]
    assert rows[0][10] == "101010101"
    assert rows[0][-1] == "123456789"


@needs_shared_data
def test_odoo_partner_xls_zip_codes_and_flags_come_out_as_integers():
    table = open_table(DATA / "waqas36__midrasolutions_module__res_partner.xls")

    assert (table.format, table.sheet_names, table.sheet) == ("xls", ["Sheet 1"], "Sheet 1")
    assert table.headers == [
        "Name", "Is a company", "Related company", "Address type", "Street", "ZIP", "City",
        "State", "Country",
    ]  # fmt: skip
    rows = list(table.rows())
    assert len(rows) == 8
    assert rows[0] == [
        "Aurora Shelves", "1", "", "", "25 Pacific Road", "95101", "San José", "California",
        "United States",
    ]  # fmt: skip


@needs_shared_data
def test_corrupt_odoo_xls_fails_with_a_clear_message():
    with pytest.raises(ReadError) as raised:
        open_table(DATA / "waqas36__midrasolutions_module__crm_lead.xls")

    assert raised.value.code == "damaged"
    assert str(raised.value) == (
        "The XLS workbook is damaged or is not an Excel file, so it cannot be read. "
        "Open it in Excel, save it again as XLSX, and retry."
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "Cannot" in raised.value.detail


@needs_shared_data
def test_vcard_is_refused_rather_than_read_as_csv():
    with pytest.raises(ReadError) as raised:
        open_table(DATA / "py-vobject__vobject__vcard40_full.vcf")

    assert raised.value.code == "not_a_table"
    assert "vCard" in raised.value.message


# --- generated text files -------------------------------------------------------------------


def test_gb18030_csv_as_chinese_excel_saves_it(tmp_path):
    # given the Chinese template saved as "CSV (逗号分隔)" on Chinese Windows
    path = write(tmp_path, "客户.csv", template_csv("gb18030"))

    # when
    table = open_table(path)

    # then
    assert (table.encoding, table.delimiter) == ("gb18030", ",")
    assert table.headers == TEMPLATE_HEADERS
    assert list(table.rows()) == TEMPLATE_ROWS


def test_gbk_only_characters_and_gb18030_four_byte_ones_read(tmp_path):
    path = write(tmp_path, "a.csv", "姓名,手机\r\n𠀀镕基,13800138000\r\n".encode("gb18030"))

    table = open_table(path)

    assert table.encoding == "gb18030"
    assert list(table.rows()) == [["𠀀镕基", "13800138000"]]


def test_utf16_tab_separated_unicode_text(tmp_path):
    data = codecs.BOM_UTF16_LE + template_csv("utf-16-le", delimiter="\t")
    table = open_table(write(tmp_path, "unicode.txt", data))

    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert table.headers == TEMPLATE_HEADERS
    assert list(table.rows()) == TEMPLATE_ROWS


def test_utf16_big_endian_and_without_bom(tmp_path):
    big = open_table(
        write(tmp_path, "be.csv", codecs.BOM_UTF16_BE + "a,b\n1,2\n".encode("utf-16-be"))
    )
    bare = open_table(write(tmp_path, "le.csv", "Name\tPhone\nAnn\t138\n".encode("utf-16-le")))

    assert (big.encoding, big.headers, list(big.rows())) == ("utf-16-be", ["a", "b"], [["1", "2"]])
    assert (bare.encoding, bare.delimiter) == ("utf-16-le", "\t")
    assert list(bare.rows()) == [["Ann", "138"]]


def test_semicolon_csv_with_decimal_commas(tmp_path):
    text = "Name;Company;Amount\nAnn;Acme, Inc;1,5\nBob;Beta;2,25\n"
    table = open_table(write(tmp_path, "eu.csv", text.encode("utf-8")))

    assert table.delimiter == ";"
    assert list(table.rows()) == [["Ann", "Acme, Inc", "1,5"], ["Bob", "Beta", "2,25"]]


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row(tmp_path):
    table = open_table(write(tmp_path, "s.csv", b"sep=;\r\na,b;c\r\n1,5;2\r\n"))

    assert (table.delimiter, table.headers, table.header_row) == (";", ["a,b", "c"], 1)
    assert list(table.numbered_rows()) == [(2, ["1,5", "2"])]


def test_cp1252_csv_from_western_excel(tmp_path):
    table = open_table(write(tmp_path, "w.csv", "Name,City\nJosé,Zürich\n".encode("cp1252")))

    assert table.encoding == "cp1252"
    assert list(table.rows()) == [["José", "Zürich"]]


def test_cr_only_line_endings_and_quoted_newlines(tmp_path):
    data = b'Name,Notes,Phone\r"Ann","line one\rline two",138\rBob,,139\r'
    table = open_table(write(tmp_path, "mac.csv", data))

    assert table.headers == ["Name", "Notes", "Phone"]
    assert list(table.numbered_rows()) == [
        (2, ["Ann", "line one\rline two", "138"]),
        (3, ["Bob", "", "139"]),
    ]


def test_title_line_and_blank_lines_before_the_headers_are_skipped(tmp_path):
    text = "客户列表 2024年3月\n\n 姓名 , 手机 ,\n张三,13800138000,\n\n李四,13900139000,\n"
    table = open_table(write(tmp_path, "t.csv", text.encode("utf-8")))

    assert (table.header_row, table.headers) == (3, ["姓名", "手机"])
    assert list(table.numbered_rows()) == [
        (4, ["张三", "13800138000"]),
        (6, ["李四", "13900139000"]),
    ]


def test_short_rows_are_padded_and_extra_cells_kept_only_when_filled(tmp_path):
    table = open_table(write(tmp_path, "r.csv", b"a,b,c\n1\n1,2,3,,\n1,2,3,4\n"))

    assert list(table.rows()) == [["1", "", ""], ["1", "2", "3"], ["1", "2", "3", "4"]]


def test_single_column_file_uses_its_first_row_as_header(tmp_path):
    table = open_table(write(tmp_path, "one.csv", b"phone\n138\n139\n"))

    assert (table.delimiter, table.headers, list(table.rows())) == (
        ",",
        ["phone"],
        [["138"], ["139"]],
    )


def test_binary_file_objects_are_read_and_left_open():
    data = io.BytesIO(template_csv("utf-8"))

    table = open_table(data)

    assert list(table.rows()) == TEMPLATE_ROWS
    assert list(table.rows()) == TEMPLATE_ROWS  # read again from the start
    assert not data.closed


def test_a_large_csv_streams_in_bounded_memory(tmp_path):
    # given a 200,000-row CSV of about 9 MB
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["姓名", "手机", "公司", "备注"])
        for i in range(200_000):
            writer.writerow([f"客户{i}", str(13800000000 + i), f"公司{i % 977}", "x" * 10])
    size = path.stat().st_size

    # when every row is read
    tracemalloc.start()
    try:
        table = open_table(path)
        count = 0
        last = None
        for number, cells in table.numbered_rows():
            count += 1
            last = (number, cells)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then the rows all came through, holding a small fraction of the file at any time
    assert count == 200_000
    assert last == (200_001, ["客户199999", "13800199999", "公司691", "x" * 10])
    assert size > 9_000_000
    assert peak < size / 10


def test_encoding_mixed_after_the_sample_fails_naming_the_row(tmp_path):
    # given a file that is UTF-8 for longer than the sample, then GB18030
    rows = SAMPLE_BYTES // 20 + 10
    data = b"name,phone\n" + b"Ann Smith,13800138000\n" * rows + "张三,139\n".encode("gb18030")
    table = open_table(write(tmp_path, "mixed.csv", data))

    with pytest.raises(ReadError) as raised:
        list(table.rows())

    assert raised.value.code == "encoding"
    assert f"Row {rows + 2} is not valid UTF-8" in raised.value.message


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\r\n \r\n,,\r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not_a_table"),
        (b"%PDF-1.7\n", "not_a_table"),
        (b"<html><body><table><tr><td>a</td></tr></table></body></html>", "not_a_table"),
        (b"PK\x05\x06" + b"\x00" * 18, "damaged"),
        (b"\x81\x30\xff\xfe\xa0\x80 not any known encoding \x81\xff", "encoding"),
    ],
    ids=["empty", "blank-lines", "png", "pdf", "html-as-xls", "empty-zip", "unknown-encoding"],
)
def test_files_that_are_not_tables_fail_with_a_reason(tmp_path, data, code):
    with pytest.raises(ReadError) as raised:
        open_table(write(tmp_path, "x.xls", data))

    assert raised.value.code == code
    assert raised.value.message


def test_a_huge_single_cell_is_refused_without_reading_it_whole(tmp_path):
    path = write(tmp_path, "big.csv", b"a,b\n1," + b"x" * (MAX_LINE_CHARS + 10) + b"\n")
    table = open_table(path)

    with pytest.raises(ReadError) as raised:
        list(table.rows())

    assert raised.value.code == "cell_too_large"


def test_a_quoted_cell_longer_than_the_csv_limit_is_refused(tmp_path):
    path = write(tmp_path, "q.csv", b'a,b\n1,"' + b"x\n" * 70_000 + b'"\n')
    table = open_table(path)

    with pytest.raises(ReadError) as raised:
        list(table.rows())

    assert raised.value.code == "cell_too_large"
    assert raised.value.message.startswith("Row 2 has a cell longer than")


def test_a_zip_that_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(ReadError) as raised:
        open_table(write(tmp_path, "x.xlsx", buffer.getvalue()))

    assert (raised.value.code, raised.value.message) == (
        "not_a_table",
        "This is a ZIP archive, not a spreadsheet.",
    )


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            zeros = b"0" * (1024 * 1024)
            for _ in range(150):
                part.write(zeros)
        archive.writestr("xl/workbook.xml", "<workbook/>")

    with pytest.raises(ReadError) as raised:
        open_table(write(tmp_path, "bomb.xlsx", buffer.getvalue()))

    assert raised.value.code == "too_large"


# --- generated workbooks --------------------------------------------------------------------


@pytest.fixture
def openpyxl():
    return pytest.importorskip("openpyxl")


def test_xlsx_phones_stored_as_numbers_keep_their_digits_and_dates_become_iso(tmp_path, openpyxl):
    # given a sheet typed by hand in Excel: phones as numbers, dates, flags
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机", "国际号码", "下次跟进", "创建时间", "已签约", "金额", "序号"])
    sheet.append(
        ["张三", 13800138000, 8613800138000.0, datetime.date(2024, 3, 5),
         datetime.datetime(2024, 3, 5, 14, 30), True, 1234.5, 1e-7],
    )  # fmt: skip
    sheet.append(["李四", 1.39001390001e10, None, 45356, 45356.75, False, 0.1, 7])
    sheet["B2"].number_format = "0.00E+00"  # shown as 1.38E+10 in Excel
    sheet["D3"].number_format = "yyyy/m/d"  # a serial number formatted as a date
    sheet["E3"].number_format = "yyyy-mm-dd hh:mm"
    path = tmp_path / "phones.xlsx"
    workbook.save(path)

    # when
    table = open_table(path)

    # then
    assert table.format == "xlsx"
    assert list(table.rows()) == [
        ["张三", "13800138000", "8613800138000", "2024-03-05", "2024-03-05T14:30:00", "true",
         "1234.5", "0.0000001"],
        ["李四", "13900139000.1", "", "2024-03-05", "2024-03-05T18:00:00", "false", "0.1", "7"],
    ]  # fmt: skip


def test_xlsx_renamed_csv_is_still_read_as_a_workbook(tmp_path, openpyxl):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Phone"])
    workbook.active.append(["Ann", 13800138000])
    path = tmp_path / "export.csv"
    workbook.save(path)

    table = open_table(path)

    assert (table.format, table.headers, list(table.rows())) == (
        "xlsx",
        ["Name", "Phone"],
        [["Ann", "13800138000"]],
    )


@pytest.fixture
def multi_sheet_workbook(tmp_path, openpyxl):
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active.sheet_state = "hidden"
    workbook.active.append(["请勿修改本表"])
    empty = workbook.create_sheet("空表")
    assert empty.max_row == 1
    leads = workbook.create_sheet("线索")
    leads.append(["姓名", "手机"])
    leads.append(["张三", 13800138000])
    customers = workbook.create_sheet("Customers")
    customers["C3"] = "Company"
    customers["D3"] = "Phone"
    customers["C4"] = "Acme"
    customers["D4"] = "+86 138-0013-8000"
    path = tmp_path / "multi.xlsx"
    workbook.save(path)
    return path


def test_default_sheet_is_the_first_visible_one_with_data(multi_sheet_workbook):
    table = open_table(multi_sheet_workbook)

    assert table.sheet_names == ["说明", "空表", "线索", "Customers"]
    assert table.sheet == "线索"
    assert list(table.rows()) == [["张三", "13800138000"]]


def test_a_sheet_is_chosen_by_name_or_index_with_excel_row_numbers(multi_sheet_workbook):
    by_name = open_table(multi_sheet_workbook, sheet=" customers ")
    by_index = open_table(multi_sheet_workbook, sheet=0)

    assert (by_name.sheet, by_name.header_row, by_name.headers) == (
        "Customers",
        3,
        ["Company", "Phone"],
    )
    assert list(by_name.numbered_rows()) == [(4, ["Acme", "+86 138-0013-8000"])]
    assert (by_index.sheet, by_index.headers) == ("说明", ["请勿修改本表"])


def test_an_unknown_sheet_names_the_sheets_there_are(multi_sheet_workbook):
    with pytest.raises(ReadError) as raised:
        open_table(multi_sheet_workbook, sheet="Leads")

    assert raised.value.code == "no_such_sheet"
    assert raised.value.message == (
        "The workbook has no sheet “Leads”; its sheets are: 说明, 空表, 线索, Customers."
    )


def test_a_truncated_xlsx_fails_cleanly(tmp_path, multi_sheet_workbook):
    data = multi_sheet_workbook.read_bytes()

    with pytest.raises(ReadError) as raised:
        open_table(write(tmp_path, "cut.xlsx", data[: len(data) // 2]))

    assert raised.value.code == "damaged"
    assert "cut off" in raised.value.message


def test_an_xlsx_with_a_damaged_part_fails_cleanly(tmp_path, multi_sheet_workbook):
    # given a well-formed zip whose workbook XML is garbage
    source = zipfile.ZipFile(multi_sheet_workbook)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in source.infolist():
            data = source.read(part)
            archive.writestr(
                part, b"<workbook><sheets><" if part.filename == "xl/workbook.xml" else data
            )

    with pytest.raises(ReadError) as raised:
        open_table(write(tmp_path, "bad.xlsx", buffer.getvalue()))

    assert raised.value.code == "damaged"
    assert raised.value.message.startswith("The XLSX workbook is damaged")


# --- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (13800138000.0, "13800138000"),
        (1.38001380e10, "13800138000"),
        (8613800138000.0, "8613800138000"),
        (95101, "95101"),
        (1.5, "1.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-7, "0.0000001"),
        (1e22, "10000000000000000000000"),
        (True, "true"),
        (False, "false"),
        (None, ""),
        ("  kept as is ", "  kept as is "),
        (datetime.datetime(2024, 3, 5), "2024-03-05"),
        (datetime.datetime(2024, 3, 5, 9, 5, 7), "2024-03-05T09:05:07"),
        (datetime.date(2024, 3, 5), "2024-03-05"),
        (datetime.time(9, 5), "09:05:00"),
        (datetime.timedelta(hours=26, minutes=3), "26:03:00"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("45356", datetime.date(2024, 3, 5)),
        (45356.75, datetime.datetime(2024, 3, 5, 18, 0)),
        ("61", datetime.date(1900, 3, 1)),
        ("59", datetime.date(1900, 2, 28)),
        ("1", datetime.date(1900, 1, 1)),
        ("0", None),
        ("13800138000", None),
        ("abc", None),
        ("", None),
    ],
)
def test_excel_serials(value, moment):
    assert from_excel_serial(value) == moment
