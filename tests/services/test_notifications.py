"""Notifications: each member reads and dismisses only their own; a keyed notice comes once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from salesflow.core import notifications
from salesflow.core.errors import NotFound
from salesflow.core.notifications import Notice, notify
from salesflow.core.scoping import Actor
from tests.conftest import World

pytestmark = pytest.mark.django_db


def tell(actor: Actor, title: str = "Hello %(name)s", key: str = "") -> int:
    return notify(
        [
            Notice(
                workspace_id=actor.workspace_id,
                user_id=actor.user_id,
                kind="test",
                title=title,
                params={"name": actor.user.username},
                dedupe_key=key,
            )
        ]
    )


def test_each_member_reads_only_their_own_whatever_their_role(
    world: World, other_world: World
) -> None:
    # given a notice for rep_east, one for their manager and one in another workspace
    tell(world.rep_east)
    tell(world.east_manager)
    tell(other_world.rep_east)
    rep_notice = notifications.mine(world.rep_east).get()
    foreign = notifications.mine(other_world.rep_east).get()

    # then the manager and the admin do not see the rep's notice, nor can they mark it read
    assert [n.user_id for n in notifications.mine(world.east_manager)] == [
        world.east_manager.user_id
    ]
    assert notifications.unread_count(world.admin) == 0
    for outsider in (world.east_manager, world.admin, world.rep_west):
        with pytest.raises(NotFound):
            notifications.mark_read(outsider, rep_notice.pk)
    with pytest.raises(NotFound):
        notifications.mark_read(world.rep_east, foreign.pk)

    # and marking all read touches only one's own
    assert notifications.mark_all_read(world.east_manager) == 1
    assert notifications.unread_count(world.rep_east) == 1
    assert notifications.mark_read(world.rep_east, rep_notice.pk).read_at is not None
    assert notifications.unread_count(world.rep_east) == 0


def test_a_keyed_notice_is_given_once_per_member(world: World) -> None:
    assert tell(world.rep_east, key="birthday:1:2027-02-25:day") == 1
    assert tell(world.rep_east, key="birthday:1:2027-02-25:day") == 0
    assert tell(world.rep_west, key="birthday:1:2027-02-25:day") == 1
    assert tell(world.rep_east) + tell(world.rep_east) == 2  # no key: every notice counts


def test_a_notice_renders_in_the_reader_language_with_the_day_in_its_format(
    world: World,
) -> None:
    notify(
        [
            Notice(
                workspace_id=world.rep_east.workspace_id,
                user_id=world.rep_east.user_id,
                kind="test",
                title="Service date for %(customer)s: %(on)s",
                params={"customer": "Blue Lake"},
                on=datetime.date(2027, 2, 28),
            )
        ]
    )
    notice = notifications.latest(world.rep_east)[0]
    with translation.override("en"):
        assert notifications.render(notice) == ("Service date for Blue Lake: 02/28/2027", "")
    with translation.override("zh-hans"):
        title, _text = notifications.render(notice)
    # The day follows the language even before the title's translation is compiled.
    assert title.endswith("2027年2月28日")
