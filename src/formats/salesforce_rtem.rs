//! Salesforce Real-Time Event Monitoring exports: `ApiEvent`, `ReportEvent` and
//! `BulkApiResultEvent` records exported by query, as CSV or as JSON (a REST query result
//! `{"records":[...]}`, a JSON array, or one record per line). FORMATS.md section 2.
//!
//! The mapping is a table ([`MAP`]): each canonical field is read from the first of its candidate
//! columns present. The account is the user id in its 15-character form, the same key as in Event
//! Log Files (so both sources of one org share baselines); `Username` names it in alerts. A record
//! whose `EventIdentifier` was already seen (overlapping exports) counts once.
//!
//! | record | volume |
//! |---|---|
//! | `ApiEvent` | records `RowsReturned`, else `RowsProcessed` |
//! | `ReportEvent` | records `RowsProcessed` |
//! | `BulkApiResultEvent` | an export event without volume (Salesforce gives none; the job's volume is in its BulkApi rows) |
//!
//! The record type is `attributes.type` in JSON; in CSV it is recognised from the columns
//! (`ReportId` -> `ReportEvent`; `RowsReturned` or `Query` -> `ApiEvent`; `JobId` without a row
//! count -> `BulkApiResultEvent`).

use super::common::{json_text, parse_count, read_csv_rows, read_json_lines, RowError};
use super::salesforce::id15;
use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::parse_timestamp;
use crate::ingest::RowSink;
use std::borrow::Cow;
use std::io::Read;

pub const NAME: &str = "salesforce-rtem";
pub const SOURCE: &str = super::salesforce::SOURCE;

/// A canonical slot of the mapping table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Time,
    UserId,
    Username,
    Operation,
    Object,
    RowsReturned,
    RowsProcessed,
    SourceIp,
    Client,
    EventId,
    ReportId,
    JobId,
    Query,
}

/// The mapping: canonical slot -> candidate columns, in order of preference.
const MAP: &[(Slot, &[&str])] = &[
    (Slot::Time, &["EventDate", "CreatedDate"]),
    (Slot::UserId, &["UserId"]),
    (Slot::Username, &["Username"]),
    (
        Slot::Operation,
        &["Operation", "ExportFileFormat", "Format"],
    ),
    (Slot::Object, &["QueriedEntities", "ReportId", "JobId"]),
    (Slot::RowsReturned, &["RowsReturned"]),
    (Slot::RowsProcessed, &["RowsProcessed"]),
    (Slot::SourceIp, &["SourceIp"]),
    (
        Slot::Client,
        &["UserAgent", "Client", "Application", "ConnectedAppId"],
    ),
    (Slot::EventId, &["EventIdentifier"]),
    (Slot::ReportId, &["ReportId"]),
    (Slot::JobId, &["JobId"]),
    (Slot::Query, &["Query"]),
];

pub const FIELDS: &[(&str, &str)] = &[
    ("timestamp", "EventDate"),
    (
        "account",
        "UserId as the 15-character id; named by Username",
    ),
    (
        "action",
        "record type (attributes.type, or from the columns) : Operation",
    ),
    ("object", "QueriedEntities, ReportId, JobId"),
    (
        "records",
        "RowsReturned, else RowsProcessed (ApiEvent); RowsProcessed (ReportEvent)",
    ),
    ("bytes", "(none)"),
    ("src_ip", "SourceIp"),
    ("client", "UserAgent, Client, Application, ConnectedAppId"),
];

/// Whether the first bytes look like an RTEM export: CSV with `EventDate`, `UserId` and one of
/// the event-specific columns, or JSON records typed `ApiEvent` / `ReportEvent` /
/// `BulkApiResultEvent`.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(8192)]);
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return ["\"ApiEvent\"", "\"ReportEvent\"", "\"BulkApiResultEvent\""]
            .iter()
            .any(|k| text.contains(k))
            && text.contains("\"EventDate\"");
    }
    let first = t.lines().next().unwrap_or_default();
    let cols: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |n: &str| cols.iter().any(|c| c == &n.to_ascii_lowercase());
    has("EventDate")
        && has("UserId")
        && [
            "RowsProcessed",
            "QueriedEntities",
            "ReportId",
            "JobId",
            "RowsReturned",
        ]
        .iter()
        .any(|c| has(c))
}

