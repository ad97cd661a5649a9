//! Google Workspace Drive audit, from the Admin SDK Reports API (FORMATS.md, section 5).
//!
//! Input is the API's response document, `{"kind":"admin#reports#activities","items":[...]}`
//! (pages saved one after another are read in turn), or one activity object per line. An
//! activity is one actor at one time from one address, and carries one or more `events`; **each
//! event is one row** (rows read, used and rejected count events), and all events of an
//! activity share its line number (the line for one-activity-per-line files, the 1-based index of
//! the activity for documents). An activity with no events is one rejected row.
//!
//! | canonical | read from                                                                   |
//! |-----------|-----------------------------------------------------------------------------|
//! | time      | `id.time` (RFC 3339)                                                        |
//! | account   | `actor.email`, else `actor.profileId`, else `actor.key` (`callerType` `KEY`)   |
//! | action    | the event's `name`                                                          |
//! | object    | the event's `doc_title` parameter, else `doc_id`                            |
//! | records   | 1 (one document) for `download`, `copy`, `print`, `access_item_content`      |
//! | bytes     | none: Drive audit has no byte counts                                        |
//! | src_ip    | `ipAddress`                                                                 |
//! | client    | `actor.applicationInfo`: `applicationName (oauthClientId)`, or either alone  |
//!
//! Export events count once per (`id.time`, `id.uniqueQualifier`, event position), so two API
//! pulls that overlap do not count the same download twice. Every other event (views, edits,
//! sharing changes) is context. Parameters carry their value in `value`, `intValue`,
//! `boolValue` or `multiValue` (joined with `,`).

use super::common::{json_first_text, json_key_value, json_text, read_json_records, RowError};
use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::parse_timestamp;
use crate::ingest::RowSink;
use serde_json::Value;
use std::borrow::Cow;
use std::io::Read;

/// The `--log-format` name.
pub const NAME: &str = "google-drive";
/// The log family: accounts are Google Workspace users.
pub const SOURCE: &str = "google-workspace";

pub const FIELDS: &[(&str, &str)] = &[
    ("timestamp", "id.time"),
    ("account", "actor.email, else actor.profileId, actor.key"),
    ("action", "events[].name (one row per event)"),
    ("object", "events[].parameters doc_title, else doc_id"),
    (
        "records",
        "1 per download, copy, print, access_item_content event",
    ),
    ("bytes", "(none)"),
    ("src_ip", "ipAddress"),
    (
        "client",
        "actor.applicationInfo.applicationName (oauthClientId)",
    ),
];

/// Event names that read a document out of Drive: one record (document) each.
const EXPORTS: &[&str] = &["download", "copy", "print", "access_item_content"];
/// What identifies the actor, in order of preference.
const ACTOR: &[&str] = &["actor.email", "actor.profileId", "actor.key"];
/// Which parameter names the object, in order of preference.
const OBJECT: &[&str] = &["doc_title", "doc_id"];
/// The members of a parameter that may hold its value.
const VALUE_KEYS: &[&str] = &["value", "intValue", "boolValue"];
/// The envelope member of an API response that holds the activities.
const ITEMS: &str = "items";

/// Whether the head of a file looks like Reports API activities: JSON starting with an object
/// that names the activity kind (`admin#reports#activities` / `#activity`), or has an `id` with
/// `applicationName` `drive` together with `actor` and `events`.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let kind =
        json_key_value(head, b"kind").is_some_and(|v| v.starts_with(b"\"admin#reports#activit"));
    let drive = json_key_value(head, b"applicationName")
        .is_some_and(|v| v.starts_with(b"\"drive\""))
        && json_key_value(head, b"actor").is_some()
        && json_key_value(head, b"events").is_some();
    kind || drive
}

/// Reads a Reports API response or one activity per line. `Err` only when the file is not JSON
/// records at all.
pub fn read(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_json_records(input, sink, ITEMS, read_activity)
}

/// What all events of one activity share.
struct Activity<'a> {
    time_ms: i64,
    account: Cow<'a, str>,
    src_ip: Cow<'a, str>,
    client: String,
    /// The key of the activity for counting its exports once, if it has one.
    once: Option<String>,
}

/// Maps each event of one activity to an export, a context event or a reject.
fn read_activity(a: &Value, line: u64, sink: &mut RowSink<'_>) {
    let events = match a.get("events").and_then(Value::as_array) {
        Some(events) if !events.is_empty() => events,
        _ => {
            let err = RowError::new(RejectReason::Malformed, None, "activity has no events");
            return sink.reject(line, err);
        }
    };
    let shared = match activity(a) {
        Ok(shared) => shared,
        Err(err) => {
            for _ in events {
                sink.reject(line, err.clone());
            }
            return;
        }
    };
    for (i, event) in events.iter().enumerate() {
        if !event.is_object() {
            let err = RowError::new(RejectReason::Malformed, None, "event is not an object");
            sink.reject(line, err);
            continue;
        }
        let action = json_text(event, "name").unwrap_or_default();
        let object = OBJECT
            .iter()
            .find_map(|name| param(event, name).filter(|v| !v.trim().is_empty()))
            .unwrap_or_default();
        let export = EXPORTS.contains(&action.as_ref());
        let e = RawEvent {
            time_ms: shared.time_ms,
            account: &shared.account,
            action: action.trim(),
            object: object.trim(),
            records: export.then_some(1),
            bytes: None,
            src_ip: shared.src_ip.trim(),
            client: &shared.client,
        };
        match (export, &shared.once) {
            (true, Some(key)) => sink.used_once(&format!("{key}:{i}"), &e),
            (true, None) => sink.used(&e),
            (false, _) => sink.context(&e),
        }
    }
}

