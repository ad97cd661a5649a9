//! Features: canonical events -> per-account windows, with polars.
//!
//! For every account this computes
//! - **hourly windows** (UTC hours; an hour is an hour in every zone but the few with
//!   sub-hour offsets, where the window is still reported in UTC),
//! - **daily windows** (calendar days in the organisation's time zone),
//!
//! each with the number of events, the sum of records and of bytes, the number of distinct
//! objects, and the source IPs and clients that are **new to the account** in that window: used by
//! the account only within [`NOVELTY_BAND_MS`] of the window and never outside it. That
//! definition is symmetric in time, so a theft on the first day of the data is "new" just as one
//! on the last day is.
//!
//! The baselines built from these windows live in [`baseline`].

pub mod baseline;
pub mod stream;

use crate::ingest::event::{col_name as c, EventTable, Names};
use crate::ingest::time::{DAY_MS, HOUR_MS};
use chrono::{Datelike, TimeZone, Timelike};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// An IP or client counts as new to an account in a window when the account used it only within
/// this distance of the window (24 hours: one incident, not the account's routine).
pub const NOVELTY_BAND_MS: i64 = 24 * HOUR_MS;

/// The granularity of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Hour,
    Day,
    /// Several consecutive local days (a run of heavy days, built by detection from the daily
    /// windows).
    Run,
}

/// One account's activity in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub account: u32,
    pub kind: WindowKind,
    /// Start and end (exclusive) in ms since the epoch, UTC.
    pub start_ms: i64,
    pub end_ms: i64,
    pub events: u64,
    /// Events whose action is an export (`ingest::event::is_export_action`), an event logged
    /// again under a volume-once key counted once.
    pub exports: u64,
    /// Sum of records; `None` when no event of the window gave a record count.
    pub records: Option<i64>,
    /// Sum of bytes; `None` when no event of the window gave a byte count.
    pub bytes: Option<i64>,
    pub distinct_objects: u32,
    /// The organisation-local calendar day (days since 1970-01-01) the window starts in.
    pub local_day: i32,
    /// Local hour of day (0-23) of the window's start; 0 for daily windows.
    pub local_hour: u8,
    /// Local day of week of the window's start, Monday = 0.
    pub local_weekday: u8,
    /// Source IP codes new to the account in this window (sorted).
    pub new_ips: Vec<u32>,
    /// Client codes new to the account in this window (sorted).
    pub new_clients: Vec<u32>,
    /// Object codes new to the account in this window (sorted): read by it only within
    /// [`NOVELTY_BAND_MS`] of the window.
    pub new_objects: Vec<u32>,
}

#[cfg(test)]
impl Window {
    /// For tests: `account`'s daily window on local day `d` (days since 1970-01-01, a UTC day),
    /// 10 events reading `records` records, nothing new.
    pub fn test_day(account: u32, d: i32, records: i64) -> Window {
        Window {
            account,
            kind: WindowKind::Day,
            start_ms: i64::from(d) * 86_400_000,
            end_ms: i64::from(d + 1) * 86_400_000,
            events: 10,
            exports: 0,
            records: Some(records),
            bytes: None,
            distinct_objects: 1,
            local_day: d,
            local_hour: 0,
            local_weekday: 0,
            new_ips: vec![],
            new_clients: vec![],
            new_objects: vec![],
        }
    }
}

/// How to compute features.
#[derive(Debug, Clone)]
pub struct FeatureConfig {
    /// The organisation's time zone: local days and hours of week are taken in it.
    pub tz: chrono_tz::Tz,
    /// Accounts (by name, in any source) whose days and hours are taken in their own zone (a
    /// contact-centre agent in another country): the config file's `[accounts."NAME"]
    /// timezone`.
    pub account_tz: std::collections::BTreeMap<String, chrono_tz::Tz>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            tz: chrono_tz::UTC,
            account_tz: Default::default(),
        }
    }
}

impl FeatureConfig {
    /// The zones in use (the organisation's first) and, by account code, the index of each
    /// account's zone.
    fn zones(&self, events: &Names) -> (Vec<chrono_tz::Tz>, Vec<u32>) {
        let mut zones = vec![self.tz];
        let of_account = events
            .accounts
            .iter()
            .map(|k| match self.account_tz.get(&k.name) {
                None => 0,
                Some(tz) => match zones.iter().position(|z| z == tz) {
                    Some(i) => i as u32,
                    None => {
                        zones.push(*tz);
                        (zones.len() - 1) as u32
                    }
                },
            })
            .collect();
        (zones, of_account)
    }
}

/// All windows of all accounts, each list sorted by (account, start).
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub hourly: Vec<Window>,
    pub daily: Vec<Window>,
    /// Source IPs some account uses routinely ([`Routine`]). An office NAT or a VPN pool's
    /// addresses are; an attacker's host, a hotel's network are not.
    pub routine_ips: Routine,
    /// Clients some account uses routinely ([`Routine`]). The staff's browsers and a bulk tool
    /// the admins share are; an attacker's script is not.
    pub routine_clients: Routine,
    /// The hours in which accounts used a client they use routinely, for the clients that are
    /// also new to some account ([`ToolUses`]).
    pub tool_uses: ToolUses,
    /// Each account's main objects ([`MainObjects`]): accounts that share one are peers.
    pub main_objects: MainObjects,
}

