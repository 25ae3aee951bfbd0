#!/usr/bin/env python3
"""scripts/fmnist-tables on the hand-made unit files of tests/cli/data/fmnist_fixture/.

Usage: fmnist_tables_test.py [SOURCE_DIR]   (default: this repository). Run by ctest
(Reproduce.FmnistTables). The fixture (8 bits, one rate p = 1 %, TE and per-seed RTE means):

  row       seeds  TE                  RTE 1 %            reference TE        reference RTE 1 %
  normal    3      0.10, 0.12, 0.14    0.20, 0.30, 0.40   0.11, 0.13, 0.15    0.21, 0.31, 0.41
  rquant    2      0.11, 0.13          0.10, 0.20         0.12, 0.14          0.12, 0.22
  clip0.1   2      0.12, 0.14          0.05, 0.15         0.13, 0.15          0.06, 0.16
  clip0.05  1      0.15                0.08               0.16                0.09
  pattbet   1      0.125               0.11 (own pattern: 0.105)
  (no randbet: its two claims have no numbers)

Hand computation (s² the sample variance, n − 1):
  normal RTE: mean 0.30; s² = (0.01 + 0 + 0.01) / 2 = 0.01, s = 0.10.      TE: 0.12 ± 0.02.
  rquant RTE: mean 0.15; s² = (0.0025 + 0.0025) / 1 = 0.005, s = 0.0707107.
  rquant − normal, physical RTE: diff = 0.15 − 0.30 = −0.15;
    se² = 0.005/2 + 0.01/3 = 1/400 + 1/300 = 7/1200, t = −0.15 / √(7/1200) = −1.9639610;
    df = (7/1200)² / ((1/400)²/1 + (1/300)²/2) = (49/1440000) / (17/1440000) = 49/17 = 2.8823529.
  rquant − normal, reference RTE: diff = 0.17 − 0.31 = −0.14, same se and df:
    t = −0.14 / √(7/1200) = −1.8330303.
  rquant − normal, TE: diff = 0.12 − 0.12 = 0, t = 0, p = 1; df = (0.0002/2 + 0.0004/3)² /
    ((0.0001)² + (0.0004/3)²/2) = 49/17 as well (both variances are 1/25 of the RTE ones).
  clip0.1 − rquant, physical RTE: diff = 0.10 − 0.15 = −0.05, se² = 0.005/2 + 0.005/2 = 0.005,
    t = −0.05 / √0.005 = −1/√2 = −0.7071068; df = 0.005² / (2 · 0.0025²) = 2;
    two-sided p with 2 df: 1 − |t| / √(2 + t²) = 1 − √(0.5 / 2.5) = 1 − 1/√5 = 0.5527864.
  clip0.05 − clip0.1: clip0.05 has one seed: diff = 0.08 − 0.10 = −0.02, t/df/p "n/a".
"""
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile

source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
failures = []


def check(what, ok):
    if not ok:
        failures.append(what)
    print(("ok   " if ok else "FAIL ") + what)


def close(got, want, tol=1e-9):
    return got != "" and abs(float(got) - want) <= tol


