"""Rule entities (lexicons, drug dictionary, values, time) and their merge with the NER.

``trialmatch_rule_entities`` marks, in ``doc.spans["rules"]``:

* terms of ``data/entity_lexicon.json`` (person, observation, procedure,
  device, condition) and ``data/condition_gazetteer.json`` (Chia's train
  split and ICD-10-CM disease names, see ``bench/build_gazetteer.py``),
  measurement names (``data/measurements.json``) and drug class names
  (``data/drug_classes/``), with a PhraseMatcher on lower case;
* drug names found by the ``drug-named-entity-recognition`` dictionary;
* values (`nlp_models.values`) and time expressions (`nlp_models.temporal`).

``trialmatch_merge_entities`` puts the statistical NER's ``doc.ents`` and the
rule spans into ``doc.spans["entities"]``: a rule span wins over an NER
span of the same type that it overlaps (rules carry the normalisation), and
spans of different types may overlap, as in Chia ("over 18 years" is both a
person and a value).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from knowledge import drugs as drug_knowledge
from knowledge import measurements
from knowledge.drug_dictionary import find_drug_names
from nlp_models.context import ENTITY_KEY
from nlp_models.doc_text import source_text
from nlp_models.temporal import find_temporal
from nlp_models.values import find_values

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "entity_lexicon.json"
GAZETTEER_FILE = Path(__file__).resolve().parent / "data" / "condition_gazetteer.json"
RULES_KEY = "rules"
NORMALIZED_KEY = "trialmatch_normalized"
# words the drug dictionary knows that criteria use in another sense
_NOT_DRUGS = frozenset(
    {"alcohol", "oxygen", "water", "iron", "contrast", "vitamin", "study", "placebo", "test",
     "lead", "sodium", "potassium", "calcium", "magnesium", "glucose", "insulin resistance",
     "air", "blood", "plasma", "cocaine", "tobacco", "nicotine", "caffeine"}
)  # fmt: skip


# the NER's condition and drug spans give way to a dictionary span of another clinical type
_NER_YIELDS = frozenset({"condition", "drug"})
_DICTIONARY_TYPES = frozenset({"condition", "drug", "measurement", "procedure", "device"})
# drugs are left out: Chia seldom annotates a drug's abbreviation (F1 fell)
_ABBREVIATED_TYPES = frozenset({"condition", "measurement", "procedure"})
_ABBREVIATION = re.compile(r"[A-Za-z][A-Za-z0-9\-]{1,9}")
_TREATMENT_WORD = re.compile(r"therap|treatment|chemotherapy|anticoagulation")
_TIME_UNITS = frozenset({"years", "months", "weeks", "days", "hours"})


def normalized_of(doc: Doc, span: Span) -> str | None:
    table: dict[tuple[int, int, str], str] = doc.user_data.get(NORMALIZED_KEY, {})
    return table.get((span.start_char, span.end_char, span.label_))


class RuleEntities:
    def __init__(self, nlp: Language, lexicon: dict[str, list[str]]) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.normal: dict[str, str] = {}
        for entity_type, terms in lexicon.items():
            self.matcher.add(entity_type, [nlp.make_doc(term) for term in terms])
        for name, measurement_id in measurements.measurement_synonyms().items():
            self._add(nlp, "measurement", name, measurement_id)
        for phrase, class_id in drug_knowledge.class_phrases().items():
            # "chemotherapy", "anticoagulant therapy": a treatment (Chia: procedure) that
            # still names a drug class for the medication rule
            label = "procedure" if _TREATMENT_WORD.search(phrase) else "drug"
            self._add(nlp, label, phrase, f"class:{class_id}")
        for phrase, drug in drug_knowledge.known_drug_names().items():
            self._add(nlp, "drug", phrase, drug)

    def _add(self, nlp: Language, entity_type: str, phrase: str, normalized: str) -> None:
        key = f"{entity_type}|{normalized}"
        self.matcher.add(key, [nlp.make_doc(phrase)])

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        normalized: dict[tuple[int, int, str], str] = {}
        for key, start, end in self.matcher(doc):
            label, _, norm = doc.vocab.strings[key].partition("|")
            spans.append(Span(doc, start, end, label=label))
            if not norm and label == "condition":
                norm = spans[-1].text.lower()  # marks a lexicon term, preferred by the rules
            if norm:
                normalized[(spans[-1].start_char, spans[-1].end_char, label)] = norm
        named = [s for s in spans if (s.start_char, s.end_char, s.label_) in normalized]
        spans.extend(self._drug_spans(doc, normalized, [s for s in named if s.label_ == "drug"]))
        spans.extend(self._regex_spans(doc))
        doc.spans[RULES_KEY] = spans
        doc.user_data[NORMALIZED_KEY] = normalized
        return doc

    def _drug_spans(
        self, doc: Doc, normalized: dict[tuple[int, int, str], str], known: list[Span]
    ) -> list[Span]:
        spans = []
        strings = doc.vocab.strings
        tokens = [strings[orth] for orth in doc.to_array("ORTH").tolist()]  # no Token objects
        for entry, start, end in find_drug_names(tokens):
            span = Span(doc, start, end, label="drug")
            if span.text.lower() in _NOT_DRUGS or len(span.text) < 3:
                continue
            if any(_overlap(span, other) for other in known):
                continue  # our class and alias lexicon already named it
            spans.append(span)
            if drug_knowledge.is_class_entry(entry):
                continue  # a class we have no member list for: a drug mention, not a drug name
            name = drug_knowledge.normalize_drug(span.text) or entry.name.lower()
            if name:
                normalized[(span.start_char, span.end_char, "drug")] = name
        return spans

    def _regex_spans(self, doc: Doc) -> list[Span]:
        text = source_text(doc)
        # bare numbers and bare time words are left to the NER: as rules they were mostly
        # wrong on Chia's train split (a comparator or a window is a safe sign)
        # a time with a comparator ("at least 6 months") is temporal, a count is no value
        found = [
            (v.start, v.end, "value")
            for v in find_values(text)
            if (v.comparator != "=" and v.unit is not None and v.unit not in _TIME_UNITS)
            or (v.comparator != "=" and v.unit is None and not text[v.start].isalpha())
            or text[v.start] == "="  # a written "=" (often a "≥" lost in conversion) is no count
        ]
        found += [(t.start, t.end, "temporal") for t in find_temporal(text) if t.kind != "mention"]
        spans = []
        for start, end, label in found:
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None and len(span) > 0:
                spans.append(span)
        return spans


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


# the model's spans sometimes take a joining word along ("HH with", "abnormal pituitary or")
# or are a bare degree word ("low" of "low gonadotropin levels"): neither names anything
_EDGE_WORDS = frozenset(
    {"with", "without", "or", "and", "and/or", "of", "in", "on", "for", "the", "a", "an", "to",
     "by", "from", "at", "as", "than", "due"}
)  # fmt: skip
_BARE_QUALIFIERS = frozenset(
    {"low", "high", "normal", "abnormal", "elevated", "decreased", "increased", "reduced",
     "positive", "negative", "mild", "moderate", "severe", "acute", "chronic", "active",
     "stable", "known", "other", "better", "worse"}
)  # fmt: skip


def _trimmed(span: Span) -> Span | None:
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].lower_ in _EDGE_WORDS or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].lower_ in _EDGE_WORDS or doc[end - 1].is_punct):
        end -= 1
    if start == end or all(token.lower_ in _BARE_QUALIFIERS for token in doc[start:end]):
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label_)


def merge_entities(doc: Doc) -> Doc:
    table: dict[tuple[int, int, str], str] = doc.user_data.get(NORMALIZED_KEY, {})
    rules = list(doc.spans.get(RULES_KEY, []))
    # "antineoplastic therapy" names a class as a whole: the dictionary's drug
    # "antineoplastic" inside it is no drug of its own
    classes = [s for s in rules if _names_class(s, table)]
    rules = [s for s in rules if s.label_ != "drug" or not any(_contains(c, s) for c in classes)]
    drugs = [span for span in rules if span.label_ == "drug"]
    labs = [span for span in rules if span.label_ == "measurement"]
    # "sodium" in "sodium valproate" is a salt, not the sodium lab value; "alanine
    # aminotransferase" is a lab, though the drug dictionary knows alanine
    rules = [
        s
        for s in rules
        if (s.label_ == "drug" and not any(_overlap(lab, s) and len(lab) >= len(s) for lab in labs))
        or (
            s.label_ != "drug"
            and not any(_overlap(s, d) and s.label_ != "measurement" for d in drugs)
        )
        or (s.label_ == "measurement" and not any(_contains(d, s) for d in drugs))
        or s in classes
    ]
    merged = _longest_per_type(rules, table)
    for found in doc.ents:
        span = _trimmed(found)
        if span is None:
            continue
        if any(other.label_ == span.label_ and _overlap(span, other) for other in merged):
            continue
        if span.label_ == "drug" and any(_overlap(span, lab) for lab in labs):
            continue  # "alanine aminotransferase": a lab the drug dictionary half knows
        if span.label_ in _NER_YIELDS and any(
            _overlap(span, other)
            and other.label_ in _DICTIONARY_TYPES
            and other.label_ != span.label_
            for other in rules
        ):
            continue  # a dictionary names it otherwise ("HIV" test, "insulin" drug)
        merged.append(span)
    # an age ("over 18 years", "aged 18 years or older") is a person and a value in Chia,
    # never a time expression
    people = [span for span in merged if span.label_ == "person"]
    merged = [
        span
        for span in merged
        if span.label_ != "temporal" or not any(_overlap(span, p) for p in people)
    ]
    merged.extend(_abbreviations(doc, merged))
    doc.spans[ENTITY_KEY] = sorted(merged, key=lambda s: (s.start, s.end))
    return doc


def _abbreviations(doc: Doc, spans: list[Span]) -> list[Span]:
    """'myocardial infarction (MI)': the abbreviation is a mention of the same entity.

    As in Chia. It gets no normalised name: the rules name the entity by its full name.
    """
    found = []
    for span in spans:
        if span.label_ not in _ABBREVIATED_TYPES or span.end + 3 > len(doc):
            continue
        opening, abbreviation, closing = doc[span.end], doc[span.end + 1], doc[span.end + 2]
        if (
            opening.text != "("
            or closing.text != ")"
            or not _ABBREVIATION.fullmatch(abbreviation.text)
        ):
            continue
        if any(o.label_ == span.label_ and o.start <= abbreviation.i < o.end for o in spans):
            continue
        found.append(Span(doc, abbreviation.i, abbreviation.i + 1, label=span.label_))
    return found


def _names_class(span: Span, table: dict[tuple[int, int, str], str]) -> bool:
    return table.get((span.start_char, span.end_char, span.label_), "").startswith("class:")


def _contains(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and len(outer) > len(inner)


def _longest_per_type(spans: list[Span], table: dict[tuple[int, int, str], str]) -> list[Span]:
    """Per type, a normalised span (the rules need its name) wins, then the longest.

    "prednisone" (the dictionary's) wins over "prednisone, or equivalent" (a Chia term).
    """
    kept: list[Span] = []

    def rank(span: Span) -> tuple[int, int, int]:
        named = (span.start_char, span.end_char, span.label_) in table
        return (0 if named else 1, span.start - span.end, span.start)

    for span in sorted(spans, key=rank):
        if not any(other.label_ == span.label_ and _overlap(span, other) for other in kept):
            kept.append(span)
    return kept


@Language.factory(
    "trialmatch_rule_entities",
    default_config={"lexicon_file": str(LEXICON_FILE), "gazetteer_file": str(GAZETTEER_FILE)},
)
def make_rule_entities(
    nlp: Language, name: str, lexicon_file: str, gazetteer_file: str
) -> RuleEntities:
    data: dict[str, Any] = json.loads(Path(lexicon_file).read_text(encoding="utf-8"))
    terms: dict[str, list[str]] = dict(data["terms"])
    gazetteer = json.loads(Path(gazetteer_file).read_text(encoding="utf-8"))
    terms["condition"] = sorted(
        {*terms.get("condition", []), *gazetteer["terms"], *gazetteer.get("icd10cm_terms", [])}
    )
    # Chia-derived drug, procedure and time terms (bench/build_gazetteer.py): entities only, with
    # no normalised name, so the medication rules still rest on the dictionaries
    for entity_type, extra in gazetteer.get("other_types", {}).items():
        terms[entity_type] = sorted({*terms.get(entity_type, []), *extra})
    return RuleEntities(nlp, terms)


@Language.component("trialmatch_merge_entities")
def merge_entities_component(doc: Doc) -> Doc:
    return merge_entities(doc)
