//! The month-end close: an account that reads more on the days organisations close their month
//! (an analyst's month-end reports, a finance team's reconciliations) is judged net of that rise.
//!
//! Why: a day is judged against the account's own history. When that history holds a second,
//! higher level on a few days each month, the law fitted to it spreads to cover both levels, and a
//! theft on an ordinary day (ten times the month-end days, five hundred times the median) is
//! judged by a tail made heavy by the calendar: a chance of 1 in 2,600 for a 762,028-record day
//! of an analyst whose month-end days read 30,000 to 49,000 records and other days 1,500. And a
//! month-end day is judged against ordinary days it was never like.
//!
//! Method. The close days ([`is_close_day`]) are the last [`CLOSE_LAST`] and the first
//! [`CLOSE_FIRST`] business days (Monday to Friday) of a month: month-end work as organisations
//! commonly run it, without the local holidays. For each account and measure, its daily log
//! volumes on close days and on other days (the window being judged and the days beside it left
//! out) are compared by the one-sided Mann-Whitney test (normal approximation, with the tie
//! correction and a continuity correction). When the close days read significantly more
//! ([`CLOSE_ALPHA`]), the rise is the Hodges-Lehmann estimate, the median of the differences
//! between every close day and every other day, and the account's close days, in its history and
//! the day being judged, are lowered by it before the day is judged. An account that works no
//! differently at month-end (most) is judged as before; a rise estimated as a rank statistic
//! cannot be made by one large day.
//!
//! What it assumes: that the account's month-end level recurs (three months of history hold three
//! closes). A close of a different calendar (a quarter's only, a fiscal month) is not modelled;
//! its days stay in the history as they are.
//!
//! References: H. B. Mann and D. R. Whitney, "On a test of whether one of two random variables is
//! stochastically larger than the other", Annals of Mathematical Statistics 18 (1947); J. L.
//! Hodges and E. L. Lehmann, "Estimates of location based on rank tests", Annals of Mathematical
//! Statistics 34 (1963).

use super::tail::{log_volume, mean_ranks};
use super::Measure;
use crate::features::Window;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use statrs::distribution::{ContinuousCDF, Normal};

/// Business days at the end of a month that are close days.
pub const CLOSE_LAST: u32 = 3;
/// Business days at the start of a month that are close days.
pub const CLOSE_FIRST: u32 = 2;
/// Level of the one-sided test that an account's close days read more than its other days.
pub const CLOSE_ALPHA: f64 = 0.01;
/// Fewest close days, and fewest other days, in an account's history for the test.
pub const MIN_CLOSE_DAYS: usize = 3;
pub const MIN_OTHER_DAYS: usize = 7;

/// The date of a local day (days since 1970-01-01).
fn date_of(day: i32) -> Option<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    if day >= 0 {
        epoch.checked_add_days(Days::new(day as u64))
    } else {
        epoch.checked_sub_days(Days::new(u64::from(day.unsigned_abs())))
    }
}

fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Whether local day `day` (days since 1970-01-01) is a close day: one of the last
/// [`CLOSE_LAST`] or first [`CLOSE_FIRST`] business days of its month.
pub fn is_close_day(day: i32) -> bool {
    let Some(d) = date_of(day) else {
        return false;
    };
    if !is_business_day(d) {
        return false;
    }
    // Business days of the month before `d` and after it.
    let same_month = |x: &NaiveDate| x.month() == d.month();
    let business = |x: &NaiveDate| is_business_day(*x);
    let before = std::iter::successors(d.pred_opt(), NaiveDate::pred_opt)
        .take_while(same_month)
        .filter(business)
        .count();
    let after = std::iter::successors(d.succ_opt(), NaiveDate::succ_opt)
        .take_while(same_month)
        .filter(business)
        .count();
    before < CLOSE_FIRST as usize || after < CLOSE_LAST as usize
}

/// An account's rise on close days, in one measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CloseEffect {
    /// The Hodges-Lehmann rise, in nats of volume (the close days read `e^shift` times the
    /// other days).
    pub shift: f64,
    /// The one-sided Mann-Whitney p-value.
    pub p: f64,
    /// Close days and other days the test compared.
    pub close_days: usize,
    pub other_days: usize,
    /// Whether the window judged is a close day.
    pub on_close_day: bool,
}

