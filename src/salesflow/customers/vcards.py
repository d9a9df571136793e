"""Reading and writing vCards (2.1, 3.0 and 4.0) for importing and exporting customers.

Pure: plain dataclasses in and out, no database, so an import can show what a file holds
before anything is written. Phones and address books export vCards loosely (bare 2.1 type
parameters, quoted-printable in odd charsets, CR CR LF line ends, unfolded kilobyte lines),
so reading is lenient: one unreadable card is reported with its number and the others
still come through, and every property we do not model is kept as an extra.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

import vobject
from django.utils.translation import gettext
from vobject.base import ContentLine, ParseError, backslashEscape, parseLine

VCardVersion = Literal["3.0", "4.0"]
Params = tuple[tuple[str, tuple[str, ...]], ...]


class TypedValue(NamedTuple):
    """A phone number, e-mail address or web address with its TYPE values in lower case.

    `label` is the free text an address book attached through a property group
    (`item1.TEL` + `item1.X-ABLabel`); Apple wraps its built-in labels as `_$!<Mobile>!$_`.
    """

    value: str
    types: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class StructuredName:
    family: str = ""
    given: str = ""
    additional: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not any((self.family, self.given, self.additional, self.prefixes, self.suffixes))


@dataclass(frozen=True)
class Organisation:
    name: str = ""
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Address:
    po_box: str = ""
    extended: str = ""
    street: str = ""
    locality: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    types: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class MonthDay:
    """A birthday without a year (`--MMDD`), which address books allow and `date` cannot hold."""

    month: int
    day: int


@dataclass(frozen=True)
class Photo:
    """Either inline bytes with their media type, or a URL to fetch (never fetched here)."""

    data: bytes = b""
    media_type: str = ""
    url: str = ""


@dataclass(frozen=True)
class ExtraProperty:
    """A property kept as read, value still escaped, so exporting it again loses nothing."""

    name: str
    value: str
    params: Params = ()
    group: str = ""


@dataclass
class Card:
    formatted_name: str = ""
    name: StructuredName | None = None
    organisation: Organisation | None = None
    title: str = ""
    role: str = ""
    phones: list[TypedValue] = field(default_factory=list)
    emails: list[TypedValue] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    urls: list[TypedValue] = field(default_factory=list)
    birthday: date | MonthDay | None = None
    note: str = ""
    categories: list[str] = field(default_factory=list)
    photo: Photo | None = None
    uid: str = ""
    extras: list[ExtraProperty] = field(default_factory=list)
    # 1-based position in the file it was read from, so problems can point at it.
    number: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CardProblem:
    """Something the reader could not take over; `card_number` is None for the whole file."""

    card_number: int | None
    reason: str
    card_skipped: bool


@dataclass
class ReadResult:
    cards: list[Card]
    problems: list[CardProblem]


# --------------------------------------------------------------------------- reading


def read_vcards(data: bytes) -> ReadResult:
    """Read every card in `data`; problems are collected, never raised, so one bad card
    does not cost the user the rest of the file."""
    text, replaced = _decode_file(data)
    problems: list[CardProblem] = []
    if replaced:
        problems.append(
            CardProblem(
                None,
                gettext(
                    "The file is neither UTF-8 nor GB18030 text; "
                    "unreadable characters were replaced."
                ),
                card_skipped=False,
            )
        )
    cards: list[Card] = []
    for number, lines, closed in _split_cards(_logical_lines(text), problems):
        if not closed:
            problems.append(
                CardProblem(
                    number,
                    gettext("The card does not end with END:VCARD; it was skipped."),
                    card_skipped=True,
                )
            )
            continue
        card, card_problems = _read_card(number, lines)
        cards.append(card)
        problems.extend(card_problems)
    return ReadResult(cards, problems)


def _decode_file(data: bytes) -> tuple[str, bool]:
    """BOM first, then strict UTF-8, then GB18030 (Chinese Windows and phone exports)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), False
    return _decode_bytes(data)


