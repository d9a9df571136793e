"""The API of duplicates: 409 with `duplicates`, allow_duplicate, groups, and merging."""

from __future__ import annotations

import pytest

from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import create_contact, create_customer
from tests.api.conftest import counts, ids, make_activity
from tests.conftest import World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db

MOBILE = "+8613800138000"


def test_create_answers_409_with_the_duplicates_and_writes_nothing(world: World, api_as) -> None:
    # given a customer of the East rep
    steel = make_customer(world.rep_east, name="华信钢铁有限公司", phone="+86 138 0013 8000")
    before = counts()

    # when the rep posts the same company with the number written otherwise
    response = api_as(world.rep_east).post(
        "/customers", {"name": "华信钢铁", "phone": "0086-138-0013-8000"}
    )

    # then 409 names the customer and both keys that matched; nothing was written
    assert response.status_code == 409
    body = response.json()
    assert body["duplicates"] == [
        {
            "customer_id": steel.pk,
            "name": "华信钢铁有限公司",
            "visible": True,
            "owner_id": world.rep_east.user_id,
            "owner_name": world.rep_east.user.username,
            "same_customer": False,
            "reasons": [
                {"kind": "name", "key": "华信钢铁", "contact_id": None},
                {"kind": "phone", "key": MOBILE, "contact_id": None},
            ],
        }
    ]
    assert body["detail"].startswith("A customer with the same phone")
    assert counts() == before


def test_allow_duplicate_creates_and_updates(world: World, api_as) -> None:
    make_customer(world.rep_east, name="Huaxin Steel", email="buy@huaxin.cn")
    api = api_as(world.rep_east)

    created = api.post("/customers", {"name": "Huaxin Steel Inc.", "allow_duplicate": True})
    assert created.status_code == 201, created.json()
    assert "allow_duplicate" not in created.json()

    other = make_customer(world.rep_east, name="Blue Lake")
    refused = api.patch(f"/customers/{other.pk}", {"version": 1, "email": "BUY@huaxin.cn"})
    assert refused.status_code == 409
    assert refused.json()["duplicates"][0]["reasons"] == [
        {"kind": "email", "key": "buy@huaxin.cn", "contact_id": None}
    ]
    allowed = api.patch(
        f"/customers/{other.pk}",
        {"version": 1, "email": "BUY@huaxin.cn", "allow_duplicate": True},
    )
    assert allowed.status_code == 200
    assert allowed.json()["version"] == 2


def test_a_stale_update_is_still_a_version_conflict(world: World, api_as) -> None:
    customer = make_customer(world.rep_east, name="Blue Lake")
    response = api_as(world.rep_east).patch(f"/customers/{customer.pk}", {"version": 7})
    assert response.status_code == 409
    assert response.json()["current_version"] == 1


def test_a_hidden_duplicate_is_told_by_its_owner_without_its_data(world: World, api_as) -> None:
    make_customer(world.rep_west, name="West Steel", phone="13800138000")
    response = api_as(world.rep_east).post(
        "/customers", {"name": "East Steel", "phone": "+86 138 0013 8000"}
    )
    assert response.status_code == 409
    assert response.json()["duplicates"] == [
        {
            "customer_id": None,
            "name": "",
            "visible": False,
            "owner_id": world.rep_west.user_id,
            "owner_name": world.rep_west.user.username,
            "same_customer": False,
            "reasons": [{"kind": "phone", "key": MOBILE, "contact_id": None}],
        }
    ]
    assert "West Steel" not in response.text


def test_contacts_answer_409_within_their_customer(world: World, api_as) -> None:
    customer = make_customer(world.admin, name="Huaxin Steel")
    li = make_contact(world.admin, customer, name="李雷")
    api = api_as(world.admin)
    body = {"customer_id": customer.pk, "name": " 李 雷 "}

    refused = api.post("/contacts", body)
    assert refused.status_code == 409
    [duplicate] = refused.json()["duplicates"]
    assert duplicate["same_customer"] is True
    assert duplicate["reasons"] == [{"kind": "contact", "key": "李雷", "contact_id": li.pk}]

    assert api.post("/contacts", {**body, "allow_duplicate": True}).status_code == 201
    assert Contact.objects.filter(customer=customer).count() == 2


