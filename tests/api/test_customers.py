"""Customers and contacts through the API: filters, ownership and who may delete."""

from __future__ import annotations

from typing import Any

from salesflow.customers.models import Customer
from tests.api.conftest import counts, ids
from tests.conftest import World, make_contact, make_customer


def test_customer_filters(world: World, api_as) -> None:
    # given
    tea = make_customer(
        world.admin,
        name="Hangzhou Tea Co.",
        industry="Food",
        region="Zhejiang",
        tier="A",
        source_channel="Trade show",
    )
    steel = make_customer(
        world.admin, name="Baosteel Trading", industry="Metals", lifecycle="customer"
    )
    person = make_customer(world.rep_east, name="Li Lei", kind="person", region="Zhejiang")
    api = api_as(world.admin)

    def found(**params: Any) -> set[int]:
        return set(ids(api.pages("/customers", **params)))

    # then: the search finds names by their start or by the start of a later word
    assert found(q="TEA") == {tea.pk}
    assert found(q="t") == {tea.pk, steel.pk}  # Tea Co., Trading
    assert found(q="li", kind="person") == {person.pk}
    assert found(owner_id=world.rep_east.user_id) == {person.pk}
    assert found(lifecycle="customer") == {steel.pk}
    assert found(tier="A") == {tea.pk}
    assert found(industry="Metals") == {steel.pk}
    assert found(region="Zhejiang") == {tea.pk, person.pk}
    assert found(source_channel="Trade show") == {tea.pk}
    assert found(kind="person") == {person.pk}
    assert found(kind="company", region="Zhejiang") == {tea.pk}


def test_a_filter_value_outside_the_choices_is_422(world: World, api_as) -> None:
    # when
    response = api_as(world.admin).get("/customers", lifecycle="lead", owner_id="me")

    # then
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["owner_id", "lifecycle"]


def test_a_rep_creates_a_customer_they_own(world: World, api_as) -> None:
    # when
    response = api_as(world.rep_west).post("/customers", {"name": "Chengdu Hotpot Ltd"})

    # then: the model's defaults for what was not sent
    assert response.status_code == 201
    body = response.json()
    assert body["owner_id"] == world.rep_west.user_id
    assert (body["kind"], body["lifecycle"], body["tier"]) == ("company", "prospect", "")


def test_a_rep_may_not_assign_a_customer_to_another_member(world: World, api_as) -> None:
    # given
    mine = make_customer(world.rep_east)
    api = api_as(world.rep_east)
    before = counts()

    # when
    created = api.post("/customers", {"name": "X", "owner_id": world.rep_west.user_id})
    updated = api.patch(f"/customers/{mine.pk}", {"version": 1, "owner_id": world.rep_west.user_id})

    # then
    assert (created.status_code, updated.status_code) == (403, 403)
    assert counts() == before
    assert Customer.objects.get(pk=mine.pk).owner_id == world.rep_east.user_id


def test_a_rep_may_not_delete_even_their_own_customer(world: World, api_as) -> None:
    # given
    mine = make_customer(world.rep_east)
    before = counts()

    # when
    response = api_as(world.rep_east).delete(f"/customers/{mine.pk}", version=1)

    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a manager or an admin may do this.", "errors": []}
    assert counts() == before


def test_a_manager_deletes_a_sub_teams_customer(world: World, api_as) -> None:
    # given
    theirs = make_customer(world.rep_shanghai)

    # when
    response = api_as(world.boss).delete(f"/customers/{theirs.pk}", version=1)

    # then
    assert response.status_code == 204
    assert Customer.objects.get(pk=theirs.pk).trashed_at is not None


def test_contact_filters(world: World, api_as) -> None:
    # given
    acme, globex = make_customer(world.admin), make_customer(world.admin)
    li = make_contact(world.admin, acme, name="Li Lei")
    han = make_contact(world.admin, acme, name="Han Meimei")
    wang = make_contact(world.admin, globex, name="Wang Fang")
    api = api_as(world.admin)

    # then
    assert set(ids(api.pages("/contacts", customer_id=acme.pk))) == {li.pk, han.pk}
    assert set(ids(api.pages("/contacts", q="wang"))) == {wang.pk}
    assert ids(api.pages("/contacts", customer_id=acme.pk, ordering="name")) == [han.pk, li.pk]


