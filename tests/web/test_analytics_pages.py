"""The analytics pages and their downloads on a small history computed by hand."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.test import Client

from salesflow.core.scoping import Actor
from salesflow.pipeline.services.pipelines import create_pipeline, create_stage
from tests.conftest import World

pytestmark = pytest.mark.django_db

MARCH = {"first_day": "2026-03-01", "last_day": "2026-03-31"}
DASH = "–"


def signed_in(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


class _Tables(HTMLParser):
    """The rows of every `<table data-table="…">`, as the text of their cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current = dict(attrs).get("data-table")
            if self.current:
                self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.current:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif tag in ("td", "th") and self.current and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def rows_by_name(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table[1:]}


def test_funnel_page_shows_the_cohort_flow_times_and_owners(history: World) -> None:
    # when the admin opens the funnel of March
    response = signed_in(history.admin).get("/analytics/", MARCH)
    assert response.status_code == 200
    html = response.text
    found = tables(html)
    names = [s.name for s in history.open_stages()]

    # then the cohort (A, B, C, D) reached the stages as computed in test_funnel:
    # 4 (600), 4 (600), 3 (600), then 2 (400) for the later open stages; Signed 1 (100)
    cohort = rows_by_name(found["cohort"])
    assert found["cohort"][0][:4] == ["Stage", "Reached", "Amount", "Conversion to next"]
    assert cohort[names[0]] == ["4", "CN¥600.00", "100.0%", "0", "2.5", "3.5"]
    assert cohort[names[1]] == ["4", "CN¥600.00", "75.0%", "1", "3.5", "3.5"]
    assert cohort[names[2]][:4] == ["3", "CN¥600.00", "66.7%", "1"]
    assert cohort[names[-1]][:4] == ["2", "CN¥400.00", "50.0%", "1"]
    assert cohort["Signed"] == ["1", "CN¥100.00", "0.0%", "1", "5.0", "5.0"]
    assert cohort["After-sales service"][:4] == ["0", "CN¥0.00", DASH, DASH]
    # and the flow funnel counts the entries of March: S0 6, S1 2, S2 2, Signed 2
    flow = rows_by_name(found["flow"])
    assert [flow[names[0]][0], flow[names[1]][0], flow[names[2]][0]] == ["6", "2", "2"]
    assert flow["Signed"][0] == "2"
    # and the headline says 4 created, 1 won, 25.0% overall
    assert "25.0%" in html
    # and the owners' funnels name their owners: rep_east 2, 2, 2 …; rep_west 2, 2, 1 …
    owners = rows_by_name(found["owners"])
    assert owners[history.rep_east.user.username][:3] == ["2", "2", "2"]
    assert owners[history.rep_west.user.username][:3] == ["2", "2", "1"]
    assert owners[history.rep_east.user.username][-1] == "50.0%"
    # and the chart's data and its container are on the page, with a text alternative
    assert 'id="funnel-data"' in html
    assert re.search(r'data-chart="funnel"[^>]*role="img"\s+aria-label="Funnel chart', html)


def test_funnel_compares_with_another_period(history: World) -> None:
    # when March is compared with April (E alone: S0 1, S1 1)
    query = {**MARCH, "compare_first_day": "2026-04-01", "compare_last_day": "2026-04-30"}
    found = tables(signed_in(history.admin).get("/analytics/", query).text)
    names = [s.name for s in history.open_stages()]

    # then each stage shows both counts and the change
    compare = rows_by_name(found["compare"])
    assert compare[names[0]][:3] == ["4", "1", "+3"]
    assert compare[names[1]][:3] == ["4", "1", "+3"]
    assert compare[names[2]][:3] == ["3", "0", "+3"]
    # S0 → S1 was 100% in both periods; S1 → S2 75% against 0%: +75.0 points
    assert compare[names[0]][3:] == ["100.0%", "100.0%", "0.0 pp"]
    assert compare[names[1]][3:] == ["75.0%", "0.0%", "+75.0 pp"]


def test_a_rep_sees_only_their_own_deals(history: World) -> None:
    # when rep_west (C and D) opens the funnel and the outcomes
    client = signed_in(history.rep_west)
    found = tables(client.get("/analytics/", MARCH).text)
    names = [s.name for s in history.open_stages()]

    # then only C and D count: S0 2, S1 2, S2 1; nobody won now
    cohort = rows_by_name(found["cohort"])
    assert [cohort[n][0] for n in names[:3]] == ["2", "2", "1"]
    assert cohort["Signed"][0] == "0"
    assert list(rows_by_name(found["owners"])) == [history.rep_west.user.username]
    # and no owner or team filter is offered
    html = client.get("/analytics/", MARCH).text
    assert 'name="owner"' not in html
    # and the outcomes of March have nothing closed by rep_west: B and A were rep_east's
    summary = tables(client.get("/analytics/outcomes/", MARCH).text)["summary"]
    assert summary[1][1:4] == ["0", "0", DASH]


