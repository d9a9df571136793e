"""The import wizard in a real browser: upload, mapping, the progress bar, the summary."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from salesflow.customers.models import Customer
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db(transaction=True)


def test_import_a_csv_with_the_wizard(world: World, page: Page, shot, tmp_path) -> None:
    # given a GB18030 CSV, as Excel in China saves it, with one row lacking its name
    path = tmp_path / "客户.csv"
    path.write_bytes(
        "客户名称,手机,邮箱\n华信钢铁,13800138000,buy@huaxin.cn\n,13900139000,\n".encode("gb18030")
    )
    log_in(page, world.admin.user.username, PASSWORD)
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Import").first.click()

    # when it is uploaded, its columns show with the fields guessed from the headers
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("手机")).to_have_value("phone")
    expect(page.get_by_label("客户名称")).to_have_value("name")
    expect(page.locator(".import-mapping")).to_contain_text("华信钢铁")
    shot(page, "mapping")

    # when the import starts, the progress bar shows while the job waits for the worker
    page.get_by_label("A row is the same record when it has the same").select_option("phone")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-progress progress")).to_be_visible()
    shot(page, "progress")

    # when the worker runs the job, the page turns into its summary by itself
    call_command("db_worker", "--batch", "--no-startup-delay", "--verbosity", "0")
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("1")
    expect(page.locator('[data-count="failed"]')).to_have_text("1")
    expect(page.locator(".import-progress table")).to_contain_text("This field cannot be blank.")
    shot(page, "summary")
    assert list(Customer.objects.values_list("name", flat=True)) == ["华信钢铁"]
