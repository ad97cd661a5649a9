//! The generic format: exfilwatch's own documented schema (FORMATS.md, section 1).
//!
//! CSV with a header row, or JSON Lines (one object per line); either may be gzip-compressed.
//!
//! | column      | meaning                                                     | required |
//! |-------------|-------------------------------------------------------------|----------|
//! | `timestamp` | RFC 3339 / ISO 8601 with `Z` or an offset; no zone = UTC    | yes      |
//! | `account`   | the actor                                                   | yes      |
//! | `action`    | free text: `query`, `report_export`, `bulk_export`, ...     | no       |
//! | `object`    | what was read: table, object type, bucket, file             | no       |
//! | `records`   | rows/records returned, a whole number, may be empty         | no       |
//! | `bytes`     | bytes returned, a whole number, may be empty                | no       |
//! | `src_ip`    | client address                                              | no       |
//! | `client`    | user agent or application name                              | no       |
//!
//! Header names match case-insensitively. Users whose exports name columns differently map them
//! with `--map FIELD=COLUMN` (e.g. `--map account=user_email`); in JSON Lines a column may be a
//! dotted path into nested objects (`--map account=actor.email`).

use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::parse_timestamp;
use crate::ingest::RowSink;
use std::borrow::Cow;
use std::io::Read;

/// The name of this format in reports and alerts.
pub const SOURCE: &str = "generic";

/// A canonical field of the generic format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Timestamp,
    Account,
    Action,
    Object,
    Records,
    Bytes,
    SrcIp,
    Client,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Timestamp,
        Field::Account,
        Field::Action,
        Field::Object,
        Field::Records,
        Field::Bytes,
        Field::SrcIp,
        Field::Client,
    ];

    /// The field's name, which is also its default column name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Timestamp => "timestamp",
            Field::Account => "account",
            Field::Action => "action",
            Field::Object => "object",
            Field::Records => "records",
            Field::Bytes => "bytes",
            Field::SrcIp => "src_ip",
            Field::Client => "client",
        }
    }

    fn required(self) -> bool {
        matches!(self, Field::Timestamp | Field::Account)
    }

    fn from_name(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Which input column each canonical field is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    columns: [String; 8],
}

impl Default for ColumnMap {
    fn default() -> Self {
        ColumnMap {
            columns: Field::ALL.map(|f| f.name().to_owned()),
        }
    }
}

impl ColumnMap {
    /// Builds a map from `FIELD=COLUMN` assignments; unassigned fields keep their own name.
    pub fn from_assignments<S: AsRef<str>>(assignments: &[S]) -> Result<ColumnMap, String> {
        let mut map = ColumnMap::default();
        for a in assignments {
            let a = a.as_ref();
            let (field, column) = a.split_once('=').ok_or_else(|| {
                format!("--map {a:?}: expected FIELD=COLUMN, e.g. account=user_email")
            })?;
            let f = Field::from_name(field.trim()).ok_or_else(|| {
                let names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "--map {a:?}: unknown field {field:?}; fields are {}",
                    names.join(", ")
                )
            })?;
            let column = column.trim();
            if column.is_empty() {
                return Err(format!("--map {a:?}: empty column name"));
            }
            map.columns[f as usize] = column.to_owned();
        }
        Ok(map)
    }

    pub fn column(&self, f: Field) -> &str {
        &self.columns[f as usize]
    }
}

/// Why one row could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub reason: RejectReason,
    pub field: Option<&'static str>,
    pub detail: String,
}

impl RowError {
    pub fn new(
        reason: RejectReason,
        field: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        RowError {
            reason,
            field,
            detail: detail.into(),
        }
    }
}

