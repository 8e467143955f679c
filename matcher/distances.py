"""Distances from a patient to trials' recruiting sites.

Two questions, asked at different rates. *Which trials are within the
patient's travel limit* is asked of every trial that fits a patient (hundreds
per patient), so it is answered for all of them at once with numpy over one
flat table of every site. *Which site is nearest, and how far* is asked only
of the pairs that reach a referral list, one trial at a time, exactly: sites
within a hair of the best are compared with `haversine_km` in registry order,
so the same site wins however the search runs.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialmatch.core.patient import Location
from trialmatch.core.trial import Trial

EARTH_RADIUS_KM = 6371.0088
_HAIR = 1e-12  # beyond any rounding difference between two ways of computing one term


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Site:
    lat: float
    lon: float
    label: str
    phi: float  # radians and cosine, computed once per site rather than once per patient
    lam: float
    cos_phi: float


def recruiting_sites(trial: Trial) -> tuple[Site, ...]:
    sites = []
    for site in trial.sites:
        if site.is_recruiting and site.latitude is not None and site.longitude is not None:
            label = ", ".join(part for part in (site.facility, site.city, site.country) if part)
            phi = math.radians(site.latitude)
            sites.append(
                Site(
                    site.latitude,
                    site.longitude,
                    label or "site",
                    phi,
                    math.radians(site.longitude),
                    math.cos(phi),
                )
            )
    return tuple(sites)


class _SiteSet:
    """One trial's sites, also sorted by latitude for the exact nearest-site search."""

    __slots__ = ("by_phi", "phis", "rank", "sites")

    def __init__(self, sites: tuple[Site, ...]) -> None:
        self.sites = sites
        order = sorted(range(len(sites)), key=lambda index: sites[index].phi)
        self.by_phi = [sites[index] for index in order]
        self.phis = [site.phi for site in self.by_phi]
        self.rank = {id(site): index for index, site in enumerate(sites)}


class SiteTable:
    """Every trial's recruiting sites (by position in the trial list), flat for numpy."""

    def __init__(self, trials: Sequence[Trial]) -> None:
        # copies of a trial share one site tuple: its sites are read once
        shared: dict[int, _SiteSet] = {}
        self._sets: list[_SiteSet] = []
        for trial in trials:
            if id(trial.sites) not in shared:
                shared[id(trial.sites)] = _SiteSet(recruiting_sites(trial))
            self._sets.append(shared[id(trial.sites)])
        lengths = np.array([len(found.sites) for found in self._sets], dtype=np.int64)
        self._ends = np.cumsum(lengths)
        self._starts = self._ends - lengths
        flat = [site for found in self._sets for site in found.sites]
        self._phi = np.array([site.phi for site in flat], dtype=np.float64)
        self._lam = np.array([site.lam for site in flat], dtype=np.float64)
        self._cos_phi = np.array([site.cos_phi for site in flat], dtype=np.float64)

    def within(self, positions: Sequence[int], here: Location, limit_km: float) -> list[bool]:
        """For each trial position: whether some site is within *limit_km* of *here* (a
        trial without located sites is kept: its distance is unknown, not too far)."""
        chosen = np.asarray(positions, dtype=np.int64)
        starts, lengths = self._starts[chosen], self._ends[chosen] - self._starts[chosen]
        located = lengths > 0
        keep = ~located
        if located.any():
            starts, lengths = starts[located], lengths[located]
            first = np.cumsum(lengths) - lengths
            flat = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
            phi, lam = math.radians(here.lat), math.radians(here.lon)
            terms = (
                np.sin((self._phi[flat] - phi) / 2) ** 2
                + math.cos(phi) * self._cos_phi[flat] * np.sin((self._lam[flat] - lam) / 2) ** 2
            )
            nearest = np.minimum.reduceat(terms, first)
            km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, nearest)))
            # the same rounding margin the exact search allows
            keep[located] = km <= limit_km * (1 + 1e-9)
        return [bool(value) for value in keep]

    def nearest(self, position: int, here: Location | None) -> tuple[float | None, str | None]:
        """The nearest recruiting site of the trial at *position*: (km, label)."""
        return _nearest(self._sets[position], here)


def _nearest(sites: _SiteSet, here: Location | None) -> tuple[float | None, str | None]:
    if here is None or not sites.sites:
        return None, None
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
    seen: list[tuple[float, Site]] = []
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
    close = [site for term, site in seen if term <= best + _HAIR]
    if len(close) > 1:
        close.sort(key=lambda site: sites.rank[id(site)])
        nearest = min(close, key=lambda site: haversine_km(here.lat, here.lon, site.lat, site.lon))
    else:
        nearest = close[0]
    return haversine_km(here.lat, here.lon, nearest.lat, nearest.lon), nearest.label
