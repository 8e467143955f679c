"""Section headers and list layouts seen in real registry records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nlp_models.items import split_items
from nlp_models.sections import find_sections
from trialmatch.core.criteria import Criterion

# real registry records bundled with the package: tests never depend on ../shared
DEMO = Path(__file__).resolve().parents[2] / "trialmatch" / "demo_data" / "ctgov"


def _kinds(criteria: list[Criterion]) -> list[tuple[str, str]]:
    return [(c.id, c.text) for c in criteria]


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Inclusion Criteria:", "inclusion"),
        ("Key Inclusion Criteria", "inclusion"),
        ("INCLUSION:", "inclusion"),
        ("**Inclusion Criteria:**", "inclusion"),
        ("1) Inclusion Criteria", "inclusion"),
        ("Specific inclusion criteria for healthy participants:", "inclusion"),
        ("Exclusion Criteria:", "exclusion"),
        ("Key Exclusion Criteria :", "exclusion"),
        ("Patients will be excluded if", "exclusion"),
        ("Exclusion Criteria for the extension", "exclusion"),
        ("Participants are excluded from the study if any of the following criteria apply:",
         "exclusion"),
        ("The exclusion criteria for these volunteers will be:", "exclusion"),
        ("Non-inclusion criteria:", "exclusion"),
    ],
)  # fmt: skip
def test_header_variants(header: str, kind: str) -> None:
    text = f"{header}\n\n* Adults with asthma\n"
    sections = find_sections(text)
    assert [s.kind for s in sections] == [kind]
    assert text[sections[0].start : sections[0].end].strip() == "* Adults with asthma"


def test_no_header_is_inclusion(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = parse("Adults aged 18 or older\nType 2 diabetes\n")
    assert [(c.id, c.kind) for c in criteria] == [("I1", "inclusion"), ("I2", "inclusion")]


def test_header_with_text_on_the_same_line(parse) -> None:  # type: ignore[no-untyped-def]
    criteria = parse("Inclusion Criteria: age 18-65 years\nExclusion Criteria: pregnancy")
    assert [(c.id, c.text) for c in criteria] == [("I1", "age 18-65 years"), ("E1", "pregnancy")]


def test_sentence_is_not_a_header(parse) -> None:  # type: ignore[no-untyped-def]
    text = "Inclusion Criteria:\n* Other protocol-defined Inclusion/Exclusion criteria apply.\n"
    assert [c.kind for c in parse(text)] == ["inclusion"]


def test_numbered_list_with_lettered_sub_items(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Exclusion Criteria:\n"
        "1. Any of the following within 6 months:\n"
        "a. myocardial infarction\n"
        "b. stroke\n"
        "2. Pregnancy\n"
    )
    criteria = parse(text)
    assert [(c.id, c.group) for c in criteria] == [
        ("E1", None), ("E1.1", "E1"), ("E1.2", "E1"), ("E2", None)
    ]  # fmt: skip
    assert criteria[0].category == "group"
    assert criteria[0].rule is not None and getattr(criteria[0].rule, "logic", None) == "any"


def test_markdown_nesting_and_continuation_lines() -> None:
    text = "* Parent item:\n\n  * child one\n  * child two\n* Long item that\n  continues here\n"
    items = split_items(text, 0, len(text))
    assert [item.text(text) for item in items] == [
        "Parent item:", "Long item that\n  continues here"
    ]  # fmt: skip
    assert [child.text(text) for child in items[0].children] == ["child one", "child two"]


def test_repeated_sections_keep_numbering(parse) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Inclusion Criteria:\n* A\n\nExclusion Criteria:\n* B\n\n"
        "Specific inclusion criteria for lung transplant patients:\n* C\n"
    )
    assert [c.id for c in parse(text)] == ["I1", "E1", "I2"]


def _real_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(DEMO.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        module = record.get("protocolSection", {}).get("eligibilityModule", {})
        if module.get("eligibilityCriteria"):
            texts.append((path.stem, module["eligibilityCriteria"]))
    return texts


def test_real_records_parse_with_exact_offsets(parse) -> None:  # type: ignore[no-untyped-def]
    texts = _real_texts()
    assert len(texts) >= 40
    for name, text in texts:
        criteria = parse(text)
        assert criteria, name
        kinds = {c.kind for c in criteria}
        # an exclusion section that only says "N/A" holds no criterion
        empty_exclusions = re.search(
            r"Exclusion Criteria:\s*(?:[*-]\s*)?(?:N/A|None|Not applicable|-)?\.?\s*$", text, re.I
        )
        if "Exclusion Criteria" in text and not empty_exclusions:
            assert kinds == {"inclusion", "exclusion"}, name
        for criterion in criteria:
            assert text[criterion.start : criterion.end] == criterion.text
            assert criterion.rule is not None or criterion.reason, (name, criterion.id)
