//! Snowflake `ACCOUNT_USAGE.QUERY_HISTORY` exported as CSV (FORMATS.md, section 6).
//!
//! One row per query. The format is only renames, types and a timestamp layout, so it is a
//! table: [`SPECS`] lists, for each field, the columns it may come from (the first non-empty one
//! wins, so a column joined in from `SESSIONS` or `LOGIN_HISTORY` is used when present) and how
//! its value is typed; one loop reads every row through it.
//!
//! `START_TIME` is written `2024-04-10 12:34:56.789 -0700` by Snowflake's own exports and as ISO
//! 8601 with `Z` by other tools; both are read. Queries that hand data out are exports: `SELECT`
//! (volume `ROWS_PRODUCED` and `BYTES_WRITTEN_TO_RESULT`), `UNLOAD`, which is `COPY INTO @stage`
//! (`ROWS_UNLOADED`), and `GET_FILES`, a `GET` from a stage (`ROWS_PRODUCED`, one row per file).
//! Failed queries (`EXECUTION_STATUS` other than `SUCCESS`, or an `ERROR_CODE`) and every other
//! query type are context. A query counts its volume once per `QUERY_ID`, so overlapping exports
//! do not double it.

use super::common::{parse_count, read_csv_rows, CsvHeader, CsvRow, RowError};
use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::parse_timestamp;
use crate::ingest::RowSink;
use std::io::Read;

/// The `--log-format` name.
pub const NAME: &str = "snowflake";
/// The log family.
pub const SOURCE: &str = "snowflake";

/// Where each canonical field is read from.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "timestamp",
        "START_TIME (2024-04-10 12:34:56.789 -0700, or ISO 8601)",
    ),
    ("account", "USER_NAME"),
    ("action", "QUERY_TYPE"),
    (
        "object",
        "DATABASE_NAME.SCHEMA_NAME (.TABLE_NAME if such a column exists)",
    ),
    (
        "records",
        "ROWS_PRODUCED; ROWS_UNLOADED for UNLOAD (COPY INTO @stage)",
    ),
    ("bytes", "BYTES_WRITTEN_TO_RESULT"),
    ("src_ip", "CLIENT_IP (if joined in from LOGIN_HISTORY)"),
    (
        "client",
        "CLIENT_APPLICATION_ID, else REPORTED_CLIENT_TYPE (if joined in)",
    ),
];

/// What a value of a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A date-time.
    Time,
    /// Free text, trimmed.
    Text,
    /// A non-negative whole number; a bad one is rejected with this reason.
    Count(RejectReason),
}

/// The values read from one row, indexed by [`Slot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Time,
    Account,
    QueryType,
    Database,
    Schema,
    Table,
    RowsProduced,
    RowsUnloaded,
    Bytes,
    SrcIp,
    Client,
    Status,
    ErrorCode,
    QueryId,
}

const SLOTS: usize = Slot::QueryId as usize + 1;

/// One field of the table: where it comes from and what it is.
struct Spec {
    slot: Slot,
    /// Candidate columns, in order of preference (matched case-insensitively).
    columns: &'static [&'static str],
    kind: Kind,
    /// The file is not a query history without one of these columns; a row without a value
    /// is rejected with `missing`.
    required: Option<RejectReason>,
}

