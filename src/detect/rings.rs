//! Rings: several accounts driven at once from one address new to each of them (stolen
//! credentials used together from an attacker's host), each only moderately above its norm, so
//! that no account's hour is remarkable alone.
//!
//! Method. An hourly window *brings* an address when the account used it only around that hour
//! (the features' novelty band) and the account was already active at least a day earlier (an
//! account's first day brings every address it uses). A *group* is one address brought to at
//! least [`RING_MIN_ACCOUNTS`] different accounts in hours starting within [`RING_SPAN_MS`] of
//! the group's first (groups are formed greedily along time, so they do not overlap). For each
//! member, take its largest such hour in the group and its empirical tail probability among the
//! account's own active hours, `p_i = #{hours reading at least as much} / #{hours}` (the hour
//! itself counted, so never 0). If the members' hours were ordinary, the `p_i` would be
//! independent and at least uniform, so Fisher's statistic `X = -2 sum ln p_i` is at most
//! chi-square with `2k` degrees of freedom; `P(chi2_2k >= X)`, times the number of groups
//! formed (Bonferroni), is the group's probability and `-log10` of it its score.
//!
//! A group must also read at least the bulk floor in all (records or bytes over its members'
//! hours). Each member gets a finding on its largest hour with the group's score; like a run's,
//! the score is a probability with its own line ([`super::runs::run_line`]).
//!
//! What it assumes, and what breaks it: that an ordinary address change (a new office NAT, a VPN
//! pool) brings normal volumes; with many accounts and ordinary hours, `X` stays near its null.
//! New joiners sharing a training room's address are not candidates (no earlier day).
//!
//! Reference: R. A. Fisher, *Statistical Methods for Research Workers* (1932), §21.1, combining
//! independent tests.

use super::tail::quantile;
use super::{Factor, Finding, Measure, Reason, Scope, Severity, VolumeBaseline, VOLUME_GATE};
use crate::features::Window;
use crate::ingest::time::{DAY_MS, HOUR_MS};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use std::collections::BTreeSet;
use std::ops::Range;

/// Fewest accounts sharing a new address for a group.
pub const RING_MIN_ACCOUNTS: usize = 3;
/// The hours of a group start within this of its first.
pub const RING_SPAN_MS: i64 = 3 * HOUR_MS;

/// What a ring finding rests on, for the explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct RingEvidence {
    /// The address (an IP code of the event table).
    pub ip: u32,
    /// The group's accounts (account codes, sorted), this one included.
    pub members: Vec<u32>,
    /// Groups formed in the run (the Bonferroni factor).
    pub groups: usize,
    /// The group's Fisher probability, before the Bonferroni factor.
    pub fisher_p: f64,
    /// This account's share of its active hours reading at least as much as its hour here.
    pub member_p: f64,
    /// This account's active hours.
    pub hours: usize,
}

/// One account's hours, for the members' tail probabilities (built only for group members).
struct History {
    measure: Measure,
    /// Volumes of its active hours, sorted.
    sorted: Vec<f64>,
}

impl History {
    fn of(windows: &[Window]) -> History {
        let measure = if windows.iter().any(|w| w.records.is_some()) {
            Measure::Records
        } else {
            Measure::Bytes
        };
        let mut sorted: Vec<f64> = windows
            .iter()
            .map(|w| measure.of(w).unwrap_or(0) as f64)
            .collect();
        sorted.sort_by(f64::total_cmp);
        History { measure, sorted }
    }

    fn tail(&self, v: f64) -> f64 {
        let n = self.sorted.len();
        if n == 0 || v <= 0.0 {
            return 1.0;
        }
        let at_least = n - self.sorted.partition_point(|&x| x < v);
        at_least.max(1) as f64 / n as f64
    }
}

