"""Condition rules: which conditions, which do not count, history, window, negation.

Condition names come from an enumeration when the criterion has one ("such
as cancer, HIV, epilepsy …", "the following …: schizophrenic disorder, …"),
else from the condition entities, else from the criterion's head phrase.
Names go through the one condition vocabulary (`knowledge.conditions`), so
the matcher sees one term per condition ("Cirrhosis of the liver" -> "liver
cirrhosis", "CHF" -> "congestive heart failure").
"""

from __future__ import annotations

import re

from knowledge.conditions import canonical_condition, degree_phrases
from nlp_models.temporal import find_temporal
from trialmatch.core.criteria import Entity
from trialmatch.core.rules import ConditionRule

_DEPENDENCE = re.compile(
    r"\b(?:dependen(?:ce|cy|t)|addiction|abuse|misuse|use\s+disorders?)\b\s+(?:on|to|of|with)?\s*"
    r"(?:any\s+)?(?:other\s+)?(?:substances?|drugs?|psychoactive|illicit)",
    re.IGNORECASE,
)
_ENUMERATION = re.compile(
    r"(?:\bsuch\s+as\b|\bincluding\b|\be\.g\.,?|\bi\.e\.,?|:)\s*(?P<list>[^.;]+)", re.I
)
_LEAD = re.compile(
    r"^(?:(?:patients?|subjects?|participants?|individuals?|women|men|people)\s+"
    r"(?:with|who\s+(?:have|has|had|are)|having|presenting)\s+)?(?:a\s+|an\s+|any\s+)?"
    r"(?:(?:known|documented|confirmed|current|active|previous|prior|past|significant|"
    r"clinically\s+significant|diagnosed|established|history\s+of|"
    r"diagnosis\s+of|presence\s+of|evidence\s+of)\s+)*",
    re.IGNORECASE,
)
_CUT = re.compile(
    r"\s*(?:\(|,|;|\.(?:\s|$)|\b(?:defined|identified|according|as\s+defined|as\s+per|"
    r"diagnosed|confirmed|requiring|that|which|who|within|in\s+the\s+(?:last|past)|"
    r"during|for\s+(?:at|more|less)|of\s+any\s+severity|etc)\b)",
    re.IGNORECASE,
)
# a line broken mid-sentence ends on its joining word ("Confirmed diagnosis of HH with")
_DANGLING = re.compile(r"(?:\s+(?:with|without|or|and|of|in|for|to|the|a|an))+\s*$", re.I)
_HISTORY = re.compile(r"\b(?:history\s+of|h/o|previous|prior|past|ever\s+had)\b", re.I)
_MAX_TERM_WORDS = 8


_SLASHED = re.compile(r"\b([A-Za-z]+)\s*/\s*([A-Za-z]+)\s+([A-Za-z][\w -]*)")


def _slashes_shared(text: str) -> str:
    """'renal/hepatic failure' -> 'renal failure, hepatic failure': the head is shared."""

    def shared(match: re.Match[str]) -> str:
        if (match[1].lower(), match[2].lower()) == ("and", "or"):
            return match[0]
        return f"{match[1]} {match[3]}, {match[2]} {match[3]}"

    return _SLASHED.sub(shared, text)


def _split_list(text: str) -> list[str]:
    text = _CUT.split(text, maxsplit=1)[0] if text.lstrip().startswith("(") else text
    text = _slashes_shared(text)
    parts = re.split(r",|;|\bor\b|\band\b|/|\betc\b\.?", text, flags=re.IGNORECASE)
    terms = []
    for part in parts:
        term = _CUT.split(part.strip(), maxsplit=1)[0].strip()
        if term and len(term.split()) <= _MAX_TERM_WORDS and re.search(r"[a-zA-Z]{2}", term):
            terms.append(canonical_condition(term))
    return terms


def _head_phrase(text: str) -> str | None:
    body = _LEAD.sub("", text.strip(), count=1)
    head = _DANGLING.sub("", _CUT.split(body, maxsplit=1)[0].strip())
    if not head or len(head.split()) > _MAX_TERM_WORDS:
        return None
    return canonical_condition(head)


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


_EXCEPTION = re.compile(
    r"\b(?:other\s+than|except(?:\s+for)?|excluding|with\s+the\s+exception\s+of|apart\s+from|"
    r"aside\s+from|besides)\s+(?P<list>[^.;()]+)",
    re.IGNORECASE,
)


def _excluded_names(text: str) -> list[str]:
    """'other than benzodiazepines and nicotine' -> ['benzodiazepine', 'nicotine']."""
    match = _EXCEPTION.search(text)
    if match is None:
        return []
    return [_singular(term) for term in _split_list(match.group("list"))]