def test_filters_cut_by_owner_and_customer(history: World) -> None:
    client = signed_in(history.admin)
    names = [s.name for s in history.open_stages()]

    # when cut by owner rep_east, then A and B count
    found = tables(client.get("/analytics/", {**MARCH, "owner": history.rep_east.user_id}).text)
    assert rows_by_name(found["cohort"])[names[0]][0] == "2"

    # when cut by industry Retail, then only A counts: in the cohort (with its 3 days in S0)
    # and in the flow funnel (it entered S0 once)
    found = tables(client.get("/analytics/", {**MARCH, "industry": "Retail"}).text)
    assert rows_by_name(found["cohort"])[names[0]][:2] == ["1", "CN¥100.00"]
    assert rows_by_name(found["cohort"])[names[0]][4] == "3.0"
    assert rows_by_name(found["flow"])[names[0]] == ["1", "CN¥100.00"]


def test_trend_page_counts_each_month(history: World) -> None:
    # when the admin opens the trend up to April 2026
    response = signed_in(history.admin).get("/analytics/trend/", {"last_day": "2026-04-30"})
    assert response.status_code == 200
    trend = tables(response.text)["trend"]

    # then twelve months, May 2025 to April 2026, are listed
    assert [row[0] for row in trend[1:]][::11] == ["May 2025", "April 2026"]
    months = rows_by_name(trend)
    assert len(months) == 12
    # March: 4 created, 1/4 overall; A won (100), B lost: 50.0%, cycle 18 days
    assert months["March 2026"] == ["4", "25.0%", "1", "CN¥100.00", "50.0%", "18.0"]
    # April: E created and still open; nothing closed
    assert months["April 2026"] == ["1", "0.0%", "0", "CN¥0.00", DASH, DASH]
    assert months["February 2026"][0] == "0"
    assert 'id="trend-data"' in response.text

    # when by quarter, then 12 quarters; Q1 2026 holds March
    quarters = rows_by_name(
        tables(
            signed_in(history.admin)
            .get("/analytics/trend/", {"last_day": "2026-04-30", "grain": "quarter"})
            .text
        )["trend"]
    )
    assert len(quarters) == 12
    assert quarters["2026 Q1"][:3] == ["4", "25.0%", "1"]
    assert quarters["2026 Q2"][0] == "1"


def test_outcomes_page_shows_win_rate_cycle_velocity_and_owners(history: World) -> None:
    # when the admin opens the outcomes of March
    response = signed_in(history.admin).get("/analytics/outcomes/", MARCH)
    assert response.status_code == 200
    found = tables(response.text)

    # then A was won (100, 18 days) and B lost; C, D and E are open; velocity 3 × 100 × ½ ÷ 18
    summary = found["summary"]
    assert summary[0][1:] == [
        "Won",
        "Lost",
        "Win rate",
        "Won amount",
        "Average won deal size",
        "Median sales cycle (days)",
        "Mean sales cycle (days)",
        "Open deals",
        "Sales velocity per day",
    ]
    assert summary[1][1:] == [
        "1",
        "1",
        "50.0%",
        "CN¥100.00",
        "CN¥100.00",
        "18.0",
        "18.0",
        "3",
        "CN¥8.33",
    ]
    # and by owner: rep_east closed both and has E open (1 × 100 × 1/2 ÷ 18 = 2.78 a day);
    # rep_west closed nothing but has C and D open
    owners = rows_by_name(found["owners"])
    assert owners == {
        history.rep_east.user.username: [
            "1", "1", "50.0%", "CN¥100.00", "CN¥100.00", "18.0", "18.0", "1", "CN¥2.78",
        ],
        history.rep_west.user.username: ["0", "0", "–", "CN¥0.00", "–", "–", "–", "2", "–"],
    }  # fmt: skip


def test_another_workspaces_pipeline_is_not_found(history: World, other_world: World) -> None:
    client = signed_in(history.admin)
    for url in ("/analytics/", "/analytics/trend/", "/analytics/outcomes/", "/analytics/plan/"):
        assert client.get(url, {"pipeline": other_world.pipeline.pk}).status_code == 404


