"""The demo's custom fields: two on customers, one on deals, with values drawn from each
row's own attributes (never from the random generator, so every other row stays the same)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from salesflow.core.scoping import Actor
from salesflow.customers.customfield_services import create_field
from salesflow.customers.customfields import definitions
from salesflow.customers.models import CompanySize

BUDGET_BY_SIZE = {
    CompanySize.MICRO: "50000.00",
    CompanySize.SMALL: "200000.00",
    CompanySize.MEDIUM: "800000.00",
    CompanySize.LARGE: "2000000.00",
    CompanySize.ENTERPRISE: "5000000.00",
}
# Larger companies pay on account; small ones and people pay up front.
TERMS_BY_SIZE = {
    CompanySize.MICRO: "prepaid",
    CompanySize.SMALL: "prepaid",
    CompanySize.MEDIUM: "net_30",
    CompanySize.LARGE: "net_60",
    CompanySize.ENTERPRISE: "net_60",
    "": "prepaid",
}
# Deals of this amount or more meet a competitor in the demo.
CONTESTED_FROM = Decimal(500_000)


def define_fields(admin: Actor, *, chinese: bool) -> None:
    """The demo's fields, labelled in the workspace's language; kept if they already exist."""
    fields: list[dict[str, Any]] = [
        {
            "entity": "customer",
            "key": "budget",
            "label": "年度预算" if chinese else "Annual budget",
            "type": "money",
            "shown_in_list": True,
        },
        {
            "entity": "customer",
            "key": "payment_terms",
            "label": "付款方式" if chinese else "Payment terms",
            "type": "single_choice",
            "options": [
                {"key": "prepaid", "label": "预付款" if chinese else "Prepaid"},
                {"key": "net_30", "label": "月结30天" if chinese else "Net 30"},
                {"key": "net_60", "label": "月结60天" if chinese else "Net 60"},
            ],
        },
        {
            "entity": "deal",
            "key": "competitor",
            "label": "有竞争对手" if chinese else "Competitor involved",
            "type": "yes_no",
            "shown_in_list": True,
        },
    ]
    for data in fields:
        existing = {f.key for f in definitions(admin.workspace_id, str(data["entity"]))}
        if data["key"] not in existing:
            create_field(admin, data)


def customer_values(size: str) -> str:
    """A customer's `custom` as JSON text: its budget and its payment terms by company size."""
    values: dict[str, str] = {"payment_terms": TERMS_BY_SIZE[size]}
    if size in BUDGET_BY_SIZE:
        values["budget"] = BUDGET_BY_SIZE[CompanySize(size)]
    return json.dumps(values)


def deal_values(amount: Decimal | None) -> str:
    if amount is None:
        return "{}"
    return json.dumps({"competitor": amount >= CONTESTED_FROM})
