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
#
# GEN=2 runs the second held-out generator instead (benches/independent2/gen.py, session 11: a
# retail bank over 91 days from 2025-02-24, with VPN egress-pool changes, a browser upgrade,
# marketing campaign weeks, a regulator's request day, a card-fraud day, admins' occasional Data
# Loader exports at odd hours), default CASES "11:1000:8 12:600:4", into bench-data/independent2.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${GEN:-1}" = 2 ]; then
  GEN_PY=benches/independent2/gen.py
  CASES=${CASES:-"11:1000:8 12:600:4"}
  OUT=${OUT:-bench-data/independent2}
else
  GEN_PY=benches/independent/gen.py
  CASES=${CASES:-"1:600:4 2:1000:8"}
  OUT=${OUT:-bench-data/independent}
fi
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
  [ -f "$dir/tenant.json" ] || "$PY" "$GEN_PY" --seed "$seed" --accounts "$accounts" \
    --per-family "$per" --out "$dir" > "$dir.gen.txt" 2>&1
  "$bin" scan -q "$dir/logs" --format jsonl --fail-on never > "$dir/alerts.jsonl"
  echo "== independent generator $GEN_PY, seed $seed, $accounts accounts, $per incidents per family (default settings)"
  "$bin" eval -q --labels "$dir/labels.csv" --benign "$dir/benign.csv" "$dir/alerts.jsonl" | tee "$dir/eval.txt" \
    | sed -n '/^FAMILY/,/^False alerts per/p'
done