impl CloseEffect {
    /// How many times their other days the account's close days read.
    pub fn factor(&self) -> f64 {
        self.shift.exp()
    }
}

/// The close effect of one account from `days`: (log volume, whether a close day) of its days
/// of history. `None` unless the close days read significantly more ([`CLOSE_ALPHA`]) with a
/// positive rise; `on_close_day` is left false.
pub fn effect(days: &[(f64, bool)]) -> Option<CloseEffect> {
    let close: Vec<f64> = days.iter().filter(|d| d.1).map(|d| d.0).collect();
    let other: Vec<f64> = days.iter().filter(|d| !d.1).map(|d| d.0).collect();
    let (n1, n2) = (close.len(), other.len());
    if n1 < MIN_CLOSE_DAYS || n2 < MIN_OTHER_DAYS {
        return None;
    }
    let all: Vec<f64> = close.iter().chain(&other).copied().collect();
    let ranks = mean_ranks(&all);
    let (f1, f2) = (n1 as f64, n2 as f64);
    let n = f1 + f2;
    let u = ranks[..n1].iter().sum::<f64>() - f1 * (f1 + 1.0) / 2.0;
    // Tie correction: sum of t^3 - t over groups of tied values.
    let mut sorted = all.clone();
    sorted.sort_by(f64::total_cmp);
    let ties: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|g| {
            let t = g.len() as f64;
            t * t * t - t
        })
        .sum();
    let var = f1 * f2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if var <= 0.0 {
        return None;
    }
    let z = (u - f1 * f2 / 2.0 - 0.5) / var.sqrt();
    let p = Normal::new(0.0, 1.0).ok()?.sf(z);
    if p >= CLOSE_ALPHA {
        return None;
    }
    let mut diffs: Vec<f64> = close
        .iter()
        .flat_map(|c| other.iter().map(move |o| c - o))
        .collect();
    diffs.sort_by(f64::total_cmp);
    let shift = super::tail::quantile(&diffs, 0.5)?;
    (shift > 0.0).then_some(CloseEffect {
        shift,
        p,
        close_days: n1,
        other_days: n2,
        on_close_day: false,
    })
}

/// (log volume, close day) of each of `windows` (each with whether it is a close day) with a
/// value in measure `m`.
pub fn days<'w>(windows: impl Iterator<Item = (&'w Window, bool)>, m: Measure) -> Vec<(f64, bool)> {
    windows
        .filter_map(|(h, close)| m.of(h).map(|v| (log_volume(v as f64), close)))
        .collect()
}

