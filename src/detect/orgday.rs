//! Organisation-wide busy days: a day on which far more accounts than chance have a heavy day of
//! their own (a regulator's request, a fraud wave, a system migration), so that part of every
//! heavy day is the organisation's, not the account's.
//!
//! Each account's days are judged against its own history, which cannot know that everyone
//! else read three times their usual too. So the day findings (findings on daily windows, each
//! already at or above [`super::VOLUME_GATE`]) are compared across accounts, per source
//! ([`busy_days`]): were they placed independently of the date, day `d` would get a share of
//! them proportional to the accounts active on it. With `k` day findings on `d`, `a_d` daily
//! windows on `d`, and `K` and `A` the totals over the source's other days, the expected count
//! is `lambda = (K + 1) * a_d / A` (the day's own findings left out, so that a busy day does not
//! raise its own expectation; one pseudo-finding, so that a source with none elsewhere does not
//! expect none), and `P(X >= k)` for `X ~ Poisson(lambda)`, times the number of active days
//! (Bonferroni), below [`super::runs::PERIOD_ALPHA`] makes `d` a busy day. A day needs at least
//! two findings.
//!
//! How much busier: on a busy day, every account with at least [`MIN_HISTORY_DAYS`] active
//! days (as many as a daily baseline of its own needs) has a *residual*, the day's log volume
//! less the median of its own days; the day's effect is the median of the residuals of the
//! accounts active that day (robust to the few doing something unusual, a thief among them),
//! less two standard errors of a median
//! (`1.2533 * sigma / sqrt(n)`, sigma from the median absolute deviation), when positive
//! ([`effects`]). Every daily window is then scored again, a busy day's with the effect taken off
//! the day's volume (not off the history: an account that does not take part in busy days, an
//! integration, keeps its own history as it is). A thief's 50-fold day on a day when everyone
//! reads twice their usual is still 25-fold; an analyst's 7-fold day on a regulator's 2.5-fold
//! day is under 3-fold.
//!
//! A ring of four accounts driven from one address on one day gives four day findings: against
//! about half a finding a day expected on a 1,000-account tenant that is `P = 1.8e-3` before the
//! factor of 60 days, far from a busy day, and the median account is not busier that day, so the
//! effect is nil anyway.

use std::collections::HashMap;

use crate::features::{Window, WindowKind};

use super::runs::{poisson_sf, PERIOD_ALPHA};
use super::tail::{log_volume, median_spread, quantile};
use super::{Finding, Measure, MIN_HISTORY_DAYS};

/// Fewest accounts active on a day for its effect to be estimated.
pub const MIN_DAY_ACCOUNTS: usize = 30;

/// An organisation-wide busy day, as a day finding judged net of it carries it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BusyDay {
    /// Other accounts of the source with a day finding on the same day.
    pub others: usize,
    /// Day findings expected on that day were they placed independently of the date.
    pub expected: f64,
    /// How many times their usual the source's accounts read that day (after the margin of two
    /// standard errors), in the measure the finding was judged by; 1 before [`effects`].
    pub factor: f64,
}

/// The busy days among the day findings in `findings` (any kinds; only days count), per
/// (source, local day). `daily` are all daily windows (the accounts active per day); `source`
/// names an account's source.
pub fn busy_days(
    findings: &[Finding],
    daily: &[Window],
    source: impl Fn(u32) -> u32,
) -> HashMap<(u32, i32), BusyDay> {
    let days = findings
        .iter()
        .filter(|f| f.window.kind == WindowKind::Day)
        .map(|f| (f.window.account, f.window.local_day));
    crowded_days(days, daily, source)
}

/// The (source, local day)s on which more of `marked` (account, local day)s fall than were they
/// placed independently of the date (Poisson, its mean from the source's other days; the
/// Bonferroni factor of the source's days, at [`PERIOD_ALPHA`]). `daily` are all daily windows
/// (the accounts active per day).
pub fn crowded_days(
    marked: impl Iterator<Item = (u32, i32)>,
    daily: &[Window],
    source: impl Fn(u32) -> u32,
) -> HashMap<(u32, i32), BusyDay> {
    let mut active: HashMap<(u32, i32), usize> = HashMap::new();
    for w in daily {
        *active.entry((source(w.account), w.local_day)).or_default() += 1;
    }
    let mut found: HashMap<(u32, i32), usize> = HashMap::new();
    for (account, day) in marked {
        *found.entry((source(account), day)).or_default() += 1;
    }
    let mut totals: HashMap<u32, (usize, usize, usize)> = HashMap::new(); // findings, windows, days
    for (&(s, d), &a) in &active {
        let t = totals.entry(s).or_default();
        t.0 += found.get(&(s, d)).copied().unwrap_or(0);
        t.1 += a;
        t.2 += 1;
    }
    let mut busy = HashMap::new();
    for (&(s, d), &k) in &found {
        let Some(&(all_found, all_active, days)) = totals.get(&s) else {
            continue;
        };
        let a = active.get(&(s, d)).copied().unwrap_or(0);
        let (rest_found, rest_active) = (all_found - k, all_active.saturating_sub(a));
        if k < 2 || rest_active == 0 {
            continue;
        }
        let expected = (rest_found + 1) as f64 * a as f64 / rest_active as f64;
        if poisson_sf(k as u64, expected) * (days as f64) < PERIOD_ALPHA {
            let others = k - 1;
            let factor = 1.0;
            busy.insert(
                (s, d),
                BusyDay {
                    others,
                    expected,
                    factor,
                },
            );
        }
    }
    busy
}

