"""The main flows in a real browser: Debian's Chromium driven by Playwright, headless,
against a live server. One browser for the whole session, a fresh context per page.

Skipped, with the reason, where /usr/bin/chromium is missing (`.ci/run` installs it).
Screenshots of the main pages at desktop and phone widths go to test-artifacts/.
"""

from pathlib import Path

import pytest

# The session's browser and the `open_page` fixture live in conftest.py, so that every
# browser test module shares one Chromium.
from leadpool.web.tests.conftest import CHROMIUM, DESKTOP, PHONE

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Debian's Chromium at /usr/bin/chromium "
        "(apt-get install -y chromium)",
    ),
    # The live server reads what the test wrote: it must be committed.
    pytest.mark.django_db(transaction=True),
]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)


def tick(page, record) -> None:
    page.get_by_label(f"Tick {record.display_name}").check()


def test_log_in_and_come_back_to_the_page_asked_for(open_page, rep_east):
    # given
    page = open_page()
    # when
    page.goto("/customers/")
    shot(page, "login")
    page.get_by_label("Username").fill("rep_east")
    page.get_by_label("Password").fill("pw-rep_east")
    page.get_by_role("button", name="Log in").click()
    # then
    page.wait_for_url("**/customers/")
    assert page.get_by_role("heading", name="My customers").is_visible()


def test_claim_from_a_pool(open_page, member, lead_pool, make_lead):
    # given
    lead = make_lead(name="Wang Wu", company="Sunrise", pool=lead_pool)
    page = open_page(member)
    page.goto(f"/leads/pools/{lead_pool.pk}/")
    # when
    tick(page, lead)
    page.get_by_role("button", name="Claim", exact=True).first.click()
    # then
    summary = page.locator("#batch-result")
    summary.get_by_text("1 claimed").wait_for()
    lead.refresh_from_db()
    assert lead.owner == member


def test_the_daily_claim_limit_says_why(open_page, member, lead_pool, make_lead):
    # given
    lead_pool.claim_limit_per_day = 1
    lead_pool.save()
    make_lead(name="First", pool=lead_pool)
    make_lead(name="Second", pool=lead_pool)
    page = open_page(member)
    page.goto(f"/leads/pools/{lead_pool.pk}/")
    # when
    page.get_by_label("Tick all on this page").check()
    page.get_by_role("button", name="Claim", exact=True).first.click()
    # then
    page.locator("#batch-result").get_by_text(
        "1 claimed, 1 refused: Daily claim limit 1/1 reached"
    ).wait_for()
    assert page.locator("#batch-result li").count() == 1