/// Each account's *main objects*: the named objects that make up at least [`MAIN_OBJECT_SHARE`]
/// of the records it read over the whole input (of its events, for an account that read no
/// records), ascending. Accounts that share a main object do the same kind of work (a marketing
/// team's campaigns and leads, a contact centre's cases), so they are peers whose days can rise
/// together ([`crate::detect::cohort`]). An account that read no named object has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MainObjects(BTreeMap<u32, Vec<u32>>);

/// Share of an account's records an object must make up to be one of its main objects.
pub const MAIN_OBJECT_SHARE: f64 = 0.1;

impl MainObjects {
    /// From `(account, object, records, events)` totals, in any order, an (account, object)
    /// pair possibly split over several items. Object code 0 ("not given") is left out.
    pub fn from_totals(totals: impl Iterator<Item = (u32, u32, i64, u64)>) -> MainObjects {
        // Summed in a hash map (millions of items from the streaming path's (hour, object)
        // buckets), then ordered: the pairs are few.
        let mut pairs: crate::ingest::event::FastMap<(u32, u32), (i64, u64)> = Default::default();
        for (a, o, r, e) in totals.filter(|t| t.1 != 0) {
            let s = pairs.entry((a, o)).or_default();
            s.0 += r.max(0);
            s.1 += e;
        }
        let mut sums: BTreeMap<u32, BTreeMap<u32, (i64, u64)>> = BTreeMap::new();
        for ((a, o), t) in pairs {
            sums.entry(a).or_default().insert(o, t);
        }
        let main = sums
            .into_iter()
            .map(|(a, objects)| {
                let records: i64 = objects.values().map(|t| t.0).sum();
                let events: u64 = objects.values().map(|t| t.1).sum();
                let share = |t: &(i64, u64)| {
                    if records > 0 {
                        t.0 as f64 / records as f64
                    } else {
                        t.1 as f64 / events.max(1) as f64
                    }
                };
                let main: Vec<u32> = objects
                    .iter()
                    .filter(|(_, t)| share(t) >= MAIN_OBJECT_SHARE)
                    .map(|(&o, _)| o)
                    .collect();
                (a, main)
            })
            .filter(|(_, m)| !m.is_empty())
            .collect();
        MainObjects(main)
    }

    /// The main objects of `account`, ascending (none if it read no named object).
    pub fn of(&self, account: u32) -> &[u32] {
        self.0.get(&account).map_or(&[], |v| v.as_slice())
    }
}

/// Where the regular users of a client used it: `(client, account, hour)`, sorted, for every
/// client that is new to some account in some hour, over the accounts that use it routinely
/// ([`Routine`]). An account's first use of a tool the organisation shares (the admins' bulk
/// export tool) is judged against these hours ([`crate::detect`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolUses(Vec<(u32, u32, i64)>);

impl ToolUses {
    /// From every `(account, hour, client)` use (any order, repeats allowed) and the
    /// `(account, client)` pairs in which the client is new to the account: keeps the uses of
    /// clients new to some account by accounts to which they are not new.
    pub fn from_uses<S: std::hash::BuildHasher>(
        uses: impl Iterator<Item = (u32, i64, u32)>,
        novel_pairs: &HashSet<(u32, u32), S>,
    ) -> ToolUses {
        let novel_values: BTreeSet<u32> = novel_pairs.iter().map(|p| p.1).collect();
        let mut v: Vec<(u32, u32, i64)> = uses
            .filter(|&(a, _, c)| novel_values.contains(&c) && !novel_pairs.contains(&(a, c)))
            .map(|(a, h, c)| (c, a, h))
            .collect();
        v.sort_unstable();
        v.dedup();
        ToolUses(v)
    }

    /// The `(account, hour)` uses of `client` by its regular users, sorted.
    pub fn of(&self, client: u32) -> impl Iterator<Item = (u32, i64)> + '_ {
        let i = self.0.partition_point(|u| u.0 < client);
        self.0[i..]
            .iter()
            .take_while(move |u| u.0 == client)
            .map(|u| (u.1, u.2))
    }

    /// The clients with uses, ascending.
    pub fn clients(&self) -> Vec<u32> {
        let mut c: Vec<u32> = self.0.iter().map(|u| u.0).collect();
        c.dedup();
        c
    }
}

/// Values (IP or client codes) that some account uses *routinely*, with how many accounts do.
/// An account uses a value routinely when in at least one of its hours the value was not new to
/// it: its uses are not all within [`NOVELTY_BAND_MS`] of one hour. A value new to an account
/// in a window is never routine for that account, so for an alert's new values these are
/// counts of *other* accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routine(Vec<(u32, u32)>);

impl Routine {
    /// From one code per (account, value) pair used routinely, in any order.
    pub fn from_uses(mut codes: Vec<u32>) -> Routine {
        codes.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::new();
        for c in codes {
            match out.last_mut() {
                Some((v, n)) if *v == c => *n += 1,
                _ => out.push((c, 1)),
            }
        }
        Routine(out)
    }

    /// How many accounts use `code` routinely.
    pub fn accounts(&self, code: u32) -> u32 {
        self.0
            .binary_search_by_key(&code, |&(v, _)| v)
            .map_or(0, |i| self.0[i].1)
    }

    /// Whether some account uses `code` routinely.
    pub fn contains(&self, code: u32) -> bool {
        self.accounts(code) > 0
    }

    /// The codes some account uses routinely, ascending.
    pub fn codes(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().map(|&(v, _)| v)
    }
}

