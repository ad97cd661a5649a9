#!/usr/bin/env bash
# Detection quality on tenants from an independently written generator
# (benches/independent/gen.py: written from the issue's description only, by someone who had not
# read exfilwatch's own generator or detector; numpy, generic CSV, 90 days from 2025-03-03, an
# airline with an outsourced Manila contact centre, quarter-end analysts, admins' ad hoc night
# exports, leave, travel, training cohorts on a shared IP, per-account spans in labels.csv).
# For each case: generate, `exfilwatch scan` at default settings, `exfilwatch eval`.
#
#   bash benches/independent.sh
#
# CASES lists "seed:accounts:per-family" triples (default "1:600:4 2:1000:8").
# Needs python3 with numpy; a venv with it is made under bench-data/ when python3 has none.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${CASES:-"1:600:4 2:1000:8"}
OUT=${OUT:-bench-data/independent}
mkdir -p "$OUT"
PY=python3
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  [ -x bench-data/venv/bin/python ] || python3 -m venv bench-data/venv
  bench-data/venv/bin/python -c 'import numpy' 2>/dev/null || bench-data/venv/bin/pip install --quiet numpy
  PY=bench-data/venv/bin/python
fi
cargo build --release -q
bin=target/release/exfilwatch
for c in $CASES; do
  IFS=: read -r seed accounts per <<< "$c"
  dir="$OUT/s$seed-a$accounts-f$per"
  [ -f "$dir/tenant.json" ] || "$PY" benches/independent/gen.py --seed "$seed" --accounts "$accounts" \
    --per-family "$per" --out "$dir" > "$dir.gen.txt" 2>&1
  "$bin" scan -q "$dir/logs" --format jsonl --fail-on never > "$dir/alerts.jsonl"
  echo "== independent generator, seed $seed, $accounts accounts, $per incidents per family (default settings)"
  "$bin" eval -q --labels "$dir/labels.csv" "$dir/alerts.jsonl" | tee "$dir/eval.txt" \
    | sed -n '/^FAMILY/,/^False alerts per/p'
done
