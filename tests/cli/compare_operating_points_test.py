"""scripts/compare-operating-points on hand-made `lowvolt curve --json` results: the same
operating point, one grid step apart with RTEs there within 2 standard errors (noise), and one
step apart with RTEs far apart (differ); different grids are refused. Usage: this file ROOT."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = sys.argv[1]
SCRIPT = os.path.join(ROOT, "scripts", "compare-operating-points")
failures = 0


def check(what, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def curve(series, vdds=(0.9, 0.88, 0.86)):
    """series: chip -> (operating vdd or None, {vdd: (mean, std)}) of one model, 2 mappings."""
    out = {"vdds": list(vdds), "models": [{"name": "m.lvm", "series": []}]}
    for chip, (op, points) in series.items():
        out["models"][0]["series"].append({
            "chip": chip,
            "points": [{"vdd": v, "mean": points.get(v, (0.1, 0.0))[0],
                        "std": points.get(v, (0.1, 0.0))[1], "samples": 2} for v in vdds],
            "operating_points": [{"budget": 0.01, "found": op is not None, "vdd": op or 0,
                                  "energy_saved": 1 - (op or 1) ** 2}]})
    return out


def run(a, b):
    with tempfile.TemporaryDirectory() as d:
        pa, pb = os.path.join(d, "a.json"), os.path.join(d, "b.json")
        json.dump(a, open(pa, "w"))
        json.dump(b, open(pb, "w"))
        r = subprocess.run([sys.executable, SCRIPT, pa, pb, "--labels=golden,torch"],
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr


a = curve({"c1": (0.88, {0.86: (0.120, 0.010)}), "c2": (0.86, {}), "c3": (0.88, {0.86: (0.30, 0.01)})})
b = curve({"c1": (0.86, {0.86: (0.105, 0.010)}), "c2": (0.86, {}), "c3": (0.86, {0.86: (0.10, 0.01)})})
code, out = run(a, b)
last = out.strip().splitlines()[-1]
check("exit 0", code == 0)
# c1: z = (0.120 − 0.105)/sqrt((0.01² + 0.01²)/2) = 0.015/0.01 = +1.50: noise; c3: z = 20: differs
check("c1 z printed", "z = +1.50" in out)
check("summary counts", "the same on 1 of 3" in last and "1 one grid step apart" in last
      and "1 DIFFER" in last)
code, out = run(a, curve({"c1": (0.88, {})}, vdds=(0.9, 0.8)))
check("different grids refused", code != 0 and "different voltage grids" in out)
print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
