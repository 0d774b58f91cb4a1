"""Province and prefecture master data, and resolution of province names.

Pure Python, no database: the data ships as CSV under ``data/`` (see its README for sources).
"""

from app.masterdata.prefectures import Prefecture, all_prefectures, cities_of, prefectures_of
from app.masterdata.provinces import (
    Province,
    UnknownProvinceError,
    all_provinces,
    find_province,
    get_province,
    resolve_province,
)
from app.masterdata.text import clean_text, squeeze

__all__ = [
    "Prefecture",
    "Province",
    "UnknownProvinceError",
    "all_prefectures",
    "all_provinces",
    "cities_of",
    "clean_text",
    "find_province",
    "get_province",
    "prefectures_of",
    "resolve_province",
    "squeeze",
]
