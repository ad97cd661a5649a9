//! Microsoft 365 Unified Audit Log (FORMATS.md, section 4).
//!
//! Four shapes of the same records are read, each recognised from its header or keys:
//!
//! - the Purview audit search CSV export, `RecordId,CreationDate,RecordType,Operation,UserId,
//!   AuditData,...` (column order and extra columns vary, so columns are found by name), where
//!   `AuditData` is the whole record as a JSON string;
//! - the older CSV export, `CreationDate,UserIds,Operations,AuditData`;
//! - the Management Activity API's JSON: an array of records, or one record per line;
//! - Microsoft Sentinel's `OfficeActivity` table rows (`TimeGenerated`, `Client_IPAddress`,
//!   `UserId_`, ...; nested values such as `Folders` are themselves JSON strings there), as one
//!   object per line, an array, or a single pretty-printed object.
//!
//! Every shape becomes one JSON object per record: for CSV, the parsed `AuditData` with the
//! non-empty CSV columns laid over it (the columns win). The canonical fields are then looked up
//! in that object through the candidate lists below, so a field the CSV lacks (the client IP,
//! the user agent) comes from `AuditData`.
//!
//! Dates are UTC: ISO 8601 (sometimes with a stray trailing space, often without a zone) or US
//! style `9/20/2023 4:05:03 AM`. File operations count one record each; `MailItemsAccessed`
//! counts the items listed in `Folders[].FolderItems`, else its `OperationCount`, else 1. The
//! log has no byte counts. A record with an `Id` counts its volume once, so overlapping exports
//! do not double it.

use super::common::{json_text, parse_count, read_csv_rows, read_json_lines, CsvHeader, RowError};
use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::{parse_timestamp, parse_us_datetime};
use crate::ingest::RowSink;
use serde_json::Value;
use std::borrow::Cow;
use std::io::{BufRead, Read};

/// The `--log-format` name.
pub const NAME: &str = "m365";
/// The log family.
pub const SOURCE: &str = "microsoft-365";

/// Where each canonical field is read from (first candidate present wins).
pub const FIELDS: &[(&str, &str)] = &[
    (
        "timestamp",
        "CreationDate (CSV: ISO or M/D/YYYY h:mm:ss AM), CreationTime (API), TimeGenerated (Sentinel); UTC",
    ),
    ("account", "UserId (UserIds in older CSV exports, UserId_ in Sentinel)"),
    ("action", "Operation (Operations in older CSV exports)"),
    (
        "object",
        "ObjectId / OfficeObjectId, else SourceFileName, SiteUrl / Site_Url, MailboxOwnerUPN",
    ),
    (
        "records",
        "1 per file operation; MailItemsAccessed: items in Folders[].FolderItems, else OperationCount, else 1",
    ),
    ("bytes", "(not logged)"),
    (
        "src_ip",
        "ClientIP / ClientIPAddress / Client_IPAddress (port removed)",
    ),
    (
        "client",
        "UserAgent, else ClientAppId / AppId, else ClientInfoString",
    ),
];

/// Operations that read data out: they carry volume; every other operation is context.
const EXPORT_OPERATIONS: &[&str] = &[
    "FileDownloaded",
    "FileSyncDownloadedFull",
    "FileSyncDownloadedPartial",
    "FileAccessed",
    "FileCopied",
    "SearchExported",
    "MailItemsAccessed",
];

const TIME_KEYS: &[&str] = &["CreationDate", "CreationTime", "TimeGenerated"];
const ACCOUNT_KEYS: &[&str] = &["UserId", "UserIds", "UserId_"];
const ACTION_KEYS: &[&str] = &["Operation", "Operations"];
const OBJECT_KEYS: &[&str] = &[
    "ObjectId",
    "OfficeObjectId",
    "SourceFileName",
    "SiteUrl",
    "Site_Url",
    "MailboxOwnerUPN",
];
const IP_KEYS: &[&str] = &["ClientIP", "ClientIPAddress", "Client_IPAddress"];
const CLIENT_KEYS: &[&str] = &["UserAgent", "ClientAppId", "AppId", "ClientInfoString"];
const ID_KEYS: &[&str] = &["Id", "RecordId", "OfficeId", "SourceRecordId"];

