"""The automatic return to the public pool, run by `salesflow pool_sweep`.

A customer's last follow-up is the latest activity logged on it (activities on its deals are
logged on it too: done, or created when not done yet), or the moment its owner got it
(claim, assignment, creation), whichever is later. When that lies `return_after_days` or more
in the past, the customer goes back to the pool; `warn_days_before` days earlier its owner
is told. Customers with open deals stay with their owner if the workspace says so.

Set-based and batched: customers are read through the index on (workspace, owner_since, id)
of owned customers, a batch at a time; each batch's returns are one UPDATE in their own
transaction. Running the sweep again changes nothing more: returned customers have no owner,
and a warning is keyed by the customer and its last follow-up.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from salesflow.activities.models import Activity
from salesflow.core.models import AuditRecord
from salesflow.core.notifications import Notice, notify
from salesflow.customers.models import (
    Customer,
    CustomerRules,
    PoolEvent,
    PoolEventKind,
    SearchTerm,
)
from salesflow.pipeline.models import Deal, StageKind

BATCH = 500


@dataclass
class SweepResult:
    returned: int = 0
    warned: int = 0


def sweep(
    now: datetime.datetime | None = None, workspace_ids: Iterable[int] | None = None
) -> SweepResult:
    """Return the due customers of every workspace whose rules turn the return on."""
    now = now or timezone.now()
    result = SweepResult()
    rules = CustomerRules.objects.filter(return_after_days__gt=0).select_related("workspace")
    if workspace_ids is not None:
        rules = rules.filter(workspace_id__in=list(workspace_ids))
    for workspace_rules in rules.order_by("workspace_id"):
        returned, warned = sweep_workspace(workspace_rules, now)
        result.returned += returned
        result.warned += warned
    return result


def _touched() -> Coalesce:
    return Coalesce("done_at", "created_at")


def _quiet_since(cutoff: datetime.datetime) -> Exists:
    """Whether the customer has an activity after `cutoff`."""
    return Exists(
        Activity.objects.filter(customer_id=OuterRef("pk"))
        .annotate(touched=_touched())
        .filter(touched__gt=cutoff)
    )


def _candidates(rules: CustomerRules, up_to: datetime.datetime) -> QuerySet[Customer]:
    """Owned customers whose owner got them no later than `up_to` (and no open deal, if exempt)."""
    rows = Customer.objects.filter(
        workspace_id=rules.workspace_id, owner__isnull=False, owner_since__lte=up_to
    )
    if rules.exempt_open_deals:
        open_deals = Deal.objects.filter(customer_id=OuterRef("pk"), stage__kind=StageKind.OPEN)
        rows = rows.exclude(Exists(open_deals))
    return rows


def sweep_workspace(rules: CustomerRules, now: datetime.datetime) -> tuple[int, int]:
    """Return and warn in one workspace; (customers returned, warnings written)."""
    days = datetime.timedelta(days=rules.return_after_days)
    cutoff = now - days
    warn_from = cutoff + datetime.timedelta(days=rules.warn_days_before)
    zone = ZoneInfo(rules.workspace.timezone)
    last_touch = (
        Activity.objects.filter(customer_id=OuterRef("pk"))
        .annotate(touched=_touched())
        .order_by("-touched")
        .values("touched")[:1]
    )
    candidates = _candidates(rules, warn_from).annotate(last_touch=Subquery(last_touch))
    returned = warned = 0
    after: Q = Q()
    while batch := list(
        candidates.filter(after)
        .order_by("owner_since", "pk")
        .values("pk", "owner_id", "owner_since", "last_touch", "name")[:BATCH]
    ):
        last = batch[-1]
        after = Q(owner_since__gt=last["owner_since"]) | Q(
            owner_since=last["owner_since"], pk__gt=last["pk"]
        )
        due: list[int] = []
        warnings: list[Notice] = []
        for row in batch:
            followed = max(row["owner_since"], row["last_touch"] or row["owner_since"])
            if followed <= cutoff:
                due.append(row["pk"])
            elif followed <= warn_from:
                warnings.append(_warning(rules, row, followed, (followed + days).astimezone(zone)))
        returned += _return(rules, due, cutoff, now)
        warned += notify(warnings)
    return returned, warned


def _warning(
    rules: CustomerRules,
    row: dict[str, Any],
    followed: datetime.datetime,
    returns_at: datetime.datetime,
) -> Notice:
    return Notice(
        workspace_id=rules.workspace_id,
        user_id=row["owner_id"],
        kind="pool.warning",
        title=gettext_noop("%(customer)s returns to the public pool on %(on)s"),
        text=gettext_noop("Log a follow-up activity before then to keep this customer."),
        params={"customer": row["name"]},
        on=returns_at.date(),
        link=reverse("customers:detail", args=[row["pk"]]),
        dedupe_key=f"pool.warning:{row['pk']}:{followed.isoformat()}",
    )


@transaction.atomic
def _return(
    rules: CustomerRules, ids: Sequence[int], cutoff: datetime.datetime, now: datetime.datetime
) -> int:
    """Put these customers into the pool if they are still due once locked."""
    if not ids:
        return 0
    still_due = (
        _candidates(rules, cutoff)
        .filter(pk__in=ids)
        .exclude(_quiet_since(cutoff))
        .select_for_update()
        .values_list("pk", "owner_id", "name")
    )
    rows = list(still_due)
    if not rows:
        return 0
    returned = [pk for pk, _owner, _name in rows]
    Customer.objects.filter(pk__in=returned).update(
        owner=None, owner_since=now, version=F("version") + 1, updated_at=now, updated_by=None
    )
    SearchTerm.objects.filter(customer_id__in=returned).update(owner=None)
    workspace_id = rules.workspace_id
    PoolEvent.objects.bulk_create(
        PoolEvent(
            workspace_id=workspace_id,
            customer_id=pk,
            kind=PoolEventKind.RETURN,
            at=now,
            previous_owner_id=owner_id,
        )
        for pk, owner_id, _name in rows
    )
    AuditRecord.objects.bulk_create(
        AuditRecord(
            workspace_id=workspace_id,
            at=now,
            entity=Customer._meta.label_lower,
            entity_id=pk,
            action="return",
            changes={"owner_id": [owner_id, None]},
        )
        for pk, owner_id, _name in rows
    )
    pool_page = reverse("customers:pool")
    notify(
        Notice(
            workspace_id=workspace_id,
            user_id=owner_id,
            kind="pool.returned",
            title=gettext_noop("%(customer)s went back to the public pool"),
            text=gettext_noop("Nothing was logged on it for as long as the pool rules allow."),
            params={"customer": name},
            link=pool_page,
        )
        for _pk, owner_id, name in rows
    )
    return len(rows)
