"""FHIR R4 Bundles (``fhir.resources.R4B``) to anonymised profile objects.

Only what the profile format allows is kept:

* Patient: ``birthDate`` becomes the age in whole years at import, ``gender``
  the sex, the address's geolocation extension a coarse location (the
  profile keeps two decimals, about 1 km). Names, identifiers, telecom, the
  address lines and the birth date itself are never read. The pseudonym is
  an HMAC-SHA-256 of the resource id (which exports often fill with the
  medical record number) under the installation's secret, so nobody without
  the secret can recompute it from the id.
* Condition: text, code (ICD-10-CM codes keep their system), clinical status
  (active, recurrence, relapse = active), onset month.
* MedicationStatement / MedicationRequest: active ones are current
  medications, completed/stopped ones past medications; the generic name is
  the medication's text up to its strength or brand ("Clonazepam [Klonopin]").
  A daily dose is kept when the dosage states it in mg.
* Observation: quantities (and components, as blood pressure) under their
  canonical measurement name from the LOINC code; date.
* AllergyIntolerance: the substance's text.

A bundle is taken as the patient's complete record, so the condition,
medication and allergy lists are present (closed world) even when empty.
An active pregnancy condition sets ``pregnant``; otherwise it is not recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pydantic
from fhir.resources.R4B.bundle import Bundle

from trialmatch.core.errors import ProfileError
from trialmatch.core.pseudonyms import PseudonymKey

LOINC_FILE = Path(__file__).resolve().parent / "data" / "loinc.json"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
ICD10_SYSTEM_URLS = {
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "http://hl7.org/fhir/sid/icd-10": "icd10",
}
ACTIVE_CLINICAL = frozenset({"active", "recurrence", "relapse"})
PREGNANCY_WORDS = ("pregnan",)
_STRENGTH = re.compile(r"\s*(?:\[|\d|\().*$")
RELEVANT = frozenset(
    {
        "Patient",
        "Condition",
        "MedicationStatement",
        "MedicationRequest",
        "Observation",
        "AllergyIntolerance",
    }
)


@cache
def _loinc() -> dict[str, str]:
    data: dict[str, Any] = json.loads(LOINC_FILE.read_text(encoding="utf-8"))
    codes: dict[str, str] = data["codes"]
    return codes


def profile_entry_from_bundle(
    document: Mapping[str, Any],
    where: str,
    pseudonyms: PseudonymKey | None,
    today: date | None = None,
) -> tuple[str, dict[str, Any] | ProfileError]:
    """(where, raw profile object) for the bundle's one patient, or a ProfileError."""
    try:
        if pseudonyms is None:
            raise ProfileError(
                "no pseudonym key given: a FHIR patient's pseudonym is derived with the "
                "installation's secret (setting secret_file)",
                field="Patient.id",
            )
        return where, _profile_object(document, pseudonyms, today or date.today())
    except ProfileError as exc:
        return where, exc


def _profile_object(
    document: Mapping[str, Any], pseudonyms: PseudonymKey, today: date
) -> dict[str, Any]:
    bundle = _validated(document)
    resources = [entry.resource for entry in bundle.entry or [] if entry.resource is not None]
    patients = [res for res in resources if res.get_resource_type() == "Patient"]
    if len(patients) != 1:
        found = sorted(_resource_types(document)) or ["no resources"]
        expected = "exactly one Patient resource" if patients else "a Patient resource"
        raise ProfileError(
            f"expected {expected} in the bundle (found {', '.join(found)})", field="entry"
        )
    data = _patient_part(patients[0], pseudonyms, today)
    kinds: dict[str, list[Any]] = {}
    for res in resources:
        kinds.setdefault(res.get_resource_type(), []).append(res)
    data["conditions"] = [_condition(res) for res in kinds.get("Condition", [])]
    data["conditions"] = [item for item in data["conditions"] if item]
    current, past = _medications(
        [*kinds.get("MedicationStatement", []), *kinds.get("MedicationRequest", [])]
    )
    data["medications"], data["past_medications"] = current, past
    observations = [obs for res in kinds.get("Observation", []) for obs in _observations(res)]
    data["observations"] = _latest_per_name(observations)
    data["allergies"] = [a for a in map(_allergy, kinds.get("AllergyIntolerance", [])) if a]
    if data.get("sex") == "female" and _pregnant(kinds.get("Condition", [])):
        data["pregnant"] = True
    return data


