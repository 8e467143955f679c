"""Eligibility criteria NLP: free text to typed, evaluable `Criterion` records.

``parse_eligibility(text)`` is the one entry point; ``PARSER_VERSION`` is
stored beside parsed criteria so a better parser can re-parse old ones.
"""

from __future__ import annotations

from nlp_models.parser import parse_eligibility
from nlp_models.version import PARSER_VERSION

__all__ = ["PARSER_VERSION", "parse_eligibility"]
