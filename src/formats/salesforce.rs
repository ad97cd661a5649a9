//! Salesforce Event Monitoring: Event Log Files (CSV), FORMATS.md section 2.
//!
//! One file per event type per day (or hour), downloaded from the `EventLogFile` object. Every
//! value is quoted and a string; columns are found by name (Salesforce changes each type's schema
//! between releases, so missing and added columns are tolerated, also when they differ between
//! files of one folder). The event type is read from each row's `EVENT_TYPE`, so a folder of
//! daily files named `2025-06-30_API.csv`, or files named by EventLogFile id, is one dataset.
//!
//! | event type | how it is used |
//! |---|---|
//! | `API`, `RestApi` | export: records `ROWS_PROCESSED`, bytes `RESPONSE_SIZE`, object `ENTITY_NAME`; a REST call with status >= 400 is context |
//! | `BulkApi` | export: records `ROWS_PROCESSED` per batch (`BATCH_ID` counted once), object `ENTITY_TYPE` |
//! | `BulkApi2` | export: one row per job state change; the job's largest `RECORDS_PROCESSED` counts once per `JOB_ID` (bytes from `RESULT_SIZE_MB`) |
//! | `Report` | export: records `ROW_COUNT`, bytes `ROW_COUNT x AVERAGE_ROW_SIZE`, object `ENTITY_NAME` or `REPORT_ID` |
//! | `ReportExport` | export event without volume (Salesforce gives none; the volume is on the matching `Report` row) |
//! | `Login` | context (activity, new IP, new client); its `USER_NAME` names the user id in alerts |
//! | any other type | context |
//!
//! Time is `TIMESTAMP_DERIVED` (ISO 8601 with `Z`) or else `TIMESTAMP` (`20231218054831.655`,
//! UTC). The account is the user id cut to its 15-character form, so `USER_ID` (15 characters) and
//! `USER_ID_DERIVED` (18, with a checksum suffix) are one account. `CLIENT_IP` = `Salesforce.com
//! IP` marks an internal call: it is no address, so it never counts as a new IP.

use super::common::{parse_count, read_csv_rows, CsvHeader, CsvRow, RowError};
use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::parse_timestamp;
use crate::ingest::RowSink;
use std::io::Read;

pub const NAME: &str = "salesforce-elf";
pub const SOURCE: &str = "salesforce";

pub const FIELDS: &[(&str, &str)] = &[
    (
        "timestamp",
        "TIMESTAMP_DERIVED, else TIMESTAMP (yyyyMMddHHmmss.SSS, UTC)",
    ),
    (
        "account",
        "USER_ID_DERIVED or USER_ID, as the 15-character id; named by Login USER_NAME",
    ),
    (
        "action",
        "EVENT_TYPE, with METHOD_NAME / METHOD / OPERATION_TYPE / RENDERING_TYPE",
    ),
    ("object", "ENTITY_NAME, ENTITY_TYPE, REPORT_ID"),
    (
        "records",
        "ROWS_PROCESSED (API, RestApi, BulkApi), RECORDS_PROCESSED (BulkApi2), ROW_COUNT (Report)",
    ),
    (
        "bytes",
        "RESPONSE_SIZE; RESULT_SIZE_MB x 10^6; ROW_COUNT x AVERAGE_ROW_SIZE",
    ),
    (
        "src_ip",
        "SOURCE_IP (Login), CLIENT_IP; 'Salesforce.com IP' is internal, no address",
    ),
    (
        "client",
        "USER_AGENT, BROWSER_TYPE, CLIENT_NAME, CLIENT_INFO, CONNECTED_APP_ID",
    ),
];

/// The value `CLIENT_IP` takes for Salesforce-internal calls.
const INTERNAL_IP: &str = "Salesforce.com IP";

/// Whether the first bytes are an Event Log File: a CSV header naming `EVENT_TYPE`, a
/// `TIMESTAMP` column and a `USER_ID` column.
pub fn sniff(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(first).to_ascii_uppercase();
    let has = |name: &str| line.split(',').any(|c| c.trim().trim_matches('"') == name);
    has("EVENT_TYPE")
        && (has("TIMESTAMP") || has("TIMESTAMP_DERIVED"))
        && (has("USER_ID") || has("USER_ID_DERIVED"))
}

