"""Rebuild ``nlp_models/data/condition_gazetteer.json`` from Chia's train split.

Run: ``.venv/bin/python bench/build_gazetteer.py``. Condition mentions seen at
least twice (one line, at most five words), generic words removed. Held-out
trials are never read, so the evaluation on them stays fair.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import chia_corpus

OUT = Path(__file__).resolve().parent.parent / "nlp_models" / "data" / "condition_gazetteer.json"
GENERIC = frozenset(
    {"condition", "conditions", "disease", "diseases", "disorder", "disorders", "complications",
     "co-morbidities", "comorbidities", "illness", "allergic", "bites", "critically ill",
     "diabetic", "contraindication", "contraindications", "contra-indications"}
)  # fmt: skip
SOURCE = (
    "Condition mentions annotated at least twice in the train split of Chia (Kury et al., "
    "Sci Data 2020;7:281, CC BY 4.0; every 5th trial held out, see bench/chia_corpus.py), "
    "generic words removed. Regenerate with bench/build_gazetteer.py."
)


def main() -> None:
    counts: Counter[str] = Counter()
    for document in chia_corpus.iter_documents("train"):
        for entity in document.entities:
            written = document.text[entity.start : entity.end]
            term = re.sub(r"\s+", " ", written.strip().lower())
            one_line = "\n" not in written and len(term) >= 3 and len(term.split()) <= 5
            if entity.type == "condition" and one_line:
                counts[term] += 1
    terms = sorted(t for t, n in counts.items() if n >= 2 and t not in GENERIC)
    OUT.write_text(
        json.dumps({"source": SOURCE, "terms": terms}, indent=1, ensure_ascii=False),
        encoding="utf-8",
    )
    print(f"{len(terms)} terms written to {OUT}")


if __name__ == "__main__":
    main()
