//! Vendor formats through the binary: recognition, mixed folders, unrecognised files.

use super::*;

fn fixtures(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

#[test]
fn formats_lists_every_format_with_its_fields() {
    let out = run(&["formats"], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "salesforce-elf",
        "salesforce-rtem",
        "generic-csv",
        "generic-jsonl",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(text.contains("ROWS_PROCESSED"), "{text}");
}

#[test]
fn a_folder_of_event_log_files_is_one_dataset() {
    let dir = fixtures("salesforce");
    let out = run(
        &[
            "scan",
            dir.to_str().unwrap(),
            "--format",
            "jsonl",
            "--min-severity",
            "low",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    // Login 2 rows, API 2, Report 1, BulkApi2 3 + 2: ten rows, the two logins as context.
    assert!(
        err.contains("5 file(s), 10 rows read: 10 used (2 as context only), 0 rejected"),
        "{err}"
    );
    assert!(
        err.contains("2 account(s)"),
        "two users, 15- and 18-character ids merged: {err}"
    );
}

#[test]
fn a_mixed_folder_keeps_each_source_apart_and_names_unrecognised_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample_file(), dir.path().join("generic.csv.gz")).unwrap();
    for f in std::fs::read_dir(fixtures("salesforce")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    // A CSV of no known format.
    write(dir.path(), "inventory.csv", b"sku,quantity\nA-1,4\n");
    // The same user name in the generic export as a Salesforce user id: different accounts.
    let d = dir.path().to_str().unwrap();
    let out = run(&["scan", d, "--format", "jsonl"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_is_theft(&a[0]);
    let err = stderr(&out);
    assert!(
        err.contains("102 account(s)"),
        "100 generic + 2 Salesforce: {err}"
    );
    assert!(
        err.contains("skipped")
            && err.contains("inventory.csv")
            && err.contains("not a recognised log format"),
        "{err}"
    );
    let strict = run(&["scan", d, "--strict"], None);
    assert_eq!(strict.status.code(), Some(3));
}

#[test]
fn a_forced_format_is_used_for_every_file() {
    let f = fixtures("salesforce").join("2025-06-30_API.csv");
    let out = run(
        &["scan", f.to_str().unwrap(), "--log-format", "generic-csv"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "read as generic it has no account column"
    );
    // Its TIMESTAMP column matches the generic `timestamp` (names match case-insensitively),
    // but it has no `account` column.
    assert!(
        stderr(&out).contains("no column \"account\""),
        "{}",
        stderr(&out)
    );
    let out = run(
        &[
            "scan",
            f.to_str().unwrap(),
            "--log-format",
            "salesforce-elf",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_real_cloudtrail_capture_is_too_thin_for_a_baseline_and_says_so() {
    let dir = root().join("../shared/real-logs/aws_cloudtrail/otrf-ec2_proxy_s3_exfiltration");
    let out = run(
        &[
            "scan",
            dir.to_str().unwrap(),
            "--format",
            "jsonl",
            "--min-severity",
            "low",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        alerts(&out).is_empty(),
        "no baseline is invented for two GetObject calls"
    );
    let err = stderr(&out);
    // 103 records: the two GetObject calls carry volume, the other 101 are context.
    assert!(
        err.contains("1 file(s), 103 rows read: 103 used (101 as context only), 0 rejected"),
        "{err}"
    );
    let role = "arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40";
    assert!(
        err.contains("history too thin for a baseline of their own"),
        "{err}"
    );
    assert!(err.contains(&format!("{role} (1 h)")), "{err}");
    assert!(
        err.contains("too few other accounts in their source"),
        "{err}"
    );
}

/// Runs the sample generator (python3, as the README documents) into `dir` in `format`.
fn generate(format: &str, dir: &Path) {
    let status = Command::new("python3")
        .arg(root().join("sample-logs/make_sample.py"))
        .args(["--format", format, "--out"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .expect("python3 runs the sample generator");
    assert!(status.success(), "make_sample.py --format {format}");
}

#[test]
fn the_same_tenant_as_salesforce_cloudtrail_and_generic_gives_the_same_alert() {
    let dir = tempfile::tempdir().unwrap();
    let (sf, ct) = (dir.path().join("sf"), dir.path().join("ct"));
    generate("salesforce-elf", &sf);
    generate("cloudtrail", &ct);
    let scan = |p: &Path| {
        let out = run(&["scan", p.to_str().unwrap(), "--format", "jsonl"], None);
        assert!(out.status.success(), "{}", stderr(&out));
        alerts(&out)
    };
    let generic = scan(&sample_file());
    let salesforce = scan(&sf);
    let cloudtrail = scan(&ct);
    for (name, a) in [
        ("generic", &generic),
        ("salesforce", &salesforce),
        ("cloudtrail", &cloudtrail),
    ] {
        assert_eq!(
            a.len(),
            1,
            "{name}: exactly one alert at default severity: {a:#?}"
        );
        assert_eq!(
            (a[0].window_start.as_str(), a[0].window_end.as_str()),
            (theft::START, theft::END),
            "{name}"
        );
        assert_eq!(a[0].bytes, Some(theft::BYTES), "{name}: the theft's bytes");
        assert_eq!(a[0].new_ips, vec![theft::IP.to_owned()], "{name}");
        assert_eq!(a[0].new_clients, vec![theft::CLIENT.to_owned()], "{name}");
    }
    assert_is_theft(&generic[0]);
    // The same person, as each source names her (sample-logs/README.md).
    assert_eq!(salesforce[0].source, "salesforce");
    assert_eq!(
        salesforce[0].account, "0055j0000tlbOPK",
        "the 15-character user id"
    );
    assert_eq!(
        salesforce[0].account_name.as_deref(),
        Some(theft::ACCOUNT),
        "named by her Login rows"
    );
    assert_eq!(salesforce[0].records, Some(theft::RECORDS));
    assert_eq!(cloudtrail[0].source, "aws");
    assert_eq!(
        cloudtrail[0].account,
        "arn:aws:iam::123456789012:user/maria.oconnor"
    );
    assert_eq!(
        cloudtrail[0].records,
        Some(64),
        "GetObject calls: one per 1,000 records of each event, rounded up"
    );
}
