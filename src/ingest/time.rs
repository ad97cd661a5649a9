//! Timestamp parsing for log fields.
//!
//! Every internal time in exfilwatch is an `i64` count of milliseconds since the Unix epoch, UTC.
//! This parser accepts RFC 3339 / ISO 8601 date-times as vendors write them:
//! `2025-01-23T02:14:07Z`, `2025-01-23T02:14:07.512+01:00`, `2025-01-23 02:14:07`, and a value
//! without a zone, which is taken as UTC (FORMATS.md, section 1). It is hand-written because it
//! runs once per log row and a general date library costs several times more per call.

use std::fmt;

/// Milliseconds in one hour.
pub const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in one day.
pub const DAY_MS: i64 = 86_400_000;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError(pub &'static str);

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for TimeError {}

/// Parses an RFC 3339 / ISO 8601 date-time into milliseconds since the epoch (UTC).
///
/// Accepted: `YYYY-MM-DD` then `T`, `t` or a space, then `HH:MM[:SS[.fraction]]`, then
/// optionally `Z`, `z`, `+HH:MM`, `+HHMM` or `+HH` (or `-`); the offset may follow one space, as
/// Snowflake writes it (`2024-04-10 12:34:56.789 -0700`). Surrounding white space is ignored.
/// Years 1970 to 9999 are accepted; a leap second (`:60`) is read as `:59.999`.
pub fn parse_timestamp(s: &str) -> Result<i64, TimeError> {
    let b = s.trim().as_bytes();
    if b.len() < 16 {
        return Err(TimeError(
            "too short for a date and time (want YYYY-MM-DDTHH:MM:SS)",
        ));
    }
    let year = digits(b, 0, 4).ok_or(TimeError("year is not 4 digits"))?;
    if b[4] != b'-' || b[7] != b'-' {
        return Err(TimeError("date is not YYYY-MM-DD"));
    }
    let month = digits(b, 5, 2).ok_or(TimeError("month is not 2 digits"))?;
    let day = digits(b, 8, 2).ok_or(TimeError("day is not 2 digits"))?;
    if !matches!(b[10], b'T' | b't' | b' ') {
        return Err(TimeError("no 'T' or space between date and time"));
    }
    let hour = digits(b, 11, 2).ok_or(TimeError("hour is not 2 digits"))?;
    if b[13] != b':' {
        return Err(TimeError("time is not HH:MM"));
    }
    let minute = digits(b, 14, 2).ok_or(TimeError("minute is not 2 digits"))?;
    let mut i = 16;
    let mut second = 0;
    let mut millis = 0;
    if i < b.len() && b[i] == b':' {
        second = digits(b, i + 1, 2).ok_or(TimeError("second is not 2 digits"))?;
        i += 3;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            let mut scale = 100;
            while i < b.len() && b[i].is_ascii_digit() {
                millis += i64::from(b[i] - b'0') * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return Err(TimeError("empty fraction of a second"));
            }
        }
    }
    let offset_ms = parse_zone(&b[i..])?;
    check_date(year, month, day)?;
    if hour > 23 || minute > 59 || second > 60 {
        return Err(TimeError("time of day out of range"));
    }
    if second == 60 {
        second = 59;
        millis = 999;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    Ok(secs * 1000 + millis - offset_ms)
}

/// Reads the zone designator after the time; no designator means UTC.
fn parse_zone(z: &[u8]) -> Result<i64, TimeError> {
    match z {
        [] | [b'Z'] | [b'z'] => Ok(0),
        [b' ', sign @ (b'+' | b'-'), rest @ ..] | [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [_, _] => (digits(rest, 0, 2), Some(0)),
                [_, _, b':', _, _] => (digits(rest, 0, 2), digits(rest, 3, 2)),
                [_, _, _, _] => (digits(rest, 0, 2), digits(rest, 2, 2)),
                _ => return Err(TimeError("zone offset is not +HH:MM")),
            };
            let (h, m) = match (h, m) {
                (Some(h), Some(m)) if h <= 23 && m <= 59 => (h, m),
                _ => return Err(TimeError("zone offset is not +HH:MM")),
            };
            let ms = (h * 60 + m) * 60_000;
            Ok(if *sign == b'-' { -ms } else { ms })
        }
        _ => Err(TimeError("unexpected text after the time")),
    }
}

