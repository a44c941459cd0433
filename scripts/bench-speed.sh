#!/usr/bin/env bash
# Training speed per core, SKD Lab against PyTorch (issue 14): every network of `skd bench`
# (the default student and teacher, the MobileNet student, ResNet-20 width 16 and width 8 on
# 32x32x3), SKD Lab wasm on 1 thread against PyTorch on 1 thread, and 2 data-parallel wasm
# workers against PyTorch on 2 threads; each figure the median of 3 back-to-back repetitions.
# Run it on a quiet machine: other work on the cores lowers every figure and widens the spread.
#
# usage: scripts/bench-speed.sh [--build] [--profile] [--seconds N] [--repeat N] [--out report.json]
#   --build    run `npm run build` first (default: only when dist/cli.js is missing)
#   --profile  afterwards also print where a step goes (`skd bench --profile`), for every network
#   --seconds  timed seconds per figure (default 5);  --repeat  repetitions (default 3)
#   --out      where the JSON report goes (default bench-speed-<UTC time>.json here)
# Needs the PyTorch peer's Python ($SKD_PYTHON, else /usr/bin/python3 with torch).
set -euo pipefail
cd "$(dirname "$0")/.."

build=0
profile=0
seconds=5
repeat=3
out="bench-speed-$(date -u +%Y%m%dT%H%M%SZ).json"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=1 ;;
    --profile) profile=1 ;;
    --seconds) seconds="$2"; shift ;;
    --repeat) repeat="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "bench-speed.sh: unknown argument $1 (see the usage at the top of this script)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$build" = 1 ] || [ ! -f dist/cli.js ]; then npm run build; fi
python="${SKD_PYTHON:-/usr/bin/python3}"
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "bench-speed.sh: $python cannot import torch; the PyTorch columns will be empty" >&2
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown), $(nproc) cores" >&2
# --backends wasm: the per-backend table only for wasm; --no-ratio: no SKD/KD epoch timing.
node bin/skd.js bench --backends wasm --no-ratio --seconds "$seconds" --repeat "$repeat" --save "$out"
echo "JSON report: $out (networks.networks[].wasm1Thread, .pytorch1Thread, .ratio1Thread, ...)"

if [ "$profile" = 1 ]; then
  node bin/skd.js bench --profile --seconds 2 --save "${out%.json}-profile.json"
  echo "profile JSON: ${out%.json}-profile.json"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" >&2
