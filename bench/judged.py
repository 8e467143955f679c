"""Verdicts against clinical experts' judgments: the whole pipeline on judged real patients.

The shared set (``shared/data/judged_matching/trec2022``: 50 patient cases
written as profiles, 1,881 judged trials, 3,144 expert verdicts) runs as a
user runs it: the trials are served by the loopback snapshot server and
crawled, parsed, the profiles imported, matched, all through the
``trialmatch`` commands. Then the referral list is scored as the data's
README says: a pair listed ``eligible`` ranks above one listed ``possible``,
which ranks above one not listed (ties broken by score).

Prints the confusion table (judged grade against verdict), the share of
judged-eligible pairs listed, the eligible-vs-excluded and the
relevant-vs-not-relevant AUCs (within each topic, pooled over topics), and
BM25 on the same pairs beside them (the case note against the trial's
title, conditions and criteria). ``--why`` groups the wrongly decided
pairs by the kind of criterion that decided them, with the evidence.

The shared set was used to develop the matcher: its figures are not a
held-out measurement (see README.md).

    .venv/bin/python bench/judged.py                  # fresh database, all steps
    .venv/bin/python bench/judged.py --why            # and the wrong pairs, grouped
    .venv/bin/python bench/judged.py --keep var/judged  # keep (and reuse) the database
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared_data import SHARED  # noqa: E402

JUDGED = SHARED / "data" / "judged_matching" / "trec2022"
GRADES = {2: "eligible", 1: "excluded", 0: "not relevant"}
Pair = tuple[str, str]


@dataclass(frozen=True)
class Judgment:
    topic: str
    patient_id: str
    trial_id: str
    grade: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder for the database and lists (reused)")
    parser.add_argument("--why", action="store_true", help="group the wrongly decided pairs")
    parser.add_argument("--examples", type=int, default=3, help="examples per group with --why")
    options = parser.parse_args()
    judgments = read_judgments(JUDGED / "qrels.tsv")
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
        folder = options.keep
        run_pipeline(folder)
    else:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            run_pipeline(folder)
            report(folder, judgments, options)
        return
    report(folder, judgments, options)


# --- the pipeline, as a user runs it ------------------------------------------------


def run_pipeline(folder: Path) -> None:
    from trialmatch.snapshot_server import SnapshotServer

    database, lists = folder / "trialmatch.db", folder / "referrals"
    studies = json.loads((JUDGED / "studies.json").read_text(encoding="utf-8"))["studies"]
    environment = {**os.environ, "TRIALMATCH_REQUEST_DELAY": "0"}
    started = time.perf_counter()
    with SnapshotServer(studies) as server:
        _command(["crawl", "--registry", "ctgov", "--base-url", server.base_url, "--quiet"],
                 database, environment)  # fmt: skip
    _command(["parse", "--quiet"], database, environment)
    _command(["patients", "import", str(JUDGED / "profiles.jsonl")], database, environment)
    _command(["match", "--out", str(lists)], database, environment)
    print(f"pipeline: {time.perf_counter() - started:.1f} s ({len(studies)} trials)")


def _command(arguments: list[str], database: Path, environment: Mapping[str, str]) -> None:
    command = [sys.executable, "-m", "trialmatch.cli", *arguments, "--db", str(database)]
    result = subprocess.run(command, env=dict(environment), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"trialmatch {arguments[0]} failed:\n{result.stdout}\n{result.stderr}")


# --- scoring ---------------------------------------------------------------------


def read_judgments(path: Path) -> list[Judgment]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    found = []
    for line in lines:
        topic, patient_id, trial_id, grade = line.split("\t")
        found.append(Judgment(topic, patient_id, trial_id, int(grade)))
    return found


def listed_pairs(folder: Path) -> dict[Pair, dict[str, Any]]:
    entries = json.loads((folder / "referrals" / "referrals.json").read_text(encoding="utf-8"))
    return {(entry["patient_id"], entry["trial_id"]): entry for entry in entries}


def rank_key(entry: Mapping[str, Any] | None) -> tuple[int, float]:
    if entry is None:
        return (0, 0.0)
    return (2 if entry["verdict"] == "eligible" else 1, float(entry["score"]))


def pooled_auc(
    judgments: Sequence[Judgment], keys: Mapping[Pair, tuple[int, float]], high: set[int]
) -> tuple[float, float]:
    """(pooled, mean per topic) AUC of *high* grades against the others, within each topic."""
    by_topic: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in judgments:
        by_topic[judgment.topic].append(judgment)
    wins = comparisons = 0.0
    per_topic = []
    for items in by_topic.values():
        ups = [keys[(j.patient_id, j.trial_id)] for j in items if j.grade in high]
        downs = [keys[(j.patient_id, j.trial_id)] for j in items if j.grade not in high]
        if not ups or not downs:
            continue
        topic_wins = sum((up > down) + 0.5 * (up == down) for up in ups for down in downs)
        per_topic.append(topic_wins / (len(ups) * len(downs)))
        wins += topic_wins
        comparisons += len(ups) * len(downs)
    return wins / comparisons, sum(per_topic) / len(per_topic)


def report(folder: Path, judgments: list[Judgment], options: argparse.Namespace) -> None:
    listed = listed_pairs(folder)
    keys = {(j.patient_id, j.trial_id): rank_key(listed.get((j.patient_id, j.trial_id)))
            for j in judgments}  # fmt: skip
    bm25 = bm25_keys(judgments)
    print_confusion(judgments, listed)
    eligible = [j for j in judgments if j.grade == 2]
    found = sum(1 for j in eligible if (j.patient_id, j.trial_id) in listed)
    print(f"judged-eligible pairs listed: {found}/{len(eligible)} = {found / len(eligible):.3f}")
    graded = [j for j in judgments if j.grade > 0]
    for name, subset, high in (
        ("eligible-vs-excluded AUC", graded, {2}),
        ("relevant-vs-not-relevant AUC", judgments, {1, 2}),
    ):
        pooled, mean = pooled_auc(subset, keys, high)
        base, base_mean = pooled_auc(subset, bm25, high)
        print(f"{name}: {pooled:.3f} (per-topic mean {mean:.3f}); "
              f"BM25 {base:.3f} ({base_mean:.3f})")  # fmt: skip
    if options.why:
        explain(folder, judgments, listed, options.examples)


def print_confusion(
    judgments: Iterable[Judgment], listed: Mapping[Pair, Mapping[str, Any]]
) -> None:
    table: Counter[tuple[int, str]] = Counter()
    for judgment in judgments:
        entry = listed.get((judgment.patient_id, judgment.trial_id))
        table[judgment.grade, entry["verdict"] if entry else "not listed"] += 1
    columns = ("eligible", "possible", "not listed")
    header = "judged / verdict"
    print(f"{header:<18}" + "".join(f"{c:>12}" for c in columns))
    for grade in (2, 1, 0):
        cells = "".join(f"{table[grade, c]:>12}" for c in columns)
        print(f"{GRADES[grade]:<18}{cells}")


# --- BM25 on the same pairs -----------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "in",
        "on",
        "to",
        "for",
        "with",
        "by",
        "at",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "his",
        "her",
        "he",
        "she",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "as",
        "not",
        "no",
        "who",
        "which",
    ]
)


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP and len(t) > 1]


def bm25_keys(judgments: Sequence[Judgment]) -> dict[Pair, tuple[int, float]]:
    """BM25 (k1 1.2, b 0.75) of each case note against each judged trial's text."""
    studies = json.loads((JUDGED / "studies.json").read_text(encoding="utf-8"))["studies"]
    documents: dict[str, list[str]] = {}
    for study in studies:
        protocol = study["protocolSection"]
        text = " ".join(
            [
                protocol["identificationModule"].get("briefTitle", ""),
                protocol["identificationModule"].get("officialTitle", ""),
                " ".join(protocol.get("conditionsModule", {}).get("conditions", [])),
                protocol.get("eligibilityModule", {}).get("eligibilityCriteria", ""),
            ]
        )
        documents[protocol["identificationModule"]["nctId"]] = _tokens(text)
    frequency: Counter[str] = Counter()
    for words in documents.values():
        frequency.update(set(words))
    count, average = len(documents), sum(map(len, documents.values())) / len(documents)
    notes = {}
    for line in (JUDGED / "topics.jsonl").read_text(encoding="utf-8").splitlines():
        topic = json.loads(line)
        notes[topic["_id"].removeprefix("trec-2022")] = _tokens(topic["text"])
    keys = {}
    for judgment in judgments:
        words = documents.get(judgment.trial_id, [])
        counts = Counter(words)
        score = 0.0
        for term in set(notes[judgment.topic]):
            if term not in counts:
                continue
            idf = math.log(1 + (count - frequency[term] + 0.5) / (frequency[term] + 0.5))
            tf = counts[term]
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / average))
        keys[judgment.patient_id, judgment.trial_id] = (0, score)
    return keys


