//! Rings: several accounts driven at once from one address new to each of them (stolen
//! credentials used together from an attacker's host), each only moderately above its norm, so
//! that no account's hour is remarkable alone.
//!
//! Method. An hourly window *brings* an address when the account used it only around that hour
//! (the features' novelty band) and the account was already active at least a day earlier (an
//! account's first day brings every address it uses). A *group* is one address brought to at
//! least [`RING_MIN_ACCOUNTS`] different accounts in hours starting within [`RING_SPAN_MS`] of
//! the group's first (groups are formed greedily along time, so they do not overlap). For each
//! member, take its largest such hour in the group and two empirical tail probabilities among
//! the account's own active hours: of its volume, `p_i = #{hours reading at least as much} /
//! #{hours}` (the hour itself counted, so never 0), and of its time of day, `q_i` = the share of
//! its other active hours at hours of day it works no more often than this one (Laplace-smoothed:
//! an hour it never works at is `1 / (n + 1)`). An attacker works when the stolen sessions
//! suit them, not when their owners do. If the members' hours were ordinary, the `2k` values
//! would be independent and at least uniform, so Fisher's statistic `X = -2 sum (ln p_i +
//! ln q_i)` is at most chi-square with `4k` degrees of freedom; `P(chi2_4k >= X)` (combined
//! with the client's, below), corrected for the groups formed (below), is the group's probability and
//! `-log10` of it its score.
//!
//! The correction for the groups formed counts them by the kind of address. Where an organisation's
//! staff reach the platform through pooled egress addresses (a VPN pool, a carrier's NAT), the
//! addresses rotate and groups form every day, all at addresses that other accounts use
//! routinely ([`crate::features::Features::routine_ips`]); an attacker's host is used by no
//! account of the organisation routinely. The groups are split into those two families, each
//! tested at half the error rate, with Holm's step-down correction within each ([`holm`]: the
//! most surprising of a family's `m` groups is multiplied by twice `m`, the next by twice
//! `m - 1`, and so on; without the doubling when only one kind was formed). Which family a group falls in
//! depends on how the organisation uses the address elsewhere, not on the members' hours or
//! clients, so under the null it leaves the group's probability as it was (stratified or
//! "independent" filtering: R. Bourgon, R. Gentleman, W. Huber, "Independent filtering
//! increases detection power for high-throughput experiments", PNAS 107(21), 2010). Ten
//! groups a day at a VPN pool's addresses then no longer dilute the one at an unknown host;
//! a ring through an address the organisation also uses still counts against its own kind.
//!
//! The client is the third test. Stolen sessions are driven by the attacker's tooling, so
//! members often bring a client new to them along with the address. How often an hour that
//! brings a new address also brings a new client is measured on the rest of the organisation
//! (all other accounts' such hours, Laplace-smoothed; and the group's days, shrunk towards that
//! rate, so that an organisation-wide change of network and client on one day weighs nothing):
//! `r`. If `m` of the `k` members bring a new client, `P(Binomial(k, r) >= m)` is the client
//! probability, and Fisher's method combines it with the hours' (four degrees of freedom). It is
//! one probability for the group, not one per member, and it is computed given that each
//! member brought a new address, so travel with a second device does not count twice.
//!
//! No bulk floor applies: the floor keeps single windows too small to be a theft from costing an
//! analyst an hour, but a ring's harm is the several accounts taken over, whatever they read so
//! far (the rings read "only moderately above" each account's norm). Each member gets a
//! finding on its largest hour with the group's score; like a run's, the score is a probability
//! with its own line ([`super::runs::budget_line`]).
//!
//! What it assumes, and what breaks it: that an ordinary address change (a new office NAT, a VPN
//! pool) brings normal volumes; with many accounts and ordinary hours, `X` stays near its null.
//! New joiners sharing a training room's address are not candidates (no earlier day).
//!
//! Reference: R. A. Fisher, *Statistical Methods for Research Workers* (1932), §21.1, combining
//! independent tests.

