//! Per-account baselines built from windows: the activity profile over hours of the week, and
//! the sorted volume history used by the detector's tail model.
//!
//! Every baseline can be taken "leaving out" a range of days or a time band, so the window being
//! scored (and the incident around it) never counts as its own history.

use super::Window;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// Strength of the prior, in days, when a rate is shrunk toward a broader one (hour-of-week
/// toward the account's hour-of-day, hour-of-day toward the population's).
pub const PRIOR_DAYS: f64 = 2.0;

/// Weekday (Monday = 0) of a day counted from 1970-01-01, which was a Thursday.
pub fn weekday_of_day(day: i32) -> u8 {
    (day + 3).rem_euclid(7) as u8
}

/// Whether a day's 24-bit hour mask shows activity at `hour` or the hour either side: a shift
/// that starts or ends an hour off is not "off-hours".
fn covers(mask: u32, hour: u8) -> bool {
    let h = u32::from(hour);
    let near = (1 << h) | (1 << ((h + 23) % 24)) | (1 << ((h + 1) % 24));
    mask & near != 0
}

/// Which local hours an account was active on each local day of its observed span.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityProfile {
    days: BTreeMap<i32, u32>,
}

/// How usual activity at an hour is for an account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourRate {
    /// Estimated probability that the account is active around this hour on a day like this one.
    pub rate: f64,
    /// Days of the same weekday on which it was active around this hour.
    pub weekday_days_active: u32,
    /// Days of the same weekday observed (in the account's span, outside the left-out days).
    pub weekday_days_observed: u32,
    /// Days of any weekday on which it was active around this hour.
    pub days_active: u32,
    /// Days observed.
    pub days_observed: u32,
}

impl ActivityProfile {
    /// Builds the profile from one account's hourly windows.
    pub fn from_hourly(windows: &[Window]) -> ActivityProfile {
        let mut days = BTreeMap::new();
        for w in windows {
            *days.entry(w.local_day).or_insert(0u32) |= 1 << w.local_hour;
        }
        ActivityProfile { days }
    }

    /// Number of local days with any activity.
    pub fn active_days(&self) -> usize {
        self.days.len()
    }

    fn span(&self) -> Option<RangeInclusive<i32>> {
        Some(*self.days.keys().next()?..=*self.days.keys().next_back()?)
    }

    /// Counts (days covering `hour`, days observed) over the calendar days of the account's span
    /// outside `exclude`, restricted to `weekday` if given.
    fn count(&self, hour: u8, weekday: Option<u8>, exclude: &RangeInclusive<i32>) -> (u32, u32) {
        let Some(span) = self.span() else {
            return (0, 0);
        };
        let (mut active, mut observed) = (0, 0);
        for day in span {
            if exclude.contains(&day) || weekday.is_some_and(|w| weekday_of_day(day) != w) {
                continue;
            }
            observed += 1;
            if self.days.get(&day).is_some_and(|&m| covers(m, hour)) {
                active += 1;
            }
        }
        (active, observed)
    }

    /// The rate of activity around local `hour` on days of `weekday`, leaving out the days in
    /// `exclude`. Hour-of-week counts are shrunk toward the account's hour-of-day rate, which is
    /// shrunk toward the population's rate for that hour (`population[hour]`), each with a prior
    /// worth [`PRIOR_DAYS`] days, so thin histories lean on broader evidence.
    pub fn rate(
        &self,
        hour: u8,
        weekday: u8,
        exclude: RangeInclusive<i32>,
        population: &[f64; 24],
    ) -> HourRate {
        let (days_active, days_observed) = self.count(hour, None, &exclude);
        let hod = (f64::from(days_active) + PRIOR_DAYS * population[hour as usize])
            / (f64::from(days_observed) + PRIOR_DAYS);
        let (wa, wo) = self.count(hour, Some(weekday), &exclude);
        let rate = (f64::from(wa) + PRIOR_DAYS * hod) / (f64::from(wo) + PRIOR_DAYS);
        HourRate {
            rate,
            weekday_days_active: wa,
            weekday_days_observed: wo,
            days_active,
            days_observed,
        }
    }
}

