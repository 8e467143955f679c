"""Streaming XML: one record element at a time, in flat memory, whatever the file's size.

`iter_records` walks a file with ``iterparse`` and hands each finished
record element (``<Trial>``, ``<fullTrial>``, ``<ANZCTR_Trial>``) to the
caller, then clears it and drops the references the root keeps, so a
20,000-record export never becomes one tree. Malformed XML ends the walk with
one `SourceParseError` naming the line and column; the records before it
stand.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import BinaryIO

from trialmatch.core.errors import SourceParseError


def local_name(tag: str) -> str:
    """``{http://www.67bricks.com/isrctn}trial`` → ``trial``."""
    return tag.rsplit("}", 1)[-1]


def iter_records(
    stream: BinaryIO,
    is_record: Callable[[str], bool],
    *,
    registry: str,
    where: str,
) -> Iterator[tuple[int, ET.Element] | SourceParseError]:
    """Each record element (numbered from 1) of *stream*, or the error that ended the file."""
    depth = 0
    number = 0
    parents: list[ET.Element] = []
    events = ET.iterparse(stream, events=("start", "end"))
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                parents.append(element)
                continue
            depth -= 1
            parents.pop()
            if is_record(local_name(element.tag)):
                number += 1
                yield number, element
                element.clear()
                if parents:
                    # the parent still lists the cleared element: drop it too
                    parents[-1].remove(element)
    except ET.ParseError as exc:
        line, column = exc.position
        yield SourceParseError(
            f"malformed XML after record {number}: {exc}",
            registry=registry,
            url=where,
            position=f"line {line}, column {column}",
        )


def text_of(element: ET.Element | None) -> str:
    """The element's text, trimmed (the new WHO layout pads every value with a newline)."""
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first direct child named *name*, namespace aside."""
    for item in element:
        if local_name(item.tag) == name:
            return item
    return None


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [item for item in element if local_name(item.tag) == name]


def path_text(element: ET.Element, *names: str) -> str:
    """The text at ``names[0]/names[1]/…`` below *element*, namespace aside; "" if absent."""
    current: ET.Element | None = element
    for name in names:
        if current is None:
            return ""
        current = child(current, name)
    return text_of(current)


def all_texts(element: ET.Element, *names: str) -> list[str]:
    """The texts of every element at the path (the last name may repeat)."""
    current: list[ET.Element] = [element]
    for name in names:
        current = [found for item in current for found in children(item, name)]
    return [text for text in (text_of(item) for item in current) if text]


def root_name(head: bytes) -> str | None:
    """The name of the root element of a document beginning with *head*, if it is XML."""
    try:
        text = head.decode("utf-8", errors="replace")
    except UnicodeDecodeError:  # pragma: no cover - errors="replace" never raises
        return None
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return None  # not markup at all (a CSV whose values hold <br>, say)
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0 or start + 1 >= len(text):
            return None
        following = text[start + 1]
        if following in "?!":
            position = start + 2
            continue
        end = start + 1
        while end < len(text) and text[end] not in " \t\r\n/>":
            end += 1
        return local_name(text[start + 1 : end])


def peek_head(stream: BinaryIO, size: int = 4096) -> bytes:
    """The first *size* bytes of *stream*, left unread (a buffered or a seekable stream)."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        head = bytes(peek(size)[:size])
        if len(head) >= size or head == b"" or not stream.seekable():
            return head
    position = stream.tell()
    head = stream.read(size)
    stream.seek(position)
    return head
