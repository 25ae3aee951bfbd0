"""The package as pip installs it (issue 33): `pip wheel ./python` makes a wheel offline (Debian's
setuptools and wheel, --no-build-isolation) from the build the tests run against; it installs
into a fresh `python3 -m venv --system-site-packages` in a temporary folder with no index and no
compiler step, imports there from a folder outside the repository, runs the README's Python
snippet, and `pip uninstall lowvolt` leaves nothing of it behind.

The build folder is the parent of PYTHONPATH's first entry (ctest sets it to <build>/python), so
setup.py only brings that build's lowvolt_python target up to date (docs/python.md, "Install").
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, readme_python_snippet


def build_dir():
    entries = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    for entry in map(lambda e: Path(e).resolve(), entries):
        if (entry / "lowvolt").is_dir() and (entry.parent / "CMakeCache.txt").is_file():
            return entry.parent
    pytest.skip("PYTHONPATH names no LowVolt build (<build>/python): run through ctest")


def run(cmd, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(kw.pop("env", {}))
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, **kw)
    assert r.returncode == 0, f"{cmd}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def readme_snippet():
    # the snippet's relative paths are the repository's
    return readme_python_snippet().replace('"profiles/data/', f'"{ROOT}/profiles/data/')


def test_wheel_installs_into_a_venv_runs_the_readme_and_uninstalls(tmp_path):
    build = build_dir()
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-w", dist, ROOT / "python"], env={"LOWVOLT_BUILD_DIR": str(build)}, cwd=tmp_path)
    wheels = list(dist.glob("lowvolt-*.whl"))
    assert len(wheels) == 1, wheels

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--no-index", "--no-deps", wheels[0]], cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run([python, "-c", "import lowvolt, lowvolt.torch; print(lowvolt.__file__)"],
                cwd=elsewhere).strip()
    assert Path(where).is_relative_to(venv), where
    site = Path(where).parent.parent
    assert (site / "lowvolt" / "py.typed").is_file() and (site / "lowvolt" / "_core.pyi").is_file()

    out = run([python, "-c", readme_snippet()], cwd=elsewhere)
    lines = [l for l in out.splitlines() if l.startswith("mapping ")]
    assert len(lines) == 3 and all("BER" in l and "test error" in l for l in lines), out

    run([python, "-m", "pip", "uninstall", "-y", "lowvolt"], cwd=tmp_path)
    left = sorted(str(p.relative_to(venv)) for p in venv.rglob("*lowvolt*"))
    assert left == [], left
    r = subprocess.run([python, "-c", "import lowvolt"], cwd=elsewhere, capture_output=True,
                       text=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode != 0 and "No module named 'lowvolt'" in r.stderr, r.stderr
