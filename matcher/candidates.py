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

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from matcher.relevance import ConditionIndex
from trialmatch.core.patient import PatientProfile
from trialmatch.core.trial import Trial

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Candidate:
    trial: Trial
    distance_km: float | None
    site: str | None
    relevance: float = 1.0  # how closely the trial is about the patient (`matcher.relevance`)


# a patient whose conditions are not recorded, or a healthy volunteer: nothing to rank by
UNKNOWN_RELEVANCE = 0.5


@dataclass(frozen=True, slots=True)
class _Site:
    lat: float
    lon: float
    label: str
    # radians and cosine, computed once per site rather than once per patient
    phi: float = 0.0
    lam: float = 0.0
    cos_phi: float = 1.0


class TrialIndex:
    """Recruiting trials indexed by condition (`matcher.relevance`), with their sites."""

    def __init__(
        self, trials: Iterable[Trial], required: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """*required*: per trial id, the condition names its inclusion criteria require."""
        self.trials: list[Trial] = [trial for trial in trials if trial.is_matchable]
        # copies of a trial share one site tuple, so a patient's nearest site is found once
        shared: dict[int, _SiteSet] = {}
        self._sites: list[_SiteSet] = []
        for trial in self.trials:
            if id(trial.sites) not in shared:
                shared[id(trial.sites)] = _SiteSet(_sites_of(trial))
            self._sites.append(shared[id(trial.sites)])
        self._healthy = [i for i, trial in enumerate(self.trials) if trial.healthy_volunteers]
        self._conditions = ConditionIndex.of(self.trials, required)

    def __len__(self) -> int:
        return len(self.trials)

    def candidates(self, profile: PatientProfile) -> list[Candidate]:
        found = []
        nearest: dict[int, tuple[float | None, str | None]] = {}
        relevant = self._relevant(profile)
        for position in sorted(relevant):
            trial = self.trials[position]
            if not _structured_fit(trial, profile):
                continue
            sites = self._sites[position]
            if id(sites) not in nearest:
                nearest[id(sites)] = _nearest(sites, profile)
            distance, site = nearest[id(sites)]
            if _too_far(profile, distance):
                continue
            found.append(Candidate(trial, distance, site, relevant[position]))
        return found

    def _relevant(self, profile: PatientProfile) -> dict[int, float]:
        if profile.conditions is None:  # unknown: relevance cannot rule anything out
            return dict.fromkeys(range(len(self.trials)), UNKNOWN_RELEVANCE)
        if not profile.conditions:
            return dict.fromkeys(self._healthy, UNKNOWN_RELEVANCE)
        return self._conditions.related(profile.conditions)


class _SiteSet:
    """A trial's recruiting sites, also sorted by latitude for the nearest-site search."""

    __slots__ = ("by_phi", "phis", "rank", "sites")

    def __init__(self, sites: tuple[_Site, ...]) -> None:
        self.sites = sites
        order = sorted(range(len(sites)), key=lambda index: sites[index].phi)
        self.by_phi = [sites[index] for index in order]
        self.phis = [site.phi for site in self.by_phi]
        self.rank = {id(site): index for index, site in enumerate(sites)}


_HAIR = 1e-12  # beyond any rounding difference between two ways of computing one term


def _nearest(sites: _SiteSet, profile: PatientProfile) -> tuple[float | None, str | None]:
    if profile.location is None or not sites.sites:
        return None, None
    here = profile.location
    phi, lam = math.radians(here.lat), math.radians(here.lon)
    cos_phi, sin = math.cos(phi), math.sin
    # Sites are ranked by the haversine term (the distance grows with it), visited by
    # increasing latitude difference: the term is at least sin²(Δφ/2), so once that
    # exceeds the best term no farther site can win. A trial may have hundreds of sites.
    phis, by_phi = sites.phis, sites.by_phi
    count = len(phis)
    above = bisect_left(phis, phi)
    below = above - 1
    best = math.inf
    seen: list[tuple[float, _Site]] = []
    while below >= 0 or above < count:
        if above < count and (below < 0 or phis[above] - phi <= phi - phis[below]):
            site = by_phi[above]
            above += 1
        else:
            site = by_phi[below]
            below -= 1
        bound = sin((site.phi - phi) / 2) ** 2
        if bound > best + _HAIR:
            break
        term = bound + cos_phi * site.cos_phi * sin((site.lam - lam) / 2) ** 2
        seen.append((term, site))
        if term < best:
            best = term
    # the sites within a hair of the best are compared exactly with haversine_km, in
    # their registry order, so the same site wins as with a plain minimum over all
    close = [site for term, site in seen if term <= best + _HAIR]
    if len(close) > 1:
        close.sort(key=_ranker(sites))
        nearest = min(close, key=lambda site: haversine_km(here.lat, here.lon, site.lat, site.lon))
    else:
        nearest = close[0]
    return haversine_km(here.lat, here.lon, nearest.lat, nearest.lon), nearest.label


def _ranker(sites: _SiteSet) -> Callable[[_Site], int]:
    return lambda site: sites.rank[id(site)]


def _sites_of(trial: Trial) -> tuple[_Site, ...]:
    sites = []
    for site in trial.sites:
        if site.is_recruiting and site.latitude is not None and site.longitude is not None:
            label = ", ".join(part for part in (site.facility, site.city, site.country) if part)
            phi = math.radians(site.latitude)
            sites.append(
                _Site(
                    site.latitude,
                    site.longitude,
                    label or "site",
                    phi,
                    math.radians(site.longitude),
                    math.cos(phi),
                )
            )
    return tuple(sites)


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


def _too_far(profile: PatientProfile, distance: float | None) -> bool:
    limit = profile.max_travel_km
    return distance is not None and limit is not None and distance > limit