with tempfile.TemporaryDirectory() as tmp:
    results = os.path.join(tmp, "results")
    shutil.copytree(os.path.join(source, "tests", "cli", "data", "fmnist_fixture"), results)
    run = subprocess.run([sys.executable, os.path.join(source, "scripts", "fmnist-tables"), results],
                         capture_output=True, text=True)
    print(run.stdout + run.stderr, end="")
    check("fmnist-tables exits 0", run.returncode == 0)
    with open(os.path.join(results, "tables.csv")) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(results, "tables.md")) as f:
        md = f.read()

    def summary(row, measure, definition="physical"):
        hit = [r for r in rows if r["table"] == "summary" and r["row"] == row
               and r["measure"] == measure and r["rte_definition"] == definition]
        return hit[0] if len(hit) == 1 else None

    def claim(a, b, measure, definition="physical"):
        hit = [r for r in rows if r["table"] == "claim" and r["row"] == a and r["row_b"] == b
               and r["measure"] == measure and r["rte_definition"] == definition]
        return hit[0] if len(hit) == 1 else None

    s = summary("normal", "rte")
    check("normal RTE: n 3, mean 0.30, std 0.10",
          s and s["n"] == "3" and close(s["mean"], 0.30) and close(s["std"], 0.10))
    s = summary("normal", "te")
    check("normal TE: mean 0.12, std 0.02", s and close(s["mean"], 0.12) and close(s["std"], 0.02))
    s = summary("rquant", "rte")
    check("rquant RTE: n 2, mean 0.15, std sqrt(0.005)",
          s and s["n"] == "2" and close(s["mean"], 0.15) and close(s["std"], math.sqrt(0.005)))
    s = summary("normal", "rte", "reference")
    check("normal reference RTE: mean 0.31", s and close(s["mean"], 0.31))
    s = summary("pattbet_own", "rte")
    check("pattbet's own pattern: one seed, 0.105", s and s["n"] == "1" and close(s["mean"], 0.105))
    s = summary("clip0.05", "rte")
    check("clip0.05 (one seed): mean 0.08, no std", s and s["n"] == "1" and close(s["mean"], 0.08)
          and s["std"] == "")

    c = claim("rquant", "normal", "rte")
    check("rquant − normal RTE: diff −0.15, t −0.15/sqrt(7/1200), df 49/17",
          c and close(c["diff"], -0.15) and close(c["t"], -0.15 / math.sqrt(7 / 1200))
          and close(c["df"], 49 / 17) and c["n"] == "2" and c["n_b"] == "3")
    c = claim("rquant", "normal", "rte", "reference")
    check("rquant − normal reference RTE: t −0.14/sqrt(7/1200), df 49/17",
          c and close(c["diff"], -0.14) and close(c["t"], -0.14 / math.sqrt(7 / 1200))
          and close(c["df"], 49 / 17))
    c = claim("rquant", "normal", "te")
    check("rquant − normal TE: diff 0, t 0, df 49/17, p 1",
          c and close(c["diff"], 0) and close(c["t"], 0) and close(c["df"], 49 / 17)
          and close(c["p_value"], 1))
    c = claim("clip0.1", "rquant", "rte")
    check("clip0.1 − rquant RTE: t −1/sqrt(2), df 2, p 1 − 1/sqrt(5)",
          c and close(c["diff"], -0.05) and close(c["t"], -1 / math.sqrt(2)) and close(c["df"], 2)
          and close(c["p_value"], 1 - 1 / math.sqrt(5)))
    c = claim("clip0.05", "clip0.1", "rte")
    check("clip0.05 − clip0.1 (one seed): diff −0.02, no t/df/p in the CSV",
          c and close(c["diff"], -0.02) and c["t"] == "" and c["df"] == "" and c["p_value"] == "")
    check("no claim rows for randbet (no units)",
          not [r for r in rows if "randbet" in (r["row"], r["row_b"])])

    check("md: normal 12.00 ± 2.00 and 30.00 ± 10.00",
          "| Per-layer symmetric (LowVolt's `normal`: signed, trunc.) | 3 | 12.00 ± 2.00 | 30.00 ± 10.00 |" in md)
    check("md: rquant − normal at 1 %: -15.00, t -1.96, df 2.9",
          "| p = 1 % | 2, 3 | -15.00 | -1.96 | 2.9 | 0.148 |" in md)
    check("md: clip0.05 − clip0.1 is n/a",
          "| p = 1 % | 1, 2 | -2.00 | n/a | n/a | n/a | -2.00 | n/a | n/a | n/a |" in md)
    check("md: randbet claims say no units yet", "(no units of randbet yet)" in md)
    check("fixture folder unchanged (tables written to the copy only)",
          not os.path.exists(os.path.join(source, "tests", "cli", "data", "fmnist_fixture", "tables.md")))

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