/// Per (source, local day, measure), the effect on the log scale of every day of `daily`
/// (windows sorted by account, then day; accounts grouped as `groups`), where positive beyond
/// two standard errors: the margin leaves an ordinary day without one. A day's effect depends
/// only on the accounts active that day, so the day scoring takes the busy days' ([`busy_days`])
/// and the runs ([`super::runs`]) every day's from one pass.
pub fn effects(
    daily: &[Window],
    groups: &[(u32, std::ops::Range<usize>)],
    source: impl Fn(u32) -> u32,
) -> HashMap<(u32, i32, Measure), f64> {
    let mut residuals: HashMap<(u32, i32, Measure), Vec<f64>> = HashMap::new();
    for (account, range) in groups {
        let days = &daily[range.clone()];
        let s = source(*account);
        for m in [Measure::Records, Measure::Bytes] {
            let logs: Vec<(i32, f64)> = days
                .iter()
                .filter_map(|w| m.of(w).map(|v| (w.local_day, log_volume(v as f64))))
                .collect();
            if logs.len() < MIN_HISTORY_DAYS {
                continue;
            }
            let mut sorted: Vec<f64> = logs.iter().map(|&(_, x)| x).collect();
            sorted.sort_by(f64::total_cmp);
            let Some(median) = quantile(&sorted, 0.5) else {
                continue;
            };
            for (day, x) in logs {
                residuals.entry((s, day, m)).or_default().push(x - median);
            }
        }
    }
    residuals
        .into_iter()
        .filter(|(_, r)| r.len() >= MIN_DAY_ACCOUNTS)
        .filter_map(|(key, mut r)| day_effect(&mut r).map(|e| (key, e)))
        .collect()
}