_DEPENDENCE_WORDS = re.compile(
    r"\b(?:dependen(?:ce|cy|t)|addiction|abuse|misuse|use\s+disorders?|use)\b", re.I
)
_GENERIC_SUBSTANCES = frozenset({"substance", "drug", "psychoactive substance", "illicit drug"})


def _dependence_rule(text: str, entities: tuple[Entity, ...]) -> ConditionRule | None:
    if not _DEPENDENCE.search(text):
        return None
    excluded = tuple(
        dict.fromkeys(
            f"{name} dependence"
            for name in (_DEPENDENCE_WORDS.sub("", raw).strip() for raw in _excluded_names(text))
            if name and name not in _GENERIC_SUBSTANCES  # never as broad as the rule itself
        )
    )
    return ConditionRule(any_of=("substance dependence",), excluding=excluded,
                         history=bool(_HISTORY.search(text)))  # fmt: skip


def _parenthetical(text: str, entity: Entity) -> bool:
    """'(MI)' after 'myocardial infarction': an abbreviation, not a condition of its own."""
    before, after = text[: entity.start].rstrip(), text[entity.end :].lstrip()
    return before.endswith("(") and after.startswith(")") and before[:-1].strip() != ""


_GENERIC_HEAD = re.compile(
    r"(?:infections?|diseases?|disorders?|tumou?rs?|lesions?|conditions?|syndromes?|illness)",
    re.IGNORECASE,
)
_RIGHT_AFTER = re.compile(r"[\s)\]-]*")


def _head_of_the_previous(text: str, entity: Entity, entities: tuple[Entity, ...]) -> bool:
    """'infection' in 'HIV infection', read as two entities: the head of the first one.

    Alone it would name every infection; the condition is the one before it.
    """
    return _GENERIC_HEAD.fullmatch(entity.text.strip()) is not None and any(
        other.type == "condition"
        and other.end <= entity.start
        and _RIGHT_AFTER.fullmatch(text, other.end, entity.start) is not None
        for other in entities
    )


# "osteoporosis medication", "hypertension treatment": a treatment for the condition, not it
_TREATMENT_AFTER = re.compile(
    r"[\s-]*(?:medications?|medicines?|treatments?|therap(?:y|ies)|drugs?|agents?|regimens?)\b",
    re.IGNORECASE,
)


# "not taking medications for essential tremor": the condition a treatment is for
_TREATMENT_BEFORE = re.compile(
    r"\b(?:medications?|medicines?|treatments?|therap(?:y|ies)|drugs?)\s+(?:for|of|against)\s+"
    r"(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)


# "astigmatism less than 0.75 D", "myopia between 1 and 4": a degree of the condition, which
# a patient without the condition meets too
_MEASURED_AFTER = re.compile(
    r"\s*(?:(?:less|more|greater|lower|higher|fewer)\s+than|[<>≤≥]|between\s+\d)", re.IGNORECASE
)


def _condition_terms(text: str, entities: tuple[Entity, ...]) -> list[str]:
    enumeration = _ENUMERATION.search(text)
    if enumeration:
        listed = _split_list(enumeration.group("list"))
        if len(listed) >= 2:
            return listed
    usable = [
        e
        for e in entities
        if e.type == "condition"
        and not e.exception
        and not e.family  # a relative's condition ("family history of aneurysm")
        and not _MEASURED_AFTER.match(text, e.end)
        and not _TREATMENT_AFTER.match(text, e.end)
        and not _TREATMENT_BEFORE.search(text[max(0, e.start - 40) : e.start])
        and not _parenthetical(text, e)
        and not _head_of_the_previous(text, e, entities)
        and e.text.strip()
        and len(e.text.split()) <= _MAX_TERM_WORDS
    ]
    # lexicon terms (normalized) are surer than the statistical NER's spans
    known = [e for e in usable if e.normalized] or usable
    causes = [found.span("phrase") for e in known if (found := _CAUSE_OR_NEED.match(text, e.end))]
    known = [e for e in known if not any(start <= e.start < end for start, end in causes)]
    named = [
        _with_cause_or_need(
            text, e, _qualified(text, e, canonical_condition(e.normalized or e.text))
        )
        for e in known
    ]
    if named:
        return _with_shared_heads(text, _shared_degree(text, known, named))
    if any(e.type == "condition" and _TREATMENT_AFTER.match(text, e.end) for e in entities):
        return []  # only treatments of conditions are named: no condition to look for
    if any(e.type == "condition" and _MEASURED_AFTER.match(text, e.end) for e in entities):
        return []  # only degrees of conditions are named: none is required or excluded as such
    head = _head_phrase(text)
    return [head] if head else []


# "diabetes requiring medication other than metformin", "pain caused by lumbar compression":
# the condition alone does not settle the criterion, so the need or cause stays in the term
# (the matcher then asks about a record of the bare condition)
_CAUSE_OR_NEED = re.compile(
    r"\s*(?P<phrase>(?:requiring|that\s+requires?|which\s+requires?|needing|in\s+need\s+of|"
    r"caused\s+by|due\s+to|secondary\s+to)(?:\s+[\w-]+){1,3}?)(?=\s*(?:[,.;:()]|$|\s+(?:or|and|"
    r"other|with|within|in|for|at|despite)\b))",
    re.IGNORECASE,
)


def _with_cause_or_need(text: str, entity: Entity, name: str) -> str:
    found = _CAUSE_OR_NEED.match(text, entity.end)
    return name if found is None else f"{name} {found.group('phrase').lower()}"


# degree and control words the matcher asks about (its "qualifiers")
_DEGREE_WORDS = (
    "(" + "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in degree_phrases()) + ")"
)
_DEGREE = re.compile(rf"^{_DEGREE_WORDS}\s", re.IGNORECASE)
_DEGREE_BEFORE = re.compile(rf"\b{_DEGREE_WORDS}\s+$", re.IGNORECASE)

