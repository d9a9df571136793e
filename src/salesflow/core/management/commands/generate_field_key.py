"""`salesflow generate_field_key`: a new key for SALESFLOW_FIELD_KEYS, printed alone."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Print a new random key for the protected fields. Put it first in "
        "SALESFLOW_FIELD_KEYS, keep the older keys after it, restart, then run "
        "`salesflow rotate_field_key`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(Fernet.generate_key().decode())
