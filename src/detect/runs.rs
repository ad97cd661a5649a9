//! Runs of heavy days: low-and-slow theft, a few times an account's norm for several days, no
//! single hour or day remarkable on its own.
//!
//! Method. Take an account's `N` active days (days it read data, by the measure; for the count of exports, every day it did anything) and call a
//! day *heavy* when it read at least [`RUN_GATE`] times the account's median active day. A
//! candidate run starts and ends on heavy days, spans at most [`RUN_MAX_DAYS`] active days and
//! [`RUN_MAX_SPAN_DAYS`] calendar days, and holds `x >= 3` heavy days among its `n` active
//! days. Let `t` be the lightest of those heavy days and `M` the number of the account's active
//! days (the run's included) reading at least `t`. If the account's days were in random order
//! (exchangeable: no day of its history is special), the number of days reading at least `t`
//! that fall in any fixed set of `n` days is hypergeometric, so the chance of `x` or more is
//!
//! `P(X >= x)`, `X ~ Hypergeometric(N, M, n)` (= `C(M, x) / C(N, x)` when every day of the run
//! is heavy).
//!
//! This is exact for any distribution of daily volume: no tail model, so nothing extrapolated.
//! A run is scored at every heavy start day against each end the limits allow; the smallest
//! probability, times the number of possible ends ([`RUN_MAX_DAYS`] - 2, Bonferroni), is the
//! run's. Of overlapping runs of one account only the most surprising is kept.
//!
//! The alert line follows from that calibration: the test is asked once per start day (every
//! active day of an account with at least [`RUN_MIN_ACTIVE_DAYS`], after its first
//! [`RUN_MIN_PRIOR_DAYS`], leaving room for [`RUN_MIN_HEAVY`] heavy days: [`starts`]), so over
//! `S` start days, with a budget of `B` false alerts in the scan, a run is `high` from
//! `log10(S / B)` ([`run_line_for`]). `B` is `b` per 10,000 active account-days, and as an
//! account's first days and the accounts with too few days are never asked, `S` is smaller
//! than the account-days (about three in four on a 60-day tenant): the line is about 0.1 under
//! `-log10(b / 10,000)`. What the test assumes, and what breaks it: that days
//! are exchangeable. A recurring busy period (month-end) is part of the history and counts
//! against a run that resembles it; a steady rise over the whole period would make its last
//! days a run, which is why a heavy day must also be [`RUN_GATE`] times the median. A change of
//! level (an integration's release, a new role) makes the days on one side of it heavy: a run
//! inside the heavy stretch is no excursion, and is not reported when a block of days beside it
//! is heavy far more often than the history beyond ([`continues_a_level`]). A day on which the
//! whole organisation read more than usual is no day of the account's own: a run is also asked
//! net of those days' rises and keeps the smaller score ([`find_net_of_days`]).
//!
//! Reference: the hypergeometric (Fisher exact) test of a window against the rest of a
//! sequence is the conditional scan test of J. I. Naus, "Approximations for distributions of
//! scan statistics", JASA 77 (1982); here the window is scanned over ends and corrected by
//! Bonferroni rather than by the scan distribution, which is conservative.

use super::tail::quantile;
use super::{Factor, Finding, Measure, Reason, Scope, Severity, VolumeBaseline, VOLUME_GATE};
use crate::features::{Window, WindowKind};
use statrs::function::factorial::ln_binomial;

/// A heavy day reads at least this many times the account's median active day.
pub const RUN_GATE: f64 = 2.0;
/// Fewest heavy days in a run.
pub const RUN_MIN_HEAVY: usize = 3;
/// Most active days a run spans (low-and-slow theft over about two working weeks).
pub const RUN_MAX_DAYS: usize = 10;
/// Most calendar days a run spans.
pub const RUN_MAX_SPAN_DAYS: i32 = 14;
/// Fewest active days of an account's history for a run test.
pub const RUN_MIN_ACTIVE_DAYS: usize = 20;
/// Fewest active days of the account before a run's first day: the first days of an account's
/// record are its norm, not a departure from it (a level that later falls, a role that changes,
/// would otherwise make its opening days a "run" against the quieter days after them).
pub const RUN_MIN_PRIOR_DAYS: usize = 7;
/// Family-wise error for calling runs an organisational period ([`mark_periods`]).
pub const PERIOD_ALPHA: f64 = 1e-3;
/// Family-wise error (over the two blocks beside a run) for calling a run's heavy stretch a
/// change of level rather than an excursion ([`continues_a_level`]).
pub const LEVEL_ALPHA: f64 = 1e-3;

/// What a run finding rests on, for the explanation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEvidence {
    /// Heavy days in the run.
    pub heavy_days: usize,
    /// Active days the run spans.
    pub days: usize,
    /// The lightest heavy day of the run (the measure's units).
    pub threshold: f64,
    /// The account's active days reading at least `threshold` (the run's included).
    pub days_at_least: usize,
    /// The account's active days.
    pub active_days: usize,
    /// Other accounts whose run starts and ends within a day of this one's ([`mark_periods`]).
    pub shared_accounts: usize,
    /// How many such accounts chance alignment of independent runs would give.
    pub shared_expected: f64,
    /// Too many accounts share these days for chance: an organisational period (a quarter-end,
    /// a campaign), so the run is held at `medium`.
    pub period: bool,
    /// Heavy days of the run that were busy days of the account's peer group
    /// ([`super::cohort`]), on which it brought no new IP or client.
    pub peer_days: usize,
    /// The peer group's main object (an object code), when `peer_days > 0`.
    pub peer_object: Option<u32>,
    /// Set when the run was judged net of the organisation's busy days ([`find_net_of_days`])
    /// and that lowered its score.
    pub org: Option<OrgNet>,
}

/// How the organisation's busy days lowered a run's score ([`find_net_of_days`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrgNet {
    /// The run's chance (Bonferroni-corrected) before the organisation's days were netted.
    pub raw_p: f64,
    /// Active days of the run on which the organisation read more than usual.
    pub busy_days: usize,
    /// The largest of those days' rises (how many times its usual the median account read).
    pub factor: f64,
}

