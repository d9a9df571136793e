"""Categories, tags and selections through the API, and the customer list filtered by them."""

from __future__ import annotations

from typing import Any

from salesflow.customers.categories import create_category
from salesflow.customers.models import Category, Customer
from salesflow.customers.tags import create_tag
from tests.api.conftest import counts, ids
from tests.conftest import World, make_customer


def test_categories_are_created_moved_renamed_and_deleted(world: World, api_as) -> None:
    # given
    api = api_as(world.boss)

    # when
    industry = api.post("/categories", {"name": "Industry"}).json()
    services = api.post("/categories", {"name": "Services"}).json()
    steel = api.post("/categories", {"name": "Steel", "parent_id": industry["id"]})
    assert steel.status_code == 201
    steel_id = steel.json()["id"]
    moved = api.post(f"/categories/{steel_id}/move", {"version": 1, "parent_id": services["id"]})
    renamed = api.patch(f"/categories/{steel_id}", {"version": 2, "name": "Steel and iron"})

    # then
    assert moved.status_code == 200, moved.json()
    assert {k: moved.json()[k] for k in ("parent_id", "position", "depth", "version")} == {
        "parent_id": services["id"],
        "position": 1,
        "depth": 1,
        "version": 2,
    }
    assert renamed.json()["name"] == "Steel and iron"
    listed = api.get("/categories").json()
    assert [(c["name"], c["depth"]) for c in listed] == [
        ("Industry", 0),
        ("Services", 0),
        ("Steel and iron", 1),
    ]
    assert api.delete(f"/categories/{steel_id}", version=3).status_code == 204
    assert not Category.objects.filter(pk=steel_id).exists()


def test_a_cycle_a_clash_and_a_full_category_are_refused_with_the_field(
    world: World, api_as
) -> None:
    # given Industry > Steel, with a customer in Steel
    industry = create_category(world.admin, {"name": "Industry"})
    steel = create_category(world.admin, {"name": "Steel", "parent_id": industry.pk})
    make_customer(world.admin, category_id=steel.pk)
    api = api_as(world.admin, **{"Accept-Language": "en"})
    before = counts()

    # when
    cycle = api.post(f"/categories/{industry.pk}/move", {"version": 1, "parent_id": steel.pk})
    clash = api.post("/categories", {"name": "steel", "parent_id": industry.pk})
    full = api.delete(f"/categories/{steel.pk}")
    bad_position = api.post(
        f"/categories/{steel.pk}/move", {"version": 1, "parent_id": None, "position": 0}
    )

    # then
    assert [r.status_code for r in (cycle, clash, full, bad_position)] == [422] * 4
    assert cycle.json()["errors"] == [
        {
            "field": "parent_id",
            "message": "A category cannot move under itself or one of its sub-categories.",
        }
    ]
    assert [e["field"] for e in clash.json()["errors"]] == ["name"]
    assert full.json()["errors"][0]["message"] == (
        "“Steel” still holds 1 customer: move them to another category first."
    )
    assert [e["field"] for e in bad_position.json()["errors"]] == ["position"]
    assert counts() == before


def test_a_rep_reads_the_tree_but_may_not_change_it(world: World, api_as) -> None:
    industry = create_category(world.admin, {"name": "Industry"})
    api = api_as(world.rep_east)
    assert [c["id"] for c in api.get("/categories").json()] == [industry.pk]
    assert api.post("/categories", {"name": "Mine"}).status_code == 403
    assert api.patch(f"/categories/{industry.pk}", {"version": 1, "name": "X"}).status_code == 403


def test_another_workspaces_category_and_tag_are_404(
    world: World, other_world: World, api_as
) -> None:
    theirs = create_category(other_world.admin, {"name": "Theirs"})
    tag = create_tag(other_world.admin, {"name": "Theirs"})
    api = api_as(world.admin)
    assert api.get(f"/categories/{theirs.pk}").status_code == 404
    assert (
        api.post(f"/categories/{theirs.pk}/move", {"version": 1, "parent_id": None}).status_code
        == 404
    )
    assert api.delete(f"/categories/{theirs.pk}").status_code == 404
    assert api.get(f"/tags/{tag.pk}").status_code == 404
    assert api.patch(f"/tags/{tag.pk}", {"version": 1, "name": "Mine"}).status_code == 404


def test_tags_crud_and_list(world: World, api_as) -> None:
    # given
    api = api_as(world.boss)

    # when
    vip = api.post("/tags", {"name": "VIP", "colour": "red"})
    api.post("/tags", {"name": "Agent"})
    clash = api.post("/tags", {"name": "vip"})
    colour = api.post("/tags", {"name": "Gold", "colour": "gold"})
    changed = api.patch(f"/tags/{vip.json()['id']}", {"version": 1, "colour": "green"})

    # then
    assert (vip.status_code, clash.status_code, colour.status_code) == (201, 422, 422)
    # "gold" is neither a palette colour nor "" (no colour): each alternative says so
    assert {e["field"].split(".")[0] for e in colour.json()["errors"]} == {"colour"}
    assert changed.json()["colour"] == "green"
    assert [t["name"] for t in api.pages("/tags", limit=1)] == ["Agent", "VIP"]
    assert api.delete(f"/tags/{vip.json()['id']}", version=2).status_code == 204


