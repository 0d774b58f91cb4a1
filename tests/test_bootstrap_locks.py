"""The locks install from nothing but ``python3 -m venv``, whose bundled pip is old.

On Python 3.11 ``python3 -m venv`` brings pip 23.2.1 (ensurepip of 3.11.5+; 3.11.7 here),
which mishandles an extra such as ``coverage[toml]`` in ``--require-hashes`` mode. bootstrap
therefore installs ``requirements/lock-bootstrap.txt`` (pip, setuptools, wheel) first with
that old pip, and only the new pip installs the main locks. These tests hold that promise:
the bootstrap lock is something pip 23.2.1 can install, and every lock pins every line.
"""

from __future__ import annotations

import ensurepip
import re
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = sorted((ROOT / "requirements").glob("lock*.txt"))
BOOTSTRAP = ROOT / "requirements" / "lock-bootstrap.txt"
OLDEST_VENV_PIP = "23.2.1"
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(?P<extras>\[[^\]]*\])?(?P<spec>[^ \\;]*)")


def _requirements(lock: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, extras, version spec, hashes) of every requirement of a uv-compiled lock."""
    text = lock.read_text(encoding="utf-8")
    found = []
    for block in re.split(r"\n(?=\S)", text):
        if block.startswith(("#", "-")) or not block.strip():
            continue
        match = REQUIREMENT.match(block)
        assert match, f"{lock.name}: cannot read {block[:60]!r}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
        found.append((match["name"], match["extras"] or "", match["spec"], hashes))
    return found


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_every_lock_line_is_pinned_with_hashes(lock):
    requirements = _requirements(lock)
    assert len(requirements) >= 3
    for name, _extras, spec, hashes in requirements:
        assert re.fullmatch(r"==[0-9][0-9A-Za-z.+!-]*", spec), f"{lock.name}: {name}{spec}"
        assert hashes, f"{lock.name}: {name} has no --hash"


def test_the_bootstrap_lock_has_what_the_old_pip_can_install():
    names = {name.lower(): (extras, spec) for name, extras, spec, _ in _requirements(BOOTSTRAP)}
    assert {"pip", "setuptools", "wheel"} <= set(names)
    # pip 23.2.1 refuses an extra in --require-hashes mode: the bootstrap lock has none
    assert all(extras == "" for extras, _ in names.values())


@pytest.mark.skipif(
    ensurepip.version() != OLDEST_VENV_PIP,
    reason=f"this interpreter's venv bundles pip {ensurepip.version()}, not {OLDEST_VENV_PIP}",
)
def test_the_bundled_pip_installs_the_bootstrap_lock(tmp_path):
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    bundled = subprocess.run(
        [python, "-m", "pip", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert bundled.startswith(f"pip {OLDEST_VENV_PIP} ")
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, "install", "--quiet", "--require-hashes", "-r", BOOTSTRAP],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pinned = {n.lower(): s.removeprefix("==") for n, _, s, _ in _requirements(BOOTSTRAP)}
    upgraded = subprocess.run(
        [python, "-m", "pip", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert upgraded.startswith(f"pip {pinned['pip']} ")
