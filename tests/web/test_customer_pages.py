"""Customer pages: list, forms, contacts and the customer 360 page, through the test client."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from salesflow.activities.models import Activity
from salesflow.customers.models import Contact, Customer
from salesflow.customers.services import update_customer
from tests.conftest import World, make_contact, make_customer, make_deal

pytestmark = pytest.mark.django_db


def signed_in(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def names_on(html: str) -> list[str]:
    return re.findall(r'<a href="/customers/\d+/">([^<]+)</a>', html)


def test_list_shows_only_the_customers_each_role_may_see(world: World) -> None:
    # given customers owned by reps of East, Shanghai and West
    make_customer(world.rep_east, name="East Co")
    make_customer(world.rep_shanghai, name="Shanghai Co")
    make_customer(world.rep_west, name="West Co")

    # when each role opens the list, then each sees their scope only
    seen = {
        role: sorted(names_on(signed_in(getattr(world, role)).get("/customers/").text))
        for role in ("rep_east", "east_manager", "admin")
    }
    assert seen["rep_east"] == ["East Co"]
    assert seen["east_manager"] == ["East Co", "Shanghai Co"]
    assert seen["admin"] == ["East Co", "Shanghai Co", "West Co"]


def test_search_finds_by_name_phone_or_email_and_filters_narrow(world: World) -> None:
    # given three customers of one rep
    make_customer(world.rep_east, name="Huaxin Steel", tier="A", region="Shanghai")
    make_customer(world.rep_east, name="Blue Lake", phone="+86 21 5555 0100", tier="B")
    make_customer(world.rep_east, name="Red Hill", email="buy@redhill.cn", region="Shanghai")
    client = signed_in(world.rep_east)

    # then a name part, a phone part and an email part each find their customer
    assert names_on(client.get("/customers/", {"q": "steel"}).text) == ["Huaxin Steel"]
    assert names_on(client.get("/customers/", {"q": "5555"}).text) == ["Blue Lake"]
    assert names_on(client.get("/customers/", {"q": "redhill"}).text) == ["Red Hill"]
    # and filters combine
    shanghai = client.get("/customers/", {"region": "Shanghai"}).text
    assert names_on(shanghai) == ["Huaxin Steel", "Red Hill"]
    assert names_on(client.get("/customers/", {"region": "Shanghai", "tier": "A"}).text) == [
        "Huaxin Steel"
    ]


def test_htmx_search_answers_the_table_alone(world: World) -> None:
    make_customer(world.rep_east, name="Huaxin Steel")
    response = signed_in(world.rep_east).get("/customers/", {"q": "hua"}, HTTP_HX_REQUEST="true")
    assert names_on(response.text) == ["Huaxin Steel"]
    assert "<html" not in response.text


def test_sort_and_keyset_pages_continue_without_repeats(world: World) -> None:
    # given 30 customers (page size 25)
    for number in range(30):
        make_customer(world.rep_east, name=f"Customer {number:02d}")
    client = signed_in(world.rep_east)

    # when the first page is read, sorted by name, and its "Next page" link is followed
    first = client.get("/customers/", {"sort": "name"}).text
    next_link = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first)
    assert next_link is not None
    second = client.get("/customers/" + next_link.group(1).replace("&amp;", "&")).text

    # then the two pages hold all 30 in order, none twice, and the last page has no next link
    assert names_on(first) + names_on(second) == [f"Customer {n:02d}" for n in range(30)]
    assert 'rel="next"' not in second
    # and "newest first" puts the last created on top
    assert names_on(client.get("/customers/", {"sort": "-created_at"}).text)[0] == "Customer 29"


def test_create_customer_then_see_its_360_page(world: World) -> None:
    client = signed_in(world.rep_east)
    response = client.post(
        "/customers/new/",
        {
            "name": "Huaxin Steel",
            "kind": "company",
            "owner": world.rep_east.user_id,
            "lifecycle": "prospect",
            "email": "info@huaxin.cn",
        },
    )
    customer = Customer.objects.get(name="Huaxin Steel")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.tier, customer.email, customer.owner_id) == (
        "",
        "info@huaxin.cn",
        world.rep_east.user_id,
    )
    page = client.get(f"/customers/{customer.pk}/").text
    assert "Huaxin Steel" in page
    assert "info@huaxin.cn" in page


def field_errors(html: str, field: str) -> list[str]:
    """The error lines right after the named field's input."""
    block = re.search(rf'id="id_{field}".*?(?=<div class="field"|</form>)', html, re.S)
    assert block is not None, field
    return re.findall(r'<div class="field-error">([^<]+)</div>', block.group(0))


