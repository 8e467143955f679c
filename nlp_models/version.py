"""The parser version stored beside parsed criteria; bump it when output changes."""

from __future__ import annotations

PARSER_VERSION = "nlp-2.0.0"
