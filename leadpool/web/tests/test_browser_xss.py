"""Stored XSS (issue 10): a lead whose fields carry markup, shown on every page that shows
it, in a real browser. Nothing runs: the markup is text."""

from leadpool.history.models import Notification
from leadpool.history.services import notify

# The marks of the main browser tests; their browser fixtures are in conftest.py (one
# Chromium per session).
from leadpool.web.tests.test_browser import pytestmark  # noqa: F401

PAYLOAD = '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">'
SCRIPT = "<script>window.__xss = (window.__xss || 0) + 1</script>"


def test_markup_in_a_lead_never_runs_on_any_page(
    open_page,
    rep_east,
    pool_admin,
    lead_pool,
    make_lead,
):
    lead = make_lead(
        name=PAYLOAD, company=SCRIPT, source=PAYLOAD, notes=SCRIPT, owner=rep_east, pool=lead_pool
    )
    notify([rep_east], kind=Notification.Kind.ASSIGNED, record=lead, actor=pool_admin)
    page = open_page(rep_east)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in ("/leads/", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/", "/notifications/",
                 f"/leads/pools/{lead_pool.pk}/", "/dashboard/"):  # fmt: skip
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss || 0") == 0, path
        assert page.locator("img[src='x']").count() == 0, path
    # The text is shown as typed.
    page.goto(f"/leads/{lead.pk}/")
    assert page.get_by_text(PAYLOAD).first.is_visible()
    assert not dialogs
