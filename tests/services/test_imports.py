"""Imports: encodings and formats, mappings, dry runs, bad rows, failed batches, re-imports,
and the job run by the real database worker."""

from __future__ import annotations

import codecs
import gc
import io
import sys
import weakref
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from salesflow.core import writes
from salesflow.core.bulk import COLLECT_EVERY, SWITCH_INTERVAL, collected_between_batches
from salesflow.core.encryption import decrypt
from salesflow.core.errors import ValidationFailed
from salesflow.core.models import AuditRecord
from salesflow.core.scoping import Actor
from salesflow.customers import duplicates, importers, imports
from salesflow.customers.columns import columns, exported
from salesflow.customers.customfield_services import create_field
from salesflow.customers.duplicates import DuplicateFound
from salesflow.customers.models import (
    Contact,
    Customer,
    CustomField,
    DuplicateKey,
    ImportJob,
    ImportProblem,
    ImportStatus,
    PoolEvent,
    SearchTerm,
)
from salesflow.customers.pool import release_customer
from salesflow.customers.rowchecks import FieldChecks
from salesflow.customers.search import CustomerSearch
from salesflow.customers.services import create_customer, delete_contact, delete_customer
from salesflow.pipeline.models import Deal
from tests.conftest import World, make_contact, make_customer, make_world
from tests.services.support import row_counts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vcard"
HEADERS = "客户名称,手机,邮箱,地区\n"
ROWS = "华信钢铁有限公司,13800138000,buy@huaxin.cn,上海\n单雄信,13900139000,,北京\n"


def upload(actor: Actor, name: str, data: bytes, entity: str = "customers") -> ImportJob:
    return imports.upload(actor, entity, SimpleUploadedFile(name, data))


def run(
    actor: Actor,
    job: ImportJob,
    *,
    key: str = "phone",
    on_match: str = "update",
    dry_run: bool = False,
    mapping: dict[str, str] | None = None,
    batch_rows: int = imports.BATCH_ROWS,
) -> ImportJob:
    """Start the job as the pages do, then run its body in this process."""
    mapping = mapping if mapping is not None else imports.suggested_mapping(actor, job)
    imports.start(actor, job.pk, mapping=mapping, match_key=key, on_match=on_match, dry_run=dry_run)
    return imports.execute(actor, ImportJob.objects.get(pk=job.pk), batch_rows=batch_rows)


def problems(job: ImportJob) -> list[tuple[int, str, str, str]]:
    return [
        (p.row, p.field, p.value, p.reason)
        for p in ImportProblem.objects.filter(job=job).order_by("row", "id")
    ]


def names(actor: Actor) -> list[str]:
    return sorted(
        Customer.objects.filter(workspace_id=actor.workspace_id).values_list("name", flat=True)
    )


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")],
)
def test_each_encoding_imports_the_same_customers(
    world: World, encoding: str, expected: str
) -> None:
    # Given the same two rows saved in UTF-8, UTF-8 with its BOM, and GB18030 (Excel in China)
    data = (HEADERS + ROWS).encode(encoding)
    assert data.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    # When it is uploaded and run with the suggested mapping
    job = upload(world.admin, "客户.csv", data)
    assert job.encoding == expected
    assert imports.suggested_mapping(world.admin, job) == {
        "客户名称": "name", "手机": "phone", "邮箱": "email", "地区": "region",
    }  # fmt: skip
    job = run(world.admin, job)
    # Then both customers are in, with their Chinese text intact, and found by the search
    assert (job.status, job.created, job.failed) == (ImportStatus.FINISHED, 2, 0)
    assert names(world.admin) == ["华信钢铁有限公司", "单雄信"]
    huaxin = Customer.objects.get(name="华信钢铁有限公司")
    assert (huaxin.phone, huaxin.email, huaxin.region, huaxin.initial) == (
        "13800138000", "buy@huaxin.cn", "上海", "H",
    )  # fmt: skip
    found = CustomerSearch(world.admin, "huaxin", Customer.objects.all()).page(None, 5)[0]
    assert [c.name for c in found] == ["华信钢铁有限公司"]
    assert sorted(job.created_ids) == sorted(Customer.objects.values_list("pk", flat=True))


def test_an_undecodable_file_is_refused_naming_its_line(world: World) -> None:
    # Given a file whose third line holds a byte neither UTF-8 nor GB18030 allows (0xFF)
    data = (HEADERS + "甲公司,13800138000,,\n").encode("gb18030") + b"\xff\xff,1,,\n"
    # When it is uploaded, Then it is refused, naming line 3, and nothing is kept
    with pytest.raises(ValidationFailed) as refused:
        upload(world.admin, "bad.csv", data)
    assert refused.value.errors[0].field == "file"
    assert "Line 3 " in str(refused.value.errors[0].message)
    assert ImportJob.objects.count() == 0