def test_create_form_shows_each_error_next_to_its_field_and_saves_nothing(world: World) -> None:
    client = signed_in(world.rep_east)
    response = client.post(
        "/customers/new/",
        {
            "name": "",
            "kind": "company",
            "owner": world.rep_east.user_id,
            "lifecycle": "vip",
            "email": "not-an-email",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert field_errors(html, "name") == ["This field is required."]
    assert field_errors(html, "email") == ["Enter a valid email address."]
    assert field_errors(html, "lifecycle") == [
        "Select a valid choice. vip is not one of the available choices."
    ]
    assert "Please correct the 3 fields marked below." in html
    assert 'value="not-an-email"' in html
    assert not Customer.objects.filter(workspace_id=world.rep_east.workspace_id).exists()


def test_a_rep_cannot_give_a_customer_to_a_colleague(world: World) -> None:
    response = signed_in(world.rep_east).post(
        "/customers/new/",
        {
            "name": "Huaxin",
            "kind": "company",
            "owner": world.rep_west.user_id,
            "lifecycle": "prospect",
        },
    )
    assert response.status_code == 422
    assert field_errors(response.text, "owner")
    assert not Customer.objects.filter(name="Huaxin").exists()


def edit_data(customer: Customer, **changes) -> dict:
    return {
        "name": customer.name,
        "kind": customer.kind,
        "owner": customer.owner_id,
        "lifecycle": customer.lifecycle,
        "version": customer.version,
        **changes,
    }


def test_edit_saves_and_bumps_the_version(world: World) -> None:
    customer = make_customer(world.rep_east, name="Old name")
    response = signed_in(world.rep_east).post(
        f"/customers/{customer.pk}/edit/", edit_data(customer, name="New name", region="Pudong")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.region, customer.version) == ("New name", "Pudong", 2)


def test_edit_with_a_stale_version_says_so_keeps_input_and_changes_nothing(world: World) -> None:
    # given a customer the rep opened at version 1, then a colleague renamed it (version 2)
    customer = make_customer(world.rep_east, name="Original")
    form = edit_data(customer, name="Mine")
    update_customer(world.east_manager, customer.pk, 1, {"name": "Theirs"})

    # when the rep saves the form they opened
    response = signed_in(world.rep_east).post(f"/customers/{customer.pk}/edit/", form)

    # then the page answers 409 with a reload link and the rep's input, and nothing changed
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert f'href="/customers/{customer.pk}/edit/"' in response.text
    assert 'value="Mine"' in response.text
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Theirs", 2)


def test_another_reps_customer_and_another_workspaces_customer_are_not_found(
    world: World, other_world: World
) -> None:
    colleague = make_customer(world.rep_west)
    foreign = make_customer(other_world.admin)
    client = signed_in(world.rep_east)
    for customer in (colleague, foreign):
        assert client.get(f"/customers/{customer.pk}/").status_code == 404
        assert client.get(f"/customers/{customer.pk}/edit/").status_code == 404
        response = client.post(f"/customers/{customer.pk}/edit/", edit_data(customer, name="X"))
        assert response.status_code == 404
        assert client.get(f"/customers/{customer.pk}/contacts/new/").status_code == 404
    colleague.refresh_from_db()
    assert colleague.name != "X"


def test_add_and_edit_a_contact_with_several_phones_and_emails(world: World) -> None:
    customer = make_customer(world.rep_east)
    client = signed_in(world.rep_east)
    response = client.post(
        f"/customers/{customer.pk}/contacts/new/",
        {
            "name": "Wang Fang",
            "title": "Buyer",
            "phones": "138 0000 0001\n021-5555-0100",
            "emails": "wang@huaxin.cn, fang@qq.com",
            "birthday": "1985-04-12",
            "decision_role": "decision_maker",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(customer=customer)
    assert contact.phones == ["138 0000 0001", "021-5555-0100"]
    assert contact.emails == ["wang@huaxin.cn", "fang@qq.com"]
    assert str(contact.birthday) == "1985-04-12"
    assert "Wang Fang" in client.get(f"/customers/{customer.pk}/").text

    edit = client.get(f"/customers/{customer.pk}/contacts/{contact.pk}/edit/").text
    assert "wang@huaxin.cn\nfang@qq.com" in edit
    response = client.post(
        f"/customers/{customer.pk}/contacts/{contact.pk}/edit/",
        {"name": "Wang Fang", "title": "Head of purchasing", "version": contact.version},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.emails) == ("Head of purchasing", [])


def test_contact_errors_are_shown_next_to_the_field_and_nothing_is_saved(world: World) -> None:
    customer = make_customer(world.rep_east)
    response = signed_in(world.rep_east).post(
        f"/customers/{customer.pk}/contacts/new/",
        {"name": "", "emails": "good@huaxin.cn\nnot-an-email", "birthday": "1985-13-40"},
    )
    assert response.status_code == 422
    assert field_errors(response.text, "name") == ["This field is required."]
    assert field_errors(response.text, "birthday") == ["Enter a valid date."]
    assert not Contact.objects.filter(customer=customer).exists()

    # when only the email is wrong, the service's error names the entry
    response = signed_in(world.rep_east).post(
        f"/customers/{customer.pk}/contacts/new/",
        {"name": "Li", "emails": "good@huaxin.cn\nnot-an-email"},
    )
    assert field_errors(response.text, "emails") == ["not-an-email: Enter a valid email address."]
    assert not Contact.objects.filter(customer=customer).exists()


def test_360_page_shows_contacts_deals_and_the_timeline_newest_first(world: World) -> None:
    customer = make_customer(world.rep_east, name="Huaxin Steel")
    make_contact(world.rep_east, customer, name="Wang Fang")
    deal = make_deal(world.rep_east, customer, name="Rolling mill")
    client = signed_in(world.rep_east)
    client.post(f"/activities/log/{customer.pk}/", {"kind": "call", "subject": "First call"})
    client.post(
        f"/activities/log/{customer.pk}/",
        {"kind": "meeting", "subject": "Site visit", "deal": deal.pk},
    )

    html = client.get(f"/customers/{customer.pk}/").text
    assert "Wang Fang" in html
    assert f'href="/deals/{deal.pk}/"' in html
    assert html.index("Site visit") < html.index("First call")


def test_timeline_has_an_older_link_that_continues(world: World) -> None:
    customer = make_customer(world.rep_east)
    client = signed_in(world.rep_east)
    for number in range(25):
        client.post(
            f"/activities/log/{customer.pk}/", {"kind": "note", "subject": f"Note {number:02d}"}
        )
    first = client.get(f"/customers/{customer.pk}/").text
    cursor = re.search(r'\?before=([^"#]+)', first)
    assert cursor is not None
    older = client.get(
        f"/customers/{customer.pk}/", {"before": cursor.group(1)}, HTTP_HX_REQUEST="true"
    ).text
    shown = re.findall(r"<strong>(Note \d+)</strong>", first) + re.findall(
        r"<strong>(Note \d+)</strong>", older
    )
    assert shown == [f"Note {n:02d}" for n in reversed(range(25))]


def test_quick_log_by_htmx_creates_the_activity_and_answers_the_timeline_entry(
    world: World,
) -> None:
    customer = make_customer(world.rep_east)
    deal = make_deal(world.rep_east, customer)
    response = signed_in(world.rep_east).post(
        f"/activities/log/{customer.pk}/",
        {
            "kind": "task",
            "subject": "Send the quote",
            "due_at": "2030-05-06T10:30",
            "deal": deal.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Send the quote" in response.text
    assert 'hx-swap-oob="true"' in response.text
    activity = Activity.objects.get(customer=customer)
    assert (activity.kind, activity.deal_id, activity.owner_id) == (
        "task",
        deal.pk,
        world.rep_east.user_id,
    )
    assert activity.done_at is None
    # 10:30 in the member's time zone (Asia/Shanghai, UTC+8) is 02:30 UTC
    assert activity.due_at.isoformat() == "2030-05-06T02:30:00+00:00"


def test_quick_log_errors_come_back_in_the_form(world: World) -> None:
    customer = make_customer(world.rep_east)
    response = signed_in(world.rep_east).post(
        f"/activities/log/{customer.pk}/", {"kind": "call", "subject": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#quick-log"
    assert field_errors(response.text, "subject") == ["This field is required."]
    assert not Activity.objects.filter(customer=customer).exists()


def test_search_box_finds_by_pinyin_initials_and_phone_in_another_format(world: World) -> None:
    # given
    make_customer(world.rep_east, name="单雄信", kind="person", phone="13800138000")
    make_customer(world.rep_east, name="曾国藩", kind="person")
    client = signed_in(world.rep_east)

    # then
    assert names_on(client.get("/customers/", {"q": "shanxiongxin"}).text) == ["单雄信"]
    assert names_on(client.get("/customers/", {"q": "zgf"}).text) == ["曾国藩"]
    assert names_on(client.get("/customers/", {"q": "+86 138 0013 8000"}).text) == ["单雄信"]


def test_the_letter_bar_filters_the_list_and_keeps_the_other_filters(world: World) -> None:
    # given
    make_customer(world.rep_east, name="张三", kind="person", tier="A")
    make_customer(world.rep_east, name="Zeta", tier="B")
    make_customer(world.rep_east, name="单雄信", kind="person", tier="A")
    client = signed_in(world.rep_east)

    # when the list is opened, then every letter and '#' is offered, none chosen
    html = client.get("/customers/", {"tier": "A"}).text
    letters = re.findall(r'<a href="\?([^"]*)"(?: aria-current="page")?>([A-Z#]|All)</a>', html)
    assert [label for _query, label in letters] == ["All", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "#"]
    z_link = {label: query for query, label in letters}["Z"].replace("&amp;", "&")
    assert "tier=A" in z_link

    # and following Z keeps tier A: 张三 (Zhang) but not Zeta (tier B) nor 单雄信 (Shan)
    page = client.get("/customers/?" + z_link).text
    assert names_on(page) == ["张三"]
    assert 'aria-current="page">Z</a>' in page
    assert 'name="initial" value="Z"' in page
