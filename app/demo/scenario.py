"""The demo scenario: who is in the programme, who applies, and each province's synthetic levels.

Only the first pilot batch's memberships and types are published (``sources.FIRST_BATCH``);
every other membership, application and level below is a SYNTHETIC choice, made so that the
2020 acceptance evaluation under ``strong-province@1`` shows every kind of outcome:

- passes in all three types;
- reclassifications: Shandong (leading; its creation figures are too low for leading) and
  Sichuan (leading; half of its cities are demonstration cities, leading needs 60 %) fall
  to the search list (supporting); Henan (supporting; 4 of 17 cities, supporting needs
  40 %) and Hubei (supporting; its published PCT applications fell from 2018 to 2022) to
  characteristic;
- an exit: Gansu (characteristic; one demonstration city, characteristic needs two);
- entry applications from outside the programme: Beijing and Shanghai to leading (admitted:
  three leading incumbents pass, so two places are free), Chongqing to supporting;
- a cap conflict: eight qualifiers for supporting's seven places (five incumbents, Shandong,
  Sichuan, Chongqing). Incumbents come first, then newcomers by score: Chongqing (applied
  for supporting) and Sichuan fit, Shandong, the lowest newcomer, is turned away and placed
  in the next type of its search that it meets (characteristic).

2021 shows the programme after those proposals were confirmed (``Profile.type_2021``); the
register written by the confirmations says the same, and a test checks that they agree.
Levels were tuned against the engine's results, never the rubric (``tests/demo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tasks = Literal["done", "mostly", "partial"]

#: The years the demo covers and why: 2019 is the last full pilot year (the 2019 task list),
#: 2020 the acceptance evaluation the rubric implements, 2021 the first demonstration year.
#: The published PCT series (2018, 2022) brackets all three, and the published 2016 figures
#: give the baseline of the first batch.
DEMO_YEARS = (2019, 2020, 2021)
ACCEPTANCE_YEAR = 2020
SEED = 20200


@dataclass(frozen=True)
class Profile:
    """One submitter's scenario and synthetic levels (values for 2019 unless said otherwise).

    ``entry`` is the year it entered the programme (its baseline year); for a province outside
    the programme it is the reference year its growth is measured from.
    """

    code: str
    type: str  # type in 2019 and 2020: leading / supporting / characteristic / none
    entry: int
    ip_share: float  # IP-intensive industries' value added, % of GDP
    demo: int  # demonstration cities (municipalities: demonstration districts)
    enforcement: int
    enterprises: int
    licence: float | None  # 100 million yuan; None = left blank (shows imputation)
    tasks: Tasks
    growth: float  # annual growth of invention patents per 10k
    gdp: float  # 2019, 100 million yuan
    application: str = ""  # 2020 application, "enter:leading" etc.
    type_2021: str | None = None  # None: unchanged
    per10k_2016: float | None = None  # only where the published table has no value
    flags: str = ""  # flag codes, space separated (synthetic)


_ALL = "protection_centre ip_operation tisc"

# fmt: off
PROFILES: tuple[Profile, ...] = (
    Profile("110000", "none", 2016, 24.0, 12, 5, 420, 160.0, "done", 0.17, 35371,
            "enter:leading", "leading", flags=f"{_ALL} trademark_centre"),
    Profile("120000", "supporting", 2017, 15.0, 7, 3, 150, 15.0, "done", 0.22, 14104,
            flags=f"{_ALL} trademark_centre"),
    Profile("130000", "none", 2016, 8.5, 2, 1, 120, 5.0, "mostly", 0.16, 35105),
    Profile("140000", "none", 2016, 7.0, 1, 1, 50, 2.0, "partial", 0.14, 17027),
    Profile("150000", "none", 2016, 6.0, 1, 1, 40, 1.5, "partial", 0.15, 17213,
            flags="belt_road"),
    Profile("210000", "none", 2016, 9.0, 3, 2, 130, 8.0, "mostly", 0.12, 24909,
            flags="protection_centre belt_road"),
    Profile("220000", "none", 2016, 7.5, 1, 1, 50, 3.0, "partial", 0.16, 11727,
            flags="belt_road"),
    Profile("230000", "none", 2016, 7.0, 2, 1, 60, 3.0, "partial", 0.13, 13613,
            flags="belt_road"),
    Profile("310000", "none", 2016, 22.0, 11, 5, 380, 120.0, "done", 0.17, 38155,
            "enter:leading", "leading", flags=f"{_ALL} trademark_centre belt_road"),
    Profile("320000", "leading", 2016, 21.0, 9, 5, 520, 95.0, "done", 0.17, 99632,
            flags=f"{_ALL} trademark_centre"),
    Profile("330000", "leading", 2017, 24.0, 8, 5, 460, 70.0, "done", 0.22, 62352,
            flags=f"{_ALL} belt_road"),
    Profile("340000", "supporting", 2017, 14.0, 7, 3, 240, 15.0, "done", 0.22, 37114,
            flags=_ALL),
    Profile("350000", "supporting", 2017, 15.0, 4, 3, 200, 14.0, "done", 0.22, 42395,
            flags=f"{_ALL} belt_road"),
    Profile("360000", "characteristic", 2016, 10.0, 3, 2, 90, 3.0, "done", 0.19, 24758,
            per10k_2016=1.70, flags="protection_centre"),
    Profile("370000", "leading", 2017, 18.0, 10, 5, 380, 40.0, "done", 0.22, 71067,
            type_2021="characteristic", flags=f"{_ALL} trademark_centre"),
    Profile("410000", "supporting", 2016, 11.0, 4, 3, 180, 8.0, "done", 0.17, 54259,
            type_2021="characteristic", flags="protection_centre ip_operation trademark_centre"),
    Profile("420000", "supporting", 2017, 20.0, 6, 3, 220, 35.0, "done", 0.22, 45828,
            type_2021="characteristic", flags=_ALL),
    Profile("430000", "supporting", 2016, 16.0, 6, 3, 190, 12.0, "done", 0.17, 39752,
            flags=f"{_ALL} trademark_centre"),
    Profile("440000", "leading", 2016, 19.0, 14, 5, 600, 200.0, "done", 0.16, 107671,
            flags=f"{_ALL} trademark_centre belt_road"),
    Profile("450000", "characteristic", 2016, 9.0, 3, 2, 70, 2.0, "done", 0.18, 21237,
            flags="protection_centre belt_road"),
    Profile("460000", "characteristic", 2017, 10.0, 2, 2, 25, 1.0, "done", 0.22, 5309,
            flags="protection_centre belt_road"),
    Profile("500000", "none", 2016, 21.0, 16, 3, 230, 30.0, "done", 0.17, 23606,
            "enter:supporting", "supporting", flags=f"{_ALL} trademark_centre belt_road"),
    Profile("510000", "leading", 2017, 19.0, 9, 5, 260, 40.0, "done", 0.22, 46616,
            type_2021="supporting", flags=_ALL),
    Profile("520000", "none", 2016, 7.0, 1, 1, 50, 1.0, "partial", 0.20, 16769),
    Profile("530000", "none", 2016, 6.5, 1, 1, 45, 1.5, "partial", 0.15, 23224,
            flags="belt_road"),
    Profile("540000", "none", 2016, 3.0, 0, 0, 5, None, "partial", 0.12, 1698,
            flags="belt_road"),
    Profile("610000", "supporting", 2017, 15.0, 5, 3, 150, 12.0, "done", 0.22, 25793,
            flags=f"{_ALL} belt_road"),
    Profile("620000", "characteristic", 2016, 6.0, 1, 2, 40, 1.0, "done", 0.14, 8718,
            type_2021="none", per10k_2016=1.60, flags="belt_road"),
    Profile("630000", "none", 2016, 4.0, 0, 0, 10, 0.3, "partial", 0.12, 2966,
            flags="belt_road"),
    Profile("640000", "none", 2016, 8.0, 2, 2, 25, 0.5, "mostly", 0.18, 3748,
            flags="protection_centre belt_road"),
    Profile("650000", "none", 2016, 4.5, 1, 1, 30, 1.0, "partial", 0.14, 13597,
            flags="belt_road"),
    Profile("XPCC", "none", 2016, 3.5, 0, 0, 10, None, "partial", 0.14, 2950,
            per10k_2016=1.00, flags="belt_road"),
)
# fmt: on

#: Districts and counties of the municipalities (their demonstration-district denominator).
MUNICIPAL_DISTRICTS: dict[str, int] = {"110000": 16, "120000": 16, "310000": 16, "500000": 38}


def profile(code: str) -> Profile:
    """The profile of one submitter."""
    for p in PROFILES:
        if p.code == code:
            return p
    raise KeyError(code)


@dataclass(frozen=True)
class Standing:
    """A submitter's place in the programme in one year, as its workbook declares it."""

    type: str
    stage: str
    baseline_year: int
    application: str  # "" or "enter:<type>" / "change:<type>"


def standing(p: Profile, year: int) -> Standing:
    """Type, stage, baseline and application of ``p`` in ``year``.

    2019-2020: pilots are in the pilot stage (2015-2020). 2021: the 2020 proposals as if
    confirmed - a pass advances to demonstration, a reclassification keeps the stage, an
    admission starts as a pilot with 2020 as its baseline year, an exit leaves the programme.
    """
    if year <= 2020:
        stage = "pilot" if p.type != "none" else "none"
        app = p.application if year == 2020 else ""
        return Standing(p.type, stage, p.entry, app)
    new_type = p.type_2021 if p.type_2021 is not None else p.type
    if new_type == "none":
        return Standing("none", "none", p.entry, "")
    if p.type == "none":
        return Standing(new_type, "pilot", 2020, "")
    stage = "demonstration" if new_type == p.type else "pilot"
    return Standing(new_type, stage, p.entry, "")
