"""Real-world-shaped files through the whole import job: ../shared/data and generated ones."""

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from leadpool.customers.models import Customer
from leadpool.leads.models import Lead
from leadpool.transfer import imports
from leadpool.transfer.tests.test_readers import DATA, needs_shared_data


def run(by, path: Path, **options):
    options.setdefault("entity", "lead")
    job = imports.start_import(by=by, source=path, file_name=path.name, enqueue=False, **options)
    return imports.run_import(job.pk)


def reasons(job, outcome="failed") -> dict[int, dict]:
    return {report.row: report.reasons for report in imports.reports(job, [outcome])}


@needs_shared_data
def test_a_chinese_import_template_xlsx(rep_east):
    job = run(rep_east, DATA / "Kevin-Hu88__lead-system__客户导入模板.xlsx")
    assert job.status == "done" and job.failed_rows == 0
    # 名称 is the organisation, 联系人 the person (transfer/matching.py AMBIGUOUS).
    assert job.mapping["名称"] == "company" and job.mapping["联系人"] == "name"
    lead = Lead.objects.get(company="YY建材市场")
    assert (lead.name, lead.phone, lead.email) == ("李总", "13900139002", "li@yy.com")
    assert lead.region == "上海闵行" and lead.notes == "预算10万左右"


@needs_shared_data
def test_an_english_crm_export_with_split_names_and_foreign_phones(rep_east, settings):
    settings.LEADPOOL_PHONE_REGION = "US"
    job = run(rep_east, DATA / "suhasini-cmd__suha_azure_data__leads-100.csv")
    assert job.total == 100 and job.status == "done"
    assert job.created + job.failed_rows + job.skipped == 100
    assert job.mapping["Phone 1"] == "phone" and job.mapping["Phone 2"] == "other_phone"
    assert job.mapping["Email 1"] == "email" and job.mapping["Source"] == "source"
    # The file's numbers are made up (area codes that do not exist): those rows are
    # refused for their phone numbers only, the way manual entry would refuse them.
    assert all(set(why) <= {"phone", "other_phone"} for why in reasons(job).values())
    assert job.created > 0
    lead = Lead.objects.order_by("id").first()
    assert " " in lead.name  # First Name + Last Name joined
    assert lead.phone_normalized.startswith("+1")


@needs_shared_data
def test_the_same_file_in_a_chinese_install_reports_each_foreign_number(rep_east):
    job = run(rep_east, DATA / "suhasini-cmd__suha_azure_data__leads-100.csv")
    assert job.failed_rows > 0
    assert all(set(why) <= {"phone", "other_phone"} for why in reasons(job).values())


@needs_shared_data
def test_a_dolibarr_semicolon_csv_as_customers(customer_pool, pool_admin):
    path = DATA / "Dolibarr__dolibarr__Example_import_company_1.csv"
    job = run(pool_admin, path, entity="customer", pool=customer_pool.pk)
    assert (job.status, job.created, job.failed_rows) == ("done", 0, 1)
    assert "101010101" in reasons(job)[2]["phone"][0]
    # Leaving the bad column out lets the row in.
    job = run(
        pool_admin, path, entity="customer", pool=customer_pool.pk, mapping={"Phone (s.tel)": None}
    )
    customer = Customer.objects.get()
    assert (customer.name, customer.region) == ("MyBigCompanyImport1", "Big town")
    assert customer.email == "test@mycompany.com" and customer.pool == customer_pool


@needs_shared_data
def test_a_corrupt_legacy_xls_is_refused_up_front_saying_so(rep_east):
    with pytest.raises(imports.ValidationError) as error:
        run(rep_east, DATA / "waqas36__midrasolutions_module__crm_lead.xls")
    assert "damaged" in error.value.message_dict["file"][0]
    assert not Lead.objects.exists()


@needs_shared_data
def test_a_legacy_xls_without_a_name_column_imports_once_one_is_mapped(rep_east):
    # easyexcel's product sheet: no column names a person or a company.
    path = DATA / "alibaba__easyexcel__t01.xls"
    with pytest.raises(imports.ValidationError) as error:
        run(rep_east, path)
    assert "name" in error.value.message_dict["mapping"][0]
    job = run(rep_east, path, mapping={"品名*": "name", "备注": None})
    assert (job.status, job.total, job.created) == ("done", 1, 1)
    assert Lead.objects.get().name == "加大平垫圈"