/// Builds an event from the looked-up values of the canonical fields (indexed by [`Field`]).
fn to_event<'a>(v: &'a [Option<Cow<'a, str>>; 8]) -> Result<RawEvent<'a>, RowError> {
    let text = |f: Field| v[f as usize].as_deref().map(str::trim).unwrap_or("");
    let ts = text(Field::Timestamp);
    if ts.is_empty() {
        return Err(RowError::new(
            RejectReason::MissingTimestamp,
            Some("timestamp"),
            "empty",
        ));
    }
    let time_ms = parse_timestamp(ts).map_err(|e| {
        RowError::new(
            RejectReason::BadTimestamp,
            Some("timestamp"),
            format!("{e}: {:?}", excerpt(ts)),
        )
    })?;
    let account = text(Field::Account);
    if account.is_empty() {
        return Err(RowError::new(
            RejectReason::MissingAccount,
            Some("account"),
            "empty",
        ));
    }
    let records = parse_count(text(Field::Records))
        .map_err(|e| RowError::new(RejectReason::BadRecords, Some("records"), e))?;
    let bytes = parse_count(text(Field::Bytes))
        .map_err(|e| RowError::new(RejectReason::BadBytes, Some("bytes"), e))?;
    Ok(RawEvent {
        time_ms,
        account,
        action: text(Field::Action),
        object: text(Field::Object),
        records,
        bytes,
        src_ip: text(Field::SrcIp),
        client: text(Field::Client),
    })
}

/// Parses a count of records or bytes: empty is "not given"; a whole number, possibly written
/// as a float with no fractional part (`89.0`, as some pipelines emit), is accepted; anything
/// else (negative, fractional, text) is an error.
pub fn parse_count(s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = s.parse::<i64>() {
        return if n >= 0 {
            Ok(Some(n))
        } else {
            Err(format!("negative: {s:?}"))
        };
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 9.0e18 => Ok(Some(f as i64)),
        Ok(_) => Err(format!("not a non-negative whole number: {:?}", excerpt(s))),
        Err(_) => Err(format!("not a number: {:?}", excerpt(s))),
    }
}

/// Reads a generic CSV file. Returns `Err` (the file is skipped) only when the header lacks a
/// required column; a bad row is rejected and reading goes on.
pub fn read_csv(input: impl Read, map: &ColumnMap, sink: &mut RowSink<'_>) -> Result<(), String> {
    let tracker = std::rc::Rc::new(std::cell::Cell::new(StreamEnd::default()));
    let input = EndTracking {
        inner: input,
        end: tracker.clone(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut rec) {
        Ok(true) => rec.clone(),
        Ok(false) => return Ok(()),
        Err(e) => return Err(format!("cannot read the header: {e}")),
    };
    let idx = resolve_header(&header, map)?;
    let width = header.len();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                // A CSV-level error in one row: the csv reader resumes at the next record.
                let line = e.position().map_or(0, |p| p.line());
                if let csv::ErrorKind::Io(io) = e.kind() {
                    sink.stop_early(format!("read error after line {line}: {io}"));
                    return Ok(());
                }
                sink.reject(
                    line,
                    RowError::new(RejectReason::Malformed, None, e.to_string()),
                );
                continue;
            }
        }
        let line = start_line(&rdr, &rec, tracker.get());
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // a blank line is not a row
        }
        if rec.len() != width {
            let detail = format!(
                "expected {width} fields as in the header, found {}",
                rec.len()
            );
            sink.reject(line, RowError::new(RejectReason::Malformed, None, detail));
            continue;
        }
        let mut vals: [Option<Cow<'_, str>>; 8] = Default::default();
        let mut bad_utf8 = None;
        for f in Field::ALL {
            if let Some(i) = idx[f as usize] {
                match std::str::from_utf8(&rec[i]) {
                    Ok(s) => vals[f as usize] = Some(Cow::Borrowed(s)),
                    Err(_) => bad_utf8 = Some(f.name()),
                }
            }
        }
        if let Some(field) = bad_utf8 {
            sink.reject(
                line,
                RowError::new(RejectReason::InvalidUtf8, Some(field), "not UTF-8"),
            );
            continue;
        }
        match to_event(&vals) {
            Ok(e) => sink.used(&e),
            Err(err) => sink.reject(line, err),
        }
    }
}

