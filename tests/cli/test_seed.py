"""`salesflow seed`: deterministic demo history that obeys the same rules as real data."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError
from django.db.models import Count, Max

from salesflow.activities.models import Activity
from salesflow.core.models import Workspace
from salesflow.core.scoping import Actor
from salesflow.customers.models import Customer, DuplicateKey, SearchTerm
from salesflow.customers.queries import search
from salesflow.pipeline.models import Deal, Stage, StageChange, StageKind
from tests.cli.conftest import ANCHOR, make_workspace, row_counts, run
from tests.cli.support import canonical

pytestmark = pytest.mark.django_db

SMALL = ("--scale", "small", "--deals", "120", "--anchor", ANCHOR)
LARGE = ("--scale", "large", "--deals", "300", "--anchor", ANCHOR)
SCALES = [pytest.param(SMALL, id="small"), pytest.param(LARGE, id="large")]


def seed(workspace: str, *args: str, scale: tuple[str, ...] = SMALL) -> str:
    return run("seed", "--workspace", workspace, *scale, *args).stdout


@pytest.mark.parametrize("scale", SCALES)
def test_the_same_seed_gives_the_same_history_and_another_seed_another(
    scale: tuple[str, ...],
) -> None:
    # given three empty workspaces on the same template
    for name in ("A", "B", "C"):
        make_workspace(name)

    # when A and B are seeded with seed 7 and C with seed 8
    seed("A", "--seed", "7", scale=scale)
    seed("B", "--seed", "7", scale=scale)
    seed("C", "--seed", "8", scale=scale)

    # then A and B hold the same rows, down to amounts, stages and timestamps; C differs
    a, b, c = (canonical(Workspace.objects.get(name=name)) for name in ("A", "B", "C"))
    assert a == b
    assert a["deals"] != c["deals"]
    assert a["stage_changes"] != c["stage_changes"]
    assert len(a["deals"]) == int(scale[scale.index("--deals") + 1])


def test_the_summary_printed_counts_what_was_written() -> None:
    # given an empty workspace
    workspace = make_workspace("Acme")

    # when it is seeded
    output = seed("Acme", "--seed", "1")

    # then the printed counts are the database's
    deals = Deal.objects.filter(workspace=workspace)
    won = deals.filter(stage__kind=StageKind.WON).count()
    lost = deals.filter(stage__kind=StageKind.LOST).count()
    changes = StageChange.objects.filter(workspace=workspace).count()
    assert f"deals {deals.count():,} (won {won:,}, lost {lost:,}, " in output
    assert f"open {deals.count() - won - lost:,})" in output
    assert f"stage changes {changes:,}" in output
    assert won > 0
    assert lost > 0


@pytest.mark.parametrize("scale", SCALES)
def test_every_seeded_deal_has_a_consistent_stage_history(scale: tuple[str, ...]) -> None:
    # given a seeded workspace
    workspace = make_workspace("Acme")
    seed("Acme", "--seed", "3", scale=scale)
    deals = Deal.objects.filter(workspace=workspace).select_related("stage")
    closed = set(
        Stage.objects.filter(workspace=workspace)
        .exclude(kind=StageKind.OPEN)
        .values_list("id", flat=True)
    )

    # then each deal starts with an entry from nowhere, and its last change lands on its stage
    firsts = dict(
        StageChange.objects.filter(workspace=workspace, from_stage=None)
        .values_list("deal_id")
        .annotate(n=Count("id"))
    )
    assert set(firsts.values()) == {1}
    assert set(firsts) == set(deals.values_list("id", flat=True))
    for deal in deals:
        history = list(
            StageChange.objects.filter(deal=deal)
            .order_by("at", "id")
            .values_list("from_stage_id", "to_stage_id", "at")
        )
        assert history[0][0] is None
        for (_, to_stage, _at), (from_stage, _, _at2) in itertools.pairwise(history):
            assert from_stage == to_stage
        assert history[-1][1] == deal.stage_id
        assert deal.stage_entered_at == history[-1][2]
        # and a closed deal closed when it last left the open stages (a move on from one won
        # stage to the next keeps that time); a lost one has a reason
        if deal.stage.kind == StageKind.OPEN:
            assert deal.closed_at is None
        else:
            closing = [at for old, new, at in history if old not in closed and new in closed]
            assert deal.closed_at == closing[-1]
        assert (deal.lost_reason_id is not None) == (deal.stage.kind == StageKind.LOST)
    # and no change happens after the anchor day
    latest = StageChange.objects.filter(workspace=workspace).aggregate(at=Max("at"))["at"]
    assert latest.date().isoformat() < ANCHOR


def test_a_large_seed_tells_long_and_eventful_deal_histories() -> None:
    # given an empty workspace
    workspace = make_workspace("Acme")

    # when it is seeded at the large scale
    output = seed("Acme", "--seed", "5", scale=LARGE)

    # then a deal moves about ten times on average, counted from the rows
    stages = {s.pk: s for s in Stage.objects.filter(workspace=workspace)}
    moves = [
        (stages.get(old), stages[new])
        for old, new in StageChange.objects.filter(workspace=workspace).values_list(
            "from_stage_id", "to_stage_id"
        )
    ]
    deals = Deal.objects.filter(workspace=workspace).select_related("stage")
    assert 9 <= len(moves) / deals.count() <= 11
    # and between open stages deals advance, skip a stage and fall back
    steps = [
        new.position - old.position
        for old, new in moves
        if old and old.kind == new.kind == StageKind.OPEN
    ]
    assert {1, 2, -1} <= set(steps)
    # and both lost and won deals are reopened
    reopened = {old.kind for old, new in moves if old and old.kind != new.kind == StageKind.OPEN}
    assert reopened == {StageKind.LOST, StageKind.WON}
    # and the deals end won, lost or still open, with fewer than two activities a deal
    assert {d.stage.kind for d in deals} == {StageKind.OPEN, StageKind.WON, StageKind.LOST}
    assert Activity.objects.filter(workspace=workspace).count() < 2 * deals.count()
    assert f"stage changes {len(moves):,}" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace", "Nowhere"], "--workspace: No workspace is named “Nowhere”."),
        (["--workspace", "Acme", "--anchor", "2025-13-01"],
         "--anchor: “2025-13-01” is not a date of the form YYYY-MM-DD."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_written(args: list[str], message: str) -> None:
    # given an empty workspace
    make_workspace("Acme")
    before = row_counts()

    # when seeding is asked with one bad input
    with pytest.raises(CommandError) as refused:
        run("seed", *args)

    # then the message names the option and the reason, and nothing changed
    assert str(refused.value) == message
    assert row_counts() == before


def test_a_seeded_workspace_is_searchable_as_if_the_services_had_written_it() -> None:
    # given a seeded workspace
    workspace = make_workspace("Acme")
    seed("Acme", "--seed", "3")
    terms = SearchTerm.objects.filter(workspace=workspace)
    seeded = set(terms.values_list("customer_id", "owner_id", "rank", "term"))
    initials = dict(Customer.objects.filter(workspace=workspace).values_list("pk", "initial"))

    # when the terms are recomputed from the customers and contacts
    run("rebuild_search", "--workspace", "Acme")

    # then nothing changed, and every customer is found by its own name
    assert set(terms.values_list("customer_id", "owner_id", "rank", "term")) == seeded
    assert dict(Customer.objects.filter(workspace=workspace).values_list("pk", "initial")) == (
        initials
    )
    admin = Actor.of(User.objects.get(username="admin-acme"), workspace)
    for customer in Customer.objects.filter(workspace=workspace)[:20]:
        assert customer in search(admin, customer.name, 50), customer.name


def test_a_seeded_workspace_has_the_duplicate_keys_the_services_would_write() -> None:
    # given a seeded workspace
    workspace = make_workspace("Acme")
    seed("Acme", "--seed", "3")
    keys = DuplicateKey.objects.filter(workspace=workspace)
    seeded = sorted(keys.values_list("customer_id", "contact_id", "kind", "key"), key=repr)

    # when they are recomputed from the customers and contacts
    run("rebuild_duplicate_keys", "--workspace", "Acme")

    # then nothing changed, and every company has its name key
    assert sorted(keys.values_list("customer_id", "contact_id", "kind", "key"), key=repr) == seeded
    companies = Customer.objects.filter(workspace=workspace, kind="company")
    assert keys.filter(kind="name").count() == companies.count() > 0
