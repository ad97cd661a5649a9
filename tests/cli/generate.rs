//! `exfilwatch generate`: a small tenant is generated, scanned and evaluated end to end.

use super::*;
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn generate_then_scan_then_eval_reports_every_labelled_incident() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tenant");
    let out_s = out.to_str().unwrap();
    let g = run(
        &[
            "generate",
            "--days",
            "30",
            "--accounts",
            "60",
            "--seed",
            "3",
            "--out",
            out_s,
        ],
        None,
    );
    assert!(g.status.success(), "{}", stderr(&g));
    assert!(
        g.stdout.is_empty(),
        "generate prints results on stderr only"
    );
    assert!(stderr(&g).contains("incident(s) in labels.csv"));
    for f in [
        "logs/events.csv.gz",
        "labels.csv",
        "benign.csv",
        "tenant.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }

    let labels = std::fs::read_to_string(out.join("labels.csv")).unwrap();
    let mut lines = labels.lines();
    assert_eq!(
        lines.next(),
        Some("incident_id,family,account,start,end,source")
    );
    let ids: BTreeSet<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert!(!ids.is_empty());

    let logs = out.join("logs");
    let scan = run(
        &[
            "scan",
            logs.to_str().unwrap(),
            "--format",
            "jsonl",
            "--min-severity",
            "low",
            "-q",
        ],
        None,
    );
    assert!(scan.status.success(), "{}", stderr(&scan));
    let parsed = alerts(&scan); // every line is an alert record (unknown fields fail)
    let alerts_path = write(dir.path(), "alerts.jsonl", &scan.stdout);

    let ev = run(
        &[
            "eval",
            "--labels",
            out.join("labels.csv").to_str().unwrap(),
            alerts_path.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert!(ev.status.success(), "{}", stderr(&ev));
    let v: Value = serde_json::from_slice(&ev.stdout).unwrap();
    assert_eq!(v["incidents"].as_u64(), Some(ids.len() as u64));
    assert_eq!(v["alerts_read"].as_u64(), Some(parsed.len() as u64));
    for field in [
        "found",
        "recall",
        "families",
        "precision",
        "true_alerts",
        "false_alerts",
        "missed_incidents",
        "false_alert_details",
    ] {
        assert!(v.get(field).is_some(), "{field} missing");
    }
    // tenant.json beside the labels gives the false-alert rate its denominator.
    let tenant: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("tenant.json")).unwrap()).unwrap();
    assert_eq!(v["active_account_days"], tenant["active_account_days"]);
    assert!(v["false_alerts_per_10k_account_days"].is_number());
    let families: BTreeSet<&str> = v["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["family"].as_str().unwrap())
        .collect();
    assert_eq!(
        families,
        BTreeSet::from([
            "dormant_return",
            "insider_business_hours",
            "low_and_slow",
            "multi_account_one_ip",
            "off_hours_bulk",
            "token_new_network",
        ])
    );
}

#[test]
fn generate_rejects_bad_flags_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for args in [
        vec!["generate", "--out", out, "--days", "3"],
        vec!["generate", "--out", out, "--accounts", "5"],
        vec!["generate", "--out", out, "--start", "2025-13-01"],
        vec!["generate", "--out", out, "--format", "nope"],
        vec!["generate"],
    ] {
        let o = run(&args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

/// The vendor formats: the scan reads every file, alerts name accounts as the labels do, and
/// eval reports every labelled incident.
#[test]
fn generate_vendor_formats_scan_and_eval() {
    for (format, source) in [("salesforce-elf", "salesforce"), ("cloudtrail", "aws")] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t");
        let g = run(
            &[
                "generate",
                "--days",
                "21",
                "--accounts",
                "40",
                "--seed",
                "5",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
                "-q",
            ],
            None,
        );
        assert!(g.status.success(), "{format}: {}", stderr(&g));
        let labels = std::fs::read_to_string(out.join("labels.csv")).unwrap();
        let ids: BTreeSet<&str> = labels
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert!(labels
            .lines()
            .skip(1)
            .all(|l| l.ends_with(&format!(",{source}"))));
        let scan = run(
            &[
                "scan",
                out.join("logs").to_str().unwrap(),
                "--format",
                "jsonl",
                "--min-severity",
                "low",
            ],
            None,
        );
        assert!(scan.status.success(), "{format}: {}", stderr(&scan));
        assert!(stderr(&scan).contains(" 0 rejected"), "{}", stderr(&scan));
        for a in alerts(&scan) {
            assert_eq!(a.source, source);
            let name = if source == "aws" {
                a.account.clone()
            } else {
                a.account_name.clone().unwrap_or_default()
            };
            let ok = if source == "aws" {
                name.starts_with("arn:aws:iam::123456789012:user/")
            } else {
                name.ends_with("@northwind-air.example")
            };
            assert!(
                ok,
                "{format}: alert account {name} is not spelt as the labels spell it"
            );
        }
        let alerts_path = write(dir.path(), "alerts.jsonl", &scan.stdout);
        let ev = run(
            &[
                "eval",
                "--labels",
                out.join("labels.csv").to_str().unwrap(),
                alerts_path.to_str().unwrap(),
                "--format",
                "json",
            ],
            None,
        );
        assert!(ev.status.success(), "{format}: {}", stderr(&ev));
        let v: Value = serde_json::from_slice(&ev.stdout).unwrap();
        assert_eq!(v["incidents"].as_u64(), Some(ids.len() as u64), "{format}");
    }
}
