import pytest
from django.core.exceptions import ImproperlyConfigured

from leadpool import settings as leadpool_settings


def test_secret_key_is_generated_once_and_kept(tmp_path):
    # given
    path = tmp_path / "var" / "secret_key"
    # when
    first = leadpool_settings.load_or_create_secret_key(path)
    second = leadpool_settings.load_or_create_secret_key(path)
    # then
    assert first == second
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)]
)
def test_booleans_are_read_from_the_environment(monkeypatch, raw, expected):
    # given
    monkeypatch.setenv("LEADPOOL_FLAG", raw)
    # then
    assert leadpool_settings.env_bool("LEADPOOL_FLAG", not expected) is expected


def test_a_malformed_boolean_is_a_clear_error(monkeypatch):
    # given
    monkeypatch.setenv("DEBUG", "maybe")
    # then
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        leadpool_settings.env_bool("DEBUG", False)


def test_debug_is_off_and_time_is_stored_in_utc_by_default(settings):
    assert leadpool_settings.DEBUG is False
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Asia/Shanghai"