const SPECS: &[Spec] = &[
    Spec {
        slot: Slot::Time,
        columns: &["START_TIME"],
        kind: Kind::Time,
        required: Some(RejectReason::MissingTimestamp),
    },
    Spec {
        slot: Slot::Account,
        columns: &["USER_NAME"],
        kind: Kind::Text,
        required: Some(RejectReason::MissingAccount),
    },
    Spec {
        slot: Slot::QueryType,
        columns: &["QUERY_TYPE"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::Database,
        columns: &["DATABASE_NAME"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::Schema,
        columns: &["SCHEMA_NAME"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::Table,
        columns: &["TABLE_NAME"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::RowsProduced,
        columns: &["ROWS_PRODUCED"],
        kind: Kind::Count(RejectReason::BadRecords),
        required: None,
    },
    Spec {
        slot: Slot::RowsUnloaded,
        columns: &["ROWS_UNLOADED"],
        kind: Kind::Count(RejectReason::BadRecords),
        required: None,
    },
    Spec {
        slot: Slot::Bytes,
        columns: &["BYTES_WRITTEN_TO_RESULT"],
        kind: Kind::Count(RejectReason::BadBytes),
        required: None,
    },
    Spec {
        slot: Slot::SrcIp,
        columns: &["CLIENT_IP"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::Client,
        columns: &["CLIENT_APPLICATION_ID", "REPORTED_CLIENT_TYPE"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::Status,
        columns: &["EXECUTION_STATUS"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::ErrorCode,
        columns: &["ERROR_CODE"],
        kind: Kind::Text,
        required: None,
    },
    Spec {
        slot: Slot::QueryId,
        columns: &["QUERY_ID"],
        kind: Kind::Text,
        required: None,
    },
];

/// Query types that hand data out of Snowflake.
const EXPORT_TYPES: &[&str] = &["SELECT", "UNLOAD", "GET_FILES"];

/// Whether the first bytes look like a query history CSV: a header with `START_TIME`,
/// `USER_NAME`, `QUERY_TYPE` and `QUERY_ID` or `ROWS_PRODUCED`.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let has = |name: &str| {
        line.split(',')
            .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case(name))
    };
    has("START_TIME")
        && has("USER_NAME")
        && has("QUERY_TYPE")
        && (has("QUERY_ID") || has("ROWS_PRODUCED"))
}

/// The columns present for each spec: (index, column name), in order of preference.
type Resolved = Vec<Vec<(usize, &'static str)>>;

/// Reads a query history CSV export.
pub fn read(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_csv_rows(input, sink, resolve, |cols, row, sink| {
        match read_row(cols, row) {
            Ok(v) => emit(&v, sink),
            Err(e) => sink.reject(row.line, e),
        }
    })
}

fn resolve(header: &CsvHeader) -> Result<Resolved, String> {
    SPECS
        .iter()
        .map(|spec| {
            let found: Vec<_> = spec
                .columns
                .iter()
                .filter_map(|&c| header.find(&[c]).map(|i| (i, c)))
                .collect();
            if found.is_empty() && spec.required.is_some() {
                return Err(format!(
                    "not a Snowflake query history: no {} column in the header",
                    spec.columns.join(" or ")
                ));
            }
            Ok(found)
        })
        .collect()
}

/// One row's values: text by slot, counts by slot, and the time.
#[derive(Default)]
struct Values<'r> {
    text: [&'r str; SLOTS],
    count: [Option<i64>; SLOTS],
    time_ms: i64,
}

/// Reads every spec'd field of a row, typed; the first bad value rejects the row.
fn read_row<'r>(cols: &Resolved, row: &'r CsvRow<'_>) -> Result<Values<'r>, RowError> {
    let mut v = Values::default();
    for (spec, found) in SPECS.iter().zip(cols) {
        let mut value = ("", spec.columns[0]);
        for &(i, name) in found {
            let s = row.get(Some(i), name)?.trim();
            if !s.is_empty() {
                value = (s, name);
                break;
            }
        }
        let (s, name) = value;
        if s.is_empty() {
            if let Some(reason) = spec.required {
                return Err(RowError::new(reason, Some(name), "empty"));
            }
            continue;
        }
        let slot = spec.slot as usize;
        match spec.kind {
            Kind::Text => v.text[slot] = s,
            Kind::Count(reason) => {
                v.count[slot] = parse_count(s).map_err(|e| RowError::new(reason, Some(name), e))?;
            }
            Kind::Time => {
                v.time_ms = parse_timestamp(s).map_err(|e| {
                    RowError::new(
                        RejectReason::BadTimestamp,
                        Some(name),
                        format!("{e}: {:?}", excerpt(s)),
                    )
                })?;
            }
        }
    }
    Ok(v)
}

/// Classifies a read row and hands it to the sink.
fn emit(v: &Values<'_>, sink: &mut RowSink<'_>) {
    let text = |s: Slot| v.text[s as usize];
    let query_type = text(Slot::QueryType);
    let object = [Slot::Database, Slot::Schema, Slot::Table]
        .into_iter()
        .map(text)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(".");
    let records = if query_type.eq_ignore_ascii_case("UNLOAD") {
        v.count[Slot::RowsUnloaded as usize]
    } else {
        v.count[Slot::RowsProduced as usize]
    };
    let event = RawEvent {
        time_ms: v.time_ms,
        account: text(Slot::Account),
        action: query_type,
        object: &object,
        records,
        bytes: v.count[Slot::Bytes as usize],
        src_ip: text(Slot::SrcIp),
        client: text(Slot::Client),
    };
    let status = text(Slot::Status);
    let failed = !(status.is_empty() || status.eq_ignore_ascii_case("SUCCESS"))
        || !text(Slot::ErrorCode).is_empty();
    let export = EXPORT_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(query_type));
    let id = text(Slot::QueryId);
    if failed || !export {
        sink.context(&event);
    } else if !id.is_empty() {
        sink.used_once(&format!("snowflake:{id}"), &event);
    } else {
        sink.used(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::EventTable;
    use crate::ingest::time::DAY_MS;

    const HOUR: i64 = 3_600_000;
    const MIN: i64 = 60_000;
    const SEC: i64 = 1000;

    fn run(data: &[u8]) -> crate::formats::common::testing::Parsed {
        crate::formats::common::testing::parse("t.csv", SOURCE, |sink| read(data, sink))
    }

    /// One row as (account, action, object, records, bytes, ip, client).
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<i64>,
        Option<i64>,
        &'a str,
        &'a str,
    );

    fn row(t: &EventTable, i: usize) -> Row<'_> {
        (
            t.account_name(t.account[i]),
            t.actions.get(t.action[i]),
            t.objects.get(t.object[i]),
            t.records[i],
            t.bytes[i],
            t.ips.get(t.src_ip[i]),
            t.clients.get(t.client[i]),
        )
    }

    #[test]
    fn query_history_fixture() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/snowflake/query_history.csv"
        );
        let data = std::fs::read(path).unwrap();
        assert!(sniff(&data));
        let (t, rep, rej, res) = run(&data);
        assert_eq!(res, Ok(()));
        // 8 rows (the GET spans lines 4-5): 6 used, 2 of them context, 2 rejected.
        assert_eq!((rep.rows_read, rep.rows_used, rep.rows_context), (8, 6, 2));
        let got: Vec<_> = rej.iter().map(|r| (r.line, r.reason, r.field)).collect();
        assert_eq!(
            got,
            vec![
                (8, RejectReason::BadRecords, Some("ROWS_PRODUCED")),
                (9, RejectReason::MissingAccount, Some("USER_NAME")),
            ]
        );
        assert!(rej[0].detail.contains("12x"));
        // 2024-04-10 is day 19823 (19723 days to 2024-01-01, then 31 + 29 + 31 + 9).
        let apr10 = 19_823 * DAY_MS;
        // Line 2: 12:34:56.789 at -07:00 is 19:34:56.789 UTC.
        assert_eq!(t.time[0], apr10 + 19 * HOUR + 34 * MIN + 56 * SEC + 789);
        assert_eq!(
            row(&t, 0),
            (
                "ANALYST1",
                "SELECT",
                "SALES.PUBLIC",
                Some(1500),
                Some(98_304),
                "203.0.113.40",
                "JDBC 3.14.4",
            )
        );
        // Line 3: COPY INTO @stage counts the rows unloaded, not the one result row; no
        // application id, so the reported client type.
        assert_eq!(t.time[1], apr10 + DAY_MS + 3 * HOUR + 2 * MIN + SEC);
        assert_eq!(
            row(&t, 1),
            (
                "SVC_ETL",
                "UNLOAD",
                "SALES.PUBLIC",
                Some(2_000_000),
                Some(112),
                "198.51.100.66",
                "PYTHON_DRIVER",
            )
        );
        // Line 4: GET, one result row per file.
        assert_eq!(t.time[2], apr10 + DAY_MS + 3 * HOUR + 5 * MIN);
        assert_eq!(row(&t, 2).1, "GET_FILES");
        assert_eq!((t.records[2], t.bytes[2]), (Some(4), Some(410)));
        // Line 6: a failed SELECT and line 7: a DDL statement are context, without volume.
        assert_eq!(t.time[3], apr10 + DAY_MS + 3 * HOUR);
        assert_eq!(
            row(&t, 3),
            (
                "SVC_ETL",
                "SELECT",
                "HR.CORE",
                None,
                None,
                "198.51.100.66",
                "PYTHON_DRIVER"
            )
        );
        assert_eq!(row(&t, 4).1, "CREATE");
        assert_eq!((t.records[4], t.bytes[4]), (None, None));
        // Line 10 repeats the query of line 2: its volume counts once.
        assert_eq!(t.len(), 6);
        assert_eq!(t.records[0].unwrap_or(0) + t.records[5].unwrap_or(0), 1500);
    }

    #[test]
    fn minimal_header_and_columns_by_name() {
        let data = "user_name,query_type,start_time,rows_produced,table_name,database_name\n\
                    bob,select,2024-04-10T00:00:00Z,3,ORDERS,DB\n\
                    bob,SELECT,2024-04-10 00:00:00 +0100,,,\n\
                    bob,SELECT,10/04/2024,1,,\n";
        let (t, rep, rej, res) = run(data.as_bytes());
        assert_eq!(res, Ok(()));
        assert_eq!((rep.rows_read, rep.rows_used), (3, 2));
        assert_eq!(row(&t, 0).2, "DB.ORDERS", "empty parts are left out");
        assert_eq!(t.records[0], Some(3));
        assert_eq!(t.time[1], 19_823 * DAY_MS - HOUR);
        assert_eq!(t.records[1], None);
        assert_eq!(
            (rej[0].line, rej[0].reason, rej[0].field),
            (4, RejectReason::BadTimestamp, Some("START_TIME"))
        );
    }

    #[test]
    fn not_a_query_history() {
        let (_, _, _, res) = run(b"START_TIME,QUERY_TYPE\n2024-04-10T00:00:00Z,SELECT\n");
        assert!(res.unwrap_err().contains("USER_NAME"));
        assert!(!sniff(b"timestamp,account,records\n"));
        assert!(!sniff(b"START_TIME,USER_NAME\n"));
        assert!(!sniff(b""));
        assert!(sniff(
            b"\"QUERY_ID\",\"QUERY_TYPE\",\"USER_NAME\",\"START_TIME\"\r\n"
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_rows_never_panic_and_reconcile(data in "[A-Za-z0-9,:_\" .+\\-\\n]{0,300}") {
            let text = format!("QUERY_ID,START_TIME,USER_NAME,QUERY_TYPE,ROWS_PRODUCED,ROWS_UNLOADED\n{data}");
            let (t, rep, rej, _) = run(text.as_bytes());
            crate::formats::common::testing::reconciles(&t, &rep, &rej)?;
        }
    }
}
