"""Train the small Chia NER shipped in ``nlp_models/trained/chia_ner``.

Reproduce with::

    .venv/bin/python bench/train_ner.py [--epochs 30] [--out nlp_models/trained/chia_ner]

A blank English pipeline with one ``ner`` (hash-embedding CNN tok2vec) is
trained on the Chia trials of the ``train`` split, one criterion line per
example; every 5th trial is held out (see ``chia_corpus.is_held_out``) and
the epoch with the best held-out F1 is kept. CPU only, fixed seed.

The defaults reproduce the shipped model. ``--width``, ``--embed-size``,
``--hidden`` and ``--dropout`` are for experiments (train into /tmp, compare
with ``bench/nlp_eval.py``); tried and not shipped: 8000 embedding rows with
dropout 0.2 over 40 epochs (pipeline relaxed micro-F1 0.749 vs 0.760) and
dropout 0.3 over 60 epochs (0.752); a wider model costs parse speed.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path
from typing import Any

import chia_corpus
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

LOG = logging.getLogger("train_ner")
WIDTH = 64
DEPTH = 3
EMBED_SIZE = 4000
HIDDEN = 48
DROPOUT = 0.25
ROOT = Path(__file__).resolve().parent.parent
# sized for speed: ~100 trials/s on 2 CPU cores with the rules (see bench/nlp_speed.py)
NER_CONFIG: dict[str, Any] = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 48,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": WIDTH,
            "depth": DEPTH,
            "embed_size": 4000,
            "window_size": 1,
            "maxout_pieces": 2,
            "subword_features": True,
        },
    }
}


def _non_overlapping(doc: Doc, entities: list[chia_corpus.GoldEntity]) -> list[spacy.tokens.Span]:
    """Longest spans first; nested and crossing annotations are dropped."""
    spans = []
    for entity in sorted(entities, key=lambda e: (e.start - e.end, e.start)):
        span = doc.char_span(entity.start, entity.end, label=entity.type, alignment_mode="expand")
        if span is not None and span.text.strip():
            spans.append(span)
    kept: list[spacy.tokens.Span] = []
    taken: set[int] = set()
    for span in spans:
        if taken.isdisjoint(range(span.start, span.end)):
            kept.append(span)
            taken.update(range(span.start, span.end))
    return sorted(kept, key=lambda s: s.start)


def build_examples(nlp: Language, split: str) -> list[Example]:
    examples = []
    for document in chia_corpus.iter_documents(split):
        for _offset, line, entities in chia_corpus.iter_lines(document):
            predicted = nlp.make_doc(line)
            reference = nlp.make_doc(line)
            reference.ents = _non_overlapping(reference, entities)
            examples.append(Example(predicted, reference))
    return examples


def _config(width: int, embed_size: int, hidden: int) -> dict[str, Any]:
    model: dict[str, Any] = dict(NER_CONFIG["model"])
    model["hidden_width"] = hidden
    model["tok2vec"] = {**model["tok2vec"], "width": width, "embed_size": embed_size}
    return {"model": model}


def train(
    epochs: int,
    out: Path,
    seed: int = 7,
    *,
    width: int = WIDTH,
    embed_size: int = EMBED_SIZE,
    hidden: int = HIDDEN,
    dropout: float = DROPOUT,
) -> None:
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner", config=_config(width, embed_size, hidden))
    train_examples = build_examples(nlp, "train")
    dev_examples = build_examples(nlp, "heldout")
    LOG.info("%d train lines, %d held-out lines", len(train_examples), len(dev_examples))
    optimizer = nlp.initialize(lambda: train_examples)
    best = -1.0
    rng = random.Random(seed)
    for epoch in range(epochs):
        started = time.monotonic()
        rng.shuffle(train_examples)
        losses: dict[str, float] = {}
        for batch in minibatch(train_examples, size=16):
            nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
        with nlp.use_params(optimizer.averages):
            scores = nlp.evaluate(dev_examples)
        f_score = float(scores["ents_f"] or 0.0)
        LOG.info(
            "epoch %d loss %.1f held-out strict F1 %.3f (%.0fs)",
            epoch,
            losses.get("ner", 0.0),
            f_score,
            time.monotonic() - started,
        )
        if f_score > best:
            best = f_score
            with nlp.use_params(optimizer.averages):
                nlp.to_disk(out)
    LOG.info("best held-out strict F1 %.3f saved to %s", best, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "nlp_models" / "trained" / "chia_ner")
    parser.add_argument("--width", type=int, default=WIDTH)
    parser.add_argument("--embed-size", type=int, default=EMBED_SIZE)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--dropout", type=float, default=DROPOUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(args.epochs, args.out, width=args.width, embed_size=args.embed_size,
          hidden=args.hidden, dropout=args.dropout)  # fmt: skip


if __name__ == "__main__":
    main()
