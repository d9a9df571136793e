"""Creating a deal from a page: the form, its errors, and what a rep may pick."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesflow.pipeline.models import Deal
from tests.conftest import World, make_customer
from tests.web.test_deal_page import signed_in

pytestmark = pytest.mark.django_db


def test_a_rep_creates_a_deal_for_their_customer(world: World) -> None:
    # given a customer of rep_east
    customer = make_customer(world.rep_east, name="Haier Qingdao")
    client = signed_in(world.rep_east)

    # when the form opens from the customer's page, the customer is already chosen
    html = client.get(f"/deals/new/?customer={customer.pk}").text
    assert f'<option value="{customer.pk}" selected>Haier Qingdao</option>' in html

    # and is sent with a name and an amount
    response = client.post(
        "/deals/new/",
        {
            "name": "Fridges 2027",
            "customer": customer.pk,
            "pipeline": world.pipeline.pk,
            "owner": world.rep_east.user_id,
            "amount": "88000",
        },
    )

    # then the deal exists in the first stage and the deal page opens
    deal = Deal.objects.get(name="Fridges 2027")
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    assert deal.customer_id == customer.pk
    assert deal.amount == Decimal("88000")
    assert deal.stage_id == world.open_stages()[0].pk
    assert deal.owner_id == world.rep_east.user_id


def test_errors_name_the_field_and_nothing_is_created(world: World) -> None:
    # given another rep's customer, which rep_east cannot see
    hidden = make_customer(world.rep_west, name="West only")
    client = signed_in(world.rep_east)

    # when rep_east sends no name and that customer's id
    response = client.post(
        "/deals/new/",
        {
            "name": "",
            "customer": hidden.pk,
            "pipeline": world.pipeline.pk,
            "owner": world.rep_east.user_id,
        },
    )

    # then the name is reported missing and nothing is created
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert not Deal.objects.filter(customer=hidden).exists()

    # when the name is given, the service refuses the customer rep_east cannot see
    response = client.post(
        "/deals/new/",
        {
            "name": "Sneaky",
            "customer": hidden.pk,
            "pipeline": world.pipeline.pk,
            "owner": world.rep_east.user_id,
        },
    )
    assert response.status_code == 422
    assert 'href="#id_customer">Customer</a>' in response.text
    assert not Deal.objects.filter(name="Sneaky").exists()
    # and the hidden customer's name is not shown among the choices
    assert "West only" not in response.text


def test_the_customer_search_lists_only_visible_customers(world: World) -> None:
    # given a customer of rep_east and one of rep_west, both named Lenovo
    make_customer(world.rep_east, name="Lenovo Beijing")
    make_customer(world.rep_west, name="Lenovo Chengdu")

    # when rep_east searches for Lenovo
    html = signed_in(world.rep_east).get("/deals/new/customers/?q=lenovo").text

    # then only their own customer is offered
    assert "Lenovo Beijing" in html
    assert "Lenovo Chengdu" not in html

    # and a search that finds nothing says so
    html = signed_in(world.rep_east).get("/deals/new/customers/?q=nobody").text
    assert "No customer matches." in html


def test_the_customer_picker_finds_by_pinyin_and_phone(world: World) -> None:
    # given
    make_customer(world.rep_east, name="尉迟恭", kind="person", phone="+86 138 0013 8000")
    make_customer(world.rep_east, name="诸葛亮", kind="person")
    client = signed_in(world.rep_east)

    # then the surname 尉迟 reads yùchí, and the phone is found in another format
    for text in ("ycg", "yuchi", "13800138000"):
        html = client.get("/deals/new/customers/", {"q": text}).text
        assert "尉迟恭" in html, text
        assert "诸葛亮" not in html, text
