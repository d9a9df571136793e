"""Duplicate detection: normalised keys, refusal on create and edit, contacts, bulk lookups."""

from __future__ import annotations

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesflow.core.errors import Forbidden
from salesflow.customers import duplicates
from salesflow.customers.duplicate_keys import (
    Candidate,
    KeyKind,
    customer_keys,
    email_key,
    name_key,
    phone_key,
)
from salesflow.customers.duplicates import DuplicateFound, Reason, find_duplicates
from salesflow.customers.models import Contact, Customer, DuplicateKey
from salesflow.customers.services import (
    create_customer,
    delete_contact,
    update_contact,
    update_customer,
)
from tests.conftest import World, make_contact, make_customer
from tests.services.support import row_counts

pytestmark = pytest.mark.django_db

MOBILE = "+8613800138000"


@pytest.mark.parametrize(
    "written",
    [
        "+86 138 0013 8000",
        "13800138000",
        "0086-138-0013-8000",
        "138-0013-8000",
        "（+86）１３８ ００１３ ８０００",
    ],
)
def test_every_way_of_writing_a_mobile_number_is_one_key(written: str) -> None:
    assert phone_key(written) == MOBILE


def test_phone_keys_keep_the_country_and_area_and_drop_what_cannot_be_dialled() -> None:
    # a Shanghai landline with its area code, with or without the country code
    assert phone_key("(021) 5555-0100") == phone_key("+86 21 5555 0100") == "+862155550100"
    # a number abroad keeps its own country code
    assert phone_key("+1 650 253 0000") == "+16502530000"
    # a local-only service number (a bank's 95588) and text are no key at all
    assert phone_key("95588") == ""
    assert phone_key("ask reception") == ""


def test_a_plain_mobile_number_is_keyed_as_phonenumbers_keys_it() -> None:
    # Given every mobile prefix 130 … 199 with ten ways to end
    numbers = [f"1{p:02d}{end}" for p in range(30, 100) for end in (
        "00000000", "99999999", "00123456", "00000001", "00100000", "12345678", "90000000",
        "55550100", "00012345", "79000000")]  # fmt: skip
    for number in numbers:
        # When keyed by phonenumbers as the fast reading would not
        parsed = phonenumbers.parse(number, "CN")
        reason = phonenumbers.is_possible_number_with_reason(parsed)
        assert reason == phonenumbers.ValidationResult.IS_POSSIBLE
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        # Then both give the same key
        assert phone_key(number) == expected == f"+86{number}"


def test_email_keys_ignore_case_and_surrounding_space() -> None:
    assert email_key("  Buy@RedHill.CN ") == email_key("buy@redhill.cn") == "buy@redhill.cn"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("华信钢铁有限公司", "华信钢铁"),
        ("华信钢铁有限责任公司", "华信钢铁"),
        ("华信钢铁股份有限公司", "华信钢铁"),
        ("华信钢铁集团有限公司", "华信钢铁"),  # 有限公司, then 集团
        ("华信钢铁（集团）", "华信钢铁"),  # full-width brackets are punctuation
        ("华信钢铁 集团", "华信钢铁"),
        ("Huaxin Steel Co., Ltd.", "huaxinsteel"),
        ("HUAXIN  STEEL INC", "huaxinsteel"),
        ("Ｈｕａｘｉｎ Ｓｔｅｅｌ", "huaxinsteel"),  # full-width letters
        ("Zinc Works", "zincworks"),  # "inc" inside a word is not a suffix
        ("华信钢铁上海分公司", "华信钢铁上海分公司"),  # a branch is another company
        ("有限公司", "有限公司"),  # a name that is only a suffix stays
        ("Émile Zola", "emilezola"),
    ],
)
def test_name_keys_fold_forms_case_spaces_punctuation_and_company_suffixes(
    name: str, key: str
) -> None:
    assert name_key(name) == key


def test_a_customers_keys_are_its_name_phones_and_emails() -> None:
    keys = customer_keys(
        kind="company", name="华信钢铁有限公司", phones=["138 0013 8000", ""], emails=["A@B.cn"]
    )
    assert keys == {("name", "华信钢铁"), ("phone", MOBILE), ("email", "a@b.cn")}


def test_a_persons_name_is_no_key_since_many_people_share_one() -> None:
    assert customer_keys(kind="person", name="张伟", phones=["13800138000"]) == {("phone", MOBILE)}


def test_create_refuses_a_customer_sharing_a_phone_and_writes_nothing(world: World) -> None:
    # given a customer with a mobile number
    first = make_customer(world.rep_east, name="Huaxin Steel", phone="+86 138 0013 8000")
    before = row_counts()

    # when another one is created with the same number written differently
    with pytest.raises(DuplicateFound) as found:
        make_customer(world.rep_east, name="Blue Lake", phone="13800138000")

    # then the first is reported with the key that matched, and nothing was written
    [duplicate] = found.value.duplicates
    assert (duplicate.customer_id, duplicate.name, duplicate.visible) == (
        first.pk,
        "Huaxin Steel",
        True,
    )
    assert duplicate.reasons == [Reason("phone", MOBILE)]
    assert row_counts() == before
    assert found.value.status == 409