/// The record types this format reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Api,
    Report,
    BulkResult,
}

impl Kind {
    fn from_type(t: &str) -> Option<Kind> {
        match t {
            "ApiEvent" | "ApiEventStream" => Some(Kind::Api),
            "ReportEvent" | "ReportEventStream" => Some(Kind::Report),
            "BulkApiResultEvent" | "BulkApiResultEventStore" => Some(Kind::BulkResult),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Api => "ApiEvent",
            Kind::Report => "ReportEvent",
            Kind::BulkResult => "BulkApiResultEvent",
        }
    }
}

/// Turns one record, given as a lookup of its slots, into an event.
fn emit<'v>(
    kind: Option<Kind>,
    get: &dyn Fn(Slot) -> Option<Cow<'v, str>>,
    sink: &mut RowSink<'_>,
) -> Result<(), RowError> {
    let text = |s: Slot| get(s).map(|v| v.trim().to_owned()).unwrap_or_default();
    let kind = kind
        .or_else(|| {
            if !text(Slot::ReportId).is_empty() {
                Some(Kind::Report)
            } else if get(Slot::RowsReturned).is_some() || get(Slot::Query).is_some() {
                Some(Kind::Api)
            } else if !text(Slot::JobId).is_empty() {
                Some(Kind::BulkResult)
            } else if get(Slot::RowsProcessed).is_some() {
                Some(Kind::Api)
            } else {
                None
            }
        })
        .ok_or_else(|| {
            RowError::new(
                RejectReason::Malformed,
                None,
                "not an ApiEvent, ReportEvent or BulkApiResultEvent",
            )
        })?;
    let ts = text(Slot::Time);
    if ts.is_empty() {
        return Err(RowError::new(
            RejectReason::MissingTimestamp,
            Some("EventDate"),
            "empty",
        ));
    }
    let time_ms = parse_timestamp(&ts).map_err(|e| {
        RowError::new(
            RejectReason::BadTimestamp,
            Some("EventDate"),
            format!("{e}: {:?}", excerpt(&ts)),
        )
    })?;
    let user_id = text(Slot::UserId);
    if user_id.is_empty() {
        return Err(RowError::new(
            RejectReason::MissingAccount,
            Some("UserId"),
            "empty",
        ));
    }
    let account = id15(&user_id).to_owned();
    let rows = |s: Slot, field: &'static str| {
        parse_count(&text(s)).map_err(|e| RowError::new(RejectReason::BadRecords, Some(field), e))
    };
    let records = match kind {
        Kind::Api => match rows(Slot::RowsReturned, "RowsReturned")? {
            Some(r) => Some(r),
            None => rows(Slot::RowsProcessed, "RowsProcessed")?,
        },
        Kind::Report => rows(Slot::RowsProcessed, "RowsProcessed")?,
        Kind::BulkResult => None,
    };
    let op = text(Slot::Operation);
    let action = if op.is_empty() {
        kind.name().to_owned()
    } else {
        format!("{}:{op}", kind.name())
    };
    let username = text(Slot::Username);
    if !username.is_empty() {
        sink.alias(&account, &username);
    }
    let object = text(Slot::Object);
    let ip = text(Slot::SourceIp);
    let client = text(Slot::Client);
    let e = RawEvent {
        time_ms,
        account: &account,
        action: &action,
        object: &object,
        records,
        bytes: None,
        src_ip: &ip,
        client: &client,
    };
    match text(Slot::EventId) {
        id if !id.is_empty() => sink.used_once(&format!("salesforce:event:{id}"), &e),
        _ => sink.used(&e),
    }
    Ok(())
}

/// The candidate columns of a slot.
fn candidates(slot: Slot) -> &'static [&'static str] {
    MAP.iter().find(|(s, _)| *s == slot).map_or(&[], |(_, c)| c)
}

