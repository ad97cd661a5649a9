//! Alerts as OCSF Detection Findings (class 2004, schema 1.5.0).
//!
//! Schema version 1.5.0 is the first with `anomaly_analyses` on Detection Finding (and the
//! `anomaly_analysis`, `anomaly`, `baseline`, `observation` and `analysis_target` objects), which
//! carry exfilwatch's observed-versus-baseline evidence. Detection Finding has no top-level
//! `actor` or `src_endpoint`; the account and its new IPs are `evidences` (as OCSF models an
//! alert's actors and endpoints).
//!
//! # Mapping
//!
//! | OCSF attribute | value |
//! |----------------|-------|
//! | `class_uid`, `class_name` | `2004`, `Detection Finding` |
//! | `category_uid`, `category_name` | `2`, `Findings` |
//! | `activity_id`, `activity_name` | `1` `Create` (first delivery) or `2` `Update` (the alert changed) |
//! | `type_uid`, `type_name` | `200401` / `200402`, `Detection Finding: Create` / `: Update` |
//! | `time` | `window_end`, epoch ms (the finding is complete when its window closes) |
//! | `start_time`, `end_time`, `duration` | `window_start`, `window_end` (epoch ms, end exclusive), their difference |
//! | `severity_id`, `severity` | low `2` Low, medium `3` Medium, high `4` High, critical `5` Critical |
//! | `risk_level_id`, `risk_level` | low `1`, medium `2`, high `3`, critical `4` |
//! | `risk_score` | `score` rounded to an integer (OCSF's type); the exact score is in `unmapped.score` |
//! | `status_id`, `status` | `1` `New` |
//! | `is_alert` | `true` |
//! | `message` | `explanation` |
//! | `finding_info.uid` | `id` |
//! | `finding_info.title` | `Possible bulk data theft by <account>` (neutralised, cut) |
//! | `finding_info.desc` | `explanation` |
//! | `finding_info.types` | `["Potential Data Exfiltration"]` |
//! | `finding_info.data_sources` | `[source]` |
//! | `finding_info.first_seen_time`, `last_seen_time` | `window_start`, `window_end` (epoch ms) |
//! | `finding_info.analytic` | `name` `exfilwatch <window_kind> volume baseline`, `type_id` `2` `Behavioral`, `algorithm`, `version` |
//! | `metadata` | `version` `1.5.0`; `product` `{name, vendor_name: "exfilwatch", version}`; `correlation_uid` = `id` |
//! | `anomaly_analyses[]` | one per `reasons[]` entry, see below |
//! | `evidences[]` | `account` (`actor.user`), `new_ip` (`src_endpoint.ip`), `new_client` (`data.client`), each new value with `data.routine_accounts` (how many other accounts use it routinely) when the alert gives it, `object` (`resources` and `data.records`/`data.events`), `input_file` (`file`) |
//! | `resources[]` | `top_objects`: `{uid: object, name: object, type: "<source> object"}` |
//! | `unmapped` | `source`, `account`, `account_name`, `window_kind`, `score`, `records`, `bytes`, `events`, `distinct_objects`, `baseline` (the whole object), `reasons` (the whole array) |
//!
//! `evidences[].actor.user`: `uid` is `account` as the log spells it, `name` is
//! `account_name` when the logs gave a readable name, else `account`. A new IP that does not
//! parse as an IP address goes to `data.src_ip` instead of `src_endpoint.ip` (OCSF's `ip_t`
//! must be an address).
//!
//! Each `anomaly_analyses[]` entry: `analysis_targets` `[{name: account, type: "User Account"}]`;
//! `anomalies` `[{observation_parameter, observation_type, observed_pattern, observations}]`
//! with the reason's `observed` (for `new_ip` and `new_client`, the new values themselves);
//! `baselines` `[{observation_parameter, observation_type, observations}]` with its `typical`.
//! Observation values are strings (OCSF's type); numbers keep full precision.
//!
//! | factor | `observation_parameter` | `observation_type` | `observed_pattern` | baseline observation |
//! |--------|-------------------------|--------------------|--------------------|----------------------|
//! | `volume` | `<measure> per <window_kind> window` | Volume Analysis | `HIGH_VOLUME` | median per window |
//! | `run` | `<measure> over the run of active days` | Volume Analysis | `SURGE` | median day times the run's days |
//! | `off_hours` | `active at this hour of the week (1 = yes)` | Time Pattern Analysis | `OFF_HOURS` | share of such days active at this hour, or of the account's other bulk hours at such hours when that is larger (`baseline.bulk_hours_off_hours` of `bulk_hours`; with `bulk_hours_tool_accounts`, the bulk hours with a shared tool of its other regular users) |
//! | `dormant` | `days since the previous activity` | Time Pattern Analysis | `UNUSUAL_TIME` | share of gaps at least that long (the larger of the account's own and other accounts' absences) |
//! | `new_ip` | `source IPs new to the account` | Frequency Analysis | `UNSEEN` | share of days bringing a new IP |
//! | `new_client` | `clients new to the account` | Frequency Analysis | `UNSEEN` | share of days bringing a new client |
//! | `new_objects` | `objects new to the account` | Frequency Analysis | `UNSEEN` | share of windows bringing as many |
//! | `breadth` | `distinct objects read in the window` | Distribution Analysis | `RARE` | share of windows reading as many |
//! | other | the factor name | Other | (none) | `typical` |

