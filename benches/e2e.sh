#!/usr/bin/env bash
# End-to-end benchmark behind the README's performance table. For each dataset, on the same
# input: `exfilwatch scan --format jsonl --quiet` (all stages), DuckDB doing ONLY the hourly
# per-account aggregation (events, sum of records and bytes, distinct objects per account-hour;
# benches/e2e_duckdb.py, 2 threads, CREATE TABLE ... AS) and `wc -l` as the read limit. Wall time
# (bash's clock around /usr/bin/time) and peak RSS (/usr/bin/time -v): best wall time of $RUNS
# runs, and the peak RSS of that run.
# Prints markdown tables on stdout.
#
# Datasets (DATASETS="generic1g generic5g elf1g ct1g" by default; any subset, in any order):
#   generic1g  generic CSV, one file, ~1 GB: GENERIC_ACCOUNTS accounts (4,550), 30 days
#   generic5g  generic CSV, ~5 GB: the SAME accounts, roles, days and theft as generic1g with
#              GENERIC_SCALE (5) times the events per account-hour (make_sample.py --scale), so
#              the (account, hour) windows are about the same (+1-2%) and only events grow
#   elf1g      Salesforce Event Log Files, a folder of daily API and Login CSVs, ~1 GB
#              (ELF_ACCOUNTS, 2,420)
#   ct1g       CloudTrail, AWSLogs/ tree of hourly .json.gz files, ~1 GB gzipped, ~10x that
#              uncompressed (CT_ACCOUNTS, 7,000)
#   generic1m  the earlier README row: generic CSV, 940 accounts, ~1.0M rows (207 MB)
#
#     bash benches/e2e.sh                                  # all four, 3 runs each
#     DATASETS="generic1g elf1g" RUNS=1 bash benches/e2e.sh
#     SMALL=1 RUNS=1 BIN=/path/to/exfilwatch bash benches/e2e.sh   # ~50 MB variants, smoke test
#     GENERATE_ONLY=1 bash benches/e2e.sh                  # generate (cached) and print sizes
#
# Knobs: RUNS (3), BIN (default target/release/exfilwatch, built with cargo; when BIN is given
# nothing is built), SMALL=1 (~50 MB inputs, ~250 MB for generic5g), GENERIC_ACCOUNTS,
# GENERIC_SCALE, ELF_ACCOUNTS, CT_ACCOUNTS, GENERATE_ONLY=1.
#
# Data goes under bench-data/e2e/ (gitignored). Each input is generated once (seed 11) and
# reused while it exists; delete it to regenerate (a folder counts as done only once its stamp
# .done-NAME is written). Generation times are appended to bench-data/e2e/generation.log. Full
# size needs ~8 GB of disk, ~6 GB of RAM for generating generic5g, and about 25 minutes of
# generation (mostly ct1g).
#
# rows = what exfilwatch reads, from its stderr summary ("N rows read": data lines for CSV,
# API + Login rows for ELF, records for CloudTrail) of one untimed run, which also warms the page
# cache; the same count is used for every command on that input. DuckDB's own count of events
# (and its number of (account, hour) windows) is printed below the tables as a cross-check.
# MB/s is given over the bytes on disk and over the uncompressed bytes (equal except for ct1g).
# For ct1g the read limit is shown twice: `zcat FILES | wc -l` (decompression included) and
# `cat FILES | wc -l` (bytes on disk). Peak RSS of DuckDB includes its Python interpreter.
#
# Needs: python3 (generator; DuckDB from PyPI in a venv under bench-data/), /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SMALL=${SMALL:-0}
DUCKDB_VERSION=2.0.0
DATA=bench-data
OUT=$DATA/e2e
GEN=sample-logs/make_sample.py
SEED=11
if [ "$SMALL" = 1 ]; then
  GENERIC_ACCOUNTS=${GENERIC_ACCOUNTS:-230}
  ELF_ACCOUNTS=${ELF_ACCOUNTS:-120}
  CT_ACCOUNTS=${CT_ACCOUNTS:-380}
else
  GENERIC_ACCOUNTS=${GENERIC_ACCOUNTS:-4550}
  ELF_ACCOUNTS=${ELF_ACCOUNTS:-2420}
  CT_ACCOUNTS=${CT_ACCOUNTS:-7000}
fi
GENERIC_SCALE=${GENERIC_SCALE:-5}
DATASETS=${DATASETS:-generic1g generic5g elf1g ct1g}
for name in $DATASETS; do
  case $name in
    generic1g|generic5g|elf1g|ct1g|generic1m) ;;
    *) echo "unknown dataset '$name' (generic1g generic5g elf1g ct1g generic1m)" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"

