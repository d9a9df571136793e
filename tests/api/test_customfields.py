"""Custom fields through the API: definitions, values on records, filters, who may do what."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import counts, ids
from tests.conftest import World, make_customer

REGIONS = [{"key": "east", "label": "华东"}, {"label": "North"}]


def define(api: Any, **data: Any) -> dict[str, Any]:
    response = api.post("/custom-fields", {"entity": "customer", **data})
    assert response.status_code == 201, response.json()
    return response.json()


def test_admin_defines_fields_and_every_member_reads_them(world: World, api_as) -> None:
    # given an admin
    admin = api_as(world.admin)

    # when they define a money field and a choice whose second option has no key
    budget = define(admin, label="Budget", type="money", max_value="1000000", shown_in_list=True)
    region = define(admin, key="region", label="区域", type="single_choice", options=REGIONS)

    # then keys are made where missing, and a rep lists both in order
    assert (budget["key"], budget["position"], budget["max_value"]) == ("budget", 0, "1000000")
    assert [o["key"] for o in region["options"]] == ["east", "north"]
    listed = api_as(world.rep_east).pages("/custom-fields", entity="customer")
    assert ids(listed) == [budget["id"], region["id"]]
    assert api_as(world.rep_east).pages("/custom-fields", entity="deal") == []

    # when the admin renames it and reorders, then both stick
    renamed = admin.patch(
        f"/custom-fields/{budget['id']}", {"version": budget["version"], "label": "预算"}
    )
    assert renamed.json()["label"] == "预算"
    ordered = admin.put(
        "/custom-fields/order", {"entity": "customer", "field_ids": [region["id"], budget["id"]]}
    )
    assert [f["key"] for f in ordered.json()] == ["region", "budget"]


def test_reps_cannot_manage_fields_and_nothing_is_written(world: World, api_as) -> None:
    before = counts()
    response = api_as(world.rep_east).post(
        "/custom-fields", {"entity": "customer", "label": "Budget", "type": "money"}
    )
    assert response.status_code == 403
    assert counts() == before


def test_another_workspaces_fields_are_not_found(world: World, other_world: World, api_as) -> None:
    field = define(api_as(world.admin), label="Budget", type="money")
    other = api_as(other_world.admin)
    assert other.pages("/custom-fields") == []
    assert other.get(f"/custom-fields/{field['id']}").status_code == 404
    assert (
        other.patch(f"/custom-fields/{field['id']}", {"version": 1, "label": "x"}).status_code
        == 404
    )
    assert other.delete(f"/custom-fields/{field['id']}").status_code == 404


def test_values_round_trip_on_customers_contacts_and_deals(world: World, api_as) -> None:
    # given a field of each entity
    admin = api_as(world.admin)
    define(admin, key="budget", label="Budget", type="money", max_value="1000000")
    define(admin, key="vip", label="VIP", type="yes_no")
    define(admin, entity="contact", key="wechat", label="WeChat", type="text")
    define(admin, entity="deal", key="signed_on", label="Signed on", type="date")
    rep = api_as(world.rep_east)

    # when a rep creates a customer with values in JSON types
    created = rep.post("/customers", {"name": "Huaxin", "custom": {"budget": 2500.5, "vip": True}})

    # then they come back canonical: money as an exact decimal string
    assert created.status_code == 201, created.json()
    customer = created.json()
    assert customer["custom"] == {"budget": "2500.50", "vip": True}

    # when a PATCH sends one key, then the others stay; null removes one
    patched = rep.patch(
        f"/customers/{customer['id']}",
        {"version": customer["version"], "custom": {"vip": None}},
    )
    assert patched.json()["custom"] == {"budget": "2500.50"}
    assert rep.get(f"/customers/{customer['id']}").json()["custom"] == {"budget": "2500.50"}

    # and contacts and deals carry theirs
    contact = rep.post(
        "/contacts",
        {"customer_id": customer["id"], "name": "Wang", "custom": {"wechat": "wangfang"}},
    )
    assert contact.json()["custom"] == {"wechat": "wangfang"}
    deal = rep.post(
        "/deals",
        {"name": "ERP", "customer_id": customer["id"], "custom": {"signed_on": "2026-11-26"}},
    )
    assert deal.json()["custom"] == {"signed_on": "2026-11-26"}


def test_a_refused_value_names_field_and_reason_and_writes_nothing(world: World, api_as) -> None:
    define(api_as(world.admin), key="budget", label="Budget", type="money", max_value="1000000")
    before = counts()
    response = api_as(world.rep_east).post(
        "/customers", {"name": "Huaxin", "custom": {"budget": "1000000.01", "colour": "red"}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "custom.budget", "message": "Budget: must be at most 1,000,000"},
        {"field": "custom.colour", "message": "Unknown custom field."},
    ]
    assert counts() == before


def test_a_field_in_use_keeps_its_type_through_the_api(world: World, api_as) -> None:
    admin = api_as(world.admin)
    field = define(admin, key="seats", label="Seats", type="number")
    make_customer(world.rep_east, custom={"seats": "5"})
    response = admin.patch(f"/custom-fields/{field['id']}", {"version": 1, "type": "text"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "type"
    assert admin.delete(f"/custom-fields/{field['id']}").status_code == 422


def test_list_filters_by_custom_fields_with_keyset_pages(world: World, api_as) -> None:
    # given 9, 10 and 100 seats, and a customer without
    define(api_as(world.admin), key="seats", label="Seats", type="number")
    seats = (("Nine", "9"), ("Ten", "10"), ("Hundred", "100"), ("None", None))
    made = {
        n: make_customer(world.admin, name=n, custom={"seats": s} if s else {}) for n, s in seats
    }
    api = api_as(world.admin)

    # then pages of one follow the numeric order of the filter, not the text order
    found = api.pages("/customers", **{"cf.seats__gte": "10", "limit": 1, "ordering": "name"})
    assert ids(found) == [made["Hundred"].pk, made["Ten"].pk]
    assert ids(api.pages("/customers", **{"cf.seats__lte": "9"})) == [made["Nine"].pk]

    # and a bad filter names the parameter
    response = api.get("/customers", **{"cf.seats__gte": "lots"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "cf.seats__gte", "message": "Seats: must be a number"}
    ]


def test_the_openapi_document_lists_the_types_and_the_filters(world: World, api_as) -> None:
    document = api_as(world.admin).get("/openapi.json").json()
    customer_out = document["components"]["schemas"]["CustomerOut"]["properties"]["custom"]
    assert "multiple_choice a list of option keys" in customer_out["description"]
    listing = document["paths"]["/api/v1/customers"]["get"]["description"]
    assert "cf.<key>__gte" in listing
    assert "/api/v1/custom-fields" in document["paths"]
