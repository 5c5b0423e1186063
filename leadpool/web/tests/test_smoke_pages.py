import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("web:records", ["leads"]),
        ("web:records_all", ["leads"]),
        ("web:pools", ["leads"]),
        ("web:records", ["customers"]),
        ("web:pools", ["customers"]),
        ("web:recycle_bin", ["leads"]),
        ("web:record_create", ["leads"]),
        ("web:notifications", []),
        ("web:password_change", []),
        ("web:dashboard", []),
        ("web:dashboard_kind", ["customers"]),
        ("web:imports", []),
        ("web:import_upload", []),
        ("web:pool_settings_list", []),
    ],
)
def test_every_page_renders_for_a_logged_in_user(client_for, pool_admin, lead_pool, name, args):
    # when
    response = client_for(pool_admin).get(reverse(name, args=args))
    # then
    assert response.status_code == 200
