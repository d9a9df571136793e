"""The tier rules settings page, the tier inputs on the customer pages, the pin buttons and the
shortcuts menu of every page."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salesflow.core.scoping import Actor
from salesflow.customers import shortcuts, tiers
from salesflow.customers.models import Customer, CustomerUsage
from tests.conftest import World, make_customer, make_deal

pytestmark = pytest.mark.django_db


def signed_in(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def names_on(page: str) -> list[str]:
    return re.findall(r'<a href="/customers/\d+/">([^<]+)</a>', page)


def rule_row(index: int, tier: str = "", revenue: str = "", potential: str = "", fit: str = ""):
    prefix = f"rules-{index}-"
    return {
        f"{prefix}tier": tier,
        f"{prefix}min_revenue": revenue,
        f"{prefix}min_potential": potential,
        f"{prefix}min_fit": fit,
    }


def row_errors(page: str, row: int, field: str) -> list[str]:
    """The error lines in the table cell of one field of one rule row."""
    cell = re.search(rf'id="id_rules-{row}-{field}".*?</td>', page, re.S)
    assert cell is not None, field
    return re.findall(r'<p class="field-error">([^<]+)</p>', cell.group(0))


def settings_post(version: int, *rows: dict[str, str], **lists: str) -> dict[str, str]:
    data = {
        "version": str(version),
        "rules-TOTAL_FORMS": str(len(rows)),
        "rules-INITIAL_FORMS": "0",
        "ideal_industries": lists.get("industries", ""),
        "ideal_regions": lists.get("regions", ""),
    }
    for row in rows:
        data.update(row)
    return data


def test_the_admin_sets_rules_and_sees_the_customers_per_tier(world: World) -> None:
    # given three customers, two in Shanghai
    rep = world.rep_east
    for region in ("Shanghai", "Shanghai", "Beijing"):
        make_customer(rep, region=region)
    client = signed_in(world.admin)

    # when the admin opens the page, then every tier holds none and all three have no tier
    page = text(client.get(reverse("core:tiers")))
    assert re.findall(r'Tier ([ABC])</span></a>\s*<span class="figure">(\d+)', page) == [
        ("A", "0"),
        ("B", "0"),
        ("C", "0"),
    ]
    assert re.search(r'No tier</span> <span class="figure">3<', page)

    # when they save A: fit ≥ 1 (Shanghai ideal), an empty row ignored
    response = client.post(
        reverse("core:tiers"),
        settings_post(1, rule_row(0, "A", fit="1"), rule_row(1), regions="Shanghai\nHangzhou"),
    )

    # then the page comes back with the rules, and the two Shanghai customers are in tier A
    assert response.status_code == 302
    page = text(client.get(reverse("core:tiers")))
    assert "Tier rules saved. Every customer's tier was recomputed." in page
    assert re.findall(r'Tier ([ABC])</span></a>\s*<span class="figure">(\d+)', page)[0] == (
        "A",
        "2",
    )
    assert tiers.tier_settings(world.admin).ideal_regions == ["Shanghai", "Hangzhou"]
    assert sorted(Customer.objects.values_list("tier", flat=True)) == ["", "A", "A"]


def test_a_bad_rule_is_shown_beside_its_field_and_nothing_is_saved(world: World) -> None:
    # when the admin sends a rule with a negative revenue and a rule with three decimals
    response = signed_in(world.admin).post(
        reverse("core:tiers"),
        settings_post(1, rule_row(0, "A", revenue="-1"), rule_row(1, "B", potential="1.234")),
    )

    # then each error is in its row, and no settings were written
    assert response.status_code == 422
    page = text(response)
    assert row_errors(page, 0, "min_revenue") == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert row_errors(page, 1, "min_potential") == [
        "Ensure that there are no more than 2 decimal places."
    ]
    assert tiers.tier_settings(world.admin).pk is None


def test_a_stale_save_shows_the_rules_as_they_are_now(world: World) -> None:
    # given rules saved by one admin (now version 2)
    client = signed_in(world.admin)
    client.post(reverse("core:tiers"), settings_post(1, rule_row(0, "A", fit="1")))

    # when another save based on version 1 arrives
    response = client.post(reverse("core:tiers"), settings_post(1, rule_row(0, "C")))

    # then it is refused with the current rules shown
    assert response.status_code == 409
    assert "Someone else changed the tier rules" in text(response)
    assert tiers.tier_settings(world.admin).rules[0]["tier"] == "A"


def test_the_customer_pages_show_the_tier_inputs_and_no_tier_field(world: World) -> None:
    # given a customer with an open deal of 100,000 at 60 % (potential 60,000)
    rep = world.rep_east
    customer = make_customer(rep, name="Huaxin Steel", region="Shanghai")
    make_deal(rep, customer, amount=Decimal("100000"), probability=60)
    client = signed_in(rep)

    # then its page shows the inputs formatted for the language, and "No tier"
    page = text(client.get(reverse("customers:detail", args=[customer.pk])))
    assert "CN¥60,000.00" in page
    assert "0 of 3" in page
    assert "No tier" in page
    # and the list offers the fit filter and shows the potential
    listing = text(client.get(reverse("customers:list"), {"fit_min": "1"}))
    assert names_on(listing) == []
    listing = text(client.get(reverse("customers:list")))
    assert names_on(listing) == ["Huaxin Steel"]
    assert "CN¥60K" in listing
    # and the edit form has no tier to choose
    form = text(client.get(reverse("customers:edit", args=[customer.pk])))
    assert 'name="tier"' not in form


def test_opening_a_customer_counts_a_view_for_the_menu(world: World) -> None:
    # given a customer opened twice by its rep (a timeline page load does not count)
    rep = world.rep_east
    customer = make_customer(rep, name="Huaxin Steel")
    client = signed_in(rep)
    url = reverse("customers:detail", args=[customer.pk])
    client.get(url)
    client.get(url)
    client.get(url, {"before": "x"}, HTTP_HX_REQUEST="true")

    # then one row counts two views
    usage = CustomerUsage.objects.get(user_id=rep.user_id, customer=customer)
    assert usage.view_count == 2

    # and the menu, asked for by HTMX, lists it as recent and most used
    menu = text(client.get(reverse("customers:shortcuts"), HTTP_HX_REQUEST="true"))
    assert "<html" not in menu
    assert names_on(menu) == ["Huaxin Steel", "Huaxin Steel"]
    assert "Pin a customer with ☆ on its page or in the list." in menu


def test_pin_and_unpin_from_the_page_with_and_without_htmx(world: World) -> None:
    rep = world.rep_east
    customer = make_customer(rep, name="Huaxin Steel")
    client = signed_in(rep)
    url = reverse("customers:pin", args=[customer.pk])

    # when pinned through HTMX, then the button comes back pressed
    response = client.post(url, {"pinned": "1", "next": "/customers/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in text(response)
    assert 'name="next" value="/customers/"' in text(response)
    assert shortcuts.is_pinned(rep, customer)

    # when unpinned by a plain form, then the browser goes back where it was
    response = client.post(url, {"pinned": "0", "next": "/customers/"})
    assert (response.status_code, response["Location"]) == (302, "/customers/")
    assert not shortcuts.is_pinned(rep, customer)

    # and a next address on another site is not followed
    response = client.post(url, {"pinned": "1", "next": "https://evil.example/"})
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])


def test_the_list_marks_the_pinned_customers(world: World) -> None:
    rep = world.rep_east
    pinned = make_customer(rep, name="Pinned")
    make_customer(rep, name="Other")
    shortcuts.pin(rep, pinned.pk)
    page = text(signed_in(rep).get(reverse("customers:list")))
    assert re.findall(r'aria-pressed="(true|false)"', page) == ["false", "true"]  # Other, Pinned
    assert "Unpin Pinned" in page
    assert "Pin Other" in page


def test_another_users_customer_cannot_be_pinned_from_the_pages(world: World) -> None:
    colleague = make_customer(world.rep_west)
    response = signed_in(world.rep_east).post(
        reverse("customers:pin", args=[colleague.pk]), {"pinned": "1"}
    )
    assert response.status_code == 404
    assert not CustomerUsage.objects.exists()


def test_pages_carry_the_menu_without_reading_it(world: World) -> None:
    # given a rep with a pinned customer
    rep = world.rep_east
    shortcuts.pin(rep, make_customer(rep).pk)
    client = signed_in(rep)

    # when they open another page
    with CaptureQueriesContext(connection) as captured:
        page = text(client.get(reverse("activities:list")))

    # then the menu is there to be loaded when opened, and its rows were not read
    assert f'hx-get="{reverse("customers:shortcuts")}"' in page
    assert not [q for q in captured.captured_queries if "customerusage" in q["sql"]]
