"""Referral lists: ``referrals.json``, ``referrals.csv``, ``referrals.html`` (an index)
and one page per site under ``sites/``.

Only listed pairs (eligible or possible) are written; ineligible pairs stay
in the database with the criteria that fail them. The lists are in one
order: eligible first, then fewer open questions, then the nearer site,
then the higher score, then the ids, so two runs over the same data write
the same bytes (apart from the time stamp).
"""

from __future__ import annotations

from matcher.referrals.render import checklist_text, entry_body, html_fragment
from matcher.referrals.writers import PAGE_CAP, ListCounts, Listed, ReferralWriter, page_name

__all__ = [
    "PAGE_CAP",
    "ListCounts",
    "Listed",
    "ReferralWriter",
    "checklist_text",
    "entry_body",
    "html_fragment",
    "page_name",
]
