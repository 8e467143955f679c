"""Entity and negation figures on Chia; age extraction against ClinicalTrials.gov ages.

Run::

    .venv/bin/python bench/nlp_eval.py [--split dev|test|train|...]

The data come from the shared folder: ``$TRIALMATCH_SHARED`` or ``shared/`` beside
the repository (see ``bench/shared_data.py``).

Each Chia section file (``NCT…_inc.txt`` / ``_exc.txt``) goes through
``parse_eligibility`` exactly as ``trialmatch parse-text`` would; the
entities of every criterion are compared with the brat annotations.

* relaxed: a prediction is right when it overlaps a gold entity of the same
  type; a gold entity is found when a prediction of its type overlaps it;
* strict: same type and the same start and end (whitespace trimmed);
* negation accuracy: over gold entities found (relaxed), the share whose
  predicted ``negated`` equals Chia's (entity linked to a Negation).

The 600 Chia trials are split once by the rule in ``chia_corpus.trial_parts``:
355 ``train``, 120 ``dev``, 125 ``test``. Every choice (rules, lexicons, the
NER's settings and epochs) is made on ``train`` and ``dev`` (the default
split here); the shipped NER is trained on ``train+dev``, so its ``dev``
figures are no longer a measurement. ``--split test`` is run once, at the
end of a round, for the reported figures; it also prints the ``test-added``
part alone (the 85 test trials of the 400 added later: no choice of any
earlier round was made on them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chia_corpus
from shared_data import SHARED

from nlp_models import pipeline
from nlp_models.parser import parse_eligibility
from trialmatch.core.criteria import Criterion
from trialmatch.core.rules import AgeRule, GroupRule

CTGOV_DIR = SHARED / "data" / "ctgov_v2"
TYPES = tuple(chia_corpus.CHIA_TYPES.values())


@dataclass
class Tally:
    predicted: Counter[str] = field(default_factory=Counter)
    gold: Counter[str] = field(default_factory=Counter)
    relaxed_precise: Counter[str] = field(default_factory=Counter)  # predictions that overlap
    relaxed_found: Counter[str] = field(default_factory=Counter)  # gold entities overlapped
    strict: Counter[str] = field(default_factory=Counter)
    negation_right: int = 0
    negation_total: int = 0
    negated_gold: int = 0
    negated_found: int = 0


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _score_document(document: chia_corpus.ChiaDocument, tally: Tally) -> None:
    text = document.text
    predicted = [
        (e.type, *_trimmed(text, e.start, e.end), e.negated)
        for criterion in parse_eligibility(text)
        for e in criterion.entities
    ]
    gold = [(g.type, *_trimmed(text, g.start, g.end), g.negated) for g in document.entities]
    exact = {(t, s, e) for t, s, e, _ in gold}
    for kind, start, end, _ in predicted:
        tally.predicted[kind] += 1
        if any(g[0] == kind and g[1] < end and start < g[2] for g in gold):
            tally.relaxed_precise[kind] += 1
        if (kind, start, end) in exact:
            tally.strict[kind] += 1
    for kind, start, end, negated in gold:
        tally.gold[kind] += 1
        tally.negated_gold += negated
        hits = [p for p in predicted if p[0] == kind and p[1] < end and start < p[2]]
        if hits:
            tally.relaxed_found[kind] += 1
            tally.negation_total += 1
            guess = any(p[3] for p in hits)
            tally.negation_right += guess == negated
            tally.negated_found += negated and guess


def _prf(right_p: int, predicted: int, right_r: int, gold: int) -> tuple[float, float, float]:
    precision = right_p / predicted if predicted else 0.0
    recall = right_r / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _table(tally: Tally) -> list[str]:
    lines = [
        f"{'type':<12} {'gold':>5} {'pred':>5} | {'relaxed P':>9} {'R':>5} {'F1':>5} | "
        f"{'strict P':>8} {'R':>5} {'F1':>5}"
    ]
    for kind in TYPES:
        lines.append(_row(kind, tally, [kind]))
    lines.append(_row("micro (6)", tally, list(chia_corpus.EVAL_TYPES)))
    lines.append(_row("micro (all)", tally, list(TYPES)))
    return lines


def _row(label: str, tally: Tally, kinds: list[str]) -> str:
    def total(counter: Counter[str]) -> int:
        return sum(counter[k] for k in kinds)

    gold, predicted = total(tally.gold), total(tally.predicted)
    relaxed = _prf(total(tally.relaxed_precise), predicted, total(tally.relaxed_found), gold)
    strict = _prf(total(tally.strict), predicted, total(tally.strict), gold)
    return (
        f"{label:<12} {gold:>5} {predicted:>5} | {relaxed[0]:>9.3f} {relaxed[1]:>5.3f} "
        f"{relaxed[2]:>5.3f} | {strict[0]:>8.3f} {strict[1]:>5.3f} {strict[2]:>5.3f}"
    )


def evaluate_chia(split: str) -> None:
    tally = Tally()
    documents = list(chia_corpus.iter_documents(split))
    for document in documents:
        _score_document(document, tally)
    trials = len({d.trial for d in documents})
    print(f"Chia ({split} split: {trials} trials, {len(documents)} section files)")
    print("\n".join(_table(tally)))
    accuracy = tally.negation_right / tally.negation_total if tally.negation_total else 0.0
    print(
        f"negation accuracy {accuracy:.3f} over {tally.negation_total} found entities; "
        f"negated gold entities found with negated=True: "
        f"{tally.negated_found}/{tally.negated_gold}"
    )


def _years(value: str | None) -> float | None:
    if not value:
        return None
    match = re.match(r"([\d.]+)\s*(\w+)", value)
    if match is None:
        return None
    scale = {"year": 1, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365, "hour": 1 / 8760}
    unit = next((scale[k] for k in scale if match.group(2).lower().startswith(k)), 1.0)
    return round(float(match.group(1)) * unit, 2)


def _ctgov_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for path in sorted(CTGOV_DIR.glob("**/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        studies = data if isinstance(data, list) else data.get("studies", [data])
        records.extend(s for s in studies if isinstance(s, dict))
    return records


def _parsed_ages(text: str) -> AgeRule | None:
    """The first inclusion age rule every patient must meet: the one a registry's age fields mirror.

    That is a top-level rule, or one inside groups that all require every child
    of everyone ("Age: 18 to 75 years", "Adult females 18 years or older").
    """
    criteria = parse_eligibility(text)
    by_id = {criterion.id: criterion for criterion in criteria}

    def binding(criterion: Criterion) -> bool:
        parent = by_id.get(criterion.group) if criterion.group else None
        if parent is None:
            return criterion.group is None
        rule = parent.rule
        required = isinstance(rule, GroupRule) and rule.logic == "all" and not rule.applies_to
        return required and binding(parent)

    for criterion in criteria:
        rule = criterion.rule
        if criterion.kind == "inclusion" and isinstance(rule, AgeRule) and binding(criterion):
            return rule
    return None


def evaluate_ages() -> None:
    seen: set[str] = set()
    total = stated = agree_stated = 0
    for record in _ctgov_records():
        protocol = record.get("protocolSection", {})
        assert isinstance(protocol, dict)
        trial_id = protocol.get("identificationModule", {}).get("nctId", "")
        module = protocol.get("eligibilityModule", {})
        text = module.get("eligibilityCriteria")
        if not text or trial_id in seen:
            continue
        seen.add(trial_id)
        total += 1
        expected = (_years(module.get("minimumAge")), _years(module.get("maximumAge")))
        parsed = _parsed_ages(text)
        if parsed is None:
            continue
        stated += 1
        agree_stated += _agrees(parsed, expected)
    print(
        f"\nAge vs ClinicalTrials.gov minimumAge/maximumAge ({total} unique trials): "
        f"an inclusion age rule was found in {stated}; both bounds agree with the "
        f"structured ages (a bound the text leaves open counts as agreeing only when the "
        f"registry leaves it open too) in "
        f"{agree_stated}/{stated} = {agree_stated / max(stated, 1):.3f}"
    )


NO_LIMIT_YEARS = 99  # registries write "no maximum" as 99, 120 or 130 years


def _bound_agrees(parsed: float | None, inclusive: bool, expected: float | None) -> bool:
    if expected is not None and expected >= NO_LIMIT_YEARS:
        expected = None
    if parsed is None or expected is None:
        return parsed == expected or expected in (None, 0.0)
    # registries write "< 18 years" as a maximum age of 17 years
    candidates = (parsed,) if inclusive else (parsed, parsed - 1, parsed + 1)
    return any(abs(candidate - expected) < 0.1 for candidate in candidates)


def _agrees(parsed: AgeRule, expected: tuple[float | None, float | None]) -> bool:
    return _bound_agrees(parsed.min, parsed.min_inclusive, expected[0]) and _bound_agrees(
        parsed.max, parsed.max_inclusive, expected[1]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--split", default="dev", choices=chia_corpus.SPLITS)
    parser.add_argument(
        "--ner", type=Path, help="a trained NER to use instead of nlp_models/trained/chia_ner"
    )
    parser.add_argument("--no-ages", action="store_true", help="skip the age agreement check")
    args = parser.parse_args()
    if args.ner is not None:
        pipeline.TRAINED_NER = args.ner  # read when the pipeline is first built, below
    evaluate_chia(args.split)
    if args.split == "test":
        print()
        evaluate_chia("test-added")
    if not args.no_ages:
        evaluate_ages()


if __name__ == "__main__":
    main()
