"""Imports and exports through the API: upload, run, follow, problems; scoped, streamed exports
that import again unchanged."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from salesflow.customers import imports
from salesflow.customers.models import Customer, ImportJob
from salesflow.customers.services import update_customer
from salesflow.customers.vcards import read_vcards
from tests.api.conftest import PREFIX, Api
from tests.conftest import World, make_contact, make_customer


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding))))


def upload(api: Api, name: str, data: bytes, entity: str = "customers") -> Any:
    return api.client.post(
        PREFIX + "/imports",
        {"entity": entity, "file": SimpleUploadedFile(name, data)},
        headers=api._headers(),
    )


def run_queued(job_id: int) -> ImportJob:
    """Run the queued job's task as the worker would (the worker itself: test_imports.py)."""
    imports.run_import.call(job_id)
    return ImportJob.objects.get(pk=job_id)


def test_a_reps_export_holds_only_their_customers(world: World, api_as: Callable[..., Api]) -> None:
    # Given customers of rep_east, of rep_west and of the admin
    make_customer(world.rep_east, name="东方客户")
    make_customer(world.rep_west, name="西方客户")
    make_customer(world.admin, name="总部客户")
    # When rep_east exports customers as CSV
    response = api_as(world.rep_east).get("/exports/customers", format="csv")
    # Then the file streams, starts with the UTF-8 BOM and holds only rep_east's customer
    assert response.status_code == 200
    assert response.streaming
    assert not isinstance(response.streaming_content, list | bytes)
    data = body(response)
    assert data.startswith(codecs.BOM_UTF8)
    rows = csv_rows(data)
    assert rows[0][:3] == ["Customer ID", "name", "kind"]
    assert [row[1] for row in rows[1:]] == ["东方客户"]


def test_the_export_applies_the_list_filters(world: World, api_as: Callable[..., Api]) -> None:
    make_customer(world.admin, name="甲", tier="A")
    make_customer(world.admin, name="乙", tier="B")
    response = api_as(world.admin).get("/exports/customers", format="csv", tier="A")
    assert [row[1] for row in csv_rows(body(response))[1:]] == ["甲"]


def test_export_then_import_restores_every_field(world: World, api_as: Callable[..., Api]) -> None:
    # Given a customer with every field filled, exported as CSV in GB18030
    api = api_as(world.admin)
    customer = make_customer(
        world.admin, name="华信钢铁", kind="company", industry="钢铁", size="100-499",
        region="上海", source_channel="展会", tier="A", lifecycle="customer",
        phone="021-5555 0100", email="buy@huaxin.cn", website="https://huaxin.cn",
        address="上海市浦东新区世纪大道100号", notes="老客户，\n每年续约",
        owner_id=world.rep_east.user_id,
    )  # fmt: skip
    exported = body(api.get("/exports/customers", format="csv", encoding="gb18030"))
    # And then changed in every field but its name
    update_customer(world.admin, customer.pk, None, {
        "industry": "", "size": "", "region": "北京", "source_channel": "", "tier": "C",
        "lifecycle": "churned", "phone": "", "email": "", "website": "", "address": "",
        "notes": "", "kind": "person", "owner_id": world.admin.user_id,
    })  # fmt: skip
    # When the exported file is uploaded, its mapping is taken as suggested, and it is run
    # matching by id and updating
    uploaded = upload(api, "customers.csv", exported)
    assert uploaded.status_code == 201, uploaded.json()
    job = uploaded.json()
    assert job["encoding"] == "gb18030"
    assert set(job["suggested_mapping"].values()) == {
        "id", "name", "kind", "industry", "size", "region", "source_channel", "owner", "tier",
        "lifecycle", "phone", "email", "website", "address", "notes", "id_number",
        "bank_account", "private_notes",
    }  # fmt: skip
    started = api.post(
        f"/imports/{job['id']}/run",
        {"mapping": job["suggested_mapping"], "match_key": "id", "on_match": "update"},
    )
    assert started.status_code == 202, started.json()
    done = run_queued(job["id"])
    # Then the customer is as it was exported, and exporting again gives the same file
    assert (done.created, done.updated, done.failed) == (0, 1, 0)
    again = body(api.get("/exports/customers", format="csv", encoding="gb18030"))
    assert again == exported
    assert Customer.objects.get(pk=customer.pk).version == 3


def test_an_xlsx_export_reads_back_with_openpyxl(world: World, api_as: Callable[..., Api]) -> None:
    customer = make_customer(world.admin, name="华信")
    make_contact(world.admin, customer, name="李雷", phones=["13800138000", "021-5555 0100"])
    response = api_as(world.admin).get("/exports/contacts", format="xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("Contact ID", "Customer ID", "customer", "name")
    assert rows[1][2:6] == ("华信", "李雷", None, "13800138000\n021-5555 0100")


def test_contacts_export_as_vcards_and_deals_do_not(
    world: World, api_as: Callable[..., Api]
) -> None:
    customer = make_customer(world.admin, name="顺丰速运")
    make_contact(world.admin, customer, name="王芳", emails=["wang@sf.cn"])
    api = api_as(world.admin)
    response = api.get("/exports/contacts", format="vcard", version="4.0")
    cards = read_vcards(body(response)).cards
    assert [(c.formatted_name, c.organisation and c.organisation.name) for c in cards] == [
        ("王芳", "顺丰速运")
    ]
    assert [e.value for e in cards[0].emails] == ["wang@sf.cn"]
    refused = api.get("/exports/deals", format="vcard")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "format"


def test_problems_download_names_row_field_value_and_reason(
    world: World, api_as: Callable[..., Api]
) -> None:
    # Given a file whose row 3 has a malformed e-mail address
    api = api_as(world.admin)
    data = "名称,邮箱\n甲公司,a@jia.cn\n乙公司,not-an-email\n".encode()
    job = upload(api, "a.csv", data).json()
    assert job["suggested_mapping"] == {"名称": "name", "邮箱": "email"}
    assert job["preview"] == [["甲公司", "a@jia.cn"], ["乙公司", "not-an-email"]]
    # When it is run, and its progress read
    api.post(
        f"/imports/{job['id']}/run", {"mapping": job["suggested_mapping"], "match_key": "email"}
    )
    run_queued(job["id"])
    state = api.get(f"/imports/{job['id']}").json()
    assert {k: state[k] for k in ("status", "total", "processed", "created", "failed")} == {
        "status": "finished", "total": 2, "processed": 2, "created": 1, "failed": 1,
    }  # fmt: skip
    # Then its problems file lists row 3 with the file's header, the value and the reason
    rows = csv_rows(body(api.get(f"/imports/{job['id']}/problems", format="csv")))
    assert rows == [
        ["Row", "Field", "Value", "Reason"],
        ["3", "邮箱", "not-an-email", "Enter a valid email address."],
    ]


def test_another_workspace_cannot_read_an_import(
    world: World, other_world: World, api_as: Callable[..., Api]
) -> None:
    job = upload(api_as(world.admin), "a.csv", b"Name\nA\n").json()
    response = api_as(other_world.admin).get(f"/imports/{job['id']}")
    assert response.status_code == 404
    response = api_as(other_world.admin).get(f"/imports/{job['id']}/problems")
    assert response.status_code == 404