/// Whether the first bytes look like a UAL export: a CSV header with `CreationDate` and
/// `AuditData`, or JSON whose first record has `Operation`, `RecordType` and a workload.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| &head[i..]) {
        Some(json @ [b'{' | b'[', ..]) => {
            contains(json, b"\"Operation\"")
                && contains(json, b"\"RecordType\"")
                && (contains(json, b"\"Workload\"") || contains(json, b"\"OfficeWorkload\""))
        }
        Some(text) => {
            let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
            let line = String::from_utf8_lossy(line);
            let has = |name: &str| {
                line.split(',')
                    .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case(name))
            };
            has("CreationDate") && has("AuditData")
        }
        None => false,
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads a UAL export in any of its shapes (CSV, JSON array, JSON lines, single object).
pub fn read(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let head = input.fill_buf().map_err(|e| format!("cannot read: {e}"))?;
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'[') => read_json_array(input, sink),
        Some(b'{') => read_json_objects(input, sink),
        _ => read_csv(input, sink),
    }
}

/// The CSV exports: columns by name, `AuditData` parsed and overlaid with the columns.
fn read_csv(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_csv_rows(
        input,
        sink,
        |header: &CsvHeader| {
            let audit = header.find(&["AuditData"]);
            if header.find(&["CreationDate"]).is_none()
                || (audit.is_none() && header.find(ACCOUNT_KEYS).is_none())
            {
                return Err(
                    "not a Microsoft 365 audit export: the header lacks CreationDate and AuditData"
                        .to_owned(),
                );
            }
            Ok((header.names.clone(), audit))
        },
        |(names, audit), row, sink| {
            let mut record = serde_json::Map::new();
            if let Some(a) = *audit {
                let text = match row.get(Some(a), "AuditData") {
                    Ok(t) => t.trim(),
                    Err(e) => return sink.reject(row.line, e),
                };
                if !text.is_empty() {
                    match serde_json::from_str::<Value>(text) {
                        Ok(Value::Object(m)) => record = m,
                        Ok(_) => {
                            let e = RowError::new(
                                RejectReason::Malformed,
                                Some("AuditData"),
                                "not a JSON object",
                            );
                            return sink.reject(row.line, e);
                        }
                        Err(err) => {
                            let e = RowError::new(
                                RejectReason::Malformed,
                                Some("AuditData"),
                                format!("invalid JSON: {err}"),
                            );
                            return sink.reject(row.line, e);
                        }
                    }
                }
            }
            for (i, name) in names.iter().enumerate() {
                if Some(i) == *audit {
                    continue;
                }
                let value = match row.get(Some(i), "CSV column") {
                    Ok(v) => v.trim(),
                    Err(e) => return sink.reject(row.line, e),
                };
                if !value.is_empty() {
                    record.insert(name.clone(), Value::String(value.to_owned()));
                }
            }
            emit(&Value::Object(record), row.line, "CreationDate", sink);
        },
    )
}

/// A JSON array of records, read element by element (the file is not held whole in memory).
/// Records are numbered by their index in the array, from 1.
fn read_json_array(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    use serde::de::Deserializer as _;
    let mut de = serde_json::Deserializer::from_reader(input);
    let mut each = EachRecord { sink, n: 0 };
    let res = (&mut de).deserialize_seq(&mut each).and_then(|()| de.end());
    match res {
        Ok(()) => Ok(()),
        Err(e) if each.n == 0 => Err(format!("not a JSON array of audit records: {e}")),
        Err(e) => {
            each.sink
                .stop_early(format!("invalid JSON after record {}: {e}", each.n));
            Ok(())
        }
    }
}