def test_an_xlsx_written_by_openpyxl_imports(world: World) -> None:
    # Given a workbook with English headers, a number-typed phone and a blank row
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name", "Phone", "Kind", "Lifecycle"])
    sheet.append(["Redhill Ltd", 13800138000, "company", "customer"])
    sheet.append([None, None, None, None])
    sheet.append(["Bluewater Inc.", "021-5555 0100", "个人", "客户"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # When it is imported
    job = run(world.admin, upload(world.admin, "list.xlsx", buffer.getvalue()))
    # Then the phone reads as written (no ".0"), and choices by code, by label or in Chinese
    assert (job.file_format, job.created, job.failed) == ("xlsx", 2, 0)
    rows = Customer.objects.order_by("name").values_list("name", "phone", "kind", "lifecycle")
    assert list(rows) == [
        ("Bluewater Inc.", "021-5555 0100", "person", "customer"),
        ("Redhill Ltd", "13800138000", "company", "customer"),
    ]


def test_vcard_fixtures_import_as_contacts_with_their_customers(world: World) -> None:
    # Given Outlook's card (Michael Angstadt at TheCompany) and a Chinese company card
    data = (FIXTURES / "ezvcard_outlook-2007.vcf").read_bytes()
    sf = (FIXTURES / "metowolf_sf-express_顺丰速运.vcf").read_bytes()
    # When each is imported as contacts
    first = run(world.admin, upload(world.admin, "a.vcf", data, "contacts"), key="name")
    second = run(world.admin, upload(world.admin, "b.vcf", sf, "contacts"), key="name")
    # Then each card is a contact of a customer named by its organisation
    assert (first.created, first.failed, second.created, second.failed) == (1, 0, 1, 0)
    michael = Contact.objects.select_related("customer").get(name="Mr. Michael Angstadt Jr.")
    assert michael.customer.name == "TheCompany"
    assert "mike.angstadt@gmail.com" in michael.emails
    assert "(111) 555-1111" in michael.phones
    assert Contact.objects.get(customer__name="顺丰速运").name == "顺丰速运"
    # And the contact's phone finds its customer through the search
    found = CustomerSearch(world.admin, "111 555 4444", Customer.objects.all()).page(None, 5)[0]
    assert [c.name for c in found] == ["TheCompany"]
    # And importing the same card again creates nothing (matched by name and company)
    again = run(world.admin, upload(world.admin, "a.vcf", data, "contacts"), key="name")
    assert (again.created, Contact.objects.count(), Customer.objects.count()) == (0, 2, 2)


def test_the_mapping_is_remembered_for_the_same_headers(world: World) -> None:
    # Given a file whose column 备注 the user maps by hand to notes, and 地区 to nothing
    data = "名字,电话号码,备注,地区\n甲公司,13800138000,老客户,上海\n".encode()
    job = upload(world.admin, "a.csv", data)
    chosen = {"名字": "name", "电话号码": "phone", "备注": "notes"}
    run(world.admin, job, mapping=chosen)
    # When another file with the same headers in another order is uploaded
    later = upload(
        world.boss, "b.csv", "地区,备注,电话号码,名字\n北京,新,13900139000,乙公司\n".encode()
    )
    # Then the remembered mapping is offered, for anyone in the workspace
    assert imports.suggested_mapping(world.boss, later) == chosen


def test_a_dry_run_writes_nothing_and_counts_what_would_happen(world: World) -> None:
    # Given one customer already there (13800138000) and a file of it and a new one
    make_customer(world.admin, name="华信", phone="13800138000")
    before = row_counts()
    terms = SearchTerm.objects.count()
    job = upload(world.admin, "a.csv", (HEADERS + ROWS + "丙公司,1,bad-email,\n").encode())
    # When it is dry run, matching by phone and updating
    job = run(world.admin, job, dry_run=True)
    # Then it counts 1 update, 1 create, 1 failure, and writes nothing but the job's counts
    assert (job.updated, job.created, job.skipped, job.failed) == (1, 1, 0, 1)
    assert (job.dry_run, job.created_ids, job.updated_ids) == (True, [], [])
    after = row_counts()
    # (three audit records: the upload, the mapping remembered, the dry run queued)
    assert after == {**before, "AuditRecord": before["AuditRecord"] + 3}
    assert SearchTerm.objects.count() == terms
    assert Customer.objects.get(phone="13800138000").name == "华信"
    assert [(p[0], p[1]) for p in problems(job)] == [(4, "邮箱")]


def test_bad_rows_are_reported_by_row_field_and_reason_and_good_rows_go_in(world: World) -> None:
    # Given rows 2 and 5 good; row 3 without a name; row 4 with a bad e-mail and an unknown kind
    data = (
        "Name,Email,Kind,Owner\n"
        "Good One,one@example.cn,company,\n"
        ",two@example.cn,person,\n"
        "Bad Two,not-an-email,robot,\n"
        f"Good Three,,company,{world.rep_east.user.username}\n"
    ).encode()
    # When it is imported matching by e-mail
    job = run(world.admin, upload(world.admin, "a.csv", data), key="email")
    # Then each bad row is reported with its number, the file's column, the value and why
    assert (job.created, job.failed, job.processed, job.total) == (2, 2, 4, 4)
    assert problems(job) == [
        (3, "Name", "", "This field cannot be blank."),
        (4, "Kind", "robot", "Choose one of: company, person."),
    ]
    # (row 4's kind is refused while parsing, before the e-mail is looked at)
    assert names(world.admin) == ["Good One", "Good Three"]
    assert Customer.objects.get(name="Good Three").owner_id == world.rep_east.user_id


def test_rows_are_read_and_checked_in_the_language_of_the_import(world: World) -> None:
    # Given an import started in Chinese, in batches of one row (each read and checked while
    # the one before writes its search terms)
    data = "Name,Kind,Phone\n好客户,企业,13800000001\n坏客户,robot,13800000002\n另一个,个人,\n"
    with translation.override("zh-hans"):
        job = run(world.admin, upload(world.admin, "a.csv", data.encode()), batch_rows=1)
    # Then the rows' problems read in Chinese, the kinds' labels included
    assert problems(job) == [(3, "Kind", "robot", "请从以下选项中选择：企业, 个人。")]
    assert names(world.admin) == sorted(["好客户", "另一个"])


def test_a_row_with_a_bad_first_contact_is_left_out_whole(world: World) -> None:
    # Given a customer row whose first contact has an invalid e-mail address
    data = "Name,Contact name,Contact emails\nRedhill,Li Lei,li@@x\nBluewater,Han Meimei,han@b.cn\n"
    # When it is imported
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()), key="name")
    # Then neither that customer nor its contact is written; the other row is, with its contact
    assert (job.created, job.failed) == (1, 1)
    assert problems(job) == [(2, "Contact emails", "li@@x", "Enter a valid email address.")]
    assert list(Contact.objects.values_list("customer__name", "name")) == [
        ("Bluewater", "Han Meimei")
    ]


