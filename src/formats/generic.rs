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

use super::common::{json_text, parse_count, read_csv_rows, read_json_lines, CsvHeader, RowError};
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

/// Reads a generic CSV file. Returns `Err` (the file is skipped) only when the header lacks a
/// required column; a bad row is rejected and reading goes on.
pub fn read_csv(input: impl Read, map: &ColumnMap, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_csv_rows(
        input,
        sink,
        |header| resolve_header(header, map),
        |idx, row, sink| {
            let mut vals: [Option<Cow<'_, str>>; 8] = Default::default();
            for f in Field::ALL {
                match row.get(idx[f as usize], f.name()) {
                    Ok(v) => vals[f as usize] = idx[f as usize].map(|_| Cow::Borrowed(v)),
                    Err(e) => return sink.reject(row.line, e),
                }
            }
            match to_event(&vals) {
                Ok(e) => sink.used(&e),
                Err(err) => sink.reject(row.line, err),
            }
        },
    )
}

/// Finds the column of each canonical field in a CSV header.
fn resolve_header(header: &CsvHeader, map: &ColumnMap) -> Result<[Option<usize>; 8], String> {
    let mut idx = [None; 8];
    for f in Field::ALL {
        idx[f as usize] = header.find(&[map.column(f)]);
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
///
/// A file whose first object has neither the timestamp nor the account field is not this format
/// (it is skipped with that reason rather than every line rejected).
pub fn read_jsonl(input: impl Read, map: &ColumnMap, sink: &mut RowSink<'_>) -> Result<(), String> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(|e| e.to_string())?;
    let first = head
        .split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty());
    if let Some(Ok(v)) = first.map(serde_json::from_slice::<serde_json::Value>) {
        let (ts, acct) = (map.column(Field::Timestamp), map.column(Field::Account));
        if v.is_object() && json_text(&v, ts).is_none() && json_text(&v, acct).is_none() {
            return Err(format!(
                "the first record has no {ts:?} or {acct:?} field (map them with --map timestamp=FIELD --map account=FIELD)"
            ));
        }
    }
    read_json_lines(input, sink, |value, line, sink| {
        let vals: [Option<Cow<'_, str>>; 8] = Field::ALL.map(|f| json_text(value, map.column(f)));
        match to_event(&vals) {
            Ok(e) => sink.used(&e),
            Err(err) => sink.reject(line, err),
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &str, map: &ColumnMap, jsonl: bool) -> crate::formats::common::testing::Parsed {
        crate::formats::common::testing::parse("t.csv", SOURCE, |sink| match jsonl {
            true => read_jsonl(data.as_bytes(), map, sink),
            false => read_csv(data.as_bytes(), map, sink),
        })
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
    fn json_lines_of_another_shape_are_not_generic() {
        let (_, rep, _, res) = run(
            "{\"eventTime\":\"2025-01-01T00:00:00Z\",\"user\":\"a\"}\n",
            &ColumnMap::default(),
            true,
        );
        assert!(res.unwrap_err().contains("--map timestamp=FIELD"));
        assert_eq!(rep.rows_read, 0);
    }

    #[test]
    fn a_jsonl_file_whose_first_object_has_neither_field_is_not_this_format() {
        let good = "{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\",\"records\":3}\n";
        // An empty object first (proptest found it): the file is skipped with the reason.
        let (_, rep, _, res) = run(&format!("{{}}\n{good}"), &ColumnMap::default(), true);
        let err = res.unwrap_err();
        assert!(
            err.contains("the first record has no \"timestamp\" or \"account\" field"),
            "{err}"
        );
        assert_eq!(rep.rows_used, 0);
        // Blank lines and a line that is not JSON are not the first object: the good line is.
        let (_, rep, rej, res) = run(&format!("\n[1,\n{good}"), &ColumnMap::default(), true);
        assert!(res.is_ok());
        assert_eq!((rep.rows_read, rep.rows_used, rej.len()), (2, 1, 1));
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
            let (t, rep, rej, res) = run(&text, &ColumnMap::default(), true);
            crate::formats::common::testing::reconciles(&t, &rep, &rej)?;
            // Unless the first object has neither field, which makes the file not this format
            // (skipped whole with that reason; `{}` is such an object), the good last line is used.
            match res {
                Err(e) => {
                    proptest::prop_assert!(e.contains("the first record has no"), "{}", e);
                    proptest::prop_assert_eq!(rep.rows_used, 0);
                }
                Ok(()) => proptest::prop_assert!(rep.rows_used >= 1, "the good last line is used"),
            }
        }

        #[test]
        fn arbitrary_csv_never_panics_and_reconciles(data in "[a-z0-9,:\"\\-TZ\\n ]{0,300}") {
            let text = format!("timestamp,account,records\n{data}");
            let (t, rep, rej, _) = run(&text, &ColumnMap::default(), false);
            crate::formats::common::testing::reconciles(&t, &rep, &rej)?;
        }
    }
}