/// An incident's account and time span, for gathering its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub account: u32,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// What the events of one account in one span show: totals, objects (records, events), files,
/// source IPs. An event belongs to a span when its UTC hour starts inside it (spans are made of
/// whole windows, so for zones with whole-hour offsets this is the same as its time lying
/// inside; for sub-hour zones it keeps a day's evidence equal to the day's sums).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub events: u64,
    pub records: Option<i64>,
    pub bytes: Option<i64>,
    /// Object code (0 = not given) -> (records, events).
    pub objects: BTreeMap<u32, (i64, u64)>,
    pub files: BTreeSet<u32>,
    /// Source IP codes (0 left out).
    pub ips: BTreeSet<u32>,
}

/// What alerts and the policy read beyond the windows: names, and the evidence of spans. The
/// event table answers from its rows; a streaming read ([`stream::Streamed`]) from its buckets.
pub trait Activity {
    fn names(&self) -> &Names;
    /// The evidence of each span, in order.
    fn evidence(&self, spans: &[Span]) -> Vec<Evidence>;
}

impl Activity for EventTable {
    fn names(&self) -> &Names {
        &self.names
    }

    /// One pass over the rows.
    fn evidence(&self, spans: &[Span]) -> Vec<Evidence> {
        let mut by_account: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, s) in spans.iter().enumerate() {
            by_account.entry(s.account).or_default().push(i);
        }
        let mut ev: Vec<Evidence> = spans.iter().map(|_| Evidence::default()).collect();
        for row in 0..self.len() {
            let Some(list) = by_account.get(&self.account[row]) else {
                continue;
            };
            let hour_start = self.time[row].div_euclid(HOUR_MS) * HOUR_MS;
            for &i in list {
                if hour_start < spans[i].start_ms || hour_start >= spans[i].end_ms {
                    continue;
                }
                let e = &mut ev[i];
                e.events += 1;
                if let Some(r) = self.records[row] {
                    *e.records.get_or_insert(0) += r;
                }
                if let Some(b) = self.bytes[row] {
                    *e.bytes.get_or_insert(0) += b;
                }
                let o = e.objects.entry(self.object[row]).or_default();
                o.0 += self.records[row].unwrap_or(0);
                o.1 += 1;
                e.files.insert(self.file[row]);
                if self.src_ip[row] != 0 {
                    e.ips.insert(self.src_ip[row]);
                }
            }
        }
        ev
    }
}

/// Local calendar facts of one UTC hour.
#[derive(Debug, Clone, Copy)]
struct LocalHour {
    day: i32,
    hour: u8,
    weekday: u8,
}

fn local_hour(tz: &chrono_tz::Tz, hour_index: i64) -> LocalHour {
    let utc = chrono::DateTime::from_timestamp(hour_index * 3600, 0).unwrap_or_default();
    let local = tz.from_utc_datetime(&utc.naive_utc());
    let day = local
        .date_naive()
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    LocalHour {
        day: day as i32,
        hour: local.hour() as u8,
        weekday: local.weekday().num_days_from_monday() as u8,
    }
}

/// UTC start of a local calendar day (the first instant of that date in `tz`).
pub fn local_day_start_ms(tz: &chrono_tz::Tz, day: i32) -> i64 {
    let date = chrono::NaiveDate::default() + chrono::Days::new(day.max(0) as u64);
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.timestamp_millis()
        }
        // Midnight skipped by a clock change: the day starts at the first valid instant.
        chrono::LocalResult::None => tz
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map_or(i64::from(day) * DAY_MS, |t| t.timestamp_millis()),
    }
}