def _refuse_inserts(table: str, column: str, value: str) -> None:
    """A real database error: a trigger that refuses one value of a column."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused by trigger'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_boom BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse_boom BEFORE INSERT ON {table} "
                f"WHEN NEW.{column} = '{value}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
            )


def _allow_inserts(table: str) -> None:
    """Drop the trigger of `_refuse_inserts`, for a test whose transactions commit."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER refuse_boom ON {table}" if connection.vendor == "postgresql"
                       else "DROP TRIGGER refuse_boom")  # fmt: skip
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION refuse_boom()")


class _Node:
    """An object in a reference cycle: freed only by the cyclic garbage collector."""

    def __init__(self) -> None:
        self.me = self


def test_between_batches_the_collector_runs_when_asked_and_is_restored_afterwards() -> None:
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    with collected_between_batches() as collect:
        # Given a reference cycle dropped during a batch, while the collector is off
        assert not gc.isenabled()
        garbage = weakref.ref(_Node())
        for _ in range(10_000):  # enough allocations to trigger automatic collections
            _Node()
        assert garbage() is not None
        survivor = _Node()
        # When batches end, the collector waits for the COLLECT_EVERY-th
        for _ in range(COLLECT_EVERY - 1):
            collect()
        assert garbage() is not None
        collect()
        # Then the cycle is freed, and what survives is frozen out of later collections
        assert garbage() is None
        assert gc.get_freeze_count() > 0
        assert survivor.me is survivor
    # And afterwards the collector is on again, with nothing frozen
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_an_import_leaves_the_collector_and_thread_switches_as_it_found_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    interval = sys.getswitchinterval()
    run_batch, during = imports._run_batch, []

    def noting_the_interval(*args: Any) -> Any:
        during.append(sys.getswitchinterval())
        return run_batch(*args)

    monkeypatch.setattr(imports, "_run_batch", noting_the_interval)
    data = (HEADERS + ROWS).encode()
    job = run(world.admin, upload(world.admin, "a.csv", data), batch_rows=1)
    assert (job.status, job.created) == ("finished", 2)
    # the threads took turns often while the batches ran, and as before afterwards
    assert during == pytest.approx([SWITCH_INTERVAL, SWITCH_INTERVAL])
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == interval

    # even when it stops halfway on an error
    def crash(*args: Any) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(imports, "_run_batch", crash)
    with pytest.raises(RuntimeError):
        run(world.admin, upload(world.admin, "b.csv", data))
    assert ImportJob.objects.get(file__endswith="b.csv").status == ImportStatus.FAILED
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == interval


# A database refusing a customer's name, or its search term: the terms are written last,
# while the next batch is prepared (or, on PostgreSQL with batches that commit, runs).
REFUSALS = pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        pytest.param("customers_customer", "name", "BOOM", id="customer"),
        pytest.param("customers_searchterm", "term", "boom", id="search term"),
    ],
)


@REFUSALS
def test_a_failed_batch_changes_nothing_it_should_not(
    world: World, table: str, column: str, value: str
) -> None:
    # Given five rows read in batches of two, and a database that refuses the name BOOM (or
    # its search term)
    lines = ["Name,Phone", "A1,13800000001", "A2,13800000002", "BOOM,13800000003"]
    data = "\n".join([*lines, "A4,13800000004", "A5,13800000005", ""])
    job = upload(world.admin, "a.csv", data.encode())
    _refuse_inserts(table, column, value)
    terms_before = SearchTerm.objects.count()
    # When it is imported
    job = run(world.admin, job, batch_rows=2)
    # Then the second batch (rows 4 and 5: BOOM and A4) is rolled back whole and reported;
    # batches one and three (A1, A2; A5) are in, with their search terms and nothing more
    assert (job.status, job.created, job.failed, job.processed) == ("finished", 3, 2, 5)
    assert names(world.admin) == ["A1", "A2", "A5"]
    assert [(row, field) for row, field, _v, _r in problems(job)] == [(4, ""), (5, "")]
    assert all("refused by trigger" in reason for *_rest, reason in problems(job))
    customers = set(Customer.objects.values_list("pk", flat=True))
    assert set(job.created_ids) == customers
    assert set(SearchTerm.objects.values_list("customer_id", flat=True)) == customers
    assert SearchTerm.objects.count() > terms_before
    # And the job's single audit record counts what happened
    audit = AuditRecord.objects.get(entity="customers.importjob", entity_id=job.pk, action="import")
    assert audit.changes == {"created": 3, "updated": 0, "skipped": 0, "failed": 2}


