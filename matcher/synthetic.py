"""A seeded generator of realistic synthetic anonymised patients (demo and bench).

Each patient is built around one recruiting trial, the trials taken in turn
(in a seeded order) so that each gets its share: a condition drawn from
its conditions, an age in its range and a matching sex most of the time, a
location near one of its sites, drugs and labs that fit the condition.
About one in five gets something that fails common criteria (a serious
comorbidity, an interacting drug, a pregnancy, an out-of-range lab), and some
facts are left out so that criteria come out unknown. The same seed gives the
same patients.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from trialmatch.core.patient import (
    ConditionFact,
    Location,
    MedicationFact,
    ObservationFact,
    PastMedicationFact,
    PatientProfile,
    Sex,
)
from trialmatch.core.trial import Trial

# condition keyword -> plausible (drug, low mg/day, high mg/day)
TREATMENTS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "diabetes": (
        ("metformin", 1000, 2000),
        ("empagliflozin", 10, 25),
        ("insulin glargine", 10, 40),
    ),
    "obesity": (("semaglutide", 0.25, 2.4), ("metformin", 500, 1500)),
    "hypertension": (
        ("amlodipine", 5, 10),
        ("ramipril", 2.5, 10),
        ("hydrochlorothiazide", 12.5, 25),
    ),
    "cancer": (("ondansetron", 8, 16), ("dexamethasone", 4, 8), ("morphine", 20, 90)),
    "carcinoma": (("ondansetron", 8, 16), ("dexamethasone", 4, 8)),
    "asthma": (("salbutamol", 0.2, 0.8), ("budesonide", 0.4, 0.8), ("montelukast", 10, 10)),
    # doses seen in benzodiazepine dependence, mostly 40-150 mg diazepam equivalents
    "benzodiazepine": (("lorazepam", 4, 15), ("diazepam", 30, 120), ("alprazolam", 2, 8)),
    "depress": (("sertraline", 50, 200), ("escitalopram", 10, 20)),
    "kidney": (("ramipril", 2.5, 10), ("furosemide", 20, 80)),
    "heart": (("bisoprolol", 2.5, 10), ("furosemide", 20, 80)),
    "hypercholesterolemia": (("atorvastatin", 10, 80), ("ezetimibe", 10, 10)),
    "dermatitis": (("cetirizine", 10, 10),),
    "infection": (("amoxicillin", 1500, 3000),),
    "hiv": (("dolutegravir", 50, 50), ("tenofovir", 300, 300)),
}
BACKGROUND_DRUGS = (("omeprazole", 20, 40), ("paracetamol", 1000, 3000), ("atorvastatin", 10, 40))
FAILING_CONDITIONS = (
    "liver cirrhosis",
    "epilepsy",
    "bipolar disorder",
    "chronic renal failure",
    "HIV infection",
    "alcohol use disorder",
    "breast cancer",
)
FAILING_DRUGS = (("quetiapine", 50, 300), ("amitriptyline", 25, 75), ("pregabalin", 150, 300))
COMORBIDITIES = ("hypertension", "asthma", "hypercholesterolemia", "osteoarthritis", "migraine")


def generate_patients(trials: Sequence[Trial], count: int, seed: int) -> list[PatientProfile]:
    """*count* synthetic profiles drawn around the recruiting trials (ids ``SYN-00001``…)."""
    pool = [trial for trial in trials if trial.is_matchable and trial.conditions]
    if not pool:
        raise ValueError("synthetic patients need at least one recruiting trial with conditions")
    rng = random.Random(seed)
    rng.shuffle(pool)
    return [_patient(rng, pool[(number - 1) % len(pool)], number) for number in range(1, count + 1)]


def _patient(rng: random.Random, trial: Trial, number: int) -> PatientProfile:
    sex = _sex(rng, trial)
    condition = rng.choice(trial.conditions)
    conditions = [ConditionFact(text=condition, since=_past_month(rng, 1, 12))]
    conditions += [ConditionFact(text=rng.choice(COMORBIDITIES)) for _ in range(rng.randint(0, 2))]
    medications = _medications(rng, condition)
    pregnant: bool | None = False if sex == "female" else None
    failing = rng.random() < 0.2
    if failing:
        pregnant = _add_failure(rng, conditions, medications, sex, pregnant)
    location = _near_site(rng, trial)
    return PatientProfile(
        id=f"SYN-{number:05d}",
        age=_age(rng, trial),
        sex=sex,
        pregnant=pregnant if rng.random() > 0.1 else None,  # sometimes not recorded
        conditions=tuple(conditions),
        medications=tuple(medications),
        past_medications=tuple(_past_medications(rng)) if rng.random() > 0.15 else None,
        observations=_labs(rng, failing),
        location=location,
        max_travel_km=rng.choice((25.0, 50.0, 100.0, 200.0, 500.0)) if location else None,
    )


def _sex(rng: random.Random, trial: Trial) -> Sex:
    sexes: tuple[Sex, ...] = ("female", "male")
    if trial.sex in ("FEMALE", "MALE") and rng.random() < 0.95:
        return sexes[0] if trial.sex == "FEMALE" else sexes[1]
    return rng.choice(sexes)


def _age(rng: random.Random, trial: Trial) -> float:
    low = trial.minimum_age_years if trial.minimum_age_years is not None else 18.0
    high = trial.maximum_age_years if trial.maximum_age_years is not None else 85.0
    if rng.random() < 0.1:  # just outside the range now and then
        return float(max(0.0, min(110.0, rng.choice((low - 1, high + 1)))))
    return float(rng.randint(int(low), int(max(low, min(high, 95.0)))))


def _past_month(rng: random.Random, min_years: int, max_years: int) -> str:
    """A month at least three months back (a treatment going on for a while), seeded."""
    months_back = rng.randint(max(3, 12 * min_years), max(3, 12 * max_years))
    month_index = 2026 * 12 + 10 - months_back  # counted from November 2026
    return f"{month_index // 12}-{month_index % 12 + 1:02d}"


def _dose(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high) * 4) / 4 if high > low else low


def _medications(rng: random.Random, condition: str) -> list[MedicationFact]:
    lowered = condition.lower()
    options = [drug for key, drugs in TREATMENTS.items() if key in lowered for drug in drugs]
    chosen = rng.sample(options, k=min(len(options), rng.randint(1, 2))) if options else []
    chosen += rng.sample(BACKGROUND_DRUGS, k=rng.randint(0, 1))
    return [
        MedicationFact(
            text=name, dose=_dose(rng, low, high), unit="mg/day", since=_past_month(rng, 0, 6)
        )
        for name, low, high in chosen
    ]


def _add_failure(
    rng: random.Random,
    conditions: list[ConditionFact],
    medications: list[MedicationFact],
    sex: Sex,
    pregnant: bool | None,
) -> bool | None:
    kind = rng.choice(("condition", "drug", "pregnancy"))
    if kind == "pregnancy" and sex == "female":
        return True
    if kind == "drug":
        name, low, high = rng.choice(FAILING_DRUGS)
        medications.append(
            MedicationFact(name, _dose(rng, low, high), "mg/day", _past_month(rng, 0, 3))
        )
    else:
        conditions.append(ConditionFact(text=rng.choice(FAILING_CONDITIONS)))
    return pregnant


def _past_medications(rng: random.Random) -> list[PastMedicationFact]:
    names = ("baclofen", "ibuprofen", "codeine", "amoxicillin", "prednisone")
    return [
        PastMedicationFact(rng.choice(names), str(rng.randint(2010, 2025)))
        for _ in range(rng.randint(0, 2))
    ]


def _labs(rng: random.Random, failing: bool) -> tuple[ObservationFact, ...]:
    date = f"2026-{rng.randint(6, 11):02d}-{rng.randint(1, 28):02d}"
    egfr = rng.uniform(20, 45) if failing and rng.random() < 0.3 else rng.uniform(60, 110)
    labs = [
        ObservationFact("eGFR", round(egfr), "mL/min/1.73m2", date),
        ObservationFact("HbA1c", round(rng.uniform(5.0, 10.5), 1), "%", date),
        ObservationFact("platelets", round(rng.uniform(150, 400)), "10^9/L", date),
        ObservationFact("ALT", round(rng.uniform(10, 60)), "U/L", date),
        ObservationFact("BMI", round(rng.uniform(19, 38), 1), "kg/m2", date),
    ]
    return tuple(rng.sample(labs, k=rng.randint(2, len(labs))))


def _near_site(rng: random.Random, trial: Trial) -> Location | None:
    sites = [
        site for site in trial.sites if site.latitude is not None and site.longitude is not None
    ]
    if not sites or rng.random() < 0.05:
        return None
    site = rng.choice(sites)
    lat = max(-90.0, min(90.0, float(site.latitude or 0.0) + rng.uniform(-0.6, 0.6)))
    lon = max(-180.0, min(180.0, float(site.longitude or 0.0) + rng.uniform(-0.6, 0.6)))
    return Location(round(lat, 1), round(lon, 1))
