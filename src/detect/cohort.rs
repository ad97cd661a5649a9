//! Peer-group busy days: a day on which far more accounts of one peer group than chance have a
//! heavy day at once (a marketing team's campaign week, a fraud team's fraud wave, analysts'
//! month-end), so that a member's heavy day that day may be the group's work, not its own.
//!
//! An organisation-wide busy day ([`super::orgday`]) moves the median account; a team of twenty
//! in a tenant of a thousand does not, and each of its members, judged against its own history,
//! has a day five to twenty times its usual. *Peers* are the accounts of a source that share a
//! main object (`features::MainObjects`: an object that makes up at least a tenth of the
//! account's records), so the people who read campaigns and leads much of the time are one
//! group and the contact centre's case readers another; an account can be in several.
//!
//! Method ([`peer_days`]).
//! - *Heavy day.* An account with at least [`MIN_HISTORY_DAYS`] active days in a measure
//!   (records, else bytes) has a median `m` and a robust spread `s` (1.4826 times the median
//!   absolute deviation) of its daily log volumes; a day of it is heavy when it reads at least
//!   `m + max(2 s, ln 2)` (twice its median and two spreads above it) and brings no new IP and
//!   no new client (a day that does has another explanation to weigh: travel, a ring, a stolen
//!   token).
//! - *Busy day of a group.* Of the `a` members of group `g` active on day `d`, `k` are heavy.
//!   Were the group no busier that day than the rest of its source, `k` would be about
//!   Poisson with mean `q a`, where `q` is the share of heavy days that day among the source's
//!   *other* active accounts (Laplace-smoothed). So a day busy across the organisation is no
//!   group's busy day, and a group that is most of its source (fewer than [`MIN_PEER_OTHERS`]
//!   others) is not tested: it is the organisation. The group-days with `a` of at least
//!   [`MIN_PEER_HEAVY`] are tested, and those with `k >= `[`MIN_PEER_HEAVY`] whose `P(X >= k)`
//!   pass Benjamini-Hochberg at [`PEER_FDR`] over all tests are significant.
//! - *Who took part.* The share of the group that took part beyond chance is
//!   `(k - q a) / a`; a significant group-day is a busy day only when that share is at least
//!   [`MIN_PEER_SHARE`] (a group of three hundred with a dozen heavy is a handful of people,
//!   not the group's work).
//! - *How much busier* ([`PeerDays::effect`]): the median, less two standard errors of a
//!   median, of the heavy members' residuals (log volume less their own median), per measure:
//!   how many times its usual a member that took part read. And how far a participant went
//!   ([`PeerDays::reach`]): their 90th percentile.
//!
//! How a day is judged on it (`super::score_account`): as a mixture. With probability the share
//! `s` that took part, the day is a participant's and reads the effect's multiple of an
//! ordinary day; otherwise it is the account's own: `P = (1 - s) P(x) + s P(x - effect)`. A
//! campaign member's fifteen-fold day in a week in which half the team read ten times its usual
//! is unremarkable; a thief's hundred-fold day is still ten times what a participant read, and
//! a group in which only a tenth took part takes little off it. A run of heavy days that is no
//! run once the group's busy days are left out is held at `medium`, as an organisational period
//! is ([`super::runs::mark_periods`]): a heavy day is the group's when, divided by the
//! participants' reach, it falls under twice the account's median day.
//!
//! What it gives up: a thief who reads, from the office, the very object its team reads, on a
//! day much of its team is busy, is judged against the team's rise. A ring driven from one new
//! address brings a new IP, so it is never counted here.

use std::collections::HashMap;

use crate::features::{Window, WindowKind};

use super::orgday::day_effect;
use super::runs::{poisson_sf, RUN_GATE};
use super::tail::{log_volume, median_spread, quantile};
use super::{Measure, MIN_HISTORY_DAYS};

/// Spreads above its median a heavy day of an account reads (and at least [`RUN_GATE`] times
/// its median).
pub const PEER_SPREADS: f64 = 2.0;
/// Fewest heavy accounts of a group on a day for a busy day of the group.
pub const MIN_PEER_HEAVY: usize = 3;
/// Fewest of the source's accounts outside a group, active on a day, for the group's day to be
/// tested against them: a group that is most of its source is the organisation
/// ([`super::orgday`]).
pub const MIN_PEER_OTHERS: usize = 30;
/// Smallest share of a group's active accounts that must have taken part beyond chance
/// (`(heavy - expected) / active`) for a significant group-day to be a busy day.
pub const MIN_PEER_SHARE: f64 = 0.1;
/// False-discovery rate at which group-days are called busy (Benjamini-Hochberg).
pub const PEER_FDR: f64 = 0.05;