@pytest.mark.django_db(transaction=True)
@REFUSALS
def test_batches_committed_one_by_one_stay_apart(
    world: World, table: str, column: str, value: str
) -> None:
    # Given batches that commit for real (on PostgreSQL each runs on a connection of its own
    # while the one before writes its search terms), a database that refuses one batch, and a
    # later row repeating the phone number of the first
    assert imports._overlapping("customers") == (connection.vendor == "postgresql")
    lines = ["Name,Phone", "A1,13800000001", "A2,13800000002", "BOOM,13800000003",
             "A4,13800000004", "A5,13800000005", "A6,13800000001", "A7,13800000007"]  # fmt: skip
    job = upload(world.admin, "a.csv", "\n".join([*lines, ""]).encode())
    _refuse_inserts(table, column, value)
    try:
        # When it is imported in batches of two
        job = run(world.admin, job, batch_rows=2)
    finally:
        _allow_inserts(table)
    # Then the refused batch (rows 4 and 5) is reported whole, the repeat (row 7) names the
    # first row, and the other batches are in with their search terms
    assert (job.status, job.created, job.failed, job.processed) == ("finished", 4, 3, 7)
    assert names(world.admin) == ["A1", "A2", "A5", "A7"]
    found = problems(job)
    assert [(row, field) for row, field, _v, _r in found] == [(4, ""), (5, ""), (7, "Phone")]
    assert "Row 2 of this file" in found[2][3]
    customers = set(Customer.objects.values_list("pk", flat=True))
    assert set(job.created_ids) == customers
    assert set(SearchTerm.objects.values_list("customer_id", flat=True)) == customers
    assert [c.name for c in CustomerSearch(world.admin, "a7", Customer.objects.all()).page(
        None, 10)[0]] == ["A7"]  # fmt: skip


@pytest.mark.parametrize("on_match", ["update", "skip"])
def test_importing_the_same_file_again_creates_no_duplicates(world: World, on_match: str) -> None:
    # Given a file of two customers imported once
    data = (HEADERS + ROWS).encode()
    run(world.admin, upload(world.admin, "a.csv", data))
    ids = sorted(Customer.objects.values_list("pk", flat=True))
    # And then changed in one cell (华信's region)
    changed = (HEADERS + ROWS.replace("上海", "杭州")).encode()
    # When the changed file is imported again, matched by phone
    job = run(world.admin, upload(world.admin, "b.csv", changed), on_match=on_match)
    # Then nothing new is created; the change is written only when updating
    assert sorted(Customer.objects.values_list("pk", flat=True)) == ids
    huaxin = Customer.objects.get(name="华信钢铁有限公司")
    if on_match == "update":
        # 单雄信's row is unchanged, so it counts as skipped; 华信 is updated to version 2
        assert (job.created, job.updated, job.skipped) == (0, 1, 1)
        assert (huaxin.region, huaxin.version) == ("杭州", 2)
        assert job.updated_ids == [huaxin.pk]
    else:
        assert (job.created, job.updated, job.skipped) == (0, 0, 2)
        assert (huaxin.region, huaxin.version) == ("上海", 1)


def test_a_row_repeating_a_key_of_the_file_is_not_created_twice(world: World) -> None:
    data = "Name,Phone\n甲,138 0013 8000\n乙,+86 13800138000\n".encode()
    job = run(world.admin, upload(world.admin, "a.csv", data))
    assert (job.created, job.failed) == (1, 1)
    assert problems(job)[0][:2] == (3, "Phone")


def test_rows_of_one_file_that_are_one_customer_are_not_all_created(world: World) -> None:
    # Given a file naming 华信钢铁 twice under other phones, two companies sharing an e-mail
    # address (in other cases), and two people of one name
    data = (
        "Name,Kind,Phone,Email\n"
        "华信钢铁有限公司,company,13800138000,buy@huaxin.cn\n"
        "华信钢铁,company,13900139000,\n"
        "远航物流,company,13700137000,ops@yuanhang.cn\n"
        "远航货运,company,13600136000,OPS@yuanhang.cn\n"
        "张伟,person,13500135000,\n"
        "张伟,person,13400134000,\n"
    ).encode()
    # When it is imported in one batch
    job = run(world.admin, upload(world.admin, "a.csv", data))
    # Then a row sharing the company name or an e-mail address with an earlier row is refused
    # naming that row; two people of one name are two customers, as by hand
    assert (job.created, job.failed) == (4, 2)
    assert [problem[:2] + problem[3:] for problem in problems(job)] == [
        (3, "Name", "Possible duplicate of row 2 of this file (same name)."),
        (5, "Name", "Possible duplicate of row 4 of this file (same email)."),
    ]
    assert names(world.admin) == ["华信钢铁有限公司", "张伟", "张伟", "远航物流"]

    # When the same rows go into another workspace a batch a row (each row written before the
    # next is read), the same customers are written: the later rows now meet the customers
    other = make_world("Other").admin
    job = run(other, upload(other, "a.csv", data), batch_rows=1)
    assert (job.created, job.failed) == (4, 2)
    assert names(other) == names(world.admin)


def test_a_rep_imports_only_for_themselves_and_matches_only_what_they_see(world: World) -> None:
    # Given a colleague's customer with the phone the file names, and a row given to the boss
    make_customer(world.rep_west, name="西区客户", phone="13800138000")
    data = (
        f"Name,Phone,Owner\n东区客户,13800138000,\n老板的,13900139000,{world.boss.user.username}\n"
    )
    # When rep_east imports it matching by phone
    job = run(world.rep_east, upload(world.rep_east, "a.csv", data.encode()))
    # Then the colleague's customer is not matched: the row is refused as a possible duplicate
    # naming only its owner, as creating the customer by hand would be; the boss row refused
    assert (job.created, job.updated, job.failed) == (0, 0, 2)
    colleague = world.rep_west.user.get_full_name() or world.rep_west.user.username
    assert [problem[1:] for problem in problems(job)] == [
        ("Name", "东区客户", f"Possible duplicate of a customer of {colleague} (same phone)."),
        ("Owner", world.boss.user.username, "You may not assign records to this member."),
    ]
    assert Customer.objects.get(name="西区客户").owner_id == world.rep_west.user_id