/// Reads one RTEM export, CSV or JSON.
pub fn read(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(|e| e.to_string())?;
    match head.iter().copied().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => read_json(input, sink),
        _ => read_csv(input, sink),
    }
}

fn read_csv(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_csv_rows(
        input,
        sink,
        |h| {
            let idx: Vec<(Slot, Option<usize>)> =
                MAP.iter().map(|(s, c)| (*s, h.find(c))).collect();
            if idx.iter().any(|(s, i)| *s == Slot::Time && i.is_none()) {
                return Err("not a Salesforce RTEM export: no EventDate column".into());
            }
            Ok(idx)
        },
        |idx, row, sink| {
            let mut bad = None;
            let get = |slot: Slot| -> Option<Cow<'_, str>> {
                let i = idx.iter().find(|(s, _)| *s == slot).and_then(|(_, i)| *i)?;
                row.get(Some(i), "column").ok().map(Cow::Borrowed)
            };
            for (_, i) in idx {
                if let Err(e) = row.get(*i, "column") {
                    bad = Some(e);
                }
            }
            let res = match bad {
                Some(e) => Err(e),
                None => emit(None, &get, sink),
            };
            if let Err(e) = res {
                sink.reject(row.line, e);
            }
        },
    )
}

fn read_json(mut input: impl std::io::BufRead, sink: &mut RowSink<'_>) -> Result<(), String> {
    let head = input.fill_buf().map_err(|e| e.to_string())?;
    let is_lines = {
        // One record per line: the first line is a whole object.
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        serde_json::from_slice::<serde_json::Value>(first)
            .is_ok_and(|v| v.get("records").is_none() && v.is_object())
    };
    let one = |v: &serde_json::Value, n: u64, sink: &mut RowSink<'_>| {
        let kind = v
            .pointer("/attributes/type")
            .and_then(|t| t.as_str())
            .and_then(Kind::from_type);
        let get = |slot: Slot| candidates(slot).iter().find_map(|c| json_text(v, c));
        if let Err(e) = emit(kind, &get, sink) {
            sink.reject(n, e);
        }
    };
    if is_lines {
        read_json_lines(input, sink, one);
        return Ok(());
    }
    let doc: serde_json::Value =
        serde_json::from_reader(input).map_err(|e| format!("invalid JSON document: {e}"))?;
    let records = match &doc {
        serde_json::Value::Array(a) => a,
        other => match other.get("records").and_then(|r| r.as_array()) {
            Some(a) => a,
            None => return Err("JSON without a \"records\" array".into()),
        },
    };
    for (i, v) in records.iter().enumerate() {
        let n = i as u64 + 1;
        if v.is_object() {
            one(v, n, sink);
        } else {
            sink.reject(
                n,
                RowError::new(
                    RejectReason::Malformed,
                    None,
                    format!("record {n} is not an object"),
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &str) -> crate::formats::common::testing::Parsed {
        crate::formats::common::testing::parse("rtem", SOURCE, |sink| read(data.as_bytes(), sink))
    }

    const CSV: &str = "\"EventDate\",\"EventIdentifier\",\"UserId\",\"Username\",\"SourceIp\",\"Client\",\"Operation\",\"QueriedEntities\",\"RowsProcessed\",\"RowsReturned\",\"Query\"\n\
        \"2025-06-30T02:14:07.000+0000\",\"e1\",\"0055j00000AT6I1AAL\",\"maria@x.example\",\"203.0.113.77\",\"python-requests/2.31.0\",\"Query\",\"Contact\",\"2500\",\"2000\",\"SELECT Id FROM Contact\"\n\
        \"2025-06-30T02:15:00.000+0000\",\"e1\",\"0055j00000AT6I1AAL\",\"maria@x.example\",\"203.0.113.77\",\"python-requests/2.31.0\",\"Query\",\"Contact\",\"2500\",\"2000\",\"SELECT Id FROM Contact\"\n\
        \"2025-06-30T02:16:00.000+0000\",\"e2\",\"0055j00000AT6I1\",\"\",\"203.0.113.77\",\"python-requests/2.31.0\",\"QueryMore\",\"Contact\",\"900\",\"\",\"\"\n\
        \"yesterday\",\"e3\",\"0055j00000AT6I1\",\"\",\"\",\"\",\"Query\",\"Lead\",\"1\",\"1\",\"\"\n";

    #[test]
    fn api_events_from_csv() {
        assert!(sniff(CSV.as_bytes()));
        let (t, rep, rej, res) = run(CSV);
        assert!(res.is_ok());
        assert_eq!(
            (rep.rows_read, rep.rows_used, rep.rows_rejected()),
            (4, 3, 1)
        );
        assert_eq!(t.time[0], parse_timestamp("2025-06-30T02:14:07Z").unwrap());
        assert_eq!(t.account_name(t.account[0]), "0055j00000AT6I1");
        assert_eq!(
            t.account[0], t.account[2],
            "15- and 18-character ids are one account"
        );
        assert_eq!(
            t.account_display(t.account[0]),
            "0055j00000AT6I1 (maria@x.example)"
        );
        // RowsReturned is the exported volume; the repeated EventIdentifier counts once; a row
        // without RowsReturned falls back to RowsProcessed.
        assert_eq!(t.records, vec![Some(2000), None, Some(900)]);
        assert_eq!(t.actions.get(t.action[0]), "ApiEvent:Query");
        assert_eq!(t.objects.get(t.object[0]), "Contact");
        assert_eq!(t.ips.get(t.src_ip[0]), "203.0.113.77");
        assert_eq!(t.clients.get(t.client[0]), "python-requests/2.31.0");
        assert_eq!(
            (rej[0].line, rej[0].reason),
            (5, RejectReason::BadTimestamp)
        );
    }

    #[test]
    fn report_and_bulk_result_events_from_a_json_query_result() {
        let data = r#"{"totalSize":3,"done":true,"records":[
            {"attributes":{"type":"ReportEvent"},"EventDate":"2025-06-30T10:00:00.000+0000","UserId":"0055j00000BB2C3AAP","Username":"sam@x.example","ReportId":"00O5j000000AbCd","QueriedEntities":"Opportunity","RowsProcessed":12000,"Operation":"ReportExported","SourceIp":"198.51.100.7","EventIdentifier":"r1"},
            {"attributes":{"type":"BulkApiResultEvent"},"EventDate":"2025-06-30T11:00:00.000+0000","UserId":"0055j00000BB2C3AAP","JobId":"7505j000001AbCd","SourceIp":"198.51.100.7","EventIdentifier":"b1"},
            {"attributes":{"type":"LoginEvent"},"EventDate":"2025-06-30T11:00:00.000+0000","UserId":"0055j00000BB2C3AAP"}
        ]}"#;
        assert!(sniff(data.as_bytes()));
        let (t, rep, rej, res) = run(data);
        assert!(res.is_ok(), "{res:?}");
        assert_eq!(
            (rep.rows_read, rep.rows_used, rep.rows_rejected()),
            (3, 2, 1)
        );
        assert_eq!(t.records, vec![Some(12_000), None]);
        assert_eq!(t.objects.get(t.object[0]), "Opportunity");
        assert_eq!(t.actions.get(t.action[1]), "BulkApiResultEvent");
        assert_eq!(t.objects.get(t.object[1]), "7505j000001AbCd");
        assert_eq!(rej[0].line, 3, "the third record");
    }

    #[test]
    fn does_not_claim_generic_or_elf_files() {
        assert!(!sniff(b"timestamp,account,records\n"));
        assert!(!sniff(b"\"EVENT_TYPE\",\"TIMESTAMP\",\"USER_ID\"\n"));
        assert!(!sniff(
            b"{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\"}\n"
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(data in "[\\[\\]{}\"A-Za-z0-9,.:\\- \\n]{0,300}") {
            let (t, rep, rej, _) = run(&format!("\"EventDate\",\"UserId\",\"RowsProcessed\"\n{data}"));
            crate::formats::common::testing::reconciles(&t, &rep, &rej)?;
            let _ = run(&data);
        }
    }
}
