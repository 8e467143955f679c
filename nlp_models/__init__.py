"""Eligibility criteria NLP: free text to typed, evaluable `Criterion` records.

`nlp_models.parser.parse_eligibility` is the one entry point (spaCy loads
with it, not with this package); `nlp_models.version.PARSER_VERSION` is
stored beside parsed criteria so a better parser can re-parse old ones.
"""