def test_bad_dates_are_reported_next_to_their_field(history: World) -> None:
    client = signed_in(history.admin)

    # when a date does not parse, the page still shows the default period's figures
    response = client.get("/analytics/", {"first_day": "2026-13-45"})
    assert response.status_code == 422
    html = response.text
    assert '<p class="field-error" id="id_first_day_error">Enter a valid date.</p>' in html
    assert "cohort" in tables(html)

    # when the period ends before it starts, the error sits next to its first day
    response = client.get("/analytics/", {"first_day": "2026-03-31", "last_day": "2026-03-01"})
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="id_first_day_error">'
        "The period must not end before it starts.</p>" in response.text
    )

    # when only one day of the compare period is given
    response = client.get("/analytics/outcomes/", {**MARCH, "compare_first_day": "2026-02-01"})
    assert response.status_code == 422
    assert "Give both days of the period to compare with." in response.text
    assert "summary" in tables(response.text)


def test_csv_export_has_the_same_numbers(history: World) -> None:
    # when the cohort table of March is downloaded as CSV
    response = signed_in(history.admin).get(
        "/analytics/", {**MARCH, "format": "csv", "table": "cohort"}
    )

    # then it is UTF-8 with a BOM, named after the period, and parses to the page's numbers
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "20260301-20260331" in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [s.name for s in history.open_stages()]
    assert rows[0] == [
        "Stage",
        "Reached",
        "Amount (CNY)",
        "Conversion to next (%)",
        "Drop-off",
        "Median days in stage",
        "Mean days in stage",
    ]
    by_name = rows_by_name(rows)
    assert by_name[names[0]] == ["4", "600.00", "100.0", "0", "2.5", "3.5"]
    assert by_name[names[1]] == ["4", "600.00", "75.0", "1", "3.5", "3.5"]
    assert by_name["After-sales service"] == ["0", "0.00", "", "", "", ""]

    # and the outcomes summary too
    response = signed_in(history.admin).get(
        "/analytics/outcomes/", {**MARCH, "format": "csv", "table": "summary"}
    )
    summary = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert summary[1][1:] == ["1", "1", "50.0", "100.00", "100.00", "18.0", "18.0", "3", "8.33"]


