"""The pool and notification endpoints: claims, releases, limits, history, rules, inbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from salesflow.core.notifications import Notice, notify
from salesflow.customers import pool
from tests.api.conftest import Api, counts, ids
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db


def in_pool(world: World, name: str = "Huaxin Steel") -> int:
    customer = make_customer(world.rep_east, name=name)
    pool.release_customer(world.rep_east, customer.pk, None, "Moved away")
    return customer.pk


def test_a_rep_finds_claims_and_releases_through_the_api(
    world: World, api_as: Callable[..., Api]
) -> None:
    # given two pool customers
    huaxin = in_pool(world, "Huaxin Steel")
    in_pool(world, "Blue Lake")
    rep = api_as(world.rep_west)

    # then the rep lists and searches the pool, which shows no owner
    listed = rep.pages("/pool")
    assert sorted(item["name"] for item in listed) == ["Blue Lake", "Huaxin Steel"]
    assert {item["owner_id"] for item in listed} == {None}
    assert ids(rep.pages("/pool", q="huaxin")) == [huaxin]

    # when they claim one, it is theirs and their claims left go down
    claimed = rep.post(f"/pool/{huaxin}/claim")
    assert claimed.status_code == 200, claimed.json()
    assert claimed.json()["owner_id"] == world.rep_west.user_id
    assert rep.get("/pool/claims").json() == {"made": 1, "limit": 10, "left": 9}
    assert rep.get(f"/customers/{huaxin}").status_code == 200

    # and a colleague claiming it now gets a 409
    late = api_as(world.rep_shanghai).post(f"/pool/{huaxin}/claim")
    assert late.status_code == 409
    assert "someone else took it first" in late.json()["detail"]

    # when the rep releases it without a reason, nothing changes; with one, it is back
    before = counts()
    bare = rep.post(f"/pool/{huaxin}/release", {"reason": ""})
    assert bare.status_code == 422
    assert bare.json()["errors"] == [
        {"field": "reason", "message": "Say why the customer goes to the public pool."}
    ]
    assert counts() == before
    released = rep.post(f"/pool/{huaxin}/release", {"reason": "Not our market"})
    assert released.status_code == 200
    assert released.json()["owner_id"] is None

    # and the history lists every step, newest first
    history = rep.pages("/pool/events", customer_id=huaxin)
    assert [(e["kind"], e["reason"]) for e in history] == [
        ("release", "Not our market"),
        ("claim", ""),
        ("release", "Moved away"),
    ]


def test_the_claim_limit_answers_422_naming_the_limit(
    world: World, api_as: Callable[..., Api]
) -> None:
    admin = api_as(world.admin)
    version = admin.get("/pool/rules").json()["version"]
    saved = admin.patch("/pool/rules", {"version": version, "claim_limit": 1})
    assert saved.status_code == 200
    assert saved.json()["claim_limit"] == 1
    first, second = in_pool(world, "One"), in_pool(world, "Two")
    rep = api_as(world.rep_west)
    assert rep.post(f"/pool/{first}/claim").status_code == 200

    refused = rep.post(f"/pool/{second}/claim")

    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "customer_id",
            "message": "You may claim 1 customer from the public pool a day and have reached "
            "that limit; claim again tomorrow.",
        }
    ]


def test_rules_are_the_admins_and_assignment_the_managers(
    world: World, api_as: Callable[..., Api]
) -> None:
    customer = in_pool(world)
    assert api_as(world.boss).patch("/pool/rules", {"version": 1}).status_code == 403
    assert (
        api_as(world.rep_west)
        .post(f"/pool/{customer}/assign", {"owner_id": world.rep_west.user_id})
        .status_code
        == 403
    )
    assigned = api_as(world.boss).post(
        f"/pool/{customer}/assign", {"owner_id": world.rep_west.user_id, "reason": "Local"}
    )
    assert assigned.status_code == 200
    assert assigned.json()["owner_id"] == world.rep_west.user_id


def test_customers_show_their_next_service_date_and_an_empty_owner_in_the_pool(
    world: World, api_as: Callable[..., Api]
) -> None:
    admin = api_as(world.admin)
    created = admin.post("/customers", {"name": "Red Hill", "next_service_on": "2027-03-01"})
    assert created.status_code == 201
    assert created.json()["next_service_on"] == "2027-03-01"
    customer = created.json()["id"]
    admin.post(f"/pool/{customer}/release", {"reason": "Nobody local"})
    assert admin.get(f"/customers/{customer}").json()["owner_id"] is None
    moved = admin.patch(
        f"/customers/{customer}", {"version": 2, "owner_id": world.rep_east.user_id}
    )
    assert moved.status_code == 422
    assert [e["field"] for e in moved.json()["errors"]] == ["owner_id"]


def test_notifications_are_one_own_inbox(
    world: World, other_world: World, api_as: Callable[..., Api]
) -> None:
    # given a notice for rep_east and one for their manager
    for actor in (world.rep_east, world.east_manager):
        notify(
            [
                Notice(
                    workspace_id=actor.workspace_id,
                    user_id=actor.user_id,
                    kind="test",
                    title="Service date for %(customer)s is today",
                    params={"customer": "Blue Lake"},
                    link="/customers/1/",
                )
            ]
        )
    rep, manager = api_as(world.rep_east), api_as(world.east_manager)

    # then each lists their own only, rendered
    mine = rep.pages("/notifications")
    assert [n["title"] for n in mine] == ["Service date for Blue Lake is today"]
    assert len(manager.pages("/notifications")) == 1
    # and nobody else may mark it read: not the manager, not another workspace
    notice = mine[0]["id"]
    assert manager.post(f"/notifications/{notice}/read").status_code == 404
    assert api_as(other_world.admin).post(f"/notifications/{notice}/read").status_code == 404
    # while its reader may
    read = rep.post(f"/notifications/{notice}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert rep.pages("/notifications", unread=True) == []
    assert manager.post("/notifications/read-all").json() == {"marked": 1}
