"""Text normalisation shared by name resolution and workbook value parsing."""

from __future__ import annotations

import re
import unicodedata

# Characters that look like nothing but break equality: zero-width space / joiners,
# word joiner, BOM, soft hyphen. NFKC does not remove them.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


def clean_text(raw: str) -> str:
    """NFKC-normalise, drop invisible characters and collapse whitespace.

    NFKC turns full-width letters and digits into ASCII and NBSP (U+00A0) or the
    ideographic space (U+3000) into plain spaces, which the collapse then trims.
    """
    text = unicodedata.normalize("NFKC", raw)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def squeeze(raw: str) -> str:
    """`clean_text` without any space at all, case-folded: the key used to compare names."""
    return clean_text(raw).replace(" ", "").casefold()
