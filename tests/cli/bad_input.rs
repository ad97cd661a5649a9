//! Bad input is counted and reported, never fatal, and never hides the good rows.

use super::*;

/// The sample with bad rows mixed in, every 997th line: a rotating set of faults.
fn corrupted() -> (String, [usize; 5]) {
    let faults = [
        "not-a-time,someone@northwind-air.example,case_view,Case,1,900,198.51.100.1,Chrome",
        "2025-01-20T10:00:00Z,,case_view,Case,1,900,198.51.100.1,Chrome",
        "2025-01-20T10:00:00Z,someone@northwind-air.example,case_view,Case,lots,900,198.51.100.1,Chrome",
        "2025-01-20T10:00:00Z,someone@northwind-air.example,case_view",
        "2025-02-30T10:00:00Z,someone@northwind-air.example,case_view,Case,1,900,198.51.100.1,Chrome",
    ];
    let mut counts = [0usize; 5];
    let mut out = String::new();
    for (i, line) in sample_csv().lines().enumerate() {
        out.push_str(line);
        out.push('\n');
        if i > 0 && i % 997 == 0 {
            let k = (i / 997) % faults.len();
            counts[k] += 1;
            out.push_str(faults[k]);
            out.push('\n');
        }
    }
    (out, counts)
}

#[test]
fn malformed_rows_are_counted_by_reason_and_the_theft_is_still_found() {
    let (data, counts) = corrupted();
    let total_bad: usize = counts.iter().sum();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mixed.csv", data.as_bytes());
    let rejects = dir.path().join("rejects.csv");
    let out = run(
        &[
            "scan",
            path.to_str().unwrap(),
            "--format",
            "jsonl",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_is_theft(&a[0]);

    let err = stderr(&out);
    let read = 105_718 + total_bad;
    let fmt = |n: usize| {
        let s = n.to_string();
        if s.len() > 3 {
            format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..])
        } else {
            s
        }
    };
    let want = format!(
        "{} rows read: 105,718 used, {} rejected",
        fmt(read),
        total_bad
    );
    assert!(err.contains(&want), "want {want:?} in\n{err}");
    // Bad and impossible dates are both "bad timestamp".
    for (reason, n) in [
        ("bad timestamp", counts[0] + counts[4]),
        ("no account", counts[1]),
        ("non-numeric records", counts[2]),
        ("malformed row", counts[3]),
    ] {
        assert!(
            err.contains(&format!("{reason}: {n}")),
            "{reason}: {n} missing in\n{err}"
        );
    }

    // The rejects file has one row per rejected row, each naming a line that holds it.
    let text = std::fs::read_to_string(&rejects).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let lines: Vec<String> = data.lines().map(str::to_owned).collect();
    let mut n = 0;
    for rec in rdr.records() {
        let r = rec.unwrap();
        let line: usize = r[1].parse().unwrap();
        assert!(
            lines[line - 1].contains("someone@")
                || lines[line - 1].starts_with("2025-01-20T10:00:00Z,,"),
            "line {line}: {}",
            lines[line - 1]
        );
        n += 1;
    }
    assert_eq!(n, total_bad);
}

#[test]
fn a_truncated_gzip_keeps_the_rows_before_the_cut() {
    let gz = std::fs::read(sample_file()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cut.csv.gz", &gz[..gz.len() / 2]);
    let out = run(
        &[
            "scan",
            path.to_str().unwrap(),
            "--format",
            "jsonl",
            "--min-severity",
            "low",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("stopped early"), "{err}");
    let used: u64 = err
        .split(" rows read: ")
        .nth(1)
        .and_then(|s| s.split(" used").next())
        .map(|s| s.replace(',', "").parse().unwrap())
        .unwrap();
    assert!(
        used > 10_000 && used < 105_718,
        "rows before the cut are used: {used}"
    );
}

#[test]
fn attacker_controlled_fields_cannot_drive_the_terminal() {
    // A theft whose client string carries terminal escapes and a right-to-left override.
    let evil = "python\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}txt.exe";
    let csv = sample_csv().replace("python-requests/2.31.0", evil);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "evil.csv", csv.as_bytes());
    let out = run(&["scan", path.to_str().unwrap(), "--format", "table"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(theft::ACCOUNT));
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(
        text.contains("\\u{1b}[2J"),
        "escapes are shown, not obeyed: {text}"
    );
    // JSON keeps the exact value for machines, in the JSON-escaped form.
    let out = run(&["scan", path.to_str().unwrap(), "--format", "jsonl"], None);
    let a = alerts(&out);
    assert_eq!(a[0].new_clients, vec![evil.to_owned()]);
    assert!(!a[0].explanation.contains('\u{1b}'));
}
