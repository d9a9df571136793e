"""The health check that load balancers and `scripts/start` users poll."""

import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_ok_with_the_database_vendor(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}


def test_healthz_only_answers_get(client: Client) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
