"""Customer search: names, pinyin (surnames read as surnames), phones, e-mails and contacts,
the A–Z index, scoping, and terms kept up to date by the services and by rebuild_search."""

from __future__ import annotations

from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.utils import translation

from salesflow.core.errors import ValidationFailed
from salesflow.core.scoping import Actor, visible
from salesflow.customers import queries
from salesflow.customers.models import Customer, SearchTerm
from salesflow.customers.search import CustomerSearch
from salesflow.customers.services import delete_contact, update_contact, update_customer
from salesflow.customers.terms import customer_terms, phone_digits, query_term
from tests.conftest import World, make_contact, make_customer

pytestmark = pytest.mark.django_db


def found(actor: Actor, text: str, limit: int = 50) -> list[str]:
    return [customer.name for customer in queries.search(actor, text, limit)]


def terms_of(workspace_id: int) -> set[tuple[int, int, int, str]]:
    rows = SearchTerm.objects.filter(workspace_id=workspace_id)
    return set(rows.values_list("customer_id", "owner_id", "rank", "term"))


# (name, full pinyin, initials): the surname read as a surname, the given name as pypinyin
# reads it; 单 is dān elsewhere, 长 cháng, 尉 wèi, and so on.
PEOPLE = [
    ("张三", "zhangsan", "zs"),
    ("单雄信", "shanxiongxin", "sxx"),
    ("曾国藩", "zengguofan", "zgf"),
    ("解缙", "xiejin", "xj"),
    ("仇英", "qiuying", "qy"),
    ("区永", "ouyong", "oy"),
    ("朴智星", "piaozhixing", "pzx"),
    ("查良镛", "zhaliangyong", "zly"),
    ("盖叫天", "gejiaotian", "gjt"),
    ("乐毅", "yueyi", "yy"),
    ("欧阳修", "ouyangxiu", "oyx"),
    ("司马迁", "simaqian", "smq"),
    ("尉迟恭", "yuchigong", "ycg"),
    ("诸葛亮", "zhugeliang", "zgl"),
    ("上官婉儿", "shangguanwaner", "sgwe"),
    ("皇甫嵩", "huangfusong", "hfs"),
    ("令狐冲", "linghuchong", "lhc"),
    ("长孙无忌", "zhangsunwuji", "zswj"),
]


@pytest.mark.parametrize(("name", "full", "initials"), PEOPLE, ids=[p[1] for p in PEOPLE])
def test_a_person_is_found_by_name_full_pinyin_and_initials(
    world: World, name: str, full: str, initials: str
) -> None:
    # given the person and someone else
    make_customer(world.admin, name=name, kind="person")
    make_customer(world.admin, name="王五", kind="person")

    # then each of the three finds them, and only them
    assert found(world.admin, name) == [name]
    assert found(world.admin, full) == [name]
    assert found(world.admin, initials) == [name]
    # and the pinyin may be typed with spaces or capitals
    assert found(world.admin, full[:3].upper() + " " + full[3:]) == [name]


def test_a_company_name_is_read_normally_and_a_person_name_by_its_surname(
    world: World,
) -> None:
    # given a company and a person whose names both start with 单 (dān; as a surname shàn)
    make_customer(world.admin, name="单元科技", kind="company")
    make_customer(world.admin, name="单田芳", kind="person")

    # then the company is found as danyuankeji, the person as shantianfang
    assert found(world.admin, "danyuan") == ["单元科技"]
    assert found(world.admin, "dyk") == ["单元科技"]
    assert found(world.admin, "shantian") == ["单田芳"]
    assert found(world.admin, "dantian") == []


