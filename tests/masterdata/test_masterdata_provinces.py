import csv
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.masterdata import (
    UnknownProvinceError,
    all_prefectures,
    all_provinces,
    cities_of,
    find_province,
    prefectures_of,
    resolve_province,
)

SHARED = Path("/work/shared/data/provinces.csv")


def test_there_are_32_submitters_with_unique_codes() -> None:
    codes = [p.code for p in all_provinces()]
    assert len(codes) == 32
    assert len(set(codes)) == 32
    # XPCC cannot collide with GB/T 2260, whose codes are always six digits.
    assert [c for c in codes if not (c.isdigit() and len(c) == 6)] == ["XPCC"]


def test_national_counts_are_the_official_ones() -> None:
    # Official national counts: 333 prefecture-level units of which 293 are cities.
    units = all_prefectures()
    assert len(units) == 333
    assert sum(1 for u in units if u.is_city) == 293


def test_per_province_counts_agree_with_provinces_csv() -> None:
    units = Counter(u.province_code for u in all_prefectures())
    cities = Counter(u.province_code for u in all_prefectures() if u.is_city)
    for province in all_provinces():
        assert units[province.code] == (province.prefecture_units or 0), province.code
        assert cities[province.code] == (province.prefecture_cities or 0), province.code


@pytest.mark.skipif(not SHARED.exists(), reason="shared data folder not mounted")
def test_master_data_matches_shared_public_figures() -> None:
    with SHARED.open(encoding="utf-8") as handle:
        shared = {row["code"]: row for row in csv.DictReader(handle)}
    for province in all_provinces():
        row = shared[province.code]
        assert province.name_zh == row["name_zh"]
        assert province.name_en == row["name_en"]
        assert province.kind == row["kind"]
        assert province.prefecture_units == (
            int(row["prefecture_units"]) if row["prefecture_units"] else None
        )
        assert province.prefecture_cities == (
            int(row["prefecture_cities"]) if row["prefecture_cities"] else None
        )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("广东省", "440000"),
        ("廣東省", "440000"),
        ("广东", "440000"),
        ("Guangdong", "440000"),
        ("guangdong province", "440000"),
        ("ＧＵＡＮＧＤＯＮＧ", "440000"),  # full-width letters, NFKC
        ("\u00a0广 东\u200b省 ", "440000"),  # NBSP, inner space, zero-width space
        ("440000", "440000"),
        ("44", "440000"),
        ("内蒙古", "150000"),
        ("內蒙古自治區", "150000"),
        ("Inner Mongolia", "150000"),
        ("Nei Mongol", "150000"),
        ("陕西", "610000"),
        ("Shaanxi", "610000"),
        ("山西", "140000"),
        ("Shanxi", "140000"),
        ("西藏", "540000"),
        ("Xizang", "540000"),
        ("新疆维吾尔自治区", "650000"),
        ("新疆生产建设兵团", "XPCC"),
        ("兵團", "XPCC"),
        ("xpcc", "XPCC"),
        ("重慶市", "500000"),
        ("Beijing Municipality", "110000"),
    ],
)
def test_names_resolve(raw: str, code: str) -> None:
    assert resolve_province(raw).code == code


@pytest.mark.parametrize("raw", ["", "  ", "吉林市", "台湾", "Atlantis", "4400", "广东省省"])
def test_unknown_names_do_not_resolve(raw: str) -> None:
    assert find_province(raw) is None


def test_unknown_name_error_is_bilingual() -> None:
    with pytest.raises(UnknownProvinceError) as info:
        resolve_province("Atlantis")
    assert "无法识别" in str(info.value)
    assert "Unknown province" in str(info.value)


@given(
    st.sampled_from(all_provinces()),
    st.sampled_from(["name_zh", "name_zh_hant", "short_zh", "short_zh_hant", "name_en"]),
    st.lists(st.sampled_from([" ", "\u00a0", "\u200b", "\u3000", "\ufeff"]), max_size=4),
)
def test_every_spelling_with_noise_resolves_to_its_province(
    province: object, attribute: str, noise: list[str]
) -> None:
    name = getattr(province, attribute)
    noisy = "".join(noise) + name + "".join(reversed(noise))
    assert find_province(noisy) is province


def test_municipalities_and_corps_have_no_prefecture_cities() -> None:
    for code in ("110000", "120000", "310000", "500000", "XPCC"):
        assert prefectures_of(code) == ()
    assert [c.name_zh for c in cities_of("460000")] == ["海口市", "三亚市", "三沙市", "儋州市"]