use super::tail::quantile;
use super::{Factor, Finding, Measure, Reason, Scope, Severity, VolumeBaseline, VOLUME_GATE};
use crate::features::{Routine, Window};
use crate::ingest::time::{DAY_MS, HOUR_MS};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use std::collections::{BTreeMap, BTreeSet};
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
    /// Groups formed in the run.
    pub groups: usize,
    /// Some account of the organisation uses the address routinely
    /// ([`crate::features::Features::routine_ips`]): an office NAT, a VPN pool.
    pub routine_address: bool,
    /// Groups formed in the run at addresses of the same kind (routine or not) as this one's.
    pub family: usize,
    /// This group's place in its family by `fisher_p`, 1 for the most surprising ([`holm`]).
    pub rank: usize,
    /// The factor the group's probability was multiplied by ([`holm`]): `family - rank + 1`,
    /// doubled when groups of both kinds were formed (or a more surprising group's, when larger).
    pub multiplicity: f64,
    /// The group's probability, before the factor: Fisher's combination of `hours_p` and
    /// `client_p`.
    pub fisher_p: f64,
    /// Fisher's combination of the members' volume and hour-of-day tails.
    pub hours_p: f64,
    /// Members whose hours here also bring a client new to them.
    pub with_client: usize,
    /// How often an hour bringing a new address also brings a new client elsewhere (see
    /// [`ClientRate::without`]).
    pub client_rate: f64,
    /// `P(Binomial(members, client_rate) >= with_client)`.
    pub client_p: f64,
    /// This account's share of its active hours reading at least as much as its hour here.
    pub member_p: f64,
    /// This account's share of its other active hours at hours of day it works no more often
    /// than this one's.
    pub hour_p: f64,
    /// This account's active hours.
    pub hours: usize,
}