impl RunEvidence {
    /// Whether the run is held at `medium`: an organisational period, or no run (fewer than
    /// [`RUN_MIN_HEAVY`] heavy days) once its peer group's busy days are left out.
    pub fn held(&self) -> bool {
        self.period || self.heavy_days < RUN_MIN_HEAVY + self.peer_days
    }
}

/// The score from which a finding whose score is an exact probability per active account-day
/// (a ring, [`super::rings`]) is `high`, for a budget of `budget_per_10k` false alerts per
/// 10,000 active account-days: `-log10(budget / 10,000)`, never below [`VOLUME_GATE`]; without a
/// budget, `fallback`.
pub fn budget_line(budget_per_10k: f64, fallback: f64) -> f64 {
    if budget_per_10k > 0.0 {
        (10_000.0 / budget_per_10k).log10().max(VOLUME_GATE)
    } else {
        fallback
    }
}

/// The start days an account with `active` active days offers the run test: none below
/// [`RUN_MIN_ACTIVE_DAYS`]; otherwise every day after its first [`RUN_MIN_PRIOR_DAYS`] that
/// leaves room for [`RUN_MIN_HEAVY`] heavy days.
pub fn starts(active: usize) -> usize {
    if active < RUN_MIN_ACTIVE_DAYS {
        0
    } else {
        active.saturating_sub(RUN_MIN_PRIOR_DAYS + RUN_MIN_HEAVY - 1)
    }
}

/// The score from which a run is `high` when the run test was asked at `starts` start days
/// (each with its ends and measures already in its score, [`find`]) and the run may bring
/// `budget` false alerts: `log10(starts / budget)`, so that `starts` tests each passing with
/// chance `10^-line` expect `budget` of them; never below [`VOLUME_GATE`]. Without a budget, or
/// without a start day, `fallback`.
///
/// Why the start days and not every active account-day: an account's first days, and an account
/// with too few days for a baseline, are never asked (the budget still counts their days), so
/// the days asked are fewer than the days the budget is spread over (about three in four on a
/// 60-day tenant), and a line set on all of them would spend only that share of the budget.
pub fn run_line_for(starts: usize, budget: f64, fallback: f64) -> f64 {
    if budget > 0.0 && starts > 0 {
        (starts as f64 / budget).log10().max(VOLUME_GATE)
    } else {
        fallback
    }
}

/// `P(X >= x)` for `X ~ Hypergeometric(population, successes, draws)`, summed in log space so
/// that tiny probabilities keep their digits.
pub fn hypergeometric_sf(x: u64, population: u64, successes: u64, draws: u64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    let hi = successes.min(draws);
    if x > hi || draws > population || successes > population {
        return 0.0;
    }
    let lo = x.max((draws + successes).saturating_sub(population));
    let total = ln_binomial(population, draws);
    (lo..=hi)
        .map(|k| {
            (ln_binomial(successes, k) + ln_binomial(population - successes, draws - k) - total)
                .exp()
        })
        .sum::<f64>()
        .min(1.0)
}

/// A day's value for the run test, `None` when the day is not one of the account's active days
/// for the measure: records and bytes count the days that read some; exports count every day
/// the account did anything, a day without exports being an observation of none.
pub fn day_value(w: &Window, m: Measure) -> Option<i64> {
    match m {
        Measure::Exports => (w.events > 0).then_some(w.exports as i64),
        _ => m.of(w).filter(|&v| v > 0),
    }
}

/// The best run starting at each heavy day, before overlaps are resolved.
struct Candidate {
    p: f64,
    first: usize,
    last: usize,
    evidence: RunEvidence,
}

/// Run findings of one account from its daily windows (sorted by day), for one measure; `floor`
/// is the bulk floor the heavy days' sum must reach. Scores are final (`-log10` of the
/// Bonferroni-corrected probability, times `measures`, the effective number of measures tested,
/// [`effective_measures`]); severities are
/// set later.
pub fn find(days: &[Window], m: Measure, floor: i64, measures: f64) -> Vec<Finding> {
    find_scaled(days, m, floor, measures, &[])
}

/// Run findings as [`find`] gives them, each judged also net of the organisation's busy days:
/// `effects[i]` is the rise on the log scale (zero for none) of the day of `days[i]`, how much
/// more than usual the median account of the source read then ([`super::orgday::effects`]).
///
/// Why: the test assumes that no day of the account's history is special, and a day on which
/// the whole organisation reads two or three times its usual (a storm's rebookings, a
/// regulator's request) is. An account that takes part gets heavy days it did not choose, and
/// two of them beside three of its own make a run of five. So the test is asked again with every
/// day's value divided by its day's rise, and a run keeps the smaller of its two scores (that of
/// the most surprising run of the netted days that overlaps it; none overlapping leaves it
/// nothing). Only smaller: dividing the busy days also takes away the precedent they gave
/// other runs (an account's heavy days elsewhere in its history that were the organisation's),
/// and the test asked again would then call those runs more surprising than before, which is
/// no evidence of theft. What it gives up: a thief who reads a few times its norm on the very
/// days the organisation is busy is judged net of the organisation's rise.
pub fn find_net_of_days(
    days: &[Window],
    m: Measure,
    floor: i64,
    measures: f64,
    effects: &[f64],
) -> Vec<Finding> {
    let raw = find(days, m, floor, measures);
    if raw.is_empty() || effects.iter().all(|&e| e <= 0.0) {
        return raw;
    }
    let net = find_scaled(days, m, floor, measures, effects);
    raw.into_iter()
        .filter_map(|mut r| {
            let (lo, hi) = (r.window.start_ms, r.window.end_ms);
            let inside = |w: &Window| w.start_ms >= lo && w.start_ms < hi;
            let best = net
                .iter()
                .filter(|f| overlap(&f.window, &r.window))
                .max_by(|a, b| a.score.total_cmp(&b.score));
            let (score, p) = best.map_or((0.0, 1.0), |b| (b.score, b.baseline.tail_probability));
            if score < r.score {
                let busy: Vec<f64> = days
                    .iter()
                    .zip(effects)
                    .filter(|(w, &e)| inside(w) && e > 0.0 && day_value(w, m).is_some())
                    .map(|(_, &e)| e)
                    .collect();
                if let Some(e) = r.run.as_mut() {
                    e.org = Some(OrgNet {
                        raw_p: r.baseline.tail_probability,
                        busy_days: busy.len(),
                        factor: busy.iter().copied().fold(0.0, f64::max).exp(),
                    });
                }
                if score < VOLUME_GATE {
                    return None;
                }
                r.score = score;
                r.baseline.tail_probability = p;
                for reason in &mut r.reasons {
                    reason.contribution = score;
                }
            }
            Some(r)
        })
        .collect()
}