/// Hands each element of a JSON array to [`emit_value`] as it is parsed.
struct EachRecord<'s, 'k> {
    sink: &'s mut RowSink<'k>,
    n: u64,
}

impl<'de> serde::de::Visitor<'de> for &mut EachRecord<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of audit records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.n += 1;
            emit_value(&v, self.n, self.sink);
        }
        Ok(())
    }
}

/// JSON starting with `{`: one record per line when the first line is a whole JSON value
/// (numbered by line), else a sequence of (pretty-printed) objects numbered from 1.
fn read_json_objects(mut input: impl BufRead, sink: &mut RowSink<'_>) -> Result<(), String> {
    let mut first = Vec::new();
    input
        .read_until(b'\n', &mut first)
        .map_err(|e| format!("cannot read: {e}"))?;
    if let Some(rest) = first.strip_prefix(b"\xef\xbb\xbf") {
        first = rest.to_vec();
    }
    let input = std::io::Cursor::new(first).chain(input);
    let first_line_whole = {
        let line = input.get_ref().0.get_ref();
        serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
    };
    if first_line_whole {
        read_json_lines(input, sink, |v, line, sink| {
            emit(v, line, "CreationTime", sink);
        });
        return Ok(());
    }
    let mut n = 0u64;
    for v in serde_json::Deserializer::from_reader(input).into_iter::<Value>() {
        match v {
            Ok(v) => {
                n += 1;
                emit_value(&v, n, sink);
            }
            Err(e) if n == 0 => return Err(format!("not JSON audit records: {e}")),
            Err(e) => {
                sink.stop_early(format!("invalid JSON after record {n}: {e}"));
                break;
            }
        }
    }
    Ok(())
}

/// A record of a JSON document: objects are mapped, anything else is rejected.
fn emit_value(v: &Value, n: u64, sink: &mut RowSink<'_>) {
    if v.is_object() {
        emit(v, n, "CreationTime", sink);
    } else {
        let e = RowError::new(RejectReason::Malformed, None, "not a JSON object");
        sink.reject(n, e);
    }
}

/// The first of `keys` with a non-empty value, and which key it was.
fn lookup<'a>(rec: &'a Value, keys: &[&'static str]) -> Option<(&'static str, Cow<'a, str>)> {
    keys.iter().find_map(|&k| match json_text(rec, k)? {
        Cow::Borrowed(s) if !s.trim().is_empty() => Some((k, Cow::Borrowed(s.trim()))),
        Cow::Owned(s) if !s.trim().is_empty() => Some((k, Cow::Owned(s.trim().to_owned()))),
        _ => None,
    })
}

