"""What a customer can be found by: the search terms of a name, an e-mail address, a phone.

Pure functions, no database: the services, the rebuild command, the demo generator and the
benchmark all derive terms here, so they cannot disagree. A term is text a search may start
with (the search reads terms by prefix), so a substring such as 雄信 or `xiongxin` is found
through the suffixes stored beside the whole name. Every term is normalised the way a query
is: compatibility forms folded (full-width letters and digits), accents dropped, case folded,
white space removed.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from pypinyin import Style
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin

from salesflow.customers.models import CustomerKind

# Workspaces carry no country yet: numbers written without a country code are mainland ones.
PHONE_REGION = "CN"
# Longest term stored, in characters; a longer query is matched on its first characters.
TERM_LENGTH = 64
# How many suffixes of a name (by character or word) and of its pinyin are stored at most.
MAX_SUFFIXES = 8
# The tails of a phone number that find it, by their length: a number is read in groups
# (138 0013 8000, 021 5555 0100), the last eight digits from the second group on and the last
# four, the 尾号 people remember a number by. A query finds the tails it starts, so `0013`,
# `5555` and `8000` find theirs; a run of digits from inside a group does not.
PHONE_TAILS = (8, 4)
# Where a term ranks: the whole of a customer's own name, e-mail or phone before any part.
WHOLE, PART = 0, 1
# The A–Z index: a name not starting with a letter or a Chinese character is filed here.
OTHER_INITIAL = "#"
INITIALS = (*string.ascii_uppercase, OTHER_INITIAL)

# A company's legal form, which does not tell it apart: Chinese endings, longest first (removed
# from the end of a name one after another, 集团有限公司 is two), and words of other languages.
HAN_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
LATIN_SUFFIXES = frozenset(
    {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "plc",
        "gmbh",
        "group",
    }
)
# A Chinese legal form, or its end: 司 to 有限公司, and one before another (集团有限公司).
_HAN_SUFFIX_TAILS = {suffix[i:] for suffix in HAN_SUFFIXES for i in range(len(suffix))}
_HAN_LEGAL_FORMS = frozenset(
    {
        "",
        *_HAN_SUFFIX_TAILS,
        *(tail + suffix for tail in _HAN_SUFFIX_TAILS for suffix in HAN_SUFFIXES),
    }
)
_NOT_WORD = re.compile(r"[\W_]+")

# Surnames read differently from the character's everyday reading, and compound surnames
# (read as one unit, so 长孙 is zhǎngsūn, not chángsūn). Applied only to people's names.
SURNAMES: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge",),
    "乐": ("yue",),
    "覃": ("qin",),
    "缪": ("miao",),
    "翟": ("zhai",),
    "种": ("chong",),
    "召": ("shao",),
    "秘": ("bi",),
    "繁": ("po",),
    "员": ("yun",),
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "尉迟": ("yu", "chi"),
    "诸葛": ("zhu", "ge"),
    "上官": ("shang", "guan"),
    "皇甫": ("huang", "fu"),
    "令狐": ("ling", "hu"),
    "长孙": ("zhang", "sun"),
    "司徒": ("si", "tu"),
    "司空": ("si", "kong"),
    "东方": ("dong", "fang"),
    "夏侯": ("xia", "hou"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "宇文": ("yu", "wen"),
    "轩辕": ("xuan", "yuan"),
    "独孤": ("du", "gu"),
    "南宫": ("nan", "gong"),
    "西门": ("xi", "men"),
    "端木": ("duan", "mu"),
    "澹台": ("tan", "tai"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "呼延": ("hu", "yan"),
    "闻人": ("wen", "ren"),
    "赫连": ("he", "lian"),
    "钟离": ("zhong", "li"),
    "淳于": ("chun", "yu"),
    "濮阳": ("pu", "yang"),
    "拓跋": ("tuo", "ba"),
}
LONGEST_SURNAME = max(len(surname) for surname in SURNAMES)

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
# A mainland mobile number written as its eleven digits alone is its own national number:
# read so without parsing it, which costs phonenumbers about 11 µs.
PLAIN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
PHONE_LIKE = re.compile(r"[\d\s+\-().]*\d[\d\s+\-().]*")


def normalise(text: str) -> str:
    """Text as terms are stored and queries compared: folded, unaccented, lower case, no spaces."""
    return "".join(_folded(text).split())[:TERM_LENGTH]


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", bare).casefold()


@dataclass(frozen=True)
class Reading:
    """A name cut into units (a Chinese character, or a word of other letters), with the
    pinyin of each unit (a word is its own reading)."""

    units: tuple[str, ...]
    syllables: tuple[str, ...]

    @property
    def has_han(self) -> bool:
        return any(HAN.fullmatch(unit) for unit in self.units)

    @property
    def initials(self) -> str:
        return "".join(syllable[0] for syllable in self.syllables)


@lru_cache(maxsize=65536)
def read(name: str, *, person: bool) -> Reading:
    """How a name reads: a person's name starts with its surname's own reading."""
    text = " ".join(_folded(name).split())
    units: list[str] = []
    syllables: list[str] = []
    if person:
        for length in range(LONGEST_SURNAME, 0, -1):
            surname = SURNAMES.get(text[:length])
            if surname is not None:
                units.extend(text[:length])
                syllables.extend(surname)
                text = text[length:]
                break
    position = 0
    for run in HAN.finditer(text):
        _add_words(text[position : run.start()], units, syllables)
        units.extend(run.group())
        syllables.extend(_pinyin(run.group()))
        position = run.end()
    _add_words(text[position:], units, syllables)
    return Reading(tuple(units), tuple(syllables))


def _add_words(text: str, units: list[str], syllables: list[str]) -> None:
    words = text.split()
    units.extend(words)
    syllables.extend(words)


class _Converter(DefaultConverter):
    """pypinyin's own converter, remembering the reading of each word its segmenter cuts a
    name into (a phrase such as 有限公司, or one character): the conversion is half of
    pypinyin's time on a name otherwise, and names share their words (an import's 70,568 runs
    of Chinese characters held 423 different words). Its result is only read, never changed,
    so one list serves every name with that word."""

    def convert(
        self,
        words: str,
        style: Style,
        heteronym: bool,
        errors: Callable[[str], str] | str,
        strict: bool = True,
        **kwargs: Any,
    ) -> list[list[str]]:
        return _converted(words, style, heteronym, errors, strict)


_CONVERTER = _Converter()
_PINYIN = Pinyin(_CONVERTER)


@lru_cache(maxsize=65536)
def _converted(
    words: str, style: Style, heteronym: bool, errors: Callable[[str], str] | str, strict: bool
) -> list[list[str]]:
    return DefaultConverter.convert(_CONVERTER, words, style, heteronym, errors, strict)


def _pinyin(run: str) -> list[str]:
    """One syllable a character; read as a phrase, so 重庆 is chongqing."""
    syllables = _PINYIN.lazy_pinyin(run)
    if len(syllables) != len(run):  # a character pypinyin does not know stays as written
        syllables = [_PINYIN.lazy_pinyin(c)[0] for c in run]
    return [s.lower() for s in syllables]


def initial_of(name: str, *, person: bool) -> str:
    """The A–Z index letter of a name: its first pinyin letter, or '#'."""
    reading = read(name, person=person)
    first = reading.syllables[0][:1].upper() if reading.syllables else ""
    return first if first in string.ascii_uppercase else OTHER_INITIAL


def name_terms(name: str, *, person: bool) -> tuple[set[str], set[str]]:
    """The whole name, its pinyin and initials; and the suffixes of name and pinyin."""
    reading = read(name, person=person)
    units, syllables, han = reading.units, reading.syllables, reading.has_han
    whole = {"".join(units)}
    if han:
        whole |= {"".join(syllables), reading.initials}
    parts: set[str] = set()
    last = len(units) if person else legal_form_start(units)
    for start in range(1, min(last, MAX_SUFFIXES + 1)):
        parts.add("".join(units[start:]))
        if han:
            parts.add("".join(syllables[start:]))
    return whole, parts


def legal_form_start(units: Sequence[str]) -> int:
    """Where a company's legal form starts among the units of its name (有限公司, 集团有限公司,
    `Co., Ltd.`, punctuation around them); the number of units if it has none. A part of the
    name from there on is left out of its terms: nearly every company would be found by it,
    as a search for 公司 would list them all, and these parts were a tenth of all terms. The
    first unit always stays, so a name that is only a legal form keeps its own."""
    start, text, words = len(units), "", True
    while start > 1:
        bare = _NOT_WORD.sub("", units[start - 1])
        words = words and (not bare or bare in LATIN_SUFFIXES)
        if not (words or bare + text in _HAN_LEGAL_FORMS):
            break
        start, text = start - 1, bare + text
    return start


def email_terms(email: str) -> tuple[set[str], set[str]]:
    """The whole address; its local part and its domain."""
    address = normalise(email)
    if not address:
        return set(), set()
    local, _at, domain = address.partition("@")
    return {address}, {local, domain} - {""}


def phone_digits(phone: str, region: str = PHONE_REGION) -> str:
    """A phone number's national significant number: +86 138 0013 8000 is 13800138000.

    A number that cannot be read as one (too short, an extension written in words) keeps
    its digits as written, so a search for a run of digits still finds it.
    """
    return _phone_digits(phone, region)


@lru_cache(maxsize=65536)
def parsed_phone(phone: str, region: str = PHONE_REGION) -> phonenumbers.PhoneNumber | None:
    """The number as phonenumbers reads it, or None. Remembered, as parsing costs more than
    anything else about a number: an import reads each row's number for its match key, its
    duplicate key and its search terms. (Called always with both arguments, which the cache
    would otherwise tell apart.)"""
    try:
        return phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None


def plain_mobile(phone: str, region: str) -> bool:
    """Whether the text is a mainland mobile number as its eleven digits alone, which is read
    without phonenumbers (its own national number, +86 before it in E.164)."""
    return region == "CN" and PLAIN_MOBILE.fullmatch(phone) is not None


@lru_cache(maxsize=65536)
def _phone_digits(phone: str, region: str) -> str:
    if plain_mobile(phone, region):
        return phone  # what phonenumbers makes of it too (tests/services/test_search.py)
    number = parsed_phone(phone, region)
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.national_significant_number(number)
    return "".join(c for c in unicodedata.normalize("NFKC", phone) if c.isdigit())


def phone_terms(phone: str, region: str = PHONE_REGION) -> tuple[set[str], set[str]]:
    """The national number; and its tails of PHONE_TAILS digits, for a number remembered by
    its groups after the first."""
    digits = phone_digits(phone, region)
    if not digits:
        return set(), set()
    return {digits}, {digits[-length:] for length in PHONE_TAILS if len(digits) > length}


def query_term(text: str, region: str = PHONE_REGION) -> str:
    """What a search box's text is compared with: a phone number in any format becomes its
    national digits; anything else is normalised like a name."""
    text = text.strip()
    if PHONE_LIKE.fullmatch(text):
        return phone_digits(text, region)[:TERM_LENGTH]
    return normalise(text)


@dataclass(frozen=True)
class ContactText:
    name: str
    phones: Sequence[str] = ()
    emails: Sequence[str] = ()


def customer_terms(
    *,
    kind: str,
    name: str,
    phone: str,
    email: str,
    contacts: Iterable[ContactText] = (),
    region: str = PHONE_REGION,
) -> dict[str, int]:
    """Every term of a customer and its contacts, each with its best rank.

    The customer's own name, e-mail address and phone number rank WHOLE; their parts and
    everything of its contacts (name with its pinyin, e-mail addresses, phone numbers) PART.
    """
    ranked = dict(own_terms(kind, name, phone, email, region))
    for contact in contacts:
        _add(ranked, name_terms(contact.name, person=True)[0], PART)
        for address in contact.emails:
            _add(ranked, email_terms(address)[0], PART)
        for number in contact.phones:
            _add(ranked, phone_terms(number, region)[0], PART)
    return ranked


@lru_cache(maxsize=65536)
def own_terms(
    kind: str, name: str, phone: str, email: str, region: str
) -> tuple[tuple[str, int], ...]:
    """The terms of a customer's own name, e-mail address and phone number, with their ranks.
    Remembered, as an import works them out for the next batch while writing one (every
    argument is passed by position, always all of them, so that one call is one key)."""
    ranked: dict[str, int] = {}
    for whole, parts in (
        name_terms(name, person=kind == CustomerKind.PERSON),
        email_terms(email),
        phone_terms(phone, region),
    ):
        _add(ranked, whole, WHOLE)
        _add(ranked, parts, PART)
    return tuple(ranked.items())


def _add(ranked: dict[str, int], terms: Iterable[str], rank: int) -> None:
    """Add terms (cut to TERM_LENGTH), keeping each one's best (lowest) rank."""
    for text in terms:
        term = text[:TERM_LENGTH]
        if term and ranked.get(term, PART + 1) > rank:
            ranked[term] = rank