/// Whether two windows share any time.
fn overlap(a: &Window, b: &Window) -> bool {
    a.start_ms < b.end_ms && b.start_ms < a.end_ms
}

/// [`find`] with each day's value divided by `exp(scale[i])` (`scale` empty or short: by one).
fn find_scaled(
    days: &[Window],
    m: Measure,
    floor: i64,
    measures: f64,
    scale: &[f64],
) -> Vec<Finding> {
    let divisor = |i: usize| scale.get(i).map_or(1.0, |s| s.exp());
    let active: Vec<(usize, f64)> = days
        .iter()
        .enumerate()
        .filter_map(|(i, w)| day_value(w, m).map(|v| (i, v as f64 / divisor(i))))
        .collect();
    let n_active = active.len();
    if n_active < RUN_MIN_ACTIVE_DAYS {
        return Vec::new();
    }
    let mut sorted: Vec<f64> = active.iter().map(|a| a.1).collect();
    sorted.sort_by(f64::total_cmp);
    let median = quantile(&sorted, 0.5).unwrap_or(0.0);
    let heavy = |v: f64| v >= RUN_GATE * median && v > 0.0;
    let at_least = |t: f64| n_active - sorted.partition_point(|&v| v < t);
    let ends = (RUN_MAX_DAYS - RUN_MIN_HEAVY + 1) as f64;

    let mut candidates = Vec::new();
    for s in RUN_MIN_PRIOR_DAYS..n_active {
        if !heavy(active[s].1) {
            continue;
        }
        let mut best: Option<Candidate> = None;
        let (mut count, mut lightest, mut sum) = (1usize, active[s].1, active[s].1);
        for e in s + 1..n_active.min(s + RUN_MAX_DAYS) {
            let span = days[active[e].0].local_day - days[active[s].0].local_day;
            if span >= RUN_MAX_SPAN_DAYS {
                break;
            }
            let v = active[e].1;
            if !heavy(v) {
                continue;
            }
            count += 1;
            lightest = lightest.min(v);
            sum += v;
            if count < RUN_MIN_HEAVY || sum < floor as f64 {
                continue;
            }
            let n = e - s + 1;
            let big = at_least(lightest);
            let p = hypergeometric_sf(count as u64, n_active as u64, big as u64, n as u64);
            // The level test only for a candidate that would be the start's best.
            if best.as_ref().is_none_or(|b| p < b.p) && !continues_a_level(&active, s, e, lightest)
            {
                best = Some(Candidate {
                    p,
                    first: s,
                    last: e,
                    evidence: RunEvidence {
                        heavy_days: count,
                        days: n,
                        threshold: lightest,
                        days_at_least: big,
                        active_days: n_active,
                        shared_accounts: 0,
                        shared_expected: 0.0,
                        period: false,
                        peer_days: 0,
                        peer_object: None,
                        org: None,
                    },
                });
            }
        }
        candidates.extend(best);
    }
    // The most surprising first; of overlapping runs only that one is kept.
    candidates.sort_by(|a, b| a.p.total_cmp(&b.p).then(a.first.cmp(&b.first)));
    let mut kept: Vec<Candidate> = Vec::new();
    for c in candidates {
        if kept.iter().all(|k| c.last < k.first || k.last < c.first) {
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| c.first);
    let p99 = quantile(&sorted, 0.99).unwrap_or(0.0);
    kept.into_iter()
        .filter_map(|c| {
            let p = (c.p * ends * measures).min(1.0);
            let score = -p.max(f64::MIN_POSITIVE).log10();
            (score >= VOLUME_GATE).then(|| {
                let window = span_window(&days[active[c.first].0..=active[c.last].0]);
                let observed = m.of(&window).unwrap_or(0) as f64;
                Finding {
                    window,
                    score,
                    severity: Severity::Low,
                    baseline: VolumeBaseline {
                        scope: Scope::Account,
                        measure: m,
                        windows: n_active,
                        median,
                        p99,
                        tail_probability: p,
                        model: super::VolumeModel::RunTest,
                    },
                    hour_rate: None,
                    reasons: vec![Reason {
                        factor: Factor::Run,
                        contribution: score,
                        observed,
                        typical: median * c.evidence.days as f64,
                    }],
                    run: Some(c.evidence),
                    ring: None,
                    busy_day: None,
                    month_close: None,
                    peer_day: None,
                    off_hours_precedent: None,
                }
            })
        })
        .collect()
}

/// Whether the heavy stretch of a candidate run (active days `first..=last` of `active`, `(day
/// index, value)`, its lightest heavy day `lightest`) goes on beyond it: the account changed
/// level there (an integration's release that multiplies its syncs for good, a new role), and
/// the run is the new level's first days or the old one's last, not an excursion from a norm it
/// returns to.
///
/// Each block of [`RUN_MAX_DAYS`] active days beside the run (before its first day, after its
/// last) is compared with the history beyond both blocks: with `b` of its `n_b` days reading at
/// least `lightest` against `f` of the `n_f` days beyond, were the account's days in random order
/// the block's count would be hypergeometric (Fisher's exact test), so the chance of `b` or more
/// is `P(X >= b)`, `X ~ Hypergeometric(n_b + n_f, b + f, n_b)`. Doubled for the two blocks, below
/// [`LEVEL_ALPHA`] the block is heavy far more often than the rest of the history: a level.
/// A block of fewer than [`RUN_MIN_PRIOR_DAYS`] days (the run at an end of the record), or fewer
/// such days beyond, is not judged. A theft that goes on past the run's span still makes its run
/// when the days beyond it are no more than a few heavy: a fortnight's theft leaves four heavy
/// days of ten in the block after a ten-day run, against two of forty beyond, `P(X >= 4)`,
/// `X ~ Hypergeometric(50, 6, 10)` = 0.011, doubled 0.022: not a level.
fn continues_a_level(active: &[(usize, f64)], first: usize, last: usize, lightest: f64) -> bool {
    let lo = first.saturating_sub(RUN_MAX_DAYS);
    let hi = (last + 1 + RUN_MAX_DAYS).min(active.len());
    let heavy = |days: &[(usize, f64)]| days.iter().filter(|a| a.1 >= lightest).count() as u64;
    let beyond = active[..lo].len() + active[hi..].len();
    if beyond < RUN_MIN_PRIOR_DAYS {
        return false;
    }
    let (f, n_f) = (heavy(&active[..lo]) + heavy(&active[hi..]), beyond as u64);
    [&active[lo..first], &active[last + 1..hi]]
        .into_iter()
        .filter(|block| block.len() >= RUN_MIN_PRIOR_DAYS)
        .any(|block| {
            let (b, n_b) = (heavy(block), block.len() as u64);
            2.0 * hypergeometric_sf(b, n_b + n_f, b + f, n_b) < LEVEL_ALPHA
        })
}

/// The effective number of independent tests when an account's runs are tested on several
/// measures (records, bytes, exports): Nyholt's `M_eff = 1 + (M - 1)(1 - Var(lambda) / M)`,
/// where `lambda` are the eigenvalues of the measures' correlation matrix `R`. Their sum is `M`
/// and the sum of their squares is the trace of `R^2`, `M + 2 sum_{i<j} r_ij^2`, so `Var(lambda)
/// = 2 sum_{i<j} r_ij^2 / (M - 1)` and `M_eff = M - 2 sum_{i<j} r_ij^2 / M` (for two measures,
/// `2 - r^2`). Each `r_ij` is the correlation of `ln(1 + value)` of the two measures over the
/// active days that have both; a pair with fewer than three such days, or no spread in either,
/// counts as uncorrelated. Where bytes follow records (a row is about as large as any other),
/// or exports follow records (one object per export, as S3 reads are counted), the tests are
/// nearly one and a Bonferroni factor of `M` would throw evidence away; where they are
/// unrelated it is `M`.
///
/// Reference: D. R. Nyholt, "A simple correction for multiple testing for single-nucleotide
/// polymorphisms in linkage disequilibrium with each other", Am. J. Hum. Genet. 74 (2004).
pub fn effective_measures(days: &[Window], measures: &[Measure]) -> f64 {
    if measures.is_empty() {
        return 0.0;
    }
    let m = measures.len() as f64;
    let mut sum_r2 = 0.0;
    for (i, a) in measures.iter().enumerate() {
        for b in &measures[i + 1..] {
            let r = correlation(days, *a, *b);
            sum_r2 += r * r;
        }
    }
    m - 2.0 * sum_r2 / m
}

/// The correlation of two measures' `ln(1 + value)` over the days that have both (0 with fewer
/// than three such days or no spread).
fn correlation(days: &[Window], a: Measure, b: Measure) -> f64 {
    let pairs: Vec<(f64, f64)> = days
        .iter()
        .filter_map(|w| {
            let x = a.of(w).filter(|&v| v > 0)?;
            let y = b.of(w).filter(|&v| v > 0)?;
            Some(((x as f64).ln_1p(), (y as f64).ln_1p()))
        })
        .collect();
    if pairs.len() < 3 {
        return 0.0;
    }
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(x, y), p| (x + p.0 / n, y + p.1 / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return 0.0;
    }
    sxy / (sxx * syy).sqrt()
}

/// Marks the runs that are an organisational period rather than one account's theft.
///
/// A low-and-slow theft is one account's; a period in which a whole group works harder
/// (analysts at quarter-end, a campaign) gives many accounts a run over the same days, and each
/// account's run test, which assumes its days exchangeable, cannot tell the two apart. So the
/// runs are compared across accounts: run `b` is *aligned* with run `a` when it is a run of the
/// same measure (records, bytes or exports) and starts and ends within a day of `a`'s start and
/// end. A period explains what it raised: where a group read more records at month-end, one
/// account's sudden run of exports over those days is not explained by it. Were runs placed
/// independently, a run `b` of `l_b` days would land aligned with `a` (of `l_a` days) at
/// `max(0, 3 - |l_a - l_b|)` of its `period_days - l_b + 1` possible starts, so `a`'s aligned
/// count is about Poisson with mean `lambda` = the sum of those chances over the other runs of
/// the measure. When `P(X >= aligned)`, times the number of runs (Bonferroni), is below
/// [`PERIOD_ALPHA`], the days are an organisational period: the run is kept (and explained) but
/// held at `medium`. Only runs of different accounts count (an account's runs of one measure
/// never overlap). `findings` may hold any kinds; only runs are touched.
pub fn mark_periods(findings: &mut [Finding], period_days: i64) {
    let day = crate::ingest::time::DAY_MS;
    let runs: Vec<(usize, Measure, i64, i64, i64)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.run.is_some())
        .map(|(i, f)| {
            let w = &f.window;
            let days = ((w.end_ms - w.start_ms) as f64 / day as f64).round() as i64;
            (i, f.baseline.measure, w.start_ms, w.end_ms, days.max(1))
        })
        .collect();
    let tests = runs.len() as f64;
    let near = |x: i64, y: i64| (x - y).abs() <= day + day / 24; // a day, and an hour for DST
    for &(i, m, start, end, len) in &runs {
        let mut aligned: u64 = 0;
        let mut lambda = 0.0;
        for &(j, m2, s2, e2, len2) in &runs {
            if j == i || m2 != m {
                continue;
            }
            if near(start, s2) && near(end, e2) {
                aligned += 1;
            }
            let starts = (period_days - len2 + 1).max(1) as f64;
            lambda += (3 - (len - len2).abs()).max(0) as f64 / starts;
        }
        let p = poisson_sf(aligned, lambda) * tests;
        if let Some(e) = findings[i].run.as_mut() {
            e.shared_accounts = aligned as usize;
            e.shared_expected = lambda;
            e.period = aligned > 0 && p < PERIOD_ALPHA;
        }
    }
}