# ---------------------------------------------------------------------------------------------
# Inputs

# path_of NAME: the input of a dataset.
path_of() {
  case $1 in
    generic1g) echo "$OUT/generic-${GENERIC_ACCOUNTS}acct-x1.csv" ;;
    generic5g) echo "$OUT/generic-${GENERIC_ACCOUNTS}acct-x${GENERIC_SCALE}.csv" ;;
    elf1g) echo "$OUT/salesforce-elf-${ELF_ACCOUNTS}acct" ;;
    ct1g) echo "$OUT/cloudtrail-${CT_ACCOUNTS}acct" ;;
    generic1m) echo "$DATA/generic-940acct.csv" ;;
  esac
}

# label_of NAME: what the table calls it.
label_of() {
  case $1 in
    generic1g) echo "generic CSV, $GENERIC_ACCOUNTS accounts" ;;
    generic5g) echo "generic CSV, $GENERIC_ACCOUNTS accounts, ${GENERIC_SCALE}x events" ;;
    elf1g) echo "Salesforce ELF, $ELF_ACCOUNTS accounts" ;;
    ct1g) echo "CloudTrail .json.gz, $CT_ACCOUNTS accounts" ;;
    generic1m) echo "generic CSV, 940 accounts" ;;
  esac
}

# generate NAME PATH: writes the input unless it is there (and, for a folder, finished).
generate() {
  local name=$1 path=$2 stamp
  stamp="$(dirname "$path")/.done-$(basename "$path")"
  case $name in
    generic*) [ -s "$path" ] && return 0 ;;
    *) [ -d "$path" ] && [ -e "$stamp" ] && return 0 ;;
  esac
  local args
  case $name in
    generic1g) args=(--accounts "$GENERIC_ACCOUNTS" --no-gzip) ;;
    generic5g) args=(--accounts "$GENERIC_ACCOUNTS" --scale "$GENERIC_SCALE" --no-gzip) ;;
    elf1g) args=(--accounts "$ELF_ACCOUNTS" --format salesforce-elf) ;;
    ct1g) args=(--accounts "$CT_ACCOUNTS" --format cloudtrail) ;;
    generic1m) args=(--accounts 940 --no-gzip) ;;
  esac
  echo "generating $path ..." >&2
  local t0 t1
  t0=$(date +%s.%N)
  python3 "$GEN" "${args[@]}" --seed "$SEED" --out "$path" 2> "$OUT/gen-stderr.txt" || {
    cat "$OUT/gen-stderr.txt" >&2
    exit 1
  }
  t1=$(date +%s.%N)
  cat "$OUT/gen-stderr.txt" >&2
  {
    echo "$(date -u +%FT%TZ) $name: python3 $GEN ${args[*]} --seed $SEED --out $path"
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "  %.0f s wall\n", b - a}'
    sed 's/^/  /' "$OUT/gen-stderr.txt"
  } >> "$OUT/generation.log"
  case $name in generic*) ;; *) touch "$stamp" ;; esac
}

# sizes PATH: sets DISK (bytes of the file, or of all files under the folder), RAW (the same,
# uncompressed: from each gzip member's ISIZE trailer, exact below 4 GiB a file) and MAXRAW (the
# largest file, uncompressed).
sizes() {
  read -r DISK RAW MAXRAW < <(python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
files = [root] if os.path.isfile(root) else [
    os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if not f.startswith(".")]
disk = raw = biggest = 0
for p in files:
    n = os.path.getsize(p)
    disk += n
    if p.endswith(".gz"):
        with open(p, "rb") as f:
            f.seek(-4, 2)
            n = int.from_bytes(f.read(4), "little")
    raw += n
    biggest = max(biggest, n)
print(disk, raw, biggest)
PY
)
}

for name in $DATASETS; do
  generate "$name" "$(path_of "$name")"
done

if [ "${GENERATE_ONLY:-0}" = 1 ]; then
  echo
  echo "| dataset | input | files | MB on disk | MB uncompressed |"
  echo "|---|---|---|---|---|"
  for name in $DATASETS; do
    path=$(path_of "$name")
    sizes "$path"
    files=$(find "$path" -type f ! -name '.*' | wc -l)
    awk -v l="$(label_of "$name")" -v p="$path" -v f="$files" -v d="$DISK" -v r="$RAW" 'BEGIN {
      printf "| %s | %s | %d | %.0f | %.0f |\n", l, p, f, d / 1e6, r / 1e6 }'
  done
  exit 0