def _resource_types(document: Mapping[str, Any]) -> set[str]:
    types = set()
    for entry in document.get("entry") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping):
            types.add(str(entry["resource"].get("resourceType")))
    return types


def _validated(document: Mapping[str, Any]) -> Bundle:
    # only the resources a profile uses are validated: a bundle's claims and
    # encounters are not ours to judge
    entries = [
        entry
        for entry in document.get("entry") or []
        if isinstance(entry, Mapping)
        and (entry.get("resource") or {}).get("resourceType") in RELEVANT
    ]
    kept = {"resourceType": "Bundle", "type": document.get("type", "collection"), "entry": entries}
    try:
        return Bundle.model_validate(kept)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        location = list(error["loc"])
        if len(location) >= 2 and location[0] == "entry" and isinstance(location[1], int):
            # the resource's type, never its id: a Patient.id is often the record number
            resource = entries[location[1]].get("resource", {})
            place = f"entry of {resource.get('resourceType')}"
            location = location[2:]
        else:
            place = "bundle"
        if error["type"] == "extra_forbidden":
            location = [*location[:-1], "(unknown field)"]  # a key can itself be a name
        field = ".".join(str(part) for part in location) or None
        raise ProfileError(
            f"invalid FHIR in {place}: {_safe_message(error)}", field=field
        ) from None


def _safe_message(error: Any) -> str:
    """Pydantic's message, unless it quotes the invalid value; then only the error's type."""
    message = str(error.get("msg", ""))
    value = error.get("input")
    quoted = [str(value)] if isinstance(value, str | int | float) else []
    if isinstance(value, Mapping):
        quoted = [str(item) for item in value.values() if isinstance(item, str | int | float)]
    if any(text and text in message for text in quoted):
        return str(error.get("type", "invalid value"))
    return message


def _patient_part(patient: Any, pseudonyms: PseudonymKey, today: date) -> dict[str, Any]:
    if getattr(patient, "deceasedBoolean", None) or getattr(patient, "deceasedDateTime", None):
        raise ProfileError("the patient is deceased; not imported", field="Patient.deceased")
    if not patient.id:
        raise ProfileError("expected an id to derive the pseudonym from", field="Patient.id")
    data: dict[str, Any] = {"id": pseudonyms.pseudonym("FHIR-", str(patient.id), kind="fhir")}
    if patient.birthDate is not None:
        born = patient.birthDate
        data["age"] = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if patient.gender in ("female", "male"):
        data["sex"] = patient.gender
    location = _coarse_location(patient)
    if location is not None:
        data["location"] = location
    return data


def _coarse_location(patient: Any) -> dict[str, float] | None:
    for address in patient.address or []:
        for extension in address.extension or []:
            if extension.url != GEOLOCATION:
                continue
            parts = {part.url: part.valueDecimal for part in extension.extension or []}
            if parts.get("latitude") is not None and parts.get("longitude") is not None:
                # the profile record keeps two decimals, whatever precision is given here
                return {"lat": float(parts["latitude"]), "lon": float(parts["longitude"])}
    return None


def _concept_text(concept: Any) -> str | None:
    if concept is None:
        return None
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        if coding.display:
            return str(coding.display)
    return None


def _month(value: Any) -> str | None:
    return None if value is None else str(value)[:7]


def _condition(resource: Any) -> dict[str, Any] | None:
    text = _concept_text(resource.code)
    if text is None:
        return None
    item: dict[str, Any] = {"text": _without_tag(text)}
    for coding in (resource.code.coding or []) if resource.code else []:
        system = ICD10_SYSTEM_URLS.get(str(coding.system))
        if system and coding.code:
            item.update(code=str(coding.code), system=system)
    status = (
        resource.clinicalStatus.coding[0].code
        if resource.clinicalStatus and resource.clinicalStatus.coding
        else None
    )
    item["active"] = status is None or status in ACTIVE_CLINICAL
    since = _month(resource.onsetDateTime)
    if since:
        item["since"] = since
    return item


