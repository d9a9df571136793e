"""The forecast and bottlenecks pages, their adjust form and their downloads."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from django.http import HttpResponse

from salesflow.analytics import forecast, forecast_views
from salesflow.analytics.bottlenecks import Thresholds
from salesflow.analytics.models import ForecastAdjustment
from salesflow.analytics.queries import Cut
from salesflow.pipeline.services.deals import move_deal
from tests.analytics.histories import Clock, draw_five_largest, many_open_deals
from tests.conftest import World, make_deal
from tests.web.test_analytics_pages import rows_by_name, signed_in, tables

pytestmark = pytest.mark.django_db

APRIL = {"first_day": "2026-04-01", "last_day": "2026-04-30"}
MARCH = {"first_day": "2026-03-01", "last_day": "2026-03-31"}
ADJUST = "/analytics/forecast/adjust/?first_day=2026-04-01&last_day=2026-04-30"
DASH = "–"
SMALL = Thresholds(min_deals=1, min_stays=1, min_rep_deals=1)


def parsed_csv(response: HttpResponse) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def parsed_xlsx(response: HttpResponse) -> list[tuple[object, ...]]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def money(text: str) -> Decimal:
    return Decimal(text.replace("CN¥", "").replace(",", "").replace("−", "-"))


# The forecast


def test_forecast_page_shows_the_open_pipeline_by_category(open_pipeline: World) -> None:
    world = open_pipeline
    # when the admin opens the forecast of April (the clock stands on 1 March)
    response = signed_in(world.admin).get("/analytics/forecast/", APRIL)
    assert response.status_code == 200
    html = response.text
    found = tables(html)

    # then commit = Q + R: 2 deals, 2500, weighted 1850; pipeline = P: 1000 weighted 50
    categories = rows_by_name(found["categories"])
    assert found["categories"][0][:7] == [
        "Forecast category",
        "Deals",
        "Amount",
        "Weighted amount",
        "Adjusted",
        "Difference",
        "Adjust",
    ]
    assert categories["Commit"][:5] == ["2", "CN¥2,500.00", "CN¥1,850.00", DASH, DASH]
    assert categories["Best case"][:3] == ["0", "CN¥0.00", "CN¥0.00"]
    assert categories["Pipeline"][:3] == ["1", "CN¥1,000.00", "CN¥50.00"]
    assert categories["Omitted"][:3] == ["0", "CN¥0.00", "CN¥0.00"]
    assert categories["Total"] == ["3", "CN¥3,500.00", "CN¥1,900.00", DASH, DASH, ""]
    # and the admin has a form per category (not for the total), with the CSRF token
    assert html.count('class="adjust-form"') == 4
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'id="id_commit_amount"' in html

    # and by owner: rep_east P + Q (50 + 1600), rep_west R (250), named
    owners = rows_by_name(found["owners"])
    assert owners[world.rep_east.user.username] == [
        "2",
        "CN¥3,000.00",
        "CN¥1,600.00",
        "CN¥0.00",
        "CN¥50.00",
        "CN¥0.00",
        "CN¥1,650.00",
    ]
    assert owners[world.rep_west.user.username][0] == "1"
    assert owners[world.rep_west.user.username][-1] == "CN¥250.00"

    # and the Monte Carlo table holds April: the seed-1 simulation of 10,000 runs, and the
    # weighted amount of April beside it
    expected = forecast.monte_carlo_forecast(
        world.admin,
        Cut(world.pipeline.pk, datetime.date(2026, 4, 1), datetime.date(2026, 4, 30)),
        seed=1,
        runs=10_000,
    )
    assert expected.forecast is not None
    won = expected.forecast.periods[0].won
    simulation = found["simulation"]
    assert simulation[0] == ["Month", "P10", "P50 (median)", "P90", "Mean", "Weighted amount"]
    assert len(simulation) == 2
    april = simulation[1]
    assert april[0] == "April 2026"
    assert [money(text) for text in april[1:5]] == [won.p10, won.p50, won.p90, won.mean]
    assert april[5] == "CN¥1,900.00"
    assert "10,000 simulations" in html
    chart = json.loads(re.search(r'id="forecast-data"[^>]*>(.*?)</script>', html, re.S)[1])
    assert chart["labels"] == ["April 2026"]
    assert chart["weighted"] == [1900.0]
    assert chart["p50"] == [float(won.p50)]
    assert re.search(r'data-forecast-chart[^>]*role="img"\s+aria-label="Chart of the amount', html)

    # and the learned probability of each open stage sits beside the configured one
    learned = found["learned"]
    assert learned[0] == ["Stage", "Configured probability", "Learned probability", "Closed deals"]
    first = world.open_stages()[0]
    assert rows_by_name(learned)[first.name] == [f"{first.probability}.0%", DASH, "0"]
    assert len(learned) == 1 + len(world.open_stages())


def test_forecast_looks_ahead_by_default(open_pipeline: World) -> None:
    # when the admin opens the forecast without a period on 1 March
    html = signed_in(open_pipeline.admin).get("/analytics/forecast/").text

    # then it runs from today to the end of the next quarter, 30 June
    assert 'name="first_day" value="2026-03-01"' in html
    assert 'name="last_day" value="2026-06-30"' in html
    # and S (9000, closing 1 May, 5 %) counts too: total weighted 1900 + 450
    found = tables(html)
    assert rows_by_name(found["categories"])["Total"][:3] == [
        "4",
        "CN¥12,500.00",
        "CN¥2,350.00",
    ]
    # and the simulation has a row per month and one for the whole period
    months = [row[0] for row in found["simulation"][1:]]
    assert months == ["March 2026", "April 2026", "May 2026", "June 2026", "Whole period"]
    weighted = [row[-1] for row in found["simulation"][1:]]
    assert weighted == ["CN¥0.00", "CN¥1,900.00", "CN¥450.00", "CN¥0.00", "CN¥2,350.00"]
    # and there is no grouping or compare period on this page
    assert 'name="grain"' not in html
    assert 'name="compare_first_day"' not in html
    # and the other tabs keep the pipeline but not this page's period
    tabs = re.search(r'<nav class="analytics-tabs".*?</nav>', html, re.S)
    assert tabs is not None
    assert "first_day" not in tabs[0].split("forecast/")[0]
    assert "pipeline=" in tabs[0]


def test_a_period_in_the_past_has_nothing_to_simulate(open_pipeline: World) -> None:
    html = (
        signed_in(open_pipeline.admin)
        .get("/analytics/forecast/", {**MARCH, "last_day": "2026-02-28", "first_day": "2026-02-01"})
        .text
    )
    assert "The whole period lies in the past: there is nothing left to simulate." in html
    assert 'id="forecast-data"' not in html


def test_a_manager_adjusts_a_category_and_sees_both_numbers(open_pipeline: World) -> None:
    world = open_pipeline
    client = signed_in(world.boss)

    # when the sales manager sets commit to 1500 through the page's form (HTMX)
    response = client.post(
        ADJUST,
        {"category": "commit", "amount": "1500", "note": "Q slips to May"},
        HTTP_HX_REQUEST="true",
    )

    # then the table comes back alone, with the computed 1850 beside their 1500
    assert response.status_code == 200
    assert response.text.startswith('<section class="card table-card"')
    assert 'id="categories-card"' in response.text
    categories = rows_by_name(tables(response.text)["categories"])
    assert categories["Commit"][:5] == [
        "2",
        "CN¥2,500.00",
        "CN¥1,850.00",
        "CN¥1,500.00",
        "−CN¥350.00",
    ]
    # and the total counts their figure for commit and the computed one elsewhere
    assert categories["Total"][2:5] == ["CN¥1,900.00", "CN¥1,550.00", "−CN¥350.00"]
    toast = json.loads(response["HX-Trigger"])["toast"]["text"]
    assert toast == "Adjustment saved: Commit."
    adjustment = ForecastAdjustment.objects.get()
    assert (adjustment.owner_id, adjustment.category) == (world.boss.user_id, "commit")
    assert (adjustment.first_day, adjustment.last_day) == (
        datetime.date(2026, 4, 1),
        datetime.date(2026, 4, 30),
    )
    assert adjustment.team_id is None

    # and the page shows both numbers, the form keeps the figure and the note
    html = client.get("/analytics/forecast/", APRIL).text
    assert rows_by_name(tables(html)["categories"])["Commit"][2:4] == [
        "CN¥1,850.00",
        "CN¥1,500.00",
    ]
    assert 'value="1500.00"' in html
    assert 'value="Q slips to May"' in html
    # and the download has both too, with the note
    rows = parsed_csv(
        client.get("/analytics/forecast/", {**APRIL, "format": "csv", "table": "categories"})
    )
    assert rows[0] == [
        "Forecast category",
        "Deals",
        "Amount (CNY)",
        "Weighted amount (CNY)",
        "Adjusted (CNY)",
        "Difference (CNY)",
        "Note",
    ]
    assert rows_by_name(rows)["Commit"] == [
        "2",
        "2500.00",
        "1850.00",
        "1500.00",
        "-350.00",
        "Q slips to May",
    ]

    # when they expect nothing from the pipeline category, zero is a figure like any other
    response = client.post(ADJUST, {"category": "pipeline", "amount": "0"}, HTTP_HX_REQUEST="true")
    categories = rows_by_name(tables(response.text)["categories"])
    assert categories["Pipeline"][2:5] == ["CN¥50.00", "CN¥0.00", "−CN¥50.00"]
    assert categories["Total"][2:5] == ["CN¥1,900.00", "CN¥1,500.00", "−CN¥400.00"]

    # and another manager's page is not touched
    other = signed_in(world.east_manager).get("/analytics/forecast/", APRIL).text
    assert rows_by_name(tables(other)["categories"])["Commit"][3] == DASH


def test_adjust_errors_sit_next_to_the_field_and_empty_withdraws(open_pipeline: World) -> None:
    client = signed_in(open_pipeline.boss)

    # when the amount is negative, the table comes back with the error next to the field
    response = client.post(
        ADJUST, {"category": "best_case", "amount": "-5"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="id_best_case_amount_error">'
        "Ensure this value is greater than or equal to 0.</p>" in response.text
    )
    assert re.search(
        r'id="id_best_case_amount"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_best_case_amount"',
        response.text,
    )
    assert not ForecastAdjustment.objects.exists()

    # when a form is sent without JavaScript, the answer is the page again (PRG)
    response = client.post(ADJUST, {"category": "pipeline", "amount": "80", "note": ""})
    assert response.status_code == 302
    assert response["Location"].startswith("/analytics/forecast/?")
    assert "first_day=2026-04-01" in response["Location"]
    assert ForecastAdjustment.objects.get().amount == Decimal(80)
    # and with an error, the whole page with the error next to its field
    response = client.post(ADJUST, {"category": "pipeline", "amount": "lots"})
    assert response.status_code == 422
    assert 'id="id_pipeline_amount_error">Enter a number.</p>' in response.text
    assert 'class="filters analytics-filters"' in response.text
    assert 'data-table="simulation"' in response.text

    # when the amount is left empty, the adjustment is withdrawn
    response = client.post(ADJUST, {"category": "pipeline", "amount": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["toast"]["text"] == "Adjustment withdrawn: Pipeline."
    assert not ForecastAdjustment.objects.exists()

    # and an unknown category is not found
    response = client.post(ADJUST, {"category": "maybe", "amount": "1"})
    assert response.status_code == 404


def test_a_rep_sees_no_adjust_form_and_may_not_post(open_pipeline: World) -> None:
    client = signed_in(open_pipeline.rep_east)

    # when rep_east opens April: P and Q are theirs (50 + 1600), and no form is offered
    html = client.get("/analytics/forecast/", APRIL).text
    found = tables(html)
    assert found["categories"][0] == ["Forecast category", "Deals", "Amount", "Weighted amount"]
    categories = rows_by_name(found["categories"])
    assert categories["Commit"] == ["1", "CN¥2,000.00", "CN¥1,600.00"]
    assert categories["Total"] == ["2", "CN¥3,000.00", "CN¥1,650.00"]
    assert "adjust-form" not in html
    assert 'name="amount"' not in html

    # when they post an adjustment anyway, it is refused and nothing is kept
    response = client.post(ADJUST, {"category": "commit", "amount": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    response = client.post(ADJUST, {"category": "commit", "amount": "1"})
    assert response.status_code == 403
    assert not ForecastAdjustment.objects.exists()
    # and the download has no adjusted columns either
    rows = parsed_csv(
        client.get("/analytics/forecast/", {**APRIL, "format": "csv", "table": "categories"})
    )
    assert rows[0] == ["Forecast category", "Deals", "Amount (CNY)", "Weighted amount (CNY)"]


def test_forecast_downloads_parse(open_pipeline: World) -> None:
    client = signed_in(open_pipeline.admin)

    # the owners' table as XLSX: numbers as numbers
    rows = parsed_xlsx(
        client.get("/analytics/forecast/", {**APRIL, "format": "xlsx", "table": "owners"})
    )
    assert rows[0][:3] == ("Owner", "Deals", "Amount (CNY)")
    owners = {row[0]: row[1:] for row in rows[1:]}
    assert owners[open_pipeline.rep_east.user.username] == (2, 3000, 1600, 0, 50, 0, 1650)

    # the simulation as CSV: April's weighted amount is 1900
    rows = parsed_csv(
        client.get("/analytics/forecast/", {**APRIL, "format": "csv", "table": "simulation"})
    )
    assert rows[0] == [
        "Month",
        "P10 (CNY)",
        "P50 (median) (CNY)",
        "P90 (CNY)",
        "Mean (CNY)",
        "Weighted amount (CNY)",
    ]
    assert rows[1][0] == "April 2026"
    assert rows[1][-1] == "1900.00"
    response = client.get("/analytics/forecast/", {**APRIL, "format": "csv", "table": "simulation"})
    assert "salesflow-forecast-simulation-20260401-20260430.csv" in response["Content-Disposition"]

    # the learned probabilities as XLSX and CSV
    rows = parsed_xlsx(
        client.get("/analytics/forecast/", {**APRIL, "format": "xlsx", "table": "learned"})
    )
    assert rows[0] == (
        "Stage",
        "Configured probability (%)",
        "Learned probability (%)",
        "Closed deals",
    )
    first = open_pipeline.open_stages()[0]
    assert rows[1] == (first.name, first.probability, None, 0)
    rows = parsed_csv(
        client.get("/analytics/forecast/", {**APRIL, "format": "csv", "table": "learned"})
    )
    assert rows[1] == [first.name, f"{first.probability}.0", "", "0"]

    # and an unknown table is not found
    assert client.get("/analytics/forecast/", {"format": "csv", "table": "nope"}).status_code == 404


def test_forecast_filters_swap_and_refuse_like_the_other_pages(
    open_pipeline: World,
    other_world: World,
) -> None:
    client = signed_in(open_pipeline.admin)

    # a filter change gets the figures without the form around them
    response = client.get("/analytics/forecast/", APRIL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.startswith('<div id="analytics-results"')
    assert "<form" in response.text  # the adjust forms are part of the figures
    assert 'class="filters' not in response.text
    assert '<nav class="analytics-tabs" id="analytics-tabs"' in response.text

    # a refused date is reported next to its field; the default period is shown
    response = client.get("/analytics/forecast/", {"first_day": "2026-13-45"})
    assert response.status_code == 422
    assert '<p class="field-error" id="id_first_day_error">Enter a valid date.</p>' in response.text
    assert "categories" in tables(response.text)

    # cut by owner: R alone
    found = tables(
        client.get("/analytics/forecast/", {**APRIL, "owner": open_pipeline.rep_west.user_id}).text
    )
    assert rows_by_name(found["categories"])["Total"][:3] == ["1", "CN¥500.00", "CN¥250.00"]

    # another workspace's pipeline is not found, on both pages
    for url in ("/analytics/forecast/", "/analytics/bottlenecks/"):
        assert client.get(url, {"pipeline": other_world.pipeline.pk}).status_code == 404


# Bottlenecks


def leaking_history(world: World, moment: Clock) -> None:
    """The history of tests/analytics/test_bottlenecks.py.

    February: rep_west's 4 deals, 3 moved on to S1 a day later (conversion 3/4, stays 1 day).
    March: rep_east's 2 deals stay in S0; of rep_west's 2, one moves on after 10 days.
    """
    s = world.open_stages()
    moment.at(2, 2)
    february = [make_deal(world.rep_west) for _ in range(4)]
    moment.at(2, 3)
    for deal in february[:3]:
        move_deal(world.rep_west, deal.pk, s[1].pk, None)
    moment.at(3, 2)
    make_deal(world.rep_east)
    make_deal(world.rep_east)
    moved = make_deal(world.rep_west)
    make_deal(world.rep_west)
    moment.at(3, 12)
    move_deal(world.rep_west, moved.pk, s[1].pk, None)


@pytest.fixture
def leaking(free_world: World, clock: Clock) -> World:
    leaking_history(free_world, clock)
    return free_world


def flags(html: str) -> dict[str, list[str]]:
    """The text of each flag on the page, by kind."""
    found: dict[str, list[str]] = {}
    for kind, body in re.findall(
        r'<article class="flag" data-flag="(\w+)">(.*?)</article>', html, re.S
    ):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
        found.setdefault(kind, []).append(text)
    return found


def test_bottlenecks_page_shows_the_three_flags(
    leaking: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = leaking
    stage = world.open_stages()[0].name
    monkeypatch.setattr(forecast_views, "THRESHOLDS", SMALL)
    client = signed_in(world.boss)

    # when the manager opens the bottlenecks of March (thresholds lowered for four deals)
    response = client.get("/analytics/bottlenecks/", MARCH)
    assert response.status_code == 200
    html = response.text
    found = flags(html)

    # then S0's conversion (25.0 % against 75.0 %), its median stay (10 days against 1) and
    # rep_east (0.0 % against 25.0 %) are flagged, each with its explanation and advice
    assert list(found) == ["conversion", "time", "reps"]
    [leak] = found["conversion"]
    assert leak.startswith(f"{stage} Conversion to next 25.0% Baseline 75.0% Deals 4 ")
    assert "25.0 % of the deals that reached" in leak
    assert "first real contact" in leak
    [slow] = found["time"]
    assert slow.startswith(f"{stage} Median days in stage 10.0 days Baseline 1.0 days Stays ended")
    assert "Deals stall here" in slow
    [behind] = found["reps"]
    assert behind.startswith(
        f"{world.rep_east.user.username} · {stage} Conversion to next 0.0% "
        "Everyone in the report 25.0% Deals 2 "
    )
    assert "Coach this stage" in behind
    assert "Nothing fell below the thresholds" not in html
    # and the thresholds in force are said under the flags
    assert "below 80% of the baseline" in html
    assert "with at least 1 deal reaching it" in html

    # and each kind downloads: conversion as CSV, reps as XLSX
    rows = parsed_csv(
        client.get("/analytics/bottlenecks/", {**MARCH, "format": "csv", "table": "conversion"})
    )
    assert rows[0] == [
        "Stage",
        "Conversion to next (%)",
        "Baseline (%)",
        "Deals",
        "Explanation",
        "What usually helps",
    ]
    assert rows[1][:4] == [stage, "25.0", "75.0", "4"]
    assert rows[1][4].startswith("25.0 % of the deals")
    rows = parsed_csv(
        client.get("/analytics/bottlenecks/", {**MARCH, "format": "csv", "table": "time"})
    )
    assert rows[0][:4] == ["Stage", "Median days in stage", "Baseline (days)", "Stays ended"]
    assert rows[1][:3] == [stage, "10.0", "1.0"]
    rows = parsed_xlsx(
        client.get("/analytics/bottlenecks/", {**MARCH, "format": "xlsx", "table": "reps"})
    )
    assert rows[0][:5] == (
        "Rep",
        "Stage",
        "Conversion to next (%)",
        "Everyone in the report (%)",
        "Deals",
    )
    assert rows[1][:5] == (world.rep_east.user.username, stage, 0, 25, 2)


def test_bottlenecks_with_the_default_thresholds_show_the_empty_state(leaking: World) -> None:
    # when the manager opens March with the default thresholds, four deals are too few
    response = signed_in(leaking.boss).get("/analytics/bottlenecks/", MARCH)
    assert response.status_code == 200
    html = response.text
    assert flags(html) == {}
    assert "Nothing fell below the thresholds in this period." in html
    assert '<a href="#thresholds">' in html
    assert 'id="thresholds"' in html
    # and the note says the thresholds of Thresholds()
    assert "below 80% of the baseline" in html
    assert "above 150% of the baseline" in html
    assert "below 70% of everyone" in html
    assert "at least 20 deals" in html
    assert "at least 10 stays" in html
    # and the baseline period is named: the 124 days before 1 March
    assert "10/28/2025 – 02/28/2026" in html
    # and nothing is offered for download
    assert "format=csv" not in html
    # and the thresholds are not read from the request
    response = signed_in(leaking.boss).get(
        "/analytics/bottlenecks/", {**MARCH, "min_deals": "1", "min_stays": "1"}
    )
    assert flags(response.text) == {}


def test_bottlenecks_page_is_a_tab_and_swaps_like_the_others(leaking: World) -> None:
    client = signed_in(leaking.admin)
    html = client.get("/analytics/", MARCH).text
    assert re.search(r'href="/analytics/bottlenecks/\?[^"]*first_day=2026-03-01', html)
    assert re.search(r'href="/analytics/forecast/\?pipeline=\d+"', html)
    response = client.get("/analytics/bottlenecks/", MARCH, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.startswith('<div id="analytics-results"')
    assert 'aria-current="page">Bottlenecks</a>' in response.text
    # and a rep reads it for their own deals (one owner: nobody to be behind)
    response = signed_in(leaking.rep_west).get("/analytics/bottlenecks/", MARCH)
    assert response.status_code == 200
    assert 'name="owner"' not in response.text


def test_the_page_says_when_smaller_deals_are_drawn_in_aggregate(
    history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 39 open deals and a budget that draws the 5 largest one by one (the clock stands on
    # 3 April)
    many_open_deals(history)
    draw_five_largest(monkeypatch, forecast_views.SIMULATION_RUNS, any_error=True)

    # when the admin opens the forecast of April and May
    response = signed_in(history.admin).get(
        "/analytics/forecast/", {"first_day": "2026-04-01", "last_day": "2026-05-31"}
    )

    # then the note under the chart says how many were drawn in aggregate, and the estimate
    assert response.status_code == 200
    result = forecast.monte_carlo_forecast(
        history.admin,
        Cut(history.pipeline.pk, datetime.date(2026, 4, 1), datetime.date(2026, 5, 31)),
    )
    assert result.forecast is not None
    points = f"{max(result.forecast.aggregate_error * 100, 0.01):.2f}"
    assert (
        "The 34 smaller deals are drawn in aggregate, with the mean, spread and skew of their "
        f"sum: estimated to move no percentile by more than {points} percentile points."
    ) in response.text
