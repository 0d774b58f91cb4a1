"""The streaming .xlsx reader gives what the openpyxl reading gave, cell for cell.

The reference is `openpyxl_oracle.read_xlsx` (two openpyxl loads, the reader this one
replaced). Where the two differ on purpose the test says so and gives the expected cell.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.intake import worker
from app.intake.cells import RawCell, RawWorkbook
from app.intake.readers_xlsx import _destination, read_xlsx, tokenized_destination
from tests.submissions.workbooks import workbook

from .conftest import Convert
from .hostile_builders import date1904
from .intake_builders import fill, guangdong_filled, template
from .openpyxl_oracle import read_xlsx as oracle
from .xlsx_parts import Package, names_for


def same_as_oracle(data: bytes) -> RawWorkbook:
    expected, found = oracle(data), read_xlsx(data)
    assert found.sheets == expected.sheets
    assert found.bad_refs == expected.bad_refs
    assert list(found.names) == list(expected.names)
    for name, cell in expected.names.items():
        assert found.names[name] == cell, name
    return found


def merged(data: bytes, cells: str) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["指标数据 Indicators"].merge_cells(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def without_name(data: bytes, name: str) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    del wb.defined_names[name]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Every kind of workbook the intake tests build from the template.
BUILT: dict[str, Callable[[], bytes]] = {
    "template": lambda: template(),
    "template Beijing": lambda: template("北京"),
    "template Inner Mongolia 2022": lambda: template("内蒙古", 2022),
    "filled": lambda: guangdong_filled(),
    "text numbers": lambda: guangdong_filled(
        ip_intensive_gdp_share="16.5 %", pct_applications="２８，０００", unit_name="廣東省"
    ),
    "formula without cache": lambda: guangdong_filled(pct_applications="=20000+8000"),
    "error literal": lambda: guangdong_filled(gdp_100m_yuan="#DIV/0!"),
    "percent format": lambda: fill(
        guangdong_filled(),
        {"ip_intensive_gdp_share": 0.165, "ip_licence_income": 0.5},
        number_formats={"ip_intensive_gdp_share": "0.0%", "ip_licence_income": '0.0"%"'},
    ),
    "date and bool": lambda: fill(
        guangdong_filled(),
        {"baseline_year": __import__("datetime").date(2016, 1, 1), "flag_tisc": True},
    ),
    "date 1904": lambda: date1904(
        fill(guangdong_filled(), {"baseline_year": __import__("datetime").date(2016, 1, 1)})
    ),
    "merged": lambda: merged(guangdong_filled(), "E5:F5"),
    "merged over a name": lambda: merged(guangdong_filled(), "D6:E7"),
    "deleted name": lambda: without_name(guangdong_filled(), "gdp_100m_yuan"),
    "submission Hubei": lambda: workbook("湖北", 2021),
    "submission Beijing": lambda: workbook("北京", 2020),
}


@pytest.mark.parametrize("build", BUILT.values(), ids=BUILT.keys())
def test_every_built_workbook_reads_as_openpyxl_read_it(build: Callable[[], bytes]) -> None:
    same_as_oracle(build())


@pytest.mark.slow
@pytest.mark.parametrize("build", ["filled", "formula without cache", "percent format", "merged"])
def test_libreoffice_resaved_workbooks_read_as_openpyxl_read_them(
    convert: Convert, build: str
) -> None:
    # LibreOffice writes shared strings, computes and caches formulas, renumbers styles.
    found = same_as_oracle(convert(BUILT[build](), "xlsx"))
    if build == "formula without cache":  # LibreOffice computed it: 20000 + 8000
        assert found.names["pct_applications"].kind == "number"
        assert found.names["pct_applications"].value == 28000.0


@pytest.mark.slow
def test_libreoffice_error_result_is_an_error(convert: Convert) -> None:
    found = same_as_oracle(convert(guangdong_filled(gdp_100m_yuan="=1/0"), "xlsx"))
    cell = found.names["gdp_100m_yuan"]
    assert (cell.kind, cell.value) == ("error", "#DIV/0!")


def one_sheet(data: str, *cells: str, **parts: Any) -> RawWorkbook:
    """Read the cells named n_<A1> of a one-sheet workbook, checked against the oracle."""
    return same_as_oracle(
        Package(sheets={"Sheet1": data}, names=names_for(*cells), **parts).build()
    )


def test_strings_inline_shared_rich_and_phonetic() -> None:
    book = one_sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>行内</t></is></c>'
        '<c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c>'
        '<c r="D1" t="str"><v>plain</v></c><c r="E1" t="inlineStr"/></row>',
        *("A1", "B1", "C1", "D1", "E1"),
        strings=[
            "<t>共享</t>",
            "<r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r><rPh sb='0' eb='1'><t>ふ</t></rPh>",
        ],
    )
    got = {n: (c.kind, c.value) for n, c in book.names.items()}
    assert got == {
        "n_A1": ("text", "行内"),
        "n_B1": ("text", "共享"),
        "n_C1": ("text", "富文本"),  # runs joined, the phonetic guide left out
        "n_D1": ("text", "plain"),
        "n_E1": ("empty", None),
    }


def test_errors_and_formulas_never_read_as_blank() -> None:
    book = one_sheet(
        '<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c><c r="B1"><f>1+1</f></c>'
        '<c r="C1"><f>1+1</f><v></v></c><c r="D1" t="e"><f>NA()</f><v>#N/A</v></c>'
        '<c r="E1" t="str"><f>"#x"</f><v>#x</v></c><c r="F1" t="b"><f>TRUE()</f><v>1</v></c></row>'
        '<row r="2"><c r="A2"><f t="shared" ref="A2:A4" si="0">B2*2</f><v>4</v></c></row>'
        '<row r="3"><c r="A3"><f t="shared" si="0"/><v>6</v></c></row>'
        '<row r="4"><c r="A4"><f t="shared" si="0"/></c></row>',
        *("A1", "B1", "C1", "D1", "E1", "F1", "A2", "A3", "A4"),
    )
    got = {n: (c.kind, c.value) for n, c in book.names.items()}
    assert got == {
        "n_A1": ("error", "#DIV/0!"),
        "n_B1": ("formula_no_cache", "=1+1"),
        "n_C1": ("formula_no_cache", "=1+1"),  # an empty cached value is no cached value
        "n_D1": ("error", "#N/A"),
        "n_E1": ("error", "#x"),  # a formula's text result starting with # reads as an error
        "n_F1": ("bool", True),
        "n_A2": ("number", 4.0),
        "n_A3": ("number", 6.0),
        "n_A4": ("formula_no_cache", "=B4*2"),  # the shared formula, moved to its row
    }


def test_array_formula_without_cache_keeps_its_text() -> None:
    # openpyxl shows an ArrayFormula object's repr here; the formula's text is better.
    package = Package(
        sheets={"Sheet1": '<row r="1"><c r="A1"><f t="array" ref="A1">SUM(B1:B2)</f></c></row>'},
        names=names_for("A1"),
    )
    cell = read_xlsx(package.build()).names["n_A1"]
    assert (cell.kind, cell.value) == ("formula_no_cache", "=SUM(B1:B2)")
    assert oracle(package.build()).names["n_A1"].kind == "formula_no_cache"


def test_numbers_dates_and_formats() -> None:
    # numFmt 10 is 0.00%, 14 a date, 20 h:mm, 46 [h]:mm:ss; 164 quotes its % (not scaling)
    styles = {
        "num_fmts": '<numFmt numFmtId="164" formatCode="0.0&quot;%&quot;"/>'
        '<numFmt numFmtId="165" formatCode="0.0\\%"/><numFmt numFmtId="166" formatCode="0%"/>',
        "cell_xfs": [f'<xf numFmtId="{n}"/>' for n in (0, 10, 14, 20, 46, 164, 165, 166)],
    }
    book = one_sheet(
        '<row r="1"><c r="A1" s="1"><v>0.165</v></c><c r="B1" s="2"><v>43831</v></c>'
        '<c r="C1" s="3"><v>0.75</v></c><c r="D1" s="4"><v>1.5</v></c>'
        '<c r="E1" s="5"><v>16.5</v></c><c r="F1" s="6"><v>16.5</v></c>'
        '<c r="G1" s="7"><v>1</v></c><c r="H1" s="1"/><c r="I1"><v>1E3</v></c>'
        '<c r="J1" s="2"><v>1e300</v></c></row>',
        *("A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1", "I1", "J1"),
        **styles,
    )
    got = {n: (c.kind, c.value, c.percent_format) for n, c in book.names.items()}
    assert got == {
        "n_A1": ("number", 0.165, True),
        "n_B1": ("date", "2020-01-01T00:00:00", False),  # serial 43831 in the 1900 system
        "n_C1": ("date", "18:00:00", False),  # 0.75 of a day
        "n_D1": ("number", 1.5, False),  # a duration: 1.5 days
        "n_E1": ("number", 16.5, False),  # "%" in quotes is a literal
        "n_F1": ("number", 16.5, False),  # an escaped % too
        "n_G1": ("number", 1.0, True),
        "n_H1": ("empty", None, True),
        "n_I1": ("number", 1000.0, False),
        "n_J1": ("error", "#VALUE!", False),  # a date serial beyond year 9999
    }
    mac = one_sheet(
        '<row r="1"><c r="A1" s="2"><v>43831</v></c></row>',
        "A1",
        workbook_pr='<workbookPr date1904="1"/>',
        **styles,
    )
    # 1904 system: day 0 is 1904-01-01, so 43831 days later is 2024-01-02
    assert mac.names["n_A1"].value == "2024-01-02T00:00:00"


def test_merged_ranges_after_the_rows() -> None:
    book = one_sheet(
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
        '<row r="2"><c r="A2"><v>3</v></c></row>',
        *("A1", "B1", "A2", "C1"),
        after_data={"Sheet1": '<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>'},
    )
    got = {n: (c.kind, c.value, c.merged) for n, c in book.names.items()}
    # Only a merge's first cell keeps its value (as a spreadsheet shows it).
    assert got == {
        "n_A1": ("number", 1.0, True),
        "n_B1": ("empty", None, True),
        "n_A2": ("empty", None, True),
        "n_C1": ("empty", None, False),
    }


def test_rows_out_of_order_and_cells_without_references() -> None:
    book = one_sheet(
        '<row r="3"><c><v>30</v></c><c><v>31</v></c></row><row><c r="C4"><v>4</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c></row>',
        *("A3", "B3", "C4", "A2", "Z9"),
    )
    got = {n: (c.kind, c.value) for n, c in book.names.items()}
    assert got == {
        "n_A3": ("number", 30.0),
        "n_B3": ("number", 31.0),
        "n_C4": ("number", 4.0),
        "n_A2": ("number", 2.0),  # listed after row 4: still read
        "n_Z9": ("empty", None),
    }


def test_which_names_count_and_where_they_point() -> None:
    package = Package(
        sheets={"Sheet1": '<row r="1"><c r="A1"><v>1</v></c></row>', "O'Brien": ""},
        names=[
            ("dollars", "Sheet1!$A$1", ""),
            ("plain", "Sheet1!A1", ""),
            ("hidden", "Sheet1!$A$1", ' hidden="1"'),
            ("local", "Sheet1!$A$1", ' localSheetId="0"'),
            ("_xlnm.Print_Area", "Sheet1!$A$1:$B$2", ""),
            ("_xlnm._FilterDatabase", "Sheet1!$A$1:$B$2", ""),
            ("_xlnm.Criteria", "Sheet1!$A$1", ""),
            ("range", "Sheet1!$A$1:$B$2", ""),
            ("two", "Sheet1!$A$1,Sheet1!$B$1", ""),
            ("ref_error", "#REF!", ""),
            ("sheet_ref_error", "Sheet1!#REF!", ""),
            ("missing_sheet", "Gone!$A$1", ""),
            ("constant", "42", ""),
            ("empty", "", ""),
        ],
    )
    book = same_as_oracle(package.build())
    assert list(book.names) == ["dollars", "plain", "hidden", "_xlnm.Criteria"]
    assert book.bad_refs == (
        "range", "two", "ref_error", "sheet_ref_error", "missing_sheet", "constant", "empty"
    )  # fmt: skip
    assert book.sheets == ("Sheet1", "O'Brien")


def test_quoted_sheet_name_with_an_apostrophe_is_unescaped() -> None:
    # openpyxl keeps the doubled '' and finds no such sheet; the name does point at a cell.
    package = Package(
        sheets={"O'Brien": '<row r="1"><c r="A1"><v>7</v></c></row>'},
        names=[("n", "'O''Brien'!$A$1", "")],
    )
    assert oracle(package.build()).bad_refs == ("n",)
    assert read_xlsx(package.build()).names["n"] == RawCell("O'Brien", "A1", "number", 7.0)


def test_absolute_relationship_targets() -> None:
    book = one_sheet('<row r="1"><c r="A1"><v>5</v></c></row>', "A1", absolute_targets=True)
    assert book.names["n_A1"].value == 5.0


def refusal(read: Callable[[bytes], Any], data: bytes) -> str:
    try:
        read(data)
    except BaseException as exc:
        return str(worker._classify(exc)["refusal"])
    return "read"


BROKEN: dict[str, Callable[[], bytes]] = {
    "sheet not well-formed": lambda: Package(
        sheets={"Sheet1": '<row r="1"><c r="A1"><v>1</v></row>'}, names=names_for("A1")
    ).build(),
    "workbook not well-formed": lambda: Package(names=names_for("A1")).build(
        replace={"xl/workbook.xml": b"<workbook"}
    ),
    "shared strings not well-formed": lambda: Package(strings=["<t>a"]).build(),
    "styles not well-formed": lambda: Package().build(replace={"xl/styles.xml": b"<styleSheet"}),
    "shared strings declared, missing": lambda: Package(strings=[]).build(
        replace={"xl/sharedStrings.xml": b""}
    ),
    "workbook relationships missing": lambda: Package().build(
        replace={"xl/_rels/workbook.xml.rels": b""}
    ),
    "no workbook declared": lambda: Package().build(
        replace={"[Content_Types].xml": b"<Types xmlns='x'/>"}
    ),
    "shared string index out of range": lambda: Package(
        sheets={"Sheet1": '<row r="1"><c r="A1" t="s"><v>3</v></c></row>'},
        names=names_for("A1"),
        strings=["<t>a</t>"],
    ).build(),
    "number that is not one": lambda: Package(
        sheets={"Sheet1": '<row r="1"><c r="A1"><v>abc</v></c></row>'}, names=names_for("A1")
    ).build(),
    "undefined style": lambda: Package(
        sheets={"Sheet1": '<row r="1"><c r="A1" s="9"><v>1</v></c></row>'},
        names=names_for("A1"),
    ).build(),
}


@pytest.mark.parametrize("build", BROKEN.values(), ids=BROKEN.keys())
def test_broken_parts_are_refused_as_the_openpyxl_reading_refused_them(
    build: Callable[[], bytes],
) -> None:
    data = build()
    assert refusal(read_xlsx, data) == refusal(oracle, data) == "file.corrupt"


def test_missing_sheet_part_drops_the_sheet_as_openpyxl_did() -> None:
    package = Package(sheets={"Sheet1": "", "Sheet2": ""}, names=names_for("A1", sheet="Sheet2"))
    book = same_as_oracle(package.build(replace={"xl/worksheets/sheet2.xml": b""}))
    assert book.sheets == ("Sheet1",) and book.bad_refs == ("n_A1",)


@pytest.mark.parametrize(
    "declaration",
    [
        b'<!DOCTYPE worksheet SYSTEM "http://example.invalid/x.dtd">',
        b'<!DOCTYPE w [<!ENTITY a "aaaaaaaa">]>',
        "<!DOCTYPE worksheet>".encode("utf-16-le"),
    ],
)
def test_a_dtd_in_any_part_read_is_refused(declaration: bytes) -> None:
    for part in ("xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"):
        body = Package(names=names_for("A1")).build()
        import zipfile

        original = zipfile.ZipFile(io.BytesIO(body)).read(part)
        data = Package(names=names_for("A1")).build(replace={part: declaration + original})
        answer = worker.run_op("xlsx", data)
        assert b'"refusal": "xml.doctype"' in answer, (part, answer)


def test_a_foreign_encoding_is_refused() -> None:
    sheet = b'<?xml version="1.0" encoding="cp037"?><worksheet/>'
    data = Package(names=names_for("A1")).build(replace={"xl/worksheets/sheet1.xml": sheet})
    assert refusal(read_xlsx, data) == "file.corrupt"


# --- properties: generated cells read the same by both readers

_STYLES = {  # style index -> format, as the generated package declares them
    "num_fmts": '<numFmt numFmtId="164" formatCode="0.0&quot;%&quot;"/>',
    "cell_xfs": [f'<xf numFmtId="{n}"/>' for n in (0, 9, 14, 22, 46, 164)],
}
_number_text = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(-1e7, 1e7, allow_nan=False).map(repr),
    st.sampled_from(["1E3", "2.5e-3", "0", "-0.0", "1e308", "60.000001"]),
)
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
_cell_body = st.one_of(
    st.tuples(st.just(""), _number_text.map(lambda v: f"<v>{v}</v>")),
    st.tuples(st.just(' t="s"'), st.integers(0, 2).map(lambda i: f"<v>{i}</v>")),
    st.tuples(st.just(' t="inlineStr"'), _text.map(lambda s: f"<is><t>{_esc(s)}</t></is>")),
    st.tuples(st.just(' t="str"'), _text.map(lambda s: f"<f>T(1)</f><v>{_esc(s)}</v>")),
    st.tuples(st.just(' t="b"'), st.sampled_from(["<v>0</v>", "<v>1</v>"])),
    st.tuples(st.just(' t="e"'), st.sampled_from(["<v>#N/A</v>", "<v>#REF!</v>"])),
    st.tuples(st.just(""), st.sampled_from(["<f>A1+1</f>", "<f>A1+1</f><v>3</v>", ""])),
)


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.tuples(_cell_body, st.integers(0, 5)), min_size=1, max_size=6),
    mac=st.booleans(),
)
def test_generated_cells_read_as_openpyxl_read_them(
    cells: list[tuple[tuple[str, str], int]], mac: bool
) -> None:
    rows = "".join(
        f'<row r="{i}"><c r="B{i}" s="{style}"{kind}>{body}</c></row>'
        for i, ((kind, body), style) in enumerate(cells, start=1)
    )
    refs = [f"B{i}" for i in range(1, len(cells) + 1)]
    package = Package(
        sheets={"Sheet1": rows},
        names=names_for(*refs),
        strings=["<t>a</t>", "<r><t>b</t></r><r><t>c</t></r>", "<t>#N/A</t>"],
        workbook_pr=f'<workbookPr date1904="{int(mac)}"/>',
        **_STYLES,
    )
    data = package.build()
    if refusal(oracle, data) != "read":  # e.g. "-0.0" as an int: both must refuse
        assert refusal(read_xlsx, data) == refusal(oracle, data)
        return
    same_as_oracle(data)


_sheet_name = st.one_of(
    st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=6),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6).map(
        lambda s: "'" + s.replace("'", "''") + "'"
    ),
)


@given(sheet=_sheet_name, dollar=st.booleans(), column=st.sampled_from(["A", "c", "XFD", "AB"]))
def test_the_quick_reference_reading_agrees_with_the_tokenizer(
    sheet: str, dollar: bool, column: str
) -> None:
    d = "$" if dollar else ""
    formula = f"{sheet}!{d}{column}{d}12"
    assert _destination(formula) == tokenized_destination(formula)


# --- stopping after the last named row: only when nothing after it can matter


def test_merges_after_many_later_rows_are_found() -> None:
    later = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(6, 2000))
    book = one_sheet(
        '<row r="5"><c r="A5"><v>5</v></c><c r="B5"><v>6</v></c></row>' + later,
        *("A5", "B5"),
        after_data={"Sheet1": '<mergeCells count="1"><mergeCell ref="A5:B5"/></mergeCells>'},
    )
    assert [(c.value, c.merged) for c in book.names.values()] == [(5.0, True), (None, True)]


def test_a_later_row_going_back_is_still_read() -> None:
    book = one_sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>'
        '<row r="10"><c r="A10"><v>10</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>',
        *("A1", "A2"),
    )
    assert [c.value for c in book.names.values()] == [1.0, 2.0]


def test_later_rows_without_references_are_read_to_the_end() -> None:
    # The second <row r="1"> replaces A1 (the last one written wins, as in openpyxl).
    book = one_sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row><row><c><v>9</v></c></row>'
        '<row r="1"><c r="A1"><v>7</v></c></row>',
        "A1",
    )
    assert book.names["n_A1"].value == 7.0


def test_a_tag_cut_by_a_parser_chunk_is_still_seen() -> None:
    # The parser is fed 8 KiB at a time: place <c r="A2"> (in row 3, but naming A2) across
    # the first boundary, so only the cut-tag rule keeps the reader from stopping at row 2.
    def sheet(filler: int) -> str:
        return (
            f'<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>{"x" * filler}'
            '</t></is></c></row><row r="2"><c r="A2"><v>2</v></c></row>'
            '<row r="3"><c r="A2"><v>5</v></c></row>'
        )

    def part(filler: int) -> bytes:
        data = Package(sheets={"Sheet1": sheet(filler)}).build()
        import zipfile

        return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    offset = part(0).index(b'<c r="A2"><v>5')
    filler = 8 * 1024 - 3 - offset  # the boundary falls inside '<c r="A2">'
    assert part(filler)[8 * 1024 - 3 : 8 * 1024 + 7] == b'<c r="A2">'
    book = one_sheet(sheet(filler), "A1", "A2")
    assert book.names["n_A2"].value == 5.0
