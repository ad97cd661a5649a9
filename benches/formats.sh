#!/usr/bin/env bash
# Ingest throughput per log format: the same synthetic tenant written in each vendor's export
# format, each scanned with `exfilwatch scan <path> --format jsonl --quiet`. Prints wall time,
# throughput and peak RSS (from /usr/bin/time -v) as a markdown table, one row per format:
#
#     bash benches/formats.sh              # 470 accounts (about half a million events), 3 runs each
#     ACCOUNTS=100 RUNS=1 bash benches/formats.sh
#
# The generic CSV comes from sample-logs/make_sample.py (--seed 11); benches/convert.py rewrites
# it as m365-purview, m365-api, snowflake, gdrive and rtem. salesforce-elf and cloudtrail are
# written by make_sample.py itself (--format) when it has that option. Everything goes under
# bench-data/formats/ and is reused until the generic CSV or the script that wrote it changes.
# The M365 formats write one row per record with at most 50 per event and are by far the
# largest: at 470 accounts expect about 4 GB (Purview CSV) and 3 GB (API JSON) on disk.
#
# "rows" is what exfilwatch reads (its summary's "N rows read"): per-record rows for M365, one
# per Drive event for gdrive, Login rows as well as API rows for salesforce-elf. MB/s is over the
# uncompressed input; for the gzipped CloudTrail files both sizes are shown.
#
# Needs: python3, /usr/bin/time, cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS=${ACCOUNTS:-470}
RUNS=${RUNS:-3}
DATA=bench-data
OUT=$DATA/formats
CSV=$OUT/generic-${ACCOUNTS}acct.csv
GEN=sample-logs/make_sample.py
CONVERT=benches/convert.py
mkdir -p "$OUT"

# fresh TARGET DEPS...: whether TARGET exists and was finished (its stamp) after all of DEPS.
fresh() {
  local stamp="$OUT/.done-$(basename "$1")"
  [ -e "$1" ] && [ -e "$stamp" ] || return 1
  shift
  local dep
  for dep in "$@"; do [ "$dep" -nt "$stamp" ] && return 1; done
  return 0
}
done_stamp() { touch "$OUT/.done-$(basename "$1")"; }

if ! fresh "$CSV" "$GEN"; then
  echo "generating $CSV ..." >&2
  python3 "$GEN" --accounts "$ACCOUNTS" --seed 11 --out "$CSV" --no-gzip
  done_stamp "$CSV"
fi

# Inputs, in table order: "format path".
INPUTS=("generic $CSV")
for fmt in m365-purview m365-api snowflake gdrive rtem; do
  case $fmt in
    m365-api|gdrive) path=$OUT/$fmt-${ACCOUNTS}acct ;;
    *) path=$OUT/$fmt-${ACCOUNTS}acct.csv ;;
  esac
  if ! fresh "$path" "$CSV" "$CONVERT"; then
    echo "converting to $fmt ..." >&2
    python3 "$CONVERT" --to "$fmt" --in "$CSV" --out "$path"
    done_stamp "$path"
  fi
  INPUTS+=("$fmt $path")
done

HELP=$(python3 "$GEN" --help)
for fmt in salesforce-elf cloudtrail; do
  path=$OUT/$fmt-${ACCOUNTS}acct
  if ! grep -q -- '--format' <<< "$HELP"; then
    echo "note: $GEN has no --format option; skipping $fmt" >&2
    continue
  fi
  if ! grep -q -- "$fmt" <<< "$HELP"; then
    echo "note: $GEN --format does not offer $fmt; skipping it" >&2
    continue
  fi
  if ! fresh "$path" "$GEN"; then
    echo "generating $fmt ..." >&2
    python3 "$GEN" --accounts "$ACCOUNTS" --seed 11 --format "$fmt" --out "$path"
    done_stamp "$path"
  fi
  INPUTS+=("$fmt $path")
done

cargo build --release --quiet
BIN=target/release/exfilwatch

# size_on_disk PATH: bytes of the file, or of all files under the directory.
size_on_disk() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}'; }

# scan_rows NAME PATH: sets ROWS to the rows exfilwatch reads from PATH (its summary line), from
# one run without --quiet (which also warms the page cache for the timed runs).
scan_rows() {
  if ! "$BIN" scan "$2" --format jsonl --fail-on never > /dev/null 2> "$DATA/stderr.txt"; then
    echo "exfilwatch failed on $2:" >&2
    cat "$DATA/stderr.txt" >&2
    exit 1
  fi
  echo "$1: $(grep -m1 'rows read' "$DATA/stderr.txt")" >&2
  ROWS=$(grep -m1 -oE '[0-9,]+ rows read' "$DATA/stderr.txt" | cut -d' ' -f1 | tr -d ,)
  if [ -z "$ROWS" ]; then
    echo "no 'rows read' in the summary for $2:" >&2
    cat "$DATA/stderr.txt" >&2
    exit 1
  fi
}

# measure NAME SIZE_TEXT CMD...: best wall time and the peak RSS of that run, over $RUNS runs,
# with ROWS and BYTES (uncompressed) of the input.
measure() {
  local name=$1 size=$2; shift 2
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$DATA/time.txt" "$@" > /dev/null 2> "$DATA/stderr.txt"
    local wall kb
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$DATA/time.txt")
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DATA/time.txt")
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$wall; rss=$kb; fi
  done
  awk -v n="$name" -v size="$size" -v s="$best" -v kb="$rss" -v rows="$ROWS" -v bytes="$BYTES" 'BEGIN {
    if (s <= 0) s = 0.005
    printf "| %s | %s | %d | %.2f | %.0f | %.1f | %.0f |\n", n, size, rows, s, rows/s/1000, bytes/s/1e6, kb/1024 }'
}

TABLE=$DATA/formats-table.md
: > "$TABLE"
for entry in "${INPUTS[@]}"; do
  name=${entry%% *}
  path=${entry#* }
  disk=$(size_on_disk "$path")
  if [ -n "$(find "$path" -type f -name '*.gz' -print -quit)" ]; then
    BYTES=$(find "$path" -type f -exec zcat -f -- {} + | wc -c)
    size=$(awk -v c="$disk" -v u="$BYTES" 'BEGIN{printf "%.0f gzipped (%.0f uncompressed)", c/1e6, u/1e6}')
  else
    BYTES=$disk
    size=$(awk -v b="$disk" 'BEGIN{printf "%.0f", b/1e6}')
  fi
  scan_rows "$name" "$path"
  measure "$name" "$size" "$BIN" scan "$path" --format jsonl --quiet --fail-on never >> "$TABLE"
done

GENERIC_ROWS=$(( $(wc -l < "$CSV") - 1 ))
echo
echo "Input: $ACCOUNTS accounts, $GENERIC_ROWS generic events ($CSV) in each format; best of $RUNS; $(nproc) cores"
echo "M365: one row per record, at most 50 per event; gdrive: one Drive event per record, at most 20 per activity"
echo
echo "| format | input MB | rows | wall s | k rows/s | MB/s | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|"
cat "$TABLE"
