#!/usr/bin/env bash
# Rooms.BoundariesCatchPlanted: scripts/check-rooms fails, naming the file and line, on a copy of
# host/ with three planted violations: nn including the app layer, a plain header of run/
# including LibTorch, and the CLI reaching LibTorch through a run/ header. Usage: RULES ROOT.
set -euo pipefail
rules=$1 root=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp -r "$root/host" "$d/host"
cp -r "$root/scripts" "$d/scripts"
printf '#include "lowvolt/app/app.h"\n' >> "$d/host/nn/src/models.cpp"
sed -i '0,/#include <cstdint>/s//#include <cstdint>\n#include <torch\/types.h>/' "$d/host/run/include/lowvolt/run/eval_types.h"
printf '#include "lowvolt/run/evaluate.h"\n' >> "$d/host/cli/cmd_info.cpp"
if out=$(python3 "$d/scripts/check-rooms" "$rules" "$d" 2>&1); then
  echo "check-rooms passed a tree with planted violations:"; echo "$out"; exit 1
fi
echo "$out"
n=$(wc -l < "$d/host/nn/src/models.cpp")
grep -q "host/nn/src/models.cpp:$n: includes lowvolt/app/app.h, but room 'nn' does not use room 'app'" <<<"$out"
grep -q "host/run/include/lowvolt/run/eval_types.h: must stay free of LibTorch" <<<"$out"
grep -q "host/cli/cmd_info.cpp: must stay free of LibTorch, but reaches it: host/cli/cmd_info.cpp:[0-9]*: lowvolt/run/evaluate.h" <<<"$out"
grep -q "host/cli/cmd_info.cpp:[0-9]*: includes <torch" <<<"$out" || true
echo "all three planted violations reported"