def test_an_admin_assigns_and_reclaims(open_page, pool_admin, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(name="Zhao Liu", pool=lead_pool)
    page = open_page(pool_admin)
    page.goto(f"/leads/pools/{lead_pool.pk}/")
    # when assigned
    tick(page, lead)
    page.locator("summary", has_text="Assign").click()
    page.locator("select[name=to_user_assign]").select_option(str(rep_east.pk))
    page.locator("details[open] button[value=assign]").click()
    page.locator("#batch-result").get_by_text("1 assigned").wait_for()
    # then the list shows the new owner, and a reclaim takes it back
    page.locator("#results").get_by_text("Rep East").wait_for()
    lead.refresh_from_db()
    assert lead.owner == rep_east
    tick(page, lead)
    page.locator("summary", has_text="Reclaim").click()
    page.locator("input[name=reason_reclaim]").fill("No follow-up for a week")
    page.locator("details[open] button[value=reclaim]").click()
    page.locator("#batch-result").get_by_text("1 reclaimed").wait_for()
    lead.refresh_from_db()
    assert lead.owner is None


def test_return_with_a_reason(open_page, member, lead_pool, make_lead):
    # given
    lead_pool.return_reasons = ["无法联系", "无意向"]
    lead_pool.save()
    lead = make_lead(name="Sun Qi", pool=lead_pool, owner=member)
    page = open_page(member)
    page.goto(f"/leads/{lead.pk}/")
    # when
    page.get_by_label("Reason for returning").select_option("无意向")
    page.get_by_role("button", name="Return").click()
    # then
    page.get_by_text("1 returned").wait_for()
    lead.refresh_from_db()
    assert lead.owner is None
    assert lead.history.get(action="return").reason == "无意向"


def test_delete_and_restore(open_page, pool_admin, lead_pool, make_lead):
    # given
    lead = make_lead(name="Zhou Ba", pool=lead_pool)
    page = open_page(pool_admin)
    page.goto(f"/leads/pools/{lead_pool.pk}/")
    # when deleted
    tick(page, lead)
    page.locator("summary", has_text="Delete").click()
    page.locator("details[open] button[value=delete]").click()
    page.locator("#batch-result").get_by_text("1 deleted").wait_for()
    # then it waits in the recycle bin, from where it comes back
    page.get_by_role("link", name="Recycle bin").click()
    tick(page, lead)
    page.get_by_role("button", name="Restore").click()
    page.locator("#batch-result").get_by_text("1 restored").wait_for()
    lead.refresh_from_db()
    assert lead.is_deleted is False


def test_add_a_follow_up(open_page, rep_east, make_lead):
    # given
    lead = make_lead(name="Wu Jiu", owner=rep_east)
    page = open_page(rep_east)
    page.goto(f"/leads/{lead.pk}/")
    # when
    page.get_by_label("Kind").select_option("visit")
    page.get_by_label("What happened").fill("Visited the factory; wants a quote")
    page.get_by_role("button", name="Add follow-up").click()
    # then the timeline shows it without leaving the page
    page.locator("#followups .timeline").get_by_text("Visited the factory").wait_for()
    lead.refresh_from_db()
    assert lead.status == "following"


def test_switch_language(open_page, rep_east):
    # given
    page = open_page(rep_east)
    page.goto("/leads/")
    # when
    page.get_by_role("button", name="简体中文").click()
    # then
    page.wait_for_selector("html[lang=zh-hans]")
    shot(page, "my-leads-zh-hans")
    assert page.get_by_role("button", name="简体中文").get_attribute("aria-current") == "true"
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")


def test_claim_on_a_phone(open_page, member, lead_pool, make_lead):
    # given
    lead = make_lead(name="Zheng Shi", company="Harbour Co", pool=lead_pool)
    page = open_page(member, viewport=PHONE)
    page.goto("/leads/")
    # when: through the collapsed menu to the pool, then tick and claim
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Lead pools").click()
    page.get_by_role("link", name="Lead pool", exact=True).click()
    tick(page, lead)
    page.get_by_role("button", name="Claim", exact=True).first.click()
    # then
    page.locator("#batch-result").get_by_text("1 claimed").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    lead.refresh_from_db()
    assert lead.owner == member


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_main_pages(
    open_page, viewport, pool_admin, rep_east, lead_pool, make_lead
):
    # given
    lead = make_lead(name="Qian Shiyi", company="Golden Gate Trading", owner=pool_admin)
    lead.source, lead.region, lead.notes = "Website", "Shanghai", "Asked about prices"
    lead.save()
    for number in range(5):
        make_lead(name=f"Pool lead {number}", company=f"Company {number}", pool=lead_pool)
    page = open_page(pool_admin, viewport=viewport)
    pages = {
        "my-leads": "/leads/",
        "lead-pool": f"/leads/pools/{lead_pool.pk}/",
        "lead": f"/leads/{lead.pk}/",
        "new-lead": "/leads/new/",
        "notifications": "/notifications/",
        "recycle-bin": "/leads/recycle-bin/",
    }
    for name, url in pages.items():
        # when
        page.goto(url)
        shot(page, name)
        # then nothing is wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name


def test_convert_with_an_order(open_page, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(name="Feng Er", company="Eastwind", owner=rep_east, pool=lead_pool)
    page = open_page(rep_east)
    page.goto(f"/leads/{lead.pk}/")
    # when
    page.get_by_role("link", name="Convert into a customer").click()
    page.get_by_label("Record an order").check()
    page.get_by_label("Product").fill("Valves")
    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Unit price").fill("99")
    page.get_by_role("button", name="Convert").click()
    # then
    page.get_by_text("Converted into the customer “Eastwind”.").wait_for()
    lead.refresh_from_db()
    assert lead.customer.orders.get().amount == 297


def test_the_create_form_warns_of_a_duplicate_as_one_types(open_page, rep_east, make_lead):
    # given
    make_lead(name="Already Here", owner=rep_east, phone="13912345678")
    page = open_page(rep_east, viewport=PHONE)
    page.goto("/leads/new/")
    # when
    page.locator("input[name=phone]").press_sequentially("13912345678")
    # then
    page.locator("#duplicates").get_by_text("Already Here").wait_for()
    shot(page, "new-lead-duplicate")


GBK_CSV = "姓名,联络方式,公司名称,备注\r\n张伟,13800138000,华东机械,老客户\r\n李娜,12345,,\r\n"


def upload_gbk(page, *, pool=None) -> None:
    """The wizard's first step, through the form."""
    page.goto("/imports/new/")
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "线索.csv", "mimeType": "text/csv", "buffer": GBK_CSV.encode("gbk")}]
    )
    if pool is not None:
        page.get_by_label("Into the pool").select_option(str(pool.pk))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="Match the columns").wait_for()


