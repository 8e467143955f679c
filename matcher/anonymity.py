"""The anonymisation guard: a profile carrying a direct identifier is refused whole.

`check_anonymous` reads the raw input object, before validation, in every
key and every value, free text included, and raises `IdentifierRefused`
naming the field and the kind of identifier, never the value. A field name
that is not one of the profile format's (nor a known identifier word) is
named "(unknown field)", since a key can itself be a name.

What it looks for (English, French, German and Spanish wording; any case;
spaces, dots or dashes as separators):

* fields named for an identifier, with any content: name, first/last name,
  nom, prénom, Vorname, apellido, …; birth date, DOB, date de naissance,
  Geburtsdatum, …; e-mail, phone, fax, …; address, street, postcode, zip,
  city, …; SSN, NIR, NHS number, passport, …; MRN, IPP, hospital number, …;
  URL, IP address, photo;
* names after a title (Dr, Pr, Prof, Mr, Mrs, Ms, Mme, Mlle, M., Monsieur,
  Madame, Herr, Frau, Sr., Sra., …; "prescribed by dr moreau" in lower case)
  or a label (patient, name, nom, née, geb., physician, médecin traitant,
  seen by, adressé par, …) followed by a capitalised word (any word after a
  colon) that is not a listed common or clinical word (``data/not_names.txt``)
  nor, after a label without a colon, a listed eponym (``data/eponyms.txt``)
  or a word shaped like an English one (digits, "Non-smoker", endings -ed,
  -ment, -tion, -ist, -ive, -ous, -able …);
* medical record and hospital numbers: MRN, IPP, NIP, NDA, dossier, hospital
  number, patient ID, Fallnummer, historia clínica, … followed by a number
  of six digits or more;
* dates of birth: born, DOB, né(e) (le), date de naissance, geb., geboren,
  nacido, fecha de nacimiento, … followed by a numeric date, a date with a
  month name ("3 March 1961", "12 juin 1949", "3. März 1961", "3 de marzo
  de 1961") or a month and year;
* phone numbers valid in the numbering plans of FR, GB, DE, ES, US, BE, CH,
  IT, NL, PT or written with a + country code (phonenumbers), North American
  and French shapes, and any number of six digits or more after tel, phone,
  fax, portable, Handy, teléfono, …;
* e-mail addresses (also "name (at) host (dot) org"), URLs (with a scheme,
  www., or a domain followed by a path) and IPv4/IPv6 addresses;
* street addresses: a house number with an English, French or Spanish street
  word (12 Baker Street, 12 rue de la Paix, Calle Mayor 12), German streets
  (Hauptstraße 5), PO boxes; postcodes: UK postcodes of a real area, US
  state + ZIP, Canadian postcodes, five digits before a town name, and a
  code after "code postal", "PLZ", "zip", …;
* national numbers confirmed by their check digits (python-stdnum): French
  NIR, UK NHS number, US SSN (any ###-##-#### too), Spanish DNI and NIE,
  Italian codice fiscale, Belgian national number, Swiss AHV, German tax id,
  Danish CPR and Swedish personnummer, Canadian SIN, IBAN; and any number of
  six digits or more after NIR, sécurité sociale, SSN, NHS, DNI, passport, …;
* any other run of nine digits or more, unless a unit follows ("12000000000
  /L", "1200000 copies/mL") or a code label precedes it (CIP13, NDC, SNOMED);
* identifying profile ids: besides all of the above, an id holding six
  digits in a row (a record number), a date, or the shape of an e-mail
  local part or a name ("jean.dupont", "j_smith").

What it cannot catch: a name without a title or a label ("seen with Moreau",
"DUPONT" alone), a name that is also a listed common word after a title
("Dr White"), a record number of fewer than six digits or with no label and
fewer than nine digits, a date of birth without a birth word ("1961-03-03"
alone is taken as the date of a clinical event), a year of birth (allowed,
as Safe Harbor allows it), a town or region named without a postcode, an
address without a house number, relatives' or carers' names after family
words, identifiers in languages other than the four above, pictures, and
anything rare enough to identify a person by itself (a rare disease in a
small town). A listed eponym after a label is kept ("patient Hodgkin"), and
so is a surname shaped like an English word ("nurse Reed" is caught,
"patient Mitchell-smith" is not).

What it may refuse wrongly: a capitalised clinical word after "patient" or a
role that the lists do not hold ("patient Smoldering myeloma"; write it in
lower case), and integers of nine digits or more outside the numeric fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from matcher.identifier_words import folded, word_set
from matcher.identifiers import identifier_kind
from trialmatch.core.errors import IdentifierRefused
from trialmatch.core.patient import TOP_LEVEL_KEYS

UNKNOWN_FIELD = "(unknown field)"

_KEY_KINDS: dict[str, frozenset[str]] = {
    "a name": word_set(
        "name names first_name firstname last_name lastname surname family family_name given "
        "given_name given_names full_name fullname middle_name maiden_name maiden patient_name "
        "patientname name_of_patient initials alias nickname nom prenom nom_de_famille "
        "nom_de_naissance nom_d_usage nom_de_jeune_fille vorname nachname familienname "
        "geburtsname nombre apellido apellidos spouse next_of_kin emergency_contact "
        "contact_name physician doctor gp practitioner medecin medecin_traitant "
        "referring_physician arzt hausarzt medico"
    ),
    "a date of birth": word_set(
        "birth_date birthdate dob date_of_birth born birthday birth date_naissance "
        "date_de_naissance ddn naissance geburtsdatum geburtstag fecha_nacimiento "
        "fecha_de_nacimiento"
    ),
    "contact details": word_set(
        "email e_mail mail courriel phone telephone tel mobile cell portable handy telefon "
        "telefono movil fax telecom contact pager"
    ),
    "a street address": word_set(
        "address street street_address address_line addr line adresse rue strasse anschrift "
        "direccion domicile residence"
    ),
    "a postcode": word_set(
        "postcode post_code postal_code zip zipcode zip_code code_postal cp plz postleitzahl "
        "codigo_postal"
    ),
    "a town": word_set("city town ville commune stadt ort ciudad municipio county"),
    "a national identification number": word_set(
        "ssn social_security social_security_number nir insee numero_secu secu nss nhs "
        "nhs_number nino national_insurance_number national_id national_identifier "
        "insurance_number versichertennummer kvnr steuer_id dni nie nif passport "
        "driver_license drivers_license driving_licence tax_id"
    ),
    "a medical record or hospital number": word_set(
        "mrn medical_record_number record_number hospital_number ipp nip nda patient_number "
        "patient_id chart_number case_number encounter identifier identifiers account "
        "account_number iban"
    ),
    "a web or IP address": word_set("url website homepage ip ip_address"),
    "a photograph or biometric": word_set("photo photograph picture face biometric fingerprint"),
}
IDENTIFIER_KEYS = frozenset(key for keys in _KEY_KINDS.values() for key in keys)
_PROFILE_KEYS = TOP_LEVEL_KEYS | word_set(
    "text name code system active since dose unit until value date lat lon"
)
# Inside these lists a "name" key names the fact (a drug, a lab), not a person;
# its value is still searched for identifiers like any free text.
FACT_LISTS = frozenset(
    {"conditions", "medications", "past_medications", "observations", "allergies"}
)
# Numbers where long digit runs are measurements, not identifiers.
_NUMERIC_VALUE_FIELDS = frozenset({"value", "dose", "lat", "lon", "age", "max_travel_km"})
_RECORD_DIGITS = re.compile(r"\d{6,}")
_DATE_IN_ID = re.compile(
    r"(?<!\d)(?:(?:19|20)\d{2}[-._]?(?:0[1-9]|1[0-2])[-._]?(?:0[1-9]|[12]\d|3[01])|"
    r"(?:0[1-9]|[12]\d|3[01])[-._](?:0[1-9]|1[0-2])[-._](?:19|20)?\d{2})(?!\d)"
)
_LOCAL_PART = re.compile(r"^[a-z]{1,20}(?:[._][a-z]{2,30})+\d{0,4}$", re.IGNORECASE)


def check_anonymous(data: Any, where: str = "") -> None:
    """Raise `IdentifierRefused` naming the first field that carries a direct identifier."""
    for path, key, value in _walk(data, [], ""):
        kind = _identifier_kind(path, key, value)
        if kind is not None:
            field = _label(path)
            raise IdentifierRefused(f"carries {kind}; profile refused", field=field, where=where)


def text_identifier_kind(text: str) -> str | None:
    """The kind of direct identifier found in free *text*, or None."""
    return identifier_kind(text)


def id_identifier_kind(value: Any) -> str | None:
    """Why a profile id identifies its patient, or None for a pseudonym."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    found = identifier_kind(text)
    if found is not None:
        return f"an identifying profile id ({found})"
    if _RECORD_DIGITS.search(text):
        return "an identifying profile id (six digits or more in a row: a record number)"
    if _DATE_IN_ID.search(text):
        return "an identifying profile id (a date)"
    if _LOCAL_PART.match(text) and any(char.islower() for char in text):
        return "an identifying profile id (shaped like an e-mail address or a name)"
    return None