def test_part_of_a_name_or_of_its_pinyin_finds_it(world: World) -> None:
    # given
    make_customer(world.admin, name="单雄信", kind="person")
    make_customer(world.admin, name="杭州华信钢铁有限公司")
    make_customer(world.admin, name="Huaxin Steel Co.")

    # then a suffix of characters, syllables or words finds it
    assert found(world.admin, "雄信") == ["单雄信"]
    assert found(world.admin, "xiongxin") == ["单雄信"]
    assert found(world.admin, "华信钢铁") == ["杭州华信钢铁有限公司"]
    assert found(world.admin, "steel") == ["Huaxin Steel Co."]
    # "huaxin" is the start of Huaxin Steel's name (whole, ranked first) and a part of the
    # Hangzhou company's pinyin hangzhouhuaxingangtie... (ranked after)
    assert found(world.admin, "huaxin") == ["Huaxin Steel Co.", "杭州华信钢铁有限公司"]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("13800138000", "+86 138 0013 8000"),
        ("13800138000", "138-0013-8000"),
        ("13800138000", "0086 13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86 21 5555 0100", "021-5555-0100"),
        ("(021) 5555-0100", "+86 21 55550100"),
        # a group after the first, the last eight digits, the last four
        ("+86 21 5555 0100", "5555"),
        ("+86 21 5555 0100", "55550100"),
        ("+86 21 5555 0100", "0100"),
        ("138 0013 8000", "0013"),
        ("138 0013 8000", "0013 8000"),
        ("138 0013 8000", "8000"),
    ],
)
def test_a_phone_number_is_found_in_any_format(world: World, stored: str, typed: str) -> None:
    # given
    make_customer(world.admin, name="Blue Lake", phone=stored)
    make_customer(world.admin, name="Red Hill", phone="+86 10 6666 7777")

    # then
    assert found(world.admin, typed) == ["Blue Lake"]


def test_phone_numbers_are_stored_as_national_significant_numbers() -> None:
    # +86 is mainland China's country code, 0 its trunk prefix: both go
    assert phone_digits("+86 21 5555 0100") == "2155550100"
    assert phone_digits("(021) 5555-0100") == "2155550100"
    assert phone_digits("+1 650 253 0000") == "6502530000"
    # too short to be a number: the digits as typed
    assert phone_digits("5555") == "5555"
    assert query_term(" +86 138 0013 8000 ") == "13800138000"


def test_a_plain_mobile_number_reads_as_phonenumbers_reads_it() -> None:
    # Given every mobile prefix 130 … 199 with ten ways to end, and numbers phonenumbers
    # does not take as they are (179… starts like China's prefix for dialling abroad)
    numbers = [f"1{p:02d}{end}" for p in range(30, 100) for end in (
        "00000000", "99999999", "00123456", "00000001", "00100000", "12345678", "90000000",
        "55550100", "00012345", "79000000")]  # fmt: skip
    for number in numbers:
        # When read with the parse the fast reading skips
        try:
            parsed = phonenumbers.parse(number, "CN")
            possible = phonenumbers.is_possible_number(parsed)
        except phonenumbers.NumberParseException:
            possible = False
        expected = phonenumbers.national_significant_number(parsed) if possible else number
        # Then both read the same
        assert phone_digits(number) == expected == number
    # And a number with anything else in it is parsed as before
    assert phone_digits("+86 13800138000") == "13800138000"
    assert phone_digits("１３８００１３８０００") == "13800138000"


def test_an_email_address_is_found_whole_or_by_its_parts(world: World) -> None:
    # given
    make_customer(world.admin, name="Red Hill", email="Buy@RedHill.cn")
    make_customer(world.admin, name="Blue Lake", email="sales@bluelake.cn")

    # then
    assert found(world.admin, "buy@redhill.cn") == ["Red Hill"]
    assert found(world.admin, "BUY") == ["Red Hill"]
    assert found(world.admin, "redhill") == ["Red Hill"]


def test_a_contacts_name_phone_or_email_finds_its_customer(world: World) -> None:
    # given a company with a contact
    acme = make_customer(world.admin, name="Acme")
    contact = make_contact(
        world.admin, acme, name="欧阳娜娜", phones=["139 1234 5678"], emails=["nana@acme.cn"]
    )

    # then the contact's name, its pinyin and initials, phone and e-mail find the company
    for text in ("欧阳娜娜", "ouyangnana", "oynn", "+86 139 1234 5678", "nana@acme.cn"):
        assert found(world.admin, text) == ["Acme"], text

    # when the contact is renamed, only the new name finds the company
    update_contact(world.admin, contact.pk, contact.version, {"name": "李雷"})
    assert found(world.admin, "ouyangnana") == []
    assert found(world.admin, "lilei") == ["Acme"]

    # and when it is deleted, nothing of it does
    delete_contact(world.admin, contact.pk)
    assert found(world.admin, "lilei") == []


def test_a_contact_moved_to_another_customer_finds_that_one(world: World) -> None:
    # given
    acme = make_customer(world.admin, name="Acme")
    globex = make_customer(world.admin, name="Globex")
    contact = make_contact(world.admin, acme, name="Han Meimei")

    # when
    update_contact(world.admin, contact.pk, contact.version, {"customer_id": globex.pk})

    # then
    assert found(world.admin, "han meimei") == ["Globex"]


