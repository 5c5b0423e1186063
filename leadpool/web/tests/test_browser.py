"""The main flows in a real browser: Debian's Chromium driven by Playwright, headless,
against a live server. One browser for the whole session, a fresh context per page.

Skipped, with the reason, where /usr/bin/chromium is missing (`.ci/run` installs it).
Screenshots of the main pages at desktop and phone widths go to test-artifacts/.
"""

import os
from pathlib import Path

import pytest
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Debian's Chromium at /usr/bin/chromium "
        "(apt-get install -y chromium)",
    ),
    # The live server reads what the test wrote: it must be committed.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread, and Django refuses ORM
    # calls from a thread with a running loop. Here it is safe: the loop only drives the
    # browser, and the tests' own queries run between its steps.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    # --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
    )
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server):
    """open_page(user, viewport=PHONE) → a page logged in as `user` (None: logged out)."""
    contexts = []

    def open_as(user=None, *, viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="en-US", base_url=live_server.url)
        contexts.append(context)
        if user is not None:
            # Logging in through the form is tested once; elsewhere, a session cookie.
            client = Client()
            client.force_login(user)
            session = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_as
    for context in contexts:
        # Let requests in flight (the list reloading after a batch) finish first: the
        # live server would otherwise still be in them while the database is flushed.
        for page in context.pages:
            page.wait_for_load_state("networkidle")
        context.close()


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
