"""Candidate retrieval: which recruiting trials are worth evaluating for a patient.

An in-memory index of the recruiting trials, built once per run:

* condition relevance (`matcher.relevance`): a patient condition retrieves
  the trials whose topics (registry conditions, keywords, MeSH terms, the
  conditions its inclusion criteria require) are the same, broader or
  narrower, by words or by terminology concepts, or whose title names it;
  each candidate carries how closely it relates. A patient whose conditions
  are recorded as none is a candidate only for trials that accept healthy
  volunteers; one whose conditions are not recorded at all is a candidate
  for every trial (the criteria then say ``unknown``, never ``met``).
* the registry's structured age range and sex, when the patient's are known;
* distance: haversine to the nearest recruiting site with coordinates; when
  both sides have a location and the patient a ``max_travel_km``, trials
  farther than that are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matcher.distances import SiteTable, haversine_km
from matcher.relevance import ConditionIndex
from trialmatch.core.patient import PatientProfile
from trialmatch.core.trial import Trial

__all__ = ["UNKNOWN_RELEVANCE", "Candidate", "TrialIndex", "haversine_km"]


class Candidate:
    """A trial worth evaluating for a patient, with how closely it is about the patient.

    The nearest site and its distance are found when first read: only the
    pairs that reach a list need them, a small share of the candidates.
    """

    __slots__ = ("_located", "_position", "_sites", "_where", "relevance", "trial")

    def __init__(
        self,
        trial: Trial,
        relevance: float,
        sites: SiteTable,
        position: int,
        profile: PatientProfile,
    ) -> None:
        self.trial = trial
        self.relevance = relevance  # `matcher.relevance`; UNKNOWN_RELEVANCE when unknown
        self._sites, self._position, self._where = sites, position, profile.location
        self._located: tuple[float | None, str | None] | None = None

    def _nearest(self) -> tuple[float | None, str | None]:
        if self._located is None:
            self._located = self._sites.nearest(self._position, self._where)
        return self._located

    @property
    def distance_km(self) -> float | None:
        return self._nearest()[0]

    @property
    def site(self) -> str | None:
        return self._nearest()[1]


# a patient whose conditions are not recorded, or a healthy volunteer: nothing to rank by
UNKNOWN_RELEVANCE = 0.5


class TrialIndex:
    """Recruiting trials indexed by condition (`matcher.relevance`), with their sites."""

    def __init__(
        self, trials: Iterable[Trial], required: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """*required*: per trial id, the condition names its inclusion criteria require."""
        self.trials: list[Trial] = [trial for trial in trials if trial.is_matchable]
        self._sites = SiteTable(self.trials)
        self._healthy = [i for i, trial in enumerate(self.trials) if trial.healthy_volunteers]
        self._conditions = ConditionIndex.of(self.trials, required)

    def __len__(self) -> int:
        return len(self.trials)

    def candidates(self, profile: PatientProfile) -> list[Candidate]:
        relevant = self._relevant(profile)
        fitting = [
            position
            for position in sorted(relevant)
            if _structured_fit(self.trials[position], profile)
        ]
        limit, here = profile.max_travel_km, profile.location
        if limit is not None and here is not None and fitting:
            near = self._sites.within(fitting, here, limit)
            fitting = [position for position, kept in zip(fitting, near, strict=True) if kept]
        return [
            Candidate(self.trials[position], relevant[position], self._sites, position, profile)
            for position in fitting
        ]

    def _relevant(self, profile: PatientProfile) -> dict[int, float]:
        if profile.conditions is None:  # unknown: relevance cannot rule anything out
            return dict.fromkeys(range(len(self.trials)), UNKNOWN_RELEVANCE)
        if not profile.conditions:
            return dict.fromkeys(self._healthy, UNKNOWN_RELEVANCE)
        return self._conditions.related(profile.conditions)


def _structured_fit(trial: Trial, profile: PatientProfile) -> bool:
    age = profile.age
    if age is not None:
        if trial.minimum_age_years is not None and age < trial.minimum_age_years:
            return False
        if trial.maximum_age_years is not None and age > trial.maximum_age_years:
            return False
    if profile.sex is not None and trial.sex in ("FEMALE", "MALE"):
        return profile.sex == trial.sex.lower()
    return True
