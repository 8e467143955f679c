"""CSV patient files: one row per patient, repeated facts as ``;``-separated cells.

Columns (header row required, any order; only ``id`` is required):

=================  ==========================================================
``id``             the pseudonym
``age``            years (number)
``sex``            ``female`` or ``male``
``pregnant``       ``true``/``false`` (also ``yes``/``no``, ``1``/``0``)
``lactating``      ``true``/``false``
``conditions``     ``text|code|system|active|since`` items
``medications``    ``text|dose|unit|since`` items (current medications)
``past_medications``  ``text|until`` items
``observations``   ``text|value|unit|date`` items
``allergies``      ``text`` items
``lat``, ``lon``   coarse location (both or neither)
``max_travel_km``  number
=================  ==========================================================

Items are separated by ``;`` and the parts of an item by ``|``; trailing parts
may be left out (``lorazepam|6|mg/day`` has no start date, ``|F13.20|icd10cm``
is a condition known only by its code). ``active`` is ``true``/``false`` or
``active``/``inactive``. An empty list cell means "not recorded" (criteria
needing it are unknown); the word ``none`` means "recorded: there are none".
Errors name the file, the line and the column. See also ``CSV_FORMAT.md``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from matcher.loaders import BadEntry
from trialmatch.core.errors import ProfileError

LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "conditions": ("text", "code", "system", "active", "since"),
    "medications": ("text", "dose", "unit", "since"),
    "past_medications": ("text", "until"),
    "observations": ("text", "value", "unit", "date"),
    "allergies": ("text",),
}
_TRUE = frozenset({"true", "yes", "y", "1", "active"})
_FALSE = frozenset({"false", "no", "n", "0", "inactive"})


def entries_from_csv(text: str, where: str) -> Iterator[tuple[str, Any]]:
    """(where, raw profile object or ProfileError) for each data row."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        yield f"{where}:1", ProfileError("empty file: expected a header row with an 'id' column")
        return
    if "id" not in header:
        yield f"{where}:1", ProfileError("the header row has no 'id' column", field="id")
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"{where}:{reader.line_num}", ProfileError(f"malformed CSV ({exc})")
            continue
        if not any(cell.strip() for cell in row):
            continue
        yield f"{where}:{reader.line_num}", _row_to_entry(header, row)


def _row_to_entry(header: list[str], row: list[str]) -> dict[str, Any] | BadEntry:
    if len(row) != len(header):
        return BadEntry(
            ProfileError(f"expected {len(header)} cells as in the header, found {len(row)}")
        )
    cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
    try:
        return _cells_to_profile(cells)
    except ProfileError as exc:
        return BadEntry(exc, cells.get("id"), raw=cells)


def _cells_to_profile(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, cell in cells.items():
        if not cell or name in ("lat", "lon"):
            continue
        if name in LIST_COLUMNS:
            data[name] = _list_cell(name, cell)
        elif name in ("age", "max_travel_km"):
            data[name] = _number(name, cell)
        elif name in ("pregnant", "lactating"):
            data[name] = _boolean(name, cell)
        else:
            data[name] = cell  # id, sex, or an unknown column the validator names
    lat, lon = cells.get("lat", ""), cells.get("lon", "")
    if lat or lon:
        if not (lat and lon):
            raise ProfileError("expected both lat and lon, or neither", field="lat/lon")
        data["location"] = {"lat": _number("lat", lat), "lon": _number("lon", lon)}
    return data


def _list_cell(column: str, cell: str) -> list[dict[str, Any]]:
    if cell.lower() == "none":
        return []
    parts_of = LIST_COLUMNS[column]
    items = []
    for index, item in enumerate(part for part in cell.split(";") if part.strip()):
        parts = [part.strip() for part in item.split("|")]
        if len(parts) > len(parts_of):
            raise ProfileError(
                f"expected at most {len(parts_of)} parts {'|'.join(parts_of)}, found {len(parts)}",
                field=f"{column}[{index}]",
            )
        items.append(_item(column, index, dict(zip(parts_of, parts, strict=False))))
    return items


def _item(column: str, index: int, parts: dict[str, str]) -> dict[str, Any]:
    converters: dict[str, Callable[[str, str], Any]] = {
        "dose": _number,
        "value": _number,
        "active": _boolean,
    }
    item: dict[str, Any] = {}
    for name, value in parts.items():
        if value:
            convert = converters.get(name)
            item[name] = convert(f"{column}[{index}].{name}", value) if convert else value
    return item


def _number(field: str, cell: str) -> float:
    try:
        return float(cell.replace(",", "."))
    except ValueError:
        raise ProfileError("expected a number", field=field) from None


def _boolean(field: str, cell: str) -> bool:
    lowered = cell.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ProfileError("expected true or false", field=field)
