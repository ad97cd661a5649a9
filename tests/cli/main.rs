//! Integration tests: run the real binary on fixtures and read its output back as typed records.
//! One test crate (this file and its modules) so polars is linked once.

mod bad_input;
mod deliver;
mod eval;
mod exit_codes;
mod formats;
mod generate;
mod http_server;
mod jobs;
mod rings;
mod sample;
mod streaming;

use exfilwatch::alert::Alert;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed sample export.
pub fn sample_file() -> PathBuf {
    root().join("sample-logs/contact-centre-2025-01.csv.gz")
}

/// Runs the binary with `args`, feeding `stdin` if given. A `scan` without `--fail-on` runs
/// with `--fail-on never`: these tests check what a scan finds and prints; the exit code of
/// raising alerts is tested on its own (`exit_codes::alerts_at_or_above_fail_on_exit_1`).
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_exfilwatch"));
    cmd.args(args);
    if args.first() == Some(&"scan") && !args.contains(&"--fail-on") {
        cmd.args(["--fail-on", "never"]);
    }
    cmd.current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn exfilwatch");
    if let Some(data) = stdin {
        let mut s = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = s.write_all(&data);
        });
    }
    child.wait_with_output().expect("wait for exfilwatch")
}

/// Parses JSON Lines output into alerts; unknown fields fail (schema drift).
pub fn alerts(out: &Output) -> Vec<Alert> {
    String::from_utf8(out.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad alert line {l}: {e}")))
        .collect()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The sample, decompressed.
pub fn sample_csv() -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(sample_file()).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// The planted theft as the sample's generator reports it (sample-logs/README.md).
pub mod theft {
    pub const ACCOUNT: &str = "maria.oconnor@northwind-air.example";
    pub const START: &str = "2025-01-23T02:00:00Z";
    pub const END: &str = "2025-01-23T03:00:00Z";
    pub const RECORDS: i64 = 47_917;
    pub const BYTES: i64 = 54_864_854;
    pub const IP: &str = "185.220.101.47";
    pub const CLIENT: &str = "python-requests/2.31.0";
}

/// Asserts that `a` is the planted theft with its evidence.
pub fn assert_is_theft(a: &Alert) {
    assert_eq!(a.account, theft::ACCOUNT);
    assert_eq!(a.source, "generic");
    assert_eq!(
        (a.window_start.as_str(), a.window_end.as_str()),
        (theft::START, theft::END)
    );
    // The theft hour also holds none of her ordinary work (her shift is 09:00-17:00), so the
    // window's totals are exactly the theft's.
    assert_eq!(a.records, Some(theft::RECORDS));
    assert_eq!(a.bytes, Some(theft::BYTES));
    assert_eq!(a.events, 41);
    assert_eq!(a.new_ips, vec![theft::IP.to_owned()]);
    assert_eq!(a.new_clients, vec![theft::CLIENT.to_owned()]);
    // Only the thief's 41 events use that address and script: no other account of the sample
    // uses them, routinely or at all.
    assert_eq!(a.new_ips_routine_accounts.get(theft::IP), Some(&0));
    assert_eq!(a.new_clients_routine_accounts.get(theft::CLIENT), Some(&0));
    assert!(a.explanation.contains(
        "from IP 185.220.101.47 new to the account (no other account uses it routinely)"
    ));
    let factors: Vec<&str> = a.reasons.iter().map(|r| r.factor.as_str()).collect();
    for f in ["volume", "off_hours", "new_ip", "new_client"] {
        assert!(factors.contains(&f), "{f} missing from {factors:?}");
    }
    assert_eq!(a.baseline.scope, "account");
    assert!(
        a.baseline.p99 < theft::RECORDS as f64 / 10.0,
        "baseline p99 {} is ordinary",
        a.baseline.p99
    );
    let sum: f64 = a.reasons.iter().map(|r| r.contribution).sum();
    assert!(
        (sum - a.score).abs() < 0.05,
        "score {} is the sum of its reasons {sum}",
        a.score
    );
    assert!(a.explanation.contains(theft::ACCOUNT) && a.explanation.contains("47,917 records"));
    assert!(a.files.iter().any(|f| f.ends_with(".csv")
        || f.ends_with(".gz")
        || f.ends_with(".jsonl")
        || f == "(stdin)"));
}