/// Maps one record (an object) into an event, a context event or a reject. `time_field` names
/// the timestamp field of this shape when a record has none.
fn emit(rec: &Value, line: u64, time_field: &'static str, sink: &mut RowSink<'_>) {
    let text = |keys: &[&'static str]| lookup(rec, keys).map(|(_, v)| v);
    let Some((time_key, ts)) = lookup(rec, TIME_KEYS) else {
        let e = RowError::new(RejectReason::MissingTimestamp, Some(time_field), "empty");
        return sink.reject(line, e);
    };
    let time_ms = match parse_timestamp(&ts) {
        Ok(t) => t,
        Err(e) => match parse_us_datetime(&ts) {
            Ok(t) => t,
            Err(us) => {
                let why = if ts.contains('/') { us } else { e };
                let e = RowError::new(
                    RejectReason::BadTimestamp,
                    Some(time_key),
                    format!("{why}: {:?}", excerpt(&ts)),
                );
                return sink.reject(line, e);
            }
        },
    };
    let Some(account) = text(ACCOUNT_KEYS) else {
        let e = RowError::new(RejectReason::MissingAccount, Some(ACCOUNT_KEYS[0]), "empty");
        return sink.reject(line, e);
    };
    let action = text(ACTION_KEYS).unwrap_or_default();
    let object = text(OBJECT_KEYS).unwrap_or_default();
    let ip = text(IP_KEYS).unwrap_or_default();
    let client = text(CLIENT_KEYS).unwrap_or_default();
    let is_export = EXPORT_OPERATIONS
        .iter()
        .any(|op| op.eq_ignore_ascii_case(&action));
    let records = if !is_export {
        None
    } else if action.eq_ignore_ascii_case("MailItemsAccessed") {
        match mail_items(rec) {
            Ok(n) => Some(n),
            Err(e) => return sink.reject(line, e),
        }
    } else {
        Some(1)
    };
    let event = RawEvent {
        time_ms,
        account: &account,
        action: &action,
        object: &object,
        records,
        bytes: None,
        src_ip: strip_port(&ip),
        client: &client,
    };
    let failed = text(&["ResultStatus"])
        .is_some_and(|s| s.eq_ignore_ascii_case("Failed") || s.eq_ignore_ascii_case("Failure"));
    if !is_export || failed {
        sink.context(&event);
    } else if let Some(id) = text(ID_KEYS) {
        sink.used_once(&format!("m365:{id}"), &event);
    } else {
        sink.used(&event);
    }
}

/// The number of mail items a `MailItemsAccessed` record covers: the items listed in
/// `Folders[].FolderItems` (an array, or a JSON string of one as Sentinel stores it), else its
/// `OperationCount`, else 1.
fn mail_items(rec: &Value) -> Result<i64, RowError> {
    let parsed;
    let folders = match rec.get("Folders") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            parsed = serde_json::from_str::<Value>(s).map_err(|e| {
                RowError::new(
                    RejectReason::Malformed,
                    Some("Folders"),
                    format!("invalid JSON: {e}"),
                )
            })?;
            Some(&parsed)
        }
        other => other,
    };
    let listed = folders
        .and_then(Value::as_array)
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f.get("FolderItems").and_then(Value::as_array))
                .map(|items| items.len() as i64)
                .fold(None, |acc: Option<i64>, n| Some(acc.unwrap_or(0) + n))
        })
        .unwrap_or(None);
    if let Some(n) = listed {
        return Ok(n);
    }
    let count = json_text(rec, "OperationCount").unwrap_or_default();
    match parse_count(&count) {
        Ok(n) => Ok(n.unwrap_or(1)),
        Err(e) => Err(RowError::new(
            RejectReason::BadRecords,
            Some("OperationCount"),
            e,
        )),
    }
}