/// One run per overlap of an account's runs on its several measures (`runs` in account order):
/// the stronger, the earlier on a tie.
pub fn one_per_overlap(runs: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(runs.len());
    let mut account_start = 0;
    for f in runs {
        if out
            .last()
            .is_some_and(|l| l.window.account != f.window.account)
        {
            account_start = out.len();
        }
        match out[account_start..]
            .iter_mut()
            .find(|g| overlap(&g.window, &f.window))
        {
            Some(g) if g.score >= f.score => {}
            Some(g) => *g = f,
            None => out.push(f),
        }
    }
    out
}

/// `P(X >= k)` for `X ~ Poisson(lambda)`: the regularised lower incomplete gamma `P(k, lambda)`,
/// which keeps its digits far in the tail.
pub fn poisson_sf(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    statrs::function::gamma::gamma_lr(k as f64, lambda)
}

/// One window covering consecutive daily windows of an account: sums, and the union of what
/// was new.
fn span_window(days: &[Window]) -> Window {
    let first = &days[0];
    let last = &days[days.len() - 1];
    let sum = |f: fn(&Window) -> Option<i64>| {
        days.iter()
            .filter_map(f)
            .fold(None, |acc: Option<i64>, v| Some(acc.unwrap_or(0) + v))
    };
    let union = |f: fn(&Window) -> &Vec<u32>| {
        let mut v: Vec<u32> = days.iter().flat_map(|w| f(w).iter().copied()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    Window {
        account: first.account,
        kind: WindowKind::Run,
        start_ms: first.start_ms,
        end_ms: last.end_ms,
        events: days.iter().map(|w| w.events).sum(),
        exports: days.iter().map(|w| w.exports).sum(),
        records: sum(|w| w.records),
        bytes: sum(|w| w.bytes),
        distinct_objects: days.iter().map(|w| w.distinct_objects).max().unwrap_or(0),
        local_day: first.local_day,
        local_hour: 0,
        local_weekday: first.local_weekday,
        new_ips: union(|w| &w.new_ips),
        new_clients: union(|w| &w.new_clients),
        new_objects: union(|w| &w.new_objects),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::time::DAY_MS;

    fn day(d: i32, records: i64) -> Window {
        Window {
            local_weekday: (d % 7) as u8,
            ..Window::test_day(1, d, records)
        }
    }

    /// Days `0..n` alternating 1,000 and 1,100 records.
    fn ordinary(n: i32) -> Vec<Window> {
        (0..n)
            .map(|d| day(d, 1000 + 100 * (d % 2) as i64))
            .collect()
    }

    #[test]
    fn the_runs_line_counts_the_start_days_asked() {
        // 19 active days: never asked; 20: days 8 to 18 (11); 44: days 8 to 42 (35).
        assert_eq!((starts(19), starts(20), starts(44)), (0, 11, 35));
        // 35,000 start days and a budget of 3.5 false alerts: each may pass with chance 1e-4.
        assert!((run_line_for(35_000, 3.5, 7.0) - 4.0).abs() < 1e-12);
        // 31,000 start days and a budget of 4.0: log10(7,750) = 3.889.
        assert!((run_line_for(31_000, 4.0, 7.0) - 3.889_302).abs() < 1e-6);
        // Never below the gate; without a budget or a start day, the fallback.
        assert_eq!(run_line_for(10, 1.0, 7.0), VOLUME_GATE);
        assert_eq!(run_line_for(0, 4.0, 7.0), 7.0);
        assert_eq!(run_line_for(31_000, 0.0, 7.0), 7.0);
    }

    #[test]
    fn effective_measures_by_hand() {
        let both = |pairs: &[(i64, i64)]| -> Vec<Window> {
            pairs
                .iter()
                .enumerate()
                .map(|(d, &(r, b))| Window {
                    bytes: Some(b),
                    ..day(d as i32, r)
                })
                .collect()
        };
        let two = [Measure::Records, Measure::Bytes];
        // Bytes equal to records: r = 1, so the two tests are one: 2 - 1 = 1.
        let same = both(&[(10, 10), (200, 200), (3_000, 3_000), (40, 40)]);
        assert!((effective_measures(&same, &two) - 1.0).abs() < 1e-12);
        // Records a, b, a, b against bytes c, c, d, d: no covariance, r = 0: two tests.
        let unrelated = both(&[(10, 1_000), (500, 1_000), (10, 90_000), (500, 90_000)]);
        assert!((effective_measures(&unrelated, &two) - 2.0).abs() < 1e-12);
        // One measure; too few days with both.
        assert_eq!(effective_measures(&same, &two[..1]), 1.0);
        assert_eq!(effective_measures(&same[..2], &two), 2.0);
    }

    #[test]
    fn effective_measures_of_three_by_hand() {
        // Records a, b, a, b; bytes c, c, d, d (r = 0 with records); exports equal to records
        // (r = 1), so r = 0 with bytes too. M_eff = 3 - 2 (1 + 0 + 0) / 3 = 7/3.
        let days: Vec<Window> = [(10, 1_000), (500, 1_000), (10, 90_000), (500, 90_000)]
            .iter()
            .enumerate()
            .map(|(d, &(r, b))| Window {
                bytes: Some(b),
                exports: r as u64,
                ..day(d as i32, r)
            })
            .collect();
        let three = [Measure::Records, Measure::Bytes, Measure::Exports];
        assert!((effective_measures(&days, &three) - 7.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_run_of_many_exports_counts_days_without_exports() {
        // 30 days of 1 export and 10 active days of none, then 4 days of 20 exports: 44 active
        // days (a day without exports is one), median 1, so only the four are heavy (>= 2).
        // They are the four largest of 44: p = 1 / C(44, 4) = 1 / 135,751, times 8 ends.
        let mut days: Vec<Window> = (0..40)
            .map(|d| Window {
                exports: u64::from(d % 4 != 0),
                ..day(d, 100)
            })
            .collect();
        days.extend((40..44).map(|d| Window {
            exports: 20,
            ..day(d, 100)
        }));
        let f = find(&days, Measure::Exports, 0, 1.0);
        assert_eq!(f.len(), 1);
        let want = 8.0 / 135_751.0;
        assert!((f[0].baseline.tail_probability - want).abs() < 1e-15);
        assert!((f[0].score + want.log10()).abs() < 1e-9);
        let e = f[0].run.unwrap();
        assert_eq!((e.heavy_days, e.days, e.active_days), (4, 4, 44));
        assert_eq!(f[0].window.exports, 80);
        // Counting only days with exports (34) would have made it 1 / C(34, 4): weaker.
        assert!(want < 8.0 / 46_376.0);
    }

    #[test]
    fn hypergeometric_by_hand() {
        // Every drawn day heavy: C(M, x) / C(N, x). C(5,3)/C(20,3) = 10/1140.
        let p = hypergeometric_sf(3, 20, 5, 3);
        assert!((p - 10.0 / 1140.0).abs() < 1e-12, "{p}");
        // N=10, M=4, n=3, P(X >= 2) = [C(4,2)C(6,1) + C(4,3)] / C(10,3) = (36 + 4) / 120.
        let p = hypergeometric_sf(2, 10, 4, 3);
        assert!((p - 40.0 / 120.0).abs() < 1e-12, "{p}");
        assert_eq!(hypergeometric_sf(0, 10, 4, 3), 1.0);
        assert_eq!(hypergeometric_sf(4, 10, 4, 3), 0.0, "more than drawn");
        // Tiny probabilities keep their digits: 1 / C(60, 8).
        let p = hypergeometric_sf(8, 60, 8, 8);
        let want = 1.0 / 2_558_620_845.0;
        assert!((p / want - 1.0).abs() < 1e-9, "{p} vs {want}");
    }

    #[test]
    fn line_follows_the_budget() {
        assert!((budget_line(1.0, 7.0) - 4.0).abs() < 1e-12);
        assert!((budget_line(10.0, 7.0) - 3.0).abs() < 1e-12);
        assert_eq!(
            budget_line(1000.0, 7.0),
            VOLUME_GATE,
            "never below the gate"
        );
        assert_eq!(budget_line(0.0, 7.0), 7.0);
    }

    /// 40 days alternating 1,000 and 1,100 records, then five days of 5,000: the five are the
    /// five heaviest of 45, all in a row. p = 1/C(45,5) = 1/1,221,759, times 8 possible ends.
    #[test]
    fn five_heavy_days_in_a_row_are_a_run() {
        let mut days = ordinary(40);
        days.extend((40..45).map(|d| day(d, 5000)));
        let f = find(&days, Measure::Records, 1000, 1.0);
        assert_eq!(f.len(), 1);
        let r = &f[0];
        assert_eq!(r.window.kind, WindowKind::Run);
        assert_eq!(r.window.start_ms, 40 * DAY_MS);
        assert_eq!(r.window.end_ms, 45 * DAY_MS);
        assert_eq!(r.window.records, Some(25_000));
        let want = -(8.0 / 1_221_759.0f64).log10();
        assert!((r.score - want).abs() < 1e-9, "{} vs {want}", r.score);
        let e = r.run.unwrap();
        assert_eq!(
            (e.heavy_days, e.days, e.days_at_least, e.active_days),
            (5, 5, 5, 45)
        );
        assert_eq!(r.baseline.median, 1100.0);
    }

    #[test]
    fn a_run_on_the_organisation_s_busy_days_is_judged_net_of_them() {
        // The five 5,000-record days above (p = 8 / C(45, 5)), of which days 40 and 41 were
        // days on which the median account read five times its usual (effect ln 5).
        let mut days = ordinary(40);
        days.extend((40..45).map(|d| day(d, 5000)));
        let mut effects = vec![0.0; 45];
        effects[40] = 5f64.ln();
        effects[41] = 5f64.ln();
        // Net of them those two read 1,000, the median stays 1,100 (22 days of 1,000, 20 of
        // 1,100, 3 of 5,000), and days 42-44 are the only heavy days: p = 1 / C(45, 3) =
        // 1 / 14,190, times 8 ends. The run keeps its span and says what it was before.
        let f = find_net_of_days(&days, Measure::Records, 1000, 1.0, &effects);
        assert_eq!(f.len(), 1);
        let r = &f[0];
        assert_eq!(
            (r.window.start_ms, r.window.end_ms),
            (40 * DAY_MS, 45 * DAY_MS)
        );
        let want = -(8.0 / 14_190.0f64).log10();
        assert!((r.score - want).abs() < 1e-9, "{} vs {want}", r.score);
        assert!((r.baseline.tail_probability - 8.0 / 14_190.0).abs() < 1e-12);
        let o = r.run.unwrap().org.expect("judged net of the busy days");
        assert_eq!(o.busy_days, 2);
        assert!((o.factor - 5.0).abs() < 1e-9, "{o:?}");
        assert!((o.raw_p - 8.0 / 1_221_759.0).abs() < 1e-15, "{o:?}");
        // Without busy days it is the plain test's run.
        let plain = find(&days, Measure::Records, 1000, 1.0);
        assert_eq!(
            find_net_of_days(&days, Measure::Records, 1000, 1.0, &[0.0; 45]),
            plain
        );
        // Busy on four of the five days, one heavy day is left: no run at all.
        for e in &mut effects[42..44] {
            *e = 5f64.ln();
        }
        assert!(find_net_of_days(&days, Measure::Records, 1000, 1.0, &effects).is_empty());
    }

    #[test]
    fn netting_the_organisation_s_days_never_raises_a_run() {
        // Days 10 and 11 read 5,000 on busy days (effect ln 5) and days 40-44 read 5,000 on
        // ordinary days. Plain: 7 days of 45 read 5,000, p = C(7, 5) / C(45, 5) = 21 /
        // 1,221,759, times 8. Net of the busy days the run would be the only five heavy days
        // (1 / C(45, 5)): more surprising, because the precedent is gone; it keeps the plain
        // score, and no note of the organisation.
        let mut days = ordinary(40);
        days[10].records = Some(5000);
        days[11].records = Some(5000);
        days.extend((40..45).map(|d| day(d, 5000)));
        let mut effects = vec![0.0; 45];
        effects[10] = 5f64.ln();
        effects[11] = 5f64.ln();
        let f = find_net_of_days(&days, Measure::Records, 1000, 1.0, &effects);
        assert_eq!(f.len(), 1);
        let want = -(8.0 * 21.0 / 1_221_759.0f64).log10();
        assert!((f[0].score - want).abs() < 1e-9, "{} vs {want}", f[0].score);
        assert_eq!(f[0].run.unwrap().org, None);
    }

    #[test]
    fn a_run_in_the_first_week_of_the_record_is_not_scored() {
        // The same five 5,000-record days as above, but as the account's 3rd to 7th active days:
        // fewer than 7 days precede them, so they are its opening level, not a run. Moved to
        // start on the 8th active day (index 7), they are a run.
        let at = |first: i32| {
            let mut days = ordinary(45);
            for w in &mut days[first as usize..first as usize + 5] {
                w.records = Some(5000);
            }
            find(&days, Measure::Records, 1000, 1.0)
        };
        assert!(at(2).is_empty());
        // From the 7th active day (6 before it) the run loses its first day: days 7-10.
        let f = at(6);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].window.start_ms, 7 * DAY_MS);
        assert_eq!(f[0].run.unwrap().heavy_days, 4);
        let f = at(7);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].window.start_ms, 7 * DAY_MS);
    }

    #[test]
    fn poisson_tail_by_hand() {
        // P(X >= 2 | 1) = 1 - e^-1 (1 + 1); P(X >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125).
        assert!((poisson_sf(2, 1.0) - (1.0 - 2.0 * (-1.0f64).exp())).abs() < 1e-12);
        let want = 1.0 - 1.625 * (-0.5f64).exp();
        assert!((poisson_sf(3, 0.5) - want).abs() < 1e-12);
        assert_eq!(poisson_sf(0, 0.3), 1.0);
        assert_eq!(poisson_sf(1, 0.0), 0.0);
        // Far tails keep their digits: P(X >= 7 | 0.1) = e^-0.1 (0.1^7/7! + 0.1^8/8! + ...),
        // the terms after the third below 2e-6 of the first.
        let want = (-0.1f64).exp()
            * (0.1f64.powi(7) / 5040.0 + 0.1f64.powi(8) / 40320.0 + 0.1f64.powi(9) / 362880.0);
        assert!((poisson_sf(7, 0.1) / want - 1.0).abs() < 1e-5);
    }

    /// A run finding of `account` over days `[first, first + len)`.
    fn run_of(account: u32, first: i32, len: i32) -> Finding {
        let mut days: Vec<Window> = (0..60).map(|d| day(d, 1000)).collect();
        for w in &mut days[first as usize..(first + len) as usize] {
            w.records = Some(5000);
        }
        let mut f = find(&days, Measure::Records, 1000, 1.0).remove(0);
        f.window.account = account;
        f
    }

    #[test]
    fn many_accounts_with_the_same_run_days_are_a_period() {
        // Eight accounts with a run on days 40-47, one on days 20-27, period 90 days. Every
        // run is 8 days, so each other run would land aligned at 3 of its 83 starts: an
        // aligned run sees lambda = 8 * 3 / 83 = 0.289 and 7 aligned, P(X >= 7) ~ 2.5e-8,
        // times 9 runs: far below 1e-3. The lone run: none aligned, no period.
        let mut fs: Vec<Finding> = (0..8).map(|a| run_of(a, 40, 8)).collect();
        fs.push(run_of(8, 20, 8));
        mark_periods(&mut fs, 90);
        for f in &fs[..8] {
            let e = f.run.unwrap();
            assert!(e.period);
            assert_eq!(e.shared_accounts, 7);
            assert!((e.shared_expected - 24.0 / 83.0).abs() < 1e-12);
        }
        let lone = fs[8].run.unwrap();
        assert!(!lone.period);
        assert_eq!(lone.shared_accounts, 0);
        // Two thefts that happen to share their days are no period: P(X >= 1 | 3/83) ~ 0.036.
        let mut two = vec![run_of(1, 40, 8), run_of(2, 41, 8)];
        mark_periods(&mut two, 90);
        assert!(two.iter().all(|f| {
            let e = f.run.unwrap();
            e.shared_accounts == 1 && !e.period
        }));
        // Starting two days apart is not aligned.
        let mut apart = vec![run_of(1, 40, 8), run_of(2, 42, 8)];
        mark_periods(&mut apart, 90);
        assert_eq!(apart[0].run.unwrap().shared_accounts, 0);
    }

    #[test]
    fn a_period_holds_only_runs_of_the_measure_it_raised() {
        // Eight accounts read more records on days 40-47 (a month-end); a ninth makes a run of
        // exports over the same days. Only runs of one measure are compared: each records run
        // has 7 aligned among 7 other records runs, lambda = 7 * 3 / 83, and is a period; the
        // exports run has no other exports run, so none aligned, lambda 0, no period.
        let mut fs: Vec<Finding> = (0..8).map(|a| run_of(a, 40, 8)).collect();
        let mut exports = run_of(8, 40, 8);
        exports.baseline.measure = Measure::Exports;
        fs.push(exports);
        mark_periods(&mut fs, 90);
        for f in &fs[..8] {
            let e = f.run.unwrap();
            assert!(e.period);
            assert_eq!(e.shared_accounts, 7);
            assert!((e.shared_expected - 21.0 / 83.0).abs() < 1e-12);
        }
        let e = fs[8].run.unwrap();
        assert!(!e.period);
        assert_eq!((e.shared_accounts, e.shared_expected), (0, 0.0));
    }

    #[test]
    fn one_run_per_overlap_of_an_account() {
        // Account 1: a records run on days 40-47 and a weaker exports run on days 44-51
        // (overlapping), then a records run on days 20-27 (apart). Account 2: a run on days
        // 40-47 overlapping account 1's but of another account. Kept: account 1's days 40-47
        // and 20-27, account 2's; the weaker overlapping run goes, whatever its order.
        let strong = run_of(1, 40, 8);
        let mut weak = run_of(1, 44, 8);
        weak.baseline.measure = Measure::Exports;
        weak.score = strong.score - 1.0;
        let apart = run_of(1, 20, 8);
        let other = run_of(2, 40, 8);
        let starts = |v: &[Finding]| -> Vec<(u32, i64)> {
            v.iter()
                .map(|f| (f.window.account, f.window.start_ms / DAY_MS))
                .collect()
        };
        let kept = one_per_overlap(vec![
            weak.clone(),
            strong.clone(),
            apart.clone(),
            other.clone(),
        ]);
        assert_eq!(starts(&kept), vec![(1, 40), (1, 20), (2, 40)]);
        assert_eq!(kept[0].baseline.measure, Measure::Records);
        let kept = one_per_overlap(vec![strong, weak, apart, other]);
        assert_eq!(starts(&kept), vec![(1, 40), (1, 20), (2, 40)]);
    }

    #[test]
    fn a_change_of_level_is_no_run() {
        // 50 days of 1,000 or 1,100 records, then 30 of 5,000 (an integration's release): the
        // median is 1,100, so the 30 are heavy. Any ten of them would be a run of exchangeable
        // days: 10 heavy of 10 with 30 such among 80, C(30,10)/C(80,10), times 8 ends, scores
        // 3.8, over the gate. But each candidate has a block of ten heavy days beside it: for
        // the first, days 60-69 against days 0-39 and 70-79 (10 heavy of 50),
        // C(20,10)/C(60,10) = 2.4e-6; for the last, days 60-69 against days 0-59 (10 of 60),
        // C(20,10)/C(70,10) = 4.6e-7. A level, not a run.
        let mut days = ordinary(50);
        days.extend((50..80).map(|d| day(d, 5000)));
        let exchangeable = hypergeometric_sf(10, 80, 30, 10) * 8.0;
        assert!(-exchangeable.log10() > VOLUME_GATE, "{exchangeable}");
        assert!(find(&days, Measure::Records, 1000, 1.0).is_empty());
        // Five of those days, then back to the old level for thirty: an excursion, a run.
        for w in &mut days[55..] {
            w.records = Some(1000);
        }
        let f = find(&days, Measure::Records, 1000, 1.0);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].window.start_ms, 50 * DAY_MS);
        assert_eq!(f[0].run.unwrap().heavy_days, 5);
    }

    #[test]
    fn a_level_is_a_block_beside_the_run_heavy_far_more_often_than_the_history_beyond() {
        // Active days as (index, value); a candidate run on indices 40-44 (lightest heavy 5,000).
        let with = |before: &[f64], after: &[f64], beyond: usize, heavy_beyond: usize| {
            let mut v: Vec<f64> = (0..beyond)
                .map(|i| if i < heavy_beyond { 5000.0 } else { 1000.0 })
                .collect();
            let first = v.len() + before.len();
            v.extend(before);
            v.extend([5000.0; 5]);
            v.extend(after);
            let active: Vec<(usize, f64)> = v.into_iter().enumerate().collect();
            continues_a_level(&active, first, first + 4, 5000.0)
        };
        let ordinary = [1000.0; 10];
        // Ten heavy days after it, none in the 40 beyond: 2 / C(50,10), a level.
        assert!(with(&ordinary, &[5000.0; 10], 40, 0));
        // Four heavy of ten after it, two of the 40 beyond: P(X >= 4), X ~ H(50, 6, 10) =
        // 0.011, doubled 0.022 > 0.001: not a level.
        let mut after = ordinary;
        after[..4].fill(5000.0);
        assert!(!with(&ordinary, &after, 40, 2));
        // Before it, likewise.
        assert!(with(&[5000.0; 10], &ordinary, 40, 0));
        // A block of six days (the run near the end of the record) is not judged; nor is a
        // block with fewer than seven days beyond both blocks.
        assert!(!with(&ordinary, &[5000.0; 6], 40, 0));
        assert!(!with(&ordinary, &[5000.0; 10], 6, 0));
        assert!(with(&ordinary, &[5000.0; 10], 7, 0));
    }

    #[test]
    fn heavy_days_spread_out_are_no_run() {
        // The same five heavy days, but a week apart: never three within the span limit.
        let mut days: Vec<Window> = (0..45).map(|d| day(d, 1000)).collect();
        for d in [4, 13, 22, 31, 40] {
            days[d].records = Some(5000);
        }
        assert!(find(&days, Measure::Records, 1000, 1.0).is_empty());
    }

    #[test]
    fn a_recurring_busy_period_is_its_own_norm() {
        // Three month-ends of three heavy days each: none is surprising given the others.
        // The best run: 3 heavy days of 9 such in 45 (C(9,3)/C(45,3) = 84/14190), times 8 ends.
        let mut days: Vec<Window> = (0..45).map(|d| day(d, 1000)).collect();
        for start in [5, 20, 35] {
            for w in &mut days[start..start + 3] {
                w.records = Some(3000);
            }
        }
        let p: f64 = 84.0 / 14_190.0 * 8.0;
        assert!(-p.log10() < VOLUME_GATE);
        assert!(find(&days, Measure::Records, 1000, 1.0).is_empty());
    }

    #[test]
    fn a_light_day_inside_the_run_is_allowed_for() {
        // 40 ordinary days, then heavy, heavy, light, heavy, heavy: 4 heavy of 5 days.
        let mut days: Vec<Window> = (0..40).map(|d| day(d, 1000)).collect();
        for (d, r) in [(40, 5000), (41, 5000), (42, 900), (43, 5000), (44, 5000)] {
            days.push(day(d, r));
        }
        let f = find(&days, Measure::Records, 1000, 1.0);
        assert_eq!(f.len(), 1);
        let e = f[0].run.unwrap();
        assert_eq!((e.heavy_days, e.days), (4, 5));
        // P(X >= 4), X ~ Hypergeometric(45, 4, 5) = C(4,4) C(41,1) / C(45,5) = 41 / 1,221,759.
        let want = -(41.0 / 1_221_759.0 * 8.0f64).log10();
        assert!((f[0].score - want).abs() < 1e-9);
    }

    #[test]
    fn too_little_history_or_volume_is_not_scored() {
        let mut days: Vec<Window> = (0..15).map(|d| day(d, 1000)).collect();
        days.extend((15..20).map(|d| day(d, 5000)));
        assert_eq!(days.len(), 20);
        assert_eq!(
            find(&days[1..], Measure::Records, 1000, 1.0).len(),
            0,
            "19 days"
        );
        assert_eq!(find(&days, Measure::Records, 1000, 1.0).len(), 1, "20 days");
        assert!(
            find(&days, Measure::Records, 30_000, 1.0).is_empty(),
            "the heavy days sum to 25,000, under the floor"
        );
    }
}