def test_deals_import_through_the_deal_services(world: World) -> None:
    customer = make_customer(world.admin, name="华信钢铁")
    data = (
        "商机名称,客户名称,销售阶段,金额,预计成交日期\n"
        '二期扩容,华信钢铁,Initial contact,"120,000.50",2030/6/30\n'
        "无名客户的单,不存在的公司,,1,\n"
    ).encode()
    job = run(world.admin, upload(world.admin, "d.csv", data, "deals"), key="name")
    assert (job.created, job.failed) == (1, 1)
    deal = Deal.objects.select_related("stage").get(customer=customer)
    assert (deal.name, deal.stage.name, str(deal.amount), str(deal.expected_close_date)) == (
        "二期扩容", "Initial contact", "120000.50", "2030-06-30",
    )  # fmt: skip
    assert deal.stage_changes.count() == 1
    assert problems(job) == [
        (3, "客户名称", "不存在的公司", "No customer visible to you has this name.")
    ]


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_through_the_real_database_worker(world: World) -> None:
    # Given an uploaded file started as the page starts it (the job is queued on commit);
    # the transactions commit for real here, as the worker (which checks its connection
    # between tasks) needs
    job = upload(world.admin, "a.csv", (HEADERS + ROWS).encode())
    mapping = imports.suggested_mapping(world.admin, job)
    imports.start(world.admin, job.pk, mapping=mapping, match_key="phone",
                  on_match="update", dry_run=False)  # fmt: skip
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.QUEUED
    # When the database worker runs what is queued and exits (its log handlers, which it adds
    # to the task loggers, write to a stream of its own, not to this test's captured output)
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--verbosity", "0", stdout=io.StringIO()
    )
    # Then the job has run to its end
    job.refresh_from_db()
    assert (job.status, job.created, job.processed, job.total) == ("finished", 2, 2, 2)
    assert names(world.admin) == ["华信钢铁有限公司", "单雄信"]


def test_mapping_errors_name_the_field(world: World) -> None:
    job = upload(world.admin, "a.csv", (HEADERS + ROWS).encode())
    with pytest.raises(ValidationFailed) as refused:
        imports.start(world.admin, job.pk, mapping={"手机": "phone", "邮箱": "phone"},
                      match_key="email", on_match="merge", dry_run=True)  # fmt: skip
    assert [e.field for e in refused.value.errors] == [
        "mapping.邮箱",
        "mapping",
        "match_key",
        "on_match",
    ]
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.UPLOADED


def test_another_workspace_cannot_see_or_start_a_job(world: World, other_world: World) -> None:
    from salesflow.core.errors import NotFound

    job = upload(world.admin, "a.csv", (HEADERS + ROWS).encode())
    with pytest.raises(NotFound):
        imports.job(other_world.admin, job.pk)
    with pytest.raises(NotFound):
        imports.start(
            other_world.admin, job.pk, mapping={}, match_key="id", on_match="skip", dry_run=True
        )


# --------------------------------------------------------------------------- custom fields

REGIONS = [
    {"key": "east", "label": "East China"},
    {"key": "north", "label": "North China"},
    {"key": "west", "label": "West China", "retired": True},
]


def define(world: World, entity: str = "customer", **data: Any) -> CustomField:
    return create_field(world.admin, {"entity": entity, **data})


@pytest.fixture
def custom(world: World) -> dict[str, CustomField]:
    """One customer field of each type, with limits to break."""
    return {
        "code": define(world, key="code", label="Code", type="text", max_length=8),
        "story": define(world, key="story", label="Story", type="long_text"),
        "seats": define(world, key="seats", label="Seats", type="number", max_value=5000),
        "ratio": define(world, key="ratio", label="Ratio", type="number", decimal_places=2),
        "budget": define(world, key="budget", label="预算", type="money"),
        "renewal": define(world, key="renewal", label="Renewal", type="date"),
        "region": define(
            world, key="region_code", label="Sales region", type="single_choice", options=REGIONS
        ),
        "products": define(
            world, key="products", label="Products", type="multiple_choice", options=REGIONS
        ),
        "vip": define(world, key="vip", label="VIP", type="yes_no"),
    }


def test_custom_fields_are_columns_suggested_by_their_label(
    world: World, custom: dict[str, CustomField]
) -> None:
    # Given an archived field beside the active ones
    define(world, key="legacy", label="Legacy", type="text", archived=True)
    job = upload(
        world.admin, "a.csv", "Name,预算,VIP,Sales region,Legacy\nA,1,是,east,x\n".encode()
    )
    # When the mapping is suggested
    mapping = imports.suggested_mapping(world.admin, job)
    # Then each active field's column is found by its label; the archived one is not offered
    assert mapping == {
        "Name": "name", "预算": "custom.budget", "VIP": "custom.vip",
        "Sales region": "custom.region_code",
    }  # fmt: skip
    offered = [c.key for c in columns(world.admin.workspace_id, "customers")]
    assert "custom.legacy" not in offered
    # And exports keep the archived field's column, after the active ones, in the admin's order
    written = [c.key for c in exported(world.admin.workspace_id, "customers")]
    assert written[-10:] == [
        "custom.code", "custom.story", "custom.seats", "custom.ratio", "custom.budget",
        "custom.renewal", "custom.region_code", "custom.products", "custom.vip", "custom.legacy",
    ]  # fmt: skip