/// Ring findings over all accounts' hourly windows; `groups` gives each account's range of
/// `hourly` (windows of one account contiguous, in time order). `floor` is the bulk floor per
/// measure. Scores are final; severities are set later. Output in (account, start) order.
pub fn find(
    hourly: &[Window],
    groups: &[(u32, Range<usize>)],
    floor: impl Fn(Measure) -> i64,
) -> Vec<Finding> {
    // Histories of group members only, built on first use: most accounts are in no group.
    let mut histories: Vec<Option<History>> = groups.iter().map(|_| None).collect();
    // (address, hour start, account's index in `groups`, window index)
    let mut brought: Vec<(u32, i64, usize, usize)> = Vec::new();
    for (g, (_, r)) in groups.iter().enumerate() {
        if r.is_empty() {
            continue;
        }
        let first = hourly[r.start].start_ms;
        for i in r.clone() {
            let w = &hourly[i];
            if w.start_ms < first.saturating_add(DAY_MS) {
                continue;
            }
            brought.extend(w.new_ips.iter().map(|&ip| (ip, w.start_ms, g, i)));
        }
    }
    brought.sort_unstable();

    // Greedy groups along time, per address.
    let mut found: Vec<(u32, Vec<(usize, usize)>)> = Vec::new();
    let mut i = 0;
    while i < brought.len() {
        let (ip, t0, ..) = brought[i];
        let mut j = i;
        while j + 1 < brought.len()
            && brought[j + 1].0 == ip
            && brought[j + 1].1 - t0 <= RING_SPAN_MS
        {
            j += 1;
        }
        let accounts: BTreeSet<usize> = brought[i..=j].iter().map(|b| b.2).collect();
        if accounts.len() >= RING_MIN_ACCOUNTS {
            // Each member's largest hour in the group.
            let mut members: Vec<(usize, usize)> = Vec::new();
            for &(_, _, g, w) in &brought[i..=j] {
                let h =
                    histories[g].get_or_insert_with(|| History::of(&hourly[groups[g].1.clone()]));
                let v = |w: usize| h.measure.of(&hourly[w]).unwrap_or(0);
                match members.iter_mut().find(|m| m.0 == g) {
                    Some(m) if v(w) > v(m.1) => m.1 = w,
                    Some(_) => {}
                    None => members.push((g, w)),
                }
            }
            found.push((ip, members));
            i = j + 1;
        } else {
            i += 1;
        }
    }

    let n_groups = found.len();
    let mut out = Vec::new();
    for (ip, members) in found {
        let sum =
            |m: Measure| -> i64 { members.iter().filter_map(|&(_, w)| m.of(&hourly[w])).sum() };
        if sum(Measure::Records) < floor(Measure::Records)
            && sum(Measure::Bytes) < floor(Measure::Bytes)
        {
            continue;
        }
        let ps: Vec<f64> = members
            .iter()
            .map(|&(g, w)| {
                let h = histories[g].as_ref().expect("built for members");
                h.tail(h.measure.of(&hourly[w]).unwrap_or(0) as f64)
            })
            .collect();
        let x = -2.0 * ps.iter().map(|p| p.ln()).sum::<f64>();
        let Ok(chi) = ChiSquared::new(2.0 * ps.len() as f64) else {
            continue;
        };
        let fisher_p = chi.sf(x);
        let p = (fisher_p * n_groups as f64).min(1.0);
        let score = -p.max(f64::MIN_POSITIVE).log10();
        if score < VOLUME_GATE {
            continue;
        }
        let mut accounts: Vec<u32> = members.iter().map(|&(g, _)| groups[g].0).collect();
        accounts.sort_unstable();
        for (&(g, w), &member_p) in members.iter().zip(&ps) {
            let h = histories[g].as_ref().expect("built for members");
            out.push(Finding {
                window: hourly[w].clone(),
                score,
                severity: Severity::Low,
                baseline: VolumeBaseline {
                    scope: Scope::Account,
                    measure: h.measure,
                    windows: h.sorted.len(),
                    median: quantile(&h.sorted, 0.5).unwrap_or(0.0),
                    p99: quantile(&h.sorted, 0.99).unwrap_or(0.0),
                    tail_probability: member_p,
                    model: super::VolumeModel::RingTest,
                },
                hour_rate: None,
                reasons: vec![Reason {
                    factor: Factor::SharedIp,
                    contribution: score,
                    observed: accounts.len() as f64,
                    typical: member_p,
                }],
                run: None,
                ring: Some(RingEvidence {
                    ip,
                    members: accounts.clone(),
                    groups: n_groups,
                    fisher_p,
                    member_p,
                    hours: h.sorted.len(),
                }),
            });
        }
    }
    out.sort_by_key(|f| (f.window.account, f.window.start_ms));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::WindowKind;

    const IP: u32 = 7;

    fn hour(account: u32, h: i64, records: i64, new_ip: bool) -> Window {
        Window {
            account,
            kind: WindowKind::Hour,
            start_ms: h * HOUR_MS,
            end_ms: (h + 1) * HOUR_MS,
            events: 3,
            records: Some(records),
            bytes: None,
            distinct_objects: 1,
            local_day: (h / 24) as i32,
            local_hour: (h % 24) as u8,
            local_weekday: 0,
            new_ips: if new_ip { vec![IP] } else { Vec::new() },
            new_clients: Vec::new(),
            new_objects: Vec::new(),
        }
    }

    /// Accounts 0..n: 50 ordinary hours (10-59 records, one a day from hour 0), then at hour
    /// `at(a)` `records` from the new address.
    fn tenant(n: u32, at: impl Fn(u32) -> i64, records: i64) -> Vec<Finding> {
        let mut hourly = Vec::new();
        let mut groups = Vec::new();
        for a in 0..n {
            let start = hourly.len();
            hourly.extend((0..50).map(|d| hour(a, d * 24, 10 + d, false)));
            hourly.push(hour(a, at(a), records, true));
            groups.push((a, start..hourly.len()));
        }
        find(&hourly, &groups, |m| match m {
            Measure::Records => 1_000,
            Measure::Bytes => 1_000_000,
        })
    }

    #[test]
    fn three_accounts_on_one_new_address_by_hand() {
        // Each account's 500-record hour is the largest of its 51: p = 1/51 each. Fisher:
        // X = 6 ln 51; with 6 degrees of freedom P(chi2 >= X) = e^(-X/2) (1 + X/2 + (X/2)^2/2).
        // One group, so no Bonferroni factor.
        let f = tenant(3, |a| 1300 + i64::from(a), 500);
        assert_eq!(f.len(), 3);
        let half = 3.0 * 51f64.ln();
        let want = (-half).exp() * (1.0 + half + half * half / 2.0);
        for (a, g) in f.iter().enumerate() {
            assert_eq!(g.window.account, a as u32);
            assert_eq!(g.window.start_ms, (1300 + a as i64) * HOUR_MS);
            assert!(
                (g.score + want.log10()).abs() < 1e-9,
                "{} vs {}",
                g.score,
                -want.log10()
            );
            let e = g.ring.as_ref().unwrap();
            assert_eq!(e.members, [0, 1, 2]);
            assert_eq!((e.ip, e.groups, e.hours), (IP, 1, 51));
            assert!((e.member_p - 1.0 / 51.0).abs() < 1e-12);
            assert_eq!(g.reasons[0].factor, Factor::SharedIp);
        }
    }

    #[test]
    fn no_ring_without_three_accounts_within_three_hours() {
        assert!(tenant(2, |a| 1300 + i64::from(a), 500).is_empty());
        // The third account four hours after the first: two groups of too few.
        assert!(tenant(3, |a| 1300 + 2 * i64::from(a), 500).is_empty());
        // Within three hours of the first hour's start: a group.
        assert_eq!(tenant(3, |a| 1300 + i64::from(a) * 3 / 2, 500).len(), 3);
    }

    #[test]
    fn no_ring_below_the_bulk_floor() {
        // 3 x 300 records: as rare, but under the 1,000-record floor in all; 3 x 334 reach it.
        assert!(tenant(3, |a| 1300 + i64::from(a), 300).is_empty());
        assert_eq!(tenant(3, |a| 1300 + i64::from(a), 334).len(), 3);
    }

    #[test]
    fn ordinary_hours_on_a_shared_new_address_score_below_the_gate() {
        // Ten accounts move to one new address (a new office NAT) with ordinary hours of 40
        // records: 20 of an account's 50 hours read at least that much (21 of 51 with this one),
        // so Fisher's statistic stays near its null, far below the gate.
        let hourly: Vec<Window> = (0..50).map(|d| hour(0, d * 24, 10 + d, false)).collect();
        let h = History::of(&hourly);
        assert!((h.tail(40.0) - 20.0 / 50.0).abs() < 1e-12);
        let p = 21.0f64 / 51.0;
        let x = -2.0 * 10.0 * p.ln();
        let chi = ChiSquared::new(20.0).unwrap();
        assert!(-chi.sf(x).log10() < VOLUME_GATE);
    }

    #[test]
    fn an_accounts_first_day_brings_no_address() {
        // Account 2 starts with the shared hour (its history after it): every address is new
        // on a first day, so only two accounts are brought the address.
        let mut hourly = Vec::new();
        let mut groups = Vec::new();
        for a in 0..3u32 {
            let start = hourly.len();
            if a == 2 {
                hourly.push(hour(a, 1200, 500, true));
                hourly.extend((51..100).map(|d| hour(a, d * 24, 10, false)));
            } else {
                hourly.extend((0..50).map(|d| hour(a, d * 24, 10 + d, false)));
                hourly.push(hour(a, 1200, 500, true));
            }
            groups.push((a, start..hourly.len()));
        }
        assert!(find(&hourly, &groups, |_| 1_000).is_empty());
    }
}
