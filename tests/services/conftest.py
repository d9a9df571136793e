"""Fixtures and hooks for the service-layer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import translation


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that need real concurrent connections cannot run on SQLite's test database."""
    if item.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (row locks and truly concurrent connections); "
            "set DATABASE_URL=postgres://... to run it"
        )


@pytest.fixture(autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Each `world` creates six logins; a cheap hasher keeps that from dominating the run."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared word for word in English (the site's default is Chinese); a test
    of the Chinese text overrides the language itself."""
    with translation.override("en"):
        yield
