"""Production settings (``BEHIND_TLS_PROXY`` on) pass ``manage.py check --deploy`` with no
warning, and responses carry the security headers; ``/healthz`` still answers plain HTTP."""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "marlin" / "settings.py"
SECURITY_SETTINGS = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MARLIN_", "SECURE_", "CELERY_", "DJANGO_SETTINGS"))
    }
    return {
        **env,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "BEHIND_TLS_PROXY": "1",
        "ALLOWED_HOSTS": "marlin.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **overrides,
    }


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What marlin/settings.py makes of this environment, read afresh."""
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    values = runpy.run_path(str(SETTINGS_FILE))
    return {name: values[name] for name in SECURITY_SETTINGS}


def test_manage_py_check_deploy_passes_with_no_warning_behind_the_tls_proxy(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=SETTINGS_FILE.parents[1],
        env={**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "marlin.settings"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deployment_checks_find_nothing_in_the_production_settings(tmp_path, monkeypatch) -> None:
    production = settings_from(production_env(tmp_path), monkeypatch)

    with override_settings(**production):
        issues = run_checks(include_deployment_checks=True)

    assert issues == []


def test_behind_the_proxy_https_and_hsts_are_on_by_default_and_configurable(tmp_path, monkeypatch) -> None:
    defaults = settings_from(production_env(tmp_path), monkeypatch)
    tuned = settings_from(
        production_env(
            tmp_path,
            MARLIN_SSL_REDIRECT="0",
            MARLIN_HSTS_SECONDS="3600",
            MARLIN_HSTS_INCLUDE_SUBDOMAINS="0",
            MARLIN_HSTS_PRELOAD="0",
        ),
        monkeypatch,
    )
    plain = settings_from(production_env(tmp_path, BEHIND_TLS_PROXY="0"), monkeypatch)

    assert defaults["SECURE_SSL_REDIRECT"] is True
    assert defaults["SECURE_HSTS_SECONDS"] == 31_536_000
    assert defaults["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert defaults["SECURE_HSTS_PRELOAD"] is True
    assert (tuned["SECURE_SSL_REDIRECT"], tuned["SECURE_HSTS_SECONDS"]) == (False, 3600)
    assert (tuned["SECURE_HSTS_INCLUDE_SUBDOMAINS"], tuned["SECURE_HSTS_PRELOAD"]) == (False, False)
    assert (plain["SECURE_SSL_REDIRECT"], plain["SECURE_HSTS_SECONDS"]) == (False, 0)
    assert (plain["SESSION_COOKIE_SECURE"], plain["SECURE_PROXY_SSL_HEADER"]) == (False, None)


def test_responses_carry_the_security_headers_and_hsts_over_https(tmp_path, monkeypatch) -> None:
    production = settings_from(production_env(tmp_path), monkeypatch)
    ops = client_for(make_user("ops"))

    with override_settings(**production):
        response = ops.get("/api/v1/me/", HTTP_HOST="marlin.example.com", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_plain_http_is_redirected_to_https_except_the_health_check(tmp_path, monkeypatch, api_client) -> None:
    production = settings_from(production_env(tmp_path), monkeypatch)

    with override_settings(**production):
        api = api_client.get("/api/v1/me/", HTTP_HOST="marlin.example.com")
        health = api_client.get("/healthz", HTTP_HOST="marlin.example.com")
        sneaky = api_client.get("/healthz%0A", HTTP_HOST="marlin.example.com")

    assert api.status_code == 301
    assert api["Location"] == "https://marlin.example.com/api/v1/me/"
    assert health.status_code == 200
    assert sneaky.status_code == 301
