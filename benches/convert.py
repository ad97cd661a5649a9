#!/usr/bin/env python3
"""Rewrites a generic exfilwatch CSV in a vendor's export format, for the per-format benchmark
(benches/formats.sh). Python 3.11, stdlib only, deterministic (the same input gives the same
bytes), streaming (memory does not grow with the number of rows; rtem keeps one id per account).

Input: the generic CSV, `timestamp,account,action,object,records,bytes,src_ip,client` (header
names matched case-insensitively; only timestamp and account are required), plain or gzipped
(recognised from the content), or `-` for standard input.

    python3 benches/convert.py --to m365-purview --in sample-logs/contact-centre-2025-01.csv.gz --out /tmp/purview.csv
    python3 benches/convert.py --to m365-api     --in big.csv --out /tmp/m365-api/     # a directory
    python3 benches/convert.py --to snowflake    --in big.csv --out /tmp/query_history.csv
    python3 benches/convert.py --to gdrive       --in big.csv --out /tmp/gdrive/       # a directory
    python3 benches/convert.py --to rtem         --in big.csv --out /tmp/ApiEvent.csv

What each generic event becomes:

  m365-purview  Purview audit search CSV export (CRLF line ends), header
                RecordId,CreationDate,RecordType,Operation,UserId,AuditData. One FileDownloaded
                row per record, AT MOST 50 ROWS PER EVENT (so the record total is capped; the
                summary says by how much). Every row has its own Id (exfilwatch counts an Id once).
                CreationDate is the event's second (2025-01-23T02:05:35.0000000Z); AuditData is the
                record as JSON. The rows of one event share its ObjectId, a SharePoint URL built
                from the generic `object`, so distinct-object counts stay those of the input.
  m365-api      The same records as Management Activity API JSON: one array per file, 10,000
                records per file (--per-file), files m365-api-NNNNNN.json in the --out directory.
                CreationTime has no zone, as the API writes it.
  snowflake     ACCOUNT_USAGE.QUERY_HISTORY CSV, one SELECT per event: USER_NAME is the local
                part of the account upper-cased, ROWS_PRODUCED = records,
                BYTES_WRITTEN_TO_RESULT = bytes, QUERY_TEXT SELECT * FROM CRM.PUBLIC.<OBJECT>.
  gdrive        Admin SDK Reports API documents {"kind":"admin#reports#activities","items":[...]},
                10,000 activities per file (--per-file), files drive-activities-NNNNNN.json. One
                activity per event with min(records, 20) `download` events of one document (the
                generic `object`). Drive logs no user agent; a client that is not a browser
                (not Mozilla/...) is kept as actor.applicationInfo.applicationName, as Drive
                names API clients.
  rtem          Salesforce Real-Time Event Monitoring ApiEvent CSV, every field quoted; UserId an
                18-character id stable per account; RowsReturned = RowsProcessed = records.

An event with no records (empty or 0) still becomes one row/activity, but as something that
carries no volume: a FilePreviewed record (m365), a `view` event (gdrive). Input rows that
cannot be converted (wrong number of fields, bad timestamp, empty account) are skipped and
counted. Rows written and bytes written go to stderr.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import gzip
import hashlib
import io
import json
import os
import re
import sys
import time

FORMATS = ("m365-purview", "m365-api", "snowflake", "gdrive", "rtem")
M365_MAX_ROWS = 50  # rows (records) per generic event in the M365 formats
GDRIVE_MAX_EVENTS = 20  # download events per activity
PER_FILE = 10_000  # records (m365-api) / activities (gdrive) per output file
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UTC = dt.timezone.utc
ID_MARK = "\x00id\x00"  # stands for a record's Id in an M365 CSV row template
csv.field_size_limit(1 << 24)


# --- input ---------------------------------------------------------------------------------------


def open_input(path: str):
    """A text stream of the generic CSV, gunzipped if the content is gzip."""
    buf = sys.stdin.buffer if path == "-" else open(path, "rb", buffering=1 << 20)
    if buf.peek(2)[:2] == b"\x1f\x8b":
        buf = gzip.GzipFile(fileobj=buf, mode="rb")
    return io.TextIOWrapper(buf, encoding="utf-8", errors="replace", newline="")


class Ts:
    """An event time in UTC as the pieces the formats need."""

    __slots__ = ("date", "clock", "ms")

    def __init__(self, date: str, clock: str, ms: str):
        self.date = date  # 2025-01-23
        self.clock = clock  # 02:05:35
        self.ms = ms  # 357

    def datetime(self) -> dt.datetime:
        return dt.datetime.fromisoformat(f"{self.date}T{self.clock}.{self.ms}+00:00")


def parse_ts(s: str) -> Ts | None:
    """RFC 3339 / ISO 8601 (no zone = UTC) to UTC pieces; None if it cannot be read."""
    s = s.strip()
    # Fast path: the generator's own layout, 2025-01-23T02:05:35.357Z.
    if len(s) == 24 and s[10] == "T" and s[19] == "." and s[23] == "Z" and s[20:23].isdigit():
        return Ts(s[:10], s[11:19], s[20:23])
    try:
        d = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    d = d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)
    return Ts(f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
              f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}", f"{d.microsecond // 1000:03d}")


def fmt_dt(d: dt.datetime) -> Ts:
    return Ts(f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
              f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}", f"{d.microsecond // 1000:03d}")


def count(s: str) -> int | None:
    s = s.strip()
    return int(s) if s.isdigit() else None


# --- stable derived values -----------------------------------------------------------------------


def hexhash(text: str, n: int = 8) -> str:
    return hashlib.blake2b(text.encode(), digest_size=n).hexdigest()


def hash_token(text: str, n: int, alphabet: str = B62) -> str:
    v = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=24).digest(), "big")
    out = []
    for _ in range(n):
        v, i = divmod(v, len(alphabet))
        out.append(alphabet[i])
    return "".join(out)


def uuid_like(kind: str, n: int, subs: int = 1) -> list[str]:
    """`subs` UUID-shaped ids for input row n, unique per (n, sub) (n < 2**48, sub < 4096) and
    stable across runs."""
    h = hexhash(f"{kind}:{n}")
    return [f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{j:03x}-{n:012x}" for j in range(subs)]


@functools.lru_cache(maxsize=1 << 16)
def tenant_of(account: str) -> str:
    """SharePoint tenant name from the account's domain: northwind-air.example -> northwindair."""
    domain = account.rpartition("@")[2] if "@" in account else ""
    name = re.sub(r"[^a-z0-9]", "", domain.split(".")[0].lower())
    return name or "contoso"