/// What has been seen of the end of a byte stream: its length so far, its last byte, and
/// whether it has ended.
#[derive(Debug, Clone, Copy, Default)]
struct StreamEnd {
    bytes: u64,
    last: u8,
    eof: bool,
}

/// A reader that records [`StreamEnd`] for the line arithmetic of [`start_line`].
struct EndTracking<R> {
    inner: R,
    end: std::rc::Rc<std::cell::Cell<StreamEnd>>,
}

impl<R: Read> Read for EndTracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut e = self.end.get();
        if n == 0 {
            e.eof = !buf.is_empty();
        } else {
            e.bytes += n as u64;
            e.last = buf[n - 1];
        }
        self.end.set(e);
        Ok(n)
    }
}

/// The 1-based line on which the record just read starts.
///
/// The csv reader's own record position points *before* any blank lines it skipped, so it is
/// wrong after a blank line. The line count after the record is right, so count back from it:
/// minus the newlines inside quoted fields, minus the record's own terminator (absent only for a
/// last line with no newline at the end of the stream).
fn start_line<R: Read>(rdr: &csv::Reader<R>, rec: &csv::ByteRecord, end: StreamEnd) -> u64 {
    let after = rdr.position();
    let inner_newlines = rec.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
    let unterminated = end.eof && after.byte() == end.bytes && end.last != b'\n';
    after
        .line()
        .saturating_sub(inner_newlines + u64::from(!unterminated))
        .max(1)
}

/// Finds the column of each canonical field in a CSV header.
fn resolve_header(header: &csv::ByteRecord, map: &ColumnMap) -> Result<[Option<usize>; 8], String> {
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                &h
            };
            h.trim().to_ascii_lowercase()
        })
        .collect();
    let mut idx = [None; 8];
    for f in Field::ALL {
        let want = map.column(f).to_ascii_lowercase();
        idx[f as usize] = names.iter().position(|n| *n == want);
        if idx[f as usize].is_none() && f.required() {
            return Err(format!(
                "no column {:?} for the {} field in the header (map one with --map {}=COLUMN)",
                map.column(f),
                f.name(),
                f.name()
            ));
        }
    }
    Ok(idx)
}

/// Reads a generic JSON Lines file: one JSON object per line; blank lines are skipped.
pub fn read_jsonl(input: impl Read, map: &ColumnMap, sink: &mut RowSink<'_>) -> Result<(), String> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        match std::io::BufRead::read_until(&mut reader, b'\n', &mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => line += 1,
            Err(e) => {
                sink.stop_early(format!("read error after line {line}: {e}"));
                return Ok(());
            }
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(_) => {
                sink.reject(
                    line,
                    RowError::new(RejectReason::InvalidUtf8, None, "line is not UTF-8"),
                );
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let detail = format!("invalid JSON: {e}");
                sink.reject(line, RowError::new(RejectReason::Malformed, None, detail));
                continue;
            }
        };
        if !value.is_object() {
            sink.reject(
                line,
                RowError::new(RejectReason::Malformed, None, "not a JSON object"),
            );
            continue;
        }
        let vals: [Option<Cow<'_, str>>; 8] = Field::ALL.map(|f| json_text(&value, map.column(f)));
        match to_event(&vals) {
            Ok(e) => sink.used(&e),
            Err(err) => sink.reject(line, err),
        }
    }
}

