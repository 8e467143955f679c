"""Writers of the three referral files, from typed `ReferralEntry` values."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from trialmatch.core.match import MatchResult

CSV_COLUMNS = (
    "trial_id",
    "trial_title",
    "site",
    "patient_id",
    "verdict",
    "score",
    "distance_km",
    "new",
    "unknowns",
    "checklist",
)


@dataclass(frozen=True)
class ReferralEntry:
    result: MatchResult
    new: bool
    trial_title: str = ""


def sort_key(entry: ReferralEntry) -> tuple[Any, ...]:
    result = entry.result
    distance = result.distance_km if result.distance_km is not None else float("inf")
    return (result.trial_id, result.site or "", -result.score, distance, result.patient_id)


def write_referrals(
    entries: Sequence[ReferralEntry], out_dir: Path, *, generated: dt.datetime | None = None
) -> list[Path]:
    """Write the three files into *out_dir* (created); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ordered = sorted((e for e in entries if e.result.verdict != "ineligible"), key=sort_key)
    stamp = (generated or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    paths = [out_dir / "referrals.csv", out_dir / "referrals.json", out_dir / "referrals.html"]
    _atomic_write(paths[0], _csv_text(ordered))
    _atomic_write(
        paths[1], json.dumps([_json_entry(e) for e in ordered], ensure_ascii=False, indent=1)
    )
    _atomic_write(paths[2], _html_text(ordered, stamp))
    return paths


def _atomic_write(path: Path, text: str) -> None:
    # a coordinator opening the file mid-run sees the old list or the new, never half
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _csv_text(entries: Sequence[ReferralEntry]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        result = entry.result
        questions = [item.question or item.text for item in result.checklist]
        writer.writerow(
            [
                result.trial_id,
                entry.trial_title,
                result.site or "",
                result.patient_id,
                result.verdict,
                f"{result.score:.4f}",
                "" if result.distance_km is None else f"{result.distance_km:.1f}",
                "yes" if entry.new else "no",
                result.unknown_count,
                " | ".join(questions),
            ]
        )
    return buffer.getvalue()


def _json_entry(entry: ReferralEntry) -> dict[str, Any]:
    result = entry.result
    return {
        "patient_id": result.patient_id,
        "trial_id": result.trial_id,
        "verdict": result.verdict,
        "score": result.score,
        "distance_km": result.distance_km,
        "new": entry.new,
        "site": result.site,
        "criteria": [
            {
                "id": item.id,
                "kind": item.kind,
                "text": item.text,
                "status": item.status,
                "evidence": item.evidence,
                **({"group": item.group} if item.group else {}),
            }
            for item in result.criteria
        ],
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _html_text(entries: Sequence[ReferralEntry], stamp: str) -> str:
    trials: list[dict[str, Any]] = []
    for entry in entries:
        result = entry.result
        if not trials or trials[-1]["trial_id"] != result.trial_id:
            trials.append({"trial_id": result.trial_id, "title": entry.trial_title, "sites": []})
        sites = trials[-1]["sites"]
        site_name = result.site or "Site unknown (no coordinates)"
        if not sites or sites[-1]["name"] != site_name:
            sites.append({"name": site_name, "entries": []})
        sites[-1]["entries"].append(entry)
    template = _environment().get_template("referrals.html")
    return template.render(
        trials=trials,
        generated=stamp,
        total=len(entries),
        new=sum(1 for entry in entries if entry.new),
    )