def test_custom_values_of_every_type_import_as_the_services_store_them(
    world: World, custom: dict[str, CustomField]
) -> None:
    # Given a row with a value of every type, typed as a spreadsheet user types them
    data = (
        "Name,Code,Story,Seats,Ratio,预算,Renewal,Sales region,Products,VIP\n"
        '甲公司,ERP-1," first line\nsecond, line ","1,200",0.5,¥1.5万,2026年11月26日,'
        'North China,"east、North China",是\n'
    )
    # When it is imported
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()), key="name")
    # Then the values are stored in the services' canonical JSON
    assert (job.created, job.failed) == (1, 0)
    assert Customer.objects.get(name="甲公司").custom == {
        "code": "ERP-1",
        "story": "first line\nsecond, line",
        "seats": "1200",  # 1,200 with its thousands separator
        "ratio": "0.50",  # two decimal places
        "budget": "15000.00",  # 1.5 万 = 15,000, money with two places
        "renewal": "2026-11-26",
        "region_code": "north",  # by its label
        "products": ["east", "north"],  # in the options' order
        "vip": True,
    }


def test_custom_field_errors_name_the_field_by_its_label_and_the_row(
    world: World, custom: dict[str, CustomField]
) -> None:
    # Given a required field, and rows breaking one rule each
    define(world, key="tax_id", label="Tax ID", type="text", required=True)
    data = (
        "Name,Tax ID,Code,Seats,预算,Renewal,Sales region,VIP\n"
        "Good,T-1,,,,,,\n"  # row 2: fine
        "No tax id,,,,,,,\n"  # row 3: the required field is empty
        "Long code,T-3,ABCDEFGHI,,,,,\n"  # row 4: 9 characters, at most 8
        'Many seats,T-4,,"5,001",,,,\n'  # row 5: above the maximum of 5,000
        "Bad budget,T-5,,,a lot,,,\n"  # row 6: not a number
        "Bad day,T-6,,,,2026/13/01,,\n"  # row 7: no 13th month
        "Retired,T-7,,,,,West China,\n"  # row 8: a retired option
        "Maybe,T-8,,,,,,maybe\n"  # row 9: neither yes nor no
    )
    # When it is imported
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()), key="name")
    # Then each bad row is reported under its column with the label and the reason; only the
    # good row is written
    assert (job.created, job.failed) == (1, 7)
    assert problems(job) == [
        (3, "Tax ID", "", "Tax ID: this field is required"),
        (4, "Code", "ABCDEFGHI", "Code: must be at most 8 characters"),
        (5, "Seats", "5,001", "Seats: must be at most 5,000"),
        (6, "预算", "a lot", "预算: must be a number"),
        (7, "Renewal", "2026/13/01", "Renewal: must be a date such as 2026-11-26"),
        (8, "Sales region", "West China", "Sales region: the option “West China” is retired"),
        (9, "VIP", "maybe", "VIP: must be yes or no (是 or 否)"),
    ]
    assert names(world.admin) == ["Good"]


def test_a_matched_record_keeps_the_custom_values_its_row_leaves_empty(
    world: World, custom: dict[str, CustomField]
) -> None:
    # Given a customer holding a budget and a retired option
    customer = make_customer(world.admin, name="甲", custom={"budget": "100.00", "vip": False})
    Customer.objects.filter(pk=customer.pk).update(
        custom={"budget": "100.00", "vip": False, "region_code": "west"}
    )
    # When a file sets its seats, leaves its budget empty and repeats the retired option
    data = "Name,Seats,预算,Sales region\n甲,12,,West China\n"
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()), key="name")
    # Then only the seats change: an empty cell keeps the budget, an unchanged retired option
    # is kept as the services keep it
    assert (job.updated, job.failed) == (1, 0)
    assert Customer.objects.get(pk=customer.pk).custom == {
        "budget": "100.00", "vip": False, "region_code": "west", "seats": "12",
    }  # fmt: skip


def test_contacts_and_deals_import_their_custom_fields(world: World) -> None:
    # Given a contact field and a required deal field
    define(world, "contact", key="hobby", label="Hobby", type="text")
    define(world, "deal", key="source_deal", label="Deal source", type="single_choice",
           options=REGIONS, required=True)  # fmt: skip
    make_customer(world.admin, name="华信")
    # When a contact and two deals (one without the required field) are imported
    contacts = "客户名称,姓名,Hobby\n华信,李雷,围棋\n".encode()
    deals = "商机名称,客户名称,Deal source\n一期,华信,East China\n二期,华信,\n".encode()
    run(world.admin, upload(world.admin, "c.csv", contacts, "contacts"), key="name")
    job = run(world.admin, upload(world.admin, "d.csv", deals, "deals"), key="name")
    # Then the contact holds its value, the first deal its option; the second is refused by
    # the deal service naming the field
    assert Contact.objects.get(name="李雷").custom == {"hobby": "围棋"}
    assert Deal.objects.get(name="一期").custom == {"source_deal": "east"}
    assert problems(job) == [(3, "Deal source", "", "Deal source: this field is required")]


# --------------------------------------------------------------------------- protected fields


def test_protected_fields_import_sealed_and_a_mask_never_replaces_a_value(world: World) -> None:
    # Given a file setting an ID number, a bank account and private notes
    data = (
        "Name,Phone,ID number,Bank account,Private notes\n"
        "甲,13800138000,110101199003071234,6222 0212 3456 5678,底价 95 折\n"
    )
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()))
    # Then they are stored encrypted, as the services store them
    customer = Customer.objects.get(name="甲")
    assert job.created == 1
    assert customer.id_number != "110101199003071234"
    assert decrypt(customer.id_number) == "110101199003071234"
    assert decrypt(customer.bank_account) == "6222 0212 3456 5678"
    assert decrypt(customer.private_notes) == "底价 95 折"
    # When a file holding their masks (as an export writes them) is imported over it, and
    # another holding a mask creates a new customer
    masked = (
        "Name,Phone,ID number,Bank account,Private notes\n"
        "甲,13800138000,1101**********1234,**** 5678,••••••\n"
        "乙,13900139000,****,****,••••••\n"
    )
    again = run(world.admin, upload(world.admin, "b.csv", masked.encode()))
    # Then the stored values stay (the row changes nothing, so it is skipped) and the new
    # customer has none
    assert (again.created, again.updated, again.skipped, again.failed) == (1, 0, 1, 0)
    kept = Customer.objects.get(name="甲")
    assert (kept.id_number, kept.version) == (customer.id_number, 1)
    assert (kept.bank_account, kept.private_notes) == (
        customer.bank_account,
        customer.private_notes,
    )
    assert Customer.objects.values_list("id_number", "bank_account", "private_notes").get(
        name="乙"
    ) == ("", "", "")


