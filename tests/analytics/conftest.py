"""A clock the deal services read, so histories can be written at chosen moments."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from salesflow.pipeline.models import Stage
from tests.conftest import World


class Clock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)

    def at(self, month: int, day: int, hour: int = 2) -> None:
        """Set the clock to that day of 2026, at the hour in UTC (10:00 in Shanghai at 02:00)."""
        self.now = datetime.datetime(2026, month, day, hour, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def free_world(world: World) -> World:
    """The world's pipeline without exit criteria, so histories need no paperwork."""
    Stage.objects.filter(workspace_id=world.admin.workspace_id).update(
        exit_fields=[], exit_checklist=[]
    )
    return world
