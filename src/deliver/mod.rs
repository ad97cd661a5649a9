//! Alert delivery: alerts appended to files or pushed to a webhook, Slack, or an OCSF consumer
//! (a SIEM's HTTP collector). HTTP sinks make one POST of JSON per alert, with retries
//! ([`http`]); file sinks append one JSON line per alert.
//!
//! # Sinks
//!
//! | sink | [`Sink::name`] (outbox key) | what it writes |
//! |------|-----------------------------|----------------|
//! | [`Sink::JsonlFile`] | `jsonl:<path>` | the alert record, one JSON line, exactly as `--format jsonl` writes it |
//! | [`Sink::OcsfFile`] | `ocsf:<path>` | an OCSF 1.5.0 Detection Finding per line ([`ocsf::detection_finding`]) |
//! | [`Sink::Webhook`] | `webhook` | POST of the envelope below |
//! | [`Sink::Slack`] | `slack` | POST of a Block Kit message for an incoming webhook ([`slack::slack_message`]) |
//! | [`Sink::OcsfWebhook`] | `ocsf-webhook` | POST of the Detection Finding |
//!
//! An update (an alert delivered before that has changed; same id) is a new line in a file
//! sink (readers keep the last line of each id), `activity_id` 2 (Update) in OCSF, `update:
//! true` in the envelope, and a message marked "(updated)" in Slack.
//!
//! The webhook envelope, one alert per request:
//!
//! ```json
//! {"type": "exfilwatch.alert", "version": 1, "update": false, "alert": { ... }}
//! ```
//!
//! `alert` is the alert record exactly as `--format jsonl` writes it (see [`crate::alert`]);
//! `update` is true when the alert was delivered before and has changed since (same `alert.id`:
//! receivers replace, not add). `version` is the envelope's version: fields are only added
//! within it.
//!
//! Every HTTP request can be signed (HMAC-SHA256, see [`http`] for the headers and how a
//! receiver verifies them). URLs and secrets come from environment variables
//! ([`Endpoint::from_env`]) and never appear in errors or logs; errors name the sink and the
//! variable: `webhook (EXFILWATCH_WEBHOOK_URL): HTTP 503 after 4 attempts`.
//!
//! A file line is written with one `write` in append mode and synced to disk before
//! [`deliver`] returns `Ok`; a line left unterminated by a crash is ended before the next one
//! is appended, so it spoils only itself.
//!
//! Delivery is synchronous (blocking): the caller loops over the pending alerts and records,
//! per alert and sink, whether [`deliver`] succeeded.

pub mod http;
pub mod ocsf;
pub mod slack;

pub use http::{post_json, Delivered, DeliveryError, Endpoint};
pub use ocsf::Activity;

use crate::alert::sanitize::neutralize;
use crate::alert::Alert;
use serde_json::{json, Value};
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The `type` of the webhook envelope.
pub const ENVELOPE_TYPE: &str = "exfilwatch.alert";
/// The `version` of the webhook envelope.
pub const ENVELOPE_VERSION: u32 = 1;
/// exfilwatch's version, as sinks report it.
pub const PRODUCT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where alerts go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Append alert records as JSON Lines.
    JsonlFile(PathBuf),
    /// Append OCSF Detection Findings as JSON Lines.
    OcsfFile(PathBuf),
    /// Generic JSON webhook: the envelope.
    Webhook(Endpoint),
    /// Slack incoming webhook.
    Slack(Endpoint),
    /// OCSF Detection Finding over HTTP.
    OcsfWebhook(Endpoint),
}

impl Sink {
    /// What kind of sink, in messages: `jsonl`, `ocsf`, `webhook`, `slack`, `ocsf-webhook`.
    pub fn kind(&self) -> &'static str {
        match self {
            Sink::JsonlFile(_) => "jsonl",
            Sink::OcsfFile(_) => "ocsf",
            Sink::Webhook(_) => "webhook",
            Sink::Slack(_) => "slack",
            Sink::OcsfWebhook(_) => "ocsf-webhook",
        }
    }

    /// Stable name, the key of pending deliveries: the kind, and for files `:<path>` (another
    /// file is another destination).
    pub fn name(&self) -> String {
        match self {
            Sink::JsonlFile(p) | Sink::OcsfFile(p) => format!("{}:{}", self.kind(), p.display()),
            _ => self.kind().to_owned(),
        }
    }

    /// The endpoint of an HTTP sink.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            Sink::Webhook(e) | Sink::Slack(e) | Sink::OcsfWebhook(e) => Some(e),
            Sink::JsonlFile(_) | Sink::OcsfFile(_) => None,
        }
    }

    /// What this sink writes or posts for `alert`.
    pub fn payload(&self, alert: &Alert, update: bool) -> Value {
        let activity = if update {
            Activity::Update
        } else {
            Activity::Create
        };
        match self {
            Sink::JsonlFile(_) => json!(alert),
            Sink::OcsfFile(_) | Sink::OcsfWebhook(_) => {
                ocsf::detection_finding(alert, activity, PRODUCT_VERSION)
            }
            Sink::Webhook(_) => envelope(alert, update),
            Sink::Slack(_) => slack::slack_message(alert, update),
        }
    }
}

/// The webhook envelope of one alert.
pub fn envelope(alert: &Alert, update: bool) -> Value {
    json!({
        "type": ENVELOPE_TYPE,
        "version": ENVELOPE_VERSION,
        "update": update,
        "alert": alert,
    })
}