/// One account's hours, for the members' tail probabilities (built only for group members).
struct History {
    measure: Measure,
    /// Volumes of its active hours, sorted.
    sorted: Vec<f64>,
    /// Its active hours by local hour of day.
    by_hour: [u32; 24],
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
        let mut by_hour = [0u32; 24];
        for w in windows {
            by_hour[usize::from(w.local_hour) % 24] += 1;
        }
        History {
            measure,
            sorted,
            by_hour,
        }
    }

    /// How unusual a local hour of day is for the account: the share of its other active hours
    /// that fall at hours of day it works no more often than this one (its own hour taken out),
    /// Laplace-smoothed, `(that many + 1) / (other active hours + 1)`. An hour it never works
    /// at otherwise gives `1 / (n + 1)`; its busiest hour gives 1.
    fn hour_tail(&self, hour: u8) -> f64 {
        let mut counts = self.by_hour;
        let h = usize::from(hour) % 24;
        counts[h] = counts[h].saturating_sub(1);
        let others: u32 = counts.iter().sum();
        let as_rare: u32 = counts.iter().filter(|&&c| c <= counts[h]).sum();
        (f64::from(as_rare) + 1.0) / (f64::from(others) + 1.0)
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

/// How often an hour that brings an account a new address also brings it a new client, over all
/// accounts' hours after their first day: in all (`all`) and by UTC day (`by_day`), each as
/// (hours bringing an address, of them also bringing a client).
struct ClientRate {
    all: (u32, u32),
    by_day: BTreeMap<i64, (u32, u32)>,
}

impl ClientRate {
    fn new() -> ClientRate {
        ClientRate {
            all: (0, 0),
            by_day: BTreeMap::new(),
        }
    }

    /// Counts an hour that brings its account a new address.
    fn add(&mut self, w: &Window) {
        let client = u32::from(!w.new_clients.is_empty());
        let day = self
            .by_day
            .entry(w.start_ms.div_euclid(DAY_MS))
            .or_default();
        for c in [&mut self.all, day] {
            c.0 += 1;
            c.1 += client;
        }
    }

    /// The rate for a group whose hours are `hours` (indices into `hourly`), those hours taken
    /// out: the larger of the Laplace-smoothed rate over all other hours, `r = (x + 1) / (n +
    /// 1)`, and the rate on any day the group touches, `(x_d + w r) / (n_d + w)`, shrunk
    /// towards `r` with the weight `w` of an average day's such hours (an organisation-wide
    /// change of network and client on one day makes that day's rate high; a day of one such
    /// hour says little).
    fn without(&self, hourly: &[Window], hours: &[usize]) -> f64 {
        let mut all = self.all;
        let mut days: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
        for &i in hours {
            let w = &hourly[i];
            let client = u32::from(!w.new_clients.is_empty());
            let d = w.start_ms.div_euclid(DAY_MS);
            let day = days
                .entry(d)
                .or_insert_with(|| self.by_day.get(&d).copied().unwrap_or_default());
            for c in [&mut all, day] {
                c.0 = c.0.saturating_sub(1);
                c.1 = c.1.saturating_sub(client);
            }
        }
        let overall = (f64::from(all.1) + 1.0) / (f64::from(all.0) + 1.0);
        // A day's own rate is shrunk towards the overall one with the weight of an average
        // day's hours (a day of one such hour says little).
        let weight = f64::from(all.0) / self.by_day.len().max(1) as f64;
        days.values()
            .map(|d| (f64::from(d.1) + weight * overall) / (f64::from(d.0) + weight))
            .fold(overall, f64::max)
    }
}

/// `P(Binomial(n, p) >= m)`, summed exactly (`n` is a group's size, a few).
fn binomial_tail(n: usize, m: usize, p: f64) -> f64 {
    if m == 0 {
        return 1.0;
    }
    let mut choose = 1.0f64;
    let mut sum = 0.0;
    for j in 0..=n {
        if j > 0 {
            choose *= (n - j + 1) as f64 / j as f64;
        }
        if j >= m {
            sum += choose * p.powi(j as i32) * (1.0 - p).powi((n - j) as i32);
        }
    }
    sum.min(1.0)
}

/// Fisher's combination of two independent probabilities: `P(chi2_4 >= -2 ln(a b))`, which for
/// four degrees of freedom is `t (1 - ln t)` with `t = a b`.
fn combine(a: f64, b: f64) -> f64 {
    let t = (a * b).max(f64::MIN_POSITIVE);
    (t * (1.0 - t.ln())).min(1.0)
}

/// A ring group's probabilities, before the correction for the groups formed.
struct Tested {
    ip: u32,
    /// Some account of the organisation uses the address routinely: the group's family.
    routine: bool,
    /// Members as (index in `groups`, window index of its largest hour in the group).
    members: Vec<(usize, usize)>,
    with_client: usize,
    client_rate: f64,
    /// Per member, the volume's and the hour of day's tail probabilities.
    ps: Vec<(f64, f64)>,
    hours_p: f64,
    client_p: f64,
    fisher_p: f64,
}

/// Holm's step-down correction of the groups' probabilities within each family (`routine`:
/// addresses some account uses routinely, or none): per group, its rank in its family by
/// `fisher_p` (1 the smallest; ties in the order given), the family's size, and its corrected
/// probability `max over ranks j <= its own of min(1, c (m - j + 1) p_(j))`, `m` the family's
/// size and `c` 2 when groups of both families were formed (each at half the error rate), else 1.
///
/// Holm's procedure controls the chance of any false ring at the level the line sets, as
/// Bonferroni's factor `c m` does, under any dependence between the groups, and is never less
/// powerful: the most surprising group is multiplied by `c m` as before, the next by
/// `c (m - 1)`, and so on. On a tenant where several rings are found, the weakest is no longer
/// weighed against the others as if they, too, might be chance. (S. Holm, "A simple
/// sequentially rejective multiple test procedure", Scandinavian Journal of Statistics 6(2),
/// 1979.)
fn holm(tested: &[Tested]) -> Vec<(usize, usize, f64)> {
    let routine = tested.iter().filter(|t| t.routine).count();
    let both = routine > 0 && routine < tested.len();
    let c = if both { 2.0 } else { 1.0 };
    let mut out = vec![(0, 0, 1.0); tested.len()];
    for kind in [false, true] {
        let mut family: Vec<usize> = (0..tested.len())
            .filter(|&i| tested[i].routine == kind)
            .collect();
        family.sort_by(|&a, &b| tested[a].fisher_p.total_cmp(&tested[b].fisher_p));
        let m = family.len();
        let mut running: f64 = 0.0;
        for (j, &i) in family.iter().enumerate() {
            let factor = c * (m - j) as f64;
            running = running.max((factor * tested[i].fisher_p).min(1.0));
            out[i] = (j + 1, m, running);
        }
    }
    out
}

/// Ring findings over all accounts' hourly windows; `groups` gives each account's range of
/// `hourly` (windows of one account contiguous, in time order). Scores are final; severities are
/// set later. Output in (account, start) order.
pub fn find(
    hourly: &[Window],
    groups: &[(u32, Range<usize>)],
    routine_ips: &Routine,
) -> Vec<Finding> {
    // Histories of group members only, built on first use: most accounts are in no group.
    let mut histories: Vec<Option<History>> = groups.iter().map(|_| None).collect();
    // (address, hour start, account's index in `groups`, window index)
    let mut brought: Vec<(u32, i64, usize, usize)> = Vec::new();
    let mut rate = ClientRate::new();
    for (g, (_, r)) in groups.iter().enumerate() {
        if r.is_empty() {
            continue;
        }
        let first = hourly[r.start].start_ms;
        for i in r.clone() {
            let w = &hourly[i];
            if w.start_ms < first.saturating_add(DAY_MS) || w.new_ips.is_empty() {
                continue;
            }
            rate.add(w);
            brought.extend(w.new_ips.iter().map(|&ip| (ip, w.start_ms, g, i)));
        }
    }
    brought.sort_unstable();

    // Greedy groups along time, per address.
    // (address, members as (index in `groups`, window index), members bringing a new client,
    // the client rate)
    type Group = (u32, Vec<(usize, usize)>, usize, f64);
    let mut found: Vec<Group> = Vec::new();
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
            // The group's hours, each once, for the client rate's leave-out counts.
            let mut hours: Vec<usize> = brought[i..=j].iter().map(|b| b.3).collect();
            hours.sort_unstable();
            hours.dedup();
            let with_client = members
                .iter()
                .filter(|m| {
                    brought[i..=j]
                        .iter()
                        .any(|b| b.2 == m.0 && !hourly[b.3].new_clients.is_empty())
                })
                .count();
            found.push((ip, members, with_client, rate.without(hourly, &hours)));
            i = j + 1;
        } else {
            i += 1;
        }
    }

    let n_groups = found.len();
    // Each group's probabilities: per member, the volume's tail and the hour of day's; the
    // hours' and the client's combined.
    let mut tested = Vec::with_capacity(found.len());
    for (ip, members, with_client, client_rate) in found {
        let ps: Vec<(f64, f64)> = members
            .iter()
            .map(|&(g, w)| {
                let h = histories[g].as_ref().expect("built for members");
                let w = &hourly[w];
                (
                    h.tail(h.measure.of(w).unwrap_or(0) as f64),
                    h.hour_tail(w.local_hour),
                )
            })
            .collect();
        let x = -2.0 * ps.iter().map(|(p, q)| p.ln() + q.ln()).sum::<f64>();
        let Ok(chi) = ChiSquared::new(4.0 * ps.len() as f64) else {
            continue;
        };
        let hours_p = chi.sf(x);
        let client_p = binomial_tail(members.len(), with_client, client_rate);
        let fisher_p = combine(hours_p, client_p);
        tracing::debug!(
            ip,
            routine = routine_ips.contains(ip),
            members = members.len(),
            with_client,
            client_rate,
            hours_p,
            client_p,
            fisher_p,
            "ring group"
        );
        tested.push(Tested {
            ip,
            routine: routine_ips.contains(ip),
            members,
            with_client,
            client_rate,
            ps,
            hours_p,
            client_p,
            fisher_p,
        });
    }
    let adjusted = holm(&tested);
    let mut out = Vec::new();
    for (t, (rank, family, p)) in tested.iter().zip(adjusted) {
        let multiplicity = p / t.fisher_p.max(f64::MIN_POSITIVE);
        let score = -p.max(f64::MIN_POSITIVE).log10();
        if score < VOLUME_GATE {
            continue;
        }
        let mut accounts: Vec<u32> = t.members.iter().map(|&(g, _)| groups[g].0).collect();
        accounts.sort_unstable();
        for (&(g, w), &(member_p, hour_p)) in t.members.iter().zip(&t.ps) {
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
                    ip: t.ip,
                    members: accounts.clone(),
                    groups: n_groups,
                    routine_address: t.routine,
                    family,
                    rank,
                    multiplicity,
                    fisher_p: t.fisher_p,
                    hours_p: t.hours_p,
                    with_client: t.with_client,
                    client_rate: t.client_rate,
                    client_p: t.client_p,
                    member_p,
                    hour_p,
                    hours: h.sorted.len(),
                }),
                busy_day: None,
                month_close: None,
                peer_day: None,
                off_hours_precedent: None,
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
            exports: 0,
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
        find(&hourly, &groups, &Routine::default())
    }

    #[test]
    fn three_accounts_on_one_new_address_by_hand() {
        // Each account's 500-record hour is the largest of its 51: p = 1/51 each. Its hour of day
        // (hour 1300 + a: 4, 5 or 6 o'clock) is one it never works at otherwise (its 50 other
        // hours are all at 0 o'clock): q = (0 + 1) / (50 + 1) = 1/51 each. Fisher: X = -2 * 6 *
        // ln(1/51) = 12 ln 51; with 12 degrees of freedom P(chi2 >= X) = e^(-X/2) sum_{j<6}
        // (X/2)^j / j!. One group, so no correction for others.
        let f = tenant(3, |a| 1300 + i64::from(a), 500);
        assert_eq!(f.len(), 3);
        let half = 6.0 * 51f64.ln();
        let mut term = 1.0;
        let mut sum = 0.0;
        for j in 0..6 {
            if j > 0 {
                term *= half / f64::from(j);
            }
            sum += term;
        }
        let hours = (-half).exp() * sum;
        // No member brings a new client: the client probability is 1, and Fisher's combination
        // with it is hours (1 - ln hours).
        let want = hours * (1.0 - hours.ln());
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
            assert!((e.hour_p - 1.0 / 51.0).abs() < 1e-12);
            assert_eq!(g.reasons[0].factor, Factor::SharedIp);
        }
    }

    /// Accounts 0-2: the ring of [`tenant`] (500 records at hours 1300-1302, address [`IP`]).
    /// Then `pools` groups of three more accounts each, group `g` at address `200 + g` with
    /// ordinary hours (30 records at 0 o'clock on day `60 + g`): a VPN pool's rotation.
    fn ring_among_pool_groups(pools: u32, routine: &[u32]) -> Vec<Finding> {
        let mut hourly = Vec::new();
        let mut groups = Vec::new();
        for a in 0..3 + 3 * pools {
            let start = hourly.len();
            hourly.extend((0..50).map(|d| hour(a, d * 24, 10 + d, false)));
            if a < 3 {
                hourly.push(hour(a, 1300 + i64::from(a), 500, true));
            } else {
                let g = (a - 3) / 3;
                let mut w = hour(a, i64::from(60 + g) * 24, 30, true);
                w.new_ips = vec![200 + g];
                hourly.push(w);
            }
            groups.push((a, start..hourly.len()));
        }
        find(&hourly, &groups, &Routine::from_uses(routine.to_vec()))
    }

    #[test]
    fn groups_at_routine_addresses_do_not_dilute_a_ring_at_an_unknown_one() {
        // The ring alone: its Fisher probability p (the hand-computed case above).
        let alone = tenant(3, |a| 1300 + i64::from(a), 500);
        let p = alone[0].ring.as_ref().unwrap().fisher_p;
        assert!((alone[0].score + p.log10()).abs() < 1e-12);
        // Nine pool groups with ordinary hours score nothing, but they are tested: without
        // knowing their addresses are routine, the ring's factor is the 10 groups formed.
        let f = ring_among_pool_groups(9, &[]);
        assert_eq!(f.len(), 3);
        let e = f[0].ring.as_ref().unwrap();
        assert_eq!(
            (e.groups, e.family, e.rank, e.multiplicity),
            (10, 10, 1, 10.0)
        );
        assert!(!e.routine_address);
        assert!(
            (f[0].score + (10.0 * p).log10()).abs() < 1e-9,
            "{}",
            f[0].score
        );
        // The pool's addresses used routinely by some account: two families, each at half the
        // error rate. The ring is the only group of its kind: factor 2 x 1.
        let pools: Vec<u32> = (200..209).collect();
        let f = ring_among_pool_groups(9, &pools);
        assert_eq!(f.len(), 3);
        let e = f[0].ring.as_ref().unwrap();
        assert_eq!(
            (e.groups, e.family, e.rank, e.multiplicity),
            (10, 1, 1, 2.0)
        );
        assert!(
            (f[0].score + (2.0 * p).log10()).abs() < 1e-9,
            "{}",
            f[0].score
        );
        // Every address routine (the ring's too): one family again, factor 10.
        let mut all = pools.clone();
        all.insert(0, IP);
        let e = ring_among_pool_groups(9, &all)[0].ring.clone().unwrap();
        assert!(e.routine_address);
        assert_eq!(
            (e.groups, e.family, e.rank, e.multiplicity),
            (10, 10, 1, 10.0)
        );
    }

    #[test]
    fn holm_steps_down_within_each_family() {
        let group = |ip: u32, fisher_p: f64| Tested {
            ip,
            routine: ip == 9,
            members: Vec::new(),
            with_client: 0,
            client_rate: 0.0,
            ps: Vec::new(),
            hours_p: fisher_p,
            client_p: 1.0,
            fisher_p,
        };
        // Three groups at unknown addresses (1-3) and one at a routine one (9): two families,
        // each at half the error rate. By hand: 2 x 3 x 1e-6 = 6e-6; 2 x 2 x 4e-6 = 1.6e-5;
        // 2 x 1 x 1e-5 = 2e-5 (Bonferroni gave each 2 x 3); the routine one 2 x 1 x 0.5 = 1.
        let tested = [
            group(2, 4e-6),
            group(9, 0.5),
            group(1, 1e-6),
            group(3, 1e-5),
        ];
        let got = holm(&tested);
        let want = [(2, 3, 1.6e-5), (1, 1, 1.0), (1, 3, 6e-6), (3, 3, 2e-5)];
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1), (w.0, w.1));
            assert!((g.2 - w.2).abs() < 1e-18, "{g:?} vs {w:?}");
        }
        // Step-down never lets a weaker group score above a stronger one: 2 x 1e-6 = 2e-6 for the
        // first of two in one family; the second's own 1 x 1.5e-6 is smaller, so it takes 2e-6.
        let got = holm(&[group(1, 1.5e-6), group(2, 1e-6)]);
        assert_eq!((got[1].0, got[0].0), (1, 2));
        assert!((got[1].2 - 2e-6).abs() < 1e-18 && (got[0].2 - 2e-6).abs() < 1e-18);
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
    fn small_reads_make_a_ring_but_ordinary_volumes_do_not() {
        // 3 x 300 records, under the 1,000-record bulk floor in all: still the largest hour of
        // each account, at an hour it never works; found (no floor for rings).
        assert_eq!(tenant(3, |a| 1300 + i64::from(a), 300).len(), 3);
        // 3 x 0 records at those rare hours: p = 1 each, q = 1/51 each, X = 6 ln 51 on 12
        // degrees of freedom: e^(-3 ln 51) sum_{j<6} (3 ln 51)^j / j! = 0.0231, under the gate.
        assert!(tenant(3, |a| 1300 + i64::from(a), 0).is_empty());
        let half = 3.0 * 51f64.ln();
        let sum: f64 = (0..6)
            .map(|j| half.powi(j) / (1..=j).map(f64::from).product::<f64>())
            .sum();
        let p = (-half).exp() * sum;
        assert!((p - 0.0231).abs() < 5e-4, "{p}");
    }

    #[test]
    fn ordinary_hours_on_a_shared_new_address_score_below_the_gate() {
        // Ten accounts move to one new address (a new office NAT) with ordinary hours of 40
        // records: 20 of an account's 50 hours read at least that much (21 of 51 with this one),
        // so Fisher's statistic stays near its null, far below the gate.
        // At the hour of day they always work at (0 o'clock), q = (49 + 1) / (49 + 1) = 1.
        let hourly: Vec<Window> = (0..50).map(|d| hour(0, d * 24, 10 + d, false)).collect();
        let h = History::of(&hourly);
        assert!((h.tail(40.0) - 20.0 / 50.0).abs() < 1e-12);
        assert_eq!(h.hour_tail(0), 1.0);
        let p = 21.0f64 / 51.0;
        let x = -2.0 * 10.0 * (p.ln() + 1f64.ln());
        let chi = ChiSquared::new(40.0).unwrap();
        assert!(-chi.sf(x).log10() < VOLUME_GATE);
    }

    /// Accounts 0-2: 50 ordinary hours at 0 o'clock (10-59 records), then an hour of 0 records
    /// at 0 o'clock on day 200 from the shared address, bringing a new client when `client`.
    /// Accounts 3-42: the same 50 hours, then one hour from an address of their own (100 + k);
    /// `on_day_200` of them at hours 4801.. of day 200 with a new client, the others on days
    /// 51.. without one.
    fn client_tenant(client: bool, on_day_200: usize) -> (Vec<Window>, Vec<(u32, Range<usize>)>) {
        let mut hourly = Vec::new();
        let mut groups = Vec::new();
        for a in 0..43u32 {
            let start = hourly.len();
            hourly.extend((0..50).map(|d| hour(a, d * 24, 10 + d, false)));
            let mut w = if a < 3 {
                let mut w = hour(a, 4800, 0, true);
                w.new_clients = if client { vec![1] } else { Vec::new() };
                w
            } else {
                let k = (a - 3) as usize;
                let mut w = if k < on_day_200 {
                    let mut w = hour(a, 4801 + k as i64, 30, true);
                    w.new_clients = vec![2];
                    w
                } else {
                    hour(a, (51 + k as i64) * 24, 30, true)
                };
                w.new_ips = vec![100 + a];
                w
            };
            w.account = a;
            hourly.push(w);
            groups.push((a, start..hourly.len()));
        }
        (hourly, groups)
    }

    #[test]
    fn a_client_new_to_every_member_by_hand() {
        // The members' hours are ordinary in volume (0 records: p = 1) and time of day (0
        // o'clock, where all their other hours are: q = 51 / 51 = 1), so the hours' Fisher
        // probability is 1. Elsewhere 40 hours bring a new address, none a new client: the
        // rate is (0 + 1) / (40 + 1) = 1/41 (day 200 has none of those hours, so its rate is
        // that too). All 3 members bring a new client: P(Binomial(3, 1/41) >= 3) = 41^-3 = t,
        // combined with 1 by Fisher: t (1 - ln t) = 1.7616e-4, score 3.754.
        let (hourly, groups) = client_tenant(true, 0);
        let f = find(&hourly, &groups, &Routine::default());
        assert_eq!(f.len(), 3);
        let t = 41f64.powi(-3);
        let want = t * (1.0 - t.ln());
        assert!((want - 1.7616e-4).abs() < 1e-8, "{want}");
        for g in &f {
            let e = g.ring.as_ref().unwrap();
            assert_eq!((e.with_client, e.groups), (3, 1));
            assert!((e.hours_p - 1.0).abs() < 1e-12, "{}", e.hours_p);
            assert!((e.client_rate - 1.0 / 41.0).abs() < 1e-12);
            assert!((e.client_p - t).abs() < 1e-15);
            assert!((g.score + want.log10()).abs() < 1e-9, "{}", g.score);
        }
        // Without the client, nothing is unusual.
        let (hourly, groups) = client_tenant(false, 0);
        assert!(find(&hourly, &groups, &Routine::default()).is_empty());
    }

    #[test]
    fn a_day_when_new_addresses_bring_new_clients_everywhere_raises_the_rate() {
        // 8 of the 40 other hours are on day 200, all with a new client; 32 on other days, none.
        // Overall: r = (8 + 1) / (40 + 1) = 9/41. An average day has w = 40 / 33 such hours
        // (33 days have any). Day 200, the group's hours taken out: (8 + w r) / (8 + w) =
        // 0.8973, the larger. The group's client probability 0.8973^3 = 0.72: no finding.
        let (hourly, groups) = client_tenant(true, 8);
        let mut rate = ClientRate::new();
        for (_, r) in &groups {
            // Every account's first hour is on day 0; the hours bringing an address come later.
            for w in hourly[r.clone()].iter().filter(|w| !w.new_ips.is_empty()) {
                rate.add(w);
            }
        }
        assert_eq!(rate.all, (43, 11));
        assert_eq!(rate.by_day.len(), 33);
        let group: Vec<usize> = (0..3).map(|a| groups[a].1.end - 1).collect();
        let r: f64 = 9.0 / 41.0;
        let w: f64 = 40.0 / 33.0;
        let want = (8.0 + w * r) / (8.0 + w);
        assert!((want - 0.8973).abs() < 1e-4, "{want}");
        assert!((rate.without(&hourly, &group) - want).abs() < 1e-12);
        assert!(find(&hourly, &groups, &Routine::default()).is_empty());
    }

    #[test]
    fn binomial_tail_by_hand() {
        assert_eq!(binomial_tail(3, 0, 0.2), 1.0);
        // P(X >= 2) for Binomial(3, 0.2) = 3 * 0.04 * 0.8 + 0.008 = 0.104.
        assert!((binomial_tail(3, 2, 0.2) - 0.104).abs() < 1e-12);
        assert!((binomial_tail(4, 4, 0.5) - 0.0625).abs() < 1e-12);
        // Fisher's two-probability combination: chi-square with 4 degrees of freedom at
        // -2 ln(0.01 * 0.1) = 13.8155: e^(-6.9078) (1 + 6.9078) = 0.0079078.
        assert!((combine(0.01, 0.1) - 0.0079078).abs() < 1e-6);
        assert_eq!(combine(1.0, 1.0), 1.0);
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
        assert!(find(&hourly, &groups, &Routine::default()).is_empty());
    }
}