# words before a lexicon term that are part of the disease's name; the generic lead words
# ("known", "history of") and function words end the name. Degree and control ("severe",
# "uncontrolled", "poorly controlled") stay: the matcher asks about them (its qualifiers).
_NOT_QUALIFIERS = frozenset(
    {"a", "an", "the", "any", "of", "with", "and", "or", "in", "on", "to", "for", "by", "from",
     "known", "documented", "confirmed", "current", "active", "previous", "prior", "past",
     "significant", "clinically", "diagnosed", "established",
     "history", "diagnosis", "presence", "evidence", "other", "patients", "patient",
     "subjects", "participants", "have", "has", "had", "no", "not", "without", "suspected"}
)  # fmt: skip
_WORD_BEFORE = re.compile(r"([A-Za-z][\w-]*)[\"'”’]?\s+[\"'“‘]?$")
# 'with "incomplete" Sjogren's syndrome': a word set in quotes is meant to narrow the name
_QUOTED_BEFORE = re.compile(r"[\"“‘']([A-Za-z][\w-]*)[\"”’']\s*$")
_ZYGOSITY = re.compile(r"^\s*\((homozygo\w*|heterozygo\w*)\)", re.IGNORECASE)
_MAX_QUALIFIERS = 3


def _qualified(text: str, entity: Entity, term: str) -> str:
    """'familial hypercholesterolemia (homozygotes)' names more than 'hypercholesterolemia'.

    A narrower term matters for exclusions: the generic one would exclude patients
    the trial accepts. Qualifiers are the words right before the lexicon term.
    """
    if entity.end <= entity.start:
        return term
    if not entity.normalized:  # a statistical span: only a degree or a quoted word is added
        quoted = _QUOTED_BEFORE.search(text, 0, entity.start)
        if quoted:
            return canonical_condition(f"{quoted.group(1)} {term}")
        degree = _DEGREE_BEFORE.search(text, 0, entity.start)
        named = _DEGREE.match(term + " ")
        return f"{degree.group(1).lower()} {term}" if degree and not named else term
    words: list[str] = []
    before = text[: entity.start]
    while len(words) < _MAX_QUALIFIERS:
        match = _WORD_BEFORE.search(before)
        if match is None or match.group(1).lower() in _NOT_QUALIFIERS:
            break
        words.insert(0, match.group(1).lower())
        before = before[: match.start()]
    zygosity = _ZYGOSITY.match(text[entity.end :])
    if zygosity:
        words.insert(0, "homozygous" if zygosity.group(1).lower().startswith("homo") else
                     "heterozygous")  # fmt: skip
    return canonical_condition(" ".join([*words, entity.text.lower()])) if words else term


_JOINED = re.compile(r"^\s*(?:,|/|\bor\b|\band\b|\band/or\b)\s*$", re.IGNORECASE)


_ORGAN = (
    r"(?:cardiovascular|cardiac|heart|pulmonary|lung|respiratory|renal|kidney|hepatic|liver|"
    r"neurologic(?:al)?|psychiatric|gastrointestinal|endocrine|metabolic|haematologic(?:al)?|"
    r"hematologic(?:al)?|immunologic(?:al)?|rheumatologic(?:al)?|autoimmune|inflammatory|"
    r"thyroid|cerebrovascular|dermatologic(?:al)?)"
)
_LISTED_ORGAN = re.compile(
    rf"\b({_ORGAN})\s*(?:,|/|\bor\b|\band\b|\band/or\b)\s*"
    rf"(?=(?:{_ORGAN}\s*(?:,|/|\bor\b|\band\b|\band/or\b)\s*)*{_ORGAN}\s+"
    r"(disease|disorder|failure|insufficiency|impairment|dysfunction)s?\b)",
    re.IGNORECASE,
)


