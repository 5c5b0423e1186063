"""Web test helpers. The personas and record makers are the root conftest.py's."""

import pytest
from django.test import Client


@pytest.fixture
def client_for(db):
    """A test client logged in as `user`: client_for(rep_east)."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
