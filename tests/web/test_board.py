"""The pipeline board and its move endpoint, through the test client."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from salesflow.core.scoping import Actor
from salesflow.pipeline import queries
from salesflow.pipeline.models import Deal, Stage, StageChange
from tests.conftest import World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def stage(world: World, name: str) -> Stage:
    return next(s for s in world.stages if s.name == name)


def column_head(html: str, stage: Stage) -> str:
    found = re.search(
        rf'<header class="column-head" id="colhead-{stage.pk}".*?</header>', html, re.S
    )
    assert found, f"no column for {stage.name}"
    return found.group(0)


def card_names(html: str) -> list[str]:
    return re.findall(r'class="deal-name" id="deal-\d+-name" href="/deals/\d+/">([^<]+)</a>', html)


def move(actor: Actor, deal: Deal, target: Any, version: int | None = None, **data: Any):
    post = {"target": target, "version": deal.version if version is None else version}
    return signed_in(actor).post(
        f"/deals/{deal.pk}/move/", {**post, "context": "board", **data}, **HTMX
    )


def test_board_shows_only_visible_deals_with_counts_and_totals(world: World) -> None:
    # given two deals of rep_east and one of rep_west, all in Prospecting
    make_deal(world.rep_east, name="East small", amount=Decimal("100"))
    make_deal(world.rep_east, name="East big", amount=Decimal("250"))
    make_deal(world.rep_west, name="West deal", amount=Decimal("500"))
    prospecting = stage(world, "Prospecting")

    # when rep_east opens the board
    html = signed_in(world.rep_east).get("/deals/board/").text

    # then they see their two deals only, counted and summed in the header: 100 + 250 = 350
    assert sorted(card_names(html)) == ["East big", "East small"]
    head = column_head(html, prospecting)
    assert "2 deals" in head
    assert "CN¥350" in head
    # and every open stage is a column, with the Won and Lost drop zones beside them
    for open_stage in world.open_stages():
        column_head(html, open_stage)
    assert 'data-target="won"' in html
    assert 'data-target="lost"' in html

    # when the admin opens it, then all three count: 100 + 250 + 500 = 850
    html = signed_in(world.admin).get("/deals/board/").text
    assert sorted(card_names(html)) == ["East big", "East small", "West deal"]
    assert "3 deals" in column_head(html, prospecting)
    assert "CN¥850" in column_head(html, prospecting)


def test_filters_narrow_the_cards_and_the_totals(world: World) -> None:
    # given deals of two reps with different amounts and close dates
    make_deal(world.rep_east, name="East small", amount=Decimal("100"))
    make_deal(
        world.rep_east, name="East big", amount=Decimal("250"), expected_close_date="2026-12-01"
    )
    make_deal(world.rep_west, name="West deal", amount=Decimal("500"))
    prospecting = stage(world, "Prospecting")
    admin = signed_in(world.admin)

    # when the admin filters by owner, then only that owner's deal counts
    html = admin.get("/deals/board/", {"owner": world.rep_west.user_id}).text
    assert card_names(html) == ["West deal"]
    assert "1 deal" in column_head(html, prospecting)

    # when by team East (rep_east and Shanghai below it), then rep_west's deal is left out
    html = admin.get("/deals/board/", {"team": world.teams["east"].pk}).text
    assert sorted(card_names(html)) == ["East big", "East small"]

    # when by amount from 200, then 250 + 500 = 750
    html = admin.get("/deals/board/", {"amount_min": "200"}, **HTMX).text
    assert sorted(card_names(html)) == ["East big", "West deal"]
    assert "CN¥750" in column_head(html, prospecting)

    # when by expected close date, then only the dated deal
    html = admin.get("/deals/board/", {"close_from": "2026-11-01", "close_to": "2026-12-31"}).text
    assert card_names(html) == ["East big"]

    # when a filter does not parse, then the page says so and shows everything else
    html = admin.get("/deals/board/", {"amount_min": "lots"}).text
    assert "Enter a number." in html
    assert len(card_names(html)) == 3


def test_a_rep_has_no_owner_or_team_filter_and_cannot_see_others_by_asking(world: World) -> None:
    # given a deal of rep_west
    make_deal(world.rep_west, name="West deal")

    # when rep_east asks the board for rep_west's deals
    html = signed_in(world.rep_east).get("/deals/board/", {"owner": world.rep_west.user_id}).text

    # then there is no owner filter and nothing of rep_west's shows
    assert 'name="owner"' not in html
    assert card_names(html) == []


def test_columns_load_more_cards_page_by_page(world: World, monkeypatch) -> None:
    # given five deals in one column and pages of two cards
    monkeypatch.setattr(queries, "BOARD_PAGE", 2)
    for number in range(5):
        make_deal(world.rep_east, name=f"Deal {number}")
    prospecting = stage(world, "Prospecting")
    client = signed_in(world.rep_east)

    # when the board opens, then the column shows the two newest and a "load more" sentinel
    html = client.get("/deals/board/").text
    assert card_names(html) == ["Deal 4", "Deal 3"]
    assert "5 deals" in column_head(html, prospecting)

    # when the sentinel's pages are followed, then every card comes exactly once, in order
    seen = card_names(html)
    url = re.search(r'class="board-more" hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    while url:
        page = client.get(url, **HTMX).text
        seen += card_names(page)
        more = re.search(r'class="board-more" hx-get="([^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else ""
    assert seen == ["Deal 4", "Deal 3", "Deal 2", "Deal 1", "Deal 0"]


def test_move_endpoint_moves_the_deal_and_records_the_stage_change(world: World) -> None:
    # given a deal in Initial contact whose next step is set (its only exit field)
    initial = stage(world, "Initial contact")
    deal = make_deal(world.rep_east, stage_id=initial.pk, next_step="Call")
    deal.refresh_from_db()
    checklist = {str(initial.pk): ["Intent to buy confirmed"]}
    from salesflow.pipeline.services.deals import update_deal

    deal = update_deal(world.rep_east, deal.pk, deal.version, {"checklist": checklist})

    # when it is dropped on Needs analysis
    analysis = stage(world, "Needs analysis")
    response = move(world.rep_east, deal, analysis.pk, from_stage=initial.pk)

    # then it moved, a StageChange says so, and the answer is its card with both column heads
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == analysis.pk
    change = StageChange.objects.filter(deal=deal).latest("at")
    assert (change.from_stage_id, change.to_stage_id) == (initial.pk, analysis.pk)
    assert response["HX-Retarget"] == f"#deal-{deal.pk}"
    assert f'id="colhead-{analysis.pk}" hx-swap-oob="true"' in response.text
    assert "1 deal" in column_head(response.text, analysis)


def test_unmet_exit_criteria_return_a_dialog_asking_for_each_and_change_nothing(
    world: World,
) -> None:
    # given a new deal in Prospecting: no contact, checklist empty
    deal = make_deal(world.rep_east)
    changes_before = StageChange.objects.filter(deal=deal).count()

    # when it is moved to Initial contact
    response = move(world.rep_east, deal, stage(world, "Initial contact").pk)

    # then a dialog asks for the contact and the unticked item, and nothing changed
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#move-dialog-slot"
    html = response.text
    assert "<dialog" in html
    assert 'name="contact_id"' in html
    assert 'value="Customer profile collected"' in html
    assert "“Customer profile collected” must be ticked" in html
    assert 'name="amount"' not in html  # only what Prospecting asks for
    deal_after = Deal.objects.get(pk=deal.pk)
    assert (deal_after.stage_id, deal_after.version) == (deal.stage_id, deal.version)
    assert StageChange.objects.filter(deal=deal).count() == changes_before


def test_filling_the_dialog_saves_the_fields_ticks_the_items_and_moves(world: World) -> None:
    # given a deal in Prospecting and a contact at its customer
    customer = make_customer(world.rep_east)
    contact = make_contact(world.rep_east, customer)
    deal = make_deal(world.rep_east, customer)
    prospecting, initial = stage(world, "Prospecting"), stage(world, "Initial contact")
    asked = ["contact_id", f"checklist.{prospecting.pk}"]

    # when the dialog is sent with the contact but without the item
    response = move(world.rep_east, deal, initial.pk, ask=asked, contact_id=contact.pk)

    # then it asks again for the item, keeps the contact chosen, and saved nothing
    assert response.status_code == 422
    assert "must be ticked" in response.text
    assert f'<option value="{contact.pk}" selected>' in response.text
    assert Deal.objects.get(pk=deal.pk).contact_id is None

    # when it is sent with both
    response = move(
        world.rep_east,
        deal,
        initial.pk,
        ask=asked,
        contact_id=contact.pk,
        **{f"checklist.{prospecting.pk}": "Customer profile collected"},
    )

    # then the fields are saved, the item ticked and the deal moved, all at once
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == initial.pk
    assert deal.contact_id == contact.pk
    assert deal.checklist == {str(prospecting.pk): ["Customer profile collected"]}


def test_a_bad_value_in_the_dialog_is_named_and_nothing_is_saved(world: World) -> None:
    # given a deal in Needs analysis (amount and expected close date needed to leave)
    analysis = stage(world, "Needs analysis")
    deal = make_deal(world.rep_east, stage_id=analysis.pk)

    # when the dialog is sent with a negative amount and a date that is no date
    response = move(
        world.rep_east,
        deal,
        stage(world, "Proposal / quote").pk,
        ask=["amount", "expected_close_date"],
        amount="-5",
        expected_close_date="next spring",
    )

    # then the dialog names the bad date; nothing was saved
    assert response.status_code == 422
    assert "Enter a valid date." in response.text
    assert Deal.objects.get(pk=deal.pk).amount is None

    # when the date is right but the amount negative, then the service's message shows
    response = move(
        world.rep_east,
        deal,
        stage(world, "Proposal / quote").pk,
        ask=["amount", "expected_close_date"],
        amount="-5",
        expected_close_date="2026-12-01",
    )
    assert response.status_code == 422
    assert 'id="id_amount_error"' in response.text
    deal_after = Deal.objects.get(pk=deal.pk)
    assert (deal_after.amount, deal_after.expected_close_date) == (None, None)


def test_a_stale_version_is_refused_with_a_message_and_fresh_columns(world: World) -> None:
    # given a deal that someone else moved back after the board was loaded
    initial = stage(world, "Initial contact")
    prospecting = stage(world, "Prospecting")
    deal = make_deal(world.rep_east, stage_id=initial.pk)
    stale_version = Deal.objects.get(pk=deal.pk).version
    from salesflow.pipeline.services.deals import move_deal

    move_deal(world.boss, deal.pk, prospecting.pk, stale_version)

    # when the board sends its move with the old version
    response = move(
        world.rep_east, deal, stage(world, "Needs analysis").pk, version=stale_version,
        from_stage=initial.pk,
    )  # fmt: skip

    # then 409 with the message, the columns as they stand, and the deal where the other put it
    assert response.status_code == 409
    assert "changed by someone else" in response["HX-Trigger"]
    assert f'id="col-{prospecting.pk}"' in response.text
    assert f'id="col-{initial.pk}"' in response.text
    assert Deal.objects.get(pk=deal.pk).stage_id == prospecting.pk


def test_lost_needs_a_reason_then_closes(world: World) -> None:
    # given an open deal
    deal = make_deal(world.rep_east)

    # when it is dropped on Lost without a reason
    response = move(world.rep_east, deal, "lost")

    # then the dialog asks for one of the workspace's reasons, and the deal stays open
    assert response.status_code == 422
    assert 'name="reason"' in response.text
    assert "Price too high" in response.text
    assert Deal.objects.get(pk=deal.pk).stage.kind == "open"

    # when a reason and a note are given
    response = move(world.rep_east, deal, "lost", reason="Price too high", note="Too dear")

    # then the deal is lost with them, and its card leaves the board
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage.kind == "lost"
    assert (deal.lost_reason.name, deal.lost_note) == ("Price too high", "Too dear")
    assert "lost" in response["HX-Trigger-After-Swap"]
    assert f'id="deal-{deal.pk}"' not in response.text


def test_won_with_unmet_criteria_asks_for_them(world: World) -> None:
    # given a new deal in Prospecting
    deal = make_deal(world.rep_east)

    # when it is dropped on Won, then every remaining stage's missing field is asked for
    response = move(world.rep_east, deal, "won")
    assert response.status_code == 422
    for name in ("contact_id", "next_step", "amount", "expected_close_date"):
        assert f'name="{name}"' in response.text
    assert Deal.objects.get(pk=deal.pk).stage.kind == "open"


def test_a_rep_cannot_move_a_colleagues_deal(world: World) -> None:
    # given rep_west's deal
    deal = make_deal(world.rep_west)

    # when rep_east tries to move it, then it is not found and stays
    response = move(world.rep_east, deal, "lost", reason="Price too high")
    assert response.status_code == 404
    assert Deal.objects.get(pk=deal.pk).stage.kind == "open"