def test_allow_duplicate_saves_anyway_and_indexes_both(world: World) -> None:
    first = make_customer(world.rep_east, name="华信钢铁有限公司")
    second = create_customer(world.rep_east, {"name": "华信钢铁"}, allow_duplicate=True)
    holders = DuplicateKey.objects.filter(kind="name", key="华信钢铁").values_list("customer_id")
    assert sorted(pk for (pk,) in holders) == [first.pk, second.pk]


def test_a_customer_the_actor_cannot_see_is_reported_by_its_owner_only(world: World) -> None:
    # given a customer of the West rep, whom the East rep cannot see
    make_customer(world.rep_west, name="West Steel", email="buy@weststeel.cn")

    # when the East rep creates one with the same e-mail
    with pytest.raises(DuplicateFound) as found:
        make_customer(world.rep_east, name="Another", email="BUY@weststeel.cn")

    # then its owner is told, not its id, name or contacts
    [duplicate] = found.value.duplicates
    assert duplicate.visible is False
    assert duplicate.customer_id is None
    assert duplicate.name == ""
    assert duplicate.owner_id == world.rep_west.user_id
    assert duplicate.owner_name == world.rep_west.user.username
    assert duplicate.reasons == [Reason("email", "buy@weststeel.cn")]


def test_another_workspace_is_never_a_duplicate(world: World, other_world: World) -> None:
    make_customer(other_world.admin, name="Huaxin Steel", phone=MOBILE)
    customer = make_customer(world.admin, name="Huaxin Steel", phone=MOBILE)
    assert customer.pk


def test_edit_refuses_only_a_key_the_customer_did_not_have(world: World) -> None:
    # given two customers saved as distinct although they share a name
    make_customer(world.admin, name="Huaxin Steel", email="a@huaxin.cn")
    second = create_customer(world.admin, {"name": "Huaxin Steel Co., Ltd."}, allow_duplicate=True)

    # when the second's notes change, the known shared name does not stop it
    second = update_customer(world.admin, second.pk, second.version, {"notes": "Big buyer"})
    assert second.version == 2

    # when its e-mail becomes the first's, it is refused with the e-mail as the reason
    with pytest.raises(DuplicateFound) as found:
        update_customer(world.admin, second.pk, second.version, {"email": "A@huaxin.cn"})
    assert found.value.duplicates[0].reasons == [Reason("email", "a@huaxin.cn")]
    assert Customer.objects.get(pk=second.pk).email == ""

    # and saved anyway when allowed
    update_customer(
        world.admin, second.pk, second.version, {"email": "A@huaxin.cn"}, allow_duplicate=True
    )
    assert Customer.objects.get(pk=second.pk).email == "A@huaxin.cn"


def test_contacts_of_one_customer_are_checked_by_name_phone_and_email(world: World) -> None:
    # given a customer with a contact
    customer = make_customer(world.rep_east, name="Huaxin Steel")
    li = make_contact(world.rep_east, customer, name="Li Lei", phones=["138 0013 8000"])

    # when a contact with the same name (spaced and cased otherwise) is added
    with pytest.raises(DuplicateFound) as found:
        make_contact(world.rep_east, customer, name="li  lei")

    # then the existing contact of this very customer is the reason
    [duplicate] = found.value.duplicates
    assert duplicate.same_customer is True
    assert duplicate.customer_id == customer.pk
    assert duplicate.reasons == [Reason(KeyKind.CONTACT_NAME, "lilei", li.pk)]
    assert Contact.objects.filter(customer=customer).count() == 1

    # and a contact of another name with Li Lei's number is refused as well
    with pytest.raises(DuplicateFound):
        make_contact(world.rep_east, customer, name="Han Meimei", phones=["13800138000"])


def test_a_contact_named_like_one_of_another_customer_is_no_duplicate(world: World) -> None:
    make_contact(world.admin, make_customer(world.admin), name="Li Lei")
    contact = make_contact(world.admin, make_customer(world.admin), name="Li Lei")
    assert contact.pk


def test_a_contacts_phone_held_by_another_customer_is_reported(world: World) -> None:
    # given a customer whose own phone is a mobile number
    other = make_customer(world.rep_east, name="Blue Lake", phone=MOBILE)
    customer = make_customer(world.rep_east, name="Huaxin Steel")

    # when a contact of another customer gets that number, then the customer is reported
    with pytest.raises(DuplicateFound) as found:
        make_contact(world.rep_east, customer, name="Wang Fang", phones=["138 0013 8000"])
    [duplicate] = found.value.duplicates
    assert (duplicate.customer_id, duplicate.same_customer) == (other.pk, False)
    assert duplicate.reasons == [Reason("phone", MOBILE)]