/// Column indexes of one file's header (any may be absent).
struct Cols {
    event_type: Option<usize>,
    ts_derived: Option<usize>,
    ts: Option<usize>,
    user_derived: Option<usize>,
    user: Option<usize>,
    user_name: Option<usize>,
    source_ip: Option<usize>,
    client_ip: Option<usize>,
    client: [Option<usize>; 5],
    object: [Option<usize>; 3],
    rows_processed: Option<usize>,
    records_processed: Option<usize>,
    row_count: Option<usize>,
    response_size: Option<usize>,
    result_size_mb: Option<usize>,
    average_row_size: Option<usize>,
    method: [Option<usize>; 4],
    status_code: Option<usize>,
    job_id: Option<usize>,
    batch_id: Option<usize>,
}

impl Cols {
    fn new(h: &CsvHeader) -> Result<Cols, String> {
        let f = |n: &str| h.find(&[n]);
        let c = Cols {
            event_type: f("EVENT_TYPE"),
            ts_derived: f("TIMESTAMP_DERIVED"),
            ts: f("TIMESTAMP"),
            user_derived: f("USER_ID_DERIVED"),
            user: f("USER_ID"),
            user_name: f("USER_NAME"),
            source_ip: f("SOURCE_IP"),
            client_ip: f("CLIENT_IP"),
            client: [
                f("USER_AGENT"),
                f("BROWSER_TYPE"),
                f("CLIENT_NAME"),
                f("CLIENT_INFO"),
                f("CONNECTED_APP_ID"),
            ],
            object: [f("ENTITY_NAME"), f("ENTITY_TYPE"), f("REPORT_ID")],
            rows_processed: f("ROWS_PROCESSED"),
            records_processed: f("RECORDS_PROCESSED"),
            row_count: f("ROW_COUNT"),
            response_size: f("RESPONSE_SIZE"),
            result_size_mb: f("RESULT_SIZE_MB"),
            average_row_size: f("AVERAGE_ROW_SIZE"),
            method: [
                f("METHOD_NAME"),
                f("METHOD"),
                f("OPERATION_TYPE"),
                f("RENDERING_TYPE"),
            ],
            status_code: f("STATUS_CODE"),
            job_id: f("JOB_ID"),
            batch_id: f("BATCH_ID"),
        };
        if c.event_type.is_none() || (c.ts.is_none() && c.ts_derived.is_none()) {
            return Err(
                "not a Salesforce Event Log File: no EVENT_TYPE or TIMESTAMP column".into(),
            );
        }
        if c.user.is_none() && c.user_derived.is_none() {
            return Err("Salesforce Event Log File without a USER_ID column".into());
        }
        Ok(c)
    }
}

/// Parses `TIMESTAMP` as Salesforce writes it: `20231218054831.655` (UTC, no zone).
pub fn parse_compact(s: &str) -> Option<i64> {
    let s = s.trim();
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    if main.len() != 14
        || !main.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}{}{}Z",
        &main[0..4],
        &main[4..6],
        &main[6..8],
        &main[8..10],
        &main[10..12],
        &main[12..14],
        if frac.is_empty() { "" } else { "." },
        frac
    );
    parse_timestamp(&iso).ok()
}

/// The 15-character form of a Salesforce id (an 18-character id is the 15 plus a checksum).
pub fn id15(id: &str) -> &str {
    let id = id.trim();
    if id.len() == 18 && id.is_ascii() {
        &id[..15]
    } else {
        id
    }
}

fn first_nonempty<'r>(
    row: &'r CsvRow<'_>,
    cols: &[Option<usize>],
    field: &'static str,
) -> Result<&'r str, RowError> {
    for &c in cols {
        let v = row.get(c, field)?.trim();
        if !v.is_empty() {
            return Ok(v);
        }
    }
    Ok("")
}

