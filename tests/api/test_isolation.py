"""Who sees what: another workspace's rows do not exist; inside one, the team tree decides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from salesflow.core.scoping import Actor
from tests.api.conftest import counts, ids, make_activity
from tests.conftest import World, make_contact, make_customer, make_deal


@dataclass
class Foreign:
    """One row of each kind in the other workspace, made by its admin."""

    customer: int
    contact: int
    pipeline: int
    stage: int
    deal: int
    activity: int


@pytest.fixture
def foreign(other_world: World) -> Foreign:
    admin = other_world.admin
    customer = make_customer(admin)
    deal = make_deal(admin, customer)
    return Foreign(
        customer=customer.pk,
        contact=make_contact(admin, customer).pk,
        pipeline=other_world.pipeline.pk,
        stage=other_world.stages[1].pk,
        deal=deal.pk,
        activity=make_activity(admin, customer).pk,
    )


Route = Callable[[Foreign, World], tuple[str, str, Any]]

# Every route that takes an id, with a body that would be valid for a row the caller can see.
ROUTES: dict[str, Route] = {
    "read customer": lambda f, w: ("get", f"/customers/{f.customer}", None),
    "update customer": lambda f, w: ("patch", f"/customers/{f.customer}", {"version": 1}),
    "delete customer": lambda f, w: ("delete", f"/customers/{f.customer}", None),
    "read contact": lambda f, w: ("get", f"/contacts/{f.contact}", None),
    "update contact": lambda f, w: ("patch", f"/contacts/{f.contact}", {"version": 1}),
    "delete contact": lambda f, w: ("delete", f"/contacts/{f.contact}", None),
    "read pipeline": lambda f, w: ("get", f"/pipelines/{f.pipeline}", None),
    "update pipeline": lambda f, w: ("patch", f"/pipelines/{f.pipeline}", {"version": 1}),
    "delete pipeline": lambda f, w: ("delete", f"/pipelines/{f.pipeline}", None),
    "create stage": lambda f, w: ("post", f"/pipelines/{f.pipeline}/stages", {"name": "S"}),
    "update stage": lambda f, w: (
        "patch",
        f"/pipelines/{f.pipeline}/stages/{f.stage}",
        {"version": 1},
    ),
    "delete stage": lambda f, w: ("delete", f"/pipelines/{f.pipeline}/stages/{f.stage}", None),
    "update foreign stage of own pipeline": lambda f, w: (
        "patch",
        f"/pipelines/{w.pipeline.pk}/stages/{f.stage}",
        {"version": 1},
    ),
    "delete foreign stage of own pipeline": lambda f, w: (
        "delete",
        f"/pipelines/{w.pipeline.pk}/stages/{f.stage}",
        None,
    ),
    "read deal": lambda f, w: ("get", f"/deals/{f.deal}", None),
    "update deal": lambda f, w: ("patch", f"/deals/{f.deal}", {"version": 1}),
    "delete deal": lambda f, w: ("delete", f"/deals/{f.deal}", None),
    "move deal": lambda f, w: ("post", f"/deals/{f.deal}/move", {"stage_id": 1, "version": 1}),
    "close deal": lambda f, w: (
        "post",
        f"/deals/{f.deal}/close",
        {"outcome": "lost", "reason": "No budget", "note": "", "version": 1},
    ),
    "reopen deal": lambda f, w: ("post", f"/deals/{f.deal}/reopen", {"version": 1}),
    "read activity": lambda f, w: ("get", f"/activities/{f.activity}", None),
    "update activity": lambda f, w: ("patch", f"/activities/{f.activity}", {"version": 1}),
    "delete activity": lambda f, w: ("delete", f"/activities/{f.activity}", None),
}


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_another_workspaces_id_is_404_everywhere(
    world: World, foreign: Foreign, api_as, route: Route
) -> None:
    # given: the admin of one workspace and the ids of another's rows
    api = api_as(world.admin)
    method, path, body = route(foreign, world)
    before = counts()

    # when
    response = api.call(method, path, body)

    # then: exactly what a missing id answers, and nothing anywhere changed
    assert response.status_code == 404, response.json()
    assert response.json() == {"detail": "Not found.", "errors": []}
    assert counts() == before


@pytest.mark.parametrize(
    "path", ["/customers", "/contacts", "/pipelines", "/deals", "/activities", "/lost-reasons"]
)
def test_lists_hold_no_row_of_another_workspace(
    world: World, other_world: World, foreign: Foreign, api_as, path: str
) -> None:
    # given: rows in both workspaces
    admin = world.admin
    customer = make_customer(admin)
    make_contact(admin, customer)
    make_deal(admin, customer)
    make_activity(admin, customer)

    # when
    items = api_as(admin).pages(path)

    # then
    assert items
    assert {item["created_by_id"] for item in items} == {admin.user_id}


@dataclass
class Owned:
    """One customer, contact, deal and activity owned by each member of the world."""

    by_owner: dict[str, dict[str, int]]

    def ids_of(self, kind: str, *owners: str) -> set[int]:
        return {self.by_owner[owner][kind] for owner in owners}


@pytest.fixture
def owned(world: World) -> Owned:
    rows: dict[str, dict[str, int]] = {}
    for name in ("admin", "boss", "east_manager", "rep_east", "rep_shanghai", "rep_west"):
        actor: Actor = getattr(world, name)
        customer = make_customer(actor)
        rows[name] = {
            "customers": customer.pk,
            "contacts": make_contact(actor, customer).pk,
            "deals": make_deal(actor, customer).pk,
            "activities": make_activity(actor, customer).pk,
        }
    return Owned(rows)


# Teams (tests/conftest.py): Sales{boss} > East{east_manager, rep_east} > Shanghai{rep_shanghai};
# Sales > West{rep_west}. A manager sees their own rows and those of every member of the teams
# they manage and the sub-teams; the admin sits in no team and is seen only by themself.
SCOPES = {
    "rep_east": ("rep_east",),
    "rep_west": ("rep_west",),
    "east_manager": ("east_manager", "rep_east", "rep_shanghai"),
    "boss": ("boss", "east_manager", "rep_east", "rep_shanghai", "rep_west"),
    "admin": ("admin", "boss", "east_manager", "rep_east", "rep_shanghai", "rep_west"),
}


@pytest.mark.parametrize("kind", ["customers", "contacts", "deals", "activities"])
@pytest.mark.parametrize("viewer", SCOPES.keys())
def test_each_role_lists_exactly_its_scope(
    world: World, owned: Owned, api_as, viewer: str, kind: str
) -> None:
    # given: one row of this kind owned by every member

    # when
    items = api_as(getattr(world, viewer)).pages(f"/{kind}")

    # then
    assert set(ids(items)) == owned.ids_of(kind, *SCOPES[viewer])


@pytest.mark.parametrize("kind", ["customers", "contacts", "deals", "activities"])
def test_a_rep_gets_404_on_another_reps_row(world: World, owned: Owned, api_as, kind: str) -> None:
    # given
    theirs = owned.by_owner["rep_west"][kind]
    api = api_as(world.rep_east)
    before = counts()

    # when
    answers = [
        api.get(f"/{kind}/{theirs}"),
        api.patch(f"/{kind}/{theirs}", {"version": 1}),
        api.delete(f"/{kind}/{theirs}"),
    ]

    # then
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert counts() == before


def test_a_rep_gets_404_on_every_action_of_another_reps_deal(
    world: World, owned: Owned, api_as
) -> None:
    # given
    deal = owned.by_owner["rep_west"]["deals"]
    api = api_as(world.rep_east)
    before = counts()

    # when
    answers = [
        api.post(f"/deals/{deal}/move", {"stage_id": world.stages[1].pk, "version": 1}),
        api.post(
            f"/deals/{deal}/close",
            {"outcome": "lost", "reason": "No budget", "note": "", "version": 1},
        ),
        api.post(f"/deals/{deal}/reopen", {"version": 1}),
    ]

    # then
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert counts() == before


def test_a_manager_reads_a_sub_teams_deal(world: World, owned: Owned, api_as) -> None:
    # given: rep_shanghai's team Shanghai lies under East, which east_manager manages
    deal = owned.by_owner["rep_shanghai"]["deals"]

    # when
    response = api_as(world.east_manager).get(f"/deals/{deal}")

    # then
    assert response.status_code == 200
    assert response.json()["owner_id"] == world.rep_shanghai.user_id