# --- why: the wrong pairs, grouped ------------------------------------------------------


def explain(
    folder: Path,
    judgments: Sequence[Judgment],
    listed: Mapping[Pair, Mapping[str, Any]],
    examples: int,
) -> None:
    stored = _stored_matches(folder / "trialmatch.db")
    groups: dict[str, list[str]] = defaultdict(list)
    for judgment in judgments:
        pair = (judgment.patient_id, judgment.trial_id)
        entry = listed.get(pair)
        if judgment.grade == 2 and entry is None:
            for kind, line in _deciders(pair, stored):
                groups[f"eligible, not listed: {kind}"].append(line)
        elif judgment.grade == 1 and entry is not None and entry["verdict"] == "eligible":
            groups["excluded, listed eligible"].append(f"{pair}")
        elif judgment.grade == 0 and entry is not None:
            groups[f"not relevant, listed {entry['verdict']}"].append(f"{pair}")
    print("\nwrongly decided pairs, by what decided them:")
    for name, lines in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"  {len(lines):>4}  {name}")
        for line in lines[:examples]:
            print(f"          {line}")


def _stored_matches(path: Path) -> dict[Pair, dict[str, Any]]:
    connection = sqlite3.connect(path)
    rows = connection.execute("SELECT patient_id, trial_id, verdict, criteria FROM matches")
    found = {
        (patient, trial): {"verdict": verdict, "criteria": json.loads(criteria)["criteria"]}
        for patient, trial, verdict, criteria in rows
    }
    connection.close()
    return found


def _deciders(pair: Pair, stored: Mapping[Pair, Mapping[str, Any]]) -> list[tuple[str, str]]:
    match = stored.get(pair)
    if match is None:
        return [("never a candidate", f"{pair}")]
    failing = [item for item in match["criteria"] if item["status"] in ("met", "not_met")]
    return [
        (
            f"{item['kind']} {item.get('category', '?')}",
            f"{pair} {item['id']} {item['status']}: {item['text'][:90]!r}"
            f" ← {item['evidence'][:90]}",
        )
        for item in failing
    ] or [("ineligible, no reason stored", f"{pair}")]


if __name__ == "__main__":
    main()