def test_the_customer_schemas_carry_the_category_and_tags(world: World, api_as) -> None:
    # given
    steel = create_category(world.admin, {"name": "Steel"})
    vip = create_tag(world.admin, {"name": "VIP", "colour": "red"})
    agent = create_tag(world.admin, {"name": "Agent"})
    api = api_as(world.rep_east)

    # when
    created = api.post(
        "/customers", {"name": "Huaxin", "category_id": steel.pk, "tag_ids": [vip.pk, agent.pk]}
    )
    body = created.json()
    updated = api.patch(f"/customers/{body['id']}", {"version": 1, "tag_ids": [agent.pk]})

    # then
    assert created.status_code == 201, body
    assert body["category_id"] == steel.pk
    assert body["tags"] == [
        {"id": agent.pk, "name": "Agent", "colour": ""},
        {"id": vip.pk, "name": "VIP", "colour": "red"},
    ]
    assert [t["name"] for t in updated.json()["tags"]] == ["Agent"]
    assert updated.json()["version"] == 2
    listed = api.get("/customers").json()["items"]
    assert [(c["category_id"], [t["id"] for t in c["tags"]]) for c in listed] == [
        (steel.pk, [agent.pk])
    ]


def test_the_list_filters_by_a_whole_subtree_and_by_every_tag(world: World, api_as) -> None:
    # given Industry > Steel > Special steel, Services; customers filed across them
    industry = create_category(world.admin, {"name": "Industry"})
    steel = create_category(world.admin, {"name": "Steel", "parent_id": industry.pk})
    special = create_category(world.admin, {"name": "Special", "parent_id": steel.pk})
    services = create_category(world.admin, {"name": "Services"})
    vip = create_tag(world.admin, {"name": "VIP"})
    hot = create_tag(world.admin, {"name": "Hot"})
    a = make_customer(world.admin, name="Anshan Iron", category_id=industry.pk, tag_ids=[vip.pk])
    b = make_customer(world.admin, name="Baosteel", category_id=steel.pk, tag_ids=[vip.pk, hot.pk])
    c = make_customer(world.admin, name="Chongqing Alloy", category_id=special.pk)
    d = make_customer(world.admin, name="Datong Bank", category_id=services.pk, tag_ids=[hot.pk])
    e = make_customer(world.rep_east, name="Baotou Steel", category_id=special.pk)
    api = api_as(world.admin)

    def found(**params: Any) -> list[int]:
        return ids(api.pages("/customers", limit=1, **params))

    # then, page by page in name order
    assert found(category_id=industry.pk) == [a.pk, b.pk, e.pk, c.pk]
    assert found(category_id=steel.pk) == [b.pk, e.pk, c.pk]
    assert found(category_id=special.pk, ordering="-name") == [c.pk, e.pk]
    assert found(tag_id=vip.pk) == [a.pk, b.pk]
    assert found(tag_id=[vip.pk, hot.pk]) == [b.pk]
    assert found(tag_id=hot.pk, category_id=services.pk) == [d.pk]
    # with a search (best match first) the filters still apply
    assert found(q="bao") == [b.pk, e.pk]
    assert found(q="bao", category_id=special.pk) == [e.pk]
    assert found(q="bao", tag_id=hot.pk) == [b.pk]
    # a rep sees only their own within the subtree
    assert ids(api_as(world.rep_east).pages("/customers", category_id=industry.pk)) == [e.pk]


def test_another_workspaces_category_filters_to_nothing(
    world: World, other_world: World, api_as
) -> None:
    theirs = create_category(other_world.admin, {"name": "Theirs"})
    make_customer(other_world.admin, category_id=theirs.pk)
    make_customer(world.admin)
    assert api_as(world.admin).pages("/customers", category_id=theirs.pk) == []


def test_a_selection_is_moved_and_tagged_in_one_call(world: World, api_as) -> None:
    # given
    steel = create_category(world.admin, {"name": "Steel"})
    vip = create_tag(world.admin, {"name": "VIP"})
    mine = [make_customer(world.rep_east).pk for _ in range(3)]
    theirs = make_customer(world.rep_west).pk
    api = api_as(world.rep_east)
    before = counts()

    # when the selection holds a colleague's customer, nothing changes
    refused = api.post(
        "/customers/bulk/category", {"customer_ids": [*mine, theirs], "category_id": steel.pk}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["customer_ids"]
    assert counts() == before

    # when only their own
    moved = api.post("/customers/bulk/category", {"customer_ids": mine, "category_id": steel.pk})
    tagged = api.post("/customers/bulk/tags/add", {"customer_ids": mine[:2], "tag_id": vip.pk})
    untagged = api.post("/customers/bulk/tags/remove", {"customer_ids": mine, "tag_id": vip.pk})
    cleared = api.post("/customers/bulk/category", {"customer_ids": mine[:1], "category_id": None})

    # then
    assert [r.json() for r in (moved, tagged, untagged, cleared)] == [
        {"changed": 3},
        {"changed": 2},
        {"changed": 2},
        {"changed": 1},
    ]
    assert list(
        Customer.objects.filter(pk__in=mine).order_by("pk").values_list("category_id", flat=True)
    ) == [None, steel.pk, steel.pk]
    empty = api.post("/customers/bulk/category", {"customer_ids": [], "category_id": None})
    assert empty.status_code == 422


def test_openapi_documents_the_new_endpoints(world: World, api_as) -> None:
    paths = api_as(world.admin).client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/categories",
        "/api/v1/categories/{category_id}",
        "/api/v1/categories/{category_id}/move",
        "/api/v1/tags",
        "/api/v1/tags/{tag_id}",
        "/api/v1/customers/bulk/category",
        "/api/v1/customers/bulk/tags/add",
        "/api/v1/customers/bulk/tags/remove",
    } <= set(paths)
    parameters = {p["name"] for p in paths["/api/v1/customers"]["get"]["parameters"]}
    assert {"category_id", "tag_id"} <= parameters
