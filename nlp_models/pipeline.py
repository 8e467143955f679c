"""The spaCy pipeline: blank English, the trained Chia NER, rule entities, merge, ConText.

Built once per process (`get_pipeline`). No model is downloaded: the NER is
read from ``nlp_models/trained/chia_ner`` (trained by ``bench/train_ner.py``);
without it the pipeline runs on rules alone.
"""

from __future__ import annotations

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


def build_pipeline(*, use_ner: bool = True) -> Language:
    nlp = spacy.blank("en")
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    if use_ner and (TRAINED_NER / "config.cfg").exists():
        trained = spacy.load(TRAINED_NER)
        nlp.add_pipe("ner", source=trained)
    elif use_ner:
        LOG.warning("no trained NER at %s: entities come from rules only", TRAINED_NER)
    nlp.add_pipe("trialmatch_rule_entities")
    nlp.add_pipe("trialmatch_merge_entities")
    nlp.add_pipe("trialmatch_context")
    return nlp


def get_pipeline(*, use_ner: bool = True) -> Language:
    """The shared pipeline, built on first use."""
    with _LOCK:
        if use_ner not in _PIPELINES:
            _PIPELINES[use_ner] = build_pipeline(use_ner=use_ner)
        return _PIPELINES[use_ner]