fn count(
    row: &CsvRow<'_>,
    col: Option<usize>,
    reason: RejectReason,
    field: &'static str,
) -> Result<Option<i64>, RowError> {
    let v = row.get(col, field)?;
    parse_count(v).map_err(|e| RowError::new(reason, Some(field), e))
}

/// How a row is handed over.
enum Use {
    Export,
    Once(String),
    Context,
}

fn read_row(c: &Cols, row: &CsvRow<'_>, sink: &mut RowSink<'_>) -> Result<(), RowError> {
    let event_type = row.get(c.event_type, "EVENT_TYPE")?.trim();
    let ts_text = first_nonempty(row, &[c.ts_derived, c.ts], "TIMESTAMP")?;
    if ts_text.is_empty() {
        return Err(RowError::new(
            RejectReason::MissingTimestamp,
            Some("TIMESTAMP"),
            "empty",
        ));
    }
    let time_ms = parse_timestamp(ts_text)
        .ok()
        .or_else(|| parse_compact(ts_text))
        .ok_or_else(|| {
            RowError::new(
                RejectReason::BadTimestamp,
                Some("TIMESTAMP"),
                format!("not a date-time: {:?}", excerpt(ts_text)),
            )
        })?;
    let account = id15(first_nonempty(row, &[c.user_derived, c.user], "USER_ID")?);
    if account.is_empty() {
        return Err(RowError::new(
            RejectReason::MissingAccount,
            Some("USER_ID"),
            "empty",
        ));
    }
    let mut ip = first_nonempty(row, &[c.source_ip, c.client_ip], "CLIENT_IP")?;
    if ip.eq_ignore_ascii_case(INTERNAL_IP) {
        ip = "";
    }
    let client = first_nonempty(row, &c.client, "USER_AGENT")?;
    let object = first_nonempty(row, &c.object, "ENTITY_NAME")?;
    let method = first_nonempty(row, &c.method, "METHOD_NAME")?;
    let action = if method.is_empty() {
        event_type.to_owned()
    } else {
        format!("{event_type}:{method}")
    };

    let mut records = None;
    let mut bytes = None;
    let mut how = Use::Export;
    match event_type {
        "API" | "RestApi" => {
            records = count(
                row,
                c.rows_processed,
                RejectReason::BadRecords,
                "ROWS_PROCESSED",
            )?;
            bytes = count(
                row,
                c.response_size,
                RejectReason::BadBytes,
                "RESPONSE_SIZE",
            )?;
            let status = row.get(c.status_code, "STATUS_CODE")?.trim();
            if status.parse::<u16>().is_ok_and(|s| s >= 400) {
                how = Use::Context;
            }
        }
        "BulkApi" => {
            records = count(
                row,
                c.rows_processed,
                RejectReason::BadRecords,
                "ROWS_PROCESSED",
            )?;
            let batch = row.get(c.batch_id, "BATCH_ID")?.trim();
            if !batch.is_empty() {
                how = Use::Once(format!("salesforce:bulkapi:{}", id15(batch)));
            }
        }
        "BulkApi2" => {
            records = count(
                row,
                c.records_processed,
                RejectReason::BadRecords,
                "RECORDS_PROCESSED",
            )?;
            let mb = row.get(c.result_size_mb, "RESULT_SIZE_MB")?.trim();
            if !mb.is_empty() {
                let v: f64 = mb.parse().map_err(|_| {
                    RowError::new(
                        RejectReason::BadBytes,
                        Some("RESULT_SIZE_MB"),
                        format!("not a number: {:?}", excerpt(mb)),
                    )
                })?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err(RowError::new(
                        RejectReason::BadBytes,
                        Some("RESULT_SIZE_MB"),
                        format!("not a size: {mb:?}"),
                    ));
                }
                bytes = Some((v * 1e6).round() as i64);
            }
            let job = row.get(c.job_id, "JOB_ID")?.trim();
            if !job.is_empty() {
                how = Use::Once(format!("salesforce:bulkapi2:{}", id15(job)));
            }
        }
        "Report" => {
            records = count(row, c.row_count, RejectReason::BadRecords, "ROW_COUNT")?;
            let avg = count(
                row,
                c.average_row_size,
                RejectReason::BadBytes,
                "AVERAGE_ROW_SIZE",
            )?;
            bytes = records.zip(avg).map(|(r, a)| r.saturating_mul(a));
        }
        "ReportExport" => {}
        "Login" => {
            let name = row.get(c.user_name, "USER_NAME")?.trim();
            if !name.is_empty() {
                sink.alias(account, name);
            }
            how = Use::Context;
        }
        _ => how = Use::Context,
    }
    let e = RawEvent {
        time_ms,
        account,
        action: &action,
        object,
        records,
        bytes,
        src_ip: ip,
        client,
    };
    match how {
        Use::Export => sink.used(&e),
        Use::Once(key) => sink.used_once(&key, &e),
        Use::Context => sink.context(&e),
    }
    Ok(())
}

