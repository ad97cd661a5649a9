//! The streaming scan (rows folded into windows as they are read, large files cut into blocks
//! parsed on several threads) and the in-memory scan (every event kept, windows by polars) give
//! the same alerts, byte for byte, and the same summary.

use super::*;

/// Scans `path` three ways at `--min-severity low` (so every scored incident is compared, not
/// only the few above the line): streaming, streaming with tiny blocks, and in memory. Returns
/// the streaming output after checking the other two equal it.
fn same_three_ways(path: &str) -> Output {
    let base = ["scan", path, "--format", "jsonl", "--min-severity", "low"];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        run(&a, None)
    };
    let streamed = with(&[]);
    assert!(streamed.status.success(), "{}", stderr(&streamed));
    // Blocks of 64 KiB: a file of a few MB is cut into dozens of blocks.
    for extra in [&["--block-bytes", "65536"][..], &["--in-memory"][..]] {
        let other = with(extra);
        assert!(other.status.success(), "{}", stderr(&other));
        assert!(
            streamed.stdout == other.stdout,
            "{path}: alerts differ with {extra:?}"
        );
        assert_eq!(
            stderr(&streamed),
            stderr(&other),
            "{path}: summary differs with {extra:?}"
        );
    }
    streamed
}

#[test]
fn the_sample_gives_the_same_alerts_streamed_in_blocks_and_in_memory() {
    let out = same_three_ways(sample_file().to_str().unwrap());
    let found = alerts(&out);
    assert!(
        found.len() >= 2,
        "several incidents compared: {}",
        found.len()
    );
    assert_is_theft(&found[0]);
}

#[test]
fn generated_tenants_give_the_same_alerts_streamed_and_in_memory() {
    // Salesforce ELF (bulk jobs counted once per job across files, logins naming users) and
    // CloudTrail (GetObject events counted once per eventID), and generic CSV.
    let dir = tempfile::tempdir().unwrap();
    for format in ["generic", "salesforce-elf", "cloudtrail"] {
        let out = dir.path().join(format);
        let out_s = out.to_str().unwrap();
        let g = run(
            &[
                "generate",
                "--days",
                "30",
                "--accounts",
                "40",
                "--seed",
                "5",
                "--format",
                format,
                "--out",
                out_s,
            ],
            None,
        );
        assert!(g.status.success(), "{}", stderr(&g));
        let logs = out.join("logs");
        let scanned = same_three_ways(logs.to_str().unwrap());
        assert!(
            !alerts(&scanned).is_empty(),
            "{format}: some incident is scored"
        );
    }
}

#[test]
fn a_file_with_quoted_line_ends_and_bad_rows_reads_the_same_in_blocks() {
    // The sample with a client string holding a quoted line end and commas, and rows the
    // reader rejects, cut into blocks of 4 KiB: the same alerts, rejects and line numbers.
    let mut csv = sample_csv().replacen(
        "python-requests/2.31.0",
        "\"python-requests/2.31.0\n(with, a line end)\"",
        1,
    );
    csv.push_str("not-a-time,someone,export,Contact,5,5,,\n2025-01-05T00:00:00Z,someone\n");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "quoted.csv", csv.as_bytes());
    let p = path.to_str().unwrap();
    let rejects = |extra: &[&str], name: &str| {
        let r = dir.path().join(name);
        let mut a = vec![
            "scan",
            p,
            "--format",
            "jsonl",
            "--rejects",
            r.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        let out = run(&a, None);
        assert!(out.status.success(), "{}", stderr(&out));
        (out.stdout, std::fs::read_to_string(r).unwrap())
    };
    let (whole_alerts, whole_rejects) = rejects(&["--block-bytes", "1000000000"], "a.csv");
    let (block_alerts, block_rejects) = rejects(&["--block-bytes", "4096"], "b.csv");
    assert_eq!(whole_alerts, block_alerts);
    assert_eq!(whole_rejects, block_rejects);
    // The two bad rows are the last two physical lines (the quoted line end adds one).
    let lines = csv.lines().count();
    for (line, reason) in [(lines - 1, "bad timestamp"), (lines, "malformed row")] {
        assert!(
            whole_rejects.contains(&format!(",{line},{reason},")),
            "line {line} rejected as {reason}: {whole_rejects}"
        );
    }
}
