"""The deal page: what it shows, who may open it, and its in-place forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from salesflow.activities.services import create_activity
from salesflow.core.scoping import Actor
from salesflow.pipeline.models import Deal
from salesflow.pipeline.services.deals import close_deal, move_deal
from tests.conftest import World, make_deal

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def edit(actor: Actor, deal: Deal, **fields: object):
    data = {
        "version": deal.version,
        "name": deal.name,
        "currency": deal.currency,
        "owner_id": deal.owner_id,
        **fields,
    }
    return signed_in(actor).post(f"/deals/{deal.pk}/edit/", data, **HTMX)


def test_the_page_shows_header_stage_path_criteria_playbook_timeline_and_history(
    world: World,
) -> None:
    # given a deal moved back from Initial contact to Prospecting, with an activity
    stages = world.open_stages()
    deal = make_deal(
        world.rep_east, name="Big order", amount=Decimal("1200"), stage_id=stages[1].pk
    )
    deal.refresh_from_db()
    move_deal(world.rep_east, deal.pk, stages[0].pk, deal.version)
    create_activity(
        world.rep_east,
        {"kind": "call", "subject": "Discovery call", "customer_id": deal.customer_id,
         "deal_id": deal.pk},
    )  # fmt: skip

    # when rep_east opens it
    html = signed_in(world.rep_east).get(f"/deals/{deal.pk}/").text

    # then the header, the path with the current stage, its goal, criteria and playbook show
    assert "<h1>Big order</h1>" in html
    assert f'<a href="/customers/{deal.customer_id}/">' in html
    assert "CN¥1,200.00" in html
    assert '<li class="current" aria-current="step">Prospecting</li>' in html
    assert "Gather high-quality prospects" in html
    assert "Customer profile collected" in html
    assert "Ideal customer profile" in html
    # and the timeline and both stays in the history, the current one lasting until now
    assert "Discovery call" in html
    assert html.count("<td>Initial contact</td>") == 1
    assert "<td>Prospecting</td>" in html


def test_scoping_a_colleagues_or_another_workspaces_deal_is_not_found(
    world: World, other_world: World
) -> None:
    # given a deal of rep_west and one in another workspace
    west_deal = make_deal(world.rep_west)
    foreign = make_deal(other_world.rep_east)

    # when rep_east opens them, then both are 404; rep_west's manager (boss) sees it
    assert signed_in(world.rep_east).get(f"/deals/{west_deal.pk}/").status_code == 404
    assert signed_in(world.rep_east).get(f"/deals/{foreign.pk}/").status_code == 404
    assert signed_in(world.admin).get(f"/deals/{foreign.pk}/").status_code == 404
    assert signed_in(world.boss).get(f"/deals/{west_deal.pk}/").status_code == 200


def test_editing_saves_only_what_changed(world: World) -> None:
    # given a deal whose probability follows its stage
    deal = make_deal(world.rep_east)
    deal.refresh_from_db()

    # when the amount and next step are changed
    response = edit(world.rep_east, deal, amount="1500", next_step="Send brochure")

    # then both are saved, and the probability still follows the stage
    assert response.status_code == 200
    assert "Saved." in response.text
    deal.refresh_from_db()
    assert (deal.amount, deal.next_step) == (Decimal("1500"), "Send brochure")
    assert deal.probability_overridden is False


def test_each_bad_field_is_named_and_nothing_is_saved(world: World) -> None:
    # given a deal
    deal = make_deal(world.rep_east)
    deal.refresh_from_db()

    # when the amount is negative, then the service's message is beside the amount
    response = edit(world.rep_east, deal, amount="-1")
    assert response.status_code == 422
    assert 'id="id_amount_error"' in response.text

    # when the date is no date and the probability above 100
    response = edit(world.rep_east, deal, expected_close_date="31/31/2026")
    assert response.status_code == 422
    assert "Enter a valid date." in response.text
    response = edit(world.rep_east, deal, probability="150")
    assert response.status_code == 422
    assert 'id="id_probability_error"' in response.text

    # then nothing changed
    after = Deal.objects.get(pk=deal.pk)
    assert (after.amount, after.version, after.probability_overridden) == (
        None,
        deal.version,
        False,
    )


def test_a_stale_edit_is_refused_with_the_fresh_deal(world: World) -> None:
    # given a deal someone renamed after the page was loaded
    deal = make_deal(world.rep_east, name="Old name")
    deal.refresh_from_db()
    fresh = Deal.objects.get(pk=deal.pk)
    from salesflow.pipeline.services.deals import update_deal

    update_deal(world.boss, deal.pk, fresh.version, {"name": "Renamed by boss"})

    # when the stale form is sent
    response = edit(world.rep_east, deal, amount="99")

    # then 409 with the message and the other's change, and nothing overwritten
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert "Renamed by boss" in response.text
    assert Deal.objects.get(pk=deal.pk).amount is None


def test_ticking_the_checklist_saves_it(world: World) -> None:
    # given a deal in Prospecting
    deal = make_deal(world.rep_east)
    deal.refresh_from_db()

    # when its item is ticked
    response = signed_in(world.rep_east).post(
        f"/deals/{deal.pk}/checklist/",
        {"version": deal.version, "item": "Customer profile collected", "ticked": "1"},
        **HTMX,
    )

    # then it is saved under the stage
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).checklist == {
        str(deal.stage_id): ["Customer profile collected"]
    }


def test_close_lost_then_reopen_from_the_page(world: World) -> None:
    # given a deal closed as lost
    deal = make_deal(world.rep_east)
    deal.refresh_from_db()
    deal = close_deal(
        world.rep_east, deal.pk, outcome="lost", reason="No budget", version=deal.version
    )
    client = signed_in(world.rep_east)

    # then the page shows the lost state and its reason
    html = client.get(f"/deals/{deal.pk}/").text
    assert '<span class="badge lost">Lost</span>' in html
    assert "No budget" in html

    # when it is reopened, then it is back in the stage it left
    response = client.post(f"/deals/{deal.pk}/reopen/", {"version": deal.version}, **HTMX)
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).stage.name == "Prospecting"


def test_the_page_moves_through_the_same_dialog(world: World) -> None:
    # given a deal in Prospecting
    deal = make_deal(world.rep_east)
    deal.refresh_from_db()
    target = world.open_stages()[1]

    # when moved from the page, then the dialog asks for the exit criteria
    client = signed_in(world.rep_east)
    response = client.post(
        f"/deals/{deal.pk}/move/",
        {"target": target.pk, "version": deal.version, "context": "deal"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "<dialog" in response.text

    # when closed as lost without a reason, then it is refused and the deal stays open
    response = client.post(
        f"/deals/{deal.pk}/move/",
        {"target": "lost", "version": deal.version, "context": "deal"},
        **HTMX,
    )
    assert response.status_code == 422
    assert Deal.objects.get(pk=deal.pk).stage.kind == "open"


def test_the_owner_chooses_a_forecast_category_and_can_go_back(world: World) -> None:
    # given a deal in the first stage (5 %: pipeline by its probability)
    deal = make_deal(world.rep_east)
    html = signed_in(world.rep_east).get(f"/deals/{deal.pk}/").text
    assert "By win probability (now: Pipeline)" in html

    # when the owner marks it commit
    response = edit(world.rep_east, deal, forecast_category="commit")

    # then it is saved as their choice
    deal.refresh_from_db()
    assert response.status_code == 200
    assert (deal.forecast_category, deal.effective_forecast_category) == ("commit", "commit")

    # and choosing "by win probability" again clears it
    edit(world.rep_east, deal, forecast_category="")
    deal.refresh_from_db()
    assert (deal.forecast_category, deal.effective_forecast_category) == ("", "pipeline")
