"""The shortcuts endpoints: GET /customers/shortcuts, POST and DELETE /customers/{id}/pin."""

from __future__ import annotations

from salesflow.customers import shortcuts
from tests.api.conftest import Api, counts
from tests.conftest import World, make_customer


def test_pin_read_and_unpin_through_the_api(world: World, api_as) -> None:
    # given two customers of rep_east, one of which they opened on its page
    rep = world.rep_east
    opened = make_customer(rep, name="Opened", tier="B")
    pinned = make_customer(rep, name="Pinned")
    shortcuts.record_view(rep, opened)
    api = api_as(rep)

    # when they pin the other
    assert api.post(f"/customers/{pinned.pk}/pin").status_code == 204

    # then their shortcuts list it as pinned, and the opened one as recent and most used
    body = api.get("/customers/shortcuts").json()
    brief = {"id": opened.pk, "name": "Opened", "tier": "B", "lifecycle": "prospect"}
    assert body == {
        "pinned": [{"id": pinned.pk, "name": "Pinned", "tier": "", "lifecycle": "prospect"}],
        "recent": [brief],
        "most_used": [brief],
    }

    # when they unpin it, then it is no longer pinned
    assert api.delete(f"/customers/{pinned.pk}/pin").status_code == 204
    assert api.get("/customers/shortcuts").json()["pinned"] == []


def test_pinning_a_customer_one_may_not_see_is_404(
    world: World, other_world: World, api_as
) -> None:
    # given a West rep's customer and another workspace's customer
    colleague = make_customer(world.rep_west)
    foreign = make_customer(other_world.admin)
    api = api_as(world.rep_east)
    before = counts()

    # then neither may be pinned or unpinned, and nothing is written
    for customer in (colleague, foreign):
        assert api.post(f"/customers/{customer.pk}/pin").status_code == 404
        assert api.delete(f"/customers/{customer.pk}/pin").status_code == 404
    assert counts() == before
    assert api.get("/customers/shortcuts").json()["pinned"] == []


def test_shortcuts_need_a_token(world: World, api_as) -> None:
    assert api_as(world.rep_east).get("/customers/shortcuts").status_code == 200
    assert Api(None).get("/customers/shortcuts").status_code == 401
