"""LibreOffice renders: the letter, the results workbook and the template as a clerk prints them.

Each file is converted to PDF with ``soffice --headless --convert-to pdf`` and read back with
pypdf: the values must be the ones the API reports, and the template must print one page wide
with only its own type's pilot tasks. PDFs and PNG renders stay in ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.core.settings import get_settings
from app.intake import write_template
from app.masterdata import resolve_province
from scoring.rubric import load_shipped
from tests.needs import missing
from tests.web.conftest import GANSU, YEAR

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
A4_SHORT, A4_LONG = 595, 842  # points


def _to_pdf(tmp_path: Path, files: dict[str, bytes]) -> dict[str, Path]:
    soffice = shutil.which("soffice")
    if soffice is None:
        missing("LibreOffice (soffice) is not installed")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), *[str(tmp_path / n) for n in files]],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    out = {}
    for name in files:
        pdf = tmp_path / (Path(name).stem + ".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {name}"
        shutil.copy(pdf, ARTIFACTS / pdf.name)
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(ARTIFACTS / pdf.stem)],
                           check=False, timeout=60)  # fmt: skip
        out[name] = pdf
    return out


def _text(pdf: Path) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(pdf).pages))


def test_letter_and_results_workbook_render_with_the_api_values(web_db, web_client, tmp_path):
    auth = {"Authorization": f"Bearer {web_db.tokens['evaluator']}"}
    letter = web_client.get(f"/api/v1/evaluations/{YEAR}/{GANSU}/letter.docx", headers=auth)
    book = web_client.get(f"/api/v1/evaluations/{YEAR}.xlsx", headers=auth)
    rows = web_client.get(f"/api/v1/evaluations?year={YEAR}", headers=auth).json()["items"]
    pdfs = _to_pdf(tmp_path, {"letter-gansu-2020.docx": letter.content,
                              "results-2020.xlsx": book.content})  # fmt: skip

    gansu = next(r for r in rows if r["province_code"] == GANSU)
    text = _text(pdfs["letter-gansu-2020.docx"])
    assert "甘肃省" in text and "Gansu" in text and text.index("甘肃省") < text.index("Gansu")
    assert f"{gansu['total']:.2f}" in text and "退出" in text and "exit" in text
    assert gansu["input_sha256"][:40] in text.replace(" ", "")

    text = _text(pdfs["results-2020.xlsx"])
    for row in rows:
        if row["total"] is not None:
            assert f"{row['total']:.2f}" in text, row["province_code"]


def test_guangdong_2021_template_prints_one_page_wide_with_its_own_tasks(tmp_path):
    from pypdf import PdfReader

    settings = get_settings()
    rubric = load_shipped("strong-province@1", root=settings.rubrics_dir)
    data = write_template(rubric, year=2021, province=resolve_province("广东"), unit_type="leading")
    pdf = _to_pdf(tmp_path, {"template-guangdong-2021.xlsx": data})["template-guangdong-2021.xlsx"]
    reader = PdfReader(pdf)
    text = _text(pdf)
    leading = [t.code for t in rubric.tasks if t.family == "pilot" and t.pilot_type == "leading"]
    others = [t.code for t in rubric.tasks if t.family == "pilot" and t.pilot_type != "leading"]
    assert all(code in text for code in leading)
    assert not any(code in text for code in others)
    assert "(2021)" in text or "（2021）" in text
    assert "2020" not in text.split("Reporting year")[0]  # the year comes from the template
    # one page per sheet width: no page holds only columns cut off another (fit to width),
    # so the five printed sheets take few pages; every page is A4
    for page in reader.pages:
        w, h = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert abs(w - A4_SHORT) < 3 and abs(h - A4_LONG) < 3
    assert len(reader.pages) <= 8, len(reader.pages)
