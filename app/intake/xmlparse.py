"""XML for the readers: the C parser, behind a byte scan that refuses any DTD.

defusedxml's parsers run every element through Python handlers (1.7x slower on a sheet).
What they guard against (entity expansion, external entities and DTD fetches) all needs
a document type declaration, and a declaration cannot be written without the bytes
``<!DOCTYPE`` in the document's encoding. So a part is refused when those bytes (or
``<!ENTITY``) appear in UTF-8 or UTF-16 of either byte order, or when it declares any
other encoding (OOXML allows UTF-8 and UTF-16 only; an EBCDIC part could spell the
declaration differently); the C parser then parses what is left. The refusal is
defusedxml's ``DTDForbidden``, which the child reports as ``xml.doctype``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from xml.etree.ElementTree import Element, XMLPullParser, fromstring

from defusedxml import DTDForbidden

# A DTD is the door to entity expansion and external fetches; spreadsheets never need one.
# Matched in UTF-8 and in UTF-16 (either byte order) because XML parts may use either; the
# zip guard scans every part with the same patterns before any reader runs.
DTD_PATTERNS = tuple(
    re.compile(re.escape(word.encode(enc)), re.IGNORECASE)
    for word in ("<!DOCTYPE", "<!ENTITY")
    for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)"""
)
_ALLOWED_ENCODINGS = frozenset({b"utf-8", b"utf8", b"utf-16", b"utf16"})
_CHUNK = 8 * 1024


def refuse_dtd(data: bytes, part: str) -> None:
    """Raise DTDForbidden if ``data`` may declare a DTD, ValueError for another encoding."""
    if any(p.search(data) for p in DTD_PATTERNS):
        raise DTDForbidden(part[:100], None, None)
    declared = _DECLARED_ENCODING.match(data)
    if declared is not None and declared[1].lower() not in _ALLOWED_ENCODINGS:
        raise ValueError(f"{part[:100]}: encoding {declared[1][:20]!r} is not UTF-8 or UTF-16")


def parse(data: bytes, part: str) -> Element:
    """The whole part as a tree."""
    refuse_dtd(data, part)
    return fromstring(data)


class PullEvents:
    """``(event, element)`` pairs ("start" / "end") of a part, fed to the C parser in small
    chunks, so a reader that stops early has parsed little beyond where it stopped; and
    :meth:`follows` tells whether anything of interest lies beyond that point."""

    def __init__(self, data: bytes, part: str) -> None:
        refuse_dtd(data, part)
        self._data = data
        self._parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
        self._fed = 0
        self._pending: deque[tuple[str, Element]] = deque()

    def __iter__(self) -> Iterator[tuple[str, Element]]:
        while True:
            while self._pending:
                yield self._pending.popleft()
            yield from self._parser.read_events()  # type: ignore[misc]
            if self._pending:
                continue  # follows() moved the rest of this chunk's events aside
            if self._fed > len(self._data):
                return
            if self._fed == len(self._data):
                self._parser.close()
                self._fed += 1
            else:
                self._parser.feed(self._data[self._fed : self._fed + _CHUNK])
                self._fed = min(self._fed + _CHUNK, len(self._data))

    def rest(self) -> tuple[list[tuple[str, Element]], bytes]:
        """What lies beyond the events read so far: the events parsed but not yet read
        (they are still returned by the iteration), and the bytes not yet parsed, from the
        start of a tag the last chunk cut in two if it did."""
        self._pending.extend(self._parser.read_events())  # type: ignore[arg-type]
        start = min(self._fed, len(self._data))
        cut = self._data.rfind(b"<", 0, start)
        if cut >= 0 and self._data.find(b">", cut, start) < 0:
            start = cut
        return list(self._pending), self._data[start:]