def test_contact_edits_and_deletes_keep_the_keys(world: World) -> None:
    customer = make_customer(world.admin, name="Huaxin Steel")
    contact = make_contact(world.admin, customer, name="Li Lei", emails=["li@huaxin.cn"])
    contact = update_contact(world.admin, contact.pk, contact.version, {"emails": ["LL@huaxin.cn"]})
    emails = DuplicateKey.objects.filter(customer=customer, kind="email")
    assert list(emails.values_list("key", "contact_id")) == [("ll@huaxin.cn", contact.pk)]
    delete_contact(world.admin, contact.pk)
    assert list(DuplicateKey.objects.filter(customer=customer).values_list("kind", "key")) == [
        ("name", "huaxinsteel")
    ]
    # the contact's old address is free again
    make_contact(world.admin, customer, name="Han Meimei", emails=["li@huaxin.cn"])


def test_find_duplicates_for_one_import_row(world: World) -> None:
    steel = make_customer(world.rep_east, name="华信钢铁有限公司", phone="021 5555 0100")
    found = find_duplicates(world.admin, Candidate(name="华信钢铁", phones=("+86 21 5555 0100",)))
    assert [(d.customer_id, d.reasons) for d in found] == [
        (steel.pk, [Reason("name", "华信钢铁"), Reason("phone", "+862155550100")])
    ]


def test_bulk_lookup_answers_each_row_with_a_fixed_number_of_queries(world: World) -> None:
    # given three customers, one of them with a contact
    steel = make_customer(world.rep_east, name="Huaxin Steel", email="buy@huaxin.cn")
    lake = make_customer(world.rep_west, name="Blue Lake")
    make_contact(world.rep_west, lake, name="Wang Fang", phones=["13800138000"])
    make_customer(world.rep_east, name="Red Hill")
    rows = [
        Candidate(name="HUAXIN STEEL CO., LTD."),
        Candidate(name="New One", phones=("+86 138 0013 8000",)),
        Candidate(name="Nobody", emails=("x@y.cn",)),
        Candidate(name="Other", emails=("Buy@Huaxin.cn",)),
    ] * 50

    # when 200 rows are looked up at once by the East rep
    with CaptureQueriesContext(connection) as queries:
        found = duplicates.find_duplicates_bulk(world.rep_east, rows)

    # then: one query for the keys, one for the customers, one for what the rep sees
    assert len(queries) == 3
    assert [[(d.customer_id, d.visible) for d in row] for row in found[:4]] == [
        [(steel.pk, True)],
        [(None, False)],  # the West rep's customer, by its contact's phone
        [],
        [(steel.pk, True)],
    ]
    assert found[1][0].reasons == [Reason("phone", MOBILE)]  # no contact id for a hidden one
    # and with a workspace id (a command), everything is visible
    by_workspace = duplicates.find_duplicates_bulk(world.admin.workspace_id, rows[:2])
    assert by_workspace[1][0].customer_id == lake.pk


def test_rebuild_equals_what_the_services_wrote(world: World) -> None:
    # given customers and contacts written through the services
    customer = make_customer(world.admin, name="华信钢铁有限公司", phone="021 5555 0100")
    make_contact(world.admin, customer, name="李雷", phones=["138 0013 8000"], emails=["l@h.cn"])
    make_customer(world.admin, name="Blue Lake", email="x@lake.cn")
    columns = ("customer_id", "contact_id", "kind", "key")
    written = sorted(DuplicateKey.objects.values_list(*columns), key=repr)

    # when the keys are dropped and rebuilt by the command
    DuplicateKey.objects.all().delete()
    call_command("rebuild_duplicate_keys", verbosity=0)

    # then they are the same rows
    assert sorted(DuplicateKey.objects.values_list(*columns), key=repr) == written
    assert len(written) == 7  # 2 customer names, 1 phone, 1 email; contact name, phone, email


def test_groups_are_for_managers_and_admins(world: World) -> None:
    with pytest.raises(Forbidden):
        duplicates.duplicate_groups(world.rep_east, None, 10)


def test_keys_shared_on_one_page_by_the_same_customers_make_one_group(world: World) -> None:
    # given two customers sharing a name and an e-mail address
    first = make_customer(world.admin, name="Huaxin Steel", email="buy@huaxin.cn")
    second = create_customer(
        world.admin, {"name": "Huaxin Steel Co.", "email": "Buy@Huaxin.cn"}, allow_duplicate=True
    )

    groups, next_cursor = duplicates.duplicate_groups(world.admin, None, 10)

    assert [(g.keys, [c.pk for c in g.customers]) for g in groups] == [
        ([("email", "buy@huaxin.cn"), ("name", "huaxinsteel")], [first.pk, second.pk])
    ]
    assert next_cursor is None