fi

if [ ! -x "$DATA/venv/bin/python" ]; then
  python3 -m venv "$DATA/venv"
  "$DATA/venv/bin/pip" install --quiet "duckdb==$DUCKDB_VERSION"
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/exfilwatch
fi
DUCKDB=("$DATA/venv/bin/python" benches/e2e_duckdb.py)
# Older builds have no --fail-on (and exit 0 whatever they find); newer ones exit non-zero on an
# alert at or above high unless told `--fail-on never`.
FAIL_ON=()
if "$BIN" scan --help 2>&1 | grep -q -- '--fail-on'; then FAIL_ON=(--fail-on never); fi
SCAN=("$BIN" scan)

# ---------------------------------------------------------------------------------------------
# Timing

# measure CMD...: sets WALL (best of $RUNS, seconds) and RSS_KB (peak RSS of that run). Wall
# time is taken around /usr/bin/time with bash's microsecond clock (time -v only reports
# hundredths, too coarse for wc -l on small inputs); peak RSS comes from time -v. A non-zero exit
# stops the benchmark.
measure() {
  WALL="" RSS_KB=""
  local i wall kb rc t0 t1
  for i in $(seq "$RUNS"); do
    rc=0
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$OUT/time.txt" "$@" > /dev/null 2> "$OUT/stderr.txt" || rc=$?
    t1=$EPOCHREALTIME
    if [ "$rc" != 0 ]; then
      echo "failed (exit $rc): $*" >&2
      cat "$OUT/stderr.txt" "$OUT/time.txt" >&2
      exit 1
    fi
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
    if [ -z "$WALL" ] || awk -v a="$wall" -v b="$WALL" 'BEGIN{exit !(a<b)}'; then WALL=$wall; RSS_KB=$kb; fi
  done
}

TABLE=$OUT/table.md
RATIOS=$OUT/ratios.md
NOTES=$OUT/notes.md
: > "$TABLE"
: > "$RATIOS"
: > "$NOTES"
declare -A RSS_OF ROWS_OF WINDOWS_OF DISK_OF

# row LABEL COMMAND: one table line for the last measure.
row() {
  # (label and command through the environment: awk -v would eat the backslash of "\|")
  L="$1" C="$2" awk -v s="$WALL" -v kb="$RSS_KB" -v rows="$ROWS" -v d="$DISK" -v r="$RAW" 'BEGIN {
    printf "| %s | %s | %.0f | %.0f | %.0f | %.3f | %.0f | %.1f | %.1f | %.0f |\n", ENVIRON["L"],
      ENVIRON["C"], d / 1e6, r / 1e6, rows, s, rows / s / 1000, d / s / 1e6, r / s / 1e6, kb / 1024 }' >> "$TABLE"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3g", b / a }'; }