def test_a_new_protected_value_replaces_the_stored_one_and_a_long_one_is_refused(
    world: World,
) -> None:
    customer = make_customer(world.admin, name="甲", phone="13800138000", id_number="1234567890")
    data = f"Name,Phone,ID number\n甲,13800138000,110101199003071234\n乙,1,{'9' * 41}\n"
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()))
    assert (job.updated, job.failed) == (1, 1)
    assert decrypt(Customer.objects.get(pk=customer.pk).id_number) == "110101199003071234"
    assert problems(job) == [
        (3, "ID number", "9" * 41, "Ensure this value has at most 40 characters.")
    ]


def test_a_contacts_id_number_imports_sealed(world: World) -> None:
    make_customer(world.admin, name="华信")
    data = "客户名称,姓名,证件号码\n华信,李雷,110101199003071234\n".encode()
    run(world.admin, upload(world.admin, "c.csv", data, "contacts"), key="name")
    assert decrypt(Contact.objects.get(name="李雷").id_number) == "110101199003071234"


# --------------------------------------------------------------------------- owners and the pool


@pytest.mark.parametrize("marker", ["公海", "pool", "Public pool"])
def test_a_manager_imports_customers_into_the_public_pool(world: World, marker: str) -> None:
    # Given a file whose first row names the pool as its owner and whose second names nobody
    data = f"Name,Owner\n甲,{marker}\n乙,\n"
    # When a manager imports it
    job = run(world.boss, upload(world.boss, "a.csv", data.encode()), key="name")
    # Then the first customer is in the pool, with the pool event saying how it came; the
    # second is the manager's own
    assert (job.created, job.failed) == (2, 0)
    pooled = Customer.objects.get(name="甲")
    assert pooled.owner_id is None
    assert Customer.objects.get(name="乙").owner_id == world.boss.user_id
    event = PoolEvent.objects.get(customer=pooled)
    assert (event.kind, event.user_id, event.owner_id, event.previous_owner_id, event.reason) == (
        "release", world.boss.user_id, None, None, "Imported into the public pool.",
    )  # fmt: skip
    # And the pool's search finds it, with no owner on its terms
    assert set(SearchTerm.objects.filter(customer=pooled).values_list("owner_id", flat=True)) == {
        None
    }


def test_a_rep_may_not_import_into_the_pool_nor_name_an_unknown_owner(world: World) -> None:
    data = "Name,Owner\n甲,公海\n乙,nobody-here\n丙,\n"
    job = run(world.rep_east, upload(world.rep_east, "a.csv", data.encode()), key="name")
    assert (job.created, job.failed) == (1, 2)
    assert problems(job) == [
        (2, "Owner", "公海", "Only managers and admins may put customers in the public pool."),
        (3, "Owner", "nobody-here", "No active member of this workspace has this username."),
    ]
    assert Customer.objects.get(name="丙").owner_id == world.rep_east.user_id


def test_a_manager_may_not_give_customers_to_members_outside_their_teams(world: World) -> None:
    # Given the East manager, who manages East and Shanghai but not West
    data = f"Name,Owner\n甲,{world.rep_shanghai.user.username}\n乙,{world.rep_west.user.username}\n"
    job = run(world.east_manager, upload(world.east_manager, "a.csv", data.encode()), key="name")
    assert (job.created, job.failed) == (1, 1)
    assert problems(job)[0][0::3] == (3, "You may not assign records to this member.")
    assert Customer.objects.get(name="甲").owner_id == world.rep_shanghai.user_id


def test_an_import_moves_no_customer_into_or_out_of_the_pool(world: World) -> None:
    # Given an owned customer and one in the pool
    owned = make_customer(world.admin, name="甲", owner_id=world.rep_east.user_id)
    pooled = make_customer(world.admin, name="乙")
    release_customer(world.admin, pooled.pk, None, "no budget this year")
    # When a file puts the owned one in the pool, gives the pooled one an owner, and says
    # the pooled one is in the pool while changing its region
    data = f"Name,Owner,Region\n甲,公海,\n乙,{world.rep_east.user.username},\n乙,公海,上海\n"
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()), key="name")
    # Then the first two rows are refused (release, claim and assignment do that), the third
    # updates the region and leaves the customer in the pool
    assert (job.updated, job.failed) == (1, 2)
    reason = "A customer enters and leaves the public pool by being released, claimed or assigned."
    assert [p[0::3] for p in problems(job)] == [(2, reason), (3, reason)]
    assert Customer.objects.get(pk=owned.pk).owner_id == world.rep_east.user_id
    assert Customer.objects.values_list("owner_id", "region").get(pk=pooled.pk) == (None, "上海")


