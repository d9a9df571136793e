"""Names, companies, phone numbers and addresses that look like real ones."""

from __future__ import annotations

import random
from dataclasses import dataclass

from salesflow.demo.vocabulary import (
    BRANDS,
    ENGLISH_BRANDS,
    ENGLISH_FIRST_NAMES,
    ENGLISH_LAST_NAMES,
    GIVEN_CHARACTERS,
    MOBILE_PREFIXES,
    ROADS,
    SURNAMES,
    City,
    Industry,
)

# Common surnames are far more common: weight by rank.
SURNAME_WEIGHTS = tuple(1000 // (rank + 4) for rank in range(len(SURNAMES)))
TWO_CHARACTER_GIVEN_SHARE = 0.7
ENGLISH_COMPANY_SUFFIXES = ("Ltd.", "Inc.", "Group", "Co.")


@dataclass(frozen=True)
class Person:
    """A person's name as shown, its parts, and the local part of a work e-mail address."""

    full: str
    family: str
    given: str
    mail_name: str


def person_name(rng: random.Random, chinese: bool, *, hanzi: bool = True) -> Person:
    """A Chinese name (in characters, or in pinyin when `hanzi` is false) or an English one."""
    if not chinese:
        first, last = rng.choice(ENGLISH_FIRST_NAMES), rng.choice(ENGLISH_LAST_NAMES)
        return Person(f"{first} {last}", last, first, f"{first}.{last}".lower())
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    length = 2 if rng.random() < TWO_CHARACTER_GIVEN_SHARE else 1
    given = [rng.choice(GIVEN_CHARACTERS) for _ in range(length)]
    given_pinyin = "".join(c.pinyin for c in given)
    mail_name = f"{given_pinyin}.{surname.pinyin}"
    if hanzi:
        given_text = "".join(c.zh for c in given)
        return Person(surname.zh + given_text, surname.zh, given_text, mail_name)
    family, first = surname.pinyin.title(), given_pinyin.title()
    return Person(f"{family} {first}", family, first, mail_name)


@dataclass(frozen=True)
class Company:
    name: str
    short: str
    domain: str


def company_name(
    rng: random.Random, industry: Industry, city: City, *, chinese: bool, hanzi: bool
) -> Company:
    """A registered company name, the short name people use, and its web domain."""
    word = rng.choice(industry.name_words)
    if not chinese:
        brand = rng.choice(ENGLISH_BRANDS)
        noun = word.text(False)
        domain = f"{brand}{noun}.com".lower()
        suffix = "(China) Co., Ltd." if hanzi else rng.choice(ENGLISH_COMPANY_SUFFIXES)
        return Company(f"{brand} {noun} {suffix}", f"{brand} {noun}", domain)
    brand_word = rng.choice(BRANDS)
    domain = f"{brand_word.pinyin}-{industry.domain_word}.cn"
    if not hanzi:
        short = f"{brand_word.pinyin.title()} {word.text(False)}"
        return Company(f"{city.name.text(False)} {short} Co., Ltd.", short, domain)
    short = brand_word.zh + word.zh
    if rng.random() < 0.25:
        return Company(f"{short}股份有限公司", short, domain)
    return Company(f"{city.name.zh.removesuffix('市')}{short}有限公司", short, domain)


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number with a prefix that is in use."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, city: City) -> str:
    return f"{city.area_code}-{rng.randint(2, 8)}{rng.randrange(10**7):07d}"


def address(rng: random.Random, city: City, *, hanzi: bool) -> str:
    road = rng.choice(ROADS)
    number = rng.randint(1, 999)
    if hanzi:
        province = "" if city.province.zh == city.name.zh else city.province.zh
        return f"{province}{city.name.zh}{road.zh}{number}号"
    return f"No. {number} {road.pinyin.title()} Road, {city.region(False)}"