/// The day effect of residuals `r` (sorted ascending in place, which callers may rely on): their
/// median less two standard errors of a median, when that is positive.
pub fn day_effect(r: &mut [f64]) -> Option<f64> {
    r.sort_by(f64::total_cmp);
    let (median, sigma) = median_spread(r)?;
    let se = 1.2533 * sigma / (r.len() as f64).sqrt();
    let effect = median - 2.0 * se;
    (effect > 0.0).then_some(effect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Measure, Scope, Severity, VolumeBaseline, VolumeModel};

    fn window(account: u32, kind: WindowKind, d: i32) -> Window {
        Window {
            kind,
            events: 1,
            ..Window::test_day(account, d, 1000)
        }
    }

    fn finding(account: u32, kind: WindowKind, d: i32) -> Finding {
        Finding {
            window: window(account, kind, d),
            score: 6.0,
            severity: Severity::Low,
            baseline: VolumeBaseline {
                scope: Scope::Account,
                measure: Measure::Records,
                windows: 30,
                median: 100.0,
                p99: 500.0,
                tail_probability: 1e-6,
                model: VolumeModel::LogNormal,
            },
            hour_rate: None,
            reasons: vec![],
            run: None,
            ring: None,
            busy_day: None,
            month_close: None,
            peer_day: None,
            off_hours_precedent: None,
        }
    }

    #[test]
    fn an_ordinary_day_has_no_effect_and_a_busy_one_keeps_what_lies_beyond_two_errors() {
        // 31 residuals -15..=15 (/10): median 0, so no effect.
        let mut flat: Vec<f64> = (-15..=15).map(|i| f64::from(i) / 10.0).collect();
        assert_eq!(day_effect(&mut flat), None);
        // The same shifted by ln 3 = 1.0986: median 1.0986; absolute deviations 0, 0.1, 0.1,
        // ..., 1.5, 1.5, whose median (16th of 31) is 0.8, so sigma = 1.4826 * 0.8 = 1.18608
        // and the standard error 1.2533 * 1.18608 / sqrt(31) = 0.26698; effect
        // 1.0986 - 0.53397 = 0.56464.
        let mut busy: Vec<f64> = (-15..=15)
            .map(|i| f64::from(i) / 10.0 + 3f64.ln())
            .collect();
        let e = day_effect(&mut busy).unwrap();
        assert!((e - 0.56464).abs() < 1e-4, "{e}");
        // A quiet day (everyone below their usual) is never an effect.
        let mut quiet: Vec<f64> = busy.iter().map(|x| -x).collect();
        assert_eq!(day_effect(&mut quiet), None);
    }

    #[test]
    fn the_effect_of_a_busy_day_is_the_median_account_s_rise_on_it() {
        // Thirty accounts of source 0 reading 1,000 records a day on days 0-9 and 3,000 on day
        // 10, a busy day. Every residual on day 10 is ln(3001) - ln(1001) (the median day is
        // 1,000), so their median is that and their spread zero: the effect is exactly it.
        // Day 9 is not busy and gets none.
        let mut daily = Vec::new();
        let mut groups = Vec::new();
        for a in 0..30u32 {
            let start = daily.len();
            for d in 0..11 {
                let mut w = window(a, WindowKind::Day, d);
                w.records = Some(if d == 10 { 3000 } else { 1000 });
                daily.push(w);
            }
            groups.push((a, start..daily.len()));
        }
        let mut busy = HashMap::new();
        let b = BusyDay {
            others: 29,
            expected: 0.1,
            factor: 1.0,
        };
        busy.insert((0, 10), b);
        busy.insert((0, 9), b);
        let all = effects(&daily, &groups, |_| 0);
        let fx: HashMap<_, _> = all
            .iter()
            .filter(|((s, d, _), _)| busy.contains_key(&(*s, *d)))
            .map(|(&k, &e)| (k, e))
            .collect();
        let e = fx[&(0, 10, Measure::Records)];
        assert!((e - (3001f64 / 1001.0).ln()).abs() < 1e-12, "{e}");
        assert_eq!(fx.len(), 1, "{fx:?}");
        // Every day (as the runs ask): the ordinary days, on which every residual is zero,
        // still get none.
        assert_eq!(all, fx);
    }

    #[test]
    fn a_day_with_far_more_heavy_days_than_its_share_is_a_busy_day() {
        // Two sources of 100 accounts (0-99, 100-199), each account active on days 0-29.
        let daily: Vec<Window> = (0..200u32)
            .flat_map(|a| (0..30).map(move |d| window(a, WindowKind::Day, d)))
            .collect();
        let source = |a: u32| u32::from(a >= 100);
        let mut fs = Vec::new();
        // Source 0: one day finding on each of days 0-9, six on day 20, two on day 25, and an
        // hour on day 20.
        fs.extend((0..10).map(|d| finding(d as u32, WindowKind::Day, d)));
        fs.extend((50..56).map(|a| finding(a, WindowKind::Day, 20)));
        fs.extend((60..62).map(|a| finding(a, WindowKind::Day, 25)));
        fs.push(finding(70, WindowKind::Hour, 20));
        // Source 1: four day findings on day 20, none elsewhere.
        fs.extend((100..104).map(|a| finding(a, WindowKind::Day, 20)));
        let busy = busy_days(&fs, &daily, source);
        // Day 20 of source 0: the other days hold 12 findings over 2,900 windows, so it
        // expects (12 + 1) * 100 / 2,900 = 0.44828; P(X >= 6) = 7.69e-6 (scipy's
        // poisson.sf(5, 0.44828)), times 30 days = 2.3e-4 < 1e-3: a busy day.
        let b = busy[&(0, 20)];
        assert_eq!(b.others, 5);
        assert!((b.expected - 13.0 * 100.0 / 2900.0).abs() < 1e-12, "{b:?}");
        // Day 25: two findings against (16 + 1) * 100 / 2,900 = 0.586: P(X >= 2) = 0.117,
        // times 30: no. Single findings are never a busy day, and the hour does not count
        // (day 20 has six, not seven).
        // Source 1 is judged on its own: four findings against (0 + 1) * 100 / 2,900 =
        // 0.0345, P(X >= 4) = 5.7e-8, times 30: a busy day.
        let b = busy[&(1, 20)];
        assert_eq!(b.others, 3);
        assert!((b.expected - 100.0 / 2900.0).abs() < 1e-12, "{b:?}");
        assert_eq!(busy.len(), 2, "{busy:?}");
    }
}
