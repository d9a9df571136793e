"""Bad input gets a clear 4xx naming the field, and writes nothing (rows and audit unchanged)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import counts
from tests.conftest import World, make_contact, make_customer, make_deal


@pytest.fixture
def rows(world: World, other_world: World) -> dict[str, int]:
    """Ids a body can point at: own rows, and rows of another workspace."""
    customer = make_customer(world.admin)
    other_customer = make_customer(other_world.admin)
    return {
        "customer": customer.pk,
        "deal": make_deal(world.admin, customer).pk,
        "contact": make_contact(world.admin, customer).pk,
        "foreign customer": other_customer.pk,
        "foreign contact": make_contact(other_world.admin, other_customer).pk,
        "foreign deal": make_deal(other_world.admin, other_customer).pk,
        "foreign pipeline": other_world.pipeline.pk,
        "foreign stage": other_world.stages[0].pk,
    }


BAD_BODIES: dict[str, tuple[str, str, Any, list[str]]] = {
    # name: (method, path, body, fields named in the errors); "{x}" is filled from `rows`.
    "wrong types": (
        "post",
        "/deals",
        {"name": 7, "customer_id": "abc", "amount": "lots", "expected_close_date": "soon"},
        ["name", "customer_id", "amount", "expected_close_date"],
    ),
    "customer missing": ("post", "/deals", {"name": "X"}, ["customer_id"]),
    "everything missing": ("post", "/activities", {}, ["kind", "subject", "customer_id"]),
    "name too long": ("post", "/customers", {"name": "x" * 201}, ["name"]),
    "notes too long": ("post", "/customers", {"name": "X", "notes": "x" * 10_001}, ["notes"]),
    "phone too long": (
        "post",
        "/contacts",
        {"customer_id": "{customer}", "name": "X", "phones": ["1" * 255]},
        ["phones.0"],
    ),
    "checklist item too long": (
        "post",
        "/pipelines/{pipeline}/stages",
        {"name": "X", "exit_checklist": ["x" * 201]},
        ["exit_checklist.0"],
    ),
    "unknown field": ("post", "/customers", {"name": "X", "colour": "red"}, ["colour"]),
    "read-only field": ("patch", "/deals/{deal}", {"version": 1, "stage_id": 3}, ["stage_id"]),
    "unknown choice": ("post", "/customers", {"name": "X", "kind": "robot"}, ["kind"]),
    "null for a required field": (
        "patch",
        "/customers/{customer}",
        {"version": 1, "name": None},
        ["name"],
    ),
    "negative amount": ("patch", "/deals/{deal}", {"version": 1, "amount": "-1"}, ["amount"]),
    "too many decimals": ("patch", "/deals/{deal}", {"version": 1, "amount": 1.005}, ["amount"]),
    "bad currency": ("patch", "/deals/{deal}", {"version": 1, "currency": "XXY"}, ["currency"]),
    "bad email": (
        "post",
        "/customers",
        {"name": "X", "email": "not-an-address"},
        ["email"],
    ),
    "another workspace's customer": (
        "post",
        "/deals",
        {"name": "X", "customer_id": "{foreign customer}"},
        ["customer_id"],
    ),
    "another workspace's pipeline": (
        "post",
        "/deals",
        {"name": "X", "customer_id": "{customer}", "pipeline_id": "{foreign pipeline}"},
        ["pipeline_id"],
    ),
    "another workspace's stage": (
        "post",
        "/deals",
        {"name": "X", "customer_id": "{customer}", "stage_id": "{foreign stage}"},
        ["stage_id"],
    ),
    "another workspace's contact": (
        "patch",
        "/deals/{deal}",
        {"version": 1, "contact_id": "{foreign contact}"},
        ["contact_id"],
    ),
    "another workspace's deal": (
        "post",
        "/activities",
        {"kind": "call", "subject": "X", "customer_id": "{customer}", "deal_id": "{foreign deal}"},
        ["deal_id"],
    ),
    "contact of a foreign customer": (
        "post",
        "/contacts",
        {"customer_id": "{foreign customer}", "name": "X"},
        ["customer_id"],
    ),
    "move to another workspace's stage": (
        "post",
        "/deals/{deal}/move",
        {"stage_id": "{foreign stage}", "version": 1},
        ["stage_id"],
    ),
    "move without a version": ("post", "/deals/{deal}/move", {"stage_id": 1}, ["version"]),
    "limit is not a number": ("get", "/customers?limit=ten", None, ["limit"]),
}


def _fill(value: Any, rows: dict[str, int], world: World) -> Any:
    ids = {**rows, "pipeline": world.pipeline.pk}
    if isinstance(value, dict):
        return {k: _fill(v, rows, world) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**{k.replace(" ", "_"): v for k, v in ids.items()})
    return value


@pytest.mark.parametrize(("method", "path", "body", "fields"), BAD_BODIES.values(), ids=BAD_BODIES)
def test_bad_input_names_each_bad_field_and_writes_nothing(
    world: World, rows: dict[str, int], api_as, method: str, path: str, body: Any, fields: list[str]
) -> None:
    # given
    api = api_as(world.admin)
    before = counts()

    # when
    response = api.call(method, _fill(path, rows, world), _fill(body, rows, world))

    # then
    assert response.status_code == 422, response.json()
    answer = response.json()
    assert answer["detail"]
    assert [e["field"] for e in answer["errors"]] == fields
    assert all(e["message"] for e in answer["errors"])
    assert counts() == before


def test_messages_say_what_is_wrong(world: World, api_as) -> None:
    # when
    response = api_as(world.admin).post(
        "/customers", {"name": "x" * 201, "owner_id": "me", "colour": "red"}
    )

    # then
    assert response.json() == {
        "detail": "Some fields are not valid.",
        "errors": [
            {"field": "name", "message": "Ensure this value has at most 200 characters."},
            {"field": "owner_id", "message": "Enter a whole number."},
            {"field": "colour", "message": "Unknown field."},
        ],
    }


@pytest.mark.parametrize("raw", ['{"name": "X",', "name=X", b"\xff\xfe"], ids=repr)
def test_a_body_that_is_not_json_is_400_naming_the_body(world: World, api_as, raw: Any) -> None:
    # given
    before = counts()

    # when
    response = api_as(world.admin).send("post", "/customers", raw)

    # then
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "errors": [{"field": "body", "message": "The request body is not valid JSON."}],
    }
    assert counts() == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [("", "This field is required."), ("[1, 2]", "Enter an object."), ('"X"', "Enter an object.")],
)
def test_a_body_that_is_not_an_object_is_422_naming_the_body(
    world: World, api_as, raw: str, message: str
) -> None:
    # given
    before = counts()

    # when
    response = api_as(world.admin).send("post", "/customers", raw)

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": message}]
    assert counts() == before


@pytest.mark.parametrize("path", ["/customers/{id}", "/deals/{id}", "/activities/{id}"])
def test_an_id_too_large_for_the_database_is_404(world: World, api_as, path: str) -> None:
    # when
    response = api_as(world.admin).get(path.format(id=2**70))

    # then
    assert response.status_code == 404


def test_an_id_that_is_not_a_number_is_422(world: World, api_as) -> None:
    # when
    response = api_as(world.admin).get("/deals/first")

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "deal_id", "message": "Enter a whole number."}]
