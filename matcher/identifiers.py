"""Direct identifiers in free text: `identifier_kind(text)` names the first kind found.

Each detector takes the text normalised (NFKC, format characters removed)
and returns a kind or None. National numbers are confirmed by their check
digits (python-stdnum), phone numbers by their numbering plans
(phonenumbers). What is and is not caught is written in `matcher.anonymity`.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable

import phonenumbers
from stdnum import iban
from stdnum.be import nn as belgian_nn
from stdnum.ca import sin as canadian_sin
from stdnum.ch import ssn as swiss_ahv
from stdnum.de import idnr as german_idnr
from stdnum.dk import cpr as danish_cpr
from stdnum.es import dni as spanish_dni
from stdnum.es import nie as spanish_nie
from stdnum.fr import nir as french_nir
from stdnum.gb import nhs as uk_nhs
from stdnum.it import codicefiscale as italian_cf
from stdnum.se import personnummer as swedish_pn
from stdnum.us import ssn as us_ssn

from matcher import identifier_words as words

NAME = "a name"
RECORD_NUMBER = "a medical record or hospital number"
BIRTH_DATE = "a date of birth"
PHONE = "a phone number"
EMAIL = "an e-mail address"
URL = "a web address"
IP_ADDRESS = "an IP address"
STREET = "a street address"
POSTCODE = "a postcode"
NATIONAL_ID = "a national identification number"
BANK_ACCOUNT = "a bank account number"
LONG_NUMBER = "a long number that may identify a person"

Detector = Callable[[str], str | None]
_I = re.IGNORECASE

_EMAIL = re.compile(
    r"[\w.+-]+\s?(?:@|\(at\)|\[at\]|\{at\})\s?[\w-]+(?:\s?(?:\.|\(dot\)|\[dot\])\s?[\w-]+)*"
    r"\s?(?:\.|\(dot\)|\[dot\])\s?[a-z]{2,}\b",
    _I,
)
_URL = re.compile(
    r"\b(?:https?|ftp|sftp|file)://|\bwww\d?\.[\w-]+|"
    r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|org|net|edu|gov|info|io|fr|de|es|uk|eu|be|ch|it|nl|at|ca|us|pt|lu)/",
    _I,
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])", _I)


def _email(text: str) -> str | None:
    return EMAIL if _EMAIL.search(text) else None


def _url(text: str) -> str | None:
    return URL if _URL.search(text) else None


def _ip_address(text: str) -> str | None:
    for match in _IPV4.finditer(text):
        if all(int(part) <= 255 for part in match.group().split(".")):
            return IP_ADDRESS
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if candidate.count(":") < 2 or not re.search(r"[0-9a-f]", candidate, _I):
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        return IP_ADDRESS
    return None


# (pattern, validator, label): a match the validator accepts is that national number
_SEP = r"[\s.\-]?"
_NATIONAL_NUMBERS: tuple[tuple[re.Pattern[str], Callable[[str], bool], str], ...] = (
    (
        re.compile(
            rf"(?<![\w])[12]{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}(?:\d{{2}}|2[AB]){_SEP}\d{{3}}"
            rf"{_SEP}\d{{3}}{_SEP}\d{{2}}(?![\w])",
            _I,
        ),
        french_nir.is_valid,
        "French NIR",
    ),
    (re.compile(r"(?<![\d])\d{3}[\s\-]?\d{3}[\s\-]?\d{4}(?!\d)"), uk_nhs.is_valid, "UK NHS number"),
    (re.compile(r"(?<![\d\-])\d{3}-\d{2}-\d{4}(?![\d\-])"), lambda _: True, "US SSN"),
    (re.compile(r"(?<!\d)\d{3} \d{2} \d{4}(?!\d)"), us_ssn.is_valid, "US SSN"),
    (re.compile(r"(?<![\w])\d{8}[\s\-]?[A-Z](?![\w])", _I), spanish_dni.is_valid, "Spanish DNI"),
    (
        re.compile(r"(?<![\w])[XYZ][\s\-]?\d{7}[\s\-]?[A-Z](?![\w])", _I),
        spanish_nie.is_valid,
        "Spanish NIE",
    ),
    (
        re.compile(r"(?<![\w])[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z](?![\w])", _I),
        italian_cf.is_valid,
        "Italian codice fiscale",
    ),
    (
        re.compile(rf"(?<![\d])\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{2}}(?!\d)"),
        belgian_nn.is_valid,
        "Belgian national number",
    ),
    (
        re.compile(r"(?<!\d)756[.\s]?\d{4}[.\s]?\d{4}[.\s]?\d{2}(?!\d)"),
        swiss_ahv.is_valid,
        "Swiss AHV number",
    ),
    (
        re.compile(r"(?<!\d)\d{2}\s?\d{3}\s?\d{3}\s?\d{3}(?!\d)"),
        german_idnr.is_valid,
        "German tax id",
    ),
    (
        re.compile(r"(?<!\d)\d{6}[\-+]\d{4}(?!\d)"),
        lambda found: danish_cpr.is_valid(found) or swedish_pn.is_valid(found),
        "Nordic personal number",
    ),
    (
        re.compile(r"(?<!\d)\d{3}[\s\-]\d{3}[\s\-]\d{3}(?!\d)"),
        canadian_sin.is_valid,
        "Canadian SIN",
    ),
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
_UNIT_AFTER = re.compile(rf"\s*(?:[x×*]\s*10|/|%|‰|\^|(?:{words.UNITS})\b)", _I)
_NUMBER_TOKEN = r"[A-Z]{0,4}[-/]?(?:\d[\s.\-/]?){5,}\d"
_LABELLED = r"[\s:#°=.\-]*(?:n[°o]\.?|nr\.?|number|num|nummer|n[úu]mero)?[\s:#°=.\-]*"
_RECORD = re.compile(rf"\b(?:{words.RECORD_WORDS})\b{_LABELLED}{_NUMBER_TOKEN}", _I)
_NATIONAL_LABELLED = re.compile(rf"\b(?:{words.NATIONAL_ID_WORDS})\b{_LABELLED}{_NUMBER_TOKEN}", _I)
_LONG_DIGITS = re.compile(r"(?<![\w.,:/])\d{9,}(?![\w.,])")


def _measured(text: str, end: int) -> bool:
    """Whether a unit follows the number ending at *end* (then it is a measurement)."""
    return bool(_UNIT_AFTER.match(text, end))


def _after_country_code(text: str, start: int) -> bool:
    """A number after "+34 " is a phone number, whatever else its digits could be."""
    return re.search(r"\+\d{1,3}[\s.\-]?$", text[max(0, start - 6) : start]) is not None


def _code_label_before(text: str, start: int) -> bool:
    before = re.findall(r"[\w]+", text[max(0, start - 24) : start].lower())
    return bool(before) and before[-1] in words.CODE_LABELS


def _national_number(text: str) -> str | None:
    for pattern, is_valid, label in _NATIONAL_NUMBERS:
        for match in pattern.finditer(text):
            if _measured(text, match.end()) or _code_label_before(text, match.start()):
                continue
            if _after_country_code(text, match.start()):
                continue
            if is_valid(match.group()):
                return f"{NATIONAL_ID} ({label})"
    for match in _IBAN.finditer(text):
        if iban.is_valid(match.group()):
            return BANK_ACCOUNT
    if _NATIONAL_LABELLED.search(text):
        return NATIONAL_ID
    return None


def _record_number(text: str) -> str | None:
    return RECORD_NUMBER if _RECORD.search(text) else None


def _long_number(text: str) -> str | None:
    for match in _LONG_DIGITS.finditer(text):
        if not _measured(text, match.end()) and not _code_label_before(text, match.start()):
            return LONG_NUMBER
    return None


_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|er|e|º|°|\.)?"
_YEAR = r"(?:1[89]\d{2}|20\d{2})"
_MONTH = rf"(?:{words.MONTHS})\.?"
_DATE_IN_WORDS = (
    rf"{_DAY}\s*(?:of\s+|de\s+)?{_MONTH},?\s*(?:de\s+|del\s+)?{_YEAR}|{_MONTH}\s*{_DAY},?\s*{_YEAR}"
)
_NUMERIC_DATE = (
    r"(?<!\d)(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}|\d{8})"
    r"(?!\d)"
)
_MONTH_YEAR = (
    rf"{_MONTH}\s*,?\s*(?:de\s+)?{_YEAR}|(?<!\d)(?:0?[1-9]|1[0-2])[/.\-]{_YEAR}|"
    rf"{_YEAR}[/.\-](?:0[1-9]|1[0-2])(?!\d)"
)
_FILLER = r"(?:\s*(?:[:,\-–]|\bon\b|\bthe\b|\ble\b|\bdu\b|\bam\b|\bden\b|\bel\b|\bin\b|\bwas\b))*"
_BIRTH = re.compile(
    rf"(?<![\w-])(?:{words.BIRTH_WORDS}){_FILLER}\s*(?:{_DATE_IN_WORDS}|{_NUMERIC_DATE}|{_MONTH_YEAR})",
    _I,
)


def _birth_date(text: str) -> str | None:
    return BIRTH_DATE if _BIRTH.search(text) else None


_PHONE_REGIONS = ("FR", "GB", "DE", "ES", "US", "BE", "CH", "IT", "NL", "PT")
_PHONE_SHAPES = re.compile(
    r"(?<![\d])(?:\(\d{3}\)\s?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?!\d)|"
    r"(?<!\d)0[1-9](?:[\s.\-]?\d{2}){4}(?!\d)"
)
_PHONE_LABELLED = re.compile(
    rf"\b(?:{words.PHONE_WORDS})\b\.?[\s:#°.\-]*(?P<number>\+?\(?\d[\d\s().\-/]{{4,}}\d)", _I
)


def _phone(text: str) -> str | None:
    for match in _PHONE_LABELLED.finditer(text):
        if sum(char.isdigit() for char in match.group("number")) >= 6:
            return PHONE
    for match in _PHONE_SHAPES.finditer(text):
        if not _measured(text, match.end()):
            return PHONE
    if sum(char.isdigit() for char in text) < 7:
        return None
    for region in _PHONE_REGIONS:
        for found in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
            if not _measured(text, found.end):
                return PHONE
    return None


_STREET_EN = re.compile(
    rf"(?<![\w.,])\d{{1,5}}[a-z]?,?\s+(?P<names>(?:[a-z][\w'’\-]*\s+){{1,3}})"
    rf"(?P<street>{words.STREET_WORDS_EN})\b",
    _I,
)
_STREET_FR = re.compile(
    rf"(?<![\w.,])\d{{1,4}}\s?(?:bis|ter|b|t)?,?\s+(?P<street>{words.STREET_WORDS_FR})\.?\s+"
    r"(?:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')?(?P<next>[^\W\d_][\w'’\-]*)",
    _I,
)
_DE_SUFFIXES = words.STREET_SUFFIXES_DE.replace(".", r"\.")
_ES_WORDS = words.STREET_WORDS_ES.replace(".", r"\.")
# the number after the street, as in Belgium and Switzerland: "Rue du Moulin 4"
_STREET_FR_NUMBER_AFTER = re.compile(
    r"(?<![\w])(?i:rue|avenue|boulevard|chemin|quai|all[ée]e|impasse|place)\s+"
    r"(?:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')?[A-ZÀ-Ý][\w'’\-]+(?:\s+[\w'’\-]+){0,3},?\s*"
    r"\d{1,4}\b"
)
_STREET_DE = re.compile(
    rf"\b[A-ZÄÖÜ][\wäöüß\-]*(?:{_DE_SUFFIXES})\s*\d{{1,4}}\s?[a-z]?\b"
    rf"|\b[A-ZÄÖÜ][\wäöüß\-]+\s+(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm)\s*\d{{1,4}}\b"
)
_STREET_ES = re.compile(
    rf"(?<![\w])(?i:{_ES_WORDS})\s*(?:de\s+(?:la\s+|los\s+|las\s+)?"
    r"|del\s+)?[A-ZÁÉÍÓÚÑ][\wáéíóúñ]+(?:\s+[\wáéíóúñ]+){0,3},?\s*(?:n[º°o]\.?\s*)?\d{1,4}\b"
)
_PO_BOX = re.compile(rf"\b(?:{words.PO_BOX})\s*\d{{1,6}}\b", _I)


def _street(text: str) -> str | None:
    for match in _STREET_EN.finditer(text):
        if _english_street(match):
            return STREET
    for match in _STREET_FR.finditer(text):
        street = words.folded(match.group("street"))
        following = match.group("next")
        if street not in words.AMBIGUOUS_STREET_FR or following[:1].isupper():
            return STREET
    for pattern in (_STREET_FR_NUMBER_AFTER, _STREET_DE, _STREET_ES, _PO_BOX):
        if pattern.search(text):
            return STREET
    return None


def _english_street(match: re.Match[str]) -> bool:
    names = match.group("names").split()
    if any(words.folded(name) in words.NOT_STREET_NAMES for name in names):
        return False
    street = match.group("street")
    if words.folded(street) not in words.AMBIGUOUS_STREET_EN:
        return True
    return street[:1].isupper() and all(name[:1].isupper() for name in names)


_UK_POSTCODE = re.compile(
    r"(?<![\w])(?P<area>[A-Z]{1,2})\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}(?![\w])", _I
)
_US_ZIP = re.compile(rf"\b(?:{words.US_STATES})\s+\d{{5}}(?:-\d{{4}})?\b")
_CANADIAN = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] \d[ABCEGHJ-NPRSTV-Z]\d\b")
_TNM = re.compile(r"^T[0-4X]", _I)
_TOWN_AFTER_CODE = re.compile(r"(?<![\w.,])\d{5}\s+(?P<town>[A-ZÀ-Ý][A-Za-zÀ-ÿ'\-]{2,})(?!\s*/)")
_POSTCODE_LABELLED = re.compile(
    rf"\b(?:{words.POSTCODE_WORDS})\b[\s:#.\-]*[A-Z0-9]*\d[A-Z0-9]*(?:\s?[A-Z0-9]{{3}})?", _I
)


def _postcode(text: str) -> str | None:
    for match in _UK_POSTCODE.finditer(text):
        if match.group("area").upper() in words.UK_POSTCODE_AREAS:
            return POSTCODE
    if _US_ZIP.search(text):
        return POSTCODE
    for match in _CANADIAN.finditer(text):
        if not _TNM.match(match.group()):
            return POSTCODE
    for match in _TOWN_AFTER_CODE.finditer(text):
        if words.folded(match.group("town")) not in words.NOT_TOWNS:
            return POSTCODE
    for match in _POSTCODE_LABELLED.finditer(text):
        if sum(char.isdigit() for char in match.group()) >= 4:
            return POSTCODE
    return None


_NAME_WORD = r"[^\W\d_][\w'’\-]*"
_TITLED = re.compile(
    rf"(?<![\w])(?P<title>{words.TITLES})(?P<stop>\.?)\s+(?:[A-Z]\.\s*){{0,2}}(?P<name>{_NAME_WORD})",
    _I,
)
_MONSIEUR_INITIAL = re.compile(r"(?<![\w.])M\.\s*(?P<name>[A-ZÀ-Ý][\w'’\-]+)")
_LABELLED_NAME = re.compile(
    rf"(?<![\w])(?P<label>{words.NAME_PHRASES}|{words.NAME_LABELS})(?![\w])\s*(?P<colon>[:\-–])?\s*"
    rf"(?:[A-Z]\.\s*)?(?P<name>{_NAME_WORD})(?:\s+(?P<second>{_NAME_WORD}))?",
    _I,
)


def _name(text: str) -> str | None:
    for match in _TITLED.finditer(text):
        if _titled_name(match):
            return NAME
    for match in _MONSIEUR_INITIAL.finditer(text):
        if not _common_word(match.group("name")):
            return NAME
    start = 0
    # a label's name may be the next label ("patient name: Jane"): search again after each label
    while (labelled := _LABELLED_NAME.search(text, start)) is not None:
        if _labelled_name(text, labelled):
            return NAME
        start = labelled.end("label")
    return None


def _titled_name(match: re.Match[str]) -> bool:
    title, name = match.group("title"), match.group("name")
    if not match.group("stop"):
        if len(title) > 1 and title.isupper():
            return False  # DR, PR, MS, MR: clinical abbreviations
        if title.islower() and title in words.LOWER_CASE_CLINICAL_TITLES:
            return False
    return len(name) > 1 and not _common_word(name)


def _labelled_name(text: str, match: re.Match[str]) -> bool:
    name = match.group("name")
    if _common_word(name):
        return False
    before = re.findall(r"\w+", text[max(0, match.start() - 20) : match.start()].lower())
    if before and before[-1] in words.PRODUCT_WORDS:
        return False  # "brand name Xanax"
    if match.group("colon"):
        return True  # "médecin traitant: Lambert" names a person even if a disease bears it
    if words.folded(name) in words.eponyms() or _not_name_shaped(name):
        return False
    if name[:1].isupper() and not name.isupper():
        return True
    # an all-capitals surname only with a first name after it ("DUPONT Jean")
    second = match.group("second") or ""
    return len(name) > 2 and name.isupper() and second[:1].isupper() and not second.isupper()


# Endings of English words that are no surname's ("Declined", "Assessment", "Haematologist").
_WORD_ENDINGS = re.compile(r"(?:ed|ment|tion|sion|ness|ogy|ist|ity|ive|ous|able|ible)$", _I)


def _not_name_shaped(word: str) -> bool:
    """A word no surname looks like: digits in it ("Covid-19"), a lower-case part after a
    hyphen ("Non-smoker"), or the ending of an English word of six letters or more."""
    if any(char.isdigit() for char in word):
        return True
    if any(part[:1].islower() for part in word.split("-")[1:]):
        return True
    return len(word) >= 6 and _WORD_ENDINGS.search(word) is not None


def _common_word(word: str) -> bool:
    return words.folded(word.strip("'’-")) in words.not_names()


DETECTORS: tuple[Detector, ...] = (
    _email,
    _url,
    _ip_address,
    _national_number,
    _record_number,
    _birth_date,
    _phone,
    _street,
    _postcode,
    _name,
    _long_number,
)


def normalised(text: str) -> str:
    """NFKC (full-width digits, non-breaking spaces) without invisible format characters."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def identifier_kind(text: str) -> str | None:
    """The kind of the first direct identifier found in *text*, or None."""
    prepared = normalised(text)
    for detect in DETECTORS:
        kind = detect(prepared)
        if kind is not None:
            return kind
    return None
