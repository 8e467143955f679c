"""The spaCy pipeline: blank English, the trained Chia NER, rule entities, merge, ConText.

Built once per process (`get_pipeline`). No model is downloaded: the NER is
read from ``nlp_models/trained/chia_ner`` (trained by ``bench/train_ner.py``);
without it the pipeline runs on rules alone.
"""

from __future__ import annotations

import gc
import logging
import threading
from pathlib import Path

import spacy
from spacy.language import Language

from nlp_models import context as _context  # noqa: F401  (registers the factory)
from nlp_models import entities as _entities  # noqa: F401  (registers the factories)
from nlp_models.doc_text import TextKeepingTokenizer

LOG = logging.getLogger(__name__)
TRAINED_NER = Path(__file__).resolve().parent / "trained" / "chia_ner"
_LOCK = threading.Lock()
_PIPELINES: dict[bool, Language] = {}
# one criterion touching every lazily loaded resource (drug dictionary, lexicons, regexes)
_WARM_UP_TEXT = "No history of aspirin use >= 10 mg/day within 6 months; HbA1c < 7%."


def build_pipeline(*, use_ner: bool = True) -> Language:
    trained = use_ner and (TRAINED_NER / "config.cfg").exists()
    if use_ner and not trained:
        LOG.warning("no trained NER at %s: entities come from rules only", TRAINED_NER)
    # the trained pipeline is blank English plus its NER: loaded as the pipeline itself,
    # not copied into a second blank one (building a tokenizer costs a few tenths of a second)
    nlp = spacy.load(TRAINED_NER) if trained else spacy.blank("en")
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    nlp.add_pipe("trialmatch_rule_entities")
    nlp.add_pipe("trialmatch_merge_entities")
    nlp.add_pipe("trialmatch_context")
    return nlp


def get_pipeline(*, use_ner: bool = True) -> Language:
    """The shared pipeline, built (and warmed) on first use."""
    with _LOCK:
        if use_ner not in _PIPELINES:
            nlp = build_pipeline(use_ner=use_ner)
            nlp(_WARM_UP_TEXT)  # loads the drug dictionary now, before the freeze below
            _PIPELINES[use_ner] = nlp
            _freeze_heap()
        return _PIPELINES[use_ner]


def _freeze_heap() -> None:
    """Keep the pipeline's few hundred thousand long-lived objects out of GC scans.

    Without this every full collection during parsing walked the drug
    dictionary and the lexicons again: about a tenth of the parse time. Forked
    workers (`nlp_models.batch`) inherit the frozen heap, which also spares
    its pages from copy-on-write by the collector.
    """
    gc.collect()
    gc.freeze()
