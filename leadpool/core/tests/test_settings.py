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


def _leadpool(tmp_path, *args: str, **env: str):
    import os
    import subprocess
    import sys

    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LEADPOOL_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "leadpool.settings",
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "leadpool", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "-production-secret-of-enough-length-and-variety-0123456789",
    "ALLOWED_HOSTS": "crm.example.com",
    "LEADPOOL_HTTPS": "true",
}


def test_production_settings_pass_djangos_deployment_checks(tmp_path):
    result = _leadpool(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_turns_on_secure_cookies_redirect_and_hsts(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS)"
    )
    result = _leadpool(tmp_path, "shell", "--no-imports", "-c", script, **PRODUCTION)
    assert result.stdout.split() == ["True", "True", "True", "31536000"], result.stderr
    plain = _leadpool(
        tmp_path, "shell", "--no-imports", "-c", script, **{**PRODUCTION, "LEADPOOL_HTTPS": "false"}
    )
    assert plain.stdout.split() == ["False", "False", "False", "0"], plain.stderr
