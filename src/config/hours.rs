//! Business hours ([`BusinessHours`]): a daily local span on chosen weekdays, which may wrap past
//! midnight.

use chrono::Weekday;
use std::fmt;

const DAY_MINUTES: u32 = 24 * 60;

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Working hours: the local span `start..end` (minutes after midnight, start inclusive, end
/// exclusive) on each business day.
///
/// When `start < end` the span lies within the day: minute `m` of weekday `d` is inside when `d`
/// is a business day and `start <= m < end`. `end` may be 1440 (`24:00`), so `00:00-24:00` is
/// the whole day.
///
/// When `start > end` the span wraps past midnight (`22:00-06:00`, a night shift). The part
/// after midnight belongs to the shift that started the evening before: minute `m` of weekday
/// `d` is inside when `m >= start` and `d` is a business day, or when `m < end` and the day
/// before `d` is a business day. With mon-fri, Monday 02:00 is outside (the Sunday shift does not
/// exist) and Saturday 02:00 is inside (the Friday shift).
///
/// `start == end` is refused: it could mean no time or all day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BusinessHours {
    start: u32,
    end: u32,
    /// Indexed by `Weekday::num_days_from_monday`.
    days: [bool; 7],
}

impl Default for BusinessHours {
    /// 08:00-18:00, Monday to Friday.
    fn default() -> Self {
        BusinessHours {
            start: 8 * 60,
            end: 18 * 60,
            days: [true, true, true, true, true, false, false],
        }
    }
}

impl BusinessHours {
    /// From minutes after midnight (`start` 0..1440, `end` 0..=1440, `start != end`) and the
    /// business days (at least one; repeats are harmless).
    pub fn new(start: u32, end: u32, days: &[Weekday]) -> Result<BusinessHours, String> {
        if start >= DAY_MINUTES || end > DAY_MINUTES {
            return Err(format!(
                "minutes after midnight out of range: start {start} (0 to 1439), end {end} (0 to 1440)"
            ));
        }
        if start == end {
            return Err(format!(
                "start and end are both {}: give a span, e.g. 08:00-18:00, or 00:00-24:00 for all day",
                hhmm(start)
            ));
        }
        if days.is_empty() {
            return Err(
                "no business days: give at least one of mon, tue, wed, thu, fri, sat, sun".into(),
            );
        }
        let mut set = [false; 7];
        for d in days {
            set[d.num_days_from_monday() as usize] = true;
        }
        Ok(BusinessHours {
            start,
            end,
            days: set,
        })
    }

    /// Whether minute `minute_of_day` (0..1440, local) of `weekday` is within business hours
    /// (rule in the type's documentation). A minute of 1440 or more is never inside.
    pub fn contains(&self, weekday: Weekday, minute_of_day: u32) -> bool {
        if minute_of_day >= DAY_MINUTES {
            return false;
        }
        if self.start < self.end {
            self.is_business_day(weekday) && self.start <= minute_of_day && minute_of_day < self.end
        } else if minute_of_day >= self.start {
            self.is_business_day(weekday)
        } else {
            minute_of_day < self.end && self.is_business_day(weekday.pred())
        }
    }

    /// Start, minutes after local midnight (inclusive).
    pub fn start_minute(&self) -> u32 {
        self.start
    }

    /// End, minutes after local midnight (exclusive); 1440 is midnight at the end of the day.
    pub fn end_minute(&self) -> u32 {
        self.end
    }

    /// Whether the span runs past midnight (`start > end`).
    pub fn wraps_midnight(&self) -> bool {
        self.start > self.end
    }

    /// Whether a shift starts on `weekday`.
    pub fn is_business_day(&self, weekday: Weekday) -> bool {
        self.days[weekday.num_days_from_monday() as usize]
    }

    /// The business days, Monday first.
    pub fn days(&self) -> Vec<Weekday> {
        WEEK.into_iter()
            .filter(|d| self.is_business_day(*d))
            .collect()
    }

    /// These hours on other days.
    pub(crate) fn with_days(&self, days: &[Weekday]) -> Result<BusinessHours, String> {
        BusinessHours::new(self.start, self.end, days)
    }
}

/// `08:00-18:00 mon,tue,wed,thu,fri`
impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = self.days().into_iter().map(day_name).collect();
        write!(
            f,
            "{}-{} {}",
            hhmm(self.start),
            hhmm(self.end),
            days.join(",")
        )
    }
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// `H:MM` or `HH:MM`, 00:00 to 23:59, or 24:00 when `allow_24` (an end).
fn parse_time(s: &str, allow_24: bool) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if allow_24 => Some(DAY_MINUTES),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Parses `"HH:MM-HH:MM"` into (start, end) minutes; spaces around the dash are allowed.
pub(crate) fn parse_span(s: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!(
            "{s:?} is not a span of local time \"HH:MM-HH:MM\" (e.g. \"08:00-18:00\", \
             or \"22:00-06:00\" for a shift past midnight)"
        )
    };
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let start = parse_time(a.trim(), false).ok_or_else(bad)?;
    let end = parse_time(b.trim(), true).ok_or_else(bad)?;
    if start == end {
        return Err(format!(
            "{s:?}: start and end are the same: give a span, e.g. \"08:00-18:00\", or \
             \"00:00-24:00\" for all day"
        ));
    }
    Ok((start, end))
}

/// `mon`..`sun` or the full English name, any case.
pub(crate) fn parse_day(s: &str) -> Result<Weekday, String> {
    let l = s.to_ascii_lowercase();
    WEEK.into_iter()
        .find(|d| {
            let short = day_name(*d);
            l == short || l == full_name(*d)
        })
        .ok_or_else(|| format!("{s:?} is not a day: use mon, tue, wed, thu, fri, sat or sun"))
}

fn full_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}