/// Reads the time, actor, address and client of an activity.
fn activity(a: &Value) -> Result<Activity<'_>, RowError> {
    let ts = json_text(a, "id.time").unwrap_or_default();
    if ts.trim().is_empty() {
        return Err(RowError::new(
            RejectReason::MissingTimestamp,
            Some("timestamp"),
            "no id.time",
        ));
    }
    let time_ms = parse_timestamp(&ts).map_err(|e| {
        RowError::new(
            RejectReason::BadTimestamp,
            Some("timestamp"),
            format!("id.time: {e}: {:?}", excerpt(&ts)),
        )
    })?;
    let (_, account) = json_first_text(a, ACTOR).ok_or_else(|| {
        RowError::new(
            RejectReason::MissingAccount,
            Some("account"),
            "actor has no email, profileId or key",
        )
    })?;
    let app = json_text(a, "actor.applicationInfo.applicationName").unwrap_or_default();
    let app_id = json_text(a, "actor.applicationInfo.oauthClientId").unwrap_or_default();
    let client = match (app.trim(), app_id.trim()) {
        ("", id) => id.to_owned(),
        (name, "") => name.to_owned(),
        (name, id) => format!("{name} ({id})"),
    };
    let once = json_text(a, "id.uniqueQualifier")
        .filter(|q| !q.trim().is_empty())
        .map(|q| format!("google-drive:{time_ms}:{}", q.trim()));
    Ok(Activity {
        time_ms,
        account,
        src_ip: json_text(a, "ipAddress").unwrap_or_default(),
        client,
        once,
    })
}

