#!/usr/bin/env bash
# Detection quality on generated tenants: for each format and seed, `exfilwatch generate`, then
# `exfilwatch scan` at default settings, then `exfilwatch eval`; prints recall per incident
# family, false alerts and false alerts per 10,000 active account-days, one block per tenant,
# and a summary line per tenant.
#
#   SEEDS="7001 7002 7003" FORMATS="generic salesforce-elf cloudtrail" bash benches/detection.sh
#
# Seeds 101-104 were used while developing the detector; quote results on others.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-"7001 7002 7003"}
FORMATS=${FORMATS:-"generic salesforce-elf cloudtrail"}
OUT=${OUT:-bench-data/detection}
cargo build --release -q
bin=target/release/exfilwatch
mkdir -p "$OUT"
for format in $FORMATS; do
  for seed in $SEEDS; do
    dir="$OUT/$format-$seed"
    "$bin" generate -q --out "$dir" --seed "$seed" --format "$format"
    "$bin" scan -q "$dir/logs" --format jsonl --fail-on never > "$dir/alerts.jsonl"
    echo "== $format seed $seed (default settings)"
    "$bin" eval -q --labels "$dir/labels.csv" "$dir/alerts.jsonl" | tee "$dir/eval.txt" \
      | sed -n '/^FAMILY/,/^False alerts per/p'
  done
done