def test_duplicates_of_a_customer(world: World, api_as) -> None:
    # given a customer whose contact's phone is another customer's own
    steel = make_customer(world.admin, name="Huaxin Steel", phone="13800138000")
    lake = make_customer(world.admin, name="Blue Lake")
    create_customer(world.admin, {"name": "Unrelated"})
    create_contact(
        world.admin,
        {"customer_id": lake.pk, "name": "Wang Fang", "phones": ["13800138000"]},
        allow_duplicate=True,
    )

    # then each is the other's duplicate, by that phone
    api = api_as(world.admin)
    of_lake = api.get(f"/customers/{lake.pk}/duplicates").json()
    assert [(d["customer_id"], d["reasons"]) for d in of_lake] == [
        (steel.pk, [{"kind": "phone", "key": MOBILE, "contact_id": None}])
    ]
    of_steel = api.get(f"/customers/{steel.pk}/duplicates").json()
    contact_id = Contact.objects.get(name="Wang Fang").pk
    assert [(d["customer_id"], d["reasons"]) for d in of_steel] == [
        (lake.pk, [{"kind": "phone", "key": MOBILE, "contact_id": contact_id}])
    ]


def test_groups_page_by_key_for_managers(world: World, api_as) -> None:
    # given three pairs of duplicates; the second pair shares two keys
    pairs = []
    for number in range(3):
        name = f"Company {number}"
        first = make_customer(world.rep_east, name=name, email=f"c{number}@x.cn")
        email = f"c{number}@x.cn" if number == 1 else ""
        second = create_customer(
            world.rep_shanghai, {"name": f"{name} Ltd", "email": email}, allow_duplicate=True
        )
        pairs.append([first.pk, second.pk])

    # when the East manager reads them two keys at a time
    api = api_as(world.east_manager)
    first_page = api.get("/customers/duplicate-groups", limit=2).json()
    second_page = api.get(
        "/customers/duplicate-groups", limit=2, cursor=first_page["next_cursor"]
    ).json()

    # then keys come in order, the e-mail c1@x.cn before the names, each with its customers
    assert [[k["key"] for k in g["keys"]] for g in first_page["items"]] == [
        ["c1@x.cn"],
        ["company0"],
    ]
    assert [ids(g["customers"]) for g in first_page["items"]] == [pairs[1], pairs[0]]
    assert [[k["key"] for k in g["keys"]] for g in second_page["items"]] == [
        ["company1"],
        ["company2"],
    ]
    assert [ids(g["customers"]) for g in second_page["items"]] == [pairs[1], pairs[2]]
    assert second_page["next_cursor"] is None
    # a rep may not list them; a manager of another team sees none of these
    assert api_as(world.rep_east).get("/customers/duplicate-groups").status_code == 403


def test_merge_moves_the_rows_and_answers_the_survivor(world: World, api_as) -> None:
    survivor = make_customer(world.admin, name="Huaxin Steel", industry="Steel")
    merged = create_customer(
        world.admin, {"name": "Huaxin Steel Ltd", "industry": "Metals"}, allow_duplicate=True
    )
    deal = make_deal(world.admin, merged)
    activity = make_activity(world.admin, merged)

    response = api_as(world.admin).post(
        "/customers/merge",
        {
            "survivor_id": survivor.pk,
            "survivor_version": 1,
            "merged": [{"id": merged.pk, "version": 1}],
            "choices": {"industry": merged.pk},
        },
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["industry"]) == (survivor.pk, "Metals")
    assert response.json()["version"] == 2
    deal.refresh_from_db()
    activity.refresh_from_db()
    assert deal.customer_id == activity.customer_id == survivor.pk
    assert not Customer.objects.filter(pk=merged.pk).exists()


def test_merge_with_a_stale_version_answers_409(world: World, api_as) -> None:
    survivor = make_customer(world.admin, name="A Co")
    merged = make_customer(world.admin, name="B Co")
    body = {"survivor_id": survivor.pk, "merged": [{"id": merged.pk, "version": 3}]}
    before = counts()
    response = api_as(world.admin).post("/customers/merge", body)
    assert response.status_code == 409
    assert response.json()["current_version"] == 1
    assert counts() == before


def test_merge_refuses_bad_choices_and_what_is_out_of_scope(
    world: World, other_world: World, api_as
) -> None:
    mine = make_customer(world.rep_east, name="A Co")
    theirs = make_customer(world.rep_west, name="B Co")
    foreign = make_customer(other_world.admin, name="C Co")
    api = api_as(world.rep_east)
    for other in (theirs, foreign):
        body = {"survivor_id": mine.pk, "merged": [{"id": other.pk}]}
        assert api.post("/customers/merge", body).status_code == 404
        assert api.get(f"/customers/{other.pk}/duplicates").status_code == 404
    second = make_customer(world.rep_east, name="D Co")
    bad = api.post(
        "/customers/merge",
        {"survivor_id": mine.pk, "merged": [{"id": second.pk}], "choices": {"name": foreign.pk}},
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["choices.name"]
    assert Customer.objects.filter(pk__in=[mine.pk, theirs.pk, second.pk]).count() == 3