/// Removes a port from a client address: `1.2.3.4:5678` and `[2001:db8::1]:443` become
/// `1.2.3.4` and `2001:db8::1`; a bare IPv6 address is left alone.
fn strip_port(ip: &str) -> &str {
    if let Some(rest) = ip.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match ip.split_once(':') {
        Some((host, port)) if !port.contains(':') => host,
        _ => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::EventTable;
    use crate::ingest::report::Reject;
    use crate::ingest::time::DAY_MS;

    const HOUR: i64 = 3_600_000;
    const MIN: i64 = 60_000;
    const SEC: i64 = 1000;

    fn run(data: &[u8]) -> crate::formats::common::testing::Parsed {
        crate::formats::common::testing::parse("t", SOURCE, |sink| read(data, sink))
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/m365/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// One row of the table as (account, action, object, records, ip, client).
    fn row(t: &EventTable, i: usize) -> (&str, &str, &str, Option<i64>, &str, &str) {
        (
            t.account_name(t.account[i]),
            t.actions.get(t.action[i]),
            t.objects.get(t.object[i]),
            t.records[i],
            t.ips.get(t.src_ip[i]),
            t.clients.get(t.client[i]),
        )
    }

    fn reasons(rej: &[Reject]) -> Vec<(u64, RejectReason, Option<&str>)> {
        rej.iter().map(|r| (r.line, r.reason, r.field)).collect()
    }

    #[test]
    fn real_sentinel_office_activity_record() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/real-logs/m365_ual/otrf-GoldenSAMLADFSMailAccess/OfficeActivityEvents.json"
        );
        let data = std::fs::read(path).expect("the real capture is in ../shared/real-logs");
        assert!(sniff(&data));
        let (t, rep, rej, res) = run(&data);
        assert_eq!(res, Ok(()));
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!((rep.rows_read, rep.rows_used, rep.rows_context), (1, 1, 0));
        // TimeGenerated 2021-08-02T13:32:07Z: 2021-08-02 is day 18841 (51 years with 13 leap
        // days = 18628 days to 2021-01-01, then 212 days of January to July, plus 1).
        assert_eq!(t.time[0], 18_841 * DAY_MS + 13 * HOUR + 32 * MIN + 7 * SEC);
        assert_eq!(
            row(&t, 0),
            (
                "pgustavo@simulandlabs.com",
                "MailItemsAccessed",
                // No ObjectId in a MailItemsAccessed record: the mailbox owner.
                "pgustavo@simulandlabs.com",
                // Folders (a JSON string in Sentinel) lists 7 FolderItems under \Inbox.
                Some(7),
                "1.2.3.4",
                // No UserAgent: the Graph client application's id.
                "5a95e683-08ad-424e-a441-1d1aec52c02c",
            )
        );
        assert_eq!(t.bytes[0], None);
    }

    #[test]
    fn purview_csv_export() {
        let data = fixture("purview_export.csv");
        assert!(sniff(&data));
        let (t, rep, rej, res) = run(&data);
        assert_eq!(res, Ok(()));
        // 8 rows: 5 used (one of them context), 2 rejected, and a repeat of row 2.
        assert_eq!((rep.rows_read, rep.rows_used, rep.rows_context), (8, 6, 1));
        assert_eq!(
            reasons(&rej),
            vec![
                (7, RejectReason::Malformed, Some("AuditData")),
                (8, RejectReason::BadTimestamp, Some("CreationDate")),
            ]
        );
        assert!(rej[1].detail.contains("yesterday"));
        // 2023-09-20 is day 19620 (19358 days to 2023-01-01, then 243 + 19).
        let sep20 = 19_620 * DAY_MS;
        // Line 2: ISO date with a trailing space and no zone.
        assert_eq!(t.time[0], sep20 + 4 * HOUR + 5 * MIN + 3 * SEC);
        assert_eq!(
            row(&t, 0),
            (
                "alice@contoso.com",
                "FileDownloaded",
                "https://contoso.sharepoint.com/sites/finance/Shared Documents/q3-forecast.xlsx",
                Some(1),
                "203.0.113.7",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
            )
        );
        // Line 3: US date in the afternoon; the port is removed; no ObjectId, so the file name.
        assert_eq!(t.time[1], sep20 + 16 * HOUR + 15 * MIN + 10 * SEC);
        assert_eq!(
            row(&t, 1),
            (
                "bob@contoso.com",
                "FileSyncDownloadedFull",
                "board-plan.docx",
                Some(1),
                "198.51.100.23",
                "Microsoft SkyDriveSync 23.184.0903.0001 ship; Windows NT 10.0 (19045)",
            )
        );
        // Line 4: 12:01 AM is just after midnight; 2 + 1 folder items, not OperationCount 5;
        // IPv6 in brackets with a port; no user agent, so the client application id.
        assert_eq!(t.time[2], sep20 + DAY_MS + MIN);
        assert_eq!(
            row(&t, 2),
            (
                "carol@contoso.com",
                "MailItemsAccessed",
                "carol@contoso.com",
                Some(3),
                "2001:db8::5",
                "c0ffee00-1111-2222-3333-444455556666",
            )
        );
        // Line 5: no Folders, so OperationCount; the client info string as client.
        assert_eq!(t.time[3], sep20 + DAY_MS + 8 * HOUR);
        assert_eq!(t.records[3], Some(12));
        assert_eq!(t.clients.get(t.client[3]), "Client=OWA;Action=ViaProxy");
        // Line 6: a sign-in is context.
        assert_eq!(t.actions.get(t.action[4]), "UserLoggedIn");
        assert_eq!(t.records[4], None);
        assert_eq!(t.ips.get(t.src_ip[4]), "192.0.2.10");
        // Line 9 repeats record 5d1c2a7e-0001: an event again, but its file counts once.
        assert_eq!(t.len(), 6);
        assert_eq!(t.actions.get(t.action[5]), "FileDownloaded");
        assert_eq!(t.records[0].unwrap_or(0) + t.records[5].unwrap_or(0), 1);
    }

    #[test]
    fn old_csv_export() {
        let data = fixture("old_export.csv");
        assert!(sniff(&data));
        let (t, rep, rej, res) = run(&data);
        assert_eq!(res, Ok(()));
        assert_eq!((rep.rows_read, rep.rows_used, rep.rows_context), (4, 3, 1));
        assert_eq!(
            reasons(&rej),
            vec![(4, RejectReason::MissingAccount, Some("UserId"))]
        );
        // 2019-03-04 is day 17959 (49 years with 12 leap days = 17897 days to 2019-01-01,
        // then 59 + 3).
        let mar4 = 17_959 * DAY_MS;
        assert_eq!(t.time[0], mar4 + 10 * HOUR + 20 * MIN + 30 * SEC);
        assert_eq!(
            row(&t, 0),
            (
                "dave@contoso.com",
                "FileDownloaded",
                "https://contoso-my.sharepoint.com/personal/dave/Documents/hr-salaries.csv",
                Some(1),
                "203.0.113.50",
                "python-requests/2.31.0",
            )
        );
        assert_eq!(t.time[1], mar4 + 11 * HOUR);
        assert_eq!(
            row(&t, 1),
            (
                "dave@contoso.com",
                "SearchExported",
                "Case 42 - all mailboxes",
                Some(1),
                "203.0.113.50",
                "",
            )
        );
        assert_eq!(t.actions.get(t.action[2]), "FileModified");
        assert_eq!(t.records[2], None);
    }

    #[test]
    fn management_api_json_array() {
        let data = fixture("management_api.json");
        assert!(sniff(&data));
        let (t, rep, rej, res) = run(&data);
        assert_eq!(res, Ok(()));
        assert_eq!((rep.rows_read, rep.rows_used, rep.rows_context), (6, 4, 2));
        // Records are numbered by their index in the array.
        assert_eq!(
            reasons(&rej),
            vec![
                (4, RejectReason::Malformed, None),
                (5, RejectReason::MissingTimestamp, Some("CreationTime")),
            ]
        );
        // 2024-01-15 is day 19737 (54 years with 13 leap days = 19723 days to 2024-01-01, + 14).
        let jan15 = 19_737 * DAY_MS;
        assert_eq!(t.time[0], jan15 + 22 * HOUR + 10 * MIN + 5 * SEC);
        assert_eq!(
            row(&t, 0),
            (
                "eve@contoso.com",
                "FileDownloaded",
                "https://contoso-my.sharepoint.com/personal/eve/Documents/customers.xlsx",
                Some(1),
                "198.51.100.9",
                "rclone/v1.65.0",
            )
        );
        assert_eq!(t.time[1], jan15 + 22 * HOUR + 10 * MIN + 9 * SEC);
        assert_eq!(
            row(&t, 1),
            (
                "eve@contoso.com",
                "FileCopied",
                "https://contoso.sharepoint.com/sites/sales/",
                Some(1),
                "198.51.100.9",
                "rclone/v1.65.0",
            )
        );
        assert_eq!(
            (t.actions.get(t.action[2]), t.records[2]),
            ("UserLoggedIn", None)
        );
        // A failed download is context.
        assert_eq!(
            (t.actions.get(t.action[3]), t.records[3]),
            ("FileDownloaded", None)
        );
    }

    #[test]
    fn json_lines_and_a_pretty_printed_object() {
        let lines = b"{\"CreationTime\":\"2024-01-15T22:10:05\",\"UserId\":\"u@x\",\"Operation\":\"FileAccessed\",\"ClientIP\":\"2001:db8::9\",\"Workload\":\"SharePoint\",\"RecordType\":6}\n\
                      \n\
                      {broken\n\
                      {\"CreationTime\":\"2024-01-15T22:10:06\",\"UserId\":\"u@x\",\"Operation\":\"MailItemsAccessed\",\"OperationCount\":\"lots\"}\n";
        assert!(sniff(lines));
        let (t, rep, rej, _) = run(lines);
        assert_eq!((rep.rows_read, rep.rows_used), (3, 1));
        assert_eq!(
            reasons(&rej),
            vec![
                (3, RejectReason::Malformed, None),
                (4, RejectReason::BadRecords, Some("OperationCount")),
            ]
        );
        assert_eq!(t.records[0], Some(1));
        assert_eq!(
            t.ips.get(t.src_ip[0]),
            "2001:db8::9",
            "bare IPv6 is kept whole"
        );

        let pretty = b"{\n  \"TimeGenerated\": \"2021-08-02T13:32:07Z\",\n  \"UserId\": \"p@x\",\n  \"Operation\": \"FileDownloaded\",\n  \"Client_IPAddress\": \"1.2.3.4:80\"\n}\n";
        let (t, rep, rej, res) = run(pretty);
        assert_eq!(res, Ok(()));
        assert!(rej.is_empty());
        assert_eq!(rep.rows_used, 1);
        assert_eq!(t.time[0], 18_841 * DAY_MS + 13 * HOUR + 32 * MIN + 7 * SEC);
        assert_eq!(t.ips.get(t.src_ip[0]), "1.2.3.4");
    }

    #[test]
    fn not_this_format() {
        let (_, _, _, res) = run(b"timestamp,account\n2025-01-01T00:00:00Z,a\n");
        assert!(res.unwrap_err().contains("CreationDate"));
        let (_, _, _, res) = run(b"[{\"a\": ");
        assert!(res.unwrap_err().contains("not a JSON array"));
        // A truncated array keeps the records before the break and says where it stopped.
        let (_, rep, rej, res) = run(b"[1, 2");
        assert_eq!(res, Ok(()));
        assert_eq!((rep.rows_read, rej.len()), (2, 2));
        assert!(rep
            .stopped_early
            .is_some_and(|s| s.contains("after record 2")));
        assert!(!sniff(b"timestamp,account,records\n"));
        assert!(!sniff(
            b"{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\"}\n"
        ));
        assert!(!sniff(b"{\"Records\":[{\"eventName\":\"GetObject\"}]}"));
        assert!(!sniff(b""));
        assert!(sniff(
            b"\xef\xbb\xbf\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\r\n"
        ));
    }

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("1.2.3.4:5678"), "1.2.3.4");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("[2001:db8::1]"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("1.2.3.4"), "1.2.3.4");
        assert_eq!(strip_port(""), "");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_csv_never_panics_and_reconciles(data in "[a-zA-Z0-9,:/\"{}\\[\\] .\\-\\n]{0,300}") {
            let text = format!("RecordId,CreationDate,Operation,UserId,AuditData\n{data}");
            let (t, rep, rej, _) = run(text.as_bytes());
            crate::formats::common::testing::reconciles(&t, &rep, &rej)?;
        }

        #[test]
        fn arbitrary_json_never_panics_and_reconciles(data in "[a-zA-Z0-9,:/\"{}\\[\\] .\\-\\n]{0,300}", array in proptest::bool::ANY) {
            let text = if array { format!("[{data}") } else { format!("{{{data}") };
            let (t, rep, rej, _) = run(text.as_bytes());
            crate::formats::common::testing::reconciles(&t, &rep, &rej)?;
            let _ = sniff(text.as_bytes());
        }
    }
}
