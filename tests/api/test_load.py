"""Load: 64 connections at once against a real `ipeval serve`, driven by wrk: no errors.

Not a timing test (the machine is shared); what must hold is that every request is answered
with a 2xx — none stalls past wrk's 30 s timeout, none fails for want of a database
connection — on list, detail and upload at once. Uses bench/api.py's harness.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import api as bench_api

from tests.needs import missing


def test_64_connections_get_no_errors(db_backend, tmp_path):
    if shutil.which("wrk") is None:
        missing("wrk is not installed (apt-get install wrk)")
    with bench_api.database(db_backend, tmp_path) as target:
        if target is None:
            missing("PostgreSQL is not reachable")
        with bench_api.server(target, tmp_path) as base:
            # warm up (the pool's first connections), then 64 connections at once
            bench_api.measure(base, target, tmp_path, connections=[4], seconds=1, only=["detail"])
            figures = bench_api.measure(
                base, target, tmp_path, connections=[64], seconds=3, only=["list", "detail"]
            )
            # a check takes a reader slot for ~0.1 s, so uploads get longer to show progress
            figures += bench_api.measure(
                base, target, tmp_path, connections=[64], seconds=4, only=["upload"]
            )
    assert {f.scenario for f in figures} == {"list", "detail", "upload"}
    for figure in figures:
        assert figure.requests > 0, figure
        assert figure.errors == 0, figure
