"""One listed pair rendered for the lists: its JSON entry, its HTML section, its checklist.

Rendered by the worker that evaluated the pair, so the run's writer only
joins bytes. The score and the "new" mark are left out of the renderings and
put in when the lists are written (`compose_entry`, `compose_fragment`):
they are the only parts that can change while the evaluation stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import orjson

from trialmatch.core.match import CriterionResult, MatchResult

SCORE_MARK = b"<!--score-->"
NEW_MARK = b"<!--new-->"
_NEW_BADGE = b'<span class="new">NEW</span>'


def entry_body(result: MatchResult) -> bytes:
    """The JSON entry of `docs/DESIGN.md` without its score and "new", and without its
    opening brace (`compose_entry` adds them)."""
    head = orjson.dumps(
        {
            "patient_id": result.patient_id,
            "trial_id": result.trial_id,
            "verdict": result.verdict,
            "distance_km": result.distance_km,
            "site": result.site,
        }
    )
    criteria = b",".join(_pieces(item).json for item in result.criteria)
    return head[1:-1] + b',"criteria":[' + criteria + b"]}"


def compose_entry(body: bytes, score: float, new: bool) -> bytes:
    return b'{"score":' + orjson.dumps(score) + b',"new":' + (b"true," if new else b"false,") + body


def checklist_text(result: MatchResult) -> str:
    return " | ".join(item.question or item.text for item in result.checklist)


def html_fragment(result: MatchResult, title: str) -> bytes:
    """The pair's section of a site page, with marks where the score and "new" go."""
    pieces = [_pieces(item) for item in result.criteria]
    rows = "".join(piece.row for piece in pieces)
    questions = "".join(piece.question for piece in pieces)
    checklist = (
        f'<p><strong>To ask or check with the patient:</strong></p><ul class="checklist">'
        f"{questions}</ul>"
        if questions
        else ""
    )
    distance = "distance unknown" if result.distance_km is None else f"{result.distance_km:.1f} km"
    heading = escape(f"{result.trial_id} — {title}" if title else result.trial_id)
    return (
        f'<section class="patient"><header><span class="pseudonym">'
        f'{escape(result.patient_id)}</span><span class="trial">{heading}</span>'
        f'<span class="verdict {result.verdict}">{result.verdict}</span>'
        f"<span>score {SCORE_MARK.decode()}</span><span>{distance}</span>{NEW_MARK.decode()}"
        f"</header><table><thead><tr><th>Status</th><th>Criterion</th><th>Evidence</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>{checklist}</section>\n"
    ).encode()


@dataclass(frozen=True, slots=True)
class _Pieces:
    json: bytes
    row: str
    question: str  # its checklist line, "" when it is none


# the same criterion with the same answer recurs across the patients of a trial
_PIECES: dict[CriterionResult, _Pieces] = {}
_PIECES_KEPT = 200_000


def _pieces(item: CriterionResult) -> _Pieces:
    found = _PIECES.get(item)
    if found is None:
        found = _render(item)
        if len(_PIECES) >= _PIECES_KEPT:
            _PIECES.clear()
        _PIECES[item] = found
    return found


def _render(item: CriterionResult) -> _Pieces:
    document = {
        "id": item.id,
        "kind": item.kind,
        "text": item.text,
        "status": item.status,
        "evidence": item.evidence,
        **({"group": item.group} if item.group else {}),
    }
    row = (
        f'<tr class="{"child" if item.group else ""}"><td class="status {item.status}">'
        f"{item.status.replace('_', ' ')}</td><td>{item.kind}: {escape(item.text)}</td>"
        f"<td>{escape(item.evidence)}</td></tr>"
    )
    asked = item.status in ("unknown", "not_evaluable") and item.category != "group"
    question = f"<li>{escape(item.question or item.text)}</li>" if asked else ""
    return _Pieces(orjson.dumps(document), row, question)


def compose_fragment(fragment: bytes, score: float, new: bool) -> bytes:
    return fragment.replace(SCORE_MARK, f"{score:.2f}".encode(), 1).replace(
        NEW_MARK, _NEW_BADGE if new else b"", 1
    )