FieldPath = list[str]


def _walk(value: Any, path: FieldPath, key: str) -> Iterator[tuple[FieldPath, str, Any]]:
    if isinstance(value, Mapping):
        for child_key, item in value.items():
            child = [*path, str(child_key)]
            yield child, str(child_key), item
            yield from _walk(item, child, str(child_key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            child = [*path, f"[{index}]"]
            yield child, key, item
            yield from _walk(item, child, key)


def _identifier_kind(path: FieldPath, key: str, value: Any) -> str | None:
    if path == ["id"]:
        return id_identifier_kind(value)
    if path[-1].startswith("["):
        key = ""  # an item of a list: its value is read, the list's name was checked
    normalized_key = _normalized_key(key)
    key_kind = _text_kind(key) if key and normalized_key not in _PROFILE_KEYS else None
    if key_kind is not None:
        return key_kind
    if _has_content(value) and not _is_fact_name(path):
        for kind, keys in _KEY_KINDS.items():
            if normalized_key in keys:
                return kind
    if isinstance(value, str):
        return _text_kind(value)
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    if is_integer and normalized_key not in _NUMERIC_VALUE_FIELDS and abs(value) >= 10**8:
        return "a long number that may identify a person"
    return None


def _text_kind(text: str) -> str | None:
    return identifier_kind(text) if text.strip() else None


def _is_fact_name(path: FieldPath) -> bool:
    """A "name" inside a fact list ("medications[0].name") is the fact's text."""
    return len(path) >= 3 and path[-1] == "name" and path[0] in FACT_LISTS


def _normalized_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", folded(key.strip())).strip("_")


def _label(path: FieldPath) -> str:
    """The field's path, each key that is neither a profile field nor an identifier
    word shown as "(unknown field)"."""
    parts: list[str] = []
    for part in path:
        known = part.startswith("[") or _normalized_key(part) in _PROFILE_KEYS | IDENTIFIER_KEYS
        text = part if known else UNKNOWN_FIELD
        parts.append(text if text.startswith("[") or not parts else f".{text}")
    return "".join(parts)


def _has_content(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return False
    return not isinstance(value, bool)
