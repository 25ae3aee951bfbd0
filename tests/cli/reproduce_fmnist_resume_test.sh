#!/usr/bin/env bash
# scripts/reproduce-fmnist in slices (issue 34), on a tiny configuration (1 epoch, 300 training
# and 200 test images, 2 samples at p = 1 %, 8 bits, one seed; OUT and RESULTS in a temp folder):
#  1. killed (SIGKILL to its process group) once the first unit's result file exists and the
#     second unit's training has started: the interrupted unit leaves no result file;
#  2. rerun: the first unit is skipped (logged, not retrained, its file byte for byte the same),
#     the second unit's file appears, with every field the result files promise;
#  3. BUDGET_MIN=0.00001 (0.6 ms: spent by the script's start-up) stops before the next unit
#     with the budget message, exit 0;
#  4. PattBET: its unit file carries the own-pattern evaluation;
#  5. a reduced configuration without RESULTS is refused in one line, before any work.
# Usage: reproduce_fmnist_resume_test.sh LOWVOLT_BINARY [SOURCE_DIR]. Run by ctest
# (Reproduce.FmnistResume). PYTHON (default python3) runs the script's Python.
set -uo pipefail
lowvolt=$(realpath "${1:?usage: $0 LOWVOLT_BINARY [SOURCE_DIR]}")
src=$(realpath "${2:-$(dirname "$0")/../..}")
script="$src/scripts/reproduce-fmnist"
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
pid=
cleanup() {
  [[ -n "$pid" ]] && kill -KILL -- "-$pid" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

export LOWVOLT="$lowvolt" OUT="$tmp/out" RESULTS="$tmp/results" PYTHON EPOCHS=1 TRAIN_SUBSET=300 \
  TEST_SUBSET=200 SAMPLES=2 RATES="1%" ROWS="normal rquant" BITS=8 SEEDS=1 THREADS=1
first="$RESULTS/cnn_normal_8bit_s1.json"
second="$RESULTS/cnn_rquant_8bit_s1.json"

# 1. Run, kill after the first unit. Job control gives the script its own process group.
t0=$(date +%s.%N)
set -m
bash "$script" > "$tmp/run1.log" 2>&1 &
pid=$!
set +m
for ((i = 0; i < 1800; i++)); do   # at most 3 min
  [[ -f "$first" ]] && grep -q '^== train cnn_rquant_8bit$' "$tmp/run1.log" && break
  kill -0 "$pid" 2> /dev/null || break
  sleep 0.1
done
t1=$(date +%s.%N)
kill -KILL -- "-$pid" 2> /dev/null
wait "$pid" 2> /dev/null
pid=
echo "--- run 1 (killed in the second unit after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s):"
cat "$tmp/run1.log"
check "run 1 wrote the first unit's result file" test -f "$first"
check "run 1 was killed while training the second unit" grep -q '^== train cnn_rquant_8bit$' "$tmp/run1.log"
check "the killed unit left no result file" test ! -f "$second"
check "no temporary files in RESULTS" test -z "$(find "$RESULTS" -name '*.tmp*')"
sum1=$(sha256sum "$first" | cut -d' ' -f1)
file1=$(stat -c '%i %y' "$first")   # a rewrite (tmp + mv) gives a new inode and time
model_time=$(stat -c %Y.%y "$OUT/cnn_normal_8bit.lvm")

# 2. Rerun: skips the first unit, finishes the second (recording the commit it is told).
t0=$(date +%s.%N)
LOWVOLT_COMMIT=0123abc-copied bash "$script" > "$tmp/run2.log" 2>&1
rc=$?
t1=$(date +%s.%N)
echo "--- run 2 (rc $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s):"
cat "$tmp/run2.log"
check "run 2 exits 0" test "$rc" -eq 0
check "run 2 logs the skip" grep -qxF "skip cnn_normal_8bit_s1: $first exists" "$tmp/run2.log"
check "run 2 did not train the first unit again" test -z "$(grep -x '== train cnn_normal_8bit' "$tmp/run2.log")"
check "the first unit's model is untouched" test "$(stat -c %Y.%y "$OUT/cnn_normal_8bit.lvm")" = "$model_time"
check "the first unit's result file is byte for byte the same" \
  test "$(sha256sum "$first" | cut -d' ' -f1)" = "$sum1"
check "the first unit's result file was not rewritten" test "$(stat -c '%i %y' "$first")" = "$file1"
check "run 2 wrote the second unit's result file" test -f "$second"
check "run 2 rewrote the tables" test -f "$RESULTS/tables.md" -a -f "$RESULTS/tables.csv"
check "run 2 recorded LOWVOLT_COMMIT" grep -q '"lowvolt_commit": "0123abc-copied"' "$second"
check "the result files hold the promised fields" "$PYTHON" - "$first" "$second" << 'PY'
import json, sys
for path in sys.argv[1:]:
    u = json.load(open(path))
    assert u["bits"] == 8 and u["seed"] == 1 and u["epochs"] == 1 and u["samples"] == 2, path
    assert u["train_subset"] == 300 and u["test_subset"] == 200 and u["rates"] == [0.01], path
    assert u["row"] in ("normal", "rquant") and u["row_options"].startswith("--quant"), path
    assert u["lowvolt_commit"], path
    assert len(u["train"]["epochs"]) == 1 and "test_error" in u["train"], path
    assert 0 <= u["eval"]["clean_error"] <= 1, path
    for key in ("rte", "rte_reference"):
        (x,) = u["eval"][key]
        assert x["p"] == 0.01 and len(x["errors"]) == 2 and "mean" in x and "std" in x, (path, key)
    assert "model" not in u["eval"] and "memory_map" not in u["eval"], path
    text = open(path).read()
    assert len(text) < 8000 and text.endswith("}\n"), (path, len(text))
PY

# 3. A spent budget stops before the next unit (the finished two are skipped first).
bash_out=$(ROWS="normal rquant clip0.1" BUDGET_MIN=0.00001 bash "$script" 2>&1)
rc=$?
echo "--- run 3 (BUDGET_MIN=0.00001):"
echo "$bash_out"
check "run 3 exits 0" test "$rc" -eq 0
check "run 3 stops with the budget message" \
  grep -qxF "budget of 0.00001 min used: stopping before cnn_clip0.1_8bit_s1" <<< "$bash_out"
check "run 3 started nothing of clip0.1" test -z "$(grep -v '^budget of' <<< "$bash_out" | grep cnn_clip0.1)"
check "run 3 wrote no clip0.1 result" test ! -f "$RESULTS/cnn_clip0.1_8bit_s1.json"

# 4. PattBET's unit file carries its own-pattern evaluation.
t0=$(date +%s.%N)
bash_out=$(ROWS="pattbet" bash "$script" 2>&1)
rc=$?
t1=$(date +%s.%N)
echo "--- run 4 (pattbet, rc $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s):"
echo "$bash_out"
check "run 4 (pattbet) exits 0" test "$rc" -eq 0
check "the pattbet unit file has the own-pattern evaluation" "$PYTHON" - "$RESULTS/cnn_pattbet_8bit_s1.json" << 'PY'
import json, sys
u = json.load(open(sys.argv[1]))
own = u["own_pattern"]
assert own["errors"] == "own-pattern" and len(own["rte"]) == 1 and len(own["rte"][0]["errors"]) == 1
assert len(u["eval"]["rte"][0]["errors"]) == 2
PY
check "the tables have the PattBET rows" grep -q "PattBET on its own pattern" "$RESULTS/tables.md"

# 5. A reduced configuration may not write into the committed default RESULTS.
before=$(ls -l "$src/docs/results/fmnist" 2>&1)
err=$(env -u RESULTS bash "$script" 2>&1 > /dev/null)
rc=$?
echo "--- run 5 (EPOCHS=1 without RESULTS, rc $rc): $err"
check "run 5 is refused" test "$rc" -ne 0
# shellcheck disable=SC2016
check "run 5's error is one line naming RESULTS" \
  bash -c '[[ $(wc -l <<< "$1") == 1 && "$1" == *RESULTS* && "$1" == *EPOCHS=1* ]]' _ "$err"
check "run 5 left docs/results/fmnist as it was" test "$(ls -l "$src/docs/results/fmnist" 2>&1)" = "$before"

echo "$failures failure(s)"
[[ "$failures" -eq 0 ]]
