"""The demo workspace's customer categories and tags: a small tree by sector and industry,
two tags, and every seeded customer filed and tagged by what it is, through the services."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db.models import QuerySet

from salesflow.core.scoping import Actor
from salesflow.customers.categories import create_category, move_customers
from salesflow.customers.models import Customer, CustomerKind, Lifecycle, Tier
from salesflow.customers.selection import MAX_SELECTED
from salesflow.customers.tags import create_tag, tag_customers
from salesflow.demo.vocabulary import INDUSTRIES, Word

# Industries (by their Chinese name) filed under "Technology and manufacturing"; the rest
# are under "Services".
MAKERS = ("信息技术", "制造业", "汽车", "能源")
SECTORS = (
    Word("科技与制造", "keji yu zhizao", "Technology and manufacturing"),
    Word("服务业", "fuwuye", "Services"),
)
INDIVIDUALS = Word("个人客户", "geren kehu", "Individuals")
KEY_ACCOUNT = Word("重点客户", "zhongdian kehu", "Key account")
WON = Word("已成交", "yi chengjiao", "Won")


def organise_demo(actor: Actor, *, chinese: bool) -> None:
    """File the workspace's customers; the same seeded customers give the same result."""
    customers = Customer.objects.filter(workspace_id=actor.workspace_id).order_by("pk")
    makers, services = (
        create_category(actor, {"name": sector.text(chinese)}) for sector in SECTORS
    )
    for industry in INDUSTRIES:
        parent = makers if industry.name.zh in MAKERS else services
        category = create_category(
            actor, {"name": industry.name.text(chinese), "parent_id": parent.pk}
        )
        names = {industry.name.zh, industry.name.text(False)}
        _in_batches(
            customers.filter(kind=CustomerKind.COMPANY, industry__in=names),
            partial(move_customers, actor, category_id=category.pk),
        )
    individuals = create_category(actor, {"name": INDIVIDUALS.text(chinese)})
    _in_batches(
        customers.filter(kind=CustomerKind.PERSON),
        lambda ids: move_customers(actor, ids, individuals.pk),
    )
    key = create_tag(actor, {"name": KEY_ACCOUNT.text(chinese), "colour": "red"})
    _in_batches(customers.filter(tier=Tier.A), lambda ids: tag_customers(actor, ids, key.pk))
    won = create_tag(actor, {"name": WON.text(chinese), "colour": "green"})
    _in_batches(
        customers.filter(lifecycle=Lifecycle.CUSTOMER),
        lambda ids: tag_customers(actor, ids, won.pk),
    )


def _in_batches(customers: QuerySet[Customer], write: Callable[[list[int]], int]) -> None:
    ids = list(customers.values_list("pk", flat=True))
    for start in range(0, len(ids), MAX_SELECTED):
        write(ids[start : start + MAX_SELECTED])