/// A peer group: (source, main object).
pub type PeerGroup = (u32, u32);

/// A busy day of a peer group, as a day finding weighed against it carries it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeerDay {
    /// The group's main object.
    pub object: u32,
    /// Accounts of the group active that day (with a history long enough to judge).
    pub active: usize,
    /// Of those, how many had a heavy day.
    pub heavy: usize,
    /// How many heavy accounts chance would give, at the share of the source's other accounts
    /// that had a heavy day that day.
    pub expected: f64,
    /// The share of the active accounts that took part beyond chance: `(heavy - expected) /
    /// active`, at least [`MIN_PEER_SHARE`].
    pub share: f64,
    /// How many times their usual its heavy members read that day (after the margin of two
    /// standard errors), in the measure the finding was judged by; 1 until looked up.
    pub factor: f64,
}

/// The busy days of every peer group and their effects.
#[derive(Debug, Clone, Default)]
pub struct PeerDays {
    /// Each account's peer groups (accounts with a main object), ascending.
    groups: HashMap<u32, Vec<PeerGroup>>,
    days: HashMap<(PeerGroup, i32), PeerDay>,
    /// Per (group, local day, measure), the effect on the log scale.
    effects: HashMap<(PeerGroup, i32, Measure), f64>,
    /// Per (group, local day, measure), the members' reach on the log scale ([`PeerDays::reach`]).
    reach: HashMap<(PeerGroup, i32, Measure), f64>,
}

impl PeerDays {
    /// The effect on the log scale of the busy day of its peer group that `w`, a daily window,
    /// fell on, with the busy day (its factor filled in); of an account's several groups busy
    /// that day, the one with the largest effect. None for an account without a group, a day
    /// that is not a busy day of its groups, or a day that brought a new IP or client.
    pub fn effect(&self, w: &Window, m: Measure) -> Option<(f64, PeerDay)> {
        let mut best: Option<(f64, PeerDay)> = None;
        for (g, day) in self.busy_groups(w)? {
            let Some(&e) = self.effects.get(&(g, w.local_day, m)) else {
                continue;
            };
            if best.is_none_or(|b| e > b.0) {
                let day = PeerDay {
                    factor: e.exp(),
                    ..*day
                };
                best = Some((e, day));
            }
        }
        best
    }

    /// How many times their usual, on the log scale, the members that took part in a busy day
    /// of `w`'s groups read, bar the top tenth: the 90th percentile of the heavy members'
    /// residuals (the largest over its groups busy that day). Where the effect is a low estimate
    /// of the typical participant's rise (for the mixture, so that a thief's day is not
    /// discounted by more than the group's rise), the reach is how far a participant went: a
    /// run's heavy day within it is explained by taking part ([`super::mark_peer_days`]). None
    /// when [`PeerDays::effect`] is; never below it (a group's reach is at least its median
    /// rise, and both are kept for the same group-days).
    pub fn reach(&self, w: &Window, m: Measure) -> Option<f64> {
        self.busy_groups(w)?
            .filter_map(|(g, _)| self.reach.get(&(g, w.local_day, m)).copied())
            .max_by(f64::total_cmp)
    }

    /// The groups of `w`'s account that had a busy day on `w`'s day, with that busy day; None
    /// for a window that is not a day, a day that brought a new IP or client (it has another
    /// explanation to weigh), or an account without a group.
    fn busy_groups<'a>(
        &'a self,
        w: &'a Window,
    ) -> Option<impl Iterator<Item = (PeerGroup, &'a PeerDay)> + 'a> {
        if w.kind != WindowKind::Day || !w.new_ips.is_empty() || !w.new_clients.is_empty() {
            return None;
        }
        let groups = self.groups.get(&w.account)?;
        Some(
            groups
                .iter()
                .filter_map(move |&g| self.days.get(&(g, w.local_day)).map(|d| (g, d))),
        )
    }

    /// Whether any group has a busy day with an effect.
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }

    /// The busy days found, in order, for the logs.
    pub fn sorted(&self) -> Vec<(PeerGroup, i32, PeerDay)> {
        let mut v: Vec<_> = self.days.iter().map(|(&(g, d), &p)| (g, d, p)).collect();
        v.sort_by_key(|x| (x.0, x.1));
        v
    }
}

