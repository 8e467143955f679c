"""The nearest site of a stored match, as the lists show it ("facility, city, country").

The one place the review page reads it: `site_of` for a row read with
`SITE_SOURCE` among its columns, `SITE_SQL` where a query filters by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# the column(s) a query selects so that `site_of` can read the row (table alias m)
SITE_SOURCE = "m.site"
# the site as an SQL expression over `matches AS m`, for filters
SITE_SQL = "m.site"
# the same over `matches` unaliased, for the index that makes filtering by site fast
# (`db.schema_review`): a query's expression must be the index's for the index to serve
SITE_INDEX_SQL = "site"


def site_of(row: Mapping[str, Any]) -> str | None:
    site = row.get("site")
    return None if site is None else str(site)