/// Parses a US-style date-time as Microsoft 365 exports show it, `9/20/2023 4:05:03 AM`: month,
/// day and 4-digit year separated by `/`, a space, `H:MM[:SS]` (one or two digits for hour and
/// month and day), then optionally `AM`/`PM` (12-hour clock; without it the hour is 0-23). The
/// value carries no zone and is taken as UTC. Surrounding white space is ignored.
pub fn parse_us_datetime(s: &str) -> Result<i64, TimeError> {
    let s = s.trim();
    let (date, rest) = s
        .split_once(' ')
        .ok_or(TimeError("no space between date and time"))?;
    let mut parts = date.split('/');
    let (Some(m), Some(d), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TimeError("date is not M/D/YYYY"));
    };
    let month = small_number(m, 1, 2).ok_or(TimeError("month is not 1 or 2 digits"))?;
    let day = small_number(d, 1, 2).ok_or(TimeError("day is not 1 or 2 digits"))?;
    let year = small_number(y, 4, 4).ok_or(TimeError("year is not 4 digits"))?;
    let rest = rest.trim_start();
    let (clock, meridiem) = match rest.rsplit_once(' ') {
        Some((c, m)) => (c.trim_end(), Some(m)),
        None => (rest, None),
    };
    let mut hms = clock.split(':');
    let (Some(h), Some(mi), sec, None) = (hms.next(), hms.next(), hms.next(), hms.next()) else {
        return Err(TimeError("time is not H:MM[:SS]"));
    };
    let mut hour = small_number(h, 1, 2).ok_or(TimeError("hour is not 1 or 2 digits"))?;
    let minute = small_number(mi, 2, 2).ok_or(TimeError("minute is not 2 digits"))?;
    let second = match sec {
        None => 0,
        Some(x) => small_number(x, 2, 2).ok_or(TimeError("second is not 2 digits"))?,
    };
    match meridiem {
        None => {}
        Some(m) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
            if !(1..=12).contains(&hour) {
                return Err(TimeError("hour outside 1-12 on a 12-hour clock"));
            }
            // 12 AM is midnight, 12 PM is noon.
            hour %= 12;
            if m.eq_ignore_ascii_case("PM") {
                hour += 12;
            }
        }
        Some(_) => return Err(TimeError("expected AM or PM after the time")),
    }
    check_date(year, month, day)?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(TimeError("time of day out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000)
}

/// A number written with `min..=max` ASCII digits.
fn small_number(s: &str, min: usize, max: usize) -> Option<i64> {
    if !(min..=max).contains(&s.len()) {
        return None;
    }
    digits(s.as_bytes(), 0, s.len())
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v = 0i64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// A calendar date in range: year 1970-9999, month 1-12, a day the month has.
fn check_date(year: i64, month: i64, day: i64) -> Result<(), TimeError> {
    if !(1970..=9999).contains(&year) {
        return Err(TimeError("year outside 1970-9999"));
    }
    if !(1..=12).contains(&month) {
        return Err(TimeError("month outside 1-12"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(TimeError("day outside the month"));
    }
    Ok(())
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats milliseconds since the epoch as RFC 3339 UTC with second precision (`...Z`).
pub fn format_utc(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed by hand: 2025-01-23 is day 20111 since 1970-01-01
    // (55 years incl. 14 leap days = 20089 days to 2025-01-01, plus 22).
    const JAN23_2025: i64 = 20_111 * DAY_MS;

    #[test]
    fn utc_with_z_and_fraction() {
        assert_eq!(
            parse_timestamp("2025-01-23T02:14:07.512Z"),
            Ok(JAN23_2025 + 2 * HOUR_MS + 14 * 60_000 + 7_000 + 512)
        );
    }

    #[test]
    fn offsets_are_subtracted() {
        let utc = parse_timestamp("2025-01-23T02:00:00Z").unwrap();
        assert_eq!(parse_timestamp("2025-01-23T03:00:00+01:00"), Ok(utc));
        assert_eq!(parse_timestamp("2025-01-22T21:00:00-0500"), Ok(utc));
        assert_eq!(parse_timestamp("2025-01-23T07:30:00+05:30"), Ok(utc));
        assert_eq!(parse_timestamp("2025-01-23T04:00:00+02"), Ok(utc));
    }

    #[test]
    fn no_zone_is_utc_and_space_separator_is_accepted() {
        assert_eq!(
            parse_timestamp("2025-01-23 02:00:00"),
            Ok(JAN23_2025 + 2 * HOUR_MS)
        );
        assert_eq!(
            parse_timestamp(" 2025-01-23T02:00 "),
            Ok(JAN23_2025 + 2 * HOUR_MS)
        );
    }

    #[test]
    fn epoch_and_leap_day() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Ok(0));
        // 2024-02-29 exists; 2023-02-29 and 1900-02-29 do not.
        assert!(parse_timestamp("2024-02-29T00:00:00Z").is_ok());
        assert!(parse_timestamp("2023-02-29T00:00:00Z").is_err());
        assert_eq!(
            parse_timestamp("2024-03-01T00:00:00Z").unwrap()
                - parse_timestamp("2024-02-28T00:00:00Z").unwrap(),
            2 * DAY_MS
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            "",
            "yesterday",
            "2025-13-01T00:00:00Z",
            "2025-01-32T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:00:00Q",
            "2025-01-01T00:00:00+1",
            "2025-01-01T00:00:00.Z",
            "20250101T000000Z",
            "1969-12-31T23:59:59Z",
            "2025-01-01T00:00:00Zjunk",
            "２０２５-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_back_to_rfc3339() {
        assert_eq!(format_utc(JAN23_2025 + 2 * HOUR_MS), "2025-01-23T02:00:00Z");
    }

    #[test]
    fn offset_after_a_space_as_snowflake_writes_it() {
        // 2024-04-10 is day 19823 (54 years with 13 leap days = 19723 days to 2024-01-01, then
        // 31 + 29 + 31 + 9 = 100 days); 12:34:56.789 at -07:00 is 19:34:56.789 UTC.
        let want = 19_823 * DAY_MS + 19 * HOUR_MS + 34 * 60_000 + 56_789;
        assert_eq!(parse_timestamp("2024-04-10 12:34:56.789 -0700"), Ok(want));
        assert_eq!(parse_timestamp("2024-04-10 12:34:56.789 -07:00"), Ok(want));
        assert_eq!(parse_timestamp("2024-04-10T19:34:56.789Z"), Ok(want));
        assert!(parse_timestamp("2024-04-10 12:34:56  -0700").is_err());
        assert!(parse_timestamp("2024-04-10 12:34:56 Z").is_err());
    }

    #[test]
    fn us_date_times_with_am_pm() {
        // 2023-09-20 is day 19620 (53 years with 13 leap days = 19358 days to 2023-01-01, then
        // 243 days of January to August, plus 19).
        const SEP20_2023: i64 = 19_620 * DAY_MS;
        let at = |h: i64, m: i64, s: i64| SEP20_2023 + h * HOUR_MS + m * 60_000 + s * 1000;
        assert_eq!(parse_us_datetime("9/20/2023 4:05:03 AM"), Ok(at(4, 5, 3)));
        assert_eq!(
            parse_us_datetime(" 09/20/2023 4:05:03 pm "),
            Ok(at(16, 5, 3))
        );
        assert_eq!(parse_us_datetime("9/20/2023 12:00:00 AM"), Ok(at(0, 0, 0)));
        assert_eq!(parse_us_datetime("9/20/2023 12:30 PM"), Ok(at(12, 30, 0)));
        assert_eq!(parse_us_datetime("9/20/2023 16:05"), Ok(at(16, 5, 0)));
        assert_eq!(
            parse_us_datetime("2/29/2024 0:00"),
            parse_timestamp("2024-02-29T00:00Z")
        );
        for bad in [
            "",
            "9/20/2023",
            "20.9.2023 4:05:03",
            "13/20/2023 4:05:03 AM",
            "2/29/2023 4:05:03 AM",
            "9/20/23 4:05:03 AM",
            "9/20/2023 0:05:03 AM",
            "9/20/2023 13:05:03 PM",
            "9/20/2023 4:5:03 AM",
            "9/20/2023 4:05:03 XM",
            "9/20/2023 24:00",
            "9/20/2023 4:05:03:01 AM",
            "9//2023 4:05 AM",
        ] {
            assert!(
                parse_us_datetime(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_timestamp(&s);
            let _ = parse_us_datetime(&s);
        }

        #[test]
        fn round_trips_through_chrono(secs in 0i64..253_402_300_799i64) {
            let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            let text = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            proptest::prop_assert_eq!(parse_timestamp(&text), Ok(secs * 1000));
        }
    }
}