/// Computes hourly and daily windows for every account.
pub fn compute(events: &EventTable, cfg: &FeatureConfig) -> PolarsResult<Features> {
    if events.is_empty() {
        return Ok(Features::default());
    }
    let mut df = events.to_dataframe()?;
    // The UTC hour index of each event (floor division; times are never before 1970), and the
    // time zone its account's days and hours are taken in.
    let hour: Vec<i64> = events.time.iter().map(|t| t.div_euclid(HOUR_MS)).collect();
    let (zones, zone_of) = cfg.zones(events);
    let zone: Vec<u32> = events
        .account
        .iter()
        .map(|&a| zone_of.get(a as usize).copied().unwrap_or(0))
        .collect();
    df.with_column(Column::new("hour".into(), hour))?;
    df.with_column(Column::new("zone".into(), zone))?;
    let lf = df.lazy();

    // Local calendar of every (zone, UTC hour) that occurs: a small table joined onto the
    // events.
    let hours: Vec<(u32, i64)> = {
        let uniq = lf
            .clone()
            .select([col("zone"), col("hour")])
            .unique(None, UniqueKeepStrategy::First)
            .collect()?;
        let z = uniq.column("zone")?.u32()?;
        let h = uniq.column("hour")?.i64()?;
        let mut v: Vec<(u32, i64)> = z.into_no_null_iter().zip(h.into_no_null_iter()).collect();
        v.sort_unstable();
        v
    };
    let cal: Vec<LocalHour> = hours
        .iter()
        .map(|&(z, h)| local_hour(&zones[z as usize], h))
        .collect();
    let calendar = DataFrame::new(
        hours.len(),
        vec![
            Column::new(
                "zone".into(),
                hours.iter().map(|x| x.0).collect::<Vec<u32>>(),
            ),
            Column::new(
                "hour".into(),
                hours.iter().map(|x| x.1).collect::<Vec<i64>>(),
            ),
            Column::new(
                "local_day".into(),
                cal.iter().map(|l| l.day).collect::<Vec<i32>>(),
            ),
        ],
    )?;
    let lf = lf.join(
        calendar.lazy(),
        [col("zone"), col("hour")],
        [col("zone"), col("hour")],
        JoinArgs::new(JoinType::Left),
    );

    let zone_tz =
        |account: u32| &zones[zone_of.get(account as usize).copied().unwrap_or(0) as usize];
    let hour_of = |account: u32, h: i64| {
        let z = zone_of.get(account as usize).copied().unwrap_or(0);
        &cal[hours.binary_search(&(z, h)).unwrap_or(0)]
    };
    let (new_ips, routine_ips, _) = novelty(&lf, c::SRC_IP, true, false)?;
    let (new_clients, routine_clients, tool_uses) = novelty(&lf, c::CLIENT, true, true)?;
    let (new_objects, _, _) = novelty(&lf, c::OBJECT, false, false)?;
    let main_objects = main_objects(&lf)?;

    let mut hourly = Vec::new();
    for (account, h, agg) in aggregate(&lf, "hour")? {
        let l = hour_of(account, h);
        let key = (account, h);
        hourly.push(Window {
            account,
            kind: WindowKind::Hour,
            start_ms: h * HOUR_MS,
            end_ms: (h + 1) * HOUR_MS,
            events: agg.events,
            exports: agg.exports,
            records: agg.records,
            bytes: agg.bytes,
            distinct_objects: agg.objects,
            local_day: l.day,
            local_hour: l.hour,
            local_weekday: l.weekday,
            new_ips: new_ips.get(&key).cloned().unwrap_or_default(),
            new_clients: new_clients.get(&key).cloned().unwrap_or_default(),
            new_objects: new_objects.get(&key).cloned().unwrap_or_default(),
        });
    }
    hourly.sort_by_key(|w| (w.account, w.start_ms));

    // A day's new IPs/clients/objects are the union of its hours'.
    type DayNew = (Vec<u32>, Vec<u32>, Vec<u32>);
    let mut day_new: HashMap<(u32, i32), DayNew> = HashMap::new();
    for w in &hourly {
        let e = day_new.entry((w.account, w.local_day)).or_default();
        e.0.extend(&w.new_ips);
        e.1.extend(&w.new_clients);
        e.2.extend(&w.new_objects);
    }
    let mut daily = Vec::new();
    for (account, d, agg) in aggregate(&lf, "local_day")? {
        let d = d as i32;
        let tz = zone_tz(account);
        let start_ms = local_day_start_ms(tz, d);
        let (mut ips, mut clients, mut objects) = day_new.remove(&(account, d)).unwrap_or_default();
        for v in [&mut ips, &mut clients, &mut objects] {
            v.sort_unstable();
            v.dedup();
        }
        daily.push(Window {
            account,
            kind: WindowKind::Day,
            start_ms,
            end_ms: local_day_start_ms(tz, d + 1),
            events: agg.events,
            exports: agg.exports,
            records: agg.records,
            bytes: agg.bytes,
            distinct_objects: agg.objects,
            local_day: d,
            local_hour: 0,
            local_weekday: local_hour(tz, start_ms.div_euclid(HOUR_MS)).weekday,
            new_ips: ips,
            new_clients: clients,
            new_objects: objects,
        });
    }
    daily.sort_by_key(|w| (w.account, w.start_ms));
    Ok(Features {
        hourly,
        daily,
        routine_ips,
        routine_clients,
        tool_uses,
        main_objects,
    })
}

/// Each account's main objects ([`MainObjects`]) from its `(account, object)` totals.
fn main_objects(lf: &LazyFrame) -> PolarsResult<MainObjects> {
    let df = lf
        .clone()
        .group_by([col(c::ACCOUNT), col(c::OBJECT)])
        .agg([
            col(c::RECORDS).sum().alias("records"),
            len().alias("events"),
        ])
        .collect()?;
    let account = df.column(c::ACCOUNT)?.u32()?;
    let object = df.column(c::OBJECT)?.u32()?;
    let records = df.column("records")?.i64()?;
    let events = df.column("events")?.cast(&DataType::UInt64)?;
    let events = events.u64()?;
    Ok(MainObjects::from_totals((0..df.height()).map(|i| {
        (
            account.get(i).unwrap_or(0),
            object.get(i).unwrap_or(0),
            records.get(i).unwrap_or(0),
            events.get(i).unwrap_or(0),
        )
    })))
}

struct Agg {
    events: u64,
    exports: u64,
    records: Option<i64>,
    bytes: Option<i64>,
    objects: u32,
}

/// Per (account, window) sums. `window` is the name of an integer window-index column.
fn aggregate(lf: &LazyFrame, window: &str) -> PolarsResult<Vec<(u32, i64, Agg)>> {
    let df = lf
        .clone()
        .group_by([
            col(c::ACCOUNT),
            col(window).cast(DataType::Int64).alias("w"),
        ])
        .agg([
            len().alias("events"),
            col(c::EXPORT).cast(DataType::UInt64).sum().alias("exports"),
            col(c::RECORDS).sum().alias("records"),
            col(c::RECORDS).count().alias("records_given"),
            col(c::BYTES).sum().alias("bytes"),
            col(c::BYTES).count().alias("bytes_given"),
            col(c::OBJECT)
                .filter(col(c::OBJECT).neq(lit(0u32)))
                .n_unique()
                .alias("objects"),
        ])
        .collect()?;
    let account = df.column(c::ACCOUNT)?.u32()?;
    let w = df.column("w")?.i64()?;
    let events = df.column("events")?.cast(&DataType::UInt64)?;
    let events = events.u64()?;
    let exports = df.column("exports")?.cast(&DataType::UInt64)?;
    let exports = exports.u64()?;
    let records = df.column("records")?.i64()?;
    let records_given = df.column("records_given")?.cast(&DataType::UInt64)?;
    let records_given = records_given.u64()?;
    let bytes = df.column("bytes")?.i64()?;
    let bytes_given = df.column("bytes_given")?.cast(&DataType::UInt64)?;
    let bytes_given = bytes_given.u64()?;
    let objects = df.column("objects")?.cast(&DataType::UInt32)?;
    let objects = objects.u32()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let given = |g: &UInt64Chunked, v: &Int64Chunked| match g.get(i) {
            Some(n) if n > 0 => v.get(i),
            _ => None,
        };
        out.push((
            account.get(i).unwrap_or(0),
            w.get(i).unwrap_or(0),
            Agg {
                events: events.get(i).unwrap_or(0),
                exports: exports.get(i).unwrap_or(0),
                records: given(records_given, records),
                bytes: given(bytes_given, bytes),
                objects: objects.get(i).unwrap_or(0),
            },
        ));
    }
    Ok(out)
}

