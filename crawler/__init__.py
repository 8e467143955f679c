"""Fetching registry records and turning them into `Trial` records.

Knows nothing of NLP or patients.
"""
