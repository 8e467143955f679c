"""Facts a profile keeps coarse, whatever the input gave: locations and great ages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcher.candidates import haversine_km
from trialmatch.core.patient import Location, PatientProfile
from trialmatch.core.profile_reader import profile_from_dict, profile_from_stored

latitudes = st.floats(min_value=-89.99, max_value=89.99, allow_nan=False)
longitudes = st.floats(min_value=-179.99, max_value=179.99, allow_nan=False)


def test_a_location_keeps_two_decimals() -> None:
    profile = profile_from_dict({"id": "P-1", "location": {"lat": 45.764043, "lon": 4.835659}})
    assert profile.location == Location(45.76, 4.84)
    assert profile.to_dict()["location"] == {"lat": 45.76, "lon": 4.84}


@given(latitudes, longitudes, latitudes, longitudes)
def test_a_distance_moves_by_less_than_a_kilometre(
    lat: float, lon: float, site_lat: float, site_lon: float
) -> None:
    exact = haversine_km(lat, lon, site_lat, site_lon)
    coarse = Location(lat, lon)
    assert abs(haversine_km(coarse.lat, coarse.lon, site_lat, site_lon) - exact) < 1.0


def test_ages_over_89_are_stored_as_90() -> None:
    assert PatientProfile(id="P-1", age=89.0).age == 89.0
    assert PatientProfile(id="P-1", age=90.0).age == 90.0
    assert PatientProfile(id="P-1", age=104.5).age == 90.0
    stored = PatientProfile(id="P-1", age=97).to_dict()
    assert stored["age"] == 90.0
    assert profile_from_stored(stored).age == 90.0