def test_gbk_bom_semicolon_and_tab_csvs_import_alike(rep_east, tmp_path):
    rows = "姓名;手机;公司名称\r\n张伟;13800138000;华东机械\r\n"
    variants = {
        "gbk.csv": rows.replace(";", ",").encode("gbk"),
        "bom.csv": b"\xef\xbb\xbf" + rows.replace(";", ",").encode(),
        "semicolon.csv": rows.encode("gb18030"),
        "tab.txt": "\ufeff".encode("utf-16-le") + rows.replace(";", "\t").encode("utf-16-le"),
    }
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        job = run(rep_east, path, dedupe="create")
        assert (job.status, job.created) == ("done", 1), (name, job.error)
    assert set(Lead.objects.values_list("company", flat=True)) == {"华东机械"}
    assert Lead.objects.count() == 4


def test_xlsx_with_dates_long_phones_and_a_chosen_sheet(rep_east, tmp_path, level_field):
    import datetime

    workbook = Workbook()
    first = workbook.active
    first.title = "说明"
    first.append(["请在第二个工作表填写"])
    sheet = workbook.create_sheet("线索")
    sheet.append(["姓名", "手机号码", "下次跟进", "客户等级"])
    sheet.append(["张伟", 13800138000, datetime.datetime(2026, 12, 1, 9, 30), "A"])
    sheet.append(["李娜", 1.39001390e10, datetime.date(2026, 12, 2), "B"])
    path = tmp_path / "multi.xlsx"
    workbook.save(path)
    job = run(rep_east, path, sheet="线索", mapping={"下次跟进": None})
    assert (job.status, job.created, job.sheet) == ("done", 2, "线索")
    phones = sorted(Lead.objects.values_list("phone", flat=True))
    assert phones == ["13800138000", "13900139000"]  # digits, not 1.38E+10
    assert Lead.objects.get(name="李娜").custom == {"level": "B"}


def test_three_percent_bad_rows_and_in_file_duplicates(rep_east, tmp_path):
    lines = ["姓名,手机,邮箱"]
    for i in range(1000):
        phone = "12345" if i % 33 == 0 else f"1380013{i:04d}"
        lines.append(f"客户{i},{phone},")
    lines += ["重复一,13800130001,", "重复二,,a@b.cn", "重复三,,A@B.CN"]
    path = tmp_path / "messy.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    job = run(rep_east, path)
    bad = len(range(0, 1000, 33))
    assert job.failed_rows == bad
    assert (job.created, job.skipped) == (1000 - bad + 1, 2)
    assert job.total == job.created + job.skipped + job.failed_rows


def test_repeated_headers_map_the_first_column_and_say_so(rep_east, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("姓名,电话,电话\r\n张伟,13800138000,13900139000\r\n", encoding="utf-8")
    preview = imports.preview_import(by=rep_east, source=path, entity="lead")
    assert preview["duplicate_headers"] == ["电话"]
    job = run(rep_east, path)
    assert Lead.objects.get().phone == "13800138000" and job.created == 1


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(rep_east, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        # 110 MiB of zeros squeezed ~1000 times: past readers.py's ratio check.
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _chunk in range(110):
                part.write(bytes(1024**2))
    with pytest.raises(imports.ValidationError) as error:
        run(rep_east, path)
    assert "unpack" in error.value.message_dict["file"][0]


WORKSHEET_WITH_ENTITY = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    "</sheetData></worksheet>"
)


def test_an_xml_entity_bomb_is_refused(rep_east, tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    workbook = io.BytesIO()
    Workbook().save(workbook)
    source = zipfile.ZipFile(io.BytesIO(workbook.getvalue()))
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (laughs + WORKSHEET_WITH_ENTITY).encode()
            archive.writestr(item, data)
    with pytest.raises(imports.ValidationError) as error:
        run(rep_east, path)
    assert error.value.message_dict["file"]


def test_openpyxl_parses_xml_through_defusedxml():
    # openpyxl picks defusedxml up at import when it is installed (a dependency of ours).
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True
