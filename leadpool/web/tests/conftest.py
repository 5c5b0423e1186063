"""Web test helpers. The personas and record makers are the root conftest.py's."""

import os
from pathlib import Path

import pytest
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def client_for(db):
    """A test client logged in as `user`: client_for(rep_east)."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def level_field(db):
    """A custom field of leads: 客户等级 (level), a single choice of A or B."""
    from leadpool.fields.models import CustomField

    return CustomField.objects.create(
        entity="lead",
        key="level",
        label="客户等级",
        type=CustomField.Type.CHOICE,
        choices=["A", "B"],
    )


# --- the browser tests' (test_browser*.py): one Chromium a module ------------------------


# A module's, not the session's: Playwright's event loop, left running in this thread,
# would hand later tests a database connection in an asyncio context (Django's
# connections are context-local) that the test database's teardown never closes, and
# dropping that database then failed on the lingering session.
@pytest.fixture(scope="module")
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
