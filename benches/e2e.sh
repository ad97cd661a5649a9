#!/usr/bin/env bash
# End-to-end benchmark: exfilwatch `scan --format jsonl` against DuckDB doing only the hourly
# per-account aggregation (events, sum of records and bytes, distinct objects) over the same
# generic CSV file. Prints wall time, throughput and peak RSS (from /usr/bin/time -v) as a
# markdown table. Reproduces the README's performance table:
#
#     bash benches/e2e.sh            # 1M rows (940 accounts x 30 days), 3 runs each
#     ROWS_ACCOUNTS=470 RUNS=1 bash benches/e2e.sh
#
# Needs: python3 (generator, DuckDB from PyPI in a venv under bench-data/), /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS=${ROWS_ACCOUNTS:-940}
RUNS=${RUNS:-3}
DUCKDB_VERSION=2.0.0
DATA=bench-data
CSV=$DATA/generic-${ACCOUNTS}acct.csv
mkdir -p "$DATA"

if [ ! -s "$CSV" ]; then
  echo "generating $CSV ..." >&2
  python3 sample-logs/make_sample.py --accounts "$ACCOUNTS" --seed 11 --out "$CSV" --no-gzip
fi
if [ ! -x "$DATA/venv/bin/python" ]; then
  python3 -m venv "$DATA/venv"
  "$DATA/venv/bin/pip" install --quiet "duckdb==$DUCKDB_VERSION"
fi
cargo build --release --quiet
BIN=target/release/exfilwatch

ROWS=$(( $(wc -l < "$CSV") - 1 ))
BYTES=$(stat -c %s "$CSV")

cat > "$DATA/duckdb_hourly.py" <<'PY'
import sys, duckdb
con = duckdb.connect()
con.execute("SET threads TO 2")
n = con.execute("""
  CREATE TABLE hourly AS
  SELECT account, date_trunc('hour', "timestamp") AS hour,
         count(*) AS events, sum(records) AS records, sum(bytes) AS bytes,
         count(DISTINCT object) AS objects
  FROM read_csv(?, header = true, columns = {
      'timestamp': 'TIMESTAMPTZ', 'account': 'VARCHAR', 'action': 'VARCHAR',
      'object': 'VARCHAR', 'records': 'BIGINT', 'bytes': 'BIGINT',
      'src_ip': 'VARCHAR', 'client': 'VARCHAR'})
  GROUP BY ALL
""", [sys.argv[1]]).fetchall()
print(con.execute("SELECT count(*) FROM hourly").fetchone()[0], file=sys.stderr)
PY

# measure NAME CMD...: best wall time and the peak RSS of that run, over $RUNS runs.
measure() {
  local name=$1; shift
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$DATA/time.txt" "$@" > /dev/null 2> "$DATA/stderr.txt"
    local wall kb
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$DATA/time.txt")
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DATA/time.txt")
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$wall; rss=$kb; fi
  done
  awk -v n="$name" -v s="$best" -v kb="$rss" -v rows="$ROWS" -v bytes="$BYTES" 'BEGIN {
    printf "| %s | %.2f | %.0f | %.1f | %.0f |\n", n, s, rows/s/1000, bytes/s/1e6, kb/1024 }'
}

echo
echo "Input: $CSV, $ROWS rows, $(awk -v b="$BYTES" 'BEGIN{printf "%.0f", b/1e6}') MB; best of $RUNS; $(nproc) cores"
echo
echo "| command | wall s | k rows/s | MB/s | peak RSS MiB |"
echo "|---|---|---|---|---|"
measure "exfilwatch scan --format jsonl (all stages)" "$BIN" scan "$CSV" --format jsonl --quiet --fail-on never
measure "DuckDB $DUCKDB_VERSION hourly aggregation only" "$DATA/venv/bin/python" "$DATA/duckdb_hourly.py" "$CSV"
measure "wc -l (read limit)" wc -l "$CSV"
