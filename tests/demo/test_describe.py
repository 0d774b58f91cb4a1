"""What a later `ipeval run` prints: the address it serves now, not the first start's."""

from app.demo import first_start


def test_a_second_start_on_another_port_shows_its_own_address(tmp_path):
    tokens = tmp_path / "demo-tokens.txt"
    tokens.write_text(
        "admin ipe_x\nAPI documentation / 接口文档: http://127.0.0.1:8000/docs\n"
        '  curl -H "Authorization: Bearer ipe_x" "http://127.0.0.1:8000/api/v1/evaluations"\n',
        encoding="utf-8",
    )
    report = first_start.StartReport(demo_skipped="already loaded", token_file=tokens)
    shown = first_start.describe(report, "http://127.0.0.1:8765")
    assert "http://127.0.0.1:8765/docs" in shown
    assert '"http://127.0.0.1:8765/api/v1/evaluations"' in shown and ":8000" not in shown
    assert "ipe_x" in shown
