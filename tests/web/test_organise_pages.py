"""The category tree page, the customer list's category and tag filters and selection, and
a customer's tags on its form and page, through the test client."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from salesflow.customers.categories import create_category
from salesflow.customers.models import Category, Customer, CustomerTag, Tag
from salesflow.customers.tags import create_tag
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def signed_in(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    client.cookies["django_language"] = "en"
    return client


def names_on(html: str) -> list[str]:
    return re.findall(r'<a href="/customers/\d+/">([^<]+)</a>', html)


def tag_names(customer: Customer) -> list[str]:
    return sorted(CustomerTag.objects.filter(customer=customer).values_list("tag__name", flat=True))


def test_the_list_filters_by_a_subtree_and_tags_and_shows_them(world: World) -> None:
    # given Industry > Steel; Services; customers of rep_east across them
    industry = create_category(world.admin, {"name": "Industry"})
    steel = create_category(world.admin, {"name": "Steel", "parent_id": industry.pk})
    services = create_category(world.admin, {"name": "Services"})
    vip = create_tag(world.admin, {"name": "VIP", "colour": "red"})
    make_customer(world.rep_east, name="Anshan Iron", category_id=industry.pk)
    make_customer(world.rep_east, name="Baosteel", category_id=steel.pk, tag_ids=[vip.pk])
    make_customer(world.rep_east, name="Citic Bank", category_id=services.pk, tag_ids=[vip.pk])
    make_customer(world.rep_east, name="Dalian Port")
    client = signed_in(world.rep_east)

    # then
    assert names_on(client.get("/customers/", {"category": industry.pk}).text) == [
        "Anshan Iron",
        "Baosteel",
    ]
    assert names_on(client.get("/customers/", {"tag": vip.pk}).text) == ["Baosteel", "Citic Bank"]
    narrowed = client.get("/customers/", {"tag": vip.pk, "category": industry.pk, "q": "bao"})
    assert names_on(narrowed.text) == ["Baosteel"]
    page = client.get("/customers/").text
    assert '<span class="tag-chip colour-red">VIP</span>' in page
    assert f'<a href="?category={steel.pk}">Steel</a>' in page
    assert "\u2003Steel</option>" in page  # indented under Industry in the filter


def test_the_list_pages_by_keyset_within_a_category(world: World) -> None:
    # given 27 customers in Steel (one page holds 25), and one outside it
    steel = create_category(world.admin, {"name": "Steel"})
    for number in range(27):
        make_customer(world.rep_east, name=f"Steel {number:02d}", category_id=steel.pk)
    make_customer(world.rep_east, name="Steel outside")
    client = signed_in(world.rep_east)

    # when
    first = client.get("/customers/", {"category": steel.pk}).text
    next_url = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first)
    assert next_url is not None
    second = client.get("/customers/" + next_url.group(1).replace("&amp;", "&")).text

    # then 25 + 2, in name order, without the outsider
    assert names_on(first) + names_on(second) == [f"Steel {n:02d}" for n in range(27)]


def test_the_tree_page_shows_counts_and_a_manager_edits_inline(world: World) -> None:
    # given
    industry = create_category(world.admin, {"name": "Industry"})
    steel = create_category(world.admin, {"name": "Steel", "parent_id": industry.pk})
    make_customer(world.rep_east, category_id=steel.pk)
    make_customer(world.rep_west, category_id=industry.pk)
    client = signed_in(world.boss)

    # then the boss sees both customers, one filed in Industry itself
    page = client.get("/customers/categories/").text
    assert "2 customers" in page
    assert "1 customer filed here itself" in page

    # when they add, rename and delete through HTMX, each answer is the fragment
    added = client.post(
        "/customers/categories/add/", {"name": "Autos", "parent": industry.pk}, headers=HTMX
    )
    autos = Category.objects.get(name="Autos")
    renamed = client.post(
        f"/customers/categories/{autos.pk}/rename/", {"name": "Cars", "version": 1}, headers=HTMX
    )
    deleted = client.post(f"/customers/categories/{autos.pk}/delete/", {"version": 2}, headers=HTMX)
    refused = client.post(
        f"/customers/categories/{industry.pk}/delete/", {"version": 1}, headers=HTMX
    )

    # then
    assert added.status_code == renamed.status_code == deleted.status_code == 200
    assert "<html" not in added.text
    assert "Category added." in added.text
    assert refused.status_code == 422
    assert "“Industry” still holds 1 customer and 1 sub-category" in refused.text
    assert list(
        Category.objects.filter(workspace_id=world.admin.workspace_id).values_list(
            "name", flat=True
        )
    ) == ["Industry", "Steel"]


def test_moves_and_steps_on_the_tree_page(world: World) -> None:
    # given
    industry = create_category(world.admin, {"name": "Industry"})
    services = create_category(world.admin, {"name": "Services"})
    client = signed_in(world.admin)

    # when Services goes up one place, then under Industry, then Industry under Services
    client.post(f"/customers/categories/{services.pk}/step/", {"position": 1, "version": 1})
    moved = client.post(
        "/customers/categories/move/", {"category": services.pk, "parent": industry.pk}
    )
    cycle = client.post(
        "/customers/categories/move/",
        {"category": industry.pk, "parent": services.pk},
        headers=HTMX,
    )

    # then
    assert moved.status_code == 302
    assert Category.objects.get(pk=services.pk).parent_id == industry.pk
    assert cycle.status_code == 422
    assert "A category cannot move under itself or one of its sub-categories." in cycle.text


def test_a_rep_sees_the_tree_without_the_forms_and_may_not_post(world: World) -> None:
    create_category(world.admin, {"name": "Industry"})
    client = signed_in(world.rep_east)
    page = client.get("/customers/categories/").text
    assert "Industry" in page
    assert "New top-level category" not in page
    assert client.post("/customers/categories/add/", {"name": "Mine"}).status_code == 403
    assert not Category.objects.filter(name="Mine").exists()


def test_the_selection_moves_and_tags_the_checked_customers(world: World) -> None:
    # given
    steel = create_category(world.admin, {"name": "Steel"})
    vip = create_tag(world.admin, {"name": "VIP"})
    a = make_customer(world.rep_east, name="A")
    b = make_customer(world.rep_east, name="B")
    theirs = make_customer(world.rep_west, name="C")
    client = signed_in(world.rep_east)

    # when
    moved = client.post(
        "/customers/selection/",
        {
            "action": "move",
            "customer": [a.pk, b.pk],
            "category": steel.pk,
            "next": "/customers/?q=x",
        },
        follow=True,
    )
    tagged = client.post(
        "/customers/selection/", {"action": "tag", "customer": [a.pk], "tag": vip.pk}, follow=True
    )
    refused = client.post(
        "/customers/selection/",
        {
            "action": "tag",
            "customer": [b.pk, theirs.pk],
            "tag": vip.pk,
            "next": "https://evil.example/",
        },
    )

    # then
    assert moved.redirect_chain == [("/customers/?q=x", 302)]
    assert "Moved 2 customers." in moved.text
    assert "Tagged 1 customer." in tagged.text
    assert refused["Location"] == "/customers/"
    assert list(
        Customer.objects.filter(pk__in=[a.pk, b.pk]).values_list("category_id", flat=True)
    ) == [
        steel.pk,
        steel.pk,
    ]
    assert (tag_names(a), tag_names(b), tag_names(theirs)) == (["VIP"], [], [])


def test_the_customer_form_and_page_set_tags_and_category(world: World) -> None:
    # given
    steel = create_category(world.admin, {"name": "Steel"})
    vip = create_tag(world.admin, {"name": "VIP"})
    client = signed_in(world.rep_east)

    # when created through the form with a category and a tag
    response = client.post(
        "/customers/new/",
        {
            "name": "Huaxin",
            "kind": "company",
            "owner": world.rep_east.user_id,
            "lifecycle": "prospect",
            "category": steel.pk,
            "tags": [vip.pk],
        },
    )
    customer = Customer.objects.get(name="Huaxin")
    assert response.status_code == 302
    assert (customer.category_id, tag_names(customer)) == (steel.pk, ["VIP"])

    # when a new tag is typed on its page, it is created and put on
    added = client.post(f"/customers/{customer.pk}/tags/", {"name": "Trade show"}, headers=HTMX)
    assert added.status_code == 200
    assert 'class="tag-chip">Trade show</span>' in added.text
    removed = client.post(f"/customers/{customer.pk}/tags/{vip.pk}/remove/", headers=HTMX)
    assert 'class="tag-chip">VIP</span>' not in removed.text
    assert 'class="tag-chip">Trade show</span>' in removed.text
    assert tag_names(customer) == ["Trade show"]
    assert Tag.objects.filter(name="Trade show").count() == 1

    # then the page shows the category and the tags; the edit form has them chosen
    page = client.get(f"/customers/{customer.pk}/").text
    assert f'?category={steel.pk}">Steel</a>' in page
    edit = client.get(f"/customers/{customer.pk}/edit/").text
    assert re.search(rf'<option value="{steel.pk}" selected>Steel</option>', edit)