@functools.lru_cache(maxsize=1 << 16)
def json_str(s: str) -> str:
    return json.dumps(s)


# Snowflake's reserved keywords: a table so named must be quoted (CASE, ACCOUNT, ...).
SQL_RESERVED = frozenset("""
    ACCOUNT ALL ALTER AND ANY AS BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT
    CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE
    DISTINCT DROP ELSE EXISTS FALSE FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN
    INCREMENT INNER INSERT INTERSECT INTO IS ISSUE JOIN LATERAL LEFT LIKE LOCALTIME LOCALTIMESTAMP
    MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY REGEXP REVOKE RIGHT RLIKE ROW ROWS
    SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER TRUE TRY_CAST UNION
    UNIQUE UPDATE USING VALUES VIEW WHEN WHENEVER WHERE WITH""".split())


@functools.lru_cache(maxsize=1 << 16)
def sql_ident(obj: str) -> str:
    """A Snowflake identifier for a table name: plain names upper-cased (Case -> CASE), quoted
    when reserved ("CASE") or not a plain name ("My table")."""
    if not obj:
        return "DATA"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", obj):
        up = obj.upper()
        return f'"{up}"' if up in SQL_RESERVED else up
    return '"' + obj.replace('"', '""') + '"'


@functools.lru_cache(maxsize=1 << 16)
def profile_id(account: str) -> str:
    return str(100000000000000000000 + int(hexhash(f"profile:{account}"), 16) % 10**20)


@functools.lru_cache(maxsize=1 << 16)
def doc_id(obj: str) -> str:
    return "1" + hash_token(f"doc:{obj}", 32, B62 + "-_")


def sf_id18(id15: str) -> str:
    """The 18-character form of a Salesforce id: the 15 plus Salesforce's case checksum."""
    suffix = ""
    for i in range(3):
        flags = sum(1 << j for j, c in enumerate(id15[5 * i:5 * i + 5]) if "A" <= c <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags]
    return id15 + suffix


class SfIds:
    """0055j + 13 characters per account: 10 from a hash of the name, then the case checksum.
    exfilwatch keys accounts by the first 15, so those are kept distinct (on a clash the next
    hash of the name is tried; the mapping is held for every account seen)."""

    def __init__(self):
        self.ids: dict[str, str] = {}
        self.taken: set[str] = set()

    def get(self, account: str) -> str:
        uid = self.ids.get(account)
        if uid is None:
            k = 0
            while True:
                id15 = "0055j" + hash_token(f"sf-user:{account}:{k}", 10)
                if id15 not in self.taken:
                    break
                k += 1
            self.taken.add(id15)
            uid = self.ids[account] = sf_id18(id15)
        return uid


