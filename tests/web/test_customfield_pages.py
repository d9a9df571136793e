"""Custom fields on the pages: the settings page, forms, detail pages, list columns, filters."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from salesflow.core.scoping import Actor
from salesflow.customers.customfield_services import create_field
from salesflow.customers.models import Contact, Customer, CustomField
from salesflow.pipeline.models import Deal
from tests.conftest import World, make_customer, make_deal

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
REGIONS = [{"key": "east", "label": "East China"}, {"key": "north", "label": "North China"}]


@pytest.fixture(autouse=True)
def fast_password_hashing() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def signed_in(actor: Actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_error(page: str, field: str) -> str:
    found = re.search(
        r'<div class="field-error">(.*?)</div>', page[page.find(f'id="id_{field}"') :]
    )
    return html.unescape(found.group(1)) if found else ""


@pytest.fixture
def budget(world: World) -> CustomField:
    return create_field(
        world.admin,
        {"entity": "customer", "key": "budget", "label": "Budget", "type": "money",
         "max_value": 1_000_000, "shown_in_list": True},
    )  # fmt: skip


def test_the_admin_adds_edits_orders_and_archives_fields(world: World) -> None:
    admin = signed_in(world.admin)

    # when the admin adds a single choice field with two options, one written key | label
    added = admin.post(
        "/settings/custom-fields/new/?entity=deal",
        {"label": "区域", "type": "single_choice", "options": "East China\nnorth | North China",
         "decimal_places": 0},
    )  # fmt: skip

    # then it is stored with keys from the label's pinyin and from the line
    assert added.status_code == 302
    field = CustomField.objects.get(entity="deal")
    assert (field.key, [o["key"] for o in field.options]) == ("qu_yu", ["east_china", "north"])
    listing = text(admin.get("/settings/custom-fields/?entity=deal"))
    assert "区域" in listing
    assert "qu_yu" in listing

    # when they retire "north" and add a second field, then move it up
    admin.post(
        f"/settings/custom-fields/{field.pk}/",
        {"label": "区域", "type": "single_choice", "decimal_places": 0, "version": 1,
         "options": "east_china | East China\nnorth | North China", "retired": ["north"]},
    )  # fmt: skip
    field.refresh_from_db()
    assert [o["retired"] for o in field.options] == [False, True]
    admin.post("/settings/custom-fields/new/?entity=deal",
               {"label": "PO", "type": "text", "decimal_places": 0})  # fmt: skip
    po = CustomField.objects.get(key="po")
    admin.post(f"/settings/custom-fields/{po.pk}/move/", {"direction": "up"})
    assert list(CustomField.objects.order_by("position").values_list("key", flat=True)) == [
        "po",
        "qu_yu",
    ]

    # when they archive it, then it is marked archived and kept
    admin.post(f"/settings/custom-fields/{po.pk}/archive/", {"version": po.version + 1,
                                                             "archived": "1"})  # fmt: skip
    assert CustomField.objects.get(pk=po.pk).archived


def test_a_refused_setting_is_shown_beside_its_field(world: World, budget: CustomField) -> None:
    make_customer(world.rep_east, custom={"budget": "10"})
    response = signed_in(world.admin).post(
        f"/settings/custom-fields/{budget.pk}/",
        {"label": "Budget", "type": "date", "decimal_places": 0, "version": budget.version},
    )
    assert response.status_code == 422
    assert "1 records hold values of this field" in text(response)
    assert CustomField.objects.get(pk=budget.pk).type == "money"


def test_only_admins_open_the_settings(world: World) -> None:
    assert signed_in(world.boss).get("/settings/custom-fields/").status_code == 403
    assert (
        signed_in(world.admin).get("/settings/").content.decode().count("/settings/custom-fields/")
        >= 1
    )


def test_customer_form_detail_list_column_and_filter(world: World, budget: CustomField) -> None:
    create_field(
        world.admin,
        {"entity": "customer", "key": "region", "label": "Region", "type": "single_choice",
         "options": REGIONS},
    )  # fmt: skip
    rep = signed_in(world.rep_east)

    # the form offers the fields with the right widgets
    form = text(rep.get("/customers/new/"))
    assert 'name="cf_budget"' in form
    assert 'type="number"' in form
    assert 'step="0.01"' in form
    assert '<option value="north">North China</option>' in form

    # a value over the maximum is refused beside its field, and nothing is saved
    refused = rep.post(
        "/customers/new/",
        {"name": "Huaxin", "kind": "company", "owner": world.rep_east.user_id,
         "lifecycle": "prospect", "cf_budget": "1000000.01", "cf_region": "east"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert field_error(text(refused), "cf_budget") == "must be at most 1,000,000"
    assert not Customer.objects.filter(name="Huaxin").exists()

    # a good value is saved and shown formatted on the detail page
    created = rep.post(
        "/customers/new/",
        {"name": "Huaxin", "kind": "company", "owner": world.rep_east.user_id,
         "lifecycle": "prospect", "cf_budget": "250000", "cf_region": "east"},
    )  # fmt: skip
    customer = Customer.objects.get(name="Huaxin")
    assert created.status_code == 302
    assert customer.custom == {"budget": "250000.00", "region": "east"}
    detail = text(rep.get(f"/customers/{customer.pk}/"))
    assert '<dt>Budget</dt><dd class="custom-value">CN¥250,000.00</dd>' in detail
    assert "East China" in detail

    # the list shows the budget as a column, and filters on it numerically
    make_customer(world.rep_east, name="Small Co", custom={"budget": "9"})
    listing = text(rep.get("/customers/"))
    assert '<th scope="col" class="num">Budget</th>' in listing
    assert "CN¥250,000.00" in listing
    assert "CN¥9.00" in listing
    narrowed = text(rep.get("/customers/", {"cf.budget__gte": "10"}, **HTMX))
    assert "Huaxin" in narrowed
    assert "Small Co" not in narrowed


def test_contact_form_saves_its_fields_and_the_customer_page_shows_them(world: World) -> None:
    create_field(
        world.admin,
        {"entity": "contact", "key": "wechat", "label": "WeChat", "type": "text"},
    )
    customer = make_customer(world.rep_east)
    rep = signed_in(world.rep_east)
    rep.post(f"/customers/{customer.pk}/contacts/new/", {"name": "Wang", "cf_wechat": "wf88"})
    assert Contact.objects.get(name="Wang").custom == {"wechat": "wf88"}
    assert "WeChat: wf88" in text(rep.get(f"/customers/{customer.pk}/"))


def test_deal_forms_page_and_list(world: World) -> None:
    create_field(
        world.admin,
        {"entity": "deal", "key": "signed", "label": "Signed", "type": "yes_no",
         "shown_in_list": True},
    )  # fmt: skip
    rep = signed_in(world.rep_east)
    customer = make_customer(world.rep_east)

    # a new deal takes its custom values
    rep.post(
        "/deals/new/",
        {"name": "ERP", "customer": customer.pk, "pipeline": world.pipeline.pk,
         "owner": world.rep_east.user_id, "cf_signed": "false"},
    )  # fmt: skip
    deal = Deal.objects.get(name="ERP")
    assert deal.custom == {"signed": False}

    # the deal page changes only what changed
    response = rep.post(
        f"/deals/{deal.pk}/edit/",
        {"version": deal.version, "name": "ERP", "currency": deal.currency,
         "owner_id": deal.owner_id, "cf_signed": "true"},
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.custom == {"signed": True}
    assert "<dt>Signed</dt><dd>Yes</dd>" in text(rep.get(f"/deals/{deal.pk}/"))

    # the deal list shows the column and filters by it
    make_deal(world.rep_east, customer, name="CRM")
    listing = text(rep.get("/deals/list/"))
    assert '<th scope="col">Signed</th>' in listing
    assert "ERP" in listing
    assert "CRM" in listing
    narrowed = text(rep.get("/deals/list/", {"cf.signed": "true"}, **HTMX))
    assert "ERP" in narrowed
    assert "CRM" not in narrowed
    assert "/deals/list/" in text(rep.get("/deals/board/"))
