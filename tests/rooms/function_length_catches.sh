#!/usr/bin/env bash
# Rooms.FunctionLengthCatchesLong: scripts/check-function-length fails, naming the file, line and
# function, on a copy of host/ with one planted 121-line function (braces in a comment, a string
# and a raw string around it must not hide it), and passes a 120-line one. Usage: ROOT.
set -euo pipefail
root=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp -r "$root/host" "$d/host"
plant() {  # plant FILE NAME LINES: appends a function of exactly LINES lines
  local file=$1 name=$2 lines=$3
  {
    printf '// a comment with a brace {\n'
    printf 'int %s(int x) {\n' "$name"
    printf '  const char* s = "}"; (void)s;\n'
    printf '  const char* r = R"x(})x"; (void)r;\n'
    for ((i = 0; i < lines - 5; ++i)); do printf '  x += %d;\n' "$i"; done
    printf '  return x;\n}\n'
  } >> "$file"
}
plant "$d/host/run/src/curve.cpp" planted_ok 120
if ! out=$(python3 "$root/scripts/check-function-length" "$d" host 2>&1); then
  echo "a 120-line function was refused:"; echo "$out"; exit 1
fi
plant "$d/host/nn/src/models.cpp" planted_long 121
if out=$(python3 "$root/scripts/check-function-length" "$d" host 2>&1); then
  echo "check-function-length passed a planted 121-line function:"; echo "$out"; exit 1
fi
echo "$out"
line=$(grep -n "^int planted_long" "$d/host/nn/src/models.cpp" | cut -d: -f1)
grep -q "^host/nn/src/models.cpp:$line: planted_long spans 121 lines (limit 120)$" <<<"$out"
echo "the planted long function is reported"