def test_a_contact_lists_clean_phones_and_emails(world: World, api_as) -> None:
    # given
    customer = make_customer(world.admin)

    # when
    response = api_as(world.admin).post(
        "/contacts",
        {
            "customer_id": customer.pk,
            "name": "Li Lei",
            "phones": [" 138 0000 0000 ", ""],
            "emails": ["li@example.com"],
            "birthday": "1990-05-01",
            "decision_role": "champion",
        },
    )

    # then: blanks dropped and entries trimmed by the service
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phones"] == ["138 0000 0000"]
    assert (body["birthday"], body["decision_role"]) == ("1990-05-01", "champion")


def test_a_contact_moves_only_to_a_visible_customer(world: World, api_as) -> None:
    # given: rep_east's contact, and a customer only rep_west sees
    contact = make_contact(world.rep_east, make_customer(world.rep_east))
    theirs = make_customer(world.rep_west)
    before = counts()

    # when
    response = api_as(world.rep_east).patch(
        f"/contacts/{contact.pk}", {"version": 1, "customer_id": theirs.pk}
    )

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "customer_id", "message": "No customer visible to you has this id."}
    ]
    assert counts() == before


def test_search_by_pinyin_phone_and_email_best_match_first(world: World, api_as) -> None:
    # given
    shan = make_customer(world.admin, name="单雄信", kind="person", phone="13800138000")
    zhang = make_customer(world.admin, name="张三丰", kind="person", email="sanfeng@wudang.cn")
    zhangsan = make_customer(world.admin, name="张三", kind="person")
    api = api_as(world.admin)

    def found(q: str) -> list[int]:
        return ids(api.pages("/customers", q=q))

    # then: the surname 单 reads shàn; phone in another format; e-mail; exact name first
    assert found("shanxiongxin") == [shan.pk]
    assert found("sxx") == [shan.pk]
    assert found("+86 138 0013 8000") == [shan.pk]
    assert found("sanfeng@wudang.cn") == [zhang.pk]
    assert found("zhangsan") == [zhangsan.pk, zhang.pk]


def test_search_pages_follow_their_cursor_and_combine_with_filters(world: World, api_as) -> None:
    # given five Hangzhou customers, two of them tier A, and one elsewhere
    hangzhou = [
        make_customer(world.admin, name=f"杭州{n}号", tier="A" if n < 2 else "") for n in range(5)
    ]
    make_customer(world.admin, name="宁波1号", tier="A")
    api = api_as(world.admin)

    # when the search is read two at a time
    items = api.pages("/customers", q="hangzhou", limit=2)

    # then every page followed its cursor: all five, in the order of their names
    assert ids(items) == [c.pk for c in hangzhou]
    assert set(ids(api.pages("/customers", q="hangzhou", tier="A"))) == {
        hangzhou[0].pk,
        hangzhou[1].pk,
    }


def test_a_rep_does_not_find_another_reps_or_another_workspaces_customer(
    world: World, other_world: World, api_as
) -> None:
    # given a 张三 of rep_east, of rep_west and of another workspace
    mine = make_customer(world.rep_east, name="张三", kind="person")
    make_customer(world.rep_west, name="张三", kind="person")
    make_customer(other_world.admin, name="张三", kind="person")

    # then rep_east finds only their own
    assert ids(api_as(world.rep_east).pages("/customers", q="zs")) == [mine.pk]


def test_the_a_to_z_filter(world: World, api_as) -> None:
    # given
    zhang = make_customer(world.admin, name="张三", kind="person")
    shan = make_customer(world.admin, name="单雄信", kind="person")
    zeta = make_customer(world.admin, name="Zeta")
    other = make_customer(world.admin, name="3M China")
    api = api_as(world.admin)

    # then letters by pinyin (单 as a surname is S), '#' for the rest, in name order
    assert ids(api.pages("/customers", initial="Z", ordering="name")) == [zeta.pk, zhang.pk]
    assert ids(api.pages("/customers", initial="S")) == [shan.pk]
    assert ids(api.pages("/customers", initial="#")) == [other.pk]
    assert api.get("/customers/" + str(zhang.pk)).json()["name"] == "张三"


def test_a_bad_initial_or_search_cursor_is_422(world: World, api_as) -> None:
    # when
    api = api_as(world.admin)
    letter = api.get("/customers", initial="ZZ")
    cursor = api.get("/customers", q="zhang", cursor="bm90IGpzb24")

    # then
    assert letter.status_code == 422
    assert [e["field"] for e in letter.json()["errors"]] == ["initial"]
    assert cursor.status_code == 422
    assert [e["field"] for e in cursor.json()["errors"]] == ["cursor"]
