//! Exit codes: 0 success, 2 usage or configuration error, 3 input could not be read at all.

use super::*;

fn code(args: &[&str]) -> (i32, String) {
    let out = run(args, None);
    (out.status.code().unwrap_or(-1), stderr(&out))
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&[]).0, 2);
    assert_eq!(code(&["scan"]).0, 2, "a path is required");
    assert_eq!(code(&["scan", "sample-logs/", "--format", "xml"]).0, 2);
    let (c, err) = code(&["scan", "sample-logs/", "--timezone", "Mars/Olympus"]);
    assert_eq!(c, 2);
    assert!(err.contains("Mars/Olympus"), "{err}");
    let (c, err) = code(&["scan", "sample-logs/", "--map", "acount=user"]);
    assert_eq!(c, 2);
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(code(&["--help"]).0, 0);
    assert_eq!(code(&["--version"]).0, 0);
}

#[test]
fn unreadable_input_exits_3_and_names_it() {
    let (c, err) = code(&["scan", "no/such/file.csv"]);
    assert_eq!(c, 3);
    assert!(err.contains("no/such/file.csv"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.md", b"nothing here");
    assert_eq!(
        code(&["scan", dir.path().to_str().unwrap()]).0,
        3,
        "no log files in the directory"
    );

    let bad = write(
        dir.path(),
        "wrong.csv",
        b"when,who\n2025-01-01T00:00:00Z,a\n",
    );
    let (c, err) = code(&["scan", bad.to_str().unwrap()]);
    assert_eq!(c, 3);
    assert!(err.contains("--map timestamp=COLUMN"), "{err}");
}

#[test]
fn an_unreadable_file_is_skipped_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good.csv",
        b"timestamp,account,records\n2025-01-01T00:00:00Z,a,5\n",
    );
    write(dir.path(), "wrong.csv", b"when,who\n1,2\n");
    let d = dir.path().to_str().unwrap();
    let (c, err) = code(&["scan", d, "--format", "jsonl"]);
    assert_eq!(c, 0, "{err}");
    assert!(
        err.contains("skipped") && err.contains("wrong.csv"),
        "{err}"
    );
    assert!(err.contains("1 rows read: 1 used, 0 rejected"), "{err}");
    assert_eq!(code(&["scan", d, "--strict"]).0, 3);
}

#[test]
fn alerts_at_or_above_fail_on_exit_1() {
    let sample = sample_file();
    let s = sample.to_str().unwrap();
    // The sample holds one critical alert (README): high and critical fail, never does not.
    // (`run` adds `--fail-on never` to a scan that has none: the default is run directly.)
    let default = Command::new(env!("CARGO_BIN_EXE_exfilwatch"))
        .args(["scan", s, "--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(default.status.code(), Some(1), "default --fail-on high");
    assert_eq!(
        code(&["scan", s, "--format", "jsonl", "--fail-on", "critical"]).0,
        1
    );
    assert_eq!(
        code(&["scan", s, "--format", "jsonl", "--fail-on", "never"]).0,
        0
    );
    // Alerts below --min-severity are not raised, so they cannot fail the run.
    let quiet = code(&[
        "scan",
        s,
        "--format",
        "jsonl",
        "--min-severity",
        "critical",
        "--fail-on",
        "low",
    ]);
    assert_eq!(quiet.0, 1, "the critical alert is raised and is above low");
    let (c, err) = code(&["scan", s, "--fail-on", "sometimes"]);
    assert_eq!(c, 2);
    assert!(err.contains("--fail-on"), "{err}");
}
