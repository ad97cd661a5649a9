//! The sample tenant: its planted theft is found, alone, in every way of feeding it in.

use super::*;

#[test]
fn the_planted_theft_is_the_only_alert_at_default_severity() {
    let out = run(&["scan", "sample-logs/", "--format", "jsonl"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    assert_eq!(a.len(), 1, "exactly one alert: {a:#?}");
    assert_is_theft(&a[0]);
    assert!(a[0].severity >= exfilwatch::detect::Severity::High);
    let err = stderr(&out);
    assert!(
        err.contains("105,718 rows read: 105,718 used, 0 rejected"),
        "{err}"
    );
    assert!(err.contains("1 alert(s) at or above high"), "{err}");
}

#[test]
fn the_table_shows_the_same_alert() {
    let out = run(&["scan", "sample-logs/", "--format", "table"], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("SEVERITY"), "{text}");
    assert!(text.contains(theft::ACCOUNT));
    assert!(text.contains("2025-01-23 02:00-03:00 UTC"), "{text}");
    assert!(text.contains("47,917"));
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("HIGH") || l.contains("CRITICAL"))
            .count(),
        1
    );
}

#[test]
fn output_is_byte_identical_across_runs() {
    let args = [
        "scan",
        "sample-logs/",
        "--format",
        "jsonl",
        "--min-severity",
        "low",
    ];
    let a = run(&args, None);
    let b = run(&args, None);
    assert!(a.status.success());
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn gzip_on_stdin_gives_the_same_alert() {
    let gz = std::fs::read(sample_file()).unwrap();
    let out = run(&["scan", "-", "--format", "jsonl"], Some(&gz));
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    assert_eq!(a.len(), 1);
    assert_is_theft(&a[0]);
    assert_eq!(a[0].files, vec!["(stdin)".to_owned()]);
}

#[test]
fn json_lines_with_mapped_column_names_give_the_same_alert() {
    // Rewrite the sample as JSON Lines whose actor field is `user.email` and time `ts`.
    let csv = sample_csv();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let mut jsonl = String::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        let num = |s: &str| s.parse::<i64>().ok();
        let obj = serde_json::json!({
            "ts": &r[0], "user": {"email": &r[1]}, "action": &r[2], "object": &r[3],
            "records": num(&r[4]), "bytes": num(&r[5]), "src_ip": &r[6], "client": &r[7],
        });
        jsonl.push_str(&obj.to_string());
        jsonl.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "export.jsonl", jsonl.as_bytes());
    let p = path.to_str().unwrap();
    let out = run(
        &[
            "scan",
            p,
            "--format",
            "jsonl",
            "--map",
            "account=user.email",
            "--map",
            "timestamp=ts",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_is_theft(&a[0]);
}

#[test]
fn the_organisation_time_zone_changes_reporting_not_the_finding() {
    let out = run(
        &[
            "scan",
            "sample-logs/",
            "--format",
            "jsonl",
            "--timezone",
            "America/New_York",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    let theft = a
        .iter()
        .find(|a| a.account == theft::ACCOUNT)
        .expect("theft still found");
    assert_eq!(
        theft.window_start,
        theft::START,
        "windows are reported in UTC"
    );
    // 02:00 UTC on 23 January is 21:00 on Wednesday 22 January in New York (UTC-5).
    assert!(
        theft
            .explanation
            .contains("Wed 2025-01-22 21:00 and 22:00 America/New_York"),
        "{}",
        theft.explanation
    );
}