# "hepatitis B or C (infection)", "hepatitis B/C": each letter is a hepatitis
_HEPATITIS_LETTERS = re.compile(
    r"\bhepatitis\s+([A-E])\b((?:(?:\s*(?:,|/|\bor\b|\band\b|\band/or\b))+\s*[A-E]\b)*)",
    re.IGNORECASE,
)
_LETTER_ONLY = re.compile(r"^(?:[a-e](?:\s+(?:infection|virus|disease))?|hepatitis)$")


def _with_shared_heads(text: str, names: list[str]) -> list[str]:
    """'cardiovascular or pulmonary disease' names 'cardiovascular disease' too, and
    'hepatitis B or C infection' names 'hepatitis c' (not a 'c infection')."""
    shared = [
        canonical_condition(f"{match.group(1)} {match.group(2)}")
        for match in _LISTED_ORGAN.finditer(text)
    ]
    for match in _HEPATITIS_LETTERS.finditer(text):
        letters = [match.group(1), *re.findall(r"\b[A-E]\b", match.group(2), re.IGNORECASE)]
        shared += [canonical_condition(f"hepatitis {letter.lower()}") for letter in letters]
    if not shared:
        return names
    kept = [name for name in names if not _LETTER_ONLY.match(name) and not _letter_list(name)]
    return list(dict.fromkeys([*shared, *kept]))


def _letter_list(name: str) -> bool:
    """'hepatitis b or c infection' as one name: its letters are named one by one instead."""
    match = _HEPATITIS_LETTERS.search(name)
    return match is not None and bool(match.group(2))


def _shared_degree(text: str, entities: list[Entity], names: list[str]) -> list[str]:
    """'uncontrolled hypertension or diabetes': the degree holds for both conditions."""
    shared = list(names)
    for index in range(1, len(names)):
        before, entity = entities[index - 1], entities[index]
        degree = _DEGREE.match(shared[index - 1])
        if (
            degree
            and not _DEGREE.match(shared[index])
            and _JOINED.match(text[before.end : entity.start])
        ):
            shared[index] = f"{degree.group(0).lower()}{shared[index]}"
    return shared


def condition_rule(text: str, entities: tuple[Entity, ...]) -> ConditionRule | None:
    special = _dependence_rule(text, entities)
    if special is not None:
        return special
    if not any(e.type == "condition" for e in entities):
        return None
    conditions = [e for e in entities if e.type == "condition" and not e.exception]
    terms = _of_whom(text, conditions, list(dict.fromkeys(_condition_terms(text, entities))))
    if not terms:
        return None
    window = next((m.days for m in find_temporal(text) if m.kind == "window"), None)
    return ConditionRule(
        any_of=tuple(terms),
        excluding=tuple(_excluded_names(text)),
        history=bool(_HISTORY.search(text)) or any(e.historical for e in conditions),
        negated=bool(conditions) and all(e.negated for e in conditions),
        within_days=window,
        another=_names_another(text, conditions),
    )


# "family history of hip fracture" is a relative's disease; "personal or family history of
# breast cancer" is the patient's own or a relative's
_FAMILY_BEFORE = re.compile(r"\b(?:family\s+(?:history|hx)|first[- ]degree\s+relatives?)\b", re.I)
_OWN_TOO = re.compile(r"\b(?:personal|own)\s+(?:and|or|and/or)\s+family\b", re.I)


def _of_whom(text: str, conditions: list[Entity], terms: list[str]) -> list[str]:
    """The patient's own terms, then those of relatives as "family history of …" terms."""
    relatives = [
        canonical_condition(e.normalized or e.text)
        for e in conditions
        if e.family and e.text.strip() and len(e.text.split()) <= _MAX_TERM_WORDS
    ]
    if relatives and not any(not e.family for e in conditions):
        terms = []  # the head phrase taken for want of an own condition is the relatives'
    else:
        first = min((e.start for e in conditions if e.end > e.start and not e.family), default=0)
        if _FAMILY_BEFORE.search(text[:first] if first else text):
            relatives, terms = [*relatives, *terms], []
    if _OWN_TOO.search(text):
        terms = [*terms, *relatives]
    family = [f"family history of {term}" for term in dict.fromkeys(relatives)]
    return list(dict.fromkeys([*terms, *family]))


# "another primary cancer", "other known causes of vertigo", "additional malignancy"; not
# "other than X", which names what does not count
_ANOTHER_BEFORE = re.compile(
    r"\b(?:another|other(?!\s+than)|additional|second)\b(?:\s+[\w-]+){0,3}\s*$", re.IGNORECASE
)


def _names_another(text: str, conditions: list[Entity]) -> bool:
    first = min((entity.start for entity in conditions if entity.end > entity.start), default=None)
    before = text[: len(text) if first is None else first]
    return _ANOTHER_BEFORE.search(before[-60:]) is not None
