"""Customer tiers in the API: read only, shown with their inputs, and filtered by them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salesflow.customers import tiers
from tests.api.conftest import counts, ids
from tests.conftest import World, make_customer, make_deal


def test_the_tier_cannot_be_set_through_the_api(world: World, api_as) -> None:
    # given a customer
    customer = make_customer(world.admin)
    api = api_as(world.admin)
    before = counts()

    # when a client sends a tier on create or update, then it is refused by name
    created = api.post("/customers", {"name": "Hangzhou Tea Co.", "tier": "A"})
    updated = api.patch(f"/customers/{customer.pk}", {"tier": "A", "version": 1})
    for response in (created, updated):
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["tier"]
    assert counts() == before


def test_customers_show_and_filter_by_the_tier_inputs(world: World, api_as) -> None:
    # given the rule A: potential ≥ 50,000 and the ideal region Shanghai
    tiers.save_tier_settings(
        world.admin,
        None,
        {"rules": [{"tier": "A", "min_potential": "50000"}], "ideal_regions": ["Shanghai"]},
    )
    # and a Shanghai customer with an open deal of 100,000.00 at 60 % (potential 60,000.00)
    hot = make_customer(world.admin, name="Hot", region="Shanghai")
    make_deal(world.admin, hot, amount=Decimal("100000.00"), probability=60)
    # and one with 80,000.00 at 45 % (potential 36,000.00), elsewhere
    warm = make_customer(world.admin, name="Warm")
    make_deal(world.admin, warm, amount=Decimal("80000.00"), probability=45)
    api = api_as(world.admin)

    def found(**params: Any) -> set[int]:
        return set(ids(api.pages("/customers", **params)))

    # then each shows its inputs and tier
    body = api.get(f"/customers/{hot.pk}").json()
    assert (body["revenue"], body["potential"], body["fit"], body["tier"]) == (
        "0.00",
        "60000.00",
        1,
        "A",
    )
    # and the filters take minimums
    assert found(potential_min="36000") == {hot.pk, warm.pk}
    assert found(potential_min="36000.01") == {hot.pk}
    assert found(fit_min=1) == {hot.pk}
    assert found(revenue_min="0.01") == set()
    assert found(tier="A") == {hot.pk}
    # and a fit above 3 is refused by name
    response = api.get("/customers", fit_min=4)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["fit_min"]
