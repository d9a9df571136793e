"""Merging customers: everything moves to the survivor, nothing is lost, the funnel stays true."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from salesflow.activities.models import Activity
from salesflow.analytics.aggregates import rebuild
from salesflow.analytics.models import DealFact
from salesflow.core.errors import Conflict, NotFound, ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.customers import queries
from salesflow.customers.history import customer_history, merged_into
from salesflow.customers.merging import DERIVED, merge_customers, plan
from salesflow.customers.models import Contact, Customer, DuplicateKey, SearchTerm
from salesflow.customers.services import create_customer, update_customer
from salesflow.pipeline.models import Deal, StageChange
from salesflow.pipeline.services.deals import close_deal, move_deal
from tests.analytics.test_aggregates import snapshot
from tests.api.conftest import make_activity
from tests.conftest import World, make_contact, make_customer, make_deal
from tests.services.support import INITIAL_CONTACT, satisfy, stage

pytestmark = pytest.mark.django_db


def related_rows(customer_ids: list[int]) -> dict[str, set[Any]]:
    """Every row of every model pointing at these customers (found through the relations, as
    the merge finds them), by model label; derived index rows left out."""
    rows: dict[str, set[Any]] = {}
    for relation in Customer._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and relation.is_relation and not relation.concrete):
            continue
        model = relation.related_model
        assert isinstance(model, type)
        assert issubclass(model, Model)
        if model in DERIVED:
            continue
        found = model._base_manager.filter(**{f"{relation.field.attname}__in": customer_ids})
        rows[model._meta.label_lower] = set(found.values_list("pk", flat=True))
    return rows


@pytest.fixture
def pair(world: World) -> tuple[Customer, Customer]:
    """Two customers of the East rep, entered twice as the same company.

    Survivor 华信钢铁: industry Steel, source Expo, e-mail, one contact, one deal moved on.
    Duplicate 华信钢铁有限公司: industry Metals, region Shanghai, phone, two contacts, a won deal
    and an open one, and two activities (one about a deal with a contact).
    """
    rep = world.rep_east
    survivor = make_customer(
        rep, name="华信钢铁", industry="Steel", source_channel="Expo", email="info@huaxin.cn"
    )
    make_contact(rep, survivor, name="Li Lei", phones=["13800138000"])
    deal = satisfy(rep, make_deal(rep, survivor), world.open_stages()[:1])
    move_deal(rep, deal.pk, stage(world, INITIAL_CONTACT).pk, deal.version)
    make_activity(rep, survivor, subject="First call")

    duplicate = create_customer(
        rep,
        {
            "name": "华信钢铁有限公司",
            "industry": "Metals",
            "region": "Shanghai",
            "phone": "021 5555 0100",
        },
        allow_duplicate=True,
    )
    wang = make_contact(rep, duplicate, name="Wang Fang", emails=["wang@huaxin.cn"])
    make_contact(rep, duplicate, name="Han Meimei", phones=["139 1111 2222"])
    won = satisfy(rep, make_deal(rep, duplicate, amount=Decimal(50000)), world.open_stages())
    close_deal(rep, won.pk, outcome="won", version=won.version)
    open_deal = make_deal(rep, duplicate, amount=Decimal(8000))
    make_activity(rep, duplicate, subject="Visit", contact_id=wang.pk, deal_id=open_deal.pk)
    make_activity(rep, duplicate, subject="Quote sent")
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    return survivor, duplicate


def test_merge_moves_everything_and_loses_nothing(world: World, pair) -> None:
    survivor, duplicate = pair
    rep = world.rep_east
    # given every row pointing at either customer, and the totals of the moved tables
    before = related_rows([survivor.pk, duplicate.pk])
    totals = {m: m.objects.count() for m in (Contact, Deal, Activity, StageChange)}
    assert len(before["customers.contact"]) == 3  # Li Lei; Wang Fang, Han Meimei
    assert len(before["pipeline.deal"]) == 3
    assert len(before["activities.activity"]) == 3
    assert len(before["analytics.dealfact"]) == 3

    # when the duplicate is merged into the survivor, keeping its industry
    merged = merge_customers(
        rep,
        survivor.pk,
        survivor.version,
        {duplicate.pk: duplicate.version},
        {"industry": duplicate.pk},
    )

    # then every row that pointed at either now points at the survivor, and no row was lost
    assert related_rows([merged.pk]) == before
    assert related_rows([duplicate.pk]) == {label: set() for label in before}
    assert {m: m.objects.count() for m in totals} == totals
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    # the industry chosen, the survivor's name, source and e-mail, the duplicate's region and
    # phone (the survivor had none), and a new version
    merged.refresh_from_db()
    assert (merged.name, merged.industry, merged.source_channel, merged.email) == (
        "华信钢铁",
        "Metals",
        "Expo",
        "info@huaxin.cn",
    )
    assert (merged.region, merged.phone) == ("Shanghai", "021 5555 0100")
    assert merged.version == survivor.version + 1
    # the moved contacts are found by the search and keep their keys under the survivor
    assert [c.pk for c in queries.search(rep, "wangfang", 5)] == [merged.pk]
    assert [c.pk for c in queries.search(rep, "55550100", 5)] == [merged.pk]
    assert set(SearchTerm.objects.filter(customer_id=duplicate.pk)) == set()
    emails = DuplicateKey.objects.filter(customer=merged, kind="email").values_list("key")
    assert sorted(k for (k,) in emails) == ["info@huaxin.cn", "wang@huaxin.cn"]


def test_merge_is_recorded_and_the_merged_history_stays_reachable(world: World, pair) -> None:
    survivor, duplicate = pair
    rep = world.rep_east
    duplicate_audits = AuditRecord.objects.filter(
        entity="customers.customer", entity_id=duplicate.pk
    )
    created = duplicate_audits.get(action="create")

    merge_customers(rep, survivor.pk, None, {duplicate.pk: None}, {"industry": duplicate.pk})

    # then the survivor's merge record lists the merged id, the values chosen where the two
    # differed (the industry chosen by hand, the rest by default) and the rows moved
    record = AuditRecord.objects.get(
        entity="customers.customer", entity_id=survivor.pk, action="merge"
    )
    assert record.actor_id == rep.user_id
    assert record.changes["merged_ids"] == [duplicate.pk]
    assert record.changes["choices"] == {
        "name": survivor.pk,
        "industry": duplicate.pk,
        "region": duplicate.pk,
        "phone": duplicate.pk,
        "email": survivor.pk,
        "source_channel": survivor.pk,
        "lifecycle": survivor.pk,  # a prospect, the duplicate a customer: the survivor's kept
    }
    assert record.changes["changes"] == {
        "industry": ["Steel", "Metals"],
        "region": ["", "Shanghai"],
        "phone": ["", "021 5555 0100"],
    }
    assert len(record.changes["moved"]["customers.contact"]) == 2
    # the merged customer's own records, its last one saying where it went
    assert [r.action for r in duplicate_audits.order_by("at", "id")][-2:] == ["merged", "delete"]
    assert duplicate_audits.get(action="merged").changes == {"into": survivor.pk}
    # and its history is read from the survivor's
    survivor = Customer.objects.get(pk=survivor.pk)
    assert merged_into(survivor) == {duplicate.pk}
    history, _next = customer_history(rep, survivor, None, 100)
    assert created in history
    assert record in history


def test_merged_customers_of_a_merged_customer_are_reachable_too(world: World) -> None:
    first = make_customer(world.admin, name="A Co")
    second = make_customer(world.admin, name="B Co")
    third = make_customer(world.admin, name="C Co")
    merge_customers(world.admin, second.pk, None, {third.pk: None}, {})
    merge_customers(world.admin, first.pk, None, {second.pk: None}, {})
    assert merged_into(Customer.objects.get(pk=first.pk)) == {second.pk, third.pk}


def test_analytics_after_merging_equal_a_rebuild(world: World, pair) -> None:
    survivor, duplicate = pair
    # given the merge changes the region every deal is counted under, and the industry
    merge_customers(
        world.rep_east,
        duplicate.pk,
        duplicate.version,
        {survivor.pk: survivor.version},
        {"industry": survivor.pk, "source_channel": survivor.pk},
    )
    kept = snapshot(world.admin.workspace_id)

    # then the aggregates kept at write time equal a rebuild from the stage changes
    rebuild(world.admin.workspace_id)
    assert snapshot(world.admin.workspace_id) == kept
    # and every deal fact carries the merged customer's columns
    facts = DealFact.objects.filter(workspace_id=world.admin.workspace_id)
    columns = ("customer_id", "source_channel", "industry", "region")
    assert set(facts.values_list(*columns)) == {(duplicate.pk, "Expo", "Steel", "Shanghai")}
    assert facts.count() == 3


def test_a_stale_version_is_a_conflict_and_changes_nothing(world: World, pair) -> None:
    survivor, duplicate = pair
    rep = world.rep_east
    # given someone edited the duplicate after the merge screen was opened
    update_customer(rep, duplicate.pk, duplicate.version, {"notes": "Changed meanwhile"})
    before = related_rows([survivor.pk, duplicate.pk])

    # when the merge is sent with the version read before
    with pytest.raises(Conflict) as conflict:
        merge_customers(rep, survivor.pk, survivor.version, {duplicate.pk: duplicate.version}, {})

    # then nothing moved and both customers remain
    assert conflict.value.current_version == duplicate.version + 1
    assert related_rows([survivor.pk, duplicate.pk]) == before
    assert Customer.objects.filter(pk__in=[survivor.pk, duplicate.pk]).count() == 2


def test_the_second_of_two_concurrent_merges_is_a_conflict(world: World, pair) -> None:
    survivor, duplicate = pair
    other = make_customer(world.rep_east, name="Third Co")
    versions = {duplicate.pk: duplicate.version}
    merge_customers(world.rep_east, survivor.pk, survivor.version, versions, {})
    with pytest.raises(Conflict):
        merge_customers(world.rep_east, survivor.pk, survivor.version, {other.pk: 1}, {})


def test_only_who_may_edit_every_customer_merges_them(world: World, other_world: World) -> None:
    east = make_customer(world.rep_east, name="East Co")
    west = make_customer(world.rep_west, name="West Co")
    foreign = make_customer(other_world.admin, name="Foreign Co")
    # the East manager does not see the West rep's customer; nobody sees another workspace's
    with pytest.raises(NotFound):
        merge_customers(world.east_manager, east.pk, None, {west.pk: None}, {})
    with pytest.raises(NotFound):
        merge_customers(world.admin, east.pk, None, {foreign.pk: None}, {})
    # a rep may not merge a colleague's customer into their own
    with pytest.raises(NotFound):
        merge_customers(world.rep_east, east.pk, None, {west.pk: None}, {})
    assert Customer.objects.filter(pk__in=[east.pk, west.pk, foreign.pk]).count() == 3
    # the manager of both teams may, and may keep the West rep as owner
    merged = merge_customers(world.boss, east.pk, None, {west.pk: None}, {"owner_id": west.pk})
    assert merged.owner_id == world.rep_west.user_id


def test_bad_choices_name_the_field_and_change_nothing(world: World) -> None:
    first = make_customer(world.admin, name="A Co")
    second = make_customer(world.admin, name="B Co")
    stranger = make_customer(world.admin, name="C Co")
    with pytest.raises(ValidationFailed) as failed:
        merge_customers(
            world.admin,
            first.pk,
            None,
            {second.pk: None},
            {"name": stranger.pk, "colour": second.pk},
        )
    assert sorted(e.field for e in failed.value.errors) == ["choices.colour", "choices.name"]
    with pytest.raises(ValidationFailed) as itself:
        merge_customers(world.admin, first.pk, None, {first.pk: None}, {})
    assert [e.field for e in itself.value.errors] == ["merged"]
    with pytest.raises(ValidationFailed):
        merge_customers(world.admin, first.pk, None, {}, {})
    assert Customer.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_the_plan_unites_lists_and_offers_each_key_of_an_object(world: World) -> None:
    # given two contacts, whose phones and e-mails are JSON lists
    customer = make_customer(world.admin)
    one = make_contact(world.admin, customer, name="Li Lei", phones=["1", "2"], emails=[])
    two = make_contact(world.admin, customer, name="Han Mei", phones=["2", "3"], emails=["e@x.cn"])

    choices, unions = plan([one, two])

    # then lists are united, the survivor's entries first, and plain columns are choices
    assert {u.name: u.united for u in unions} == {"phones": ["1", "2", "3"], "emails": ["e@x.cn"]}
    by_name = {c.name: c for c in choices}
    assert by_name["name"].default == one.pk
    assert by_name["title"].default == one.pk  # both empty: the survivor's
    assert "customer_id" in by_name
    assert "version" not in by_name

    # given two deals, one with a ticked checklist (a JSON object by stage id)
    bare = make_deal(world.admin, customer)
    ticked = satisfy(world.admin, make_deal(world.admin, customer), world.open_stages()[:1])
    first = str(world.open_stages()[0].pk)

    # then each key of the object is a choice, defaulting to the deal that has a value
    choices, unions = plan([bare, ticked])
    checklist = {c.name: c for c in choices}[f"checklist.{first}"]
    assert checklist.values == {bare.pk: None, ticked.pk: ticked.checklist[first]}
    assert checklist.default == ticked.pk
    assert unions == []
