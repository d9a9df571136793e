"""Filtering customers, contacts and deals by custom fields, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from salesflow.core.errors import ValidationFailed
from salesflow.customers import queries
from salesflow.customers.customfield_services import create_field
from salesflow.customers.queries import ContactFilter, CustomerFilter
from salesflow.pipeline import queries as deal_queries
from salesflow.pipeline.queries import DealFilter
from tests.conftest import World, make_contact, make_customer, make_deal
from tests.services.support import error_pairs

pytestmark = pytest.mark.django_db

OPTIONS = [{"key": "erp", "label": "ERP"}, {"key": "crm", "label": "CRM"}]


@pytest.fixture
def world_with_fields(world: World) -> World:
    for key, kind, extra in (
        ("seats", "number", {}),
        ("budget", "money", {}),
        ("renewal", "date", {}),
        ("vip", "yes_no", {}),
        ("code", "text", {}),
        ("region", "single_choice", {"options": [{"key": "east", "label": "East"}]}),
        ("products", "multiple_choice", {"options": OPTIONS}),
    ):
        create_field(
            world.admin,
            {"entity": "customer", "key": key, "label": key.title(), "type": kind, **extra},
        )
    return world


def names(actor: Any, **params: str) -> list[str]:
    custom = {f"cf.{name}": value for name, value in params.items()}
    rows = queries.customers(actor, CustomerFilter(), custom)
    return sorted(c.name for c in rows)  # type: ignore[union-attr]


def test_numbers_compare_as_numbers_not_as_text(world_with_fields: World) -> None:
    # given 9, 10 and 100 seats: as text "9" > "10" > "100", as numbers 9 < 10 < 100
    world = world_with_fields
    for name, seats in (("Nine", "9"), ("Ten", "10"), ("Hundred", "100"), ("None", None)):
        make_customer(world.admin, name=name, custom={"seats": seats})

    # then the ranges follow the numbers
    assert names(world.admin, seats__gte="10") == ["Hundred", "Ten"]
    assert names(world.admin, seats__lte="10") == ["Nine", "Ten"]
    assert names(world.admin, seats__gte="9", seats__lte="99") == ["Nine", "Ten"]
    assert names(world.admin, seats="10") == ["Ten"]


def test_money_ranges_read_what_people_type(world_with_fields: World) -> None:
    # given budgets of 950.50, 1,000 and 12,000
    world = world_with_fields
    for name, budget in (("Small", "950.50"), ("Exact", "1000"), ("Large", "12000")):
        make_customer(world.admin, name=name, custom={"budget": budget})

    # then "¥1,000" is a thousand, and 950.50 lies below it
    assert names(world.admin, budget__gte="¥1,000") == ["Exact", "Large"]
    assert names(world.admin, budget__lte="1000.00") == ["Exact", "Small"]
    assert names(world.admin, budget__gte="950.5", budget__lte="950.5") == ["Small"]


def test_date_ranges_and_equality(world_with_fields: World) -> None:
    world = world_with_fields
    for name, day in (("March", "2026-03-09"), ("October", "2026-10-01"), ("Next", "2027-01-01")):
        make_customer(world.admin, name=name, custom={"renewal": day})
    assert names(world.admin, renewal__gte="2026/3/10", renewal__lte="2026-12-31") == ["October"]
    assert names(world.admin, renewal="2026年3月9日") == ["March"]


def test_equality_for_yes_no_text_and_choices(world_with_fields: World) -> None:
    world = world_with_fields
    make_customer(
        world.admin,
        name="A",
        custom={"vip": True, "code": "AB-1", "region": "east", "products": ["erp", "crm"]},
    )
    make_customer(world.admin, name="B", custom={"vip": False, "products": ["crm"]})
    make_customer(world.admin, name="C")

    assert names(world.admin, vip="是") == ["A"]
    assert names(world.admin, vip="no") == ["B"]
    assert names(world.admin, code="ab-1") == ["A"]
    assert names(world.admin, region="East") == ["A"]
    assert names(world.admin, products="erp") == ["A"]
    assert names(world.admin, products="CRM") == ["A", "B"]


def test_filters_keep_to_the_actors_scope_and_combine_with_search(
    world_with_fields: World,
) -> None:
    # given two VIP customers, one each for two reps
    world = world_with_fields
    make_customer(world.rep_east, name="Huaxin Steel", custom={"vip": True})
    make_customer(world.rep_west, name="Huaxin Paper", custom={"vip": True})
    make_customer(world.rep_east, name="Huaxin Glass", custom={"vip": False})

    # then a rep finds only their own, with or without a search text
    assert names(world.rep_east, vip="yes") == ["Huaxin Steel"]
    found = queries.customers(world.rep_east, CustomerFilter(q="huaxin"), {"cf.vip": "yes"})
    assert [c.name for c in found.page(None, 10)[0]] == ["Huaxin Steel"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cf.colour": "red"}, [("cf.colour", "Unknown custom field.")]),
        ({"cf.seats__gte": "many"}, [("cf.seats__gte", "Seats: must be a number")]),
        ({"cf.vip__gte": "1"}, [("cf.vip__gte", "Vip: use cf.vip=, or __gte and __lte for "
                                                "numbers, money and dates")]),
        ({"cf.seats__in": "1"}, [("cf.seats__in", "Seats: use cf.seats=, or __gte and __lte "
                                                  "for numbers, money and dates")]),
    ],
)  # fmt: skip
def test_bad_filters_name_the_parameter(
    world_with_fields: World, params: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        queries.customers(world_with_fields.admin, CustomerFilter(), params)
    assert error_pairs(refused.value) == expected


def test_contacts_and_deals_filter_by_their_own_fields(world: World) -> None:
    # given a number field on contacts and a money field on deals
    create_field(world.admin, {"entity": "contact", "key": "age", "label": "Age", "type": "number"})
    create_field(world.admin, {"entity": "deal", "key": "margin", "label": "M", "type": "money"})
    customer = make_customer(world.admin)
    make_contact(world.admin, customer, name="Young", custom={"age": "9"})
    make_contact(world.admin, customer, name="Older", custom={"age": "10"})
    make_deal(world.admin, customer, name="Thin", custom={"margin": "9.99"})
    make_deal(world.admin, customer, name="Fat", custom={"margin": "10"})

    # then the ranges compare numbers on both
    contacts = queries.contacts(world.admin, ContactFilter(), {"cf.age__gte": "10"})
    assert [c.name for c in contacts] == ["Older"]
    deals = deal_queries.deals(world.admin, DealFilter(), {"cf.margin__lte": "9.99"})
    assert [d.name for d in deals] == ["Thin"]