/// Looks up `key` in a JSON object (directly, else as a dotted path) as text.
pub fn json_text<'a>(obj: &'a serde_json::Value, key: &str) -> Option<Cow<'a, str>> {
    let v = match obj.get(key) {
        Some(v) => v,
        None if key.contains('.') => key.split('.').try_fold(obj, |o, k| o.get(k))?,
        None => return None,
    };
    match v {
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
        serde_json::Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        serde_json::Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::EventTable;
    use crate::ingest::report::FileReport;

    fn run(
        data: &str,
        map: &ColumnMap,
        jsonl: bool,
    ) -> (
        EventTable,
        FileReport,
        Vec<crate::ingest::report::Reject>,
        Result<(), String>,
    ) {
        let mut table = EventTable::default();
        let mut report = FileReport::default();
        let mut rejects = Vec::new();
        let res = {
            let mut sink = RowSink::new(&mut table, &mut report, &mut rejects, "t.csv", SOURCE);
            if jsonl {
                read_jsonl(data.as_bytes(), map, &mut sink)
            } else {
                read_csv(data.as_bytes(), map, &mut sink)
            }
        };
        (table, report, rejects, res)
    }

    #[test]
    fn csv_rows_map_to_canonical_fields() {
        let data = "timestamp,account,action,object,records,bytes,src_ip,client\n\
                    2025-01-23T02:14:07Z,maria,export,Contact,1500,2250000,185.220.101.47,python-requests/2.31.0\n";
        let (t, rep, rej, res) = run(data, &ColumnMap::default(), false);
        assert!(res.is_ok());
        assert!(rej.is_empty());
        assert_eq!((rep.rows_read, rep.rows_used), (1, 1));
        assert_eq!(t.account_name(t.account[0]), "maria");
        assert_eq!(t.records[0], Some(1500));
        assert_eq!(t.bytes[0], Some(2_250_000));
        assert_eq!(t.ips.get(t.src_ip[0]), "185.220.101.47");
        assert_eq!(t.clients.get(t.client[0]), "python-requests/2.31.0");
        assert_eq!(t.objects.get(t.object[0]), "Contact");
        assert_eq!(t.actions.get(t.action[0]), "export");
        assert_eq!(t.time[0], parse_timestamp("2025-01-23T02:14:07Z").unwrap());
    }

    #[test]
    fn mapped_columns_any_order_and_case() {
        let data = "\u{feff}User_Email,When,Rows\nbob@x,2025-01-01T00:00:00Z,7\n";
        let map =
            ColumnMap::from_assignments(&["account=user_email", "timestamp=when", "records=rows"])
                .unwrap();
        let (t, rep, _, res) = run(data, &map, false);
        assert!(res.is_ok(), "{res:?}");
        assert_eq!(rep.rows_used, 1);
        assert_eq!(t.account_name(t.account[0]), "bob@x");
        assert_eq!(t.records[0], Some(7));
        assert_eq!(t.bytes[0], None, "absent column gives no value");
    }

    #[test]
    fn missing_required_column_skips_the_file() {
        let (_, _, _, res) = run("time,user\n1,2\n", &ColumnMap::default(), false);
        let err = res.unwrap_err();
        assert!(
            err.contains("\"timestamp\"") && err.contains("--map timestamp="),
            "{err}"
        );
    }

    #[test]
    fn bad_rows_are_counted_with_line_and_reason() {
        let data = "timestamp,account,records\n\
                    2025-01-01T00:00:00Z,a,1\n\
                    not-a-date,a,1\n\
                    2025-01-01T00:00:00Z,,1\n\
                    2025-01-01T00:00:00Z,a,lots\n\
                    2025-01-01T00:00:00Z,a\n\
                    \n\
                    2025-01-01T00:00:00Z,a,-3\n\
                    2025-01-01T01:00:00Z,b,\n";
        let (t, rep, rej, res) = run(data, &ColumnMap::default(), false);
        assert!(res.is_ok());
        assert_eq!(rep.rows_read, 7, "the blank line is not a row");
        assert_eq!(rep.rows_used, 2);
        assert_eq!(rep.rows_rejected(), 5);
        assert_eq!(t.len(), 2);
        let got: Vec<(u64, RejectReason, Option<&str>)> =
            rej.iter().map(|r| (r.line, r.reason, r.field)).collect();
        assert_eq!(
            got,
            vec![
                (3, RejectReason::BadTimestamp, Some("timestamp")),
                (4, RejectReason::MissingAccount, Some("account")),
                (5, RejectReason::BadRecords, Some("records")),
                (6, RejectReason::Malformed, None),
                (8, RejectReason::BadRecords, Some("records")),
            ]
        );
        assert!(rej.iter().all(|r| r.file == "t.csv"));
    }

    #[test]
    fn line_numbers_survive_quoted_newlines_and_a_missing_final_newline() {
        let data = "timestamp,account,object\n\
                    2025-01-01T00:00:00Z,a,\"two\nlines\"\n\
                    \n\
                    bad,a,x\n\
                    2025-01-01T00:00:00Z,,x";
        let (_, rep, rej, _) = run(data, &ColumnMap::default(), false);
        assert_eq!((rep.rows_read, rep.rows_used), (3, 1));
        let lines: Vec<u64> = rej.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![5, 6]);
    }

    #[test]
    fn jsonl_rows_nested_paths_and_numbers() {
        let data = "{\"timestamp\":\"2025-01-01T00:00:00+01:00\",\"actor\":{\"email\":\"c@x\"},\"records\":12,\"bytes\":\"89.0\"}\n\
                    \n\
                    {broken\n\
                    [1,2]\n\
                    {\"timestamp\":\"2025-01-01T00:00:00Z\",\"actor\":{\"email\":\"d@x\"},\"records\":1.5}\n";
        let map = ColumnMap::from_assignments(&["account=actor.email"]).unwrap();
        let (t, rep, rej, _) = run(data, &map, true);
        assert_eq!(
            (rep.rows_read, rep.rows_used, rep.rows_rejected()),
            (4, 1, 3)
        );
        assert_eq!(t.account_name(t.account[0]), "c@x");
        assert_eq!(t.records[0], Some(12));
        assert_eq!(t.bytes[0], Some(89));
        assert_eq!(t.time[0], parse_timestamp("2024-12-31T23:00:00Z").unwrap());
        assert_eq!(rej[0].line, 3);
        assert_eq!(rej[2].reason, RejectReason::BadRecords);
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count(""), Ok(None));
        assert_eq!(parse_count(" 42 "), Ok(Some(42)));
        assert_eq!(parse_count("89.0"), Ok(Some(89)));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-1").is_err());
        assert!(parse_count("NaN").is_err());
        assert!(parse_count("1e30").is_err());
        assert!(parse_count("ten").is_err());
    }

    #[test]
    fn map_assignment_errors() {
        assert!(ColumnMap::from_assignments(&["acount=x"])
            .unwrap_err()
            .contains("unknown field"));
        assert!(ColumnMap::from_assignments(&["account"]).is_err());
        assert!(ColumnMap::from_assignments(&["account="]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_jsonl_never_panics_and_reconciles(lines in proptest::collection::vec("[{}\\[\\]\"a-z0-9:,.\\- TZ]{0,60}", 0..12)) {
            let mut text = String::new();
            for l in &lines {
                text.push_str(l);
                text.push('\n');
            }
            text.push_str("{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\",\"records\":3}\n");
            let (t, rep, rej, _) = run(&text, &ColumnMap::default(), true);
            proptest::prop_assert_eq!(rep.rows_read, rep.rows_used + rep.rows_rejected());
            proptest::prop_assert_eq!(t.len() as u64, rep.rows_used);
            proptest::prop_assert_eq!(rej.len() as u64, rep.rows_rejected());
            proptest::prop_assert!(rep.rows_used >= 1, "the good last line is used");
        }

        #[test]
        fn arbitrary_csv_never_panics_and_reconciles(data in "[a-z0-9,:\"\\-TZ\\n ]{0,300}") {
            let text = format!("timestamp,account,records\n{data}");
            let (t, rep, rej, _) = run(&text, &ColumnMap::default(), false);
            proptest::prop_assert_eq!(rep.rows_read, rep.rows_used + rep.rows_rejected());
            proptest::prop_assert_eq!(t.len() as u64, rep.rows_used);
            proptest::prop_assert_eq!(rej.len() as u64, rep.rows_rejected());
        }
    }
}
