"""ConText for eligibility criteria: negated, historical, hypothetical, family, exception.

A spaCy factory (``trialmatch_context``) reads its trigger terms from
``data/context_triggers.json``. A trigger opens a scope forward (to a
terminator or at most ``max_scope_tokens`` tokens) or backward (to the start
of the clause); every entity in ``doc.spans["entities"]`` that starts inside
a scope gets the trigger's category as a flag in ``doc.user_data``.
Exceptions ("other than benzodiazepines") count as negated too, as in Chia.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

TRIGGERS_FILE = Path(__file__).resolve().parent / "data" / "context_triggers.json"
ENTITY_KEY = "entities"
FLAGS_KEY = "trialmatch_context"
CATEGORIES = ("negated", "historical", "hypothetical", "family", "exception")


@dataclass(frozen=True)
class _Scope:
    category: str
    start: int  # token indexes
    end: int


def entity_flags(doc: Doc, span: Span) -> dict[str, bool]:
    """The context flags the component set on one entity span."""
    flags: dict[tuple[int, int, str], dict[str, bool]] = doc.user_data.get(FLAGS_KEY, {})
    return flags.get((span.start_char, span.end_char, span.label_), {})


class ContextComponent:
    def __init__(self, nlp: Language, rules: dict[str, Any]) -> None:
        self.max_scope = int(rules["max_scope_tokens"])
        self.terminators = frozenset(rules["terminators"])
        self.categories: dict[str, tuple[str, str]] = {}
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for index, trigger in enumerate(rules["triggers"]):
            key = f"trigger_{index}"
            self.categories[key] = (trigger["category"], trigger["direction"])
            self.matcher.add(key, [nlp.make_doc(trigger["phrase"])])
        self.matcher.add("pseudo", [nlp.make_doc(phrase) for phrase in rules["pseudo"]])

    def __call__(self, doc: Doc) -> Doc:
        scopes = self._scopes(doc)
        flags: dict[tuple[int, int, str], dict[str, bool]] = {}
        for span in doc.spans.get(ENTITY_KEY, []):
            found = {s.category for s in scopes if s.start <= span.start < s.end}
            if "exception" in found:
                found.add("negated")
            if found:
                flags[(span.start_char, span.end_char, span.label_)] = {c: True for c in found}
        doc.user_data[FLAGS_KEY] = flags
        return doc

    def _scopes(self, doc: Doc) -> list[_Scope]:
        matches = self.matcher(doc)
        pseudo = [(start, end) for key, start, end in matches if doc.vocab.strings[key] == "pseudo"]
        scopes = []
        for key, start, end in matches:
            name = doc.vocab.strings[key]
            if name == "pseudo" or any(s <= start and end <= e for s, e in pseudo):
                continue
            if _word_prefix(doc, end):
                continue
            category, direction = self.categories[name]
            if direction == "forward":
                scopes.append(_Scope(category, end, self._forward_end(doc, end)))
            else:
                scopes.append(_Scope(category, self._backward_start(doc, start), start))
        return scopes

    def _forward_end(self, doc: Doc, start: int) -> int:
        limit = min(len(doc), start + self.max_scope)
        for index in range(start, limit):
            if doc[index].lower_ in self.terminators:
                return index
        return limit

    def _backward_start(self, doc: Doc, end: int) -> int:
        limit = max(0, end - self.max_scope)
        for index in range(end - 1, limit - 1, -1):
            if doc[index].lower_ in self.terminators or doc[index].text == ",":
                return index + 1
        return limit


# "non-smoker", "non-pregnant": a state the prefix does negate
_NEGATED_STATES = frozenset(
    {"smoker", "smokers", "smoking", "drinker", "drinkers", "pregnant", "lactating", "diabetic"}
)


def _word_prefix(doc: Doc, end: int) -> bool:
    """ "non-steroidal", "non-small cell", "non-Hodgkin": a prefix of a name, not a negation."""
    trigger = doc[end - 1]
    return (
        end + 1 < len(doc)
        and trigger.lower_ == "non"
        and not trigger.whitespace_
        and doc[end].text == "-"
        and doc[end + 1].lower_ not in _NEGATED_STATES
    )


@Language.factory("trialmatch_context", default_config={"rules_file": str(TRIGGERS_FILE)})
def make_context(nlp: Language, name: str, rules_file: str) -> ContextComponent:
    rules = json.loads(Path(rules_file).read_text(encoding="utf-8"))
    return ContextComponent(nlp, rules)
