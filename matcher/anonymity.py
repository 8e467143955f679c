"""The anonymisation guard: a profile carrying a direct identifier is refused whole.

Checked on the raw input object, before validation, in every key and every
value (free text included): names (``name``, ``first_name``, ``surname``,
``family``, ``given`` … keys; "Mr. John Smith", "patient name: Jane Doe" in
text), e-mail addresses, phone numbers, street addresses, full dates of birth
(a ``birth_date``/``dob`` key, or a full date next to "born"/"DOB"/"date of
birth"), national identification numbers (US SSN ``###-##-####``, French NIR
of 13–15 digits, UK NHS numbers of 10 digits, and any other run of 9 to 15
digits). The refusal names the field and the kind of identifier, never the
value, so it can be printed and logged safely.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from trialmatch.core.errors import IdentifierRefused

NAME_KEYS = frozenset(
    {
        "name",
        "names",
        "first_name",
        "firstname",
        "last_name",
        "lastname",
        "surname",
        "family",
        "family_name",
        "given",
        "given_name",
        "full_name",
        "fullname",
        "middle_name",
        "maiden_name",
        "patient_name",
        "nom",
        "prenom",
    }
)
BIRTH_KEYS = frozenset({"birth_date", "birthdate", "dob", "date_of_birth", "born", "birthday"})
CONTACT_KEYS = frozenset(
    {"email", "e_mail", "mail", "phone", "telephone", "tel", "mobile", "fax", "telecom"}
)
ADDRESS_KEYS = frozenset(
    {"address", "street", "street_address", "address_line", "addr", "line", "adresse"}
)
NATIONAL_ID_KEYS = frozenset(
    {
        "ssn",
        "social_security",
        "social_security_number",
        "nir",
        "nhs",
        "nhs_number",
        "national_id",
        "national_identifier",
        "insurance_number",
        "passport",
        "mrn",
        "medical_record_number",
        "identifier",
    }
)
_KEY_KINDS = (
    (NAME_KEYS, "a name"),
    (BIRTH_KEYS, "a date of birth"),
    (CONTACT_KEYS, "contact details"),
    (ADDRESS_KEYS, "a street address"),
    (NATIONAL_ID_KEYS, "a national identification number"),
)
_DATE = r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})"
_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"crossroad|terrace|square|sq|parkway|highway|hwy"
)
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "an e-mail address"),
    (re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])"), "a social security number"),
    (
        re.compile(
            r"(?<!\d)[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?!\d)"
        ),
        "a national identification number (NIR)",
    ),
    (re.compile(r"(?<!\d)\d{3}[ -]\d{3}[ -]\d{4}(?!\d)"), "a phone or NHS number"),
    (
        re.compile(
            r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,5}"
        ),
        "a phone number",
    ),
    (re.compile(r"(?<!\d)0\d(?:[\s.-]\d{2}){4}(?!\d)"), "a phone number"),
    (re.compile(r"\(\d{3}\)\s?\d{3}[\s.-]\d{4}"), "a phone number"),
    (re.compile(r"(?<!\d)\d{9,15}(?!\d)"), "a national identification number"),
    (
        re.compile(
            r"(?i:\b(?:born|dob|d\.o\.b\.?|date of birth|birth ?date|n[ée]e? le)\b)"
            rf"[\s:,-]*(?:on\s+)?{_DATE}"
        ),
        "a full date of birth",
    ),
    (
        re.compile(rf"\b\d{{1,5}}\s+(?:[A-Z][a-z]+\s+){{1,3}}(?i:{_STREET_WORDS})\b\.?"),
        "a street address",
    ),
    (
        re.compile(
            r"(?i:\b\d{1,5}(?:\s?(?:bis|ter))?,?\s+"
            r"(?:rue|avenue|boulevard|bd|chemin|impasse|all[ée]e|place|quai|route|cours)\b)"
        ),
        "a street address",
    ),
    (
        re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mme|Mlle|Dr|Monsieur|Madame)\.?\s+[A-Z][a-zA-Z'-]+"),
        "a name",
    ),
    (
        re.compile(r"(?i:\b(?:name|named|patient|nom)\b)\s*:?\s+[A-Z][a-z'-]+\s+[A-Z][a-zA-Z'-]+"),
        "a name",
    ),
)
# Numbers where long digit runs are measurements, not identifiers.
_NUMERIC_VALUE_FIELDS = frozenset({"value", "dose", "lat", "lon", "age", "max_travel_km"})


# Inside these lists a "name" key names the fact (a drug, a lab), not a person;
# its value is still searched for identifiers like any free text.
FACT_LISTS = frozenset(
    {"conditions", "medications", "past_medications", "observations", "allergies"}
)


def check_anonymous(data: Any, where: str = "") -> None:
    """Raise `IdentifierRefused` naming the first field that carries a direct identifier."""
    for path, key, value in _walk(data, ""):
        if key == "name" and path.split("[", 1)[0] in FACT_LISTS and "[" in path:
            kind = text_identifier_kind(value) if isinstance(value, str) else None
        else:
            kind = _identifier_kind(key, value)
        if kind is not None:
            raise IdentifierRefused(f"carries {kind}; profile refused", field=path, where=where)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key), item
            yield from _walk(item, child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            yield child, "", item
            yield from _walk(item, child)


def _identifier_kind(key: str, value: Any) -> str | None:
    normalized_key = re.sub(r"[\s-]+", "_", key.strip().lower())
    if _has_content(value):
        for keys, kind in _KEY_KINDS:
            if normalized_key in keys:
                return kind
    if isinstance(value, str):
        return text_identifier_kind(value)
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    if is_integer and normalized_key not in _NUMERIC_VALUE_FIELDS and abs(value) >= 10**8:
        return "a national identification number"
    return None


def text_identifier_kind(text: str) -> str | None:
    """The kind of direct identifier found in free *text*, or None."""
    for pattern, kind in _TEXT_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def _has_content(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return False
    return not isinstance(value, bool)
