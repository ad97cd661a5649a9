//! Rings end to end: groups at addresses the organisation uses routinely (a VPN pool's) do not
//! dilute the test of a ring at an unknown host (`detect::rings`), in both read paths.

use super::{alerts, run, write};

const DAY0: i64 = 20_089; // 2025-01-01, days since 1970-01-01

fn stamp(day: i64, hour: i64, minute: i64) -> String {
    let secs = (DAY0 + day) * 86_400 + hour * 3_600 + minute * 60;
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Accounts u0-u5 work 50 days, one query at 09:00 from their own address (10 + d records).
/// Pool groups: on days 55 and 57, u3-u5 read 30 records at 09:00 from 172.16.0.1 and
/// 172.16.0.2 (new to them). When `routine`, u6 and u7 use those two addresses every day: the
/// organisation's pool. The ring: on day 70 at 03:00, u0-u2 read 500 records each from
/// 203.0.113.9, an hour none of them works at.
fn tenant(routine: bool) -> String {
    let mut rows = vec!["timestamp,account,action,object,records,bytes,src_ip,client".to_owned()];
    let mut row = |day: i64, hour: i64, minute: i64, account: &str, records: i64, ip: &str| {
        rows.push(format!(
            "{},{account},query,Contact,{records},,{ip},Browser/1",
            stamp(day, hour, minute)
        ));
    };
    for d in 0..50 {
        for k in 0..6 {
            row(
                d,
                9,
                0,
                &format!("u{k}"),
                10 + d,
                &format!("10.0.0.{}", k + 1),
            );
        }
    }
    for (day, ip) in [(55, "172.16.0.1"), (57, "172.16.0.2")] {
        for k in 3..6 {
            row(day, 9, 10 + k, &format!("u{k}"), 30, ip);
        }
    }
    if routine {
        for d in 0..60 {
            row(d, 10, 0, "u6", 20, "172.16.0.1");
            row(d, 10, 0, "u7", 20, "172.16.0.2");
        }
    }
    for k in 0..3 {
        row(70, 3, 5 + k, &format!("u{k}"), 500, "203.0.113.9");
    }
    rows.join("\n") + "\n"
}

/// The ring's probability before the Bonferroni factor, by hand: each member's 500 records are
/// the largest of its 51 active hours (p = 1/51) at an hour of day it never works at otherwise
/// (q = 1/51). Fisher over the 6 values: X = 12 ln 51 on 12 degrees of freedom, P = e^(-X/2)
/// sum_{j<6} (X/2)^j / j!. No member brings a new client (client probability 1): Fisher's
/// two-probability combination is then P (1 - ln P).
fn ring_probability() -> f64 {
    let half = 6.0 * 51f64.ln();
    let sum: f64 = (0..6)
        .map(|j| half.powi(j) / (1..=j).map(f64::from).product::<f64>())
        .sum();
    let p = (-half).exp() * sum;
    p * (1.0 - p.ln())
}

#[test]
fn a_ring_at_an_unknown_host_is_counted_among_its_own_kind() {
    let dir = tempfile::tempdir().unwrap();
    let p = ring_probability();
    for (routine, factor, family) in [(true, 2.0, "1 of the 3"), (false, 3.0, "3 of the 3")] {
        let file = write(dir.path(), "events.csv", tenant(routine).as_bytes());
        let path = file.to_str().unwrap();
        let mut outputs = Vec::new();
        for extra in [&[][..], &["--in-memory"][..]] {
            let mut args = vec!["scan", "-q", "--format", "jsonl", "--min-severity", "low"];
            args.extend_from_slice(extra);
            args.push(path);
            let out = run(&args, None);
            assert!(out.status.success(), "{out:?}");
            outputs.push(out.stdout.clone());
            let found = alerts(&out);
            // The three members, nothing else (the pool groups' hours are ordinary).
            let accounts: Vec<&str> = found.iter().map(|a| a.account.as_str()).collect();
            assert_eq!(accounts, ["u0", "u1", "u2"], "routine {routine}");
            for a in &found {
                let want = -(factor * p).log10();
                assert!(
                    (a.score - want).abs() < 0.006,
                    "routine {routine}: {} vs {want}",
                    a.score
                );
                let counted = format!(
                    "counted {factor} times: {family} group(s) in this run are at addresses that no account of the organisation uses routinely"
                );
                assert!(a.explanation.contains(&counted), "{}", a.explanation);
            }
        }
        assert_eq!(outputs[0], outputs[1], "streamed and in-memory scans agree");
    }
}
