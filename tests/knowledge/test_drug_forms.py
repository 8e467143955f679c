"""Drug names with their route, formulation, dose or brand written in."""

from __future__ import annotations

import pytest

from knowledge.drug_forms import bare_drug_text, is_local, route_of
from knowledge.drugs import drug_classes, names_a_kind_of_treatment, normalize_drug


@pytest.mark.parametrize(
    ("text", "drug"),
    [
        ("octreotide LAR", "octreotide"),
        ("Sandostatin LAR", "octreotide"),
        ("Avonex", "interferon beta-1a"),
        ("Lupron Depot", "leuprolide"),
        ("prednisone 10 mg tablets", "prednisone"),
        ("metformin XR 500 mg twice daily", "metformin"),
        ("acetaminophen (minimal relief)", "acetaminophen"),
        ("fluticasone inhaler", "fluticasone"),
    ],
)
def test_forms_and_brands_name_the_drug(text: str, drug: str) -> None:
    assert normalize_drug(text) == drug


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("fluticasone inhaler", "inhaled"),
        ("inhaled budesonide", "inhaled"),
        ("hydrocortisone cream 1%", "topical"),
        ("prednisone 10 mg tablets", "oral"),
        ("methylprednisolone IV", "parenteral"),
        ("budesonide", None),
    ],
)
def test_the_route_is_kept(text: str, route: str | None) -> None:
    assert route_of(text) == route


def test_a_route_word_inside_a_name_is_no_route() -> None:
    assert route_of("ivabradine") is None
    assert bare_drug_text("ivabradine 5 mg") == "ivabradine"


def test_routes_that_act_locally() -> None:
    assert is_local("inhaled") and is_local("topical") and is_local("ophthalmic")
    assert not is_local("oral") and not is_local("parenteral") and not is_local(None)


def test_a_class_of_some_routes_leaves_out_a_drug_given_another_way() -> None:
    assert "systemic_corticosteroids" in drug_classes("prednisone", "oral")
    assert "systemic_corticosteroids" not in drug_classes("budesonide", "inhaled")
    assert "inhaled_corticosteroids" in drug_classes("budesonide", "inhaled")
    assert "inhaled_corticosteroids" not in drug_classes("budesonide", "oral")
    # the route unknown: every class of the name
    assert {"systemic_corticosteroids", "inhaled_corticosteroids"} <= drug_classes("budesonide")


@pytest.mark.parametrize(
    ("text", "kind_only"),
    [
        ("disease-modifying therapy", True),
        ("chemotherapy", True),
        ("blood pressure medication", True),
        ("NSAID", True),
        ("metformin", False),
        ("Humira", False),
    ],
)
def test_a_kind_of_treatment_is_told_from_one_drug(text: str, kind_only: bool) -> None:
    assert names_a_kind_of_treatment(text) is kind_only


def test_a_kind_of_treatment_names_its_class_where_it_can() -> None:
    assert "systemic_corticosteroids" in drug_classes("glucocorticoid replacement therapy")
    assert drug_classes("disease-modifying therapy") == frozenset()
