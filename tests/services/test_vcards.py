"""Reading and writing vCards: real exports, encodings, bad cards, and round trips via vobject."""

from __future__ import annotations

import base64
import io
import re
import struct
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import vobject

from salesflow.customers.vcards import (
    Address,
    Card,
    CardProblem,
    MonthDay,
    Organisation,
    Photo,
    StructuredName,
    TypedValue,
    VCardVersion,
    read_vcards,
    write_vcards,
)

# Real-world exports and RFC examples; README.md there names their origin and licences.
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vcard"
N_TILDE = "Ñ"


def _read_fixture(name: str) -> list[Card]:
    result = read_vcards((FIXTURES / name).read_bytes())
    assert [p for p in result.problems if p.card_skipped] == []
    return result.cards


def _extra_values(card: Card, name: str) -> list[str]:
    return [extra.value for extra in card.extras if extra.name == name]


def _png_chunks_valid(data: bytes) -> bool:
    """Every PNG chunk's CRC matches its type and data, up to IEND."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        if zlib.crc32(kind + body) != crc:
            return False
        offset += 12 + length
        if kind == b"IEND":
            return offset == len(data)
    return False


# --------------------------------------------------------------------------- fixtures


def test_android_export_reads_all_six_cards_with_quoted_printable_names() -> None:
    # given Android's 2.1 export: six cards, quoted-printable UTF-8 names with soft line
    # breaks, bare TEL;CELL;PREF parameters, a doubled END:VCARD and a stray =80 byte
    result = read_vcards((FIXTURES / "ezvcard_John_Doe_ANDROID.vcf").read_bytes())
    first, second, third, fourth, fifth, sixth = result.cards

    # then the first two hold only a preferred e-mail and the category
    assert first.emails == [TypedValue("john.doe@company.com", ("pref",))]
    assert second.emails == [TypedValue("jane.doe@company.com", ("pref",))]
    assert first.categories == second.categories == ["My Contacts"]
    # card 3: =C3=91=20 four times is "Ñ " four times, the trailing space kept
    assert third.name == StructuredName(family="Ñ Ñ Ñ Ñ ")
    assert third.formatted_name == "Ñ Ñ Ñ Ñ Ñ "
    assert third.phones == [TypedValue("123456789", ("cell", "pref"))]
    # card 4: the name continues after a soft line break (=) into "=20Ñ Ñ Ñ", 11 Ñ in all
    assert fourth.name == StructuredName(family=" ".join([N_TILDE] * 11))
    assert fourth.phones == [
        TypedValue("123456", ("cell", "pref")),
        TypedValue("234567", ("home",)),
        TypedValue("3456789", ("cell",)),
        TypedValue("45678901", ("home",)),
    ]
    # two NOTE lines: the first is the note, the second is kept, not dropped
    note = "Ñ Ñ Ñ Ñ Ñ Ñ Ñ ÑÑ Ñ Ñ Ñ Ñ Ñ Ñ ÑÑ Ñ Ñ Ñ Ñ "
    assert (fourth.note, _extra_values(fourth, "NOTE")) == (note, [note])
    # card 5: family "Ñ Ñ ", given "Ñ Ñ Ñ ", three phones, two e-mails, a JPEG of 876 bytes
    assert fifth.name == StructuredName(family="Ñ Ñ ", given="Ñ Ñ Ñ ")
    assert fifth.phones == [
        TypedValue("123456", ("cell", "pref")),
        TypedValue("123456", ("work",)),
        TypedValue("123456", ("work", "fax")),
    ]
    assert fifth.emails == [
        TypedValue("bob@company.com", ("work", "pref")),
        TypedValue(N_TILDE * 14, ("pref",)),
    ]
    assert fifth.organisation == Organisation(N_TILDE * 12)
    assert fifth.urls == [TypedValue("www.company.com"), TypedValue("http://www.company.com")]
    assert fifth.photo is not None
    assert (len(fifth.photo.data), fifth.photo.media_type) == (876, "image/jpeg")
    # card 6: 11 + 11 + 11 + 11 Ñ over four soft-broken lines; the second ORG ends in the
    # undecodable =80, replaced by U+FFFD and reported, the card still read
    assert sixth.organisation == Organisation(N_TILDE * 44)
    assert _extra_values(sixth, "ORG") == [N_TILDE * 44 + "\ufffd", N_TILDE * 44]
    assert result.problems == [
        CardProblem(6, "Some characters could not be decoded and were replaced.", False)
    ]


def test_iphone_export_with_cr_cr_lf_groups_and_a_folded_photo() -> None:
    # given Apple's 3.0 export, every line ending in CR CR LF
    (card,) = _read_fixture("ezvcard_John_Doe_IPHONE.vcf")

    # then N keeps its list of additional names, and the photo is whole
    assert card.name == StructuredName("Doe", "John", ("Richter", "James"), ("Mr.",), ("Sr.",))
    assert card.formatted_name == "Mr. John Richter James Doe Sr."
    assert card.organisation == Organisation("IBM", ("Accounting",))
    assert card.title == "Money Counter"
    assert card.emails == [TypedValue("john.doe@ibm.com", ("internet", "pref"))]
    assert card.phones == [
        TypedValue("905-555-1234", ("cell", "voice", "pref")),
        TypedValue("905-666-1234", ("home", "voice")),
        TypedValue("905-777-1234", ("work", "voice")),
        TypedValue("905-888-1234", ("home", "fax")),
        TypedValue("905-999-1234", ("work", "fax")),
        TypedValue("905-111-1234", ("pager",)),
        TypedValue("905-222-1234", (), "_$!<AssistantPhone>!$_"),
    ]
    assert card.addresses == [
        Address(
            street="Silicon Alley 5,",
            locality="New York",
            region="New York",
            postal_code="12345",
            country="United States of America",
            types=("home", "pref"),
        ),
        Address(
            street="Street4\nBuilding 6\nFloor 8",
            locality="New York",
            postal_code="12345",
            country="USA",
            types=("work",),
        ),
    ]
    # `http\://www.ibm.com`: Apple escapes the colon
    assert card.urls == [TypedValue("http://www.ibm.com", ("pref",), "_$!<HomePage>!$_")]
    assert card.birthday == date(2012, 6, 6)
    assert card.photo is not None
    assert (len(card.photo.data), card.photo.media_type) == (32531, "image/jpeg")
    assert _extra_values(card, "X-ABADR") == [
        "Silicon Alley",
        "Street 4, Building 6,\\n Floor 8\\nNew York\\nUSA",
    ]


def test_outlook_2003_export_with_quoted_printable_note_and_key() -> None:
    (card,) = _read_fixture("ezvcard_outlook-2003.vcf")

    assert card.name == StructuredName("Doe", "John", prefixes=("Mr.",), suffixes=("III",))
    assert card.formatted_name == "John Doe III"
    # in 2.1 the comma is no separator
    assert card.organisation == Organisation("Company, The", ("TheDepartment",))
    assert card.title == "The Job Title"
    assert card.role == "TheProfession"
    # =0D=0A are line breaks; the trailing one survives
    assert card.note == "This is the note field!!\nSecond line\n\nThird line is empty\n"
    assert card.phones == [
        TypedValue("BusinessPhone", ("work", "voice")),
        TypedValue("HomePhone", ("home", "voice")),
        TypedValue("MobilePhone", ("cell", "voice")),
        TypedValue("BusinessFaxPhone", ("work", "fax")),
    ]
    assert card.addresses == [
        Address(
            extended="TheOffice",
            street="123 Main St",
            locality="Austin",
            region="TX",
            postal_code="12345",
            country="United States of America",
            types=("work",),
        )
    ]
    assert card.urls == [TypedValue("http://web-page-address.com", ("work",))]
    assert card.birthday == date(1980, 3, 21)
    assert card.emails == [TypedValue("jdoe@hotmail.com", ("internet", "pref"))]
    # the KEY with its indented base64 lines is kept whole: 805 bytes of certificate
    (key,) = _extra_values(card, "KEY")
    assert len(base64.b64decode(re.sub(r"\s", "", key))) == 805
    assert _extra_values(card, "LABEL") == [
        "TheOffice\\n123 Main St\\nAustin, TX 12345\\nUnited States of America"
    ]


def test_outlook_2007_export_with_photo_and_key() -> None:
    (card,) = _read_fixture("ezvcard_outlook-2007.vcf")

    assert card.name == StructuredName("Angstadt", "Michael", prefixes=("Mr.",), suffixes=("Jr.",))
    assert card.organisation == Organisation("TheCompany", ("TheDepartment",))
    assert card.birthday == date(1922, 3, 10)
    assert card.note.startswith("This is the NOTE field\t\nI assume it encodes")
    assert card.photo is not None
    assert (len(card.photo.data), card.photo.media_type) == (2324, "image/jpeg")
    (key,) = _extra_values(card, "KEY")
    assert len(base64.b64decode(key)) == 514
    assert _extra_values(card, "X-MS-TEL") == ["(111) 555-4444"]
    assert _extra_values(card, "X-MS-OL-DESIGN")[0].startswith('<card xmlns="http://schemas')


def test_gmail_export_with_labels_escaped_address_and_folded_note() -> None:
    (card,) = _read_fixture("ezvcard_gmail-single.vcf")

    assert card.name == StructuredName("Dartmouth", "Greg")
    assert card.formatted_name == "Greg Dartmouth"
    assert card.emails == [TypedValue("gdartmouth@hotmail.com", ("internet",))]
    assert card.phones == [
        TypedValue("555 555 1111", ("cell",)),
        TypedValue("555 555 2222", (), "GRAND_CENTRAL"),
    ]
    assert card.addresses == [
        Address(street="123 Home St\nHome City, HM 12345", types=("home",)),
        Address(
            street="321 Custom St",
            locality="Custom City",
            region="TX",
            postal_code="98765",
            country="USA",
            label="CustomAdrType",
        ),
    ]
    assert card.organisation == Organisation("TheCompany")
    assert card.title == "TheJobTitle"
    assert card.birthday == date(1960, 9, 10)
    assert card.urls == [TypedValue("http://TheProfile.com", (), "PROFILE")]
    # "ACust" + "omField": the fold's single space is removed, nothing more
    assert card.note == (
        "This is GMail's note field.\nIt should be added as a NOTE type.\nACustomField: CustomField"
    )
    assert _extra_values(card, "X-PHONETIC-FIRST-NAME") == ["Grregg"]
    # labels of groups that are not phones, e-mails, addresses or URLs stay with them
    assert [(e.group, e.value) for e in card.extras if e.name == "X-ABLABEL"] == [
        ("item4", "_$!<Anniversary>!$_"),
        ("item5", "_$!<Spouse>!$_"),
        ("item6", "CustomRelationship"),
    ]


def test_thunderbird_export() -> None:
    (card,) = _read_fixture("ezvcard_thunderbird-MoreFunctionsForAddressBook-extension.vcf")

    assert card.name == StructuredName("Doe", "John")
    assert card.formatted_name == "John Doe"
    assert card.organisation == Organisation("TheOrganization", ("TheDepartment",))
    assert card.addresses[0] == Address(
        extended="222 Broadway",
        street="Suite 100",
        locality="New York",
        region="NY",
        postal_code="98765",
        country="USA",
        types=("work", "postal"),
    )
    assert [p.value for p in card.phones] == [
        "555-555-1111",
        "555-555-2222",
        "555-555-5555",
        "555-555-3333",
        "555-555-4444",
    ]
    assert card.emails[0] == TypedValue("doe.john@hotmail.com", ("internet", "pref"))
    assert len(card.emails) == 5
    assert card.urls == [
        TypedValue("http://www.private-webpage.com", ("home",)),
        TypedValue("http://www.work-webpage.com", ("work",)),
    ]
    # the commas are escaped, so this is one category
    assert card.categories == ["category1, category2, category3"]
    assert card.birthday == date(1970, 9, 21)
    assert card.note == (
        "This is the notes field.\nSecond Line\n\nFourth Line\n"
        'You can put anything in the "note" field; even curse words.'
    )
    assert card.photo is not None
    assert len(card.photo.data) == 8940


def test_rfc_2426_examples() -> None:
    frank, tim = _read_fixture("ezvcard_rfc2426-example.vcf")

    assert (frank.formatted_name, tim.formatted_name) == ("Frank Dawson", "Tim Howes")
    assert frank.organisation == Organisation("Lotus Development Corporation")
    # the folded ADR joins to one value
    assert frank.addresses == [
        Address(
            street="6544 Battleford Drive",
            locality="Raleigh",
            region="NC",
            postal_code="27613-3502",
            country="U.S.A.",
            types=("work", "postal", "parcel"),
        )
    ]
    assert frank.phones == [
        TypedValue("+1-919-676-9515", ("voice", "msg", "work")),
        TypedValue("+1-919-676-9564", ("fax", "work")),
    ]
    assert frank.emails == [
        TypedValue("Frank_Dawson@Lotus.com", ("internet", "pref")),
        TypedValue("fdawson@earthlink.net", ("internet",)),
    ]
    assert frank.urls == [TypedValue("http://home.earthlink.net/~fdawson")]
    # "CA; 94043": the RFC's own space after the semicolon is part of the value
    assert tim.addresses[0].postal_code == " 94043"
    assert tim.emails == [TypedValue("howes@netscape.com", ("internet",))]


def test_rfc_6350_example() -> None:
    (card,) = _read_fixture("ezvcard_rfc6350-example.vcf")

    assert card.formatted_name == "Simon Perreault"
    assert card.name == StructuredName("Perreault", "Simon", suffixes=("ing. jr", "M.Sc."))
    assert card.birthday == MonthDay(2, 3)
    assert card.organisation == Organisation("Viagenie")
    assert card.addresses == [
        Address(
            extended="Suite D2-630",
            street="2875 Laurier",
            locality="Quebec",
            region="QC",
            postal_code="G1V 2M2",
            country="Canada",
            types=("work",),
        )
    ]
    # TYPE="work,voice";PREF=1 and a tel: URI
    assert card.phones == [
        TypedValue("+1-418-656-9254;ext=102", ("work", "voice", "pref")),
        TypedValue("+1-418-262-6501", ("work", "cell", "voice", "video", "text")),
    ]
    assert card.emails == [TypedValue("simon.perreault@viagenie.ca", ("work",))]
    assert card.urls == [TypedValue("http://nomis80.org", ("home",))]
    assert _extra_values(card, "GEO") == ["geo:46.772673,-71.282945"]
    assert _extra_values(card, "KEY") == ["http://www.viagenie.ca/simon.perreault/simon.asc"]
    assert _extra_values(card, "LANG") == ["fr", "en"]


@pytest.mark.parametrize(
    ("file_name", "organisation", "phone", "pinyin", "png_size"),
    [
        ("metowolf_wechatpay_微信支付.vcf", "微信支付", "95017", "Wei Xin Zhi Fu", 1148),
        (
            "metowolf_hsbc-china_汇丰银行（中国）.vcf",
            "汇丰银行（中国）",
            "95366",
            "Hui Feng Yin Hang （ Zhong Guo ）",
            1232,
        ),
        ("metowolf_sf-express_顺丰速运.vcf", "顺丰速运", "95338", "Shun Feng Su Yun", 4165),
    ],
)
def test_chinese_company_cards_with_empty_names_and_long_photo_lines(
    file_name: str, organisation: str, phone: str, pinyin: str, png_size: int
) -> None:
    # given a card with empty FN and N, mixed CRLF / LF lines and a 1.5-5.6 KB unfolded line
    (card,) = _read_fixture(file_name)

    # then the display name comes from ORG, and the PNG is intact
    assert card.formatted_name == organisation
    assert card.name is None
    assert card.organisation == Organisation(organisation)
    assert card.phones == [TypedValue(phone, ("cell",))]
    assert _extra_values(card, "X-PHONETIC-ORG") == [pinyin]
    assert _extra_values(card, "X-ABSHOWAS") == ["COMPANY"]
    assert card.photo is not None
    assert (len(card.photo.data), card.photo.media_type) == (png_size, "image/png")
    assert _png_chunks_valid(card.photo.data)


TESTED_FIXTURES = {
    "ezvcard_John_Doe_ANDROID.vcf",
    "ezvcard_John_Doe_IPHONE.vcf",
    "ezvcard_outlook-2003.vcf",
    "ezvcard_outlook-2007.vcf",
    "ezvcard_gmail-single.vcf",
    "ezvcard_thunderbird-MoreFunctionsForAddressBook-extension.vcf",
    "ezvcard_rfc2426-example.vcf",
    "ezvcard_rfc6350-example.vcf",
    "metowolf_wechatpay_微信支付.vcf",
    "metowolf_hsbc-china_汇丰银行（中国）.vcf",
    "metowolf_sf-express_顺丰速运.vcf",
}


def test_every_fixture_file_has_a_test_of_its_values() -> None:
    assert {path.name for path in FIXTURES.glob("*.vcf")} == TESTED_FIXTURES


# --------------------------------------------------------------------------- round trips

_MODELLED = {"FN", "N", "ORG", "TITLE", "ROLE", "NOTE", "UID", "BDAY", "PHOTO", "CATEGORIES"}
_TYPED = {"TEL", "EMAIL", "URL", "ADR"}


def _tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(value)
    return (value,) if value else ()


def _card_view(card: Card) -> dict[str, Any]:
    """The values a vCard carries, from a Card, in the shape `_vobject_view` produces."""
    name = card.name or StructuredName()
    organisation = card.organisation
    photo = card.photo
    return {
        "fn": card.formatted_name,
        "n": (name.family, name.given, name.additional, name.prefixes, name.suffixes),
        "org": (organisation.name, *organisation.units) if organisation else None,
        "title": card.title,
        "role": card.role,
        "note": card.note,
        "uid": card.uid,
        "bday": card.birthday,
        "categories": card.categories,
        "photo": (photo.data, photo.media_type, photo.url) if photo else None,
        "tel": [(p.value, frozenset(p.types), p.label) for p in card.phones],
        "email": [(e.value, frozenset(e.types), e.label) for e in card.emails],
        "url": [(u.value, frozenset(u.types), u.label) for u in card.urls],
        "adr": [
            (
                (a.po_box, a.extended, a.street, a.locality),
                (a.region, a.postal_code, a.country),
                frozenset(a.types),
                a.label,
            )
            for a in card.addresses
        ],
        "extras": sorted(extra.name for extra in card.extras),
    }


def _bday(text: str) -> date | MonthDay:
    if match := re.fullmatch(r"--(\d\d)-?(\d\d)", text):
        return MonthDay(int(match.group(1)), int(match.group(2)))
    return date.fromisoformat(text)


def _raw_photo_values(text: str) -> list[str]:
    """vobject reads a 4.0 `data:` URI as comma-separated text, so take PHOTO from the line."""
    values = []
    for line, _number in vobject.base.getLogicalLines(io.StringIO(text)):
        name, _params, value, _group = vobject.base.parseLine(line)
        if name.upper() == "PHOTO":
            values.append(value)
    return values


def _vobject_view(component: Any, raw_photo: str | None) -> dict[str, Any]:
    """The values of one card as vobject parses them."""
    contents = component.contents
    labels = {line.group: line.value for line in contents.get("x-ablabel", []) if line.group}
    typed_groups = {
        line.group for key in ("tel", "email", "url", "adr") for line in contents.get(key, [])
    }

    def first(key: str) -> Any:
        lines = contents.get(key, [])
        return lines[0].value if lines else None

    def types(line: Any) -> frozenset[str]:
        kinds = {t.lower() for value in line.params.get("TYPE", []) for t in value.split(",")}
        if line.params.get("PREF") == ["1"]:
            kinds.add("pref")
        return frozenset(kinds)

    name = first("n")
    org = first("org")
    photo = None
    if "photo" in contents:
        line = contents["photo"][0]
        if isinstance(line.value, bytes):
            media_type = "image/" + line.params["TYPE"][0].lower() if "TYPE" in line.params else ""
            photo = (line.value, media_type, "")
        elif raw_photo is not None and raw_photo.startswith("data:"):
            header, _comma, payload = raw_photo.partition(",")
            photo = (base64.b64decode(payload), header[5:].split(";")[0], "")
        else:
            photo = (b"", "", line.value)
    extras = [
        key.upper()
        for key, lines in contents.items()
        if key.upper() not in _MODELLED | _TYPED | {"VERSION", "X-ABLABEL"}
        for _line in lines
    ]
    extras += [key.upper() for key in _MODELLED for _line in contents.get(key.lower(), [])[1:]]
    extras += [
        "X-ABLABEL" for line in contents.get("x-ablabel", []) if line.group not in typed_groups
    ]
    empty_name = ("", "", (), (), ())
    parsed_name = (
        (name.family, name.given, _tuple(name.additional), _tuple(name.prefix), _tuple(name.suffix))
        if name
        else empty_name
    )
    return {
        "fn": first("fn"),
        "n": parsed_name,
        "org": tuple(org) if org else None,
        "title": first("title") or "",
        "role": first("role") or "",
        "note": first("note") or "",
        "uid": first("uid") or "",
        "bday": _bday(first("bday")) if "bday" in contents else None,
        "categories": first("categories") or [],
        "photo": photo,
        "tel": [(t.value, types(t), labels.get(t.group, "")) for t in contents.get("tel", [])],
        "email": [(e.value, types(e), labels.get(e.group, "")) for e in contents.get("email", [])],
        "url": [(u.value, types(u), labels.get(u.group, "")) for u in contents.get("url", [])],
        "adr": [
            (
                (a.value.box, a.value.extended, a.value.street, a.value.city),
                (a.value.region, a.value.code, a.value.country),
                types(a),
                labels.get(a.group, ""),
            )
            for a in contents.get("adr", [])
        ],
        "extras": sorted(extras),
    }


def _parsed_by_vobject(text: str) -> list[dict[str, Any]]:
    components = list(vobject.readComponents(text))
    photos = iter(_raw_photo_values(text))
    views = []
    for component in components:
        raw_photo = next(photos) if "photo" in component.contents else None
        views.append(_vobject_view(component, raw_photo))
        for _extra_photo in component.contents.get("photo", [])[1:]:
            next(photos)
    return views


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("file_name", sorted(TESTED_FIXTURES))
def test_every_fixture_exports_to_a_vcard_vobject_reads_back_the_same(
    file_name: str, version: VCardVersion
) -> None:
    # given the cards of a real export, their values checked above
    cards = _read_fixture(file_name)

    # when they are exported
    exported = write_vcards(cards, version)

    # then vobject finds the same values in the export, and so does our own reader
    assert f"VERSION:{version}\r\n" in exported
    assert _parsed_by_vobject(exported) == [_card_view(card) for card in cards]
    assert read_vcards(exported.encode("utf-8")).cards == cards


# --------------------------------------------------------------------------- encodings


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_line() -> None:
    data = b"\xef\xbb\xbf" + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:王五\r\nEND:VCARD\r\n".encode()

    result = read_vcards(data)

    assert [card.formatted_name for card in result.cards] == ["王五"]
    assert result.problems == []


def test_gb18030_input_is_recognised_when_it_is_not_utf8() -> None:
    # given 李四 in GB18030: C0 EE CB C4, which is not valid UTF-8
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:\xc0\xee;\xcb\xc4;;;\r\nEND:VCARD\r\n"

    (card,) = read_vcards(data).cards

    # then the name is read, and with no FN the display name is family + given, no space
    assert card.name == StructuredName("李", "四")
    assert card.formatted_name == "李四"


def test_a_quoted_printable_chinese_name_in_vcard_2_1() -> None:
    # given 张 = E5 BC A0 and 三 = E4 B8 89 in UTF-8, and the same in GB2312: D5 C5 / C8 FD
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=B8=89;;;\r\n"
        b"TEL;CELL;VOICE:13800138000\r\n"
        b"END:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=GB2312;QUOTED-PRINTABLE:=D5=C5;=C8=FD\r\n"
        b"END:VCARD\r\n"
    )

    first, second = read_vcards(data).cards

    assert first.name == second.name == StructuredName("张", "三")
    assert first.formatted_name == second.formatted_name == "张三"
    assert first.phones == [TypedValue("13800138000", ("cell", "voice"))]


def test_western_names_without_fn_are_given_name_first() -> None:
    data = b"BEGIN:VCARD\nVERSION:3.0\nN:Doe;John;;Dr.;\nEND:VCARD\n"

    (card,) = read_vcards(data).cards

    assert card.formatted_name == "Dr. John Doe"


def test_all_three_ways_of_writing_types_give_the_same_types() -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\n"
        b"TEL;TYPE=WORK,VOICE:1\r\n"
        b"TEL;TYPE=work;TYPE=voice:2\r\n"
        b"END:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:B\r\nTEL;WORK;VOICE:3\r\nEND:VCARD\r\n"
    )

    first, second = read_vcards(data).cards

    assert [p.types for p in first.phones + second.phones] == [("work", "voice")] * 3


def test_birthdays_without_a_year_and_photos_as_data_uri_or_url() -> None:
    # given 4.0 and 3.0 spellings of 3 February, a data: URI of the bytes "GIF89a" and a URL
    data = (
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nBDAY:--0203\r\n"
        b"PHOTO:data:image/gif;base64,R0lGODlh\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\nBDAY:--02-03\r\n"
        b"PHOTO;VALUE=uri:https://example.com/b.jpg\r\nEND:VCARD\r\n"
    )

    first, second = read_vcards(data).cards

    assert first.birthday == second.birthday == MonthDay(2, 3)
    assert first.photo == Photo(b"GIF89a", "image/gif")
    assert second.photo == Photo(url="https://example.com/b.jpg")


# --------------------------------------------------------------------------- bad cards


def test_a_bad_card_is_reported_by_number_and_the_good_ones_are_still_read() -> None:
    # given four cards: the second is never closed, the third has a line without a colon
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:One\r\nEND:VCARD\r\n"  # lines 1-4
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Two\r\n"  # lines 5-7, no END
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Three\r\nno colon here\r\nEND:VCARD\r\n"  # 8-12
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Four\r\nEND:VCARD\r\n"
    )

    result = read_vcards(data)

    # then card 2 is skipped, card 3 is read without line 11, and both are reported
    assert [card.formatted_name for card in result.cards] == ["One", "Three", "Four"]
    assert [card.number for card in result.cards] == [1, 3, 4]
    assert result.problems == [
        CardProblem(2, "The card does not end with END:VCARD; it was skipped.", True),
        CardProblem(3, "Line 11 is not a vCard property and was ignored.", False),
    ]


def test_a_truncated_file_reports_its_last_card() -> None:
    data = b"BEGIN:VCARD\nVERSION:3.0\nFN:One\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Tw"

    result = read_vcards(data)

    assert [card.formatted_name for card in result.cards] == ["One"]
    assert [(p.card_number, p.card_skipped) for p in result.problems] == [(2, True)]


# --------------------------------------------------------------------------- writing


def _tricky_card() -> Card:
    return Card(
        formatted_name="Smith, John; Jr.",
        name=StructuredName("Smith, Jr.", "John", ("Q.",), ("Dr.",), ("PhD", "MBA")),
        organisation=Organisation("Acme; Inc.", ("R&D, Shanghai",)),
        title="Head of \\ Sales",
        phones=[TypedValue("+86 21 1234,5678", ("work", "pref"), "总机")],
        emails=[TypedValue("张三@例子.cn", ("internet",))],
        addresses=[
            Address(
                street="浦东新区世纪大道100号\n20层",
                locality="上海",
                region="上海市",
                postal_code="200120",
                country="中国",
                types=("work",),
            )
        ],
        urls=[TypedValue("https://example.com/a?b=1&c=2", ("work",))],
        birthday=date(1990, 2, 28),
        note="第一行, 含逗号; 和分号\n第二行 \\n 不是换行",
        categories=["VIP, 重点", "Shanghai"],
        photo=Photo(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png"),
        uid="urn:uuid:5f3c1b2a-0000-4000-8000-000000000001",
    )


def test_escaping_in_the_exported_text() -> None:
    # given commas, semicolons, a backslash and line breaks in text values
    exported = write_vcards([_tricky_card()], "3.0")

    # then each is backslash-escaped as RFC 2426 section 5 asks, Chinese text left as is
    lines = exported.split("\r\n")
    assert "FN:Smith\\, John\\; Jr." in lines
    assert "N:Smith\\, Jr.;John;Q.;Dr.;PhD,MBA" in lines
    assert "ORG:Acme\\; Inc.;R&D\\, Shanghai" in lines
    assert "TITLE:Head of \\\\ Sales" in lines
    assert "CATEGORIES:VIP\\, 重点,Shanghai" in lines
    assert "BDAY:1990-02-28" in lines
    assert "item1.X-ABLABEL:总机" in lines
    assert "item1.TEL;TYPE=work,pref:+86 21 1234\\,5678" in lines


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_escaped_values_round_trip_through_vobject(version: VCardVersion) -> None:
    card = _tricky_card()

    exported = write_vcards([card], version)

    (parsed,) = _parsed_by_vobject(exported)
    assert parsed == _card_view(card)
    assert parsed["note"] == "第一行, 含逗号; 和分号\n第二行 \\n 不是换行"
    assert read_vcards(exported.encode("utf-8")).cards == [card]


def test_version_4_writes_pref_as_a_parameter_and_photos_as_data_uris() -> None:
    exported = write_vcards([_tricky_card()], "4.0")

    lines = exported.split("\r\n")
    assert "item1.TEL;PREF=1;TYPE=work:+86 21 1234\\,5678" in lines
    assert "BDAY:19900228" in lines
    photo = next(line for line in lines if line.startswith("PHOTO:"))
    assert photo.startswith("PHOTO:data:image/png;base64,iVBORw0KGgo")


def test_a_card_with_no_name_at_all_still_gets_the_required_fn_and_n() -> None:
    exported = write_vcards([Card(emails=[TypedValue("a@example.com")])])

    assert "FN:\r\n" in exported
    assert "N:;;;;\r\n" in exported


def test_text_between_cards_is_reported_and_a_doubled_end_is_not() -> None:
    data = b"BEGIN:VCARD\nVERSION:3.0\nFN:One\nEND:VCARD\nEND:VCARD\nstray words\n"

    result = read_vcards(data)

    assert [card.formatted_name for card in result.cards] == ["One"]
    assert result.problems == [
        CardProblem(None, "Line 6 is outside any card and was ignored.", False)
    ]