/// Appends `v` as one line to `path` (created if missing) and syncs it to disk.
fn append_line(kind: &'static str, path: &Path, v: &Value) -> Result<(), DeliveryError> {
    let err = |e: std::io::Error| DeliveryError::File {
        sink: kind,
        path: neutralize(&path.display().to_string()).into_owned(),
        error: e.to_string(),
    };
    // Serialising a `Value` cannot fail; JSON escapes every newline inside strings.
    let mut line = serde_json::to_vec(v).expect("a JSON value serialises");
    line.push(b'\n');
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(err)?;
    if f.metadata().map_err(err)?.len() > 0 {
        // A line cut short by a crash: end it, so that this one stays readable.
        let mut last = [0u8];
        f.seek(SeekFrom::End(-1)).map_err(err)?;
        f.read_exact(&mut last).map_err(err)?;
        if last[0] != b'\n' {
            line.insert(0, b'\n');
        }
    }
    f.write_all(&line).map_err(err)?;
    f.sync_data().map_err(err)
}

/// Delivers one alert to one sink: appends it to a file, or POSTs it with the endpoint's
/// retries. `update` says the alert was delivered before and has changed. HTTP errors are
/// labelled `<kind> (<endpoint label>)`, e.g. `slack (EXFILWATCH_SLACK_URL)`.
pub fn deliver(sink: &Sink, alert: &Alert, update: bool) -> Result<(), DeliveryError> {
    let body = sink.payload(alert, update);
    let out = match sink {
        Sink::JsonlFile(p) | Sink::OcsfFile(p) => append_line(sink.kind(), p, &body),
        Sink::Webhook(ep) | Sink::Slack(ep) | Sink::OcsfWebhook(ep) => {
            let labelled = Endpoint {
                label: format!("{} ({})", sink.kind(), ep.label),
                ..ep.clone()
            };
            post_json(&labelled, &body).map(|d| {
                tracing::debug!(sink = sink.kind(), attempts = d.attempts, "posted");
            })
        }
    };
    match &out {
        Ok(()) => tracing::info!(sink = sink.kind(), alert = %alert.id, update, "alert delivered"),
        // The caller decides how loudly to report a failure (it stays queued).
        Err(e) => tracing::debug!(alert = %alert.id, "alert not delivered: {e}"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::BaselineOut;
    use crate::detect::Severity;

    fn alert() -> Alert {
        Alert {
            id: "ew-1".into(),
            account: "a".into(),
            account_name: None,
            source: "generic".into(),
            window_start: "2025-01-15T02:00:00Z".into(),
            window_end: "2025-01-15T03:00:00Z".into(),
            window_kind: "hour".into(),
            score: 4.0,
            severity: Severity::Low,
            records: Some(5),
            bytes: None,
            events: 1,
            distinct_objects: 1,
            baseline: BaselineOut {
                scope: "population".into(),
                measure: "records".into(),
                window_kind: "hour".into(),
                windows: 60,
                median: 1.0,
                p99: 2.0,
                tail_probability: 0.001,
                model: "pareto_tail".into(),
                hour_activity_rate: None,
                days_active_at_hour: None,
                days_observed: None,
                busy_day_factor: None,
                peer_day_factor: None,
                peer_day_share: None,
                peer_object: None,
                month_close_factor: None,
                bulk_hours: None,
                bulk_hours_off_hours: None,
                bulk_hours_tool_accounts: None,
            },
            reasons: vec![],
            new_ips: vec![],
            new_clients: vec![],
            new_ips_routine_accounts: Default::default(),
            new_clients_routine_accounts: Default::default(),
            top_objects: vec![],
            files: vec![],
            explanation: "x".into(),
            version: 1,
        }
    }

    #[test]
    fn envelope_shape() {
        let e = envelope(&alert(), true);
        assert_eq!(e["type"], "exfilwatch.alert");
        assert_eq!(e["version"], 1);
        assert_eq!(e["update"], true);
        let back: Alert = serde_json::from_value(e["alert"].clone()).unwrap();
        assert_eq!(back, alert());
        assert_eq!(e.as_object().unwrap().len(), 4);
    }

    #[test]
    fn sinks_pick_their_payload_and_name() {
        let ep = Endpoint::new("t", "http://127.0.0.1:9/").unwrap();
        let a = alert();
        assert_eq!(
            Sink::Webhook(ep.clone()).payload(&a, false)["type"],
            ENVELOPE_TYPE
        );
        assert!(Sink::Slack(ep.clone()).payload(&a, false)["blocks"].is_array());
        let o = Sink::OcsfWebhook(ep.clone()).payload(&a, true);
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["activity_id"], 2);
        let f = Sink::OcsfFile("x.ocsf".into()).payload(&a, false);
        assert_eq!(f["activity_id"], 1);
        let j = Sink::JsonlFile("x.jsonl".into()).payload(&a, true);
        assert_eq!(serde_json::from_value::<Alert>(j).unwrap(), a);
        assert_eq!(Sink::OcsfWebhook(ep.clone()).name(), "ocsf-webhook");
        assert_eq!(Sink::Webhook(ep.clone()).name(), "webhook");
        assert_eq!(Sink::Slack(ep).name(), "slack");
        assert_eq!(
            Sink::JsonlFile("out/a.jsonl".into()).name(),
            "jsonl:out/a.jsonl"
        );
        assert_eq!(Sink::OcsfFile("f.json".into()).name(), "ocsf:f.json");
    }
}