def test_results_come_whole_matches_first_then_parts_each_once(world: World) -> None:
    # given three people and a company whose contact is 张三
    make_customer(world.admin, name="李张三", kind="person")
    make_customer(world.admin, name="张三丰", kind="person")
    make_customer(world.admin, name="张三", kind="person")
    with_contact = make_customer(world.admin, name="Acme")
    make_contact(world.admin, with_contact, name="张三")

    # then the exact name, then the name it starts (both whole, by term: 张三 < 张三丰), then
    # the part 张三 of 李张三 and the contact (both parts, by term then by creation)
    assert found(world.admin, "张三") == ["张三", "张三丰", "李张三", "Acme"]
    # and alike in pinyin
    assert found(world.admin, "zhangsan") == ["张三", "张三丰", "李张三", "Acme"]
    # "z" starts 张三's zhangsan and zs, 张三丰's zhangsanfeng and zsf: each is listed once,
    # at its best term (zhangsan < zhangsanfeng), then the parts as before
    assert found(world.admin, "z") == ["张三", "张三丰", "李张三", "Acme"]


def test_pages_follow_the_cursor_without_repeats(world: World) -> None:
    # given 30 customers found by "customer", each also by its part "number.."
    for number in range(30):
        make_customer(world.admin, name=f"Customer number {number:02d}")
    search = CustomerSearch(world.admin, "customer", visible(Customer, world.admin))

    # when two pages of 25 are read
    first, cursor = search.page(None, 25)
    second, last = search.page(cursor, 25)

    # then they hold all 30 in the order of their names, and the second is the last
    names = [c.name for c in first + second]
    assert names == [f"Customer number {n:02d}" for n in range(30)]
    assert last is None


def test_a_cursor_of_another_search_is_refused(world: World) -> None:
    # given a cursor of a search for "customer"
    for number in range(3):
        make_customer(world.admin, name=f"Customer {number}")
    _page, cursor = CustomerSearch(world.admin, "customer", visible(Customer, world.admin)).page(
        None, 1
    )
    assert cursor

    # then another search, or a forged cursor, is refused
    for text, bad in (("cust", cursor), ("customer", "bm90IGpzb24")):
        with pytest.raises(ValidationFailed) as refused:
            CustomerSearch(world.admin, text, visible(Customer, world.admin)).page(bad, 1)
        assert refused.value.errors[0].field == "cursor"


def test_each_actor_finds_only_the_customers_they_see(world: World, other_world: World) -> None:
    # given a 张三 for a rep of East, one of Shanghai (under East), one of West, and one in
    # another workspace
    make_customer(world.rep_east, name="张三 East", kind="person")
    make_customer(world.rep_shanghai, name="张三 Shanghai", kind="person")
    make_customer(world.rep_west, name="张三 West", kind="person")
    make_customer(other_world.admin, name="张三 Globex", kind="person")

    def seen(actor: Actor) -> set[str]:
        return set(found(actor, "zhangsan"))

    # then
    assert seen(world.rep_east) == {"张三 East"}
    assert seen(world.east_manager) == {"张三 East", "张三 Shanghai"}
    assert seen(world.admin) == {"张三 East", "张三 Shanghai", "张三 West"}
    assert seen(other_world.admin) == {"张三 Globex"}


def test_terms_follow_a_rename_a_new_phone_and_a_new_owner(world: World) -> None:
    # given a customer of rep_east
    customer = make_customer(world.rep_east, name="单雄信", kind="person", phone="13800138000")

    # when East's manager renames it, changes its phone and gives it to rep_shanghai
    update_customer(
        world.east_manager,
        customer.pk,
        customer.version,
        {"name": "曾国藩", "phone": "13900139000", "owner_id": world.rep_shanghai.user_id},
    )

    # then the old name and phone find nothing, the new ones find it, for its new owner only
    assert found(world.admin, "sxx") == []
    assert found(world.admin, "13800138000") == []
    assert found(world.rep_shanghai, "zgf") == ["曾国藩"]
    assert found(world.rep_shanghai, "+86 139 0013 9000") == ["曾国藩"]
    assert found(world.rep_east, "zgf") == []


@pytest.mark.parametrize(
    ("name", "kind", "initial"),
    [
        ("张三", "person", "Z"),
        ("单雄信", "person", "S"),  # the surname shàn
        ("单元科技", "company", "D"),  # a company reads dān
        ("欧阳修", "person", "O"),
        ("Émile Co", "company", "E"),
        ("alpha", "company", "A"),
        ("3M China", "company", "#"),
        ("（株）东京", "company", "#"),
    ],
)
def test_the_a_to_z_initial(world: World, name: str, kind: str, initial: str) -> None:
    assert make_customer(world.admin, name=name, kind=kind).initial == initial


