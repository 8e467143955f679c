"""Lab and vital-sign names and unit conversion (pint plus the medical units it lacks).

`canonical_measurement` maps the names criteria use ("SGPT", "creatinine
clearance", "HbA1c") to one id ("alt", "creatinine_clearance", "hba1c"),
from ``data/measurements.json``. `convert_value` converts a value between
units with pint, after rewriting medical unit spellings pint does not read:

* cell counts: ``x10^9/L``, ``G/L``, ``/mm3``, ``cells/uL``, ``K/uL``;
* ``mL/min/1.73m2``: a unit per 1.73 m² of body surface (``bsa_173``), so it
  converts to ``mL/s/1.73m2`` but not to plain ``mL/min`` (that needs the
  patient's body surface);
* HbA1c ``%`` (NGSP/DCCT) and ``mmol/mol`` (IFCC): the master equation
  IFCC = 10.929 × (NGSP − 2.15) (Hoelzel et al., Clin Chem 2004;50:166-74);
* mass and molar concentrations (``mg/dL`` and ``umol/L``) through the molar
  masses listed in the data file (creatinine, bilirubin, glucose, lipids, …);
* ``x ULN`` (times the upper limit of normal) converts only to itself.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "measurements.json"
ULN = "x ULN"
_SPACES = re.compile(r"\s+")
# spellings rewritten, in order, into expressions pint parses
_UNIT_REWRITES: tuple[tuple[str, str], ...] = (
    (r"[µμ]", "u"),
    (r"[×*]\s*10\s*(?:\^|\*\*|e)?\s*([0-9])", r"x10^\1"),
    (r"⁹", "^9"),
    (r"³", "^3"),
    (r"²", "^2"),
    (r"\bcells?\b|\bcounts?\b", ""),
    (r"/\s*1[.,•·]73\s*m\s*\^?\s*2", "/bsa_173"),
    (r"^k/(u|mc)l$", "1e3/uL"),
    (r"x?\s*10\^?(\d+)\s*/", r"1e\1/"),
    (r"/\s*mcl\b", "/uL"),
    (r"/\s*hpf\b", ""),
    (r"\bmm\^?3\b", "mm**3"),
    (r"\bm\^?2\b", "m**2"),
    (r"\^", "**"),
    (r"\bmmhg\b", "mmHg"),
    (r"\b([mu]?)iu\b", r"\1IU"),
    (r"\bu/l\b", "U/L"),
    (r"\bmsec\b", "ms"),
    (r"\bbpm\b|beats?/min", "1/min"),
    (r"/d\b", "/day"),
    (r"%", "percent"),
)


def _pint() -> Any:
    """pint, imported on first conversion: the parser only reads names and never pays for it."""
    import pint

    return pint


@cache
def _registry() -> Any:
    registry: Any = _pint().UnitRegistry()
    registry.define("bsa_173 = 1.73 * meter ** 2")  # eGFR is indexed to 1.73 m² of body surface
    registry.define("IU = enzyme_unit")
    registry.define("mmol_per_mol_ifcc = [hba1c_ifcc]")
    return registry


@cache
def _measurement_table() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = json.loads(DATA_FILE.read_text(encoding="utf-8"))[
        "measurements"
    ]
    return table


@cache
def _synonyms() -> dict[str, str]:
    synonyms: dict[str, str] = {}
    for measurement_id, data in _measurement_table().items():
        synonyms[measurement_id] = measurement_id
        for name in data["synonyms"]:
            synonyms[_clean_name(name)] = measurement_id
    return synonyms


def _clean_name(name: str) -> str:
    return _SPACES.sub(" ", name.strip().lower().replace("_", " ")).strip(" .,:;")


def measurement_synonyms() -> dict[str, str]:
    """Every known name (lower case) -> measurement id; used by the entity rules."""
    return dict(_synonyms())


def canonical_measurement(name: str) -> str | None:
    """Measurement id for a lab or vital-sign name ("SGPT" -> "alt"), None if unknown."""
    cleaned = _clean_name(name)
    found = _synonyms().get(cleaned)
    if found is None and cleaned.startswith(("serum ", "plasma ", "blood ")):
        found = _synonyms().get(cleaned.split(" ", 1)[1])
    return found


def default_unit(measurement: str) -> str | None:
    data = _measurement_table().get(measurement)
    return None if data is None else str(data["unit"])


def _molar_mass(measurement: str | None) -> float | None:
    if measurement is None:
        return None
    value = _measurement_table().get(measurement, {}).get("molar_mass")
    return None if value is None else float(value)


def _pint_expression(unit: str) -> str:
    expression = _SPACES.sub(" ", unit.strip())
    if expression in ("G/L", "Gi/L", "giga/L"):  # capital G: 10^9 cells per litre, not grams
        return "1e9/L"
    expression = expression.lower()
    for pattern, replacement in _UNIT_REWRITES:
        expression = re.sub(pattern, replacement, expression)
    expression = re.sub(r"(?<![a-z])l\b", "L", expression).replace("dl", "dL").replace("ml", "mL")
    expression = expression.strip() or "dimensionless"
    return "1" + expression if expression.startswith("/") else expression


def _quantity(unit: str) -> Any:
    try:
        return _registry().parse_expression(_pint_expression(unit))
    except (_pint().errors.PintError, AttributeError, TypeError, SyntaxError, ValueError) as exc:
        raise ValueError(f"unit {unit!r} is not a unit this converter knows") from exc


def _is_hba1c_pair(from_unit: str, to_unit: str) -> bool:
    units = {_clean_name(from_unit), _clean_name(to_unit)}
    return units == {"%", "mmol/mol"}


def _convert_hba1c(value: float, from_unit: str) -> float:
    if _clean_name(from_unit) == "%":
        return round(10.929 * (value - 2.15), 4)
    return round(value / 10.929 + 2.15, 4)


def convert_value(
    value: float, from_unit: str, to_unit: str, measurement: str | None = None
) -> float:
    """`value` in `from_unit` expressed in `to_unit`; ValueError when not convertible."""
    if _clean_name(from_unit) == _clean_name(to_unit):
        return float(value)
    if ULN.lower() in (_clean_name(from_unit), _clean_name(to_unit)):
        raise ValueError(f"cannot convert {from_unit!r} to {to_unit!r}: x ULN is relative")
    if _is_hba1c_pair(from_unit, to_unit):
        return _convert_hba1c(value, from_unit)
    source, target = _quantity(from_unit), _quantity(to_unit)
    amount = value * source
    try:
        converted = amount.to(target.units)
    except _pint().errors.DimensionalityError as exc:
        converted = _convert_molar(amount, target, measurement, (from_unit, to_unit), exc)
    return float(converted.magnitude / target.magnitude)


def _convert_molar(
    amount: Any, target: Any, measurement: str | None, units: tuple[str, str], exc: Exception
) -> Any:
    molar_mass = _molar_mass(measurement)
    named = f" for {measurement!r}" if measurement else ""
    if molar_mass is None:
        raise ValueError(f"cannot convert {units[0]!r} to {units[1]!r}{named}") from exc
    registry = _registry()
    try:
        return amount.to(target.units, "chemistry", mw=molar_mass * registry("g/mol"))
    except _pint().errors.DimensionalityError as again:
        raise ValueError(f"cannot convert {units[0]!r} to {units[1]!r}{named}") from again
