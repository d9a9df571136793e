"""Import and export pages through the test client: upload, map, dry run, progress, download."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salesflow.customers import imports
from salesflow.customers.models import Customer, ImportJob
from tests.conftest import World, make_customer

pytestmark = pytest.mark.django_db


def signed_in(actor) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(actor.user)
    return client


def test_upload_map_dry_run_then_import(world: World) -> None:
    client = signed_in(world.admin)
    # Given the customer list, which links to the import page
    assert 'href="/customers/import/"' in client.get("/customers/").text
    # When a CSV is uploaded
    data = "客户名称,手机,备注\n华信钢铁,13800138000,老客户\n,13900139000,\n".encode()
    response = client.post(
        "/customers/import/", {"entity": "customers", "file": SimpleUploadedFile("a.csv", data)}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/import/{job.pk}/"
    # Then its columns are shown with their first rows and the suggested fields chosen
    page = client.get(response["Location"]).text
    assert '<option value="name" selected>' in page
    assert '<option value="phone" selected>' in page
    assert "华信钢铁" in page
    # When a dry run is asked for with the columns as suggested (notes mapped by hand)
    form = {"map-0": "name", "map-1": "phone", "map-2": "notes", "match_key": "phone"}
    response = client.post(
        f"/customers/import/{job.pk}/", {**form, "on_match": "skip", "dry_run": "1"}
    )
    assert response.status_code == 302
    # Then the job is queued and the page polls its progress
    assert 'hx-trigger="every 1s"' in client.get(f"/customers/import/{job.pk}/").text
    imports.execute(world.admin, ImportJob.objects.get(pk=job.pk))
    progress = client.get(f"/customers/import/{job.pk}/progress/").text
    assert "Dry run finished: nothing was written" in progress
    assert '<dd data-count="created">1</dd>' in progress
    assert '<dd data-count="failed">1</dd>' in progress
    assert "This field cannot be blank." in progress
    assert Customer.objects.count() == 0
    # When it is imported for real
    client.post(f"/customers/import/{job.pk}/", {**form, "on_match": "skip"})
    imports.execute(world.admin, ImportJob.objects.get(pk=job.pk))
    # Then the good row is in and the problems download as CSV
    assert list(Customer.objects.values_list("name", "notes")) == [("华信钢铁", "老客户")]
    problems = client.get(f"/customers/import/{job.pk}/problems.csv")
    text = b"".join(problems.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == [
        "3",
        "客户名称",
        "",
        "This field cannot be blank.",
    ]


def test_a_mapping_error_is_shown_and_nothing_starts(world: World) -> None:
    client = signed_in(world.admin)
    job = imports.upload(
        world.admin, "customers", SimpleUploadedFile("a.csv", b"Name,Phone\nA,1\n")
    )
    response = client.post(
        f"/customers/import/{job.pk}/",
        {"map-0": "", "map-1": "phone", "match_key": "phone", "on_match": "skip"},
    )
    assert response.status_code == 422
    assert "Map a column to “name”." in response.text
    assert ImportJob.objects.get(pk=job.pk).status == "uploaded"


def test_export_from_the_list_keeps_its_filters_and_scope(world: World) -> None:
    make_customer(world.rep_east, name="东方", tier="A")
    make_customer(world.rep_east, name="东方二", tier="B")
    make_customer(world.rep_west, name="西方", tier="A")
    client = signed_in(world.east_manager)
    page = client.get("/customers/export/", {"tier": "A"}).text
    assert '<input type="hidden" name="tier" value="A">' in page
    response = client.get(
        "/customers/export/", {"tier": "A", "entity": "customers", "format": "csv"}
    )
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["东方"]