/// The value of the event parameter called `name`, whichever member holds it.
fn param<'a>(event: &'a Value, name: &str) -> Option<Cow<'a, str>> {
    let p = event
        .get("parameters")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?;
    if let Some(v) = VALUE_KEYS.iter().find_map(|k| json_text(p, k)) {
        return Some(v);
    }
    let values: Vec<&str> = p
        .get("multiValue")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Some(Cow::Owned(values.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::common::testing::Run;
    use crate::ingest::time::{DAY_MS, HOUR_MS};

    fn run(input: impl Read) -> Run {
        crate::formats::common::testing::parse("drive.json", SOURCE, |sink| read(input, sink))
            .into()
    }

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/google-drive/drive_activities.json"
    );

    /// 2025-01-23T00:00:00Z: day 20111 since the epoch (see ingest::time's tests).
    const JAN23: i64 = 20_111 * DAY_MS;
    const SYNCPRO: &str = "SyncPro Backup (407408718192-k4b1q0vq2c.apps.googleusercontent.com)";

    #[test]
    fn api_response_maps_each_event() {
        let r = run(std::fs::File::open(FIXTURE).unwrap());
        assert!(r.res.is_ok(), "{:?}", r.res);
        // Rows are events: 1 + 2 + 2 + 1 + 2 (bad time) + 1 (repeat of the first) + 1 (no
        // events). Exports: download, copy, access_item_content, print, and the repeat.
        assert_eq!(
            (r.rep.rows_read, r.rep.rows_used, r.rep.rows_context),
            (10, 7, 2)
        );
        assert_eq!(r.rep.rows_rejected(), 3);
        let t = &r.t;
        let row = |i: usize| {
            (
                t.account_name(t.account[i]),
                t.actions.get(t.action[i]),
                t.objects.get(t.object[i]),
                t.records[i],
                t.ips.get(t.src_ip[i]),
                t.clients.get(t.client[i]),
            )
        };
        assert_eq!(
            row(0),
            (
                "maria@acme.example",
                "download",
                "Q4 pipeline",
                Some(1),
                "203.0.113.7",
                ""
            )
        );
        assert_eq!(t.time[0], JAN23 + 2 * HOUR_MS + 14 * 60_000 + 7_512);
        // An OAuth app acting for maria: two documents in one activity.
        assert_eq!(
            row(1),
            (
                "maria@acme.example",
                "copy",
                "Customer list",
                Some(1),
                "198.51.100.23",
                SYNCPRO
            )
        );
        assert_eq!(
            row(2),
            (
                "maria@acme.example",
                "access_item_content",
                "1zZ9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF",
                Some(1),
                "198.51.100.23",
                SYNCPRO
            )
        );
        assert_eq!(t.time[2], JAN23 + 3 * HOUR_MS + 5 * 60_000);
        // A view is context, the print next to it an export.
        assert_eq!(
            row(3),
            (
                "bob@acme.example",
                "view",
                "Roadmap 2025",
                None,
                "192.0.2.15",
                ""
            )
        );
        assert_eq!(row(4).1, "print");
        assert_eq!(row(4).3, Some(1));
        // No email: the profile id is the actor.
        assert_eq!(row(5).0, "108123456789012345678");
        assert_eq!(row(5).1, "change_user_access");
        assert_eq!(row(5).3, None);
        // The same download pulled twice: an event, but its document counts once.
        assert_eq!(row(6).1, "download");
        assert_eq!(row(6).3, None);
        assert_eq!(t.time[6], t.time[0]);
        assert_eq!(t.records.iter().flatten().sum::<i64>(), 4);

        let rej: Vec<_> = r.rej.iter().map(|j| (j.line, j.reason)).collect();
        assert_eq!(
            rej,
            vec![
                (5, RejectReason::BadTimestamp),
                (5, RejectReason::BadTimestamp),
                (7, RejectReason::Malformed)
            ]
        );
        assert!(r.rej[0].detail.contains("02:61"), "{}", r.rej[0].detail);
    }

    #[test]
    fn one_activity_per_line() {
        let data = concat!(
            r#"{"kind":"admin#reports#activity","id":{"time":"2025-01-23T04:00:00Z","applicationName":"drive"},"actor":{"email":"eve@acme.example","applicationInfo":{"oauthClientId":"99-x.apps.googleusercontent.com"}},"ipAddress":"192.0.2.7","events":[{"name":"download","parameters":[{"name":"doc_id","value":"d1"},{"name":"doc_title","multiValue":["a","b"]}]}]}"#,
            "\n",
            "{not json\n",
            r#"{"id":{"time":"2025-01-23T04:00:01Z"},"actor":{"callerType":"USER"},"events":[{"name":"view"}]}"#,
            "\n\n",
            r#"{"id":{"applicationName":"drive"},"actor":{"email":"eve@acme.example"},"events":[{"name":"download"},{"name":"copy"}]}"#,
            "\n",
            r#"{"id":{"time":"2025-01-23T04:00:02Z"},"actor":{"email":"eve@acme.example"},"events":[{"name":"edit","parameters":[{"name":"doc_title","value":"  "},{"name":"doc_id","value":"d2"}]}, 3]}"#,
            "\n",
            r#"{"id":{"time":"2025-01-23T04:00:03Z"},"actor":{"callerType":"KEY","key":"SYSTEM"},"events":[{"name":"sync_item_content"}]}"#,
        );
        let r = run(data.as_bytes());
        assert!(r.res.is_ok());
        let t = &r.t;
        assert_eq!(t.len(), 3);
        assert_eq!(t.account_name(t.account[0]), "eve@acme.example");
        assert_eq!(
            t.clients.get(t.client[0]),
            "99-x.apps.googleusercontent.com"
        );
        assert_eq!(t.objects.get(t.object[0]), "a,b");
        assert_eq!(t.records[0], Some(1));
        assert_eq!(t.time[0], JAN23 + 4 * HOUR_MS);
        assert_eq!(t.objects.get(t.object[1]), "d2", "a blank title falls back");
        assert_eq!(t.records[1], None);
        assert_eq!(
            t.account_name(t.account[2]),
            "SYSTEM",
            "a KEY caller names itself"
        );
        let rej: Vec<_> = r.rej.iter().map(|j| (j.line, j.reason)).collect();
        assert_eq!(
            rej,
            vec![
                (2, RejectReason::Malformed),
                (3, RejectReason::MissingAccount),
                (5, RejectReason::MissingTimestamp),
                (5, RejectReason::MissingTimestamp),
                (6, RejectReason::Malformed)
            ]
        );
        assert_eq!(r.rep.rows_read, 8);
    }

    #[test]
    fn sniffs_reports_api_only() {
        assert!(sniff(&std::fs::read(FIXTURE).unwrap()));
        assert!(sniff(
            br#"{"id":{"time":"2025-01-23T04:00:00Z","applicationName":"drive"},"actor":{"email":"e"},"events":[]}"#
        ));
        assert!(sniff(br#"{"kind": "admin#reports#activity", "id": {"#));
        assert!(!sniff(
            br#"{"id":{"applicationName":"login"},"actor":{"email":"e"},"events":[]}"#
        ));
        assert!(!sniff(
            b"{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\"}\n"
        ));
        assert!(!sniff(b"{\"Records\":[{\"eventVersion\":\"1.08\"}]}"));
        assert!(!sniff(b"kind,actor,events\n"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics_and_reconciles(
            text in "[{}\\[\\]\"a-zA-Z0-9:,.#\\- \\n]{0,300}"
        ) {
            let _ = sniff(text.as_bytes());
            for data in [text.clone(), format!("{{\"items\":[{{\"events\":[{text}")] {
                let r = run(data.as_bytes());
                crate::formats::common::testing::reconciles(&r.t, &r.rep, &r.rej)?;
            }
        }
    }
}