for name in $DATASETS; do
  path=$(path_of "$name")
  label=$(label_of "$name")
  sizes "$path"
  echo "$name: $path, $DISK bytes on disk, $RAW uncompressed" >&2

  # Untimed run without --quiet: the rows exfilwatch reads (its summary), and a warm page cache.
  rc=0
  "${SCAN[@]}" "$path" --format jsonl "${FAIL_ON[@]}" > /dev/null 2> "$OUT/stderr.txt" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "exfilwatch failed (exit $rc) on $path:" >&2
    cat "$OUT/stderr.txt" >&2
    exit 1
  fi
  summary=$(grep -E 'rows read|windows' "$OUT/stderr.txt" || true)
  echo "$summary" >&2
  ROWS=$(grep -m1 -oE '[0-9,]+ rows read' "$OUT/stderr.txt" | cut -d' ' -f1 | tr -d , || true)

  measure "${SCAN[@]}" "$path" --format jsonl --quiet "${FAIL_ON[@]}"
  ex_wall=$WALL ex_rss=$RSS_KB

  case $name in
    generic*) kind=generic ;;
    elf1g) kind=salesforce ;;
    ct1g) kind=cloudtrail ;;
  esac
  # maximum_object_size for read_json: the largest uncompressed file, rounded up to a MiB, at
  # least DuckDB's default of 16 MiB.
  maxobj=$(awk -v m="$MAXRAW" 'BEGIN { x = int((m + 1048575) / 1048576) * 1048576; if (x < 16777216) x = 16777216; printf "%d", x }')
  measure "${DUCKDB[@]}" "$kind" "$path" "$maxobj"
  dk_wall=$WALL dk_rss=$RSS_KB
  duck=$(grep -m1 '^duckdb:' "$OUT/stderr.txt" || true)
  if [ -z "$ROWS" ]; then  # no summary from this build: DuckDB's count of events
    ROWS=$(sed -nE 's/.* ([0-9]+) events.*/\1/p' <<< "$duck")
    summary="(no 'rows read' in exfilwatch's summary; rows are DuckDB's count of events)"
  fi

  WALL=$ex_wall RSS_KB=$ex_rss
  row "$label" "exfilwatch scan --format jsonl (all stages)"
  WALL=$dk_wall RSS_KB=$dk_rss
  row "$label" "DuckDB $DUCKDB_VERSION hourly aggregation only"

  vs_wc=""
  if [ -f "$path" ]; then
    measure wc -l "$path"
    row "$label" "wc -l (read limit)"
    vs_wc="$(ratio "$ex_wall" "$WALL")"
  else
    find "$path" -type f ! -name '.*' -print0 | sort -z > "$OUT/files.txt"
    if [ "$kind" = cloudtrail ]; then
      measure bash -c 'xargs -0 zcat -- < "$1" | wc -l' _ "$OUT/files.txt"
      row "$label" "zcat FILES \\| wc -l (decompress + read)"
      vs_wc="$(ratio "$ex_wall" "$WALL") (zcat \\| wc -l)"
      measure bash -c 'xargs -0 cat -- < "$1" | wc -l' _ "$OUT/files.txt"
      row "$label" "cat FILES \\| wc -l (read limit, on disk)"
      vs_wc="$vs_wc, $(ratio "$ex_wall" "$WALL") (cat \\| wc -l)"
    else
      measure bash -c 'xargs -0 cat -- < "$1" | wc -l' _ "$OUT/files.txt"
      row "$label" "cat FILES \\| wc -l (read limit)"
      vs_wc="$(ratio "$ex_wall" "$WALL")"
    fi
  fi
  echo "| $label | $(ratio "$ex_wall" "$dk_wall") | $vs_wc |" >> "$RATIOS"
  {
    echo "- $label ($path):"
    sed 's/^/  - /' <<< "$summary"
    echo "  - $duck"
  } >> "$NOTES"
  RSS_OF[$name.ex]=$ex_rss
  RSS_OF[$name.dk]=$dk_rss
  ROWS_OF[$name]=$ROWS
  DISK_OF[$name]=$DISK
  WINDOWS_OF[$name]=$(sed -nE 's/^duckdb: ([0-9]+) .*/\1/p' <<< "$duck")
done

echo
echo "Best of $RUNS; $(nproc) cores; $("$BIN" --version 2>/dev/null || echo "$BIN"); DuckDB $DUCKDB_VERSION (2 threads)"
echo
echo "| dataset | command | input MB (disk) | input MB (uncompressed) | rows | wall s | k rows/s | MB/s (disk) | MB/s (uncompressed) | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
cat "$TABLE"
echo
echo "Throughput ratios on the same input (> 1: exfilwatch faster):"
echo
echo "| dataset | exfilwatch ÷ DuckDB | exfilwatch ÷ wc -l |"
echo "|---|---|---|"
cat "$RATIOS"
if [ -n "${RSS_OF[generic1g.ex]:-}" ] && [ -n "${RSS_OF[generic5g.ex]:-}" ]; then
  echo
  awk -v s="$GENERIC_SCALE" -v d1="${DISK_OF[generic1g]}" -v d5="${DISK_OF[generic5g]}" \
      -v r1="${ROWS_OF[generic1g]}" -v r5="${ROWS_OF[generic5g]}" \
      -v w1="${WINDOWS_OF[generic1g]:-0}" -v w5="${WINDOWS_OF[generic5g]:-0}" \
      -v e1="${RSS_OF[generic1g.ex]}" -v e5="${RSS_OF[generic5g.ex]}" \
      -v k1="${RSS_OF[generic1g.dk]}" -v k5="${RSS_OF[generic5g.dk]}" 'BEGIN {
    printf "generic, %sx events vs 1x (same accounts and days): input %.2fx, rows %.2fx, (account, hour) windows %.3fx; ", s, d5 / d1, r5 / r1, (w1 > 0 ? w5 / w1 : 0)
    printf "peak RSS exfilwatch %.2fx (%.0f -> %.0f MiB), DuckDB %.2fx (%.0f -> %.0f MiB)\n", e5 / e1, e1 / 1024, e5 / 1024, k5 / k1, k1 / 1024, k5 / 1024 }'
fi
echo
echo "Rows read (exfilwatch's summary) and DuckDB's cross-check:"
echo
cat "$NOTES"
