"""Referral lists: ``referrals.csv``, ``referrals.json`` and ``referrals.html``.

Only listed pairs (eligible or possible) are written; ineligible pairs stay
in the database with their reasons. Entries are ordered by trial, then site,
then score (eligible first, then fewer unknowns, then the nearer site).
"""

from __future__ import annotations

from matcher.referrals.writers import ReferralEntry, write_referrals

__all__ = ["ReferralEntry", "write_referrals"]