/// The log volumes of `days` with the close days lowered by `shift`.
pub fn net(days: &[(f64, bool)], shift: f64) -> Vec<f64> {
    days.iter()
        .map(|&(x, close)| if close { x - shift } else { x })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Local day (days since 1970-01-01) of a date in 2025.
    fn day(month: u32, d: u32) -> i32 {
        let date = NaiveDate::from_ymd_opt(2025, month, d).unwrap();
        (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
    }

    #[test]
    fn close_days_are_the_last_three_and_first_two_business_days() {
        // 2025-01-01 is day 20,089 (a Wednesday).
        assert_eq!(day(1, 1), 20_089);
        // January 2025: Wed 1 and Thu 2 open it; Wed 29, Thu 30 and Fri 31 close it.
        for d in [1, 2, 29, 30, 31] {
            assert!(is_close_day(day(1, d)), "January {d}");
        }
        for d in [3, 6, 15, 28] {
            assert!(!is_close_day(day(1, d)), "January {d}");
        }
        // February 2025 starts on a Saturday: its first business days are Mon 3 and Tue 4,
        // and the weekend before them is no close day.
        assert!(!is_close_day(day(2, 1)) && !is_close_day(day(2, 2)));
        assert!(is_close_day(day(2, 3)) && is_close_day(day(2, 4)));
        assert!(!is_close_day(day(2, 5)));
        // May 2025 ends on a Saturday: Wed 28, Thu 29 and Fri 30 close it, not Tue 27.
        assert!(is_close_day(day(5, 28)) && is_close_day(day(5, 30)));
        assert!(!is_close_day(day(5, 27)) && !is_close_day(day(5, 31)));
    }

    #[test]
    fn the_effect_is_the_hodges_lehmann_rise_when_mann_whitney_finds_one() {
        // Close days 4, 5, 6, 7 against other days 0, 0.5, ..., 3: every close day is larger,
        // U = 4 * 7 = 28; mean 14, variance 4 * 7 * 12 / 12 = 28 (no ties), so
        // z = (28 - 14 - 0.5) / sqrt(28) = 2.5513 and p = 0.005367 (scipy's mannwhitneyu,
        // asymptotic with continuity, gives the same).
        let mut days: Vec<(f64, bool)> = [4.0, 5.0, 6.0, 7.0].map(|x| (x, true)).to_vec();
        days.extend([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0].map(|x| (x, false)));
        let e = effect(&days).expect("a rise");
        assert!((e.p - 0.005_367).abs() < 1e-6, "{}", e.p);
        // The 28 differences are symmetric about 5.5 - 1.5 = 4: their median.
        assert!((e.shift - 4.0).abs() < 1e-12);
        assert_eq!((e.close_days, e.other_days), (4, 7));
        assert!((e.factor() - 4f64.exp()).abs() < 1e-9);
        // Net of it, the close days read 0, 1, 2, 3: among the others.
        assert_eq!(net(&days, e.shift)[..4], [0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn ties_share_their_ranks_and_reduce_the_variance() {
        // Close 2, 2, 3, 3 against 0, 0.5, 0.5, 1, 1, 1, 2. Mean ranks: 0 -> 1, 0.5 -> 2.5,
        // 1 -> 5, 2 -> 8, 3 -> 10.5; the close days' sum 37, U = 37 - 10 = 27. Ties of sizes
        // 2, 3, 3, 2 give sum(t^3 - t) = 60, so the variance is 28 / 12 * (12 - 60 / 110) =
        // 26.727, z = 12.5 / 5.1698 = 2.4179, p = 0.007806 (scipy agrees). The differences'
        // median is 1.75.
        let mut days: Vec<(f64, bool)> = [2.0, 2.0, 3.0, 3.0].map(|x| (x, true)).to_vec();
        days.extend([0.0, 1.0, 1.0, 1.0, 2.0, 0.5, 0.5].map(|x| (x, false)));
        let e = effect(&days).expect("a rise");
        assert!((e.p - 0.007_806).abs() < 1e-6, "{}", e.p);
        assert!((e.shift - 1.75).abs() < 1e-12);
    }

    #[test]
    fn no_effect_without_a_significant_rise() {
        let others = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0].map(|x| (x, false));
        // Three close days above all seven others: U = 21, z = (21 - 10.5 - 0.5) / sqrt(19.25)
        // = 2.279, p = 0.0113, over CLOSE_ALPHA.
        let mut three: Vec<(f64, bool)> = [4.0, 5.0, 6.0].map(|x| (x, true)).to_vec();
        three.extend(others);
        assert_eq!(effect(&three), None);
        // Close days that read less: the test is one-sided.
        let mut lower: Vec<(f64, bool)> = [-4.0, -5.0, -6.0, -7.0].map(|x| (x, true)).to_vec();
        lower.extend(others);
        assert_eq!(effect(&lower), None);
        // Too few close days, or other days, for the test.
        let mut two: Vec<(f64, bool)> = [40.0, 50.0].map(|x| (x, true)).to_vec();
        two.extend(others);
        assert_eq!(effect(&two), None);
        let mut few: Vec<(f64, bool)> = [4.0, 5.0, 6.0, 7.0].map(|x| (x, true)).to_vec();
        few.extend(&others[..MIN_OTHER_DAYS - 1]);
        assert_eq!(effect(&few), None);
        // All days alike: no variance, no effect.
        let same: Vec<(f64, bool)> = (0..12).map(|i| (1.0, i % 3 == 0)).collect();
        assert_eq!(effect(&same), None);
    }
}
