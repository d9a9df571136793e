"""Activities and tasks through the API: links, filters and owners."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.api.conftest import counts, ids, make_activity
from tests.conftest import World, make_contact, make_customer, make_deal

UTC = datetime.UTC


def at(day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, hour, tzinfo=UTC)


def test_create_a_task_linked_to_a_deal_and_contact(world: World, api_as) -> None:
    # given
    customer = make_customer(world.rep_east)
    deal = make_deal(world.rep_east, customer)
    contact = make_contact(world.rep_east, customer)

    # when: due at 10:00 in Shanghai
    response = api_as(world.rep_east).post(
        "/activities",
        {
            "kind": "task",
            "subject": "Send the contract",
            "customer_id": customer.pk,
            "deal_id": deal.pk,
            "contact_id": contact.pk,
            "due_at": "2025-03-04T10:00:00+08:00",
        },
    )

    # then: answered in UTC, 10:00 − 8 h = 02:00
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["due_at"] == "2025-03-04T02:00:00Z"
    assert (body["deal_id"], body["contact_id"]) == (deal.pk, contact.pk)
    assert (body["owner_id"], body["done_at"]) == (world.rep_east.user_id, None)


def test_a_deal_of_another_customer_is_422(world: World, api_as) -> None:
    # given
    deal = make_deal(world.admin)
    other_customer = make_customer(world.admin)
    before = counts()

    # when
    response = api_as(world.admin).post(
        "/activities",
        {"kind": "call", "subject": "X", "customer_id": other_customer.pk, "deal_id": deal.pk},
    )

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "deal_id", "message": "This deal belongs to another customer."}
    ]
    assert counts() == before


def test_a_naive_due_time_is_422(world: World, api_as) -> None:
    # given
    customer = make_customer(world.admin)

    # when
    response = api_as(world.admin).post(
        "/activities",
        {"kind": "task", "subject": "X", "customer_id": customer.pk, "due_at": "2025-03-04T10:00"},
    )

    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["due_at"]


def test_a_rep_may_not_give_an_activity_to_another_member(world: World, api_as) -> None:
    # given
    customer = make_customer(world.rep_east)
    before = counts()

    # when
    response = api_as(world.rep_east).post(
        "/activities",
        {
            "kind": "call",
            "subject": "X",
            "customer_id": customer.pk,
            "owner_id": world.rep_west.user_id,
        },
    )

    # then
    assert response.status_code == 403
    assert counts() == before


def test_marking_a_task_done(world: World, api_as) -> None:
    # given
    task = make_activity(world.rep_east, kind="task", due_at=at(4))

    # when
    response = api_as(world.rep_east).patch(
        f"/activities/{task.pk}",
        {"version": 1, "done_at": "2025-03-04T08:30:00Z", "outcome": "Signed"},
    )

    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["done_at"], response.json()["outcome"]) == (
        "2025-03-04T08:30:00Z",
        "Signed",
    )


@pytest.fixture
def agenda(world: World) -> dict[str, Any]:
    """Four activities of one customer and one of another, due on different days."""
    admin = world.admin
    customer = make_customer(admin)
    deal = make_deal(admin, customer)
    contact = make_contact(admin, customer)
    return {
        "call": make_activity(admin, customer, due_at=at(3), contact_id=contact.pk),
        "done": make_activity(admin, customer, kind="task", due_at=at(5), done_at=at(5, 11)),
        "meeting": make_activity(admin, customer, kind="meeting", due_at=at(7), deal_id=deal.pk),
        "note": make_activity(admin, customer, kind="note"),
        "rep": make_activity(world.rep_west, kind="task", due_at=at(5)),
        "customer": customer,
        "deal": deal,
        "contact": contact,
    }


def test_activity_filters(world: World, agenda: dict[str, Any], api_as) -> None:
    # given
    api = api_as(world.admin)
    a = {key: row.pk for key, row in agenda.items()}

    def found(**params: Any) -> set[int]:
        return set(ids(api.pages("/activities", **params)))

    # then
    mine = {a["call"], a["done"], a["meeting"], a["note"]}
    assert found(customer_id=a["customer"]) == mine
    assert found(deal_id=a["deal"]) == {a["meeting"]}
    assert found(contact_id=a["contact"]) == {a["call"]}
    assert found(owner_id=world.rep_west.user_id) == {a["rep"]}
    assert found(kind="task") == {a["done"], a["rep"]}
    assert found(done="true") == {a["done"]}
    assert found(done="false") == mine - {a["done"]} | {a["rep"]}
    assert found(due_before="2025-03-05T09:00:00Z") == {a["call"]}
    assert found(due_after="2025-03-05T09:00:00Z") == {a["done"], a["meeting"], a["rep"]}
    assert found(due_after="2025-03-04T00:00:00Z", due_before="2025-03-06T00:00:00Z") == {
        a["done"],
        a["rep"],
    }


def test_activities_by_due_time_put_unscheduled_ones_last(
    world: World, agenda: dict[str, Any], api_as
) -> None:
    # given: due 3rd (call), 5th (done, rep — same time, by id), 7th (meeting), none (note)
    a = {key: row.pk for key, row in agenda.items()}

    # when
    items = api_as(world.admin).pages("/activities", ordering="due_at", limit=2)

    # then
    assert ids(items) == [a["call"], a["done"], a["rep"], a["meeting"], a["note"]]