use crate::alert::sanitize::cell;
use crate::alert::{Alert, ReasonOut};
use crate::detect::Severity;
use serde_json::{json, Map, Value};

/// The OCSF schema version the findings follow.
pub const OCSF_VERSION: &str = "1.5.0";
pub const CLASS_UID: u32 = 2004;
pub const CATEGORY_UID: u32 = 2;

/// Whether a finding is new or a revision of one sent before (same `finding_info.uid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Create,
    Update,
}

impl Activity {
    pub fn id(self) -> u32 {
        match self {
            Activity::Create => 1,
            Activity::Update => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activity::Create => "Create",
            Activity::Update => "Update",
        }
    }
}

/// OCSF `severity_id` and its caption.
pub fn severity_id(s: Severity) -> (u32, &'static str) {
    match s {
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF `risk_level_id` and its caption.
fn risk_level(s: Severity) -> (u32, &'static str) {
    match s {
        Severity::Low => (1, "Low"),
        Severity::Medium => (2, "Medium"),
        Severity::High => (3, "High"),
        Severity::Critical => (4, "Critical"),
    }
}

/// Epoch milliseconds of an RFC 3339 instant.
fn epoch_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A number as an observation value: integers without a fraction, others as Rust prints them
/// (shortest text that reads back exactly).
fn num_text(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// `observation_parameter`, `observation_type`, `observed_pattern`, baseline description.
fn factor_spec(r: &ReasonOut, a: &Alert) -> (String, &'static str, Option<&'static str>) {
    let measure = &a.baseline.measure;
    match r.factor.as_str() {
        "volume" => (
            format!("{measure} per {} window", a.window_kind),
            "Volume Analysis",
            Some("HIGH_VOLUME"),
        ),
        "run" => (
            format!("{measure} over the run of active days"),
            "Volume Analysis",
            Some("SURGE"),
        ),
        "off_hours" => (
            "active at this hour of the week (1 = yes)".into(),
            "Time Pattern Analysis",
            Some("OFF_HOURS"),
        ),
        "dormant" => (
            "days since the previous activity".into(),
            "Time Pattern Analysis",
            Some("UNUSUAL_TIME"),
        ),
        "new_ip" => (
            "source IPs new to the account".into(),
            "Frequency Analysis",
            Some("UNSEEN"),
        ),
        "new_client" => (
            "clients new to the account".into(),
            "Frequency Analysis",
            Some("UNSEEN"),
        ),
        "new_objects" => (
            "objects new to the account".into(),
            "Frequency Analysis",
            Some("UNSEEN"),
        ),
        "breadth" => (
            "distinct objects read in the window".into(),
            "Distribution Analysis",
            Some("RARE"),
        ),
        other => (other.to_owned(), "Other", None),
    }
}

fn anomaly_analysis(r: &ReasonOut, a: &Alert) -> Value {
    let (parameter, kind, pattern) = factor_spec(r, a);
    let values: Vec<Value> = match r.factor.as_str() {
        "new_ip" if !a.new_ips.is_empty() => {
            a.new_ips.iter().map(|v| json!({ "value": v })).collect()
        }
        "new_client" if !a.new_clients.is_empty() => a
            .new_clients
            .iter()
            .map(|v| json!({ "value": v }))
            .collect(),
        _ => vec![json!({ "value": num_text(r.observed) })],
    };
    let mut anomaly = json!({
        "observation_parameter": parameter,
        "observation_type": kind,
        "observations": values,
    });
    if let Some(p) = pattern {
        anomaly["observed_pattern"] = json!(p);
    }
    json!({
        "analysis_targets": [{ "name": a.account, "type": "User Account" }],
        "anomalies": [anomaly],
        "baselines": [{
            "observation_parameter": parameter,
            "observation_type": kind,
            "observations": [{ "value": num_text(r.typical) }],
        }],
    })
}

/// The last path component of an input file name (either separator).
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\'])
        .find(|s| !s.is_empty())
        .unwrap_or(path)
}

fn evidences(a: &Alert) -> Vec<Value> {
    let mut out = vec![json!({
        "name": "account",
        "actor": { "user": {
            "uid": a.account,
            "name": a.account_name.as_deref().unwrap_or(&a.account),
        } },
    })];
    for ip in &a.new_ips {
        let mut e = match ip.trim().parse::<std::net::IpAddr>() {
            Ok(addr) => json!({ "name": "new_ip", "src_endpoint": { "ip": addr.to_string() } }),
            Err(_) => json!({ "name": "new_ip", "data": { "src_ip": ip } }),
        };
        if let Some(n) = a.new_ips_routine_accounts.get(ip) {
            e["data"]["routine_accounts"] = json!(n);
        }
        out.push(e);
    }
    for c in &a.new_clients {
        let mut e = json!({ "name": "new_client", "data": { "client": c } });
        if let Some(n) = a.new_clients_routine_accounts.get(c) {
            e["data"]["routine_accounts"] = json!(n);
        }
        out.push(e);
    }
    for o in &a.top_objects {
        out.push(json!({
            "name": "object",
            "resources": [resource(&o.object, a)],
            "data": { "records": o.records, "events": o.events },
        }));
    }
    for f in &a.files {
        out.push(json!({
            "name": "input_file",
            "file": { "name": base_name(f), "path": f, "type_id": 1, "type": "Regular File" },
        }));
    }
    out
}

fn resource(object: &str, a: &Alert) -> Value {
    json!({ "uid": object, "name": object, "type": format!("{} object", a.source) })
}

/// The alert as an OCSF 1.5.0 Detection Finding (see the module docs for the mapping).
/// `product_version` is exfilwatch's version. A window bound that is not RFC 3339 (alerts are
/// written with RFC 3339 bounds, so only a hand-edited alert) leaves the time fields out and
/// `time` at the moment of the call.
pub fn detection_finding(alert: &Alert, activity: Activity, product_version: &str) -> Value {
    let a = alert;
    let start = epoch_ms(&a.window_start);
    let end = epoch_ms(&a.window_end);
    if start.is_none() || end.is_none() {
        tracing::warn!(alert = %a.id, "alert window is not RFC 3339; OCSF time fields left out");
    }
    let (sev_id, sev) = severity_id(a.severity);
    let (risk_id, risk) = risk_level(a.severity);
    let risk_score = if a.score.is_finite() {
        a.score.round().clamp(0.0, i32::MAX as f64) as i64
    } else {
        0
    };
    let mut finding_info = json!({
        "uid": a.id,
        "title": format!("Possible bulk data theft by {}", cell(&a.account, 80)),
        "desc": a.explanation,
        "types": ["Potential Data Exfiltration"],
        "data_sources": [a.source],
        "analytic": {
            "name": format!("exfilwatch {} volume baseline", a.window_kind),
            "type_id": 2,
            "type": "Behavioral",
            "algorithm": "per-account baselines; score is the sum of -log10 tail probabilities of the contributing factors",
            "version": product_version,
        },
    });
    let mut out = json!({
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": activity.id(),
        "activity_name": activity.name(),
        "type_uid": CLASS_UID * 100 + activity.id(),
        "type_name": format!("Detection Finding: {}", activity.name()),
        "severity_id": sev_id,
        "severity": sev,
        "risk_level_id": risk_id,
        "risk_level": risk,
        "risk_score": risk_score,
        "status_id": 1,
        "status": "New",
        "is_alert": true,
        "message": a.explanation,
        "metadata": {
            "version": OCSF_VERSION,
            "correlation_uid": a.id,
            "product": {
                "name": "exfilwatch",
                "vendor_name": "exfilwatch",
                "version": product_version,
            },
        },
        "anomaly_analyses": a.reasons.iter().map(|r| anomaly_analysis(r, a)).collect::<Vec<_>>(),
        "evidences": evidences(a),
        "resources": a.top_objects.iter().map(|o| resource(&o.object, a)).collect::<Vec<_>>(),
        "unmapped": {
            "source": a.source,
            "account": a.account,
            "account_name": a.account_name,
            "window_kind": a.window_kind,
            "score": a.score,
            "records": a.records,
            "bytes": a.bytes,
            "events": a.events,
            "distinct_objects": a.distinct_objects,
            "baseline": a.baseline,
            "reasons": a.reasons,
        },
    });
    let o: &mut Map<String, Value> = out.as_object_mut().expect("built as an object");
    match (start, end) {
        (Some(s), Some(e)) => {
            o.insert("time".into(), json!(e));
            o.insert("start_time".into(), json!(s));
            o.insert("end_time".into(), json!(e));
            o.insert("duration".into(), json!(e - s));
            finding_info["first_seen_time"] = json!(s);
            finding_info["last_seen_time"] = json!(e);
        }
        _ => {
            o.insert("time".into(), json!(chrono::Utc::now().timestamp_millis()));
        }
    }
    o.insert("finding_info".into(), finding_info);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{BaselineOut, ObjectOut};

    fn alert() -> Alert {
        Alert {
            id: "ew-0123456789abcdef".into(),
            account: "005000000000001".into(),
            account_name: Some("mallory@vendor.example".into()),
            source: "salesforce".into(),
            window_start: "2025-01-15T02:00:00Z".into(),
            window_end: "2025-01-15T03:00:00Z".into(),
            window_kind: "hour".into(),
            score: 12.46,
            severity: Severity::High,
            records: Some(120_000),
            bytes: None,
            events: 42,
            distinct_objects: 3,
            baseline: BaselineOut {
                scope: "account".into(),
                measure: "records".into(),
                window_kind: "hour".into(),
                windows: 700,
                median: 3400.0,
                p99: 9000.0,
                tail_probability: 1.2e-9,
                model: "pareto_tail".into(),
                hour_activity_rate: Some(0.03),
                days_active_at_hour: Some(1),
                days_observed: Some(30),
                busy_day_factor: None,
                peer_day_factor: None,
                peer_day_share: None,
                peer_object: None,
                month_close_factor: None,
                bulk_hours: None,
                bulk_hours_off_hours: None,
                bulk_hours_tool_accounts: None,
            },
            reasons: vec![
                ReasonOut {
                    factor: "volume".into(),
                    contribution: 8.9,
                    observed: 120000.0,
                    typical: 3400.0,
                    detail: "d1".into(),
                },
                ReasonOut {
                    factor: "new_ip".into(),
                    contribution: 2.1,
                    observed: 2.0,
                    typical: 0.05,
                    detail: "d2".into(),
                },
                ReasonOut {
                    factor: "off_hours".into(),
                    contribution: 1.46,
                    observed: 1.0,
                    typical: 0.03,
                    detail: "d3".into(),
                },
            ],
            new_ips: vec!["203.0.113.7".into(), "not-an-ip".into()],
            new_clients: vec!["curl/8.5".into()],
            new_ips_routine_accounts: Default::default(),
            new_clients_routine_accounts: Default::default(),
            top_objects: vec![ObjectOut {
                object: "Contact".into(),
                records: 110_000,
                events: 40,
            }],
            files: vec!["/logs/2025/01/15/export.csv.gz".into()],
            explanation: "mallory read 120,000 records.".into(),
            version: 1,
        }
    }

    #[test]
    fn class_activity_and_times_by_hand() {
        let f = detection_finding(&alert(), Activity::Create, "1.2.3");
        assert_eq!(f["class_uid"], 2004);
        assert_eq!(f["category_uid"], 2);
        assert_eq!(f["activity_id"], 1);
        assert_eq!(f["type_uid"], 200401);
        // 2025-01-15T00:00Z is day 20,103 since the epoch (55 years with 14 leap days to
        // 2025-01-01, plus 14): 20,103 * 86,400 = 1,736,899,200 s; +2 h and +3 h.
        assert_eq!(f["start_time"], 1_736_906_400_000i64);
        assert_eq!(f["end_time"], 1_736_910_000_000i64);
        assert_eq!(f["time"], 1_736_910_000_000i64);
        assert_eq!(f["duration"], 3_600_000);
        assert_eq!(f["finding_info"]["first_seen_time"], 1_736_906_400_000i64);
        assert_eq!(f["finding_info"]["last_seen_time"], 1_736_910_000_000i64);
        let u = detection_finding(&alert(), Activity::Update, "1.2.3");
        assert_eq!(u["activity_id"], 2);
        assert_eq!(u["activity_name"], "Update");
        assert_eq!(u["type_uid"], 200402);
    }

    #[test]
    fn severity_mapping() {
        let mut a = alert();
        for (s, id, name) in [
            (Severity::Low, 2, "Low"),
            (Severity::Medium, 3, "Medium"),
            (Severity::High, 4, "High"),
            (Severity::Critical, 5, "Critical"),
        ] {
            a.severity = s;
            let f = detection_finding(&a, Activity::Create, "x");
            assert_eq!(f["severity_id"], id, "{s:?}");
            assert_eq!(f["severity"], name);
            assert_eq!(f["risk_level_id"], id - 1);
        }
    }

    #[test]
    fn required_fields_have_ocsf_types() {
        let f = detection_finding(&alert(), Activity::Create, "1.2.3");
        for k in [
            "class_uid",
            "category_uid",
            "activity_id",
            "type_uid",
            "severity_id",
            "time",
            "risk_score",
        ] {
            assert!(f[k].is_i64(), "{k} must be an integer: {}", f[k]);
        }
        assert_eq!(f["metadata"]["version"], "1.5.0");
        assert_eq!(f["metadata"]["product"]["name"], "exfilwatch");
        assert_eq!(f["metadata"]["product"]["vendor_name"], "exfilwatch");
        assert_eq!(f["metadata"]["product"]["version"], "1.2.3");
        assert_eq!(f["finding_info"]["uid"], "ew-0123456789abcdef");
        assert_eq!(f["finding_info"]["analytic"]["type_id"], 2);
        assert!(f["finding_info"]["title"].is_string());
        assert_eq!(f["status_id"], 1);
        // 12.46 rounds to 12; the exact score is kept unmapped.
        assert_eq!(f["risk_score"], 12);
        assert_eq!(f["unmapped"]["score"], 12.46);
        assert_eq!(f["unmapped"]["baseline"]["median"], 3400.0);
    }

    #[test]
    fn anomaly_analyses_carry_observed_and_typical() {
        let f = detection_finding(&alert(), Activity::Create, "1");
        let aa = f["anomaly_analyses"].as_array().unwrap();
        assert_eq!(aa.len(), 3);
        let vol = &aa[0];
        assert_eq!(vol["analysis_targets"][0]["name"], "005000000000001");
        assert_eq!(vol["analysis_targets"][0]["type"], "User Account");
        let an = &vol["anomalies"][0];
        assert_eq!(an["observation_parameter"], "records per hour window");
        assert_eq!(an["observation_type"], "Volume Analysis");
        assert_eq!(an["observed_pattern"], "HIGH_VOLUME");
        assert_eq!(an["observations"][0]["value"], "120000");
        let bl = &vol["baselines"][0];
        assert_eq!(bl["observation_parameter"], "records per hour window");
        assert_eq!(bl["observations"][0]["value"], "3400");
        // New IPs: the values themselves are the anomalous observations.
        let ip = &aa[1]["anomalies"][0];
        assert_eq!(ip["observed_pattern"], "UNSEEN");
        assert_eq!(ip["observations"][0]["value"], "203.0.113.7");
        assert_eq!(ip["observations"][1]["value"], "not-an-ip");
        assert_eq!(aa[1]["baselines"][0]["observations"][0]["value"], "0.05");
        assert_eq!(aa[2]["anomalies"][0]["observations"][0]["value"], "1");
        assert_eq!(aa[2]["baselines"][0]["observations"][0]["value"], "0.03");
    }

    #[test]
    fn evidences_hold_actor_endpoints_objects_files() {
        let f = detection_finding(&alert(), Activity::Create, "1");
        let ev = f["evidences"].as_array().unwrap();
        assert_eq!(ev[0]["actor"]["user"]["uid"], "005000000000001");
        assert_eq!(ev[0]["actor"]["user"]["name"], "mallory@vendor.example");
        assert_eq!(ev[1]["src_endpoint"]["ip"], "203.0.113.7");
        assert!(ev[2].get("src_endpoint").is_none());
        assert_eq!(ev[2]["data"]["src_ip"], "not-an-ip");
        assert_eq!(ev[3]["data"]["client"], "curl/8.5");
        assert!(ev[1].get("data").is_none(), "no count, no data");
        assert_eq!(ev[4]["resources"][0]["name"], "Contact");
        assert_eq!(ev[4]["data"]["records"], 110_000);
        assert_eq!(ev[5]["file"]["name"], "export.csv.gz");
        assert_eq!(ev[5]["file"]["path"], "/logs/2025/01/15/export.csv.gz");
        assert_eq!(ev[5]["file"]["type_id"], 1);
        assert_eq!(ev.len(), 6);
        assert_eq!(f["resources"][0]["uid"], "Contact");
        // With this version's counts, each new value carries its own.
        let mut a = alert();
        a.new_ips_routine_accounts = [("203.0.113.7".into(), 0), ("not-an-ip".into(), 2)].into();
        a.new_clients_routine_accounts = [("curl/8.5".into(), 7)].into();
        let ev = detection_finding(&a, Activity::Create, "1")["evidences"].clone();
        assert_eq!(ev[1]["src_endpoint"]["ip"], "203.0.113.7");
        assert_eq!(ev[1]["data"]["routine_accounts"], 0);
        assert_eq!(ev[2]["data"]["src_ip"], "not-an-ip");
        assert_eq!(ev[2]["data"]["routine_accounts"], 2);
        assert_eq!(ev[3]["data"]["routine_accounts"], 7);
    }

    #[test]
    fn user_name_falls_back_to_account() {
        let mut a = alert();
        a.account_name = None;
        let f = detection_finding(&a, Activity::Create, "1");
        assert_eq!(
            f["evidences"][0]["actor"]["user"]["name"],
            "005000000000001"
        );
    }

    #[test]
    fn title_is_neutralised() {
        let mut a = alert();
        a.account = "evil\u{202e}gpj\x1b[2J".into();
        let f = detection_finding(&a, Activity::Create, "1");
        let t = f["finding_info"]["title"].as_str().unwrap();
        assert_eq!(t, "Possible bulk data theft by evil\\u{202e}gpj\\u{1b}[2J");
        // Machine fields keep the exact value.
        assert_eq!(f["unmapped"]["account"], "evil\u{202e}gpj\x1b[2J");
    }

    #[test]
    fn unparsable_window_drops_time_fields_but_keeps_time() {
        let mut a = alert();
        a.window_end = "yesterday".into();
        let f = detection_finding(&a, Activity::Create, "1");
        assert!(f["time"].is_i64());
        assert!(f.get("start_time").is_none());
        assert!(f["finding_info"].get("first_seen_time").is_none());
    }

    #[test]
    fn numbers_as_observation_text() {
        assert_eq!(num_text(120000.0), "120000");
        assert_eq!(num_text(-3.0), "-3");
        assert_eq!(num_text(0.05), "0.05");
        assert_eq!(num_text(1.2e-9), "0.0000000012");
        assert_eq!(num_text(f64::INFINITY), "inf");
        assert_eq!(base_name("C:\\logs\\a.csv"), "a.csv");
        assert_eq!(base_name("a.csv"), "a.csv");
    }
}