def _decode_bytes(data: bytes, charset: str = "") -> tuple[str, bool]:
    """Decode with a declared charset, else guess; the flag says characters were replaced."""
    if charset:
        try:
            return data.decode(charset), False
        except LookupError:
            pass
        except UnicodeDecodeError:
            return data.decode(charset, errors="replace"), True
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), False
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), True


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfold lines, joining folded lines and quoted-printable soft line breaks.

    Line ends are normalised first because real files mix CRLF, bare LF and CR CR LF.
    A blank line ends a value, which is how 2.1 ends base64 and quoted-printable data.
    """
    current: str | None = None
    start = 0
    soft_break = False
    for number, line in enumerate(re.split(r"\r*\n|\r", text), start=1):
        if soft_break and current is not None:
            current = current[:-1] + line
            soft_break = bool(line) and current.endswith("=")
            continue
        if not line.strip():
            if current is not None:
                yield start, current
            current = None
            continue
        if line[0] in " \t" and current is not None:
            current += line[1:]
        else:
            if current is not None:
                yield start, current
            current, start = line, number
        soft_break = current.endswith("=") and _is_quoted_printable(current)
    if current is not None:
        yield start, current


def _is_quoted_printable(line: str) -> bool:
    return "QUOTED-PRINTABLE" in line.partition(":")[0].upper()


_BEGIN = re.compile(r"\s*BEGIN\s*:\s*VCARD\s*", re.IGNORECASE)
_END = re.compile(r"\s*END\s*:\s*VCARD\s*", re.IGNORECASE)


def _split_cards(
    lines: Iterable[tuple[int, str]], problems: list[CardProblem]
) -> Iterator[tuple[int, list[tuple[int, str]], bool]]:
    """Yield (card number, lines, closed) per BEGIN:VCARD.

    A BEGIN before the previous END means the previous card was cut off: it is yielded as
    not closed and the new card starts. Stray END lines (some exports write two) are ignored.
    """
    number = 0
    card: list[tuple[int, str]] | None = None
    for line_number, line in lines:
        if _BEGIN.fullmatch(line):
            if card is not None:
                yield number, card, False
            number += 1
            card = []
        elif _END.fullmatch(line):
            if card is not None:
                yield number, card, True
            card = None
        elif card is not None:
            card.append((line_number, line))
        else:
            problems.append(
                CardProblem(
                    None,
                    gettext("Line %(line)d is outside any card and was ignored.")
                    % {"line": line_number},
                    card_skipped=False,
                )
            )
    if card is not None:
        yield number, card, False


@dataclass
class _Property:
    name: str
    group: str
    params: dict[str, list[str]]
    value: str  # still backslash-escaped; quoted-printable already decoded


_ENCODING_WORDS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}


def _parse_property(line: str) -> tuple[_Property, bool]:
    """Parse one logical line with vobject; the flag says characters had to be replaced."""
    name, raw_params, value, group = parseLine(line)
    params: dict[str, list[str]] = {}
    for param in raw_params:
        if len(param) == 1:
            # vCard 2.1 bare parameters (`TEL;WORK;VOICE`) are TYPE values, or an encoding.
            bare = param[0].upper()
            key = "ENCODING" if bare in _ENCODING_WORDS else "TYPE"
            params.setdefault(key, []).append(param[0])
        else:
            params.setdefault(param[0].upper(), []).extend(param[1:])
    replaced = False
    encodings = [v.upper() for v in params.get("ENCODING", [])]
    if "QUOTED-PRINTABLE" in encodings:
        raw = quopri.decodestring(value.encode("utf-8"))
        charset = (params.pop("CHARSET", None) or [""])[0]
        value, replaced = _decode_bytes(raw, charset)
        # Decoded line breaks become escapes so the value reads like any other line.
        value = re.sub(r"\r\n|\r|\n", r"\\n", value)
        del params["ENCODING"]
    # The whole file is text by now, so a CHARSET no longer describes anything.
    params.pop("CHARSET", None)
    return _Property(name.upper(), group or "", params, value), replaced


_ESCAPES = {"n": "\n", "N": "\n", "\\": "\\", ",": ",", ";": ";", ":": ":"}


def _unescape(raw: str) -> str:
    """Undo vCard text escaping; `\\:` is Apple's, unknown escapes stay as written."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), raw)


