//! `exfilwatch eval`: the sample's planted theft, labelled, scored against the sample's alerts.

use super::*;
use exfilwatch::detect::Severity;
use serde_json::Value;
use std::sync::OnceLock;

/// 100 accounts over 30 days: the sample tenant's account-days (README of sample-logs).
const ACCOUNT_DAYS: u64 = 3_000;

/// The scan's alerts at every severity, as JSON Lines (run once for all tests here).
fn scan_jsonl() -> &'static [u8] {
    static OUT: OnceLock<Vec<u8>> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = run(
            &[
                "scan",
                "sample-logs/",
                "--format",
                "jsonl",
                "--min-severity",
                "low",
                "-q",
            ],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        out.stdout
    })
}

/// The scan's alerts ([`scan_jsonl`]), parsed.
fn scan_alerts() -> Vec<Alert> {
    String::from_utf8(scan_jsonl().to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A directory with `alerts.jsonl` and `labels.csv` (the planted theft, one row), and
/// `tenant.json` if `tenant` says so.
fn setup(tenant: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "alerts.jsonl", scan_jsonl());
    let labels = format!(
        "incident_id,family,account,start,end,source\ntheft-1,off_hours_bulk,{},{},{},generic\n",
        theft::ACCOUNT,
        theft::START,
        theft::END
    );
    write(dir.path(), "labels.csv", labels.as_bytes());
    if tenant {
        let t = format!("{{\"active_account_days\": {ACCOUNT_DAYS}}}");
        write(dir.path(), "tenant.json", t.as_bytes());
    }
    dir
}

fn eval(dir: &Path, extra: &[&str]) -> Output {
    let labels = dir.join("labels.csv");
    let alerts = dir.join("alerts.jsonl");
    let mut args = vec![
        "eval",
        "--labels",
        labels.to_str().unwrap(),
        alerts.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, None)
}

fn secs(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .timestamp()
}

/// True alerts by the plain rule, written out separately from the library's matcher: the
/// theft's account (by `account` or `account_name`) in `generic`, and a window that starts
/// before the theft's end plus an hour and ends after its start minus an hour.
fn expected_true(alerts: &[Alert]) -> usize {
    let (start, end) = (secs(theft::START) - 3600, secs(theft::END) + 3600);
    alerts
        .iter()
        .filter(|a| {
            (a.account == theft::ACCOUNT || a.account_name.as_deref() == Some(theft::ACCOUNT))
                && a.source == "generic"
                && secs(&a.window_start) < end
                && secs(&a.window_end) > start
        })
        .count()
}

#[test]
fn the_planted_theft_is_found_and_every_other_alert_is_false() {
    let alerts = scan_alerts();
    assert!(!alerts.is_empty());
    let n = alerts.len();
    let t = expected_true(&alerts);
    assert_eq!(t, 1, "one alert is the theft: {alerts:#?}");
    let f = n - t;

    let dir = setup(true);
    let out = eval(dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "min_severity",
        "slack_seconds",
        "incidents",
        "found",
        "recall",
        "families",
        "alerts_read",
        "alerts_below_min_severity",
        "line",
        "alerts_below_line",
        "alerts",
        "true_alerts",
        "false_alerts",
        "precision",
        "active_account_days",
        "active_account_days_from",
        "false_alerts_per_10k_account_days",
        "missed_incidents",
        "false_alert_details",
        "look_alikes_from",
        "look_alikes",
        "false_alerts_without_look_alike",
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "the documented fields, no more");

    assert_eq!(v["incidents"], 1);
    assert_eq!(v["found"], 1);
    assert_eq!(v["recall"].as_f64(), Some(1.0));
    assert_eq!(
        v["families"],
        serde_json::json!([{"family": "off_hours_bulk", "incidents": 1, "found": 1, "recall": 1.0}])
    );
    assert_eq!(v["missed_incidents"], serde_json::json!([]));
    assert_eq!(v["alerts_read"], n as u64);
    assert_eq!(v["alerts"], n as u64);
    assert_eq!(v["true_alerts"], t as u64);
    assert_eq!(v["false_alerts"], f as u64);
    assert_eq!(v["precision"].as_f64(), Some(t as f64 / n as f64));
    assert_eq!(v["active_account_days"], ACCOUNT_DAYS);
    assert!(v["active_account_days_from"]
        .as_str()
        .unwrap()
        .ends_with("tenant.json"));
    assert_eq!(
        v["false_alerts_per_10k_account_days"].as_f64(),
        Some(f as f64 * 10_000.0 / ACCOUNT_DAYS as f64)
    );
    // The false alerts are the scan's alerts other than the theft, each named.
    let details = v["false_alert_details"].as_array().unwrap();
    assert_eq!(details.len(), f);
    for d in details {
        assert_ne!(d["account"], theft::ACCOUNT);
        assert!(alerts.iter().any(|a| a.id == d["id"].as_str().unwrap()));
    }
}

#[test]
fn without_account_days_the_rate_is_unknown() {
    let dir = setup(false);
    let out = eval(dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["active_account_days"].is_null());
    assert!(v["false_alerts_per_10k_account_days"].is_null());
    // --account-days gives it without tenant.json.
    let out = eval(dir.path(), &["--format", "json", "--account-days", "500"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["active_account_days_from"], "--account-days");
    let f = v["false_alerts"].as_f64().unwrap();
    assert_eq!(
        v["false_alerts_per_10k_account_days"].as_f64(),
        Some(f * 10_000.0 / 500.0)
    );
    // The table says n/a rather than zero.
    let out = eval(dir.path(), &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Labels "), "{text}");
    assert!(text.contains("off_hours_bulk"), "{text}");
    assert!(
        text.contains("False alerts per 10,000 active account-days: n/a"),
        "{text}"
    );
    assert!(text.contains("Missed incidents (0)"), "{text}");
}

#[test]
fn min_severity_high_leaves_only_the_theft() {
    let dir = setup(true);
    let out = eval(dir.path(), &["--format", "json", "--min-severity", "high"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The default scan shows exactly one alert at high or above, the theft (sample.rs).
    assert_eq!(v["alerts"], 1);
    assert_eq!(v["false_alerts"], 0);
    assert_eq!(v["precision"].as_f64(), Some(1.0));
    assert_eq!(v["recall"].as_f64(), Some(1.0));
}

#[test]
fn a_line_evaluates_the_alerts_a_scan_with_that_line_would_raise() {
    // The sample's alerts at every severity: the theft scores 11.54 (sample.rs). Read the
    // scores here, and count by the rule written out separately: a window alert at or above the
    // line, a run or ring alert when high.
    let alerts = scan_alerts();
    let theft = alerts
        .iter()
        .find(|a| a.account == theft::ACCOUNT)
        .expect("the theft");
    let dir = setup(true);
    for line in [3.0, theft.score, theft.score + 0.25] {
        let kept = alerts
            .iter()
            .filter(|a| {
                if a.window_kind == "run" || a.baseline.model == "ring_test" {
                    a.severity >= Severity::High
                } else {
                    a.score >= line
                }
            })
            .count();
        let l = line.to_string();
        let out = eval(dir.path(), &["--format", "json", "--line", &l]);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        // (serde_json reads floats to within an ulp.)
        assert!((v["line"].as_f64().unwrap() - line).abs() < 1e-9, "{line}");
        assert_eq!(v["alerts"], kept as u64, "{line}");
        assert_eq!(v["alerts_below_line"], (alerts.len() - kept) as u64);
        // Found exactly when the theft's own alert is at or above the line.
        let found = u64::from(theft.score >= line);
        assert_eq!(v["found"], found, "{line}");
    }
    // The table says which line it evaluated.
    let out = eval(dir.path(), &["--line", "12"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("evaluated at a line of 12 ("), "{text}");
    // A line must be a score.
    for bad in ["--line=-1", "--line=NaN", "--line=inf"] {
        let out = eval(dir.path(), &[bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains("--line must be a score of 0 or more"),
            "{bad}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn false_alerts_are_attributed_to_look_alikes() {
    // The sample's month (2025-01-01 to 01-31) as one organisation-wide look-alike, and one
    // naming the thief only on the day before the theft.
    let dir = setup(true);
    let benign = dir.path().join("benign.csv");
    std::fs::write(
        &benign,
        format!(
            "kind,account,start,end\nmonth,*,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z\neve,{},2025-01-22T00:00:00Z,2025-01-22T12:00:00Z\n",
            theft::ACCOUNT
        ),
    )
    .unwrap();
    let out = eval(
        dir.path(),
        &["--format", "json", "--benign", benign.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["false_alerts"].as_u64().unwrap();
    assert!(f > 0, "the sample's low alerts are false: {v}");
    // Every false alert lies in the month; the theft is true and the day before it draws none.
    assert_eq!(
        v["look_alikes"],
        serde_json::json!([
            {"kind": "eve", "planted": 1, "alerted": 0, "false_alerts": 0},
            {"kind": "month", "planted": 1, "alerted": 1, "false_alerts": f},
        ])
    );
    assert_eq!(v["false_alerts_without_look_alike"], 0);
    for d in v["false_alert_details"].as_array().unwrap() {
        assert_eq!(d["look_alikes"], serde_json::json!(["month"]));
    }
    let out = eval(dir.path(), &["--benign", benign.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "2 planted; {f} of the {f} false alert(s) overlap one"
        )),
        "{text}"
    );
    assert!(text.contains("LOOK-ALIKES"), "{text}");

    // A bad row is named; a missing file is unreadable input.
    std::fs::write(
        &benign,
        "kind,account,start,end\nx,a,yesterday,2025-01-02T00:00:00Z\n",
    )
    .unwrap();
    let out = eval(dir.path(), &["--benign", benign.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("benign.csv:2: field `start`"),
        "{}",
        stderr(&out)
    );
    let out = eval(dir.path(), &["--benign", "no/such/benign.csv"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn bad_labels_and_alerts_are_named() {
    let dir = setup(true);
    write(
        dir.path(),
        "labels.csv",
        b"incident_id,family,account,start,end\nt,f,a,2025-01-23T02:00:00Z,2025-01-23T03:00:00Z\nt2,f,a,2025-01-23,2025-01-23T03:00:00Z\n",
    );
    let out = eval(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("labels.csv:3: field `start`"),
        "file, line and field: {err}"
    );

    let dir = setup(true);
    let mut bad = scan_jsonl().to_vec();
    bad.extend_from_slice(b"not json\n");
    let lines = bad.iter().filter(|&&b| b == b'\n').count();
    write(dir.path(), "alerts.jsonl", &bad);
    let out = eval(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("alerts.jsonl:{lines}:")), "{err}");

    let labels = dir.path().join("labels.csv");
    let out = run(
        &[
            "eval",
            "--labels",
            labels.to_str().unwrap(),
            "no/such/alerts.jsonl",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("no/such/alerts.jsonl"));

    write(dir.path(), "alerts.jsonl", scan_jsonl());
    write(
        dir.path(),
        "tenant.json",
        b"{\"active_account_days\": \"many\"}",
    );
    let out = eval(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tenant.json"));
}
