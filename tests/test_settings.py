"""Settings come from the environment; each case imports them in a fresh interpreter."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "secret_key": settings.SECRET_KEY,
    "debug": settings.DEBUG,
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST", ""),
    "user": db.get("USER", ""),
    "language": settings.LANGUAGE_CODE,
    "time_zone": settings.TIME_ZONE,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
}))
"""

SQLITE_PRAGMAS = """
import json
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal_mode = cursor.fetchone()[0]
    cursor.execute("PRAGMA foreign_keys")
    foreign_keys = cursor.fetchone()[0]
print(json.dumps({"journal_mode": journal_mode, "foreign_keys": foreign_keys}))
"""


def run_python(code: str, cwd: Path, **env: str) -> dict[str, Any]:
    """Runs `code` with Salesflow's settings and only the given SALESFLOW_* / DATABASE_URL."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SALESFLOW_") and name != "DATABASE_URL"
    }
    clean["DJANGO_SETTINGS_MODULE"] = "salesflow.settings"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# A Fernet key (32 bytes, URL-safe base64), which a site served to people must configure.
FIELD_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def settings_for(tmp_path: Path, **env: str) -> dict[str, Any]:
    return run_python(PRINT_SETTINGS, tmp_path, SALESFLOW_VAR_DIR=str(tmp_path / "var"), **env)


def test_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = settings_for(tmp_path)["secret_key"]
    second = settings_for(tmp_path)["secret_key"]

    key_file = tmp_path / "var" / "secret_key"
    assert first == second
    assert len(first) >= 50
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_from_the_environment_wins(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, SALESFLOW_SECRET_KEY="from-the-environment", SALESFLOW_FIELD_KEYS=FIELD_KEY
    )

    assert settings["secret_key"] == "from-the-environment"
    assert not (tmp_path / "var" / "secret_key").exists()


def test_debug_is_off_by_default(tmp_path: Path) -> None:
    assert settings_for(tmp_path)["debug"] is False


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("0", False)])
def test_debug_follows_salesflow_debug(tmp_path: Path, value: str, expected: bool) -> None:
    assert settings_for(tmp_path, SALESFLOW_DEBUG=value)["debug"] is expected


def test_postgres_database_url_selects_postgresql(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, DATABASE_URL="postgres://sales@db.example:5432/crm")

    assert settings["engine"] == "django.db.backends.postgresql"
    assert (settings["name"], settings["host"], settings["user"]) == ("crm", "db.example", "sales")


def test_sqlite_is_the_default_in_var_under_the_working_directory(tmp_path: Path) -> None:
    settings = run_python(PRINT_SETTINGS, tmp_path)

    assert settings["engine"] == "django.db.backends.sqlite3"
    assert Path(settings["name"]) == (tmp_path / "var" / "salesflow.sqlite3").resolve()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    pragmas = run_python(SQLITE_PRAGMAS, tmp_path, SALESFLOW_VAR_DIR=str(tmp_path / "var"))

    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1}
    assert (tmp_path / "var" / "salesflow.sqlite3").is_file()


def test_defaults_for_language_time_zone_hosts_and_cookies(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)

    assert settings["language"] == "zh-hans"
    assert settings["time_zone"] == "Asia/Shanghai"
    assert settings["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert settings["csrf_trusted_origins"] == []
    assert settings["secure_cookies"] is False


def test_environment_overrides_language_time_zone_hosts_and_cookies(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        SALESFLOW_LANGUAGE="en",
        SALESFLOW_TIME_ZONE="Europe/Berlin",
        SALESFLOW_ALLOWED_HOSTS="crm.example.com, .example.org",
        SALESFLOW_CSRF_TRUSTED_ORIGINS="https://crm.example.com",
        SALESFLOW_SECURE_COOKIES="1",
        SALESFLOW_FIELD_KEYS=FIELD_KEY,
    )

    assert settings["language"] == "en"
    assert settings["time_zone"] == "Europe/Berlin"
    assert settings["allowed_hosts"] == ["crm.example.com", ".example.org"]
    assert settings["csrf_trusted_origins"] == ["https://crm.example.com"]
    assert settings["secure_cookies"] is True
