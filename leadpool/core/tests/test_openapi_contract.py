"""The live OpenAPI schema, fuzzed with schemathesis: no 5xx, no response that breaks it.

Every operation is called with generated (valid and invalid) input as a system admin
over the WSGI app in-process, with bounded examples so CI stays fast.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from leadpool.wsgi import application

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def admin_token(admin, lead_pool, customer_pool, make_lead, make_customer, rep_east, settings):
    # Throttling would answer 429 to a fuzzer's bursts; it has its own tests.
    settings.LEADPOOL_RATES = {"login_ip": None, "login_username": None, "write": None}
    settings.ALLOWED_HOSTS = ["*"]
    for _ in range(3):
        make_lead(pool=lead_pool)
        make_lead(owner=rep_east, pool=lead_pool)
        make_customer(pool=customer_pool)
    return Token.objects.create(user=admin).key


@pytest.fixture
def keep_test_connection():
    """Calls into the WSGI app fire request_started/finished, whose handler closes the
    database connection: the test's transaction would die with it. Django's own test
    client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_honours_its_schema(admin_token, keep_test_connection):
    # given: the schema the server publishes
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = {"Authorization": f"Token {admin_token}"}
    failures = []
    # when: each operation is called with generated input
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # collect every operation's failure, not the first
            failures.append(f"{operation.label}: {error}")
    # then
    assert len(operations) >= 50
    assert failures == [], "\n\n".join(failures)