/// The population's rate of activity around each local hour: over all accounts' observed days,
/// the share on which the account was active around that hour.
pub fn population_hour_rates<'a>(
    profiles: impl IntoIterator<Item = &'a ActivityProfile>,
) -> [f64; 24] {
    let mut active = [0u64; 24];
    let mut observed = 0u64;
    for p in profiles {
        let Some(span) = p.span() else { continue };
        observed += (span.end() - span.start() + 1) as u64;
        for &mask in p.days.values() {
            for (h, a) in active.iter_mut().enumerate() {
                if covers(mask, h as u8) {
                    *a += 1;
                }
            }
        }
    }
    // Laplace smoothing: an hour no one has ever worked still has a small non-zero rate.
    active.map(|a| (a as f64 + 1.0) / (observed as f64 + 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::WindowKind;

    fn hour(day: i32, h: u8) -> Window {
        Window {
            account: 1,
            kind: WindowKind::Hour,
            start_ms: 0,
            end_ms: 0,
            events: 1,
            exports: 0,
            records: Some(1),
            bytes: None,
            distinct_objects: 0,
            local_day: day,
            local_hour: h,
            local_weekday: weekday_of_day(day),
            new_ips: vec![],
            new_clients: vec![],
            new_objects: vec![],
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday_of_day(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday_of_day(20_094), 0, "2025-01-06 was a Monday");
        assert_eq!(weekday_of_day(-1), 2);
    }

    #[test]
    fn coverage_includes_neighbouring_hours_and_wraps() {
        assert!(covers(1 << 9, 10));
        assert!(covers(1 << 9, 8));
        assert!(!covers(1 << 9, 11));
        assert!(covers(1 << 23, 0), "23:00 is next to midnight");
    }

    #[test]
    fn day_worker_at_night_is_rare_night_worker_is_not() {
        let pop = [0.1; 24];
        // 28 days, Monday to Friday, 09:00-17:00.
        let days: Vec<i32> = (20_094..20_122)
            .filter(|&d| weekday_of_day(d) < 5)
            .collect();
        let day_worker: Vec<Window> = days
            .iter()
            .flat_map(|&d| (9..17).map(move |h| hour(d, h)))
            .collect();
        let p = ActivityProfile::from_hourly(&day_worker);
        // Score Thursday 2025-01-23 (day 20111) at 02:00, leaving that day out. The span runs
        // from Monday 20094 to the last worked day, Friday 20119: 26 days, 25 once the scored
        // day is left out, none active around 02:00: hod = (0 + 2*0.1) / (25 + 2). Thursdays in
        // the span: 20097, 20104, 20111, 20118, so 3 observed, 0 active:
        // rate = (0 + 2*hod) / (3 + 2).
        let r = p.rate(2, 3, 20_111..=20_111, &pop);
        assert_eq!((r.days_active, r.days_observed), (0, 25));
        assert_eq!((r.weekday_days_active, r.weekday_days_observed), (0, 3));
        assert!(
            (r.rate - 2.0 * (0.2 / 27.0) / 5.0).abs() < 1e-12,
            "{}",
            r.rate
        );
        let r = p.rate(10, 3, 20_111..=20_111, &pop);
        assert!(r.rate > 0.8, "a weekday 10:00 is usual: {}", r.rate);

        let night: Vec<Window> = (20_094..20_122)
            .flat_map(|d| [hour(d, 1), hour(d, 2), hour(d, 3)])
            .collect();
        let r = ActivityProfile::from_hourly(&night).rate(2, 3, 20_111..=20_111, &pop);
        assert!(
            r.rate > 0.8,
            "nights are normal for a night worker: {}",
            r.rate
        );
    }

    #[test]
    fn empty_profile_falls_back_to_population() {
        let mut pop = [0.0; 24];
        pop[4] = 0.5;
        let r = ActivityProfile::default().rate(4, 0, 0..=0, &pop);
        assert_eq!(r.days_observed, 0);
        assert!((r.rate - 0.5).abs() < 1e-12);
    }

    #[test]
    fn population_rates() {
        let a = ActivityProfile::from_hourly(&[hour(10, 12), hour(11, 12)]);
        let b = ActivityProfile::from_hourly(&[hour(10, 0)]);
        let pop = population_hour_rates([&a, &b]);
        // 3 observed days; hour 12 covered on 2 of them: (2+1)/(3+2).
        assert!((pop[12] - 3.0 / 5.0).abs() < 1e-12);
        assert!((pop[6] - 1.0 / 5.0).abs() < 1e-12);
    }
}
