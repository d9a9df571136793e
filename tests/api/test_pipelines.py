"""Pipelines with their nested stages, and the lost reasons closing a deal accepts."""

from __future__ import annotations

import pytest

from salesflow.pipeline.models import LostReason, Pipeline, Stage
from tests.api.conftest import counts, make_pipeline
from tests.conftest import World, make_deal

B2B7 = [
    ("Prospecting", "open", 5),
    ("Initial contact", "open", 10),
    ("Needs analysis", "open", 20),
    ("Proposal / quote", "open", 40),
    ("Negotiation", "open", 60),
    ("Signed", "won", 100),
    ("After-sales service", "won", 100),
    ("Lost", "lost", 0),
]


def test_a_rep_lists_pipelines_with_their_stages_in_order(world: World, api_as) -> None:
    # when
    response = api_as(world.rep_west).get("/pipelines")

    # then
    assert response.status_code == 200
    [pipeline] = response.json()["items"]
    assert (pipeline["name"], pipeline["is_default"]) == ("B2B seven-stage sales process", True)
    assert [(s["name"], s["kind"], s["probability"]) for s in pipeline["stages"]] == B2B7
    first = pipeline["stages"][0]
    assert first["exit_fields"] == ["contact"]
    assert first["exit_checklist"] == ["Customer profile collected"]
    assert first["pipeline_id"] == pipeline["id"]


def test_create_a_stage_at_the_end_of_the_pipeline(world: World, api_as) -> None:
    # given: eight stages at positions 1..8
    api = api_as(world.admin)

    # when
    response = api.post(
        f"/pipelines/{world.pipeline.pk}/stages",
        {"name": "Onboarding", "kind": "won", "exit_checklist": ["Kick-off held"]},
    )

    # then: position 8 + 1, and the pipeline lists it last
    assert response.status_code == 201, response.json()
    stage = response.json()
    assert (stage["position"], stage["pipeline_id"], stage["version"]) == (
        9,
        world.pipeline.pk,
        1,
    )
    listed = api.get(f"/pipelines/{world.pipeline.pk}").json()["stages"]
    assert listed[-1]["id"] == stage["id"]


def test_update_and_delete_a_stage(world: World, api_as) -> None:
    # given
    pipeline = make_pipeline(world.admin)
    stage = pipeline.stages.get(name="A")
    api = api_as(world.admin)
    path = f"/pipelines/{pipeline.pk}/stages/{stage.pk}"

    # when
    updated = api.patch(path, {"version": 1, "probability": 35, "exit_fields": ["amount"]})
    stale = api.delete(path, version=1)
    deleted = api.delete(path, version=2)

    # then
    assert updated.status_code == 200, updated.json()
    assert (updated.json()["probability"], updated.json()["exit_fields"]) == (35, ["amount"])
    assert (stale.status_code, stale.json()["current_version"]) == (409, 2)
    assert deleted.status_code == 204
    assert not Stage.objects.filter(pk=stage.pk).exists()


def test_a_stage_holding_deals_is_not_deleted(world: World, api_as) -> None:
    # given
    deal = make_deal(world.admin)
    before = counts()

    # when
    response = api_as(world.admin).delete(f"/pipelines/{world.pipeline.pk}/stages/{deal.stage_id}")

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "id", "message": "Move this stage's deals elsewhere first."}
    ]
    assert counts() == before


def test_a_stage_is_found_only_under_its_own_pipeline(world: World, api_as) -> None:
    # given: a stage of the default pipeline, addressed under another pipeline
    other = make_pipeline(world.admin)
    stage = world.stages[0]
    before = counts()

    # when
    answers = [
        api_as(world.admin).patch(
            f"/pipelines/{other.pk}/stages/{stage.pk}", {"version": 1, "name": "X"}
        ),
        api_as(world.admin).delete(f"/pipelines/{other.pk}/stages/{stage.pk}"),
    ]

    # then
    assert [a.status_code for a in answers] == [404, 404]
    assert counts() == before
    assert Stage.objects.get(pk=stage.pk).name == "Prospecting"


def test_invalid_exit_fields_are_422(world: World, api_as) -> None:
    # when
    response = api_as(world.admin).post(
        f"/pipelines/{world.pipeline.pk}/stages", {"name": "X", "exit_fields": ["budget"]}
    )

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "exit_fields",
            "message": "Each entry must be one of: amount, expected_close_date, contact, "
            "next_step.",
        }
    ]


def test_making_another_pipeline_the_default(world: World, api_as) -> None:
    # given
    old = world.pipeline
    new = make_pipeline(world.admin)

    # when
    response = api_as(world.admin).patch(f"/pipelines/{new.pk}", {"version": 1, "is_default": True})

    # then
    assert response.status_code == 200
    assert response.json()["is_default"] is True
    assert Pipeline.objects.get(pk=old.pk).is_default is False


def test_the_default_pipeline_is_not_deleted(world: World, api_as) -> None:
    # given
    before = counts()

    # when
    response = api_as(world.admin).delete(f"/pipelines/{world.pipeline.pk}")

    # then
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "id"
    assert counts() == before


REP_EDITS = {
    "create pipeline": lambda p, s: ("post", "/pipelines", {"name": "Mine"}),
    "update pipeline": lambda p, s: ("patch", f"/pipelines/{p}", {"version": 1, "name": "X"}),
    "delete pipeline": lambda p, s: ("delete", f"/pipelines/{p}", None),
    "create stage": lambda p, s: ("post", f"/pipelines/{p}/stages", {"name": "X"}),
    "update stage": lambda p, s: (
        "patch",
        f"/pipelines/{p}/stages/{s}",
        {"version": 1, "name": "X"},
    ),
    "delete stage": lambda p, s: ("delete", f"/pipelines/{p}/stages/{s}", None),
}


@pytest.mark.parametrize("edit", REP_EDITS.values(), ids=REP_EDITS.keys())
@pytest.mark.parametrize("who", ["rep_east", "boss"])
def test_only_an_admin_edits_pipelines_and_stages(world: World, api_as, edit, who: str) -> None:
    # given: a non-default pipeline without deals, which an admin could delete
    pipeline = make_pipeline(world.admin)
    stage = pipeline.stages.get(name="A")
    method, path, body = edit(pipeline.pk, stage.pk)
    before = counts()

    # when
    response = api_as(getattr(world, who)).call(method, path, body)

    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a workspace admin may do this.", "errors": []}
    assert counts() == before
    assert Stage.objects.get(pk=stage.pk).version == 1


def test_lost_reasons_in_their_order(world: World, api_as) -> None:
    # given: one retired reason
    LostReason.objects.filter(workspace_id=world.admin.workspace_id, name="No budget").update(
        is_active=False
    )
    api = api_as(world.rep_east)

    # when
    everything = api.get("/lost-reasons").json()["items"]
    active = api.get("/lost-reasons", is_active="true").json()["items"]

    # then
    assert [r["name"] for r in everything] == [
        "Price too high",
        "Chose a competitor",
        "No budget",
        "Need cancelled or postponed",
        "Could not reach the customer",
        "Product does not fit the need",
    ]
    assert [r["name"] for r in active] == [
        "Price too high",
        "Chose a competitor",
        "Need cancelled or postponed",
        "Could not reach the customer",
        "Product does not fit the need",
    ]


def test_lost_reasons_are_read_only(world: World, api_as) -> None:
    # when
    response = api_as(world.admin).post("/lost-reasons", {"name": "Too slow"})

    # then
    assert response.status_code == 405
