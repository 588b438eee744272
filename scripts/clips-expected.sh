#!/bin/sh
# Regenerates test/clips/expected/*.out by running every test/clips/programs/*.clp through the
# real CLIPS 6.30 binary in batch mode (-f2: no echo, no banner). Usage: scripts/clips-expected.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
clips=${CLIPS:-clips}
command -v "$clips" >/dev/null 2>&1 || { echo "clips-expected: '$clips' not found" >&2; exit 1; }
mkdir -p "$root/test/clips/expected"
count=0
for prog in "$root"/test/clips/programs/*.clp; do
  name=$(basename "$prog" .clp)
  timeout 20 "$clips" -f2 "$prog" > "$root/test/clips/expected/$name.out"
  count=$((count + 1))
done
echo "clips-expected: regenerated $count expected outputs"
