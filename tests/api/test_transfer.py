"""Imports and exports through the API: upload, run, follow, problems; scoped, streamed exports
that import again unchanged."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from salesflow.core.encryption import decrypt
from salesflow.customers import imports
from salesflow.customers.customfield_services import create_field
from salesflow.customers.models import Customer, ImportJob
from salesflow.customers.pool import release_customer
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
        region="上海", source_channel="展会", lifecycle="customer",
        phone="021-5555 0100", email="buy@huaxin.cn", website="https://huaxin.cn",
        address="上海市浦东新区世纪大道100号", notes="老客户，\n每年续约",
        owner_id=world.rep_east.user_id,
    )  # fmt: skip
    exported = body(api.get("/exports/customers", format="csv", encoding="gb18030"))
    # And then changed in every field but its name
    update_customer(world.admin, customer.pk, None, {
        "industry": "", "size": "", "region": "北京", "source_channel": "",
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
        "id", "name", "kind", "industry", "size", "region", "source_channel", "owner",
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


# --------------------------------------------------------------------------- custom fields

OPTIONS = [
    {"key": "east", "label": "华东"},
    {"key": "north", "label": "North, China"},
    {"key": "west", "label": "West", "retired": True},
]
# One value of every type, as the services store them.
VALUES = {
    "code": "0012-ERP",
    "story": "第一行\nsecond line, with a comma; and “quotes”",
    "seats": "15000",
    "ratio": "1234.50",
    "budget": "1500000.00",
    "renewal": "2026-11-26",
    "region_code": "east",
    "products": ["east", "west"],
    "vip": True,
    "trial": False,
}


def define_every_type(world: World) -> None:
    admin = world.admin
    for data in (
        {"key": "code", "label": "Code", "type": "text"},
        {"key": "story", "label": "Story", "type": "long_text"},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "ratio", "label": "Ratio", "type": "number", "decimal_places": 2},
        {"key": "budget", "label": "预算", "type": "money"},
        {"key": "renewal", "label": "Renewal", "type": "date"},
        {"key": "region_code", "label": "Region code", "type": "single_choice",
         "options": OPTIONS},
        {"key": "products", "label": "Products", "type": "multiple_choice", "options": OPTIONS},
        {"key": "vip", "label": "VIP", "type": "yes_no"},
        {"key": "trial", "label": "Trial", "type": "yes_no", "archived": True},
    ):  # fmt: skip
        create_field(admin, {"entity": "customer", **data})


def reimport(api: Api, name: str, data: bytes) -> ImportJob:
    """Upload an exported file, take the suggested mapping, run it matching by id, updating."""
    job = upload(api, name, data).json()
    started = api.post(
        f"/imports/{job['id']}/run",
        {"mapping": job["suggested_mapping"], "match_key": "id", "on_match": "update"},
    )
    assert started.status_code == 202, started.json()
    return run_queued(job["id"])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_custom_values_of_every_type_survive_export_and_import(
    world: World, api_as: Callable[..., Api], file_format: str, language: str
) -> None:
    # Given a customer holding a value of every custom type (one of an archived field, one a
    # retired option), exported in the reader's language
    define_every_type(world)
    customer = make_customer(world.admin, name="华信")
    Customer.objects.filter(pk=customer.pk).update(custom=VALUES)
    api = api_as(world.admin, **{"Accept-Language": language})
    exported = body(api.get("/exports/customers", format=file_format))
    # And then changed in every value but the archived field's and the one holding a retired
    # option (which no write may choose again)
    update_customer(world.admin, customer.pk, None, {"custom": {
        "code": "X", "story": None, "seats": "1", "ratio": "0", "budget": "1", "renewal": None,
        "region_code": "north", "vip": False,
    }})  # fmt: skip
    # When the exported file is imported again, matching by id and updating
    done = reimport(api, f"customers.{file_format}", exported)
    # Then every value is back exactly as it was, and the export is the same file again
    assert (done.updated, done.failed) == (1, 0)
    assert Customer.objects.get(pk=customer.pk).custom == VALUES
    if file_format == "csv":
        assert body(api.get("/exports/customers", format="csv")) == exported


def test_custom_values_are_written_as_the_pages_show_them(
    world: World, api_as: Callable[..., Api]
) -> None:
    define_every_type(world)
    customer = make_customer(world.admin, name="华信")
    Customer.objects.filter(pk=customer.pk).update(custom=VALUES)
    rows = csv_rows(body(api_as(world.admin).get("/exports/customers", format="csv")))
    shown = dict(zip(rows[0], rows[1], strict=True))
    assert {k: shown[k] for k in ("Seats", "Ratio", "预算", "Renewal", "Region code",
                                  "Products", "VIP", "Trial")} == {
        "Seats": "15,000", "Ratio": "1,234.50", "预算": "CN¥1,500,000.00",
        "Renewal": "Nov 26, 2026", "Region code": "华东", "Products": "华东, West",
        "VIP": "Yes", "Trial": "No",
    }  # fmt: skip


# --------------------------------------------------------------------------- protected fields

SECRETS = {
    "id_number": "110101199003071234",
    "bank_account": "6222 0212 3456 5678",
    "private_notes": "底价九五折",
}
MASKS = {"id_number": "1101**********1234", "bank_account": "**** 5678", "private_notes": "••••••"}


def secrets_of(customer: Customer) -> dict[str, str]:
    return {name: decrypt(getattr(customer, name)) for name in SECRETS}


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "vcard"])
def test_exports_show_protected_fields_masked_only(
    world: World, api_as: Callable[..., Api], file_format: str
) -> None:
    # Given a person customer and a contact, each with protected values
    person = make_customer(world.admin, name="王芳", kind="person", **SECRETS)
    make_contact(world.admin, person, name="李雷", id_number="310101198001011234")
    api = api_as(world.admin)
    stored = Customer.objects.get(pk=person.pk)
    tokens = [stored.id_number, stored.bank_account, stored.private_notes]
    clear = [*SECRETS.values(), "310101198001011234"]
    # When customers and contacts are exported
    files = [body(api.get(f"/exports/{entity}", format=file_format))
             for entity in ("customers", "contacts")]  # fmt: skip
    # Then no file holds a stored token or a clear value (the bank account's last four
    # digits are part of its mask)
    for data in files:
        text = xlsx_text(data) if file_format == "xlsx" else data.decode("utf-8-sig")
        assert not [secret for secret in [*tokens, *clear] if secret in text]
        if file_format != "vcard":
            # And CSV and XLSX show each mask in its column
            assert "1101**********1234" in text or "3101**********1234" in text
    if file_format == "csv":
        customers = csv_rows(files[0])
        shown = dict(zip(customers[0], customers[1], strict=True))
        assert {k: shown[k] for k in ("ID number", "Bank account", "Private notes")} == {
            "ID number": MASKS["id_number"], "Bank account": MASKS["bank_account"],
            "Private notes": MASKS["private_notes"],
        }  # fmt: skip


def xlsx_text(data: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = workbook.worksheets[0].iter_rows(values_only=True)
    return "\n".join(str(cell) for row in cells for cell in row if cell is not None)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_reimporting_an_export_keeps_the_protected_values(
    world: World, api_as: Callable[..., Api], file_format: str
) -> None:
    # Given a customer with protected values, exported (masked), and then renamed
    customer = make_customer(world.admin, name="华信", **SECRETS)
    api = api_as(world.admin)
    exported = body(api.get("/exports/customers", format=file_format))
    update_customer(world.admin, customer.pk, None, {"name": "华信集团"})
    # When the export is imported again, matching by id and updating
    done = reimport(api, f"customers.{file_format}", exported)
    # Then the name is restored and each protected value is still the one stored, not its mask
    restored = Customer.objects.get(pk=customer.pk)
    assert (done.updated, done.failed, restored.name) == (1, 0, "华信")
    assert secrets_of(restored) == SECRETS


# --------------------------------------------------------------------------- the public pool


def test_a_pool_customer_exports_as_in_the_pool_and_stays_there(
    world: World, api_as: Callable[..., Api]
) -> None:
    # Given a customer released to the pool and one owned by rep_east
    pooled = make_customer(world.admin, name="公海客户", region="北京")
    release_customer(world.admin, pooled.pk, None, "no budget")
    make_customer(world.admin, name="东方客户", owner_id=world.rep_east.user_id)
    # When the boss (a manager, who sees the pool) exports customers in Chinese
    api = api_as(world.boss, **{"Accept-Language": "zh-hans"})
    exported = body(api.get("/exports/customers", format="csv"))
    # Then the pool customer's owner says so; the other's is its owner's username
    rows = csv_rows(exported)
    with translation.override("zh-hans"):
        owner = rows[0].index(str(Customer._meta.get_field("owner").verbose_name))
        in_pool = gettext("Public pool")  # 公海 once the translations are compiled
    owners = {row[1]: row[owner] for row in rows[1:]}
    assert owners == {"东方客户": world.rep_east.user.username, "公海客户": in_pool}
    # And importing the file again, with the pool customer's region changed, keeps it in the pool
    Customer.objects.filter(pk=pooled.pk).update(region="上海")
    done = reimport(api, "customers.csv", exported)
    assert (done.updated, done.failed) == (1, 0)
    assert Customer.objects.values_list("owner_id", "region").get(pk=pooled.pk) == (None, "北京")
