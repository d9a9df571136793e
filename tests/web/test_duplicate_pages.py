"""Duplicate pages: the warning on the forms, the duplicates list, merging and the history."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import create_customer
from tests.conftest import World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "company",
    "tier": "",
    "lifecycle": "prospect",
    "industry": "",
    "size": "",
    "region": "",
    "source_channel": "",
    "phone": "",
    "email": "",
    "website": "",
    "address": "",
    "notes": "",
}


def signed_in(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def test_new_customer_matching_another_asks_before_saving(world: World) -> None:
    # given a customer of the East rep
    steel = make_customer(world.rep_east, name="华信钢铁有限公司", phone="021 5555 0100")
    client = signed_in(world.rep_east)
    sent = {**FORM, "name": "华信钢铁", "owner": world.rep_east.user_id}

    # when the same company is entered again
    response = client.post("/customers/new/", sent)

    # then nothing is saved and the page names the customer and the key that matched
    assert response.status_code == 409
    html = response.text
    assert f'<a href="/customers/{steel.pk}/">华信钢铁有限公司</a>' in html
    assert "name 华信钢铁" in html
    assert 'name="allow_duplicate" value="1"' in html
    assert "Open the existing customer" in html
    assert Customer.objects.filter(name="华信钢铁").count() == 0

    # when "Save anyway" is pressed, it is saved
    saved = client.post("/customers/new/", {**sent, "allow_duplicate": "1"})
    assert saved.status_code == 302
    assert Customer.objects.filter(name="华信钢铁").count() == 1


def test_a_duplicate_the_rep_cannot_see_is_named_by_its_owner(world: World) -> None:
    make_customer(world.rep_west, name="West Steel", email="buy@steel.cn")
    sent = {**FORM, "name": "East Steel", "email": "BUY@steel.cn", "owner": world.rep_east.user_id}
    response = signed_in(world.rep_east).post("/customers/new/", sent)
    assert response.status_code == 409
    owner = world.rep_west.user.username
    assert f"A customer you cannot see, owned by {owner}" in response.text
    assert "West Steel" not in response.text
    assert "Open the existing customer" not in response.text


def test_editing_into_a_duplicate_asks_too(world: World) -> None:
    make_customer(world.rep_east, name="Blue Lake", phone="13800138000")
    other = make_customer(world.rep_east, name="Red Hill")
    client = signed_in(world.rep_east)
    sent = {
        **FORM,
        "name": "Red Hill",
        "phone": "+86 138 0013 8000",
        "version": 1,
        "owner": world.rep_east.user_id,
    }
    refused = client.post(f"/customers/{other.pk}/edit/", sent)
    assert refused.status_code == 409
    assert "phone +8613800138000" in refused.text
    assert Customer.objects.get(pk=other.pk).phone == ""
    saved = client.post(f"/customers/{other.pk}/edit/", {**sent, "allow_duplicate": "1"})
    assert saved.status_code == 302
    assert Customer.objects.get(pk=other.pk).phone == "+86 138 0013 8000"


def test_a_second_contact_of_the_same_name_asks(world: World) -> None:
    customer = make_customer(world.rep_east, name="Huaxin Steel")
    make_contact(world.rep_east, customer, name="Li Lei")
    client = signed_in(world.rep_east)
    sent = {
        "name": "LI LEI",
        "title": "",
        "phones": "",
        "emails": "",
        "birthday": "",
        "decision_role": "",
        "notes": "",
    }
    refused = client.post(f"/customers/{customer.pk}/contacts/new/", sent)
    assert refused.status_code == 409
    assert "Another contact of this customer" in refused.text
    assert "contact name lilei" in refused.text
    saved = client.post(f"/customers/{customer.pk}/contacts/new/", {**sent, "allow_duplicate": "1"})
    assert saved.status_code == 302
    assert Contact.objects.filter(customer=customer).count() == 2


def test_duplicates_page_lists_groups_with_a_merge_link(world: World) -> None:
    first = make_customer(world.rep_east, name="Huaxin Steel")
    second = create_customer(
        world.rep_shanghai, {"name": "Huaxin Steel Ltd."}, allow_duplicate=True
    )
    response = signed_in(world.east_manager).get("/customers/duplicates/")
    assert response.status_code == 200
    assert f'href="/customers/merge/?ids={first.pk}&amp;ids={second.pk}"' in response.text
    # reachable from the customer list for managers, refused to reps
    assert 'href="/customers/duplicates/"' in signed_in(world.boss).get("/customers/").text
    assert 'href="/customers/duplicates/"' not in signed_in(world.rep_east).get("/customers/").text
    assert signed_in(world.rep_east).get("/customers/duplicates/").status_code == 403


def test_merge_page_defaults_to_the_survivors_values_and_merges(world: World) -> None:
    # given two customers and a deal of the second
    first = make_customer(world.admin, name="Huaxin Steel", industry="Steel")
    second = create_customer(
        world.admin,
        {"name": "Huaxin Steel Ltd.", "industry": "Metals", "region": "Shanghai"},
        allow_duplicate=True,
    )
    deal = make_deal(world.admin, second)
    client = signed_in(world.admin)

    # when the merge page opens, the first stays, with its industry and the other's region
    page = client.get("/customers/merge/", {"ids": [first.pk, second.pk]})
    assert page.status_code == 200
    checked = dict(re.findall(r'name="choice:(\w+)" value="(\d+)" checked', page.text))
    assert checked["industry"] == str(first.pk)
    assert checked["region"] == str(second.pk)
    # another survivor chosen (as HTMX does) starts from its own values
    swapped = client.get(
        "/customers/merge/",
        {"ids": [first.pk, second.pk], "survivor": second.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "<html" not in swapped.text
    assert dict(re.findall(r'name="choice:(\w+)" value="(\d+)" checked', swapped.text))[
        "industry"
    ] == str(second.pk)

    # when it is sent choosing the second's industry
    sent = {
        "ids": [first.pk, second.pk],
        "survivor": first.pk,
        f"version_{first.pk}": 1,
        f"version_{second.pk}": 1,
        **{f"choice:{name}": pk for name, pk in checked.items()},
        "choice:industry": second.pk,
    }
    response = client.post("/customers/merge/", sent)

    # then the first stays with the chosen values and the deal
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{first.pk}/"
    merged = Customer.objects.get(pk=first.pk)
    assert (merged.industry, merged.region) == ("Metals", "Shanghai")
    deal.refresh_from_db()
    assert deal.customer_id == first.pk
    assert not Customer.objects.filter(pk=second.pk).exists()

    # and its history shows the merged customer's records
    history = client.get(f"/customers/{first.pk}/history/")
    assert history.status_code == 200
    assert f"Includes the history of customer #{second.pk}, merged into it." in history.text
    assert "Merged into another customer" in history.text
    assert "Merged others into it" in history.text
    assert f'href="/customers/{first.pk}/history/"' in client.get(f"/customers/{first.pk}/").text


def test_merge_page_with_a_stale_version_says_so_and_merges_nothing(world: World) -> None:
    first = make_customer(world.admin, name="A Co")
    second = make_customer(world.admin, name="B Co")
    sent = {
        "ids": [first.pk, second.pk],
        "survivor": first.pk,
        f"version_{first.pk}": 1,
        f"version_{second.pk}": 4,
    }
    response = signed_in(world.admin).post("/customers/merge/", sent)
    assert response.status_code == 409
    assert "was changed by someone else" in response.text
    assert Customer.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_merge_page_needs_two_visible_customers(world: World) -> None:
    mine = make_customer(world.rep_east, name="A Co")
    theirs = make_customer(world.rep_west, name="B Co")
    client = signed_in(world.rep_east)
    assert client.get("/customers/merge/", {"ids": [mine.pk, theirs.pk]}).status_code == 404
    assert client.get("/customers/merge/", {"ids": [mine.pk]}).status_code == 422