def test_xlsx_export_has_numbers_as_numbers(history: World) -> None:
    # when the trend and the owners' funnel are downloaded as XLSX
    client = signed_in(history.admin)
    response = client.get(
        "/analytics/trend/", {"last_day": "2026-04-30", "format": "xlsx", "table": "trend"}
    )
    assert response.status_code == 200
    assert "20250501-20260430" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Period", "Deals created", "Overall conversion (%)")
    march = next(row for row in rows if row[0] == "March 2026")

    # then the cells hold numbers, not text
    assert march[1:] == (4, 25, 1, 100, 50, 18)
    march_cells = next(r for r in sheet.iter_rows() if r[0].value == "March 2026")
    assert all(cell.data_type == "n" for cell in march_cells[1:])
    assert march_cells[4].number_format == "#,##0.00"

    response = client.get("/analytics/", {**MARCH, "format": "xlsx", "table": "owners"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    owners = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert owners[history.rep_west.user.username][:3] == (2, 2, 1)


def test_unknown_table_or_format_is_not_found(history: World) -> None:
    client = signed_in(history.admin)
    assert client.get("/analytics/", {"format": "csv", "table": "nope"}).status_code == 404
    assert client.get("/analytics/", {"format": "pdf", "table": "cohort"}).status_code == 404


def _seed_pipeline(world: World) -> tuple[Any, list[Any]]:
    """The seed document's funnel: five open stages, then won and lost."""
    pipeline = create_pipeline(world.admin, {"name": "Seed"})
    stages = [
        create_stage(world.admin, pipeline.pk, {"name": name, "kind": "open"})
        for name in ("Leads", "Contacted", "Analysed", "Proposal", "Negotiation")
    ]
    create_stage(world.admin, pipeline.pk, {"name": "Won", "kind": "won"})
    create_stage(world.admin, pipeline.pk, {"name": "Lost", "kind": "lost"})
    return pipeline, stages


def test_planner_works_back_from_the_seed_example(world: World) -> None:
    # given the seed pipeline and its rates 50, 40, 50, 50, 60%
    pipeline, stages = _seed_pipeline(world)
    reps = [world.rep_east.user_id, world.rep_west.user_id]
    query: dict[str, Any] = {
        "pipeline": pipeline.pk,
        "target_contracts": "3",
        "first_day": "2026-03-02",
        "last_day": "2026-03-29",
        "reps": reps,
    }
    for stage, rate in zip(stages, ("50", "40", "50", "50", "60"), strict=True):
        query[f"rate_{stage.pk}"] = rate
    client = signed_in(world.admin)

    # when the admin asks for 3 contracts
    response = client.get("/analytics/plan/", query)
    assert response.status_code == 200
    found = tables(response.text)

    # then the stages need 100, 50, 20, 10 and 5 deals
    needs = rows_by_name(found["needs"])
    assert [needs[s.name][1] for s in stages] == ["100", "50", "20", "10", "5"]
    assert [needs[s.name][0] for s in stages] == ["50.0%", "40.0%", "50.0%", "50.0%", "60.0%"]
    assert needs["Won (target)"][1] == "3"
    # and four weeks × two reps share them: the Leads column adds up to 100
    weekly = found["weekly"]
    assert len(weekly) == 1 + 4 * 2
    assert sum(int(row[3]) for row in weekly[1:]) == 100
    assert sum(int(row[-1]) for row in weekly[1:]) == 3

    # and the needs download has the same numbers
    download = client.get("/analytics/plan/", {**query, "format": "csv", "table": "needs"})
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["100", "50", "20", "10", "5", "3"]
    assert "20260302-20260329" in download["Content-Disposition"]


def test_planner_prefills_history_and_reports_errors_next_to_fields(history: World) -> None:
    client = signed_in(history.admin)
    first, second = history.open_stages()[:2]

    # when the admin opens the planner (on 20 April), the rates come from the cohort of the
    # last 365 days, A to E: S0 → S1 5/5 = 100%, S1 → S2 3/5 = 60%; A won 100 on average
    html = client.get("/analytics/plan/").text
    assert f'name="rate_{first.pk}" value="100.00"' in html
    assert f'name="rate_{second.pk}" value="60.00"' in html
    assert 'name="average_deal_size" value="100.00"' in html
    assert "needs" not in tables(html)

    # when a rate is zero and no target is given, the errors sit next to those fields
    response = client.get(
        "/analytics/plan/",
        {
            "target_contracts": "",
            "first_day": "2026-05-04",
            "last_day": "2026-05-31",
            f"rate_{first.pk}": "0",
            "reps": [history.rep_east.user_id],
        },
    )
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="id_target_contracts_error">'
        "Give a target: a number of contracts or a revenue.</p>" in response.text
    )

    # when the target is given, the planner's own objection names the stage
    response = client.get(
        "/analytics/plan/",
        {
            "target_contracts": "3",
            "first_day": "2026-05-04",
            "last_day": "2026-05-31",
            f"rate_{first.pk}": "0",
            "reps": [history.rep_east.user_id],
        },
    )
    assert response.status_code == 422
    objection = f'id="id_rate_{first.pk}_error">The conversion rate of “{first.name}”'
    assert objection in response.text

    # when a revenue is the target, contracts = revenue ÷ deal size, rounded up: 250 / 100 → 3
    response = client.get(
        "/analytics/plan/",
        {
            "target_revenue": "250",
            "average_deal_size": "100",
            "first_day": "2026-05-04",
            "last_day": "2026-05-31",
            "reps": [history.rep_east.user_id],
        },
    )
    assert response.status_code == 200, response.text
    assert rows_by_name(tables(response.text)["needs"])["Won (target)"][1] == "3"

    # when no rep is chosen
    response = client.get(
        "/analytics/plan/",
        {"target_contracts": "3", "first_day": "2026-05-04", "last_day": "2026-05-31"},
    )
    assert response.status_code == 422
    assert '<p class="field-error" id="id_reps_error">Choose at least one rep.</p>' in (
        response.text
    )


def test_a_filter_change_gets_the_figures_and_the_errors_out_of_band(history: World) -> None:
    client = signed_in(history.admin)
    for url in ("/analytics/", "/analytics/trend/", "/analytics/outcomes/"):
        # when a filter changes, the figures come back without the form around them
        response = client.get(url, MARCH, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert response.text.startswith('<div id="analytics-results"')
        assert "<form" not in response.text
        assert '<nav class="analytics-tabs" id="analytics-tabs"' in response.text

    # and a refused date comes with its error, for the place next to its field
    response = client.get("/analytics/", {"last_day": "soon"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert re.search(
        r'<div class="field-errors" id="id_last_day_errors" aria-live="polite" '
        r'hx-swap-oob="true"><p class="field-error" id="id_last_day_error">Enter a valid date.',
        response.text,
    )
