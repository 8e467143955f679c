"""Fixtures of the NLP tests: the pipeline is built once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.language import Language

from nlp_models.pipeline import get_pipeline
from trialmatch.core.criteria import Criterion

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nlp"


@pytest.fixture(scope="session")
def pipeline() -> Language:
    return get_pipeline()


@pytest.fixture(scope="session")
def parse(pipeline: Language):  # type: ignore[no-untyped-def]
    """`parse_eligibility`, after the shared pipeline is built."""
    from nlp_models.parser import parse_eligibility

    return parse_eligibility


@pytest.fixture(scope="session")
def nct05935553_text() -> str:
    record = json.loads((FIXTURES / "NCT05935553.json").read_text(encoding="utf-8"))
    text: str = record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    return text


@pytest.fixture(scope="session")
def nct05935553(parse, nct05935553_text: str) -> dict[str, Criterion]:  # type: ignore[no-untyped-def]
    return {criterion.id: criterion for criterion in parse(nct05935553_text)}