def _without_tag(text: str) -> str:
    # SNOMED displays end in a semantic tag: "History of single seizure (situation)"
    return re.sub(r"\s*\((?:disorder|finding|situation|procedure|event)\)$", "", text)


def _generic_name(text: str) -> str:
    name = _STRENGTH.sub("", text).strip()
    return name or text


def _medications(resources: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    current: list[dict[str, Any]] = []
    past: list[dict[str, Any]] = []
    for resource in resources:
        text = _concept_text(getattr(resource, "medicationCodeableConcept", None))
        if text is None:
            continue
        name = _generic_name(text)
        if resource.status == "active":
            item: dict[str, Any] = {"text": name}
            started = getattr(resource, "authoredOn", None) or _period_start(resource)
            if started is not None:
                item["since"] = _month(started)
            dose = _daily_mg(resource, text)
            if dose is not None:
                item.update(dose=dose, unit="mg/day")
            current.append(item)
        elif resource.status in ("completed", "stopped"):
            ended = _period_end(resource) or getattr(resource, "authoredOn", None)
            past.append({"text": name, **({"until": _month(ended)} if ended else {})})
    return current, past


def _period_start(resource: Any) -> Any:
    period = getattr(resource, "effectivePeriod", None)
    return None if period is None else period.start


def _period_end(resource: Any) -> Any:
    period = getattr(resource, "effectivePeriod", None)
    return None if period is None else period.end


def _daily_mg(resource: Any, text: str) -> float | None:
    dosages = getattr(resource, "dosageInstruction", None) or getattr(resource, "dosage", None)
    if not dosages:
        return None
    dosage = dosages[0]
    repeat = dosage.timing.repeat if dosage.timing and dosage.timing.repeat else None
    if (
        repeat is None
        or not repeat.frequency
        or not repeat.period
        or repeat.periodUnit not in ("d", "h")
    ):
        return None
    per_day = repeat.frequency / float(repeat.period) * (24 if repeat.periodUnit == "h" else 1)
    quantity = dosage.doseAndRate[0].doseQuantity if dosage.doseAndRate else None
    if quantity is None or quantity.value is None:
        return None
    if (quantity.unit or "").lower() == "mg":
        return round(float(quantity.value) * per_day, 3)
    strength = re.search(r"(\d+(?:\.\d+)?)\s*MG\b", text, re.IGNORECASE)
    if strength is None:
        return None
    return round(float(strength.group(1)) * float(quantity.value) * per_day, 3)


def _observations(resource: Any) -> list[dict[str, Any]]:
    found = []
    parts = [resource, *(resource.component or [])]
    for part in parts:
        quantity = getattr(part, "valueQuantity", None)
        if quantity is None or quantity.value is None:
            continue
        name = _measurement_name(part.code)
        if name is None:
            continue
        item: dict[str, Any] = {"text": name, "value": float(quantity.value)}
        if quantity.unit:
            item["unit"] = str(quantity.unit)
        when = getattr(resource, "effectiveDateTime", None)
        if when is not None:
            item["date"] = str(when)[:10]
        found.append(item)
    return found


def _latest_per_name(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # the latest value is the one any time window would pick: older ones add nothing
    latest: dict[str, dict[str, Any]] = {}
    for item in sorted(observations, key=lambda obs: str(obs.get("date", ""))):
        latest[item["text"]] = item
    return list(latest.values())


def _measurement_name(concept: Any) -> str | None:
    for coding in (concept.coding or []) if concept else []:
        if coding.system == "http://loinc.org" and coding.code in _loinc():
            return _loinc()[coding.code]
    return _concept_text(concept)


def _allergy(resource: Any) -> str | None:
    text = _concept_text(resource.code)
    return None if text is None else _without_tag(text)


def _pregnant(conditions: list[Any]) -> bool:
    for resource in conditions:
        text = (_concept_text(resource.code) or "").lower()
        clinical = resource.clinicalStatus
        status = clinical.coding[0].code if clinical and clinical.coding else "active"
        if any(word in text for word in PREGNANCY_WORDS) and status in ACTIVE_CLINICAL:
            return True
    return False
