"""SALESFLOW_FIELD_KEYS: the keys of the protected fields, newest first, or a trial's default."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.test_settings import FIELD_KEY, run_python

PRINT_KEYS = """
import json
from django.conf import settings
print(json.dumps({"keys": settings.FIELD_KEYS, "secret_key": settings.SECRET_KEY}))
"""
OLDER_KEY = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="


def keys_for(tmp_path: Path, **env: str) -> dict[str, object]:
    return run_python(PRINT_KEYS, tmp_path, SALESFLOW_VAR_DIR=str(tmp_path / "var"), **env)


def test_a_trial_derives_its_key_from_the_secret_key(tmp_path: Path) -> None:
    # when no key is configured on a site that is not served to people
    found = keys_for(tmp_path)

    # then the one key is the SHA-256 of a label and the generated secret key
    secret = str(found["secret_key"]).encode()
    expected = hashlib.sha256(b"salesflow protected fields\0" + secret).digest()
    assert found["keys"] == [base64.urlsafe_b64encode(expected).decode()]


def test_configured_keys_come_newest_first(tmp_path: Path) -> None:
    found = keys_for(tmp_path, SALESFLOW_FIELD_KEYS=f" {FIELD_KEY} , {OLDER_KEY} ")

    assert found["keys"] == [FIELD_KEY, OLDER_KEY]


@pytest.mark.parametrize(
    "served",
    [{"SALESFLOW_SECURE_COOKIES": "1"}, {"SALESFLOW_SECRET_KEY": "from-the-environment"}],
)
def test_a_served_site_without_keys_refuses_to_start(
    tmp_path: Path, served: dict[str, str]
) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        keys_for(tmp_path, **served)

    assert "SALESFLOW_FIELD_KEYS is not set" in refused.value.stderr


def test_a_key_that_is_not_a_fernet_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        keys_for(tmp_path, SALESFLOW_FIELD_KEYS=f"{FIELD_KEY},not-a-key")

    assert "SALESFLOW_FIELD_KEYS: key 2 is not a Fernet key" in refused.value.stderr
