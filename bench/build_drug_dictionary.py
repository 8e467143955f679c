"""Rebuild ``knowledge/data/drug_dictionary.json.gz`` from the pinned drug dictionary package.

Run: ``.venv/bin/python bench/build_drug_dictionary.py``.

The ``drug-named-entity-recognition`` package (MIT; DrugBank, MeSH, NHS and
MedlinePlus names, brand names included) ships its dictionary as a pickle
of about 20,000 drugs with their structures, links and synonyms; reading it
took about a second of every parser start, and importing the package built a
fuzzy-match index for two more. The parser needs only each name's generic
name, whether DrugBank lists it and whether MeSH files it only as a
pharmacological action (a class): this keeps that, in a compact file read
in a tenth of the time. Rebuild after upgrading the package.
"""

from __future__ import annotations

import bz2
import gzip
import json
import pickle
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PACKAGE = "drug_named_entity_recognition"
OUT = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "drug_dictionary.json.gz"


def _package_tables() -> dict[str, Any]:
    spec = find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"the {PACKAGE} package is not installed (make install)")
    with bz2.open(Path(spec.origin).parent / "drug_ner_dictionary.pkl.bz2", "rb") as handle:
        tables: dict[str, Any] = pickle.load(handle)  # the pinned package's own data file
    return tables


def _drug(data: dict[str, Any] | None) -> list[Any]:
    """[generic name or "", listed in DrugBank, filed by MeSH only as a pharmacological action]."""
    if data is None:
        return ["", False, False]
    trees = [str(tree) for tree in data.get("mesh_tree") or []]
    action_only = bool(trees) and all(tree.startswith("D27") for tree in trees)
    return [str(data.get("name") or ""), "drugbank_id" in data, action_only]


def main() -> None:
    tables = _package_tables()
    canonical_data: dict[str, dict[str, Any]] = tables["drug_canonical_to_data"]
    names = sorted({c for cs in tables["drug_variant_to_canonical"].values() for c in cs})
    index = {name: number for number, name in enumerate(names)}
    document = {
        "source": (
            "drug-named-entity-recognition (MIT), drug_ner_dictionary.pkl.bz2 of the version "
            "pinned in pyproject.toml; regenerate with bench/build_drug_dictionary.py"
        ),
        "fields": ["name", "in_drugbank", "mesh_action_only"],
        "drugs": [_drug(canonical_data.get(name)) for name in names],
        "variants": {
            variant: [index[name] for name in canonicals]
            for variant, canonicals in sorted(tables["drug_variant_to_canonical"].items())
            if canonicals
        },
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:  # mtime 0: the same bytes every build
        handle.write(text.encode("utf-8"))
    print(f"{len(document['variants'])} names of {len(names)} drugs in {OUT}")


if __name__ == "__main__":
    main()
