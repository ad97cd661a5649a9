"""DuckDB side of benches/e2e.sh: ONLY the hourly per-account aggregation that exfilwatch's
windows start from, materialised with CREATE TABLE ... AS, on 2 threads:

    per (account, hour): events, sum of records, sum of bytes, count of distinct objects

    python3 benches/e2e_duckdb.py generic    FILE.csv
    python3 benches/e2e_duckdb.py salesforce DIR          # every *.csv under DIR (daily ELFs)
    python3 benches/e2e_duckdb.py cloudtrail DIR MAXOBJ   # every *.json.gz under DIR

Columns follow what exfilwatch itself reads (src/formats/{generic,salesforce,cloudtrail}.rs).
Where DuckDB does less or something slightly different, a comment says so. After the table is
built, one summary line goes to stderr (windows, events, records, bytes; a few ms on a table of
at most a few million rows), which benches/e2e.sh prints as a cross-check.
"""

import sys

import duckdb

GENERIC = """
CREATE TABLE hourly AS
SELECT account, date_trunc('hour', "timestamp") AS hour,
       count(*) AS events, sum(records) AS records, sum(bytes) AS bytes,
       count(DISTINCT object) AS objects
FROM read_csv($path, header = true, columns = {
    'timestamp': 'TIMESTAMPTZ', 'account': 'VARCHAR', 'action': 'VARCHAR',
    'object': 'VARCHAR', 'records': 'BIGINT', 'bytes': 'BIGINT',
    'src_ip': 'VARCHAR', 'client': 'VARCHAR'})
GROUP BY ALL
"""

# Salesforce Event Log Files: a folder of daily files of different event types (here API and
# Login) with different columns, read as one table by column name (union_by_name; a column a
# file lacks is NULL). As in exfilwatch: time TIMESTAMP_DERIVED, else TIMESTAMP
# (yyyyMMddHHmmss.SSS, UTC); account USER_ID_DERIVED, else USER_ID, cut to the 15-character id;
# records ROWS_PROCESSED, bytes RESPONSE_SIZE, object ENTITY_NAME (API rows). Login rows count
# as events with no volume or object (exfilwatch keeps them as context events). Not done here:
# the BulkApi/BulkApi2/Report volume rules (once per batch or job, ROW_COUNT x AVERAGE_ROW_SIZE)
# and REST status >= 400 as context: the generated folders hold only API and Login files.
SALESFORCE = """
CREATE TABLE hourly AS
SELECT left(coalesce(USER_ID_DERIVED, USER_ID), 15) AS account,
       date_trunc('hour', coalesce(TIMESTAMP_DERIVED,
                                   strptime("TIMESTAMP", '%Y%m%d%H%M%S.%g')::TIMESTAMPTZ)) AS hour,
       count(*) AS events, sum(ROWS_PROCESSED) AS records, sum(RESPONSE_SIZE) AS bytes,
       count(DISTINCT ENTITY_NAME) AS objects
FROM read_csv($path, header = true, union_by_name = true,
              types = {'TIMESTAMP': 'VARCHAR', 'TIMESTAMP_DERIVED': 'TIMESTAMPTZ',
                       'USER_ID': 'VARCHAR', 'USER_ID_DERIVED': 'VARCHAR',
                       'ROWS_PROCESSED': 'BIGINT', 'RESPONSE_SIZE': 'BIGINT',
                       'ENTITY_NAME': 'VARCHAR'})
GROUP BY ALL
"""

# CloudTrail delivery files: one {"Records": [...]} document per gzipped file, unnested. Only the
# fields used are declared, so DuckDB extracts just those. As in exfilwatch: time eventTime;
# account userIdentity.arn, else principalId, invokedBy, accountId; records 1 and bytes
# additionalEventData.bytesTransferredOut for each successful S3 GetObject (no errorCode); object
# bucketName/key. Differences: exfilwatch counts a GetObject's volume once per eventID (the
# generated files have no duplicates, so the sums agree) and also accepts @timestamp and float
# byte counts (not needed here). maximum_object_size must hold the largest file's document: the
# caller passes the largest uncompressed file size (rounded up), since DuckDB sizes its read
# buffers from it.
CLOUDTRAIL = """
CREATE TABLE hourly AS
WITH r AS (
  SELECT unnest(Records, recursive := true)
  FROM read_json($path, format = 'auto', maximum_object_size = $maxobj, columns = {
      'Records': 'STRUCT(eventTime TIMESTAMPTZ, eventSource VARCHAR, eventName VARCHAR,
                         errorCode VARCHAR,
                         userIdentity STRUCT(arn VARCHAR, principalId VARCHAR,
                                             invokedBy VARCHAR, accountId VARCHAR),
                         requestParameters STRUCT(bucketName VARCHAR, "key" VARCHAR),
                         additionalEventData STRUCT(bytesTransferredOut BIGINT))[]'})
)
SELECT coalesce(arn, principalId, invokedBy, accountId) AS account,
       date_trunc('hour', eventTime) AS hour,
       count(*) AS events,
       count(*) FILTER (WHERE eventName = 'GetObject' AND eventSource = 's3.amazonaws.com'
                        AND coalesce(errorCode, '') = '') AS records,
       sum(bytesTransferredOut) FILTER (WHERE eventName = 'GetObject'
                        AND eventSource = 's3.amazonaws.com'
                        AND coalesce(errorCode, '') = '') AS bytes,
       count(DISTINCT nullif(concat_ws('/', bucketName, "key"), '')) AS objects
FROM r
GROUP BY ALL
"""


def main() -> int:
    kind, path = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    if kind == "generic":
        con.execute(GENERIC, {"path": path})
    elif kind == "salesforce":
        con.execute(SALESFORCE, {"path": f"{path}/**/*.csv"})
    elif kind == "cloudtrail":
        con.execute(CLOUDTRAIL, {"path": f"{path}/**/*.json.gz", "maxobj": int(sys.argv[3])})
    else:
        print(f"unknown kind {kind}", file=sys.stderr)
        return 2
    w, e, r, b, a = con.execute(
        "SELECT count(*), sum(events), sum(records), sum(bytes), count(DISTINCT account) FROM hourly"
    ).fetchone()
    print(f"duckdb: {w} (account, hour) windows, {a} accounts, {e} events, {r} records, {b} bytes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
