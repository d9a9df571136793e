"""`salesflow demo` files its customers in a small category tree and tags them."""

from __future__ import annotations

import pytest
from django.db.models import F

from salesflow.core.models import Workspace
from salesflow.customers.models import Category, Customer, CustomerTag, Tag
from tests.cli.conftest import run

pytestmark = pytest.mark.django_db


def test_the_demo_customers_are_filed_and_tagged() -> None:
    # when
    run("demo")

    # then three top-level categories, the twelve industries below the first two
    workspace = Workspace.objects.get(name="演示公司")
    categories = Category.objects.filter(workspace=workspace)
    tops = categories.filter(parent__isnull=True).order_by("position")
    assert list(tops.values_list("name", flat=True)) == ["科技与制造", "服务业", "个人客户"]
    assert categories.filter(parent__in=tops[:2]).count() == 12
    # and every customer is filed: companies under an industry, people under 个人客户
    customers = Customer.objects.filter(workspace=workspace)
    assert not customers.filter(category__isnull=True).exists()
    assert set(customers.filter(kind="person").values_list("category__name", flat=True)) == {
        "个人客户"
    }
    companies = customers.filter(kind="company")
    assert not companies.exclude(category__name=F("industry")).exists()
    # and the tags follow the tier and the lifecycle
    key = Tag.objects.get(workspace=workspace, name="重点客户")
    won = Tag.objects.get(workspace=workspace, name="已成交")
    assert set(CustomerTag.objects.filter(tag=key).values_list("customer_id", flat=True)) == set(
        customers.filter(tier="A").values_list("pk", flat=True)
    )
    assert set(CustomerTag.objects.filter(tag=won).values_list("customer_id", flat=True)) == set(
        customers.filter(lifecycle="customer").values_list("pk", flat=True)
    )
