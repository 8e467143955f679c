"""Measurement names and unit conversion for the matcher."""

from __future__ import annotations

import pytest

from knowledge.measurements import canonical_measurement, convert_value


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("eGFR", "egfr"), ("GFR", "egfr"), ("CrCl", "creatinine_clearance"),
        ("creatinine clearance", "creatinine_clearance"), ("HbA1c", "hba1c"), ("A1c", "hba1c"),
        ("glycated hemoglobin", "hba1c"), ("ANC", "anc"), ("neutrophils", "anc"),
        ("platelets", "platelets"), ("PLT", "platelets"), ("ALT", "alt"), ("SGPT", "alt"),
        ("AST", "ast"), ("SGOT", "ast"), ("total bilirubin", "bilirubin"),
        ("serum creatinine", "creatinine"), ("hemoglobin", "hemoglobin"), ("BMI", "bmi"),
        ("ECOG", "ecog"), ("Karnofsky", "karnofsky"), ("weight", "weight"),
        ("systolic blood pressure", "systolic_bp"), ("diastolic blood pressure", "diastolic_bp"),
        ("LDL", "ldl"), ("QTc", "qtc"), ("favourite colour", None),
    ],
)  # fmt: skip
def test_canonical_measurement(name: str, expected: str | None) -> None:
    assert canonical_measurement(name) == expected


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "measurement", "expected"),
    [
        (1.5, "x10^9/L", "/mm3", None, 1500),
        (1500, "cells/uL", "10^9/L", None, 1.5),
        (1.5, "G/L", "cells/µL", None, 1500),
        (100, "K/uL", "x 10^9/L", None, 100),
        (1.2, "mg/dL", "µmol/L", "creatinine", 106.08),
        (1.5, "mg/dL", "umol/L", "bilirubin", 25.66),
        (88.4, "umol/L", "mg/dL", "creatinine", 1.0),
        (7.0, "%", "mmol/mol", "hba1c", 53.0),
        (53, "mmol/mol", "%", "hba1c", 7.0),
        (60, "mL/min/1.73m2", "mL/min/1.73 m²", "egfr", 60),
        (60, "mL/min/1.73m2", "mL/s/1.73m2", "egfr", 1.0),
        (10, "g/dL", "g/L", "hemoglobin", 100),
        (100, "mg/dL", "mmol/L", "glucose", 5.55),
        (12, "weeks", "days", None, 84),
    ],
)
def test_convert_value(
    value: float, from_unit: str, to_unit: str, measurement: str | None, expected: float
) -> None:
    assert convert_value(value, from_unit, to_unit, measurement) == pytest.approx(
        expected, rel=1e-3
    )


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "measurement"),
    [
        ("mL/min/1.73m2", "mL/min", "egfr"),  # needs the body surface area
        ("x ULN", "mg/dL", "bilirubin"),
        ("mg/dL", "umol/L", None),  # no molar mass without the measurement
        ("no#such unit", "mg", None),
        ("kg", "mmHg", None),
    ],
)
def test_not_convertible(from_unit: str, to_unit: str, measurement: str | None) -> None:
    with pytest.raises(ValueError, match=r"convert|unit"):
        convert_value(1.0, from_unit, to_unit, measurement)