# --- writers -------------------------------------------------------------------------------------


class Sharded:
    """Numbered output files in a directory, `per_file` items each, each wrapped in head/tail."""

    def __init__(self, out: str, prefix: str, head: str, sep: str, tail: str, per_file: int):
        os.makedirs(out, exist_ok=True)
        pat = re.compile(rf"^{re.escape(prefix)}-\d{{6}}\.json$")
        for f in os.listdir(out):  # stale files of an earlier, larger run
            if pat.match(f):
                os.remove(os.path.join(out, f))
        self.out, self.prefix, self.head, self.sep, self.tail = out, prefix, head, sep, tail
        self.per_file = per_file
        self.f = None
        self.n_in_file = 0
        self.paths: list[str] = []

    def add(self, item: str) -> None:
        if self.f is None or self.n_in_file == self.per_file:
            self._next()
            self.f.write(item)
        else:
            self.f.write(self.sep)
            self.f.write(item)
        self.n_in_file += 1

    def _next(self) -> None:
        self._close()
        path = os.path.join(self.out, f"{self.prefix}-{len(self.paths) + 1:06d}.json")
        self.paths.append(path)
        self.f = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.f.write(self.head)
        self.n_in_file = 0

    def _close(self) -> None:
        if self.f is not None:
            self.f.write(self.tail)
            self.f.close()
            self.f = None

    def close(self) -> list[str]:
        self._close()
        return self.paths


class Writer:
    """Base: `event(...)` per generic event, `close()` -> output paths. Counts rows written."""

    def __init__(self):
        self.rows = 0  # rows / records / activities written
        self.notes: list[str] = []


class M365Base(Writer):
    """The AuditData records shared by m365-purview and m365-api."""

    def __init__(self):
        super().__init__()
        self.capped_events = 0
        self.records_in = 0
        self.records_out = 0
        self.no_volume = 0

    def records(self, n, ts, account, obj, records, ip, client):
        """Yields (Operation, Id, AuditData JSON) for each output row of the event."""
        k = min(records, M365_MAX_ROWS) if records else 0
        self.records_in += records or 0
        self.records_out += k
        if records and records > M365_MAX_ROWS:
            self.capped_events += 1
        op = "FileDownloaded"
        if k == 0:
            self.no_volume += 1
            op, k = "FilePreviewed", 1
        url = (f"https://{tenant_of(account)}.sharepoint.com/sites/crm/Shared Documents/Exports/"
               f"{obj or 'export'}.csv")
        head = f'{{"CreationTime":"{ts.date}T{ts.clock}","Id":"'
        tail = (f'","Operation":"{op}","RecordType":6,"Workload":"SharePoint",'
                f'"UserId":{json_str(account)},"ClientIP":{json_str(ip)},'
                f'"ObjectId":{json_str(url)},"UserAgent":{json_str(client)}}}')
        for rid in uuid_like("m365", n, k):
            yield op, rid, head + rid + tail

    def summarize(self):
        self.notes.append(
            f"{self.records_out:,} of {self.records_in:,} input records written "
            f"(at most {M365_MAX_ROWS} rows per event; {self.capped_events:,} events capped)")
        if self.no_volume:
            self.notes.append(f"{self.no_volume:,} events without records written as FilePreviewed")


