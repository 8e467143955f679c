"""The parser version stored beside parsed criteria; stored criteria of another are re-parsed.

Derived from the content of everything that shapes the parser's output (its
modules, rule files and lexicons, the trained model files, and the shared
knowledge it reads) plus a hand-bumped major part for format changes, so no
change can go out without stored criteria being parsed again.
"""

from __future__ import annotations

from pathlib import Path

from trialmatch.core.canonical import digest_of_files

MAJOR = 2
_HERE = Path(__file__).resolve().parent
# every file of the trained model counts, whatever its suffix ("moves", "cfg", "bin")
_SUFFIXES = (".py", ".json", ".jsonl", ".gz", ".cfg", ".bin", ".spacy", "")

PARSER_VERSION = (
    f"nlp-{MAJOR}.{digest_of_files((_HERE, _HERE.parent / 'knowledge'), _SUFFIXES)[:12]}"
)