def test_the_initial_follows_a_rename_and_filters_the_list(world: World) -> None:
    # given
    customer = make_customer(world.rep_east, name="张三", kind="person")
    make_customer(world.rep_east, name="Zeta")
    make_customer(world.rep_west, name="Zebra")

    # when it is renamed
    update_customer(world.rep_east, customer.pk, customer.version, {"name": "李四"})

    # then its letter is L, and a rep's Z list holds only their own Z customers
    customer.refresh_from_db()
    assert customer.initial == "L"
    rows = queries.customers(world.rep_east, queries.CustomerFilter(initial="Z"))
    assert [c.name for c in rows] == ["Zeta"]


def test_rebuild_search_writes_what_the_services_wrote(world: World) -> None:
    # given customers and contacts written through the services, some changed since
    workspace_id = world.admin.workspace_id
    person = make_customer(world.rep_east, name="尉迟恭", kind="person", phone="13800138000")
    company = make_customer(world.rep_west, name="杭州华信钢铁有限公司", email="info@huaxin.cn")
    contact = make_contact(world.rep_west, company, name="诸葛亮", emails=["kongming@huaxin.cn"])
    update_customer(world.admin, person.pk, person.version, {"name": "长孙无忌"})
    update_contact(world.rep_west, contact.pk, contact.version, {"phones": ["021-5555-0100"]})
    incremental = terms_of(workspace_id)
    initials = dict(Customer.objects.values_list("pk", "initial"))

    # when the terms are lost and an initial is wrong, then rebuilt
    SearchTerm.objects.filter(workspace_id=workspace_id).delete()
    Customer.objects.filter(pk=person.pk).update(initial="#")
    out, err = StringIO(), StringIO()
    with translation.override("en"):
        call_command("rebuild_search", workspace=world.admin.workspace.name, stdout=out, stderr=err)

    # then everything is as the services left it, and the command said what it did
    assert terms_of(workspace_id) == incremental
    assert dict(Customer.objects.values_list("pk", "initial")) == initials
    assert initials[person.pk] == "Z"  # 长孙 zhǎngsūn
    assert f"Rebuilt {len(incremental)} search terms" in out.getvalue()
    assert "[####################] 2 / 2 customers" in err.getvalue()


def test_terms_are_bounded_per_customer() -> None:
    # given a company name of 30 characters
    name = "中华人民共和国北京市朝阳区建国门外大街一号国际贸易中心有限公司"[:30]

    # when its terms are computed
    terms = customer_terms(kind="company", name=name, phone="13800138000", email="a@b.cn")

    # then: 3 whole name terms (name, pinyin, initials) + 8 name suffixes + 8 pinyin suffixes
    # + 1 address + 2 parts (local part, domain) + 1 number + 2 tails (8 and 4 digits) = 25
    assert len(terms) == 3 + 8 + 8 + 1 + 2 + 1 + 2


def test_a_run_of_digits_inside_a_group_finds_no_number(world: World) -> None:
    # given
    make_customer(world.admin, name="Blue Lake", phone="138 0013 8000")

    # then the first group finds it as the number's start, the others as its tails, and a run
    # from inside a group does not
    assert [found(world.admin, typed) for typed in ("138", "0013", "8000")] == [["Blue Lake"]] * 3
    assert [found(world.admin, typed) for typed in ("3800", "0138", "38000")] == [[], [], []]


def test_a_companys_legal_form_alone_finds_no_company(world: World) -> None:
    # given
    make_customer(world.admin, name="杭州华信钢铁集团有限公司")
    make_customer(world.admin, name="Huaxin Steel (China) Co., Ltd.")
    make_customer(world.admin, name="上海有限公司")
    make_customer(world.admin, name="欧阳有限", kind="person")

    # then a part of a name finds it with its legal form, the legal form alone finds none, and
    # a person's name is not read for one
    assert found(world.admin, "钢铁集团有限公司") == ["杭州华信钢铁集团有限公司"]
    assert found(world.admin, "tiejituan") == ["杭州华信钢铁集团有限公司"]
    assert found(world.admin, "(china)co") == ["Huaxin Steel (China) Co., Ltd."]
    assert found(world.admin, "有限公司") == []
    assert found(world.admin, "youxiangongsi") == []
    assert found(world.admin, "集团有限") == []
    assert found(world.admin, "co.,ltd") == []
    assert found(world.admin, "有限") == ["欧阳有限"]
