#!/usr/bin/env python3
"""Set up ipeval from a fresh checkout and run it, with nothing but Python 3.11+.

    python3 bootstrap.py run     install, migrate the embedded SQLite database, serve on :8000
    python3 bootstrap.py test    install the test tools, then lint, type-check and test

It creates `.venv/` (or $IPEVAL_VENV), installs the locked, hash-checked dependencies from
`requirements/`, installs ipeval itself in editable mode, and re-installs only when a lock
file changes. Standard library only, so that it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("IPEVAL_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
LOCKS = {"run": ROOT / "requirements" / "lock.txt", "test": ROOT / "requirements" / "lock-test.txt"}
# pip, setuptools and wheel, hash-pinned: installed first with whatever pip `python3 -m venv`
# bundled (23.2 on Python 3.11), which cannot install the main locks itself (it mishandles an
# extra such as coverage[toml] in --require-hashes mode), and then used as the build backend.
TOOLS_LOCK = ROOT / "requirements" / "lock-bootstrap.txt"
COVERAGE_FLOOR = "80"
FORMATTED = ("app", "scoring", "tests", "bench", "migrations/env.py", "bootstrap.py")


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def sh(*args: str | Path) -> None:
    say(" ".join(str(a) for a in args))
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def install(kind: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (runs on whatever python3 the user has)
        sys.exit("ipeval needs Python 3.11 or newer / 需要 Python 3.11 或更高版本")
    if not PY.exists():
        say(f"creating virtual environment {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock = LOCKS[kind]
    digest = hashlib.sha256(
        TOOLS_LOCK.read_bytes() + lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    )
    stamp = VENV / f".ipeval-{kind}.sha256"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    pip = (PY, "-m", "pip", "--disable-pip-version-check")
    sh(*pip, "install", "--quiet", "--require-hashes", "-r", TOOLS_LOCK)
    sh(*pip, "install", "--quiet", "--require-hashes", "-r", lock)
    # The build backend is the locked setuptools just installed, not a fresh unpinned download.
    sh(*pip, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ROOT)
    stamp.write_text(digest.hexdigest())


def run(argv: list[str]) -> int:
    install("run")
    return subprocess.call([str(BIN / "ipeval"), "run", *argv], cwd=ROOT)


def test(argv: list[str]) -> int:
    install("test")
    steps: list[list[str]] = [
        [str(PY), "-m", "ruff", "check", "."],
        [str(PY), "-m", "ruff", "format", "--check", *FORMATTED],
        [str(PY), "-m", "mypy", "scoring", "app"],
        [str(BIN / "lint-imports")],
        [str(BIN / "hadolint"), "Dockerfile"],
        [
            str(PY),
            "-m",
            "pytest",
            "--cov",
            f"--cov-fail-under={COVERAGE_FLOOR}",
            "--cov-report=term:skip-covered",
            "--durations=15",
            *argv,
        ],
    ]
    for step in steps:
        say(" ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)))
        code = subprocess.call(step, cwd=ROOT)
        if code != 0:
            say(f"FAILED ({code}): {' '.join(step)}")
            return code
    return 0


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