class M365Purview(M365Base):
    def __init__(self, out: str):
        super().__init__()
        self.path = out
        self.f = open(out, "w", encoding="utf-8", newline="", buffering=1 << 20)
        csv.writer(self.f, lineterminator="\r\n").writerow(
            ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData"])
        self.buf = io.StringIO()
        self.tw = csv.writer(self.buf, lineterminator="\r\n")

    def event(self, n, ts, account, action, obj, records, nbytes, ip, client):
        # The rows of one event differ only in their Id, which needs no quoting: the csv module
        # writes the event's row once with a marker for the Id, and each row fills it in.
        cdate = f"{ts.date}T{ts.clock}.0000000Z"
        buf, w, write = self.buf, self.tw, self.f.write
        template = None
        for op, rid, audit in self.records(n, ts, account, obj, records, ip, client):
            if template is None:
                buf.seek(0)
                buf.truncate()
                w.writerow((ID_MARK, cdate, "SharePointFileOperation", op, account,
                            audit.replace(rid, ID_MARK)))
                template = buf.getvalue().split(ID_MARK)
                assert len(template) == 3, template
                a, b, c = template
            write(f"{a}{rid}{b}{rid}{c}")
            self.rows += 1

    def close(self):
        self.f.close()
        self.summarize()
        return [self.path]


class M365Api(M365Base):
    def __init__(self, out: str, per_file: int):
        super().__init__()
        self.files = Sharded(out, "m365-api", "[\n", ",\n", "\n]\n", per_file)

    def event(self, n, ts, account, action, obj, records, nbytes, ip, client):
        add = self.files.add
        for _, _, audit in self.records(n, ts, account, obj, records, ip, client):
            add(audit)
            self.rows += 1

    def close(self):
        self.summarize()
        return self.files.close()


class Snowflake(Writer):
    HEADER = ["QUERY_ID", "QUERY_TEXT", "DATABASE_NAME", "SCHEMA_NAME", "QUERY_TYPE", "USER_NAME",
              "ROLE_NAME", "EXECUTION_STATUS", "ERROR_CODE", "START_TIME", "END_TIME",
              "ROWS_PRODUCED", "BYTES_WRITTEN_TO_RESULT", "ROWS_UNLOADED", "CLIENT_IP",
              "CLIENT_APPLICATION_ID"]

    def __init__(self, out: str):
        super().__init__()
        self.path = out
        self.f = open(out, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.w = csv.writer(self.f, lineterminator="\n")
        self.w.writerow(self.HEADER)

    def event(self, n, ts, account, action, obj, records, nbytes, ip, client):
        start = ts.datetime()
        # A run time that grows with the result: 40-440 ms plus 1 ms per 50 rows.
        run_ms = 40 + (n * 7919) % 400 + (records or 0) // 50
        end = fmt_dt(start + dt.timedelta(milliseconds=run_ms))
        qid = f"01bc{hexhash(f'sf-q:{n}', 2)}-0000-{(n >> 48) & 0xffff:04x}-0000-{n & 0xffffffffffff:012x}"
        self.w.writerow((
            qid, f"SELECT * FROM CRM.PUBLIC.{sql_ident(obj)}", "CRM", "PUBLIC", "SELECT",
            account.partition("@")[0].upper(), "CRM_READER", "SUCCESS", "",
            f"{ts.date} {ts.clock}.{ts.ms} +0000", f"{end.date} {end.clock}.{end.ms} +0000",
            "" if records is None else records, "" if nbytes is None else nbytes, "", ip, client))
        self.rows += 1

    def close(self):
        self.f.close()
        self.notes.append("objects read as CRM.PUBLIC (QUERY_HISTORY has no table column)")
        return [self.path]


class GDrive(Writer):
    def __init__(self, out: str, per_file: int):
        super().__init__()
        self.files = Sharded(out, "drive-activities", '{"kind":"admin#reports#activities","items":[\n',
                             ",\n", "\n]}\n", per_file)
        self.events = 0
        self.records_in = 0
        self.records_out = 0

    def event(self, n, ts, account, action, obj, records, nbytes, ip, client):
        k = min(records, GDRIVE_MAX_EVENTS) if records else 0
        self.records_in += records or 0
        self.records_out += k
        name = "download"
        if k == 0:
            name, k = "view", 1
        uq = int.from_bytes(hashlib.blake2b(f"gdrive:{n}".encode(), digest_size=8).digest(),
                            "big", signed=True)
        actor = f'{{"email":{json_str(account)},"profileId":"{profile_id(account)}"'
        if client and not client.startswith("Mozilla/"):
            actor += f',"applicationInfo":{{"applicationName":{json_str(client)}}}'
        ev = (f'{{"type":"access","name":"{name}","parameters":['
              f'{{"name":"doc_id","value":"{doc_id(obj)}"}},'
              f'{{"name":"doc_title","value":{json_str(obj)}}},'
              f'{{"name":"doc_type","value":"spreadsheet"}}]}}')
        self.files.add(
            f'{{"kind":"admin#reports#activity","id":{{"time":"{ts.date}T{ts.clock}.{ts.ms}Z",'
            f'"uniqueQualifier":"{uq}","applicationName":"drive","customerId":"C01abcd"}},'
            f'"actor":{actor}}},"ipAddress":{json_str(ip)},"events":[{",".join([ev] * k)}]}}')
        self.rows += 1
        self.events += k

    def close(self):
        self.notes.append(
            f"{self.events:,} Drive events (rows as exfilwatch counts them) in {self.rows:,} "
            f"activities; {self.records_out:,} of {self.records_in:,} input records written "
            f"(at most {GDRIVE_MAX_EVENTS} per activity)")
        return self.files.close()


class Rtem(Writer):
    HEADER = ["EventDate", "EventIdentifier", "UserId", "Username", "SourceIp", "Client",
              "Operation", "QueriedEntities", "RowsProcessed", "RowsReturned", "Query"]

    def __init__(self, out: str):
        super().__init__()
        self.path = out
        self.f = open(out, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.w = csv.writer(self.f, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.w.writerow(self.HEADER)
        self.ids = SfIds()

    def event(self, n, ts, account, action, obj, records, nbytes, ip, client):
        r = "" if records is None else records
        self.w.writerow((
            f"{ts.date}T{ts.clock}.{ts.ms}+0000", uuid_like("rtem", n)[0], self.ids.get(account),
            account, ip, client, "Query", obj, r, r, f"SELECT Id FROM {obj or 'Account'}"))
        self.rows += 1

    def close(self):
        self.f.close()
        return [self.path]


# --- main ----------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--to", required=True, choices=FORMATS)
    ap.add_argument("--in", dest="inp", required=True, help="generic CSV (.csv or gzipped), or -")
    ap.add_argument("--out", required=True,
                    help="output file (m365-purview, snowflake, rtem) or directory (m365-api, gdrive)")
    ap.add_argument("--per-file", type=int, default=PER_FILE,
                    help=f"records (m365-api) or activities (gdrive) per file [default {PER_FILE:,}]")
    a = ap.parse_args(argv)
    if a.per_file < 1:
        ap.error("--per-file must be at least 1")
    sharded = a.to in ("m365-api", "gdrive")
    if sharded:
        if os.path.exists(a.out) and not os.path.isdir(a.out):
            ap.error(f"--to {a.to} writes a directory; {a.out} is a file")
    else:
        if os.path.isdir(a.out):
            ap.error(f"--to {a.to} writes one file; {a.out} is a directory")
        parent = os.path.dirname(os.path.abspath(a.out))
        os.makedirs(parent, exist_ok=True)

    t0 = time.monotonic()
    try:
        src = open_input(a.inp)
    except OSError as e:
        print(f"convert.py: cannot open {a.inp}: {e}", file=sys.stderr)
        return 2
    rdr = csv.reader(src)
    header = next(rdr, None)
    if header is None:
        print(f"convert.py: {a.inp} is empty", file=sys.stderr)
        return 2
    cols = {h.strip().lstrip("\ufeff").lower(): i for i, h in enumerate(header)}
    if "timestamp" not in cols or "account" not in cols:
        print(f"convert.py: {a.inp}: the header lacks timestamp and account: {header}", file=sys.stderr)
        return 2
    names = ("timestamp", "account", "action", "object", "records", "bytes", "src_ip", "client")
    width = len(header)
    # A missing optional column reads as an empty field appended to each row.
    pad = any(n not in cols for n in names)
    idx = [cols.get(n, width) for n in names]

    w = {"m365-purview": lambda: M365Purview(a.out), "m365-api": lambda: M365Api(a.out, a.per_file),
         "snowflake": lambda: Snowflake(a.out), "gdrive": lambda: GDrive(a.out, a.per_file),
         "rtem": lambda: Rtem(a.out)}[a.to]()
    event = w.event
    n_in = skipped = 0
    i_ts, i_acct, i_act, i_obj, i_rec, i_bytes, i_ip, i_cl = idx
    for row in rdr:
        if not row or (len(row) == 1 and not row[0]):
            continue
        n_in += 1
        if len(row) != width:
            skipped += 1
            continue
        ts = parse_ts(row[i_ts])
        account = row[i_acct].strip()
        if ts is None or not account:
            skipped += 1
            continue
        if pad:
            row.append("")
        event(n_in, ts, account, row[i_act].strip(), row[i_obj].strip(), count(row[i_rec]),
              count(row[i_bytes]), row[i_ip].strip(), row[i_cl].strip())
    paths = w.close()
    size = sum(os.path.getsize(p) for p in paths)
    secs = time.monotonic() - t0
    what = "records" if a.to.startswith("m365") else ("activities" if a.to == "gdrive" else "rows")
    print(f"convert.py: {a.to}: {n_in:,} input rows -> {w.rows:,} {what}, {size:,} bytes "
          f"in {len(paths)} file(s) at {a.out} ({secs:.1f} s)", file=sys.stderr)
    for note in w.notes:
        print(f"  {note}", file=sys.stderr)
    if skipped:
        print(f"  {skipped:,} input rows skipped (wrong field count, bad timestamp or no account)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