/// Reads one Event Log File.
pub fn read(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_csv_rows(input, sink, Cols::new, |c, row, sink| {
        if let Err(e) = read_row(c, row, sink) {
            sink.reject(row.line, e);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::EventTable;
    use crate::ingest::report::{FileReport, Reject};

    fn run_files(files: &[(&str, &str)]) -> (EventTable, Vec<FileReport>, Vec<Reject>) {
        let mut all = EventTable::default();
        let mut reports = Vec::new();
        let mut rejects = Vec::new();
        for (name, data) in files {
            let mut t = EventTable::default();
            let mut rep = FileReport::default();
            {
                let mut sink = RowSink::new(&mut t, &mut rep, &mut rejects, name, SOURCE);
                read(data.as_bytes(), &mut sink).unwrap();
            }
            all.append(t, false);
            reports.push(rep);
        }
        (all, reports, rejects)
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/salesforce/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn compact_timestamps_and_ids() {
        assert_eq!(
            parse_compact("20231218054831.655"),
            parse_timestamp("2023-12-18T05:48:31.655Z").ok()
        );
        assert_eq!(
            parse_compact("20231218054831"),
            parse_timestamp("2023-12-18T05:48:31Z").ok()
        );
        assert_eq!(parse_compact("2023121805483"), None);
        assert_eq!(parse_compact("20231318054831.655"), None, "month 13");
        assert_eq!(id15("0055j00000AT6I1AAL"), "0055j00000AT6I1");
        assert_eq!(id15("0055j00000AT6I1"), "0055j00000AT6I1");
    }

    #[test]
    fn sniffs_event_log_files_only() {
        assert!(sniff(
            b"\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"USER_ID\"\n\"API\""
        ));
        assert!(!sniff(b"timestamp,account,records\n"));
        assert!(!sniff(b"\"EVENT_TYPE\",\"FOO\"\n"));
    }

    #[test]
    fn api_report_login_and_internal_ip() {
        let (t, reps, rej) = run_files(&[
            ("2025-06-30_Login.csv", &fixture("2025-06-30_Login.csv")),
            ("2025-06-30_API.csv", &fixture("2025-06-30_API.csv")),
            ("2025-06-30_Report.csv", &fixture("2025-06-30_Report.csv")),
        ]);
        assert!(rej.is_empty(), "{rej:?}");
        // Login: 2 rows, both context.
        assert_eq!(
            (reps[0].rows_read, reps[0].rows_used, reps[0].rows_context),
            (2, 2, 2)
        );
        // API row 1: 18-character USER_ID_DERIVED, 2,000 rows, 1,650,000 bytes, Contact.
        let api = t
            .time
            .iter()
            .position(|&x| x == parse_timestamp("2025-06-30T02:14:07.512Z").unwrap())
            .unwrap();
        assert_eq!(t.account_name(t.account[api]), "0055j00000AT6I1");
        assert_eq!(t.records[api], Some(2000));
        assert_eq!(t.bytes[api], Some(1_650_000));
        assert_eq!(t.objects.get(t.object[api]), "Contact");
        assert_eq!(t.ips.get(t.src_ip[api]), "203.0.113.77");
        assert_eq!(t.clients.get(t.client[api]), "python-requests/2.31.0");
        assert_eq!(t.actions.get(t.action[api]), "API:query");
        // The 15- and 18-character ids are one account, named by the Login file.
        let login = t.account[0];
        assert_eq!(t.account[api], login);
        assert_eq!(
            t.account_display(login),
            "0055j00000AT6I1 (maria.oconnor@northwind-air.example)"
        );
        // API row 2: an internal call has no IP.
        assert_eq!(t.src_ip[api + 1], 0);
        // Report: ROW_COUNT 1,200 x AVERAGE_ROW_SIZE 512 bytes.
        let rep = t
            .time
            .iter()
            .position(|&x| x == parse_timestamp("2025-06-30T10:05:00Z").unwrap())
            .unwrap();
        assert_eq!((t.records[rep], t.bytes[rep]), (Some(1200), Some(614_400)));
        assert_eq!(t.objects.get(t.object[rep]), "Opportunity");
    }

    #[test]
    fn bulk_api_2_jobs_count_once_across_daily_files() {
        let (t, reps, rej) = run_files(&[
            (
                "2025-06-30_BulkApi2.csv",
                &fixture("2025-06-30_BulkApi2.csv"),
            ),
            (
                "2025-07-01_BulkApi2.csv",
                &fixture("2025-07-01_BulkApi2.csv"),
            ),
        ]);
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(reps.iter().map(|r| r.rows_used).sum::<u64>(), 5);
        // Job 7505j000001AbCd: states with 0, 30,000 and (next day) 75,000 records: counted once.
        // Job 7505j000001XyZz: one row of 500.
        let counted: Vec<i64> = t
            .records
            .iter()
            .flatten()
            .copied()
            .filter(|&r| r > 0)
            .collect();
        assert_eq!(counted, vec![500, 75_000]);
        let big = t.records.iter().position(|&r| r == Some(75_000)).unwrap();
        assert_eq!(t.bytes[big], Some(61_500_000), "RESULT_SIZE_MB 61.5");
        assert_eq!(
            t.time[big],
            parse_timestamp("2025-07-01T00:20:00Z").unwrap()
        );
    }

    #[test]
    fn cut_off_file_loses_only_the_broken_row_and_new_columns_are_tolerated() {
        // A newer release added AUTHENTICATION_METHOD; the download stopped mid-row.
        let data = "\"EVENT_TYPE\",\"TIMESTAMP\",\"USER_ID\",\"ROWS_PROCESSED\",\"AUTHENTICATION_METHOD\",\"ENTITY_NAME\"\n\
                    \"API\",\"20250630021407.512\",\"0055j00000AT6I1\",\"10\",\"OAuth\",\"Lead\"\n\
                    \"API\",\"20250630021408.001\",\"0055j00000AT6I1\",\"x\",\"OAuth\",\"Lead\"\n\
                    \"API\",\"20250630021409.000\",\"0055j00000AT6I1\",\"12\",\"OAu";
        let (t, reps, rej) = run_files(&[("cut.csv", data)]);
        assert_eq!(
            (
                reps[0].rows_read,
                reps[0].rows_used,
                reps[0].rows_rejected()
            ),
            (3, 1, 2)
        );
        assert_eq!(t.records, vec![Some(10)]);
        assert_eq!(
            (rej[0].line, rej[0].reason, rej[0].field),
            (3, RejectReason::BadRecords, Some("ROWS_PROCESSED"))
        );
        assert_eq!((rej[1].line, rej[1].reason), (4, RejectReason::Malformed));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_rows_never_panic_and_reconcile(data in "[\"A-Za-z0-9,.:\\- \\n]{0,300}") {
            let text = format!("\"EVENT_TYPE\",\"TIMESTAMP\",\"USER_ID\",\"ROWS_PROCESSED\",\"JOB_ID\",\"RECORDS_PROCESSED\"\n{data}");
            let (t, reps, rej) = run_files(&[("p.csv", &text)]);
            crate::formats::common::testing::reconciles(&t, &reps[0], &rej)?;
        }
    }
}