def test_changing_the_owner_restarts_the_pool_clock(world: World) -> None:
    customer = make_customer(world.admin, name="甲", owner_id=world.rep_east.user_id)
    before = customer.owner_since
    data = f"Name,Owner\n甲,{world.rep_west.user.username}\n"
    run(world.admin, upload(world.admin, "a.csv", data.encode()), key="name")
    changed = Customer.objects.get(pk=customer.pk)
    assert changed.owner_id == world.rep_west.user_id
    assert changed.owner_since > before
    found = CustomerSearch(world.rep_west, "甲", Customer.objects.all()).page(None, 5)[0]
    assert [c.pk for c in found] == [customer.pk]


# --------------------------------------------------------------------------- the trash


@pytest.mark.parametrize("key", ["phone", "name", "id"])
def test_a_customer_in_the_trash_is_never_matched(world: World, key: str) -> None:
    # Given a customer moved to the trash
    trashed = make_customer(world.admin, name="甲", phone="13800138000", region="北京")
    delete_customer(world.admin, trashed.pk)
    # When a file naming it (by its id, name or phone) is imported, updating matches
    data = f"Customer ID,Name,Phone,Region\n{trashed.pk},甲,13800138000,上海\n"
    mapping = {"Name": "name", "Phone": "phone", "Region": "region"}
    if key == "id":
        mapping["Customer ID"] = "id"
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()), key=key, mapping=mapping)
    # Then the trashed customer is untouched; by id the row is refused as an unknown id, by
    # name or phone a new customer is created beside it
    kept = Customer.objects.get(pk=trashed.pk)
    assert (kept.region, kept.version, kept.trashed_at is not None) == ("北京", 2, True)
    if key == "id":
        assert (job.created, job.updated, job.failed) == (0, 0, 1)
        assert problems(job)[0][3] == "No customer visible to you has this id."
    else:
        assert (job.created, job.updated, job.failed) == (1, 0, 0)
        assert Customer.objects.filter(trashed_at__isnull=True).get().region == "上海"


def test_a_contact_in_the_trash_is_never_matched(world: World) -> None:
    customer = make_customer(world.admin, name="华信")
    contact = make_contact(world.admin, customer, name="李雷", title="经理")
    delete_contact(world.admin, contact.pk)
    data = "客户名称,姓名,职位\n华信,李雷,总监\n".encode()
    job = run(world.admin, upload(world.admin, "c.csv", data, "contacts"), key="name")
    assert (job.created, job.updated) == (1, 0)
    assert Contact.objects.get(pk=contact.pk).title == "经理"


# --------------------------------------------------------------------------- row checks


@pytest.mark.parametrize(
    "values",
    [
        {"name": "甲"},
        {"name": ""},
        {"name": "x" * 201, "email": "not-an-email", "website": "nope"},
        {"name": "甲", "kind": "robot", "size": "huge", "tier": "Z", "lifecycle": ""},
        {"name": "甲", "notes": "n" * 10001, "phone": "1" * 41},
        {"name": "甲", "email": "a@b.cn", "website": "https://a.cn", "tier": "A"},
    ],
)
def test_field_checks_find_what_full_clean_finds(values: dict[str, Any]) -> None:
    # Given a row's values, checked without a model instance
    checks = FieldChecks(Customer, importers.NOT_VALIDATED)
    try:
        checks.check(dict(values))
        fast: list[tuple[str, str]] = []
    except ValidationFailed as invalid:
        fast = [(e.field, str(e.message)) for e in invalid.errors]
    # When the same values are validated on an instance as the services validate
    try:
        writes.validate(Customer(**values), exclude=importers.NOT_VALIDATED)
        slow: list[tuple[str, str]] = []
    except ValidationFailed as invalid:
        slow = [(e.field, str(e.message)) for e in invalid.errors]
    # Then both find the same errors, in the same order
    assert fast == slow


def test_imported_customers_are_found_as_duplicates_afterwards(world: World) -> None:
    # Given a customer imported from a file, with its phone and first contact's e-mail
    data = "Name,Phone,Contact name,Contact emails\n华信钢铁有限公司,13800138000,Li Lei,li@hx.cn\n"
    job = run(world.admin, upload(world.admin, "a.csv", data.encode()))
    assert (job.created, job.failed) == (1, 0)
    # When the same company is typed in by hand, by its name without the suffix, its phone in
    # another format, or its contact's e-mail
    for values in ({"name": "华信钢铁"}, {"name": "Other", "phone": "+86 138 0013 8000"},
                   {"name": "Third", "email": "LI@hx.cn"}):  # fmt: skip
        # Then the imported customer is found, as one created by hand would be
        with pytest.raises(DuplicateFound) as found:
            create_customer(world.admin, values)
        assert [d.name for d in found.value.duplicates] == ["华信钢铁有限公司"]


def test_the_duplicate_keys_an_import_writes_equal_a_rebuild(world: World) -> None:
    # Given customers imported with first contacts, a person among them
    data = (
        "Name,Kind,Phone,Email,Contact name,Contact phones,Contact emails\n"
        "华信钢铁有限公司,company,021-5555 0100,buy@hx.cn,Li Lei,13800138000,li@hx.cn\n"
        "张伟,person,13900139000,,,,\n"
    )
    run(world.admin, upload(world.admin, "a.csv", data.encode()))

    def keys() -> set[tuple[object, ...]]:
        rows = DuplicateKey.objects.filter(workspace_id=world.admin.workspace_id)
        return set(rows.values_list("customer__name", "contact__name", "kind", "key"))

    # When the keys are rebuilt from the customers and contacts
    imported = keys()
    duplicates.rebuild(world.admin.workspace_id)
    # Then they are the same, phones in E.164 and the company's name without its suffix
    assert imported == keys()
    assert ("华信钢铁有限公司", "Li Lei", "phone", "+8613800138000") in imported
    assert ("张伟", None, "phone", "+8613900139000") in imported