/// An account's daily log volumes in one measure, with their median and robust spread.
struct Level {
    median: f64,
    spread: f64,
}

fn level(days: &[Window], m: Measure) -> Option<Level> {
    let mut logs: Vec<f64> = days
        .iter()
        .filter_map(|w| m.of(w).map(|v| log_volume(v as f64)))
        .collect();
    if logs.len() < MIN_HISTORY_DAYS {
        return None;
    }
    logs.sort_by(f64::total_cmp);
    let (median, spread) = median_spread(&logs)?;
    Some(Level { median, spread })
}

/// The busy days of the peer groups among `daily` (windows sorted by account, then day;
/// accounts grouped as `accounts`), each account's groups (ascending) given by `groups_of`.
pub fn peer_days(
    daily: &[Window],
    accounts: &[(u32, std::ops::Range<usize>)],
    groups_of: impl Fn(u32) -> Vec<PeerGroup>,
) -> PeerDays {
    let mut groups = HashMap::new();
    // Per (group, day): active accounts, and the heavy ones' residuals per measure.
    let mut active: HashMap<(PeerGroup, i32), usize> = HashMap::new();
    let mut heavy: HashMap<(PeerGroup, i32), Vec<[Option<f64>; 2]>> = HashMap::new();
    // Per (source, day): accounts judged, and heavy ones.
    let mut source_days: HashMap<(u32, i32), (usize, usize)> = HashMap::new();
    for (account, range) in accounts {
        let of = groups_of(*account);
        if of.is_empty() {
            continue;
        }
        let days = &daily[range.clone()];
        let levels = [level(days, Measure::Records), level(days, Measure::Bytes)];
        // Heavy days are judged in records where the account has them, else bytes.
        let Some((judge, lv)) = [Measure::Records, Measure::Bytes]
            .into_iter()
            .zip(&levels)
            .find_map(|(m, l)| l.as_ref().map(|l| (m, l)))
        else {
            continue;
        };
        let bar = (PEER_SPREADS * lv.spread).max(RUN_GATE.ln());
        for w in days {
            let Some(v) = judge.of(w) else {
                continue;
            };
            for &g in &of {
                *active.entry((g, w.local_day)).or_default() += 1;
            }
            let s = source_days.entry((of[0].0, w.local_day)).or_default();
            s.0 += 1;
            let novel = !w.new_ips.is_empty() || !w.new_clients.is_empty();
            if novel || log_volume(v as f64) - lv.median < bar {
                continue;
            }
            s.1 += 1;
            let residual = |i: usize, m: Measure| {
                let l = levels[i].as_ref()?;
                m.of(w).map(|v| log_volume(v as f64) - l.median)
            };
            let r = [residual(0, Measure::Records), residual(1, Measure::Bytes)];
            for &g in &of {
                heavy.entry((g, w.local_day)).or_default().push(r);
            }
        }
        groups.insert(*account, of);
    }
    // The group-days that could be busy, each with its chance given how many of the source's
    // *other* accounts were heavy that day (so a day busy across the organisation is no group's
    // busy day); the busy ones by Benjamini-Hochberg at [`PEER_FDR`] over all of them.
    let mut tests = 0;
    let mut tested: Vec<(f64, PeerGroup, i32, PeerDay)> = Vec::new();
    let mut keys: Vec<_> = active.iter().map(|(&k, &a)| (k, a)).collect();
    keys.sort_unstable();
    for ((g, d), a) in keys {
        let (judged, heavy_days) = source_days.get(&(g.0, d)).copied().unwrap_or((0, 0));
        let k = heavy.get(&(g, d)).map_or(0, Vec::len);
        let others = judged.saturating_sub(a);
        if a < MIN_PEER_HEAVY || others < MIN_PEER_OTHERS {
            continue;
        }
        tests += 1;
        if k < MIN_PEER_HEAVY {
            continue;
        }
        let q = (heavy_days.saturating_sub(k) + 1) as f64 / (others + 2) as f64;
        let expected = q * a as f64;
        let day = PeerDay {
            object: g.1,
            active: a,
            heavy: k,
            expected,
            share: ((k as f64 - expected) / a as f64).clamp(0.0, 1.0),
            factor: 1.0,
        };
        tested.push((poisson_sf(k as u64, expected), g, d, day));
    }
    tested.sort_by(|x, y| x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let busy = tested
        .iter()
        .enumerate()
        .rev()
        .find(|(i, t)| t.0 * tests as f64 <= PEER_FDR * (i + 1) as f64)
        .map_or(0, |(i, _)| i + 1);
    let mut out = PeerDays {
        groups,
        ..Default::default()
    };
    for &(_, g, d, day) in &tested[..busy] {
        if day.share < MIN_PEER_SHARE {
            continue;
        }
        let members = &heavy[&(g, d)];
        for (i, m) in [Measure::Records, Measure::Bytes].into_iter().enumerate() {
            let mut r: Vec<f64> = members.iter().filter_map(|x| x[i]).collect();
            if r.len() < MIN_PEER_HEAVY {
                continue;
            }
            if let Some(e) = day_effect(&mut r) {
                out.effects.insert((g, d, m), e);
                // `day_effect` sorted `r` ascending, as `quantile` needs.
                if let Some(q) = quantile(&r, 0.9) {
                    out.reach.insert((g, d, m), q);
                }
            }
        }
        out.days.insert((g, d), day);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `accounts` accounts that all read 1,000 records on each of 30 days, but for the `rises`
    /// (account, day, records).
    fn tenant(
        accounts: u32,
        rises: &[(u32, i32, i64)],
    ) -> (Vec<Window>, Vec<(u32, std::ops::Range<usize>)>) {
        let mut daily = Vec::new();
        let mut groups = Vec::new();
        for a in 0..accounts {
            let start = daily.len();
            for d in 0..30 {
                let r = rises
                    .iter()
                    .find(|x| x.0 == a && x.1 == d)
                    .map_or(1000, |x| x.2);
                daily.push(Window::test_day(a, d, r));
            }
            groups.push((a, start..daily.len()));
        }
        (daily, groups)
    }

    /// Of 50 accounts, 0-9 share main object 7 and 10-49 main object 8.
    fn group_of(a: u32) -> Vec<PeerGroup> {
        vec![(1, if a < 10 { 7 } else { 8 })]
    }

    #[test]
    fn a_team_reading_ten_times_its_usual_on_one_day_is_a_busy_day_of_its_group() {
        // Six of the ten accounts of group 7 read 10,000 records on day 20. Every other day of
        // every account is 1,000 records, so an account's spread is nil and its bar is twice
        // its median. None of the 40 other accounts of the source was heavy that day, so
        // chance would give group 7 (0 + 1) / (40 + 2) * 10 = 0.238 heavy accounts: six is far
        // beyond it, and (6 - 0.238) / 10 = 57.6% of the group took part. The heavy members'
        // residuals are all ln(10,001 / 1,001), so the effect is that (no spread, no standard
        // error): a factor of 9.991. Group 8 is 40 of the 50 accounts, too much of its source
        // (10 others) to be tested against the rest.
        let rises: Vec<(u32, i32, i64)> = (0..6).map(|a| (a, 20, 10_000)).collect();
        let (daily, groups) = tenant(50, &rises);
        let peers = peer_days(&daily, &groups, group_of);
        let w = &daily[20]; // account 0, day 20
        let (e, p) = peers
            .effect(w, Measure::Records)
            .expect("a busy day of group 7");
        assert!((e - (10_001f64 / 1_001.0).ln()).abs() < 1e-9, "{e}");
        assert!((p.factor - 9.991).abs() < 1e-3, "{p:?}");
        assert_eq!((p.object, p.active, p.heavy), (7, 10, 6));
        assert!((p.expected - 10.0 / 42.0).abs() < 1e-9, "{p:?}");
        assert!((p.share - (6.0 - 10.0 / 42.0) / 10.0).abs() < 1e-9, "{p:?}");
        // A member that did not take part is weighed against it too; the other group is not,
        // nor another day, nor a bytes measure the group has no heavy members in.
        assert!(peers
            .effect(&daily[9 * 30 + 20], Measure::Records)
            .is_some());
        assert!(peers
            .effect(&daily[10 * 30 + 20], Measure::Records)
            .is_none());
        assert!(peers.effect(&daily[19], Measure::Records).is_none());
        assert!(peers.effect(w, Measure::Bytes).is_none());
        // A day that brought a new IP or client has another explanation to weigh.
        let mut travelling = w.clone();
        travelling.new_ips = vec![3];
        assert!(peers.effect(&travelling, Measure::Records).is_none());
    }

    #[test]
    fn a_day_busy_across_the_source_is_no_groups_busy_day() {
        // Every account of the source reads ten times its usual on day 20: group 7's ten
        // heavy accounts are what the other 40's share (40 of 40, Laplace-smoothed 41/42)
        // gives, 9.76 expected. That is the organisation's day (orgday), not the group's.
        let rises: Vec<(u32, i32, i64)> = (0..50).map(|a| (a, 20, 10_000)).collect();
        let (daily, groups) = tenant(50, &rises);
        assert!(peer_days(&daily, &groups, group_of).is_empty());
        // Half the others heavy (20 of 40: 21/42 = 0.5, 5 expected of 10) and all of group 7:
        // P(Poisson(5) >= 10) = 0.032, times the 30 days tested (group 8, with 10 others, is
        // not tested) is 0.95: not significant.
        let mut rises: Vec<(u32, i32, i64)> = (0..10).map(|a| (a, 20, 10_000)).collect();
        rises.extend((10..30).map(|a| (a, 20, 10_000)));
        let (daily, groups) = tenant(50, &rises);
        assert!(peer_days(&daily, &groups, group_of).is_empty());
    }

    #[test]
    fn a_handful_of_a_large_group_is_no_busy_day_of_it() {
        // Accounts 0-99 share main object 7, 100-139 object 8. On day 20, `n` of group 7 read
        // ten times their usual and none of group 8: chance would give (0 + 1) / (40 + 2) *
        // 100 = 2.38 heavy accounts. Twelve is far beyond it (P = 7.8e-6, 7.8e-6 times the 60
        // group-days tested is 4.7e-4), but (12 - 2.38) / 100 = 9.6% took part, under the
        // tenth a busy day needs; thirteen is 10.6%.
        let of = |a: u32| vec![(1, if a < 100 { 7 } else { 8 })];
        for (n, busy) in [(12, false), (13, true)] {
            let rises: Vec<(u32, i32, i64)> = (0..n).map(|a| (a, 20, 10_000)).collect();
            let (daily, groups) = tenant(140, &rises);
            let peers = peer_days(&daily, &groups, of);
            let day = peers.effect(&daily[20], Measure::Records);
            assert_eq!(day.is_some(), busy, "{n}: {day:?}");
            if let Some((_, p)) = day {
                assert!(
                    (p.share - (13.0 - 100.0 / 42.0) / 100.0).abs() < 1e-9,
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn two_heavy_accounts_or_heavy_days_from_new_addresses_are_no_busy_day() {
        // Two of the team is below the fewest heavy accounts a busy day needs.
        let rises: Vec<(u32, i32, i64)> = (0..2).map(|a| (a, 20, 10_000)).collect();
        let (daily, groups) = tenant(50, &rises);
        assert!(peer_days(&daily, &groups, group_of).is_empty());
        // Six heavy days that each brought a new IP (a ring on one new address) are not
        // counted at all.
        let rises: Vec<(u32, i32, i64)> = (0..6).map(|a| (a, 20, 10_000)).collect();
        let (mut daily, groups) = tenant(50, &rises);
        for a in 0..6 {
            daily[a * 30 + 20].new_ips = vec![9];
        }
        let peers = peer_days(&daily, &groups, group_of);
        assert!(peers.is_empty());
        assert!(peers
            .effect(&daily[6 * 30 + 20], Measure::Records)
            .is_none());
        // A rise of 1.5-fold is not heavy (under twice the median).
        let rises: Vec<(u32, i32, i64)> = (0..10).map(|a| (a, 20, 1_500)).collect();
        let (daily, groups) = tenant(50, &rises);
        assert!(peer_days(&daily, &groups, group_of).is_empty());
    }
}