def _split(raw: str, separator: str) -> list[str]:
    """Split at separators that are not backslash-escaped, leaving escapes in the parts."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            current.append(raw[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _fields(raw: str, count: int) -> list[str]:
    parts = _split(raw, ";")
    return parts + [""] * (count - len(parts))


def _values(raw: str) -> tuple[str, ...]:
    return tuple(v for v in (_unescape(p).strip() for p in _split(raw, ",")) if v)


def _types(prop: _Property) -> tuple[str, ...]:
    """TYPE values from `TYPE=a,b`, repeated `TYPE=`, and bare 2.1 parameters, lower case.

    vCard 4.0 says "preferred" with PREF=1; it becomes the `pref` type 2.1 and 3.0 use.
    """
    types: list[str] = []
    for value in prop.params.get("TYPE", []):
        types.extend(t.strip().lower() for t in value.split(",") if t.strip())
    if "1" in prop.params.get("PREF", []):
        types.append("pref")
    # `pref` goes last, so 2.1 `EMAIL;PREF;WORK`, 3.0 `TYPE=work,pref` and 4.0 `PREF=1` agree.
    unique = dict.fromkeys(types)
    return tuple(sorted(unique, key=lambda kind: kind == "pref"))


_TYPED = {"TEL", "EMAIL", "URL", "ADR"}


def _read_card(number: int, lines: list[tuple[int, str]]) -> tuple[Card, list[CardProblem]]:
    card = Card(number=number)
    problems: list[CardProblem] = []
    properties: list[_Property] = []
    replaced = False
    for line_number, line in lines:
        try:
            prop, prop_replaced = _parse_property(line)
        except ParseError:
            problems.append(
                CardProblem(
                    number,
                    gettext("Line %(line)d is not a vCard property and was ignored.")
                    % {"line": line_number},
                    card_skipped=False,
                )
            )
            continue
        replaced = replaced or prop_replaced
        properties.append(prop)
    if replaced:
        problems.append(
            CardProblem(
                number,
                gettext("Some characters could not be decoded and were replaced."),
                card_skipped=False,
            )
        )

    typed_groups = {p.group.lower() for p in properties if p.group and p.name in _TYPED}
    labels = {
        p.group.lower(): _unescape(p.value)
        for p in properties
        if p.name == "X-ABLABEL" and p.group.lower() in typed_groups
    }
    for prop in properties:
        if prop.name == "X-ABLABEL" and prop.group.lower() in typed_groups:
            continue
        label = labels.get(prop.group.lower(), "")
        if prop.name == "VERSION":
            continue
        reader = _READERS.get(prop.name)
        if reader is None or not reader(card, prop, label):
            card.extras.append(_extra(prop))
    if not card.formatted_name:
        card.formatted_name = display_name(card.name, card.organisation)
    # Order between different properties means nothing in a vCard; sorting by name (as
    # vobject writes them) makes a card read back from an export equal to the original.
    card.extras.sort(key=lambda extra: extra.name.lower())
    return card, problems


def _extra(prop: _Property) -> ExtraProperty:
    # Sorted like vobject writes them, so an exported extra reads back equal.
    params = tuple(sorted((key, tuple(values)) for key, values in prop.params.items()))
    return ExtraProperty(prop.name, prop.value, params, prop.group)


def _read_fn(card: Card, prop: _Property, label: str) -> bool:
    value = _unescape(prop.value)
    if card.formatted_name:
        return False
    card.formatted_name = value
    return True


def _read_n(card: Card, prop: _Property, label: str) -> bool:
    if card.name is not None:
        return False
    family, given, additional, prefixes, suffixes = _fields(prop.value, 5)[:5]
    name = StructuredName(
        _unescape(family),
        _unescape(given),
        _values(additional),
        _values(prefixes),
        _values(suffixes),
    )
    card.name = None if name.is_empty() else name
    return True


def _read_org(card: Card, prop: _Property, label: str) -> bool:
    if card.organisation is not None:
        return False
    name, *units = (_unescape(part) for part in _split(prop.value, ";"))
    while units and not units[-1]:
        units.pop()
    if name or units:
        card.organisation = Organisation(name, tuple(units))
    return True


def _text_reader(attribute: str) -> Callable[[Card, _Property, str], bool]:
    def read(card: Card, prop: _Property, label: str) -> bool:
        if getattr(card, attribute):
            return False
        setattr(card, attribute, _unescape(prop.value))
        return True

    return read


def _read_tel(card: Card, prop: _Property, label: str) -> bool:
    value = _unescape(prop.value).strip()
    if value.lower().startswith("tel:"):
        value = value[len("tel:") :]
    card.phones.append(TypedValue(value, _types(prop), label))
    return True


def _read_email(card: Card, prop: _Property, label: str) -> bool:
    value = _unescape(prop.value).strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    card.emails.append(TypedValue(value, _types(prop), label))
    return True


def _read_url(card: Card, prop: _Property, label: str) -> bool:
    card.urls.append(TypedValue(_unescape(prop.value).strip(), _types(prop), label))
    return True


def _read_adr(card: Card, prop: _Property, label: str) -> bool:
    po_box, extended, street, locality, region, postal_code, country = (
        _unescape(part) for part in _fields(prop.value, 7)[:7]
    )
    card.addresses.append(
        Address(
            po_box,
            extended,
            street,
            locality,
            region,
            postal_code,
            country,
            types=_types(prop),
            label=label,
        )
    )
    return True


def _read_categories(card: Card, prop: _Property, label: str) -> bool:
    card.categories.extend(_values(prop.value))
    return True


def _read_bday(card: Card, prop: _Property, label: str) -> bool:
    if card.birthday is not None:
        return False
    card.birthday = parse_birthday(
        _unescape(prop.value).strip(), prop.params.get("X-APPLE-OMIT-YEAR", [""])[0]
    )
    return card.birthday is not None


def _read_photo(card: Card, prop: _Property, label: str) -> bool:
    if card.photo is not None:
        return False
    card.photo = _photo(prop)
    return card.photo is not None


_READERS: dict[str, Callable[[Card, _Property, str], bool]] = {
    "FN": _read_fn,
    "N": _read_n,
    "ORG": _read_org,
    "TITLE": _text_reader("title"),
    "ROLE": _text_reader("role"),
    "NOTE": _text_reader("note"),
    "UID": _text_reader("uid"),
    "TEL": _read_tel,
    "EMAIL": _read_email,
    "URL": _read_url,
    "ADR": _read_adr,
    "CATEGORIES": _read_categories,
    "BDAY": _read_bday,
    "PHOTO": _read_photo,
}


def parse_birthday(value: str, omitted_year: str = "") -> date | MonthDay | None:
    """`1980-03-21`, `19800321` (time ignored), `--0203`, `--02-03`; None if not a day.

    Apple writes yearless birthdays as a placeholder year named by X-APPLE-OMIT-YEAR.
    """
    if match := re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?", value):
        year, month, day = (int(part) for part in match.groups())
        if omitted_year and match.group(1) == omitted_year:
            return _month_day(month, day)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    if match := re.fullmatch(r"--(\d{2})-?(\d{2})", value):
        return _month_day(int(match.group(1)), int(match.group(2)))
    return None


def _month_day(month: int, day: int) -> MonthDay | None:
    try:
        date(2000, month, day)  # a leap year, so 29 February is a valid birthday
    except ValueError:
        return None
    return MonthDay(month, day)


_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
)


def _photo(prop: _Property) -> Photo | None:
    """Inline base64 (2.1 `ENCODING=BASE64`, 3.0 `ENCODING=b`), a 4.0 `data:` URI, or a URL."""
    value = prop.value.strip()
    encodings = {v.upper() for v in prop.params.get("ENCODING", [])}
    declared = _media_type(prop)
    if encodings & {"B", "BASE64"}:
        data = _base64(value)
        if data is None:
            return None
        return Photo(data, declared or _sniff(data))
    if value.lower().startswith("data:"):
        header, comma, payload = value[len("data:") :].partition(",")
        if not comma:
            return None
        media_type, *flags = header.split(";")
        if "base64" in (flag.lower() for flag in flags):
            decoded = _base64(payload)
        else:
            decoded = urllib.parse.unquote_to_bytes(payload)
        if decoded is None:
            return None
        return Photo(decoded, media_type.lower() or declared or _sniff(decoded))
    url = _unescape(value)
    if not url:
        return None
    return Photo(url=url, media_type=declared)


def _media_type(prop: _Property) -> str:
    for declared in prop.params.get("MEDIATYPE", []) + prop.params.get("TYPE", []):
        kind = declared.strip().lower()
        if "/" in kind:
            return kind
        if kind.isalpha():
            return f"image/{kind}"
    return ""


def _sniff(data: bytes) -> str:
    return next((kind for magic, kind in _IMAGE_SIGNATURES if data.startswith(magic)), "")


def _base64(text: str) -> bytes | None:
    """Lenient like other readers: a dangling last character (seen in Android exports) is
    dropped rather than losing the whole photo."""
    compact = re.sub(r"[\s=]+", "", text).translate(str.maketrans("-_", "+/"))
    if len(compact) % 4 == 1:
        compact = compact[:-1]
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]+")


def display_name(name: StructuredName | None, organisation: Organisation | None) -> str:
    """The name to show when a card has no FN: from N, else from ORG.

    Chinese (and other CJK) names are written family name first without a space: 张三.
    """
    if name is not None and (name.family or name.given):
        if _CJK.fullmatch(name.family + name.given):
            return name.family + name.given
        parts = [*name.prefixes, name.given, *name.additional, name.family, *name.suffixes]
        return " ".join(part for part in parts if part)
    if organisation is not None:
        return organisation.name or " ".join(organisation.units)
    return ""


# --------------------------------------------------------------------------- writing


def write_vcards(cards: Iterable[Card], version: VCardVersion = "3.0") -> str:
    """Serialise cards as vCard 3.0 or 4.0 (CRLF line ends, UTF-8 text)."""
    if version not in ("3.0", "4.0"):
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    return "".join(_component(card, version).serialize(validate=False) for card in cards)


def _component(card: Card, version: VCardVersion) -> vobject.base.Component:
    component = vobject.vCard()
    _add_raw(component, "VERSION", version)
    _add_text(component, "FN", card.formatted_name)
    name = card.name or (StructuredName() if version == "3.0" else None)  # 3.0 requires N
    if name is not None:
        component.add("n").value = vobject.vcard.Name(
            family=name.family,
            given=name.given,
            additional=list(name.additional),
            prefix=list(name.prefixes),
            suffix=list(name.suffixes),
        )
    if card.organisation is not None:
        component.add("org").value = [card.organisation.name, *card.organisation.units]
    for attribute, property_name in (
        ("title", "TITLE"),
        ("role", "ROLE"),
        ("note", "NOTE"),
        ("uid", "UID"),
    ):
        if value := getattr(card, attribute):
            _add_text(component, property_name, value)

    groups = _groups(card.extras)
    for phone in card.phones:
        line = _add_text(component, "TEL", phone.value)
        _type_line(
            component, line, types=phone.types, label=phone.label, version=version, groups=groups
        )
    for email in card.emails:
        line = _add_text(component, "EMAIL", email.value)
        _type_line(
            component, line, types=email.types, label=email.label, version=version, groups=groups
        )
    for url in card.urls:
        line = _add_raw(component, "URL", url.value)  # a URI: commas are not escaped
        _type_line(
            component, line, types=url.types, label=url.label, version=version, groups=groups
        )
    for address in card.addresses:
        line = component.add("adr")
        line.value = vobject.vcard.Address(
            box=address.po_box,
            extended=address.extended,
            street=address.street,
            city=address.locality,
            region=address.region,
            code=address.postal_code,
            country=address.country,
        )
        _type_line(
            component,
            line,
            types=address.types,
            label=address.label,
            version=version,
            groups=groups,
        )

    if card.birthday is not None:
        _add_raw(component, "BDAY", _birthday_text(card.birthday, version))
    if card.categories:
        _add_raw(component, "CATEGORIES", ",".join(backslashEscape(c) for c in card.categories))
    if card.photo is not None:
        _add_photo(component, card.photo, version)
    for extra in card.extras:
        line = _add_raw(component, extra.name, extra.value)
        line.isNative = False  # kept as read: no structured value for vobject to join
        line.group = extra.group or None
        for key, values in extra.params:
            line.params[key] = [v.replace('"', "") for v in values]
    return component


def _add_text(component: vobject.base.Component, name: str, value: str) -> ContentLine:
    """A text line: vobject backslash-escapes commas, semicolons and line breaks."""
    line = component.add(name.lower())
    line.value = value
    return line


def _add_raw(component: vobject.base.Component, name: str, value: str) -> ContentLine:
    """A line whose value is already in its final form (URIs, dates, kept extras)."""
    line = component.add(name.lower())
    line.value = value
    line.encoded = True
    return line


def _groups(extras: Iterable[ExtraProperty]) -> Iterator[str]:
    """Fresh `itemN` group names for labels, skipping groups the kept extras use."""
    taken = {extra.group.lower() for extra in extras if extra.group}
    number = 0
    while True:
        number += 1
        if f"item{number}" not in taken:
            yield f"item{number}"


def _type_line(
    component: vobject.base.Component,
    line: ContentLine,
    *,
    types: tuple[str, ...],
    label: str,
    version: VCardVersion,
    groups: Iterator[str],
) -> None:
    kept = list(types)
    if version == "4.0" and "pref" in kept:
        kept.remove("pref")
        line.params["PREF"] = ["1"]
    if kept:
        line.params["TYPE"] = kept
    if label:
        line.group = next(groups)
        _add_text(component, "X-ABLABEL", label).group = line.group


def _birthday_text(birthday: date | MonthDay, version: VCardVersion) -> str:
    if isinstance(birthday, MonthDay):
        if version == "4.0":
            return f"--{birthday.month:02d}{birthday.day:02d}"
        return f"--{birthday.month:02d}-{birthday.day:02d}"
    return birthday.strftime("%Y%m%d" if version == "4.0" else "%Y-%m-%d")


def _add_photo(component: vobject.base.Component, photo: Photo, version: VCardVersion) -> None:
    if not photo.data:
        line = _add_raw(component, "PHOTO", photo.url)
        if version == "3.0":
            line.params["VALUE"] = ["uri"]
        elif photo.media_type:
            line.params["MEDIATYPE"] = [photo.media_type]
        return
    encoded = base64.b64encode(photo.data).decode("ascii")
    if version == "4.0":
        media_type = photo.media_type or "application/octet-stream"
        _add_raw(component, "PHOTO", f"data:{media_type};base64,{encoded}")
        return
    line = _add_raw(component, "PHOTO", encoded)
    line.params["ENCODING"] = ["b"]
    if photo.media_type.startswith("image/"):
        line.params["TYPE"] = [photo.media_type.removeprefix("image/").upper()]
