"""The Settings pages and My preferences in a real browser (see test_browser.py): an admin
defines a custom field and a user, a rep switches LeadPool to Chinese; screenshots of every
new page at desktop and phone widths go to test-artifacts/."""

import pytest

from leadpool.accounts.models import User
from leadpool.fields.models import CustomField
from leadpool.web.tests.conftest import CHROMIUM, DESKTOP, PHONE
from leadpool.web.tests.test_browser import shot

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Debian's Chromium at /usr/bin/chromium "
        "(apt-get install -y chromium)",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_an_admin_creates_a_custom_field_and_a_user(open_page, admin, departments):
    # given
    page = open_page(admin)
    page.goto("/dashboard/")
    # when: a lead field, from the navigation
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("heading", name="Custom fields").get_by_role("link").click()
    page.get_by_role("link", name="New lead field").click()
    page.get_by_label("Key").fill("industry_level")
    page.get_by_label("Label").fill("行业等级")
    page.get_by_label("Type").select_option("choice")
    page.get_by_label("Choices").fill("A\nB\nC")
    page.get_by_label("Required").check()
    page.get_by_role("button", name="Create the field").click()
    # then
    page.get_by_text("Created the field “行业等级”.").wait_for()
    shot(page, "settings-fields")
    field = CustomField.objects.get(key="industry_level")
    assert (field.entity, field.choices, field.is_required) == ("lead", ["A", "B", "C"], True)

    # when: a user
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("zhao_min")
    page.get_by_label("Display name").fill("赵敏")
    page.get_by_label("E-mail").fill("zhao.min@example.com")
    page.get_by_label("Role").select_option("sales")
    page.get_by_label("Department").select_option(label="HQ / West Sales")
    page.get_by_label("Password").fill("Sturdy-passphrase-42")
    page.get_by_role("button", name="Create the user").click()
    # then
    page.get_by_text("Created the user “赵敏”.").wait_for()
    person = User.objects.get(username="zhao_min")
    assert (person.department, person.role) == (departments["west"], "sales")
    assert person.check_password("Sturdy-passphrase-42")


def test_a_rep_switches_to_chinese_in_their_preferences(open_page, rep_east):
    # given
    page = open_page(rep_east, viewport=PHONE)
    page.goto("/leads/")
    # when: through the phone menu and the user menu
    page.get_by_role("button", name="Menu").click()
    page.get_by_text("Rep East").click()
    page.get_by_role("link", name="My preferences").click()
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_label("Follow-up due").check()
    page.get_by_role("button", name="Save").click()
    # then the next page, and every one after, is in Chinese
    page.wait_for_selector("html[lang=zh-hans]")
    shot(page, "preferences-zh-hans")
    page.goto("/leads/")
    page.get_by_role("button", name="菜单").click()  # "Menu"
    assert page.get_by_role("link", name="我的线索").is_visible()  # "My leads"
    rep_east.refresh_from_db()
    assert (rep_east.language, rep_east.email_notifications) == ("zh-hans", ["followup_due"])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_settings_pages(
    open_page, viewport, admin, rep_east, lead_pool, level_field, make_lead
):
    # given
    from leadpool.leads.models import Lead
    from leadpool.pools.services import return_records

    grade = CustomField.objects.create(
        entity="customer", key="grade", label="Grade", type="choice", choices=["A", "B"]
    )
    lead_pool.return_reasons = ["无法联系", "无意向"]
    lead_pool.save()
    held = [make_lead(pool=lead_pool, owner=rep_east) for _ in range(3)]
    return_records(model=Lead, ids=[held[0].pk, held[1].pk], by=rep_east, reason="无法联系")
    return_records(model=Lead, ids=[held[2].pk], by=rep_east, reason="无意向")
    page = open_page(admin, viewport=viewport)
    pages = {
        "settings": "/settings/",
        "settings-users": "/settings/users/",
        "settings-user": f"/settings/users/{rep_east.pk}/",
        "settings-departments": "/settings/departments/",
        "settings-department": f"/settings/departments/{rep_east.department_id}/",
        "settings-fields-lead": "/settings/fields/lead/",
        "settings-field": f"/settings/fields/lead/{level_field.pk}/",
        "settings-field-new": "/settings/fields/customer/new/",
        "settings-mapping": "/settings/mapping/",
        "preferences": "/settings/me/",
        "dashboard-returns": "/dashboard/",
    }
    for name, url in pages.items():
        # when
        page.goto(url)
        shot(page, name)
        # then nothing is wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
    assert page.locator("#return-reasons svg rect").count() == 2
    assert grade.label in page.goto("/settings/mapping/").text()