@pytest.fixture
def immediate_tasks(settings):
    # No worker here: a queued import runs as soon as the request that queued it commits.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_import_a_gbk_csv_with_a_corrected_mapping(
    open_page, pool_admin, lead_pool, immediate_tasks
):
    # given
    from leadpool.leads.models import Lead

    page = open_page(pool_admin)
    upload_gbk(page, pool=lead_pool)
    assert page.get_by_text("GB18030").is_visible()
    # when the phone column, not recognised, is matched by hand, and a dry run made
    page.get_by_label("联络方式").select_option("phone")
    page.get_by_role("button", name="Dry run", exact=True).click()
    page.get_by_text("Would be created").wait_for()
    assert Lead.objects.count() == 0
    # then the import for real goes in, and its error file has the bad row and why
    page.get_by_role("button", name="Import for real").click()
    page.get_by_text("Undo this import").wait_for()
    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.pool) == ("张伟", "13800138000", lead_pool)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rows not imported (CSV)").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "李娜" in text and "12345" in text


def test_export_the_ticked_leads(open_page, rep_east, make_lead):
    # given
    wanted = make_lead(name="Export Me", company="Acme", owner=rep_east)
    make_lead(name="Leave Me", owner=rep_east)
    page = open_page(rep_east)
    page.goto("/leads/")
    # when
    tick(page, wanted)
    page.locator("summary", has_text="Export").click()
    shot(page, "export-dialog")
    with page.expect_download() as download:
        page.locator("details[open] button[value=export]").click()
    # then
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "Export Me" in text
    assert "Leave Me" not in text


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_dashboard_imports_and_pool_settings(
    open_page, viewport, admin, rep_east, lead_pool, make_lead
):
    # given
    lead_pool.reclaim_warning_days = 3
    lead_pool.save()
    from django.utils import timezone

    for number in range(4):
        make_lead(name=f"Waiting {number}", pool=lead_pool)
    make_lead(name="Held", pool=lead_pool, owner=rep_east, reclaim_at=timezone.now())
    make_lead(name="Due", owner=rep_east, next_followup_at=timezone.now())
    page = open_page(admin, viewport=viewport)
    pages = {
        "dashboard": "/dashboard/",
        "imports": "/imports/",
        "pool-settings": "/settings/pools/",
        "pool-settings-edit": f"/settings/pools/{lead_pool.pk}/",
        "pool-transfer": f"/settings/pools/{lead_pool.pk}/transfer/",
    }
    for name, url in pages.items():
        # when
        page.goto(url)
        shot(page, name)
        # then nothing is wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
    page.goto("/imports/new/")
    shot(page, "import-upload")
    upload_gbk(page)
    shot(page, "import-preview")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_the_progress_bar_follows_a_queued_import_until_it_ends(open_page, rep_east):
    # given an import queued for a worker (none runs here)
    from leadpool.transfer.imports import run_import
    from leadpool.transfer.models import ImportJob

    page = open_page(rep_east, viewport=PHONE)
    upload_gbk(page)
    page.get_by_label("联络方式").select_option("phone")
    page.get_by_role("button", name="Import now, without a dry run").click()
    page.get_by_text("Waiting for a worker to read the file…").wait_for()
    shot(page, "import-queued")
    # when the worker runs it
    run_import(ImportJob.objects.get().pk)
    # then the page, polling, shows the summary without a reload
    page.get_by_text("Undo this import").wait_for()
    assert page.locator("progress.import-progress").get_attribute("value") == "100"
    assert page.locator("#import-job[hx-trigger]").count() == 0
    shot(page, "import-done")


def test_log_a_call_on_the_record_page(open_page, rep_east, make_lead):
    # given
    lead = make_lead(name="Chen Yi", owner=rep_east)
    page = open_page(rep_east, viewport=PHONE)
    page.goto(f"/leads/{lead.pk}/")
    # when
    page.locator("summary", has_text="Log a call").click()
    page.get_by_label("Outcome").select_option("answered")
    page.get_by_label("Duration (seconds)").fill("120")
    page.locator("#calls").get_by_label("Notes").fill("Asked for a catalogue")
    page.get_by_role("button", name="Save the call").click()
    # then the calls list shows it without leaving the page
    page.locator("#calls .timeline").get_by_text("Asked for a catalogue").wait_for()
    shot(page, "lead-call-logged")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    lead.refresh_from_db()
    assert lead.status == "following"
