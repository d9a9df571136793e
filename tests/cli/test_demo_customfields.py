"""The demo's custom fields: defined once, filled from each row's own attributes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.core.models import Membership
from salesflow.core.scoping import Actor
from salesflow.customers.models import Customer, CustomField
from salesflow.demo.customfields import (
    BUDGET_BY_SIZE,
    CONTESTED_FROM,
    TERMS_BY_SIZE,
    define_fields,
)
from salesflow.pipeline.models import Deal
from tests.cli.conftest import ANCHOR, make_workspace, run

pytestmark = pytest.mark.django_db


def test_seeding_defines_the_fields_once_and_fills_them() -> None:
    # given an empty workspace, seeded, whose fields are then defined once more
    workspace = make_workspace("Acme")
    run("seed", "--workspace", "Acme", "--scale", "small", "--deals", "60", "--anchor", ANCHOR)
    admin = Actor(Membership.objects.get(workspace=workspace, role="admin"))
    define_fields(admin, chinese=True)

    # then the three fields exist once each
    keys = CustomField.objects.filter(workspace=workspace).values_list("entity", "key")
    assert sorted(keys) == [
        ("customer", "budget"),
        ("customer", "payment_terms"),
        ("deal", "competitor"),
    ]

    # and every customer's values follow its size, every deal's its amount
    customers = Customer.objects.filter(workspace=workspace)
    assert customers.exists()
    for customer in customers:
        expected = {"payment_terms": TERMS_BY_SIZE[customer.size]}
        if customer.size:
            expected["budget"] = BUDGET_BY_SIZE[customer.size]
        assert customer.custom == expected
    for deal in Deal.objects.filter(workspace=workspace):
        assert deal.custom == {"competitor": Decimal(deal.amount) >= CONTESTED_FROM}