/// (account, hour) -> the values new to the account in that hour, sorted.
type NewByHour = HashMap<(u32, i64), Vec<u32>>;

/// For an interned column (`src_ip`, `client` or `object`), the values new to each account in
/// each hour (values the account used only within [`NOVELTY_BAND_MS`] of that hour), the
/// values some account uses *routinely*: new to it in none of the hours it used them
/// ([`Routine`]; only when `routine`, else empty), and, when `tools`, their regular users' uses
/// ([`ToolUses`]; else empty).
fn novelty(
    lf: &LazyFrame,
    column: &str,
    routine: bool,
    tools: bool,
) -> PolarsResult<(NewByHour, Routine, ToolUses)> {
    let used = lf.clone().filter(col(column).neq(lit(0u32)));
    let span = used.clone().group_by([col(c::ACCOUNT), col(column)]).agg([
        col(c::TIME).min().alias("first"),
        col(c::TIME).max().alias("last"),
    ]);
    // Materialised only when the routine values are wanted (they read the spans again); else
    // planned with the join. The (account, hour, value) uses likewise, for the tools.
    let span_df = if routine {
        Some(span.clone().collect()?)
    } else {
        None
    };
    let hourly_uses = used
        .group_by([col(c::ACCOUNT), col("hour"), col(column)])
        .agg([len().alias("n")]);
    let uses_df = if tools {
        Some(hourly_uses.clone().collect()?)
    } else {
        None
    };
    let df = uses_df
        .clone()
        .map_or(hourly_uses, |df| df.lazy())
        .join(
            span_df.clone().map_or(span, |df| df.lazy()),
            [col(c::ACCOUNT), col(column)],
            [col(c::ACCOUNT), col(column)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col("first")
                .gt_eq(col("hour") * lit(HOUR_MS) - lit(NOVELTY_BAND_MS))
                .and(col("last").lt(col("hour") * lit(HOUR_MS) + lit(HOUR_MS + NOVELTY_BAND_MS))),
        )
        .select([col(c::ACCOUNT), col("hour"), col(column)])
        .collect()?;
    let account = df.column(c::ACCOUNT)?.u32()?;
    let hour = df.column("hour")?.i64()?;
    let value = df.column(column)?.u32()?;
    let mut out: HashMap<(u32, i64), Vec<u32>> = HashMap::new();
    let mut novel_pairs: HashSet<(u32, u32)> = HashSet::new();
    for i in 0..df.height() {
        if let (Some(a), Some(h), Some(v)) = (account.get(i), hour.get(i), value.get(i)) {
            out.entry((a, h)).or_default().push(v);
            if routine || tools {
                novel_pairs.insert((a, v));
            }
        }
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    let tool_uses = match uses_df {
        Some(u) => {
            let account = u.column(c::ACCOUNT)?.u32()?;
            let hour = u.column("hour")?.i64()?;
            let value = u.column(column)?.u32()?;
            ToolUses::from_uses(
                (0..u.height())
                    .filter_map(|i| Some((account.get(i)?, hour.get(i)?, value.get(i)?))),
                &novel_pairs,
            )
        }
        None => ToolUses::default(),
    };
    let Some(span) = span_df else {
        return Ok((out, Routine::default(), tool_uses));
    };
    let account = span.column(c::ACCOUNT)?.u32()?;
    let value = span.column(column)?.u32()?;
    let routine = (0..span.height())
        .filter_map(|i| Some((account.get(i)?, value.get(i)?)))
        .filter(|pair| !novel_pairs.contains(pair))
        .map(|(_, v)| v)
        .collect();
    Ok((out, Routine::from_uses(routine), tool_uses))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_objects_are_those_with_a_tenth_of_an_accounts_records() {
        let m = MainObjects::from_totals(
            [
                // Account 1: object 5 has 80 of 100 named records, object 6 15 (in two
                // parts), object 7 5; the 1,000 records of no named object do not count.
                (1, 5, 80, 8),
                (1, 6, 10, 1),
                (1, 7, 5, 50),
                (1, 6, 5, 1),
                (1, 0, 1000, 9),
                // Account 2 read no records: its events decide, 9 of 10 on object 3 and 1 on
                // object 4 (a tenth exactly).
                (2, 4, 0, 1),
                (2, 3, 0, 9),
                // Account 3 read no named object.
                (3, 0, 500, 5),
            ]
            .into_iter(),
        );
        assert_eq!(m.of(1), &[5, 6]);
        assert_eq!(m.of(2), &[3, 4]);
        assert!(m.of(3).is_empty());
        assert!(m.of(4).is_empty());
    }
    use crate::ingest::event::RawEvent;
    use crate::ingest::time::parse_timestamp;

    fn table(rows: &[(&str, &str, Option<i64>, &str)]) -> EventTable {
        let mut t = EventTable::default();
        let f = t.add_file("t");
        let s = t.source_code("generic");
        for &(ts, account, records, ip) in rows {
            let e = RawEvent {
                time_ms: parse_timestamp(ts).unwrap(),
                account,
                object: "Contact",
                records,
                bytes: records.map(|r| r * 10),
                src_ip: ip,
                ..Default::default()
            };
            t.push(s, f, &e);
        }
        t
    }

    #[test]
    fn exports_are_counted_the_same_streamed_and_in_memory_once_per_key() {
        use crate::ingest::event::EventSink;
        // Hour 9: two report exports, a query, a download; hour 10: a bulk job logged three
        // times under one key (counted once, in the hour of its largest report, 10:40) and
        // an S3 GetObject. By hand: hour 9 has 3 exports, hour 10 has 2, the day 5.
        let rows: [(&str, &str, Option<i64>, Option<&str>); 7] = [
            ("2025-01-06T09:10:00Z", "report_export", Some(5), None),
            ("2025-01-06T09:20:00Z", "ReportExport", None, None),
            ("2025-01-06T09:30:00Z", "API:query", Some(9), None),
            ("2025-01-06T09:40:00Z", "FileDownloaded", None, None),
            (
                "2025-01-06T10:10:00Z",
                "BulkApi2:query",
                Some(10),
                Some("job"),
            ),
            (
                "2025-01-06T10:40:00Z",
                "BulkApi2:query",
                Some(30),
                Some("job"),
            ),
            ("2025-01-06T10:50:00Z", "GetObject", Some(1), None),
        ];
        let mut table = EventTable::default();
        let mut sink = stream::WindowSink::default();
        for sink in [&mut table as &mut dyn EventSink, &mut sink] {
            let f = sink.names().add_file("t");
            let s = sink.names().source_code("generic");
            for &(ts, action, records, key) in &rows {
                let e = RawEvent {
                    time_ms: parse_timestamp(ts).unwrap(),
                    account: "a",
                    action,
                    records,
                    ..Default::default()
                };
                match key {
                    Some(k) => sink.push_once(s, f, k, &e),
                    None => sink.push(s, f, &e),
                }
            }
            // A late, smaller report of the job: not counted again.
            let e = RawEvent {
                time_ms: parse_timestamp("2025-01-06T10:55:00Z").unwrap(),
                account: "a",
                action: "BulkApi2:query",
                records: Some(20),
                ..Default::default()
            };
            sink.push_once(s, f, "job", &e);
        }
        let cfg = FeatureConfig::default();
        let memory = compute(&table, &cfg).unwrap();
        let streamed = sink.finish(&cfg).features;
        for f in [&memory, &streamed] {
            let hours: Vec<(u64, u64)> = f.hourly.iter().map(|w| (w.events, w.exports)).collect();
            assert_eq!(hours, [(4, 3), (4, 2)]);
            assert_eq!(f.daily.len(), 1);
            assert_eq!((f.daily[0].events, f.daily[0].exports), (8, 5));
        }
        assert_eq!(memory.hourly, streamed.hourly);
    }

    #[test]
    fn empty_input_gives_no_windows() {
        let f = compute(&EventTable::default(), &FeatureConfig::default()).unwrap();
        assert!(f.hourly.is_empty() && f.daily.is_empty());
    }

    #[test]
    fn hourly_and_daily_sums() {
        let t = table(&[
            ("2025-01-06T09:10:00Z", "a", Some(5), "10.0.0.1"),
            ("2025-01-06T09:50:00Z", "a", None, "10.0.0.1"),
            ("2025-01-06T10:05:00Z", "a", Some(7), "10.0.0.1"),
            ("2025-01-06T09:20:00Z", "b", None, ""),
        ]);
        let f = compute(&t, &FeatureConfig::default()).unwrap();
        let a = t.account[0];
        let b = t.account[3];
        let ha: Vec<_> = f.hourly.iter().filter(|w| w.account == a).collect();
        assert_eq!(ha.len(), 2);
        assert_eq!(
            (ha[0].events, ha[0].records, ha[0].bytes),
            (2, Some(5), Some(50))
        );
        assert_eq!(
            ha[0].start_ms,
            parse_timestamp("2025-01-06T09:00:00Z").unwrap()
        );
        assert_eq!(ha[0].local_hour, 9);
        assert_eq!(ha[0].local_weekday, 0, "2025-01-06 is a Monday");
        assert_eq!(ha[0].distinct_objects, 1);
        let hb: Vec<_> = f.hourly.iter().filter(|w| w.account == b).collect();
        assert_eq!(
            (hb[0].events, hb[0].records),
            (1, None),
            "no record count given"
        );
        let da: Vec<_> = f.daily.iter().filter(|w| w.account == a).collect();
        assert_eq!(da.len(), 1);
        assert_eq!((da[0].events, da[0].records), (3, Some(12)));
        assert_eq!(da[0].end_ms - da[0].start_ms, DAY_MS);
    }

    #[test]
    fn local_days_follow_the_time_zone() {
        // 23:30 UTC on 6 January is 08:30 on 7 January in Tokyo (UTC+9).
        let t = table(&[("2025-01-06T23:30:00Z", "a", Some(1), "")]);
        let tz: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
        let f = compute(
            &t,
            &FeatureConfig {
                tz,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.hourly[0].local_hour, 8);
        assert_eq!(f.hourly[0].local_weekday, 1);
        assert_eq!(
            f.daily[0].start_ms,
            parse_timestamp("2025-01-06T15:00:00Z").unwrap()
        );
    }

    #[test]
    fn an_account_with_its_own_zone_gets_its_own_days_and_hours() {
        // 23:30 UTC on 6 January: 23:30 on the 6th for the London office (UTC+0 in winter),
        // 07:30 on the 7th for the agent in Manila (UTC+8).
        let t = table(&[
            ("2025-01-06T23:30:00Z", "office", Some(1), ""),
            ("2025-01-06T23:30:00Z", "agent", Some(1), ""),
        ]);
        let cfg = FeatureConfig {
            tz: "Europe/London".parse().unwrap(),
            account_tz: [("agent".to_owned(), "Asia/Manila".parse().unwrap())].into(),
        };
        let f = compute(&t, &cfg).unwrap();
        let code = |n: &str| (1..t.accounts.len() as u32).find(|&c| t.account_name(c) == n);
        let (office, agent) = (code("office").unwrap(), code("agent").unwrap());
        let hour = |a| f.hourly.iter().find(|w| w.account == a).unwrap();
        let day = |a| f.daily.iter().find(|w| w.account == a).unwrap();
        assert_eq!(
            (hour(office).local_hour, hour(office).local_weekday),
            (23, 0)
        );
        assert_eq!((hour(agent).local_hour, hour(agent).local_weekday), (7, 1));
        assert_eq!(
            day(office).start_ms,
            parse_timestamp("2025-01-06T00:00:00Z").unwrap()
        );
        assert_eq!(
            day(agent).start_ms,
            parse_timestamp("2025-01-06T16:00:00Z").unwrap(),
            "Manila's 7 January starts at 16:00 UTC on the 6th"
        );
        assert_eq!(day(agent).local_day, day(office).local_day + 1);
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours() {
        let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
        let day = |s: &str| (parse_timestamp(s).unwrap() / DAY_MS) as i32;
        let spring = day("2025-03-30T12:00:00Z");
        let autumn = day("2025-10-26T12:00:00Z");
        let len = |d: i32| local_day_start_ms(&tz, d + 1) - local_day_start_ms(&tz, d);
        assert_eq!(len(spring), 23 * HOUR_MS);
        assert_eq!(len(autumn), 25 * HOUR_MS);
    }

    #[test]
    fn ips_are_new_only_near_their_only_use() {
        // IP .9 is used once, on day 5; IP .1 every day. Only day 5's hour has a new IP.
        let mut rows = Vec::new();
        let stamps: Vec<String> = (6..=12)
            .map(|d| format!("2025-01-{d:02}T10:00:00Z"))
            .collect();
        for s in &stamps {
            rows.push((s.as_str(), "a", Some(1), "10.0.0.1"));
        }
        rows.push(("2025-01-10T03:00:00Z", "a", Some(1), "10.0.0.9"));
        let t = table(&rows);
        let f = compute(&t, &FeatureConfig::default()).unwrap();
        let with_new: Vec<_> = f.hourly.iter().filter(|w| !w.new_ips.is_empty()).collect();
        assert_eq!(with_new.len(), 1);
        assert_eq!(
            with_new[0].start_ms,
            parse_timestamp("2025-01-10T03:00:00Z").unwrap()
        );
        assert_eq!(t.ips.get(with_new[0].new_ips[0]), "10.0.0.9");
        let day = f
            .daily
            .iter()
            .find(|w| w.start_ms == parse_timestamp("2025-01-10T00:00:00Z").unwrap());
        assert_eq!(day.unwrap().new_ips.len(), 1);
    }

    #[test]
    fn both_paths_find_the_same_main_objects() {
        use crate::ingest::event::EventSink;
        // a: Lead 700 records, Campaign 250, Case 50 (5%): Campaign and Lead. b: Case 900,
        // Contact 100 (a tenth): Case and Contact. c: views of no named object only: none.
        let rows = [
            ("2025-01-06T10:00:00Z", "a", "Lead", 400),
            ("2025-01-07T10:00:00Z", "a", "Lead", 300),
            ("2025-01-06T11:00:00Z", "a", "Campaign", 250),
            ("2025-01-06T12:00:00Z", "a", "Case", 50),
            ("2025-01-06T10:00:00Z", "b", "Case", 900),
            ("2025-01-06T10:30:00Z", "b", "Contact", 100),
            ("2025-01-06T10:00:00Z", "c", "", 10),
        ];
        let mut table = EventTable::default();
        let mut sink = stream::WindowSink::default();
        for sink in [&mut table as &mut dyn EventSink, &mut sink] {
            let f = sink.names().add_file("t");
            let s = sink.names().source_code("generic");
            for &(ts, account, object, records) in &rows {
                let e = RawEvent {
                    time_ms: parse_timestamp(ts).unwrap(),
                    account,
                    object,
                    records: Some(records),
                    ..Default::default()
                };
                sink.push(s, f, &e);
            }
        }
        let cfg = FeatureConfig::default();
        let memory = compute(&table, &cfg).unwrap();
        let streamed = sink.finish(&cfg);
        for (f, names) in [
            (&memory, &table.names),
            (&streamed.features, streamed.names()),
        ] {
            let of = |account: &str| -> Vec<&str> {
                let code = (0..names.accounts.len() as u32)
                    .find(|&c| names.accounts[c as usize].name == account)
                    .unwrap_or(u32::MAX);
                f.main_objects
                    .of(code)
                    .iter()
                    .map(|&o| names.objects.get(o))
                    .collect()
            };
            let mut a = of("a");
            a.sort_unstable();
            let mut b = of("b");
            b.sort_unstable();
            assert_eq!(a, ["Campaign", "Lead"]);
            assert_eq!(b, ["Case", "Contact"]);
            assert!(of("c").is_empty());
        }
    }

    #[test]
    fn routine_ips_are_those_some_account_uses_beyond_one_hours_band() {
        use crate::ingest::event::EventSink;
        // a: .1 on Jan 6 and Jan 10 (four days apart: routine). b: .1 once (new to b; routine
        // all the same, for a) and .2 once. c: .3 at 09:10 and 20:10 the same day (both within
        // a day of the 09:00 hour: new there, so never routine). d: .4 at 00:00 on Jan 6 and
        // 00:30 on Jan 8: the 00:00 hour of Jan 6 ends its band at 01:00 on Jan 7 and the Jan
        // 8 hour's band starts at 00:00 on Jan 7, so neither holds both uses: routine. e: .1 on
        // Jan 6 and Jan 9 (three days apart): .1 is routine for two accounts, a and e. Each
        // row's client is named after its IP, so clients follow the same rule.
        let rows = [
            ("2025-01-06T10:00:00Z", "a", "10.0.0.1"),
            ("2025-01-10T10:00:00Z", "a", "10.0.0.1"),
            ("2025-01-08T10:00:00Z", "b", "10.0.0.1"),
            ("2025-01-08T11:00:00Z", "b", "10.0.0.2"),
            ("2025-01-06T09:10:00Z", "c", "10.0.0.3"),
            ("2025-01-06T20:10:00Z", "c", "10.0.0.3"),
            ("2025-01-06T00:00:00Z", "d", "10.0.0.4"),
            ("2025-01-08T00:30:00Z", "d", "10.0.0.4"),
            ("2025-01-06T12:00:00Z", "e", "10.0.0.1"),
            ("2025-01-09T12:00:00Z", "e", "10.0.0.1"),
        ];
        let mut table = EventTable::default();
        let mut sink = stream::WindowSink::default();
        for sink in [&mut table as &mut dyn EventSink, &mut sink] {
            let f = sink.names().add_file("t");
            let s = sink.names().source_code("generic");
            for &(ts, account, ip) in &rows {
                let client = format!("tool-{ip}");
                let e = RawEvent {
                    time_ms: parse_timestamp(ts).unwrap(),
                    account,
                    records: Some(1),
                    src_ip: ip,
                    client: &client,
                    ..Default::default()
                };
                sink.push(s, f, &e);
            }
        }
        let cfg = FeatureConfig::default();
        let memory = compute(&table, &cfg).unwrap();
        let streamed = sink.finish(&cfg);
        let ips = |f: &Features, names: &Names| -> Vec<(String, u32)> {
            let r = &f.routine_ips;
            r.codes()
                .map(|c| (names.ips.get(c).to_string(), r.accounts(c)))
                .collect()
        };
        let clients = |f: &Features, names: &Names| -> Vec<(String, u32)> {
            let r = &f.routine_clients;
            r.codes()
                .map(|c| (names.clients.get(c).replace("tool-", ""), r.accounts(c)))
                .collect()
        };
        // .1 is routine for a and e (new to b); .4 for d; .2 and .3 for no one.
        let want = [("10.0.0.1".to_string(), 2), ("10.0.0.4".to_string(), 1)];
        for (f, names) in [(&memory, &*table), (&streamed.features, streamed.names())] {
            assert_eq!(ips(f, names), want);
            assert_eq!(clients(f, names), want);
            let code = |v: &str| (0..names.ips.len() as u32).find(|&c| names.ips.get(c) == v);
            assert_eq!(f.routine_ips.accounts(code("10.0.0.3").unwrap()), 0);
            // Tool uses: clients new to some account (.1 and .2 to b, .3 to c), used by
            // accounts to which they are not new: .1 by a and e, twice each; .2 and .3 by no
            // such account; .4 is new to no one.
            let mut uses: Vec<(String, String, i64)> = Vec::new();
            for c in f.tool_uses.clients() {
                for (a, h) in f.tool_uses.of(c) {
                    uses.push((
                        names.clients.get(c).replace("tool-", ""),
                        names.account_name(a).to_string(),
                        h * HOUR_MS,
                    ));
                }
            }
            let at = |ts: &str| parse_timestamp(ts).unwrap();
            let one = "10.0.0.1".to_string();
            let want_uses = vec![
                (one.clone(), "a".to_string(), at("2025-01-06T10:00:00Z")),
                (one.clone(), "a".to_string(), at("2025-01-10T10:00:00Z")),
                (one.clone(), "e".to_string(), at("2025-01-06T12:00:00Z")),
                (one, "e".to_string(), at("2025-01-09T12:00:00Z")),
            ];
            uses.sort();
            assert_eq!(uses, want_uses);
        }
        // b's hour with .1 brings it (new to b) although .1 is routine for a.
        let b_hour = memory
            .hourly
            .iter()
            .find(|w| w.start_ms == parse_timestamp("2025-01-08T10:00:00Z").unwrap())
            .unwrap();
        assert_eq!(b_hour.new_ips.len(), 1);
    }
}
