"""API test helpers: a JSON client for one actor, and counts proving nothing was written."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.utils import translation

from salesflow.activities.models import Activity
from salesflow.activities.services import create_activity
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor
from salesflow.core.services import create_token
from salesflow.customers.models import Contact, Customer
from salesflow.pipeline.models import Deal, LostReason, Pipeline, Stage, StageChange
from salesflow.pipeline.services.pipelines import create_pipeline, create_stage
from tests.conftest import World, make_contact, make_customer, make_deal

PREFIX = "/api/v1"
COUNTED: tuple[type[Model], ...] = (
    Customer,
    Contact,
    Pipeline,
    Stage,
    LostReason,
    Deal,
    StageChange,
    Activity,
    AuditRecord,
)


@dataclass
class Api:
    """A JSON client that sends one actor's bearer token (or none, or any raw header)."""

    authorization: str | None
    headers: dict[str, str] = field(default_factory=dict)
    client: Client = field(default_factory=Client)

    def _headers(self) -> dict[str, str]:
        sent = dict(self.headers)
        if self.authorization is not None:
            sent["Authorization"] = self.authorization
        return sent

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(PREFIX + path, params, headers=self._headers())

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("post", path, json.dumps(body))

    def patch(self, path: str, body: Any = None) -> Any:
        return self.send("patch", path, json.dumps(body))

    def put(self, path: str, body: Any = None) -> Any:
        return self.send("put", path, json.dumps(body))

    def delete(self, path: str, **params: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(
            PREFIX + path + (f"?{query}" if query else ""), headers=self._headers()
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Any route by its method name, so one test can walk a table of routes."""
        if method in ("get", "delete"):
            return getattr(self, method)(path)
        return getattr(self, method)(path, body)

    def send(self, method: str, path: str, raw: str | bytes) -> Any:
        """A body sent exactly as given, to test what a broken client might send."""
        call = getattr(self.client, method)
        return call(PREFIX + path, raw, content_type="application/json", headers=self._headers())

    def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following next_cursor until it is null."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            response = self.get(path, **params, **({"cursor": cursor} if cursor else {}))
            assert response.status_code == 200, response.json()
            body = response.json()
            assert set(body) == {"items", "next_cursor"}
            items.extend(body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                return items


@pytest.fixture
def api_as(db: None) -> Callable[..., Api]:
    """`api_as(actor)` is a client authenticated as that actor."""

    def make(actor: Actor, **headers: str) -> Api:
        return Api(f"Bearer {create_token(actor.membership)}", headers)

    return make


def counts() -> dict[str, int]:
    """How many rows each written table holds: equal before and after means nothing was written."""
    return {model.__name__: model._default_manager.count() for model in COUNTED}


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Every world creates six logins; a deliberately slow hasher would dominate the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_language_leak() -> Any:
    """The API activates the caller's language; do not let it leak into the next test."""
    yield
    translation.deactivate()


def make_activity(actor: Actor, customer: Customer | None = None, **data: Any) -> Activity:
    customer = customer or make_customer(actor)
    return create_activity(
        actor, {"kind": "call", "subject": "Intro call", "customer_id": customer.pk, **data}
    )


def make_pipeline(actor: Actor, name: str = "Renewals") -> Pipeline:
    """A second, non-default pipeline: open stage A, won stage Won, lost stage Lost."""
    pipeline = create_pipeline(actor, {"name": name})
    create_stage(actor, pipeline.pk, {"name": "A", "kind": "open", "probability": 30})
    create_stage(actor, pipeline.pk, {"name": "Won", "kind": "won", "probability": 100})
    create_stage(actor, pipeline.pk, {"name": "Lost", "kind": "lost", "probability": 0})
    return pipeline


@dataclass(frozen=True)
class Resource:
    """What the generic contract tests need to know about one top-level resource."""

    path: str
    model: type[Model]
    make: Callable[[World], Model]
    create_body: Callable[[World], dict[str, Any]]
    change: tuple[str, Any]

    def __str__(self) -> str:
        return self.path


RESOURCES = [
    Resource(
        "/customers",
        Customer,
        lambda w: make_customer(w.admin),
        lambda w: {"name": "Hangzhou Tea Co.", "industry": "Food", "region": "Zhejiang"},
        ("name", "Hangzhou Tea Group"),
    ),
    Resource(
        "/contacts",
        Contact,
        lambda w: make_contact(w.admin, make_customer(w.admin)),
        lambda w: {
            "customer_id": make_customer(w.admin).pk,
            "name": "Han Meimei",
            "emails": ["han@example.com"],
        },
        ("title", "CTO"),
    ),
    Resource(
        "/pipelines",
        Pipeline,
        lambda w: make_pipeline(w.admin),
        lambda w: {"name": "Upsell", "position": 3},
        ("name", "Upsell and renewals"),
    ),
    Resource(
        "/deals",
        Deal,
        lambda w: make_deal(w.admin),
        lambda w: {"name": "ERP rollout", "customer_id": make_customer(w.admin).pk},
        ("next_step", "Send the quote"),
    ),
    Resource(
        "/activities",
        Activity,
        lambda w: make_activity(w.admin),
        lambda w: {"kind": "meeting", "subject": "Demo", "customer_id": make_customer(w.admin).pk},
        ("subject", "Second demo"),
    ),
]
