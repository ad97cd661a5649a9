//! Detection: windows -> scored findings with evidence. Pure functions of the features.
//!
//! Each account-window (hourly and daily) whose volume reaches the bulk floor is scored against
//! that account's own history, **leaving out the window and the day either side of it**, so an
//! incident is never part of its own baseline and a theft on the first day of the data is found
//! like one on the last. The score is a sum of surprises in base-10 logarithms (a score of 7
//! means "about one chance in ten million"), from independent factors:
//!
//! - **volume** (the gate): `-log10 p`, where `p` is the tail probability of the window's records
//!   (or bytes) under the account's heavy-tailed volume model ([`tail`]); with both records and
//!   bytes, the smaller `p` times two (Bonferroni). Accounts with fewer than
//!   [`MIN_HISTORY_HOURS`] hourly (or [`MIN_HISTORY_DAYS`] daily) windows of history are compared
//!   with the population of their source instead, and the alert says so. A window must reach
//!   [`VOLUME_GATE`] on volume alone to be reported at all: odd hours or a new address never
//!   raise an alert on ordinary volume.
//! - **off-hours**: `-log10` of the rate at which the account is active around this local hour
//!   on this weekday ([`crate::features::baseline::ActivityProfile::rate`]), capped at
//!   [`OFF_HOURS_CAP`]; or, when some of the account's other bulk hours also fell at hours it
//!   rarely works, of the share of its bulk hours that did, if larger ([`OffHoursPrecedent`]).
//! - **new IP** / **new client**: used by the account only around this window. Weighted by how
//!   rarely the account's days bring a new one (Laplace estimate `(s + 1) / (d + 2)` over its
//!   `d` other active days, `s` of which had one), capped at [`NOVELTY_CAP`] each.
//!
//! - **breadth**: the window read more distinct objects than nearly all of the account's other
//!   windows (a stolen token sweeping many objects): the smoothed empirical share of windows
//!   reading at least as many, without extrapolation.
//! - **dormant**: the window's day follows a gap in the account's activity longer than its gaps
//!   usually are and than other accounts' absences usually are (a departed or dormant account
//!   coming back, not a holiday), capped at [`DORMANT_CAP`].
//!
//! Severities map from the total score ([`Severity::from_score`]).

pub mod close;
pub mod cohort;
pub mod orgday;
pub mod rings;
pub mod runs;
pub mod tail;

use crate::features::baseline::{population_hour_rates, ActivityProfile, HourRate};
use crate::features::{Features, Routine, Window, WindowKind, NOVELTY_BAND_MS};
use crate::ingest::event::Names;
use std::collections::{HashMap, HashSet};
use tail::{log_volume, quantile, TailModel};

/// Volume surprise (`-log10 p`) a window needs before it is reported at all: one chance in a
/// thousand under the account's own model.
pub const VOLUME_GATE: f64 = 3.0;
/// Most the off-hours factor can add (an hour the account is active on 1% of days or fewer).
pub const OFF_HOURS_CAP: f64 = 2.0;
/// Least off-hours factor reported (an hour the account is active on 10% of such days or
/// fewer); a bulk hour at least this far off the account's hours is an off-hours precedent
/// ([`OffHoursPrecedent`]).
pub const OFF_HOURS_MIN: f64 = 1.0;
/// Most a new IP, or a new client, can add each.
pub const NOVELTY_CAP: f64 = 1.5;
/// Fewest other accounts that use an address routinely for it to be one of the organisation's
/// own (an office NAT, a VPN egress): new to an account, such an address is no new-IP evidence
/// ([`is_org_address`]). Three, as for a shared tool ([`TOOL_MIN_ACCOUNTS`]).
pub const ORG_ADDRESS_MIN_ACCOUNTS: u32 = 3;
/// Fewest distinct objects in a window for the breadth factor.
pub const BREADTH_MIN_OBJECTS: u32 = 4;
/// Most the dormancy factor can add (a gap longer than any of 100 earlier ones).
pub const DORMANT_CAP: f64 = 2.0;
/// Gaps in activity of up to this many days (a long weekend) are never dormancy.
pub const DORMANT_MIN_DAYS: i32 = 4;
/// Fewest hourly windows of an account's own history for an account baseline.
pub const MIN_HISTORY_HOURS: usize = 24;
/// Most the new-objects factor can add (a window bringing more new objects than any of
/// 10,000 others).
pub const NEW_OBJECTS_CAP: f64 = 4.0;
/// The alert line when the run has too few scored windows to estimate its null tail.
pub const FIXED_HIGH: f64 = 7.0;
/// The second tier of the volume gate: a window whose content reaches only this (one chance in a
/// hundred) is a finding when the whole window scores [`SOFT_MARGIN`] above the alert line
/// ([`Detection::soft`]).
pub const SOFT_GATE: f64 = VOLUME_GATE - 1.0;
/// How far above the alert line a window with content under [`VOLUME_GATE`] (and at least
/// [`SOFT_GATE`]) must score to be a finding: a hundred times rarer than the line.
pub const SOFT_MARGIN: f64 = 2.0;
/// Share of scored windows, the highest, whose scores estimate the null tail: the first
/// threshold tried ([`AlertLine::estimate`]).
pub const NULL_TAIL_SHARE: f64 = 0.05;
/// Each further threshold tried keeps this share of the previous one's windows.
pub const NULL_TAIL_STEP: f64 = 0.85;
/// Fewest windows in that tail for an estimate.
pub const MIN_NULL_TAIL: usize = 25;
/// Fewest windows above a threshold for its exponential fit to be tested (and so tried).
pub const MIN_TESTED_TAIL: usize = 50;
/// Smallest share of scored windows above a threshold tried: higher up, the windows above it
/// are thefts as much as ordinary windows in a tenant with many incidents.
pub const MIN_NULL_TAIL_SHARE: f64 = 0.01;
/// Level at which the test of an exponential tail above a threshold rejects it.
pub const TAIL_FIT_ALPHA: f64 = 0.01;
/// Fewest daily windows of an account's own history for an account baseline.
pub const MIN_HISTORY_DAYS: usize = 7;
/// Fewest windows, from at least [`MIN_POPULATION_ACCOUNTS`] other accounts, for a population
/// baseline.
pub const MIN_POPULATION_WINDOWS: usize = 50;
pub const MIN_POPULATION_ACCOUNTS: usize = 3;
/// Fewest accounts that use a client routinely for it to be a shared tool ([`Tool`]).
pub const TOOL_MIN_ACCOUNTS: usize = 3;
/// Least share of a tool's hours of use that reach the bulk floor: a bulk-export tool (the
/// admins' data loader), not a browser everyone reads a few records with.
pub const TOOL_BULK_SHARE: f64 = 0.5;

/// How a finding ranks for a person's attention.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Severity of a score given the run's alert line `high` ([`AlertLine::high`]): critical
    /// from `high + 3` (a thousand times rarer than the line), high from the line, medium from
    /// `high - 2`, low from [`VOLUME_GATE`]. With the fixed line ([`FIXED_HIGH`]) these are
    /// low >= 3, medium >= 5, high >= 7, critical >= 10.
    pub fn from_score(score: f64, high: f64) -> Option<Severity> {
        match score {
            s if s >= high + 3.0 => Some(Severity::Critical),
            s if s >= high => Some(Severity::High),
            s if s >= high - 2.0 && s >= VOLUME_GATE => Some(Severity::Medium),
            s if s >= VOLUME_GATE => Some(Severity::Low),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

/// How to detect.
#[derive(Debug, Clone)]
pub struct DetectConfig {
    /// A window is scored on records only from this many records up (smaller is not bulk).
    pub min_records: i64,
    /// A window is scored on bytes only from this many bytes up.
    pub min_bytes: i64,
    /// The alert budget: false alerts at or above `high` the run may expect, per 10,000 active
    /// account-days ([`AlertLine`]).
    pub budget_per_10k: f64,
}

impl DetectConfig {
    /// The bulk floor of a measure.
    pub fn floor(&self, m: Measure) -> i64 {
        match m {
            Measure::Records => self.min_records,
            Measure::Bytes => self.min_bytes,
            // A run of exports is held to the floors of what it read (see `detect`).
            Measure::Exports => 0,
        }
    }
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            min_records: crate::config::DEFAULT_MIN_RECORDS,
            min_bytes: crate::config::DEFAULT_MIN_BYTES,
            budget_per_10k: 1.0,
        }
    }
}

/// The volume measure a finding was scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Records,
    Bytes,
    /// The number of export events (`Window::exports`): only runs of heavy days are tested
    /// on it (a theft split into many small exports).
    Exports,
}

impl Measure {
    pub fn of(self, w: &Window) -> Option<i64> {
        match self {
            Measure::Records => w.records,
            Measure::Bytes => w.bytes,
            Measure::Exports => (w.exports > 0).then_some(w.exports as i64),
        }
    }
    /// The measure a day's rise (the organisation's, a peer group's) is estimated in: records
    /// for a count of exports, which has no rise of its own.
    pub fn for_rise(self) -> Measure {
        match self {
            Measure::Exports => Measure::Records,
            m => m,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Records => "records",
            Measure::Bytes => "bytes",
            Measure::Exports => "exports",
        }
    }
}

/// What a window was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The account's own history.
    Account,
    /// All other accounts of the same source (the account's history is too thin).
    Population,
    /// The other regular users' windows with a shared bulk-export tool that the window used
    /// ([`Tool`]): the account's history holds none or few of the tool's uses.
    Tool,
}

/// The volume baseline a window was compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeBaseline {
    pub scope: Scope,
    pub measure: Measure,
    /// Windows of history it was built from.
    pub windows: usize,
    pub median: f64,
    pub p99: f64,
    /// Probability of a window at least this large under the model.
    pub tail_probability: f64,
    /// The model that gave `tail_probability`.
    pub model: VolumeModel,
}

/// The model a volume's tail probability comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeModel {
    /// The Pareto tail of the history's largest windows ([`tail::TailModel`]).
    ParetoTail,
    /// A log-normal law of daily totals ([`tail::lognormal_survival`]), for daily windows.
    LogNormal,
    /// A normal law of the upper half of daily log totals ([`tail::upper_normal_survival`]),
    /// for daily windows.
    UpperNormal,
    /// A negative binomial law of the account's daily counts of exports ([`exports_test`]).
    NegativeBinomial,
    /// The run test of heavy days ([`runs`]).
    RunTest,
    /// The test of accounts sharing a new address ([`rings`]).
    RingTest,
}

impl VolumeModel {
    pub const fn as_str(self) -> &'static str {
        match self {
            VolumeModel::ParetoTail => "pareto_tail",
            VolumeModel::LogNormal => "lognormal",
            VolumeModel::UpperNormal => "upper_normal",
            VolumeModel::NegativeBinomial => "negative_binomial",
            VolumeModel::RunTest => "run_test",
            VolumeModel::RingTest => "ring_test",
        }
    }
}

/// A factor that contributed to a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    Volume,
    OffHours,
    NewIp,
    NewClient,
    Dormant,
    Breadth,
    NewObjects,
    /// A run of heavy days ([`runs`]).
    Run,
    /// One new address shared by several accounts at once ([`rings`]).
    SharedIp,
    /// A day with more export events than the account's history makes likely.
    Exports,
}

impl Factor {
    /// Every factor, in the order messages list them.
    pub const ALL: [Factor; 10] = [
        Factor::Volume,
        Factor::OffHours,
        Factor::NewIp,
        Factor::NewClient,
        Factor::Breadth,
        Factor::NewObjects,
        Factor::Dormant,
        Factor::Run,
        Factor::SharedIp,
        Factor::Exports,
    ];

    /// The factor's name in alerts (`reasons[].factor`) and the config file.
    pub const fn as_str(self) -> &'static str {
        match self {
            Factor::Volume => "volume",
            Factor::OffHours => "off_hours",
            Factor::NewIp => "new_ip",
            Factor::NewClient => "new_client",
            Factor::Dormant => "dormant",
            Factor::Breadth => "breadth",
            Factor::NewObjects => "new_objects",
            Factor::Run => "run",
            Factor::SharedIp => "shared_ip",
            Factor::Exports => "exports",
        }
    }
}

/// One factor's contribution, with the typical and the actual value.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub factor: Factor,
    /// Points added to the score (`-log10` of the factor's probability, capped).
    pub contribution: f64,
    /// What this window showed (records or bytes; a rate of activity; a count of new values).
    pub observed: f64,
    /// What is typical for the account (median volume; share of days active at this hour;
    /// share of days that bring a new value).
    pub typical: f64,
}

/// A scored window.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub window: Window,
    pub score: f64,
    pub severity: Severity,
    pub baseline: VolumeBaseline,
    /// Off-hours evidence, for hourly windows.
    pub hour_rate: Option<HourRate>,
    /// Contributing factors, largest first.
    pub reasons: Vec<Reason>,
    /// For a run of heavy days ([`WindowKind::Run`]), what the run test rests on.
    pub run: Option<runs::RunEvidence>,
    /// For a member of a ring of accounts on one new address, what the ring test rests on.
    pub ring: Option<rings::RingEvidence>,
    /// For a day judged net of an organisation-wide busy day ([`orgday`]).
    pub busy_day: Option<orgday::BusyDay>,
    /// For a day of an account whose month-end close days read more than its other days,
    /// judged net of that rise ([`close`]).
    pub month_close: Option<close::CloseEffect>,
    /// For a day on a busy day of its peer group ([`cohort`]) whose effect is larger than the
    /// organisation's: its volume probability is the mixture of the account's own day and a
    /// participant's.
    pub peer_day: Option<cohort::PeerDay>,
    /// For a window with an off-hours factor, the account's other bulk hours as precedents.
    pub off_hours_precedent: Option<OffHoursPrecedent>,
}

/// The off-hours factor asks how rarely the account works at this hour; for a bulk hour it also
/// asks how often the account's *bulk* hours fall at hours it rarely works. An administrator who
/// runs the monthly export in the evening works few evenings, so the rate alone makes every
/// such export look off-hours again; the precedents say it is how this account exports. Of the
/// account's other bulk hours (outside the window's band, like every baseline here),
/// `bulk_hours` in all, `off_hours` fell at an hour the account rarely works, each judged as it
/// would be scored (its own rate, its own days left out, at least [`OFF_HOURS_MIN`]). With at
/// least one precedent, the factor is `-log10` of the larger of the hour's rate and the share
/// `off_hours / bulk_hours`; with none it is the rate's, so an account that never exported at
/// night is judged as before, however few bulk hours it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffHoursPrecedent {
    pub bulk_hours: u32,
    pub off_hours: u32,
    /// When the window used a shared bulk-export tool ([`Tool`]), the precedents are its other
    /// regular users' bulk hours with it, and this is how many users they are.
    pub tool_accounts: Option<u32>,
}

impl OffHoursPrecedent {
    /// The share of bulk hours at hours the account rarely works, when there is a precedent.
    pub fn share(self) -> Option<f64> {
        (self.off_hours > 0).then(|| f64::from(self.off_hours) / f64::from(self.bulk_hours))
    }
}

/// The bulk windows among an account's hourly `windows` (start, and whether it fell at an hour
/// the account rarely works, judged by its own rate with its own days left out), for
/// [`OffHoursPrecedent`].
fn bulk_hours_off(
    windows: &[Window],
    profile: &ActivityProfile,
    ctx: &Context<'_>,
) -> Vec<(i64, bool)> {
    windows
        .iter()
        .filter(|h| is_bulk(h, ctx.cfg))
        .map(|h| (h.start_ms, rarely_works(profile, h, &ctx.population_hours)))
        .collect()
}

/// Whether hour `h` falls at an hour its account rarely works: an off-hours factor of at least
/// [`OFF_HOURS_MIN`] by its own rate, its own days left out (as it would be scored).
fn rarely_works(profile: &ActivityProfile, h: &Window, population_hours: &[f64; 24]) -> bool {
    let r = profile.rate(
        h.local_hour,
        h.local_weekday,
        (h.local_day - 1)..=(h.local_day + 1),
        population_hours,
    );
    -r.rate.log10() >= OFF_HOURS_MIN
}

/// The off-hours precedents of `w` among `bulk` ([`bulk_hours_off`]): those outside its band.
fn precedents_of(w: &Window, bulk: &[(i64, bool)]) -> OffHoursPrecedent {
    let mut p = OffHoursPrecedent {
        bulk_hours: 0,
        off_hours: 0,
        tool_accounts: None,
    };
    for &(start, off) in bulk {
        if (start - w.start_ms).abs() >= NOVELTY_BAND_MS {
            p.bulk_hours += 1;
            p.off_hours += u32::from(off);
        }
    }
    p
}

/// A client the organisation shares for bulk exports: at least [`TOOL_MIN_ACCOUNTS`] accounts
/// use it routinely, and at least [`TOOL_BULK_SHARE`] of their hours with it reach the bulk
/// floor (an administrators' data loader; not a browser, not an attacker's script, which no
/// account uses routinely).
///
/// An account's first use of such a tool has no precedent in its own history, which holds only
/// what it did without it: an administrator's first quarterly export with the admins' loader is
/// hundreds of times its median hour; its second has one. So a window that used a shared tool
/// (new to the account, or one of its regular users'), whose new clients are all shared tools,
/// from no new address, of an account that is not coming back from dormancy, is also judged
/// against the tool's other users' windows with it (same kind, same measure, the same tail models):
/// its volume probability is the larger of the two, its account's and the tool's, and its
/// off-hours precedents are the other users' bulk hours with the tool, each judged by its own
/// account's hours ([`OffHoursPrecedent`]). A theft with the tool from a new address (a
/// vishing campaign's loader on the attacker's network) keeps its own baseline, and a volume
/// far beyond what the tool's users move is still far in the tool's tail.
#[derive(Debug, Clone)]
pub struct Tool {
    /// Its regular users' hours with it.
    pub hours: usize,
    /// Per (kind, measure), the (account, log volume) of their windows with it: hours, and the
    /// days holding those hours.
    logs: HashMap<(WindowKind, Measure), Vec<(u32, f64)>>,
    /// Per user (ascending): its bulk hours with it, and how many fell at an hour it rarely
    /// works.
    bulk: Vec<(u32, u32, u32)>,
}

impl Tool {
    /// The off-hours precedents of a window of `account`: the bulk hours with the tool of its
    /// *other* users (an account's own are in its own history, and its window is not its own
    /// precedent).
    fn precedent_for(&self, account: u32) -> OffHoursPrecedent {
        let others = self.bulk.iter().filter(|u| u.0 != account);
        OffHoursPrecedent {
            bulk_hours: others.clone().map(|u| u.1).sum(),
            off_hours: others.clone().map(|u| u.2).sum(),
            tool_accounts: Some(others.count() as u32),
        }
    }
}

/// The shared bulk-export tools ([`Tool`]) by client code, and the (account, hour start) and
/// (account, local day) windows in which their regular users used them.
type SharedTools = (
    HashMap<u32, Tool>,
    HashMap<(u32, i64), Vec<u32>>,
    HashMap<(u32, i32), Vec<u32>>,
);

/// The shared bulk-export tools among the clients of `features.tool_uses` ([`Tool`]).
fn shared_tools(
    features: &Features,
    hourly_groups: &[(u32, std::ops::Range<usize>)],
    daily_groups: &[(u32, std::ops::Range<usize>)],
    profiles: &HashMap<u32, ActivityProfile>,
    population_hours: &[f64; 24],
    cfg: &DetectConfig,
) -> SharedTools {
    let mut tools = HashMap::new();
    let mut used_hours: HashMap<(u32, i64), Vec<u32>> = HashMap::new();
    let mut used_days: HashMap<(u32, i32), Vec<u32>> = HashMap::new();
    for client in features.tool_uses.clients() {
        let mut hours: Vec<&Window> = Vec::new();
        let mut accounts = 0;
        let mut last = None;
        for (a, h) in features.tool_uses.of(client) {
            accounts += usize::from(last != Some(a));
            last = Some(a);
            let own = windows_of(hourly_groups, &features.hourly, a);
            if let Ok(i) =
                own.binary_search_by_key(&(h * crate::ingest::time::HOUR_MS), |w| w.start_ms)
            {
                hours.push(&own[i]);
            }
        }
        let bulk: Vec<&Window> = hours.iter().copied().filter(|w| is_bulk(w, cfg)).collect();
        if accounts < TOOL_MIN_ACCOUNTS
            || hours.is_empty()
            || (bulk.len() as f64) < TOOL_BULK_SHARE * hours.len() as f64
        {
            continue;
        }
        let mut logs: HashMap<(WindowKind, Measure), Vec<(u32, f64)>> = HashMap::new();
        let mut days: Vec<(u32, i32)> = hours.iter().map(|w| (w.account, w.local_day)).collect();
        days.dedup();
        let day_windows = days.iter().filter_map(|&(a, d)| {
            let own = windows_of(daily_groups, &features.daily, a);
            own.binary_search_by_key(&d, |w| w.local_day)
                .ok()
                .map(|i| &own[i])
        });
        for w in hours.iter().copied().chain(day_windows) {
            for m in [Measure::Records, Measure::Bytes] {
                if let Some(v) = m.of(w) {
                    logs.entry((w.kind, m))
                        .or_default()
                        .push((w.account, log_volume(v as f64)));
                }
            }
        }
        // Bulk hours are in (account, hour) order: one entry per user with any.
        let mut per_user: Vec<(u32, u32, u32)> = Vec::new();
        for h in &bulk {
            let off = profiles
                .get(&h.account)
                .is_some_and(|p| rarely_works(p, h, population_hours));
            match per_user.last_mut() {
                Some(u) if u.0 == h.account => {
                    u.1 += 1;
                    u.2 += u32::from(off);
                }
                _ => per_user.push((h.account, 1, u32::from(off))),
            }
        }
        for w in &hours {
            used_hours
                .entry((w.account, w.start_ms))
                .or_default()
                .push(client);
            let day = used_days.entry((w.account, w.local_day)).or_default();
            if day.last() != Some(&client) {
                day.push(client);
            }
        }
        tools.insert(
            client,
            Tool {
                hours: hours.len(),
                logs,
                bulk: per_user,
            },
        );
    }
    (tools, used_hours, used_days)
}

/// `account`'s windows among `windows`, grouped by account as `groups` (ascending); none when
/// it has no group.
fn windows_of<'w>(
    groups: &[(u32, std::ops::Range<usize>)],
    windows: &'w [Window],
    account: u32,
) -> &'w [Window] {
    groups
        .binary_search_by_key(&account, |g| g.0)
        .map_or(&[], |i| &windows[groups[i].1.clone()])
}

/// The shared tool `w` is judged against ([`Tool`]): `w` used one (new to the account, or as
/// one of its regular users), every client new to the account in `w` is one, and `w` brings no
/// new address from outside the organisation and is no return from dormancy. An address new
/// to the account that the organisation's accounts use routinely ([`is_org_address`]: the
/// tool's own users exporting from the office or the VPN) does not bar the tool, as it adds no
/// new-IP factor either: before, an admin's first export from that address was judged against
/// its own history alone (on the 47 tenants of both generators, 3 false alerts of 7.6 to 15.7
/// fewer and 2 stolen tokens more found, as seed 10's alert line fell from 7.05 to 6.60).
fn tool_for<'c>(w: &Window, ctx: &'c Context<'_>) -> Option<&'c Tool> {
    if brings_outside_address(w, ctx.routine_ips) {
        return None;
    }
    let used = match w.kind {
        WindowKind::Hour => ctx.tool_hours.get(&(w.account, w.start_ms)),
        _ => ctx.tool_days.get(&(w.account, w.local_day)),
    };
    let mut best: Option<&Tool> = None;
    for c in w.new_clients.iter().chain(used.into_iter().flatten()) {
        let t = ctx.tools.get(c)?;
        if best.is_none_or(|b| t.hours > b.hours) {
            best = Some(t);
        }
    }
    best?;
    let nd = ctx.novel_days.get(&w.account)?;
    let absences = ctx.absences.get(&source_of(ctx, w.account));
    if dormancy(w.local_day, &nd.active, absences.map_or(&[], |v| v)).is_some() {
        return None;
    }
    best
}

/// An account whose bulk windows could not be scored: no usable baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Unscored {
    pub account: u32,
    pub kind: WindowKind,
    /// Bulk windows left unscored.
    pub windows: usize,
    /// Windows of its own history.
    pub history: usize,
}

/// The outcome of detection over all windows.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// Findings at or above the volume gate, ordered by (account, kind, start).
    pub findings: Vec<Finding>,
    /// Windows whose content ([`content`]) reached [`SOFT_GATE`] but not [`VOLUME_GATE`]: they
    /// become findings when they score [`SOFT_MARGIN`] above the alert line, which is known only
    /// once every window is scored ([`admits_soft`]). Filled while scoring; empty in the result
    /// of [`detect`], whose `findings` hold those admitted.
    pub soft: Vec<Finding>,
    /// Windows examined (hourly and daily).
    pub windows: usize,
    /// Windows that reached the bulk floor and were scored.
    pub scored: usize,
    /// Accounts with bulk windows that had no baseline to score them against.
    pub unscored: Vec<Unscored>,
    /// Accounts that read data (windows with records or bytes) in fewer than
    /// [`MIN_HISTORY_HOURS`] hours: too thin for a baseline of their own.
    pub thin: Vec<Thin>,
    /// The score from which a finding is `high`, and how it was set.
    pub line: AlertLine,
}

/// The alert line: the score from which a finding is `high`, set so that the run expects at
/// most its alert budget of false alerts at or above it.
///
/// Most scored windows are ordinary, so the upper tail of all scored windows' scores estimates
/// the null distribution of the score (an *empirical null*, Efron 2004). Scores above a
/// threshold `s0` are modelled as exponential, with the rate estimated from the smaller half of
/// the excesses over `s0` ([`tail::censored_exponential_rate`]: robust to the incidents at the
/// very top). With `N` scored windows, `k` of them above `s0`, the expected number of ordinary
/// windows scoring at least `t` is `k * exp(-rate * (t - s0))`; the line is the `t` where that
/// equals the budget (`budget_per_10k * account_days / 10,000`). The same correction covers
/// factors that are not independent, since it is measured on the scores themselves. Too few
/// scored windows for an estimate: [`FIXED_HIGH`].
///
/// The threshold. Scores are not exponential all the way down: every account's own largest
/// windows score about `log10` of its history's length (the most an empirical tail can say), a
/// bump in the scores' density, above which the tail is much heavier. An exponential fitted
/// across the bump is too steep and puts the line too low. So thresholds are tried from the top
/// [`NULL_TAIL_SHARE`] of windows upwards (each keeping [`NULL_TAIL_STEP`] of the last one's
/// windows, down to the top [`MIN_NULL_TAIL_SHARE`]), and the first whose excesses pass a test of
/// the exponential law is used; when none does, the best-fitting (`choose_null_fit`). The test
/// (Rényi): the normalised spacings `(k - i) (x_(i) - x_(i-1))` of `k` exponential excesses are
/// independent exponentials of one rate, so within the trusted half they show no trend
/// ([`tail::exponential_spacings_test`]); rejected below [`TAIL_FIT_ALPHA`].
///
/// The line is never below the Bonferroni line `log10(N / budget)` ([`bonferroni_line`]): were
/// every score an exact `-log10 p`, that line alone would keep the expected false alerts of `N`
/// windows to the budget. The estimate can only make it stricter (scores that add several
/// factors are not exact p-values and run heavier); a null tail fitted too steep (few windows,
/// ties) cannot make it looser than the scores' own calibration allows.
///
/// Nor is it above [`FIXED_HIGH`] (unless the Bonferroni line is): the empirical null assumes
/// that most windows of the tail are ordinary, and when thefts are a large share of the top
/// windows (many accounts taken over at once) every threshold's excesses are theirs, the
/// exponential fitted to them is as slow as their spread, and the line it gives leaves most of
/// them under it (18.5 on a held-out tenant of 48 incidents whose ordinary windows' lines are
/// 4 to 7 elsewhere). A line above the fixed line used without any estimate says the top of the
/// scores is not an ordinary tail; it is capped there and the scan's summary says so
/// ([`AlertLine::fitted`] keeps the estimate).
///
/// References: B. Efron, "Large-scale simultaneous hypothesis testing: the choice of a null
/// hypothesis", JASA 99 (2004); A. Rényi, "On the theory of order statistics", Acta Math. Acad.
/// Sci. Hungarica 4 (1953) (the spacings); S. Coles, "An Introduction to Statistical Modeling of
/// Extreme Values", Springer 2001, section 4.3 (threshold choice).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertLine {
    pub high: f64,
    /// The score from which a run of heavy days is `high` ([`runs::run_line_for`]): run scores
    /// are exact probabilities, so their line follows from the budget and the number of start
    /// days the run test was asked at.
    pub run_high: f64,
    /// Start days the run test was asked at ([`runs::starts`], over every account).
    pub run_starts: usize,
    /// The score from which a ring of accounts on one new address is `high` ([`runs::budget_line`]):
    /// its score is an exact probability too, asked at most once per active account-day.
    pub ring_high: f64,
    /// Scored windows.
    pub windows: usize,
    /// Active account-days (daily windows).
    pub account_days: usize,
    /// False alerts allowed at or above `high` in this run.
    pub budget: f64,
    /// The null tail fit, when there were enough windows.
    pub fit: Option<NullFit>,
    /// The line the null tail fit gives, before the Bonferroni floor and the [`FIXED_HIGH`]
    /// ceiling (`None` without a fit).
    pub fitted: Option<f64>,
}

impl Default for AlertLine {
    fn default() -> Self {
        AlertLine {
            high: FIXED_HIGH,
            run_high: FIXED_HIGH,
            run_starts: 0,
            ring_high: FIXED_HIGH,
            windows: 0,
            account_days: 0,
            budget: 0.0,
            fit: None,
            fitted: None,
        }
    }
}

/// The exponential null tail of scores: `P(score >= s) = share * exp(-rate * (s - s0))`.
#[derive(Debug, Clone, PartialEq)]
pub struct NullFit {
    pub s0: f64,
    pub share: f64,
    pub rate: f64,
    /// The spacings test's p-value for the excesses above `s0`
    /// ([`tail::exponential_spacings_test`]): at least [`TAIL_FIT_ALPHA`] when the fit passed.
    pub p: f64,
}

impl AlertLine {
    /// Sets the line from the scores of all scored windows.
    pub fn estimate(scores: &[f64], account_days: usize, budget_per_10k: f64) -> AlertLine {
        let budget = budget_per_10k * account_days as f64 / 10_000.0;
        let mut line = AlertLine {
            windows: scores.len(),
            account_days,
            budget,
            run_high: runs::budget_line(budget_per_10k, FIXED_HIGH),
            ring_high: runs::budget_line(budget_per_10k, FIXED_HIGH),
            ..Default::default()
        };
        let mut sorted = scores.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let first = ((n as f64) * NULL_TAIL_SHARE).floor() as usize;
        if first < MIN_NULL_TAIL || budget <= 0.0 {
            return line;
        }
        let fit_above = |k: usize| -> Option<NullFit> {
            let s0 = sorted[n - k - 1];
            let excess: Vec<f64> = sorted[n - k..].iter().map(|s| s - s0).collect();
            let rate = tail::censored_exponential_rate(&excess, tail::TRUSTED_SHARE)?;
            let share = k as f64 / n as f64;
            let p = tail::exponential_spacings_test(&excess, tail::TRUSTED_SHARE)
                .min(tail::exponential_deficit_test(&excess, rate));
            Some(NullFit { s0, share, rate, p })
        };
        let thresholds = null_thresholds(n);
        // Bonferroni over the thresholds: a good fit is passed up (for a higher threshold,
        // whose tail the thefts weigh more) with chance at most TAIL_FIT_ALPHA.
        let alpha = TAIL_FIT_ALPHA / thresholds.len().max(1) as f64;
        let mut tried = Vec::new();
        for k in thresholds {
            if let Some(fit) = fit_above(k) {
                let pass = fit.p >= alpha;
                tracing::debug!(
                    k,
                    s0 = fit.s0,
                    rate = fit.rate,
                    p = fit.p,
                    line = fit.s0 + (n as f64 * fit.share / budget).ln() / fit.rate,
                    "null tail fit tried"
                );
                tried.push(fit);
                if pass {
                    break;
                }
            }
        }
        let Some(fit) = choose_null_fit(tried, alpha).or_else(|| fit_above(first)) else {
            return line;
        };
        if fit.p < alpha {
            tracing::warn!(
                p = fit.p,
                s0 = fit.s0,
                "no stretch of the scores' tail is exponential; the best-fitting one sets the alert line, which is less certain than usual"
            );
        }
        let t = fit.s0 + (n as f64 * fit.share / budget).ln() / fit.rate;
        // Held at the ceiling: the scan's summary says so (`AlertLine::capped`).
        line.high = t.min(FIXED_HIGH).max(bonferroni_line(n, budget));
        line.fitted = Some(t);
        line.fit = Some(fit);
        line
    }

    /// The line finding `f` is judged by: runs and rings are probabilities with their own lines.
    pub fn line_for(&self, f: &Finding) -> f64 {
        if f.window.kind == WindowKind::Run {
            self.run_high
        } else if f.ring.is_some() {
            self.ring_high
        } else {
            self.high
        }
    }

    /// The line the null tail fit gave when the ceiling ([`FIXED_HIGH`]) held the alert line
    /// under it.
    pub fn capped(&self) -> Option<f64> {
        self.fitted.filter(|&t| t > self.high)
    }

    /// Sets the runs' line from the number of start days the run test was asked at
    /// ([`runs::run_line_for`]); the line set by [`AlertLine::estimate`] stays without a budget.
    pub fn count_run_starts(&mut self, starts: usize) {
        self.run_starts = starts;
        self.run_high = runs::run_line_for(starts, self.budget, self.run_high);
    }

    /// Expected ordinary windows scoring at least `score` in this run (`None` without a fit).
    pub fn expected_at(&self, score: f64) -> Option<f64> {
        let f = self.fit.as_ref()?;
        let tail = if score <= f.s0 {
            f.share
        } else {
            f.share * (-f.rate * (score - f.s0)).exp()
        };
        Some(self.windows as f64 * tail)
    }
}

/// The thresholds tried for the null tail of `n` scores, as numbers of windows above them: from
/// the top [`NULL_TAIL_SHARE`] up, each keeping [`NULL_TAIL_STEP`] of the last one's windows,
/// down to the top [`MIN_NULL_TAIL_SHARE`] (and never under [`MIN_TESTED_TAIL`] windows).
fn null_thresholds(n: usize) -> Vec<usize> {
    let last = MIN_TESTED_TAIL.max((n as f64 * MIN_NULL_TAIL_SHARE).ceil() as usize);
    let mut thresholds = Vec::new();
    let mut k = ((n as f64) * NULL_TAIL_SHARE).floor() as usize;
    while k >= last {
        thresholds.push(k);
        k = (k as f64 * NULL_TAIL_STEP).floor() as usize;
    }
    thresholds
}

/// The null fit among `tried` (in the order tried, thresholds rising): the first that passes
/// the spacings test, else the best-fitting (the largest p-value; the higher threshold on a
/// tie). The highest threshold tried is not a safe default: where the scores' tail grows heavier
/// further out, its fitted rate is the smallest and the line it gives the highest (15.9 instead
/// of 5.5 on a tenant whose fits all just failed), which costs most thefts.
fn choose_null_fit(tried: Vec<NullFit>, alpha: f64) -> Option<NullFit> {
    let mut best: Option<NullFit> = None;
    for fit in tried {
        if fit.p >= alpha {
            return Some(fit);
        }
        if best.as_ref().is_none_or(|b| fit.p >= b.p) {
            best = Some(fit);
        }
    }
    best
}

/// `log10(windows / budget)`, never below [`VOLUME_GATE`]: the score above which `windows`
/// exact `-log10 p` scores would bring `budget` false alerts on average.
pub fn bonferroni_line(windows: usize, budget: f64) -> f64 {
    (windows as f64 / budget).log10().max(VOLUME_GATE)
}

/// An account whose own history is too thin for a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Thin {
    pub account: u32,
    /// Hourly windows in which it read data.
    pub hours_with_volume: usize,
    /// Whether its source has enough other accounts for a population baseline.
    pub population: bool,
}

/// One account's active local days, and those whose daily window brought a new IP or client.
#[derive(Debug, Clone, Default)]
struct NovelDays {
    ip: Vec<i32>,
    client: Vec<i32>,
    active: Vec<i32>,
}

/// Everything the scoring of one window needs beyond the window itself.
struct Context<'a> {
    cfg: &'a DetectConfig,
    events: &'a Names,
    population_hours: [f64; 24],
    profiles: HashMap<u32, ActivityProfile>,
    /// Per account, its active local days and those that brought a new IP / a new client.
    novel_days: HashMap<u32, NovelDays>,
    /// Per source, every account's absences, sorted ([`absences_by_source`]).
    absences: HashMap<u32, Vec<i32>>,
    /// Per (source, kind, measure): every account's log volumes, for population baselines.
    population: HashMap<(u32, WindowKind, Measure), Vec<(u32, f64)>>,
    /// Per (source, kind, measure): how many windows and accounts the population holds, and
    /// per (account, kind, measure) how many of those windows are the account's own; so whether
    /// the *other* accounts are enough is a lookup, not a pass over the population.
    population_size: HashMap<(u32, WindowKind, Measure), (usize, usize)>,
    own_windows: HashMap<(u32, WindowKind, Measure), usize>,
    /// Organisation-wide busy days per (source, local day), and their effects on the log scale
    /// per measure ([`orgday`]): a day is judged net of its effect. Empty in the first pass.
    busy: HashMap<(u32, i32), orgday::BusyDay>,
    busy_effects: HashMap<(u32, i32, Measure), f64>,
    /// Days on which more accounts than chance made a heavy count of exports ([`exports_factor`]).
    export_days: HashSet<(u32, i32)>,
    /// Per source, the prior size of daily export counts ([`export_dispersions`]).
    export_dispersion: HashMap<u32, f64>,
    /// The peer groups' busy days and their effects ([`cohort`]): a day on one is judged as a
    /// mixture of the account's own day and a participant's.
    peers: cohort::PeerDays,
    /// Shared bulk-export tools by client code ([`Tool`]), and the hours (by account and start)
    /// and days (by account and local day) in which their regular users used them.
    tools: HashMap<u32, Tool>,
    tool_hours: HashMap<(u32, i64), Vec<u32>>,
    tool_days: HashMap<(u32, i32), Vec<u32>>,
    /// Addresses and how many accounts use each routinely ([`is_org_address`]).
    routine_ips: &'a Routine,
}

/// Scores every window.
pub fn detect(features: &Features, events: &Names, cfg: &DetectConfig) -> Detection {
    let by_account = |ws: &[Window]| -> Vec<(u32, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < ws.len() {
            let a = ws[i].account;
            let j = i + ws[i..].partition_point(|w| w.account == a);
            out.push((a, i..j));
            i = j;
        }
        out
    };
    let hourly_groups = by_account(&features.hourly);
    let daily_groups = by_account(&features.daily);

    let profiles: HashMap<u32, ActivityProfile> = hourly_groups
        .iter()
        .map(|(a, r)| {
            (
                *a,
                ActivityProfile::from_hourly(&features.hourly[r.clone()]),
            )
        })
        .collect();
    let mut profile_list: Vec<(&u32, &ActivityProfile)> = profiles.iter().collect();
    profile_list.sort_by_key(|(a, _)| **a);
    let population_hours = population_hour_rates(profile_list.into_iter().map(|(_, p)| p));

    let novel_days: HashMap<u32, NovelDays> = daily_groups
        .iter()
        .map(|(a, r)| {
            let days = &features.daily[r.clone()];
            let pick = |f: fn(&Window) -> bool| {
                days.iter().filter(|w| f(w)).map(|w| w.local_day).collect()
            };
            let nd = NovelDays {
                ip: pick(|w| !w.new_ips.is_empty()),
                client: pick(|w| !w.new_clients.is_empty()),
                active: pick(|_| true),
            };
            (*a, nd)
        })
        .collect();

    let mut population: HashMap<(u32, WindowKind, Measure), Vec<(u32, f64)>> = HashMap::new();
    for w in features.hourly.iter().chain(&features.daily) {
        let source = source_in(events, w.account);
        for m in [Measure::Records, Measure::Bytes] {
            if let Some(v) = m.of(w) {
                population
                    .entry((source, w.kind, m))
                    .or_default()
                    .push((w.account, log_volume(v as f64)));
            }
        }
    }
    for v in population.values_mut() {
        v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    }
    let mut own_windows: HashMap<(u32, WindowKind, Measure), usize> = HashMap::new();
    let mut population_size = HashMap::new();
    for (&(source, kind, m), v) in &population {
        let mut accounts = 0;
        for &(a, _) in v {
            let own = own_windows.entry((a, kind, m)).or_default();
            accounts += usize::from(*own == 0);
            *own += 1;
        }
        population_size.insert((source, kind, m), (v.len(), accounts));
    }

    let absences = absences_by_source(&novel_days, events);
    let (tools, tool_hours, tool_days) = shared_tools(
        features,
        &hourly_groups,
        &daily_groups,
        &profiles,
        &population_hours,
        cfg,
    );
    let peers = cohort::peer_days(&features.daily, &daily_groups, |a| {
        let source = source_in(events, a);
        features
            .main_objects
            .of(a)
            .iter()
            .map(|&o| (source, o))
            .collect()
    });
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(days = ?peers.sorted(), "peer groups' busy days");
    }
    let mut ctx = Context {
        cfg,
        events,
        population_hours,
        profiles,
        novel_days,
        absences,
        population,
        population_size,
        own_windows,
        busy: HashMap::new(),
        busy_effects: HashMap::new(),
        export_days: HashSet::new(),
        export_dispersion: HashMap::new(),
        peers,
        tools,
        tool_hours,
        tool_days,
        routine_ips: &features.routine_ips,
    };
    let mut out = Detection {
        windows: features.hourly.len() + features.daily.len(),
        ..Default::default()
    };
    // Accounts are scored independently: contiguous shares of them on all cores, the results
    // joined in account order, so the output is the same as one thread's. Hours, then days.
    fn jobs<'a>(
        groups: &[(u32, std::ops::Range<usize>)],
        windows: &'a [Window],
    ) -> Vec<(u32, &'a [Window])> {
        groups
            .iter()
            .map(|(a, r)| (*a, &windows[r.clone()]))
            .collect()
    }
    let (hourly_jobs, daily_jobs) = (
        jobs(&hourly_groups, &features.hourly),
        jobs(&daily_groups, &features.daily),
    );
    ctx.export_dispersion = export_dispersions(&daily_jobs, events);
    ctx.export_days = export_days(&daily_jobs, &features.daily, events, &ctx.export_dispersion);
    let (hours, mut scores) = score_all(&hourly_jobs, &ctx);
    let (mut days, mut day_scores) = score_all(&daily_jobs, &ctx);
    // Every day's organisation-wide rise (most days have none): the busy days' for the day
    // scoring, and all of them for the run test.
    let org_days = orgday::effects(&features.daily, &daily_groups, |a| source_in(events, a));
    // Organisation-wide busy days among the day findings: when there are any, every daily
    // window is scored again with the days judged net of them (hours do not depend on them),
    // so findings and the alert line's scores agree.
    if find_busy_days(&days.findings, &mut ctx, &features.daily, &org_days) {
        (days, day_scores) = score_all(&daily_jobs, &ctx);
    }
    scores.extend(day_scores);
    out.findings = hours.findings;
    out.findings.extend(days.findings);
    out.scored = hours.scored + days.scored;
    out.unscored = hours.unscored;
    out.unscored.extend(days.unscored);
    out.thin = hours.thin;
    out.thin.extend(days.thin);
    // Every account's runs on every measure, then the organisational periods among them, then
    // one run per overlap of an account.
    let mut all_runs: Vec<Finding> = Vec::new();
    let mut run_starts = 0;
    for (_, range) in &daily_groups {
        let days = &features.daily[range.clone()];
        let measures: Vec<Measure> = [Measure::Records, Measure::Bytes, Measure::Exports]
            .into_iter()
            .filter(|m| days.iter().any(|w| m.of(w).is_some()))
            .collect();
        // The start days asked: those of the measure with the most active days (the measures'
        // multiplicity is in each run's score).
        run_starts += measures
            .iter()
            .map(|&m| {
                runs::starts(
                    days.iter()
                        .filter(|w| runs::day_value(w, m).is_some())
                        .count(),
                )
            })
            .max()
            .unwrap_or(0);
        let tests = runs::effective_measures(days, &measures);
        let src = source_in(events, days[0].account);
        for &m in &measures {
            // The organisation's rise each day (none on most).
            let effects: Vec<f64> = days
                .iter()
                .map(|w| {
                    org_days
                        .get(&(src, w.local_day, m.for_rise()))
                        .copied()
                        .unwrap_or(0.0)
                })
                .collect();
            // A run of exports must also have read what a bulk export reads.
            all_runs.extend(
                runs::find_net_of_days(days, m, cfg.floor(m), tests, &effects)
                    .into_iter()
                    .filter(|f| m != Measure::Exports || is_bulk(&f.window, cfg)),
            );
        }
    }
    let period_days = match (
        features.daily.iter().map(|w| w.local_day).min(),
        features.daily.iter().map(|w| w.local_day).max(),
    ) {
        (Some(first), Some(last)) => i64::from(last - first) + 1,
        _ => 1,
    };
    runs::mark_periods(&mut all_runs, period_days);
    for f in &mut all_runs {
        mark_peer_days(f, &features.daily, &daily_groups, &ctx.peers);
    }
    out.findings.extend(runs::one_per_overlap(all_runs));
    out.findings.extend(rings::find(
        &features.hourly,
        &hourly_groups,
        &features.routine_ips,
    ));
    out.line = AlertLine::estimate(&scores, features.daily.len(), cfg.budget_per_10k);
    out.line.count_run_starts(run_starts);
    let high = out.line.high;
    out.findings.extend(
        hours
            .soft
            .into_iter()
            .chain(days.soft)
            .filter(|f| admits_soft(f, high)),
    );
    let line = &out.line;
    out.findings.retain_mut(|f| {
        match Severity::from_score(f.score, line.line_for(f)) {
            Some(s) => {
                // A run shared by too many accounts for chance is an organisational period.
                let period = f.run.is_some_and(|e| e.held());
                f.severity = if period { s.min(Severity::Medium) } else { s };
                true
            }
            None => false,
        }
    });
    out.findings.sort_by(|a, b| {
        (a.window.account, a.window.kind, a.window.start_ms).cmp(&(
            b.window.account,
            b.window.kind,
            b.window.start_ms,
        ))
    });
    out
}

/// Counts into a run finding `f` its heavy days that were busy days of its account's peer group
/// ([`cohort`]): the account's daily windows (`daily`, grouped by account as `groups`) in the
/// run's span reading at least its threshold that, divided by how far the group's participants
/// went that day ([`cohort::PeerDays::reach`], at least the group's effect), fall under
/// [`runs::RUN_GATE`] times the median day: a day within what a participant read. (The effect,
/// a low estimate of the typical participant's rise, is what a day is scored net of; a member
/// of a campaign that read fifteen times its usual where the typical participant read ten is
/// still taking part.)
fn mark_peer_days(
    f: &mut Finding,
    daily: &[Window],
    groups: &[(u32, std::ops::Range<usize>)],
    peers: &cohort::PeerDays,
) {
    let (Some(e), m) = (f.run.as_mut(), f.baseline.measure) else {
        return;
    };
    let days = windows_of(groups, daily, f.window.account);
    // The group's effect in the run's measure (in records for a run of exports).
    let em = m.for_rise();
    let mut object = None;
    // Heavy net of the participants' reach: at least RUN_GATE times the median day, as in the run test.
    let heavy_net = runs::RUN_GATE * f.baseline.median;
    e.peer_days = days
        .iter()
        .filter(|w| w.start_ms >= f.window.start_ms && w.start_ms < f.window.end_ms)
        .filter_map(|w| {
            let v = runs::day_value(w, m)? as f64;
            if v < e.threshold {
                return None;
            }
            let (effect, p) = peers.effect(w, em)?;
            let reach = peers.reach(w, em).unwrap_or(effect);
            (v / reach.exp() < heavy_net).then_some(p.object)
        })
        .inspect(|&o| object = Some(o))
        .count();
    e.peer_object = object;
}

/// Finds the organisation-wide busy days among `findings`' days ([`orgday::busy_days`]) and
/// their effects (theirs of `org_days`, every day's [`orgday::effects`]) into `ctx`; whether
/// any has an effect to take off.
fn find_busy_days(
    findings: &[Finding],
    ctx: &mut Context<'_>,
    daily: &[Window],
    org_days: &HashMap<(u32, i32, Measure), f64>,
) -> bool {
    let events = ctx.events;
    let source = |a: u32| source_in(events, a);
    let busy = orgday::busy_days(findings, daily, source);
    if tracing::enabled!(tracing::Level::DEBUG) {
        let mut per_day: std::collections::BTreeMap<i32, usize> = Default::default();
        for f in findings.iter().filter(|f| f.window.kind == WindowKind::Day) {
            *per_day.entry(f.window.local_day).or_default() += 1;
        }
        tracing::debug!(?per_day, "day findings per local day");
        let mut b: Vec<_> = busy.iter().collect();
        b.sort_by_key(|(k, _)| **k);
        tracing::debug!(?b, "busy days");
    }
    if busy.is_empty() {
        return false;
    }
    let effects: HashMap<(u32, i32, Measure), f64> = org_days
        .iter()
        .filter(|((s, d, _), _)| busy.contains_key(&(*s, *d)))
        .map(|(&k, &e)| (k, e))
        .collect();
    if effects.is_empty() {
        return false;
    }
    ctx.busy = busy;
    ctx.busy_effects = effects;
    true
}

/// Scores every window of `jobs` ([`score_in_parallel`]), joined in order: the findings, counts
/// and the scores of all scored windows.
fn score_all(jobs: &[(u32, &[Window])], ctx: &Context<'_>) -> (Detection, Vec<f64>) {
    let mut all = Detection::default();
    let mut scores = Vec::new();
    for (part, part_scores) in score_in_parallel(jobs, ctx) {
        all.findings.extend(part.findings);
        all.soft.extend(part.soft);
        all.scored += part.scored;
        all.unscored.extend(part.unscored);
        all.thin.extend(part.thin);
        scores.extend(part_scores);
    }
    (all, scores)
}

/// Scores `jobs` (an account and its windows of one kind, in order) in contiguous shares of
/// about equal numbers of windows, one per core; returns each share's findings and scores, in
/// order.
fn score_in_parallel(jobs: &[(u32, &[Window])], ctx: &Context<'_>) -> Vec<(Detection, Vec<f64>)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, jobs.len().max(1));
    let total: usize = jobs.iter().map(|j| j.1.len()).sum();
    let mut shares = Vec::with_capacity(threads);
    let (mut start, mut seen) = (0, 0);
    for (i, j) in jobs.iter().enumerate() {
        seen += j.1.len();
        if shares.len() + 1 < threads && seen * threads >= total * (shares.len() + 1) {
            shares.push(start..i + 1);
            start = i + 1;
        }
    }
    shares.push(start..jobs.len());
    let score = |share: &[(u32, &[Window])]| {
        let mut d = Detection::default();
        let mut scores = Vec::new();
        for (account, windows) in share {
            score_account(*account, windows, ctx, &mut d, &mut scores);
        }
        (d, scores)
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares[1..]
            .iter()
            .map(|r| {
                let share = &jobs[r.clone()];
                scope.spawn(move || score(share))
            })
            .collect();
        let mut out = vec![score(&jobs[shares[0].clone()])];
        for h in handles {
            out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Whether a window reaches the bulk floor on records or on bytes.
fn is_bulk(w: &Window, cfg: &DetectConfig) -> bool {
    [Measure::Records, Measure::Bytes]
        .into_iter()
        .any(|m| m.of(w).is_some_and(|v| v >= cfg.floor(m)))
}

/// Whether history window `h` is far enough from scored window `w` to be its baseline.
fn outside_band(w: &Window, h: &Window) -> bool {
    match w.kind {
        WindowKind::Hour => (h.start_ms - w.start_ms).abs() >= NOVELTY_BAND_MS,
        WindowKind::Day | WindowKind::Run => (h.local_day - w.local_day).abs() > 1,
    }
}

fn min_history(kind: WindowKind) -> usize {
    match kind {
        WindowKind::Hour => MIN_HISTORY_HOURS,
        WindowKind::Day | WindowKind::Run => MIN_HISTORY_DAYS,
    }
}

/// What a finding read that was unusual: the contributions of its volume and new objects, which
/// the volume gate is applied to; the other factors (hour, address, client, dormancy, breadth)
/// are context.
fn content(f: &Finding) -> f64 {
    f.reasons
        .iter()
        .filter(|r| matches!(r.factor, Factor::Volume | Factor::NewObjects))
        .map(|r| r.contribution)
        .sum()
}

/// Whether a window held back at the second tier of the volume gate ([`Detection::soft`]: its
/// content at least [`SOFT_GATE`], under [`VOLUME_GATE`]) is a finding under the alert line
/// `high`: when its score is at least `high + SOFT_MARGIN`.
///
/// Why two tiers. The gate keeps context from alerting on its own: a traveller at an odd hour on
/// a new laptop reads what they always read, and however unusual the hour, address and client,
/// that is no theft. But a theft need not read more than the account's own rarest windows: an
/// off-hours export by an account whose quarter-end exports were as large is only a 1-in-180
/// volume (2.25; seed 6 of the independent generator), though from an address and a client new
/// to it, at an hour it never works (7.2 in all, against a line of 4.7). Content of one chance in
/// a hundred is no alert alone, so such a window must score a hundred times rarer than the line.
/// The line is fitted to the scores of all windows, the gated ones included, so the ordinary
/// windows expected that far above it are `exp(-2 rate)` of the budget: a twentieth of it at
/// most, at the null tails' fitted rates (1.5 to 7.6 per point on the tenants measured).
fn admits_soft(f: &Finding, high: f64) -> bool {
    let c = content(f);
    (SOFT_GATE..VOLUME_GATE).contains(&c) && f.score >= high + SOFT_MARGIN
}

/// Scores one account's windows of one kind: every window that reaches the bulk floor gets a
/// score (pushed to `scores`, the run's empirical null); those whose *content* (volume and new
/// objects, [`content`]) reaches [`VOLUME_GATE`] become findings, and those whose content
/// reaches [`SOFT_GATE`] are kept aside ([`Detection::soft`]) for [`admits_soft`].
fn score_account(
    account: u32,
    windows: &[Window],
    ctx: &Context<'_>,
    out: &mut Detection,
    scores: &mut Vec<f64>,
) {
    let kind = match windows.first() {
        Some(w) => w.kind,
        None => return,
    };
    let source = source_of(ctx, account);
    if kind == WindowKind::Hour {
        let hours = windows
            .iter()
            .filter(|w| w.records.is_some() || w.bytes.is_some())
            .count();
        if hours > 0 && hours < MIN_HISTORY_HOURS {
            let population = [Measure::Records, Measure::Bytes]
                .into_iter()
                .any(|m| population_suffices(ctx, account, kind, m));
            out.thin.push(Thin {
                account,
                hours_with_volume: hours,
                population,
            });
        }
    }
    // Full-history logs per measure, for a cheap first pass: a window at or below the account's
    // 80th percentile cannot be surprising.
    let full = |m: Measure| {
        let mut v: Vec<f64> = windows
            .iter()
            .filter_map(|w| m.of(w))
            .map(|x| log_volume(x as f64))
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let full_logs = [full(Measure::Records), full(Measure::Bytes)];
    // The month-end close over the whole history (daily windows), and the account's days net of
    // it: the first pass compares a day net of the close with them, as the scoring does.
    // Which of the account's days are close days, worked out once (none for hours).
    let close_flags: Vec<bool> = match kind {
        WindowKind::Day => windows
            .iter()
            .map(|h| close::is_close_day(h.local_day))
            .collect(),
        _ => Vec::new(),
    };
    let flagged = || windows.iter().zip(close_flags.iter().copied());
    let full_close = [Measure::Records, Measure::Bytes].map(|m| {
        if kind != WindowKind::Day {
            return None;
        }
        let days = close::days(flagged(), m);
        let effect = close::effect(&days)?;
        let mut net = close::net(&days, effect.shift);
        net.sort_by(f64::total_cmp);
        Some((effect, net))
    });
    // Built on first need: few windows have an off-hours factor.
    let bulk_hours = std::cell::OnceCell::new();
    let bulk_hours = || -> &[(i64, bool)] {
        bulk_hours.get_or_init(|| match ctx.profiles.get(&account) {
            Some(p) if kind == WindowKind::Hour => bulk_hours_off(windows, p, ctx),
            _ => Vec::new(),
        })
    };
    let mut unscored = 0;
    for (wi, w) in windows.iter().enumerate() {
        // Asked only of a window a volume model is fitted for (few reach that far).
        let tool = std::cell::OnceCell::new();
        let tool = || *tool.get_or_init(|| tool_for(w, ctx));
        let mut best: Option<VolumeBaseline> = None;
        let mut measures = 0;
        let mut thin = false;
        // Per measure, the peer group's busy day the window fell on, when looked up.
        let mut peer = [None, None];
        let mut best_close = None;
        // Close flags are worked out for daily windows only (empty for hours).
        let on_close_day = close_flags.get(wi).copied().unwrap_or(false);
        // Not on an organisation-wide busy day: there an account whose days rise at month-end
        // (its work peaks with the organisation's) has its close days as its precedent.
        let close_applies = !ctx.busy.contains_key(&(source, w.local_day));
        for (mi, m) in [Measure::Records, Measure::Bytes].into_iter().enumerate() {
            let Some(v) = m.of(w).filter(|&v| v >= ctx.cfg.floor(m)) else {
                continue;
            };
            // A day on an organisation-wide busy day is judged net of its effect.
            let busy_effect = if kind == WindowKind::Day {
                ctx.busy_effects
                    .get(&(source, w.local_day, m))
                    .copied()
                    .unwrap_or(0.0)
            } else {
                0.0
            };
            let x_day = log_volume(v as f64) - busy_effect;
            let full_close = full_close[mi].as_ref().filter(|_| close_applies);
            let (logs, x_net) = match full_close {
                Some((e, net)) if on_close_day => (net, x_day - e.shift),
                Some((_, net)) => (net, x_day),
                None => (&full_logs[mi], x_day),
            };
            let min_history = min_history(kind);
            if logs.len() > min_history
                && w.new_objects.is_empty()
                && quantile(logs, 0.8).is_some_and(|q| x_net <= q)
            {
                measures += 1;
                continue;
            }
            let mut history: Vec<f64> = windows
                .iter()
                .filter(|h| outside_band(w, h))
                .filter_map(|h| m.of(h))
                .map(|h| log_volume(h as f64))
                .collect();
            let mut x = x_day;
            let mut close_effect = None;
            let scope = if history.len() >= min_history {
                // An account whose close days read more: its days net of that rise, the band
                // left out of its estimate too.
                if full_close.is_some() {
                    let days = close::days(flagged().filter(|(h, _)| outside_band(w, h)), m);
                    if let Some(e) = close::effect(&days) {
                        history = close::net(&days, e.shift);
                        if on_close_day {
                            x -= e.shift;
                        }
                        close_effect = Some(close::CloseEffect { on_close_day, ..e });
                    }
                }
                Scope::Account
            } else {
                history = population_history(ctx, account, kind, m);
                if history.is_empty() {
                    thin = true;
                    continue;
                }
                Scope::Population
            };
            history.sort_by(f64::total_cmp);
            let Some(tail_model) = TailModel::fit(&history) else {
                continue;
            };
            measures += 1;
            let (mut p, mut model) = volume_probability(kind, x, &tail_model, &history);
            // On a busy day of its peer group the day may be one of the group's: with the
            // share `s` of the group that took part, each reading `e^shift` times its usual
            // beyond the organisation's effect, P = (1 - s) P(x) + s P(x - shift).
            peer[mi] = ctx.peers.effect(w, m);
            if let Some((e, day)) = peer[mi] {
                let shift = e - busy_effect;
                if shift > 0.0 {
                    let (q, _) = volume_probability(kind, x - shift, &tail_model, &history);
                    p = (1.0 - day.share) * p + day.share * q;
                }
            }
            let mut scope = scope;
            // A shared tool: the less surprising of the account's own history and the tool's
            // other users' windows with it.
            if let Some((tool_history, pt, mt)) =
                tool().and_then(|t| tool_probability(t, w, m, x_day))
            {
                if pt > p {
                    (history, p, model, scope) = (tool_history, pt, mt, Scope::Tool);
                    close_effect = None;
                }
            }
            if best.as_ref().is_none_or(|b| p < b.tail_probability) {
                best_close = close_effect;
                best = Some(VolumeBaseline {
                    scope,
                    measure: m,
                    windows: history.len(),
                    median: quantile(&history, 0.5).map_or(0.0, |q| q.exp_m1()),
                    p99: quantile(&history, 0.99).map_or(0.0, |q| q.exp_m1()),
                    tail_probability: p,
                    model,
                });
            }
        }
        if thin && measures == 0 {
            unscored += 1;
            continue;
        }
        if measures == 0 {
            continue;
        }
        out.scored += 1;
        let Some(mut baseline) = best else {
            // At or below the account's 80th percentile, nothing new read: unremarkable.
            scores.push(0.0);
            continue;
        };
        baseline.tail_probability = (baseline.tail_probability * measures as f64).min(1.0);
        let precedents = || match tool() {
            Some(t) => t.precedent_for(account),
            None => precedents_of(w, bulk_hours()),
        };
        // A day of many exports, already in the account's upper tail by volume: its count of
        // exports against the account's other days, as a further measure of its content (a
        // theft split into many exports, each no larger than usual). Asked only of such days,
        // and of none a shared bulk-export tool, an organisation's, peer group's or export day
        // explains. It leads only a day its records and bytes do not make a finding (one they
        // do keeps their evidence, with the exports factor as context), and never enters the
        // scores the alert line is fitted to (those are the thefts' too: every new channel of
        // evidence would raise the line).
        let asks_count = kind == WindowKind::Day
            && baseline.tail_probability <= EXPORTS_VOLUME_P * measures as f64
            && !ctx.busy.contains_key(&(source, w.local_day))
            && peer.iter().all(Option::is_none)
            && !ctx.export_days.contains(&(source, w.local_day));
        let volume_p = baseline.tail_probability;
        let mut f = finish_window(w, windows, baseline, &peer, ctx, precedents);
        f.month_close = best_close;
        scores.push(f.score);
        let exports = (asks_count && content(&f) < VOLUME_GATE && tool().is_none())
            .then(|| {
                let prior = *ctx.export_dispersion.get(&source)?;
                let mut b = exports_baseline(w, windows, prior)?;
                b.tail_probability = (b.tail_probability * (measures + 1) as f64).min(1.0);
                (b.tail_probability < volume_p).then_some(b)
            })
            .flatten();
        let f = match exports {
            Some(b) => {
                // A day: the off-hours precedents are asked of hours only.
                let e = finish_window(w, windows, b, &peer, ctx, || precedents_of(w, &[]));
                if content(&e) > content(&f) {
                    e
                } else {
                    f
                }
            }
            None => f,
        };
        let gate = content(&f);
        if gate >= VOLUME_GATE {
            out.findings.push(f);
        } else if gate >= SOFT_GATE {
            out.soft.push(f);
        }
    }
    if unscored > 0 {
        let history = windows.len();
        out.unscored.push(Unscored {
            account,
            kind,
            windows: unscored,
            history,
        });
    }
}

/// Scores window `w` of an account with `windows` against `baseline` ([`score_window`]), with
/// a day's organisation's and peer group's busy days (`peer`, per measure) and its exports
/// factor.
fn finish_window(
    w: &Window,
    windows: &[Window],
    baseline: VolumeBaseline,
    peer: &[Option<(f64, cohort::PeerDay)>; 2],
    ctx: &Context<'_>,
    precedents: impl FnOnce() -> OffHoursPrecedent,
) -> Finding {
    let kind = w.kind;
    let source = source_of(ctx, w.account);
    let mut f = score_window(w, baseline, objects(w, windows, ctx.cfg), ctx, precedents);
    if kind == WindowKind::Day {
        f.busy_day = ctx
            .busy
            .get(&(source, w.local_day))
            .map(|b| orgday::BusyDay {
                factor: ctx
                    .busy_effects
                    .get(&(source, w.local_day, f.baseline.measure))
                    .map_or(1.0, |e| e.exp()),
                ..*b
            });
        f.peer_day = peer[usize::from(f.baseline.measure == Measure::Bytes)]
            .filter(|p| p.1.factor > f.busy_day.map_or(1.0, |b| b.factor))
            .map(|p| p.1);
    }
    // The exports factor: a day's count of export events, for a day whose content already
    // makes it a finding and that no organisation's, peer group's or export day explains.
    // It strengthens a finding's evidence and never makes one; asked of every day, it lifted
    // the scores of days that cannot be findings, the tail the alert line is fitted to
    // (from 4.70 to 5.70 on one tenant), and lost more thefts than it found. It is context,
    // so the content does not change.
    let gate = content(&f);
    if kind == WindowKind::Day
        && gate >= VOLUME_GATE
        && f.baseline.measure != Measure::Exports
        && f.busy_day.is_none()
        && peer.iter().all(|p| p.is_none())
        && !ctx.export_days.contains(&(source, w.local_day))
    {
        if let Some(r) = ctx
            .export_dispersion
            .get(&source)
            .and_then(|&prior| exports_factor(w, windows, prior))
        {
            f.score += r.contribution;
            f.reasons.push(r);
            f.reasons
                .sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        }
    }
    f
}

/// The tool's users' windows of `w`'s kind in measure `m` (sorted log volumes, `w`'s account's
/// left out), the probability of `x` or more under their tail model, and the model; `None`
/// when they are fewer than an account baseline needs or no model fits.
fn tool_probability(
    tool: &Tool,
    w: &Window,
    m: Measure,
    x: f64,
) -> Option<(Vec<f64>, f64, VolumeModel)> {
    let mut history: Vec<f64> = tool
        .logs
        .get(&(w.kind, m))?
        .iter()
        .filter(|(a, _)| *a != w.account)
        .map(|(_, v)| *v)
        .collect();
    if history.len() < min_history(w.kind) {
        return None;
    }
    history.sort_by(f64::total_cmp);
    let model = TailModel::fit(&history)?;
    let (p, model) = volume_probability(w.kind, x, &model, &history);
    Some((history, p, model))
}

/// A normal law of daily log totals: whether it fits a history, and its survival at `x`.
type DayLaw = (
    fn(&[f64]) -> bool,
    fn(f64, &[f64]) -> Option<f64>,
    VolumeModel,
);

/// Probability of a window's log volume `x` or more given the sorted `history` of its kind, and
/// the model it comes from. An hour is judged by the Pareto tail of the account's busiest hours
/// (`tail`): a single export makes an hour, and exports are heavy-tailed. A day is the total of
/// its exports, and totals over many parts are much lighter-tailed than the parts: there two
/// normal laws of the log volume are also asked, the log-normal of all days
/// ([`tail::lognormal_survival`]) and the normal of the upper half
/// ([`tail::upper_normal_survival`], whose spread the account's small days cannot widen), and
/// the smallest probability, times the number of models asked (Bonferroni), is the day's. A day
/// dominated by one export (an admin's, an integration's nightly job) widens the spreads by
/// itself, so such accounts stay judged by what they do. A law that cannot describe the history
/// (its largest day an outlier under the law fitted to the others, [`tail::lognormal_fits`],
/// [`tail::upper_normal_fits`]: an admin's occasional bulk export among ordinary days) is not
/// asked, and the Pareto tail, which counts those precedents, judges alone; that choice depends
/// on the history only, so it needs no correction beyond the count of models asked.
fn volume_probability(
    kind: WindowKind,
    x: f64,
    tail: &TailModel,
    history: &[f64],
) -> (f64, VolumeModel) {
    let pareto = tail.survival(x, history);
    if kind != WindowKind::Day {
        return (pareto, VolumeModel::ParetoTail);
    }
    let laws: [DayLaw; 2] = [
        (
            tail::lognormal_fits,
            tail::lognormal_survival,
            VolumeModel::LogNormal,
        ),
        (
            tail::upper_normal_fits,
            tail::upper_normal_survival,
            VolumeModel::UpperNormal,
        ),
    ];
    let mut best = (pareto, VolumeModel::ParetoTail);
    let mut asked = 1.0;
    for (fits, survival, model) in laws {
        if !fits(history) {
            continue;
        }
        let Some(p) = survival(x, history) else {
            continue;
        };
        asked += 1.0;
        if p < best.0 {
            best = (p, model);
        }
    }
    ((asked * best.0).min(1.0), best.1)
}

/// Probability of a day's count of exports at or below which the day counts towards an
/// organisation's export day ([`export_days`]).
pub const EXPORT_DAY_P: f64 = 0.01;
/// Fewest export events in a day for the exports factor: a handful is what any user does on an
/// unusual day; the factor speaks to many.
pub const MIN_EXPORTS: u64 = 10;
/// Days of history at which an account's own dispersion of daily export counts weighs as much
/// as its source's ([`export_dispersions`]).
pub const DISPERSION_PRIOR_DAYS: f64 = 30.0;

/// The (source, local day)s on which more accounts made a heavy count of exports (the
/// exports factor's probability at most [`EXPORT_DAY_P`]) than chance would put on one day
/// ([`orgday::crowded_days`]): a regulator's request, a quarter's close; and the days next to
/// them ([`within_a_day_of`]). The exports factor is not asked on them.
fn export_days(
    jobs: &[(u32, &[Window])],
    daily: &[Window],
    events: &Names,
    dispersion: &HashMap<u32, f64>,
) -> HashSet<(u32, i32)> {
    let heavy = jobs.iter().flat_map(|&(a, windows)| {
        let r = dispersion.get(&source_in(events, a)).copied();
        windows.iter().filter_map(move |w| {
            let p = exports_probability(w, windows, r?)?;
            (p <= EXPORT_DAY_P).then_some((w.account, w.local_day))
        })
    });
    let days = orgday::crowded_days(heavy, daily, |a| source_in(events, a));
    if tracing::enabled!(tracing::Level::DEBUG) {
        let mut d: Vec<_> = days.iter().collect();
        d.sort_by_key(|(k, _)| **k);
        tracing::debug!(?d, "export days");
    }
    within_a_day_of(days.into_keys())
}

/// The (source, local day)s within a day of `days`: an organisation's day falls on two calendar
/// days where its staff work in several time zones or across midnight, as a day's band allows
/// for ([`outside_band`]).
fn within_a_day_of(days: impl Iterator<Item = (u32, i32)>) -> HashSet<(u32, i32)> {
    days.flat_map(|(s, d)| [(s, d - 1), (s, d), (s, d + 1)])
        .collect()
}

/// Mean and sample variance of `x` (`None` under two values).
fn mean_var(x: &[f64]) -> Option<(f64, f64)> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some((mean, var))
}

/// The negative binomial size `r` of daily export counts with mean `m` and variance `v` (method
/// of moments, `v = m + m^2 / r`); `None` without overdispersion.
fn nb_size(m: f64, v: f64) -> Option<f64> {
    (m > 0.0 && v > m).then(|| m * m / (v - m))
}

/// Per source, the median over its accounts (with [`MIN_HISTORY_DAYS`] days or more, some
/// overdispersion) of the negative binomial size of their daily export counts: the prior an
/// account's own size is shrunk towards.
fn export_dispersions(jobs: &[(u32, &[Window])], events: &Names) -> HashMap<u32, f64> {
    let mut sizes: HashMap<u32, Vec<f64>> = HashMap::new();
    for &(a, windows) in jobs {
        if windows.len() < MIN_HISTORY_DAYS {
            continue;
        }
        let counts: Vec<f64> = windows.iter().map(|w| w.exports as f64).collect();
        if let Some(r) = mean_var(&counts).and_then(|(m, v)| nb_size(m, v)) {
            sizes.entry(source_in(events, a)).or_default().push(r);
        }
    }
    sizes
        .into_iter()
        .filter_map(|(s, mut v)| {
            v.sort_by(f64::total_cmp);
            Some((s, quantile(&v, 0.5)?))
        })
        .collect()
}

/// Probability of at least `w`'s count of exports, under a negative binomial law of the
/// account's daily counts: its mean from the other days outside the band (with half an export
/// over one day as a prior, so a history without exports is no certainty), its size the
/// account's own shrunk towards the source's `prior` size (geometric mean, the account's
/// weighing `k / (k + DISPERSION_PRIOR_DAYS)` for `k` days). `None` under [`MIN_EXPORTS`] or a
/// history shorter than [`MIN_HISTORY_DAYS`].
fn exports_probability(w: &Window, windows: &[Window], prior: f64) -> Option<f64> {
    exports_test(w, windows, prior).map(|(p, _)| p)
}

/// [`exports_probability`] with the history it was judged against, asked only from
/// [`MIN_EXPORTS`] up (one gate for the export days and the factor).
fn exports_test(w: &Window, windows: &[Window], prior: f64) -> Option<(f64, Vec<f64>)> {
    let history = (w.exports >= MIN_EXPORTS).then(|| export_history(w, windows))?;
    let p = exports_tail(w.exports, &history, prior)?;
    Some((p, history))
}

/// Whether the negative binomial law of [`exports_tail`] is consistent with `sorted` (counts,
/// ascending): its largest count, judged against the others, is no outlier at
/// [`tail::LOGNORMAL_REJECT`] after the Bonferroni factor of the history's length
/// ([`tail::largest_fits`], as for the laws of daily volumes). An admin whose days hold a bulk
/// export's many exports among ordinary ones is a mixture the law cannot describe. A history
/// without exports fits.
fn exports_law_fits(sorted: &[f64], prior: f64) -> bool {
    let survival = |top: f64, others: &[f64]| {
        (top > 0.0)
            .then(|| exports_tail(top as u64, others, prior))
            .flatten()
    };
    tail::largest_fits(sorted, survival, sorted.len())
}

/// The export counts of the account's days other than `w`'s, outside the band.
fn export_history(w: &Window, windows: &[Window]) -> Vec<f64> {
    windows
        .iter()
        .filter(|h| outside_band(w, h))
        .map(|h| h.exports as f64)
        .collect()
}

/// [`exports_probability`] of `count` exports against the counts of `history`.
fn exports_tail(count: u64, history: &[f64], prior: f64) -> Option<f64> {
    let k = history.len();
    if k < MIN_HISTORY_DAYS {
        return None;
    }
    let (m, v) = mean_var(history)?;
    let mean = (history.iter().sum::<f64>() + 0.5) / (k as f64 + 1.0);
    let own = nb_size(m, v).unwrap_or(prior);
    let weight = k as f64 / (k as f64 + DISPERSION_PRIOR_DAYS);
    let size = (weight * own.ln() + (1.0 - weight) * prior.ln()).exp();
    // P(N >= x) = I_{mean / (size + mean)}(x, size), the regularised incomplete beta; never 0,
    // so that its logarithm is a score.
    Some(
        statrs::function::beta::beta_reg(count as f64, size, mean / (size + mean))
            .max(f64::MIN_POSITIVE),
    )
}

/// The exports measure of a day ([`exports_test`]) as a volume baseline.
fn exports_baseline(w: &Window, windows: &[Window], prior: f64) -> Option<VolumeBaseline> {
    let (p, mut history) = exports_test(w, windows, prior)?;
    history.sort_by(f64::total_cmp);
    if !exports_law_fits(&history, prior) {
        return None;
    }
    Some(VolumeBaseline {
        scope: Scope::Account,
        measure: Measure::Exports,
        windows: history.len(),
        median: quantile(&history, 0.5).unwrap_or(0.0),
        p99: quantile(&history, 0.99).unwrap_or(0.0),
        tail_probability: p,
        model: VolumeModel::NegativeBinomial,
    })
}

/// Largest volume probability (records or bytes) of a day at which its count of exports is
/// asked as a measure: many exports of little are no bulk theft.
pub const EXPORTS_VOLUME_P: f64 = 0.1;

/// Most the exports factor adds.
pub const EXPORTS_CAP: f64 = 1.5;

/// The exports factor of a day: its count of export events against the account's other days
/// outside the band ([`exports_probability`]).
fn exports_factor(w: &Window, windows: &[Window], prior: f64) -> Option<Reason> {
    let (p, mut history) = exports_test(w, windows, prior)?;
    let contribution = (-p.log10()).clamp(0.0, EXPORTS_CAP);
    history.sort_by(f64::total_cmp);
    let typical = quantile(&history, 0.5).unwrap_or(0.0);
    (contribution > 0.0).then_some(Reason {
        factor: Factor::Exports,
        contribution,
        observed: w.exports as f64,
        typical,
    })
}

/// Other accounts' windows of the same source and kind, when there are enough of them.
fn population_history(ctx: &Context<'_>, account: u32, kind: WindowKind, m: Measure) -> Vec<f64> {
    if !population_suffices(ctx, account, kind, m) {
        return Vec::new();
    }
    let all = ctx.population.get(&(source_of(ctx, account), kind, m));
    all.into_iter()
        .flatten()
        .filter(|(a, _)| *a != account)
        .map(|(_, x)| *x)
        .collect()
}

/// Whether the other accounts of `account`'s source hold at least [`MIN_POPULATION_WINDOWS`]
/// windows from at least [`MIN_POPULATION_ACCOUNTS`] accounts.
fn population_suffices(ctx: &Context<'_>, account: u32, kind: WindowKind, m: Measure) -> bool {
    let Some(&(windows, accounts)) = ctx.population_size.get(&(source_of(ctx, account), kind, m))
    else {
        return false;
    };
    let own = ctx
        .own_windows
        .get(&(account, kind, m))
        .copied()
        .unwrap_or(0);
    windows - own >= MIN_POPULATION_WINDOWS
        && accounts - usize::from(own > 0) >= MIN_POPULATION_ACCOUNTS
}

fn source_of(ctx: &Context<'_>, account: u32) -> u32 {
    source_in(ctx.events, account)
}

/// The source code of `account` in `events` (0 when unknown).
fn source_in(events: &Names, account: u32) -> u32 {
    events
        .accounts
        .get(account as usize)
        .map_or(0, |k| k.source)
}

/// The objects factor: the stronger of breadth and new objects, its probability doubled
/// (Bonferroni). The two measure one thing where every object is new (S3 keys, file names:
/// every distinct object of a window is also new), so they are never added.
fn objects(w: &Window, windows: &[Window], cfg: &DetectConfig) -> Option<Reason> {
    let best = [breadth(w, windows, cfg), new_objects(w, windows)]
        .into_iter()
        .flatten()
        .max_by(|a, b| a.contribution.total_cmp(&b.contribution))?;
    let contribution = best.contribution - 2f64.log10();
    (contribution >= 1.0).then_some(Reason {
        contribution,
        ..best
    })
}

/// Adds the objects factor (`objects`) and the off-hours, novelty and dormancy factors to a
/// window's volume surprise; `precedents` gives its off-hours precedents
/// ([`OffHoursPrecedent`]), asked only when the hour is one the account rarely works.
/// The severity is set later, from the run's alert line.
fn score_window(
    w: &Window,
    baseline: VolumeBaseline,
    objects: Option<Reason>,
    ctx: &Context<'_>,
    precedents: impl FnOnce() -> OffHoursPrecedent,
) -> Finding {
    let volume_score = (-baseline.tail_probability.log10()).max(0.0);
    let observed = baseline.measure.of(w).unwrap_or(0) as f64;
    let mut reasons = vec![Reason {
        factor: Factor::Volume,
        contribution: volume_score,
        observed,
        typical: baseline.median,
    }];
    reasons.extend(objects);
    let exclude = (w.local_day - 1)..=(w.local_day + 1);

    let mut hour_rate = None;
    let mut off_hours_precedent = None;
    if w.kind == WindowKind::Hour {
        if let Some(p) = ctx.profiles.get(&w.account) {
            let r = p.rate(
                w.local_hour,
                w.local_weekday,
                exclude.clone(),
                &ctx.population_hours,
            );
            if -r.rate.log10() >= OFF_HOURS_MIN {
                let precedent = precedents();
                let typical = precedent.share().map_or(r.rate, |q| q.max(r.rate));
                let contribution = (-typical.log10()).clamp(0.0, OFF_HOURS_CAP);
                if contribution >= OFF_HOURS_MIN {
                    reasons.push(Reason {
                        factor: Factor::OffHours,
                        contribution,
                        observed: 1.0,
                        typical,
                    });
                }
                off_hours_precedent = Some(precedent);
            }
            hour_rate = Some(r);
        }
    }
    if let Some(nd) = ctx.novel_days.get(&w.account) {
        let other_days = nd.active.iter().filter(|d| !exclude.contains(d)).count() as f64;
        let outside_ips = brings_outside_address(w, ctx.routine_ips);
        for (new, days, factor) in [
            (&w.new_ips, &nd.ip, Factor::NewIp),
            (&w.new_clients, &nd.client, Factor::NewClient),
        ] {
            if new.is_empty() || (factor == Factor::NewIp && !outside_ips) {
                continue;
            }
            let s = days.iter().filter(|d| !exclude.contains(d)).count() as f64;
            let q = (s + 1.0) / (other_days + 2.0);
            let contribution = (-q.log10()).clamp(0.0, NOVELTY_CAP);
            reasons.push(Reason {
                factor,
                contribution,
                observed: new.len() as f64,
                typical: q,
            });
        }
        let absences = ctx.absences.get(&source_of(ctx, w.account));
        if let Some(r) = dormancy(w.local_day, &nd.active, absences.map_or(&[], |v| v)) {
            reasons.push(r);
        }
    }
    reasons.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    let score = reasons.iter().map(|r| r.contribution).sum::<f64>();
    Finding {
        window: w.clone(),
        score,
        severity: Severity::Low,
        baseline,
        hour_rate,
        reasons,
        run: None,
        ring: None,
        busy_day: None,
        month_close: None,
        peer_day: None,
        off_hours_precedent,
    }
}

/// Whether `ip` is one of the organisation's own addresses: at least
/// [`ORG_ADDRESS_MIN_ACCOUNTS`] accounts use it routinely (an office NAT, a VPN egress; an
/// address new to an account is never routine for it, so these are all *other* accounts).
///
/// Such an address, new to an account, is no evidence of an outsider: staff move between
/// offices and onto the VPN, and an attacker outside the organisation does not come from its
/// egress (one inside it, on its network, brings no new address either way). So the new-IP
/// factor counts only addresses that are not the organisation's, and only those bar a shared
/// tool's baseline ([`brings_outside_address`]). On the 47 tenants of both
/// generators this found two more thefts and raised one false alert fewer: those addresses'
/// windows had raised the alert line. It is not done for clients: a client many accounts use
/// is as often a bulk tool new to a role as a browser update (tried on top of addresses:
/// four thefts fewer, the same false alerts).
fn is_org_address(ip: u32, routine_ips: &Routine) -> bool {
    routine_ips.accounts(ip) >= ORG_ADDRESS_MIN_ACCOUNTS
}

/// Whether `w` brings an address new to its account that is not the organisation's
/// ([`is_org_address`]): what the new-IP factor scores, and what bars a shared tool's baseline
/// ([`tool_for`]).
fn brings_outside_address(w: &Window, routine_ips: &Routine) -> bool {
    w.new_ips.iter().any(|&ip| !is_org_address(ip, routine_ips))
}

/// The new-objects factor: the window read objects the account reads nowhere else (a stolen
/// token sweeping objects its integration never touches). With `k` new objects and the
/// account's `n` windows outside the band, the probability of a window bringing at least `k`
/// is the Laplace estimate `(#windows with >= k + 1) / (n + 2)`: empirical, because discovery
/// comes in bursts (a nightly job writing new files every night is its own norm). Capped at
/// [`NEW_OBJECTS_CAP`].
fn new_objects(w: &Window, windows: &[Window]) -> Option<Reason> {
    let k = w.new_objects.len();
    if k == 0 {
        return None;
    }
    let (mut n, mut at_least) = (0u32, 0u32);
    for h in windows.iter().filter(|h| outside_band(w, h)) {
        n += 1;
        at_least += u32::from(h.new_objects.len() >= k);
    }
    let q = (f64::from(at_least) + 1.0) / (f64::from(n) + 2.0);
    let contribution = (-q.log10()).clamp(0.0, NEW_OBJECTS_CAP);
    (contribution >= 1.0).then_some(Reason {
        factor: Factor::NewObjects,
        contribution,
        observed: k as f64,
        typical: q,
    })
}

/// The breadth factor: the window read more distinct objects than the account's *bulk* windows
/// usually do (a stolen token sweeping many objects). With `d` distinct objects and the
/// account's `n` other bulk windows (reaching the bulk floor on records or bytes) outside the
/// band, the probability of one reading at least `d` is the Laplace estimate
/// `(#windows with >= d + 1) / (n + 2)`: empirical, no extrapolation beyond what the history
/// can support. Only from [`BREADTH_MIN_OBJECTS`] objects up.
///
/// Conditioning on bulk windows keeps breadth from counting the volume again: a bulk export
/// reads more objects than a lookup does, so against all windows every large export of an
/// account would look broad (an admin's weekly export of four objects among hours of
/// single-object lookups). Against its other bulk windows, breadth asks only whether this
/// export is broader than the account's exports are.
fn breadth(w: &Window, windows: &[Window], cfg: &DetectConfig) -> Option<Reason> {
    let d = w.distinct_objects;
    if d < BREADTH_MIN_OBJECTS {
        return None;
    }
    let (mut n, mut at_least) = (0u32, 0u32);
    for h in windows
        .iter()
        .filter(|h| is_bulk(h, cfg) && outside_band(w, h))
    {
        n += 1;
        at_least += u32::from(h.distinct_objects >= d);
    }
    let q = (f64::from(at_least) + 1.0) / (f64::from(n) + 2.0);
    let contribution = -q.log10();
    (contribution >= 1.0).then_some(Reason {
        factor: Factor::Breadth,
        contribution,
        observed: f64::from(d),
        typical: q,
    })
}

/// The dormancy factor: the window's day comes after a gap in the account's activity longer
/// than its gaps usually are *and* longer than absences usually are across the organisation.
///
/// With `g` the days since the account's previous active day, two Laplace estimates of the
/// chance of a gap at least this long:
/// - the account's own: `(#gaps >= g + 1) / (#gaps + 2)` over its other gaps between
///   consecutive active days;
/// - the organisation's: among the other accounts' absences (gaps of more than
///   [`DORMANT_MIN_DAYS`], `absences`: every account's of the source, sorted, this account's
///   own taken out), `(#absences >= g + 1) / (#absences + 2)`.
///
/// The larger is the factor's probability. An account that never paused shows no gap in its own
/// history, yet a fortnight's leave is ordinary where many take one; a departed account's return
/// after months is rare by both. Only gaps of more than [`DORMANT_MIN_DAYS`] count (a long
/// weekend is no dormancy). Capped at [`DORMANT_CAP`].
fn dormancy(day: i32, active: &[i32], absences: &[i32]) -> Option<Reason> {
    let i = active.partition_point(|&d| d < day);
    let previous = *active.get(i.checked_sub(1)?)?;
    let gap = day - previous;
    if gap <= DORMANT_MIN_DAYS {
        return None;
    }
    let gaps: Vec<(usize, i32)> = active.windows(2).map(|p| p[1] - p[0]).enumerate().collect();
    let others = gaps.iter().filter(|&&(j, _)| j + 1 != i); // not the gap being scored
    let longer = others.clone().filter(|&&(_, g)| g >= gap).count() as f64;
    let own = (longer + 1.0) / (others.count() as f64 + 2.0);
    // The pool holds this account's absences too: count them out.
    let own_absences = gaps.iter().filter(|&&(_, g)| g > DORMANT_MIN_DAYS);
    let own_n = own_absences.clone().count();
    let own_longer = own_absences.filter(|&&(_, g)| g >= gap).count();
    let pool_longer = absences.len() - absences.partition_point(|&g| g < gap);
    let org = (pool_longer.saturating_sub(own_longer) as f64 + 1.0)
        / (absences.len().saturating_sub(own_n) as f64 + 2.0);
    let q = own.max(org);
    let contribution = (-q.log10()).clamp(0.0, DORMANT_CAP);
    (contribution >= 1.0).then_some(Reason {
        factor: Factor::Dormant,
        contribution,
        observed: f64::from(gap),
        typical: q,
    })
}

/// Per source, every account's absences (gaps between consecutive active days of more than
/// [`DORMANT_MIN_DAYS`]), sorted: the organisation's side of [`dormancy`].
fn absences_by_source(
    novel_days: &HashMap<u32, NovelDays>,
    events: &Names,
) -> HashMap<u32, Vec<i32>> {
    let mut out: HashMap<u32, Vec<i32>> = HashMap::new();
    for (account, nd) in novel_days {
        let source = source_in(events, *account);
        out.entry(source).or_default().extend(
            nd.active
                .windows(2)
                .map(|p| p[1] - p[0])
                .filter(|&g| g > DORMANT_MIN_DAYS),
        );
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    out
}

/// Findings of one account merged into one incident: adjacent or overlapping hourly findings
/// join; a daily finding that overlaps an hourly incident joins it (its evidence may be the stronger)
/// without widening it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub account: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The findings it is made of, hourly first, in time order.
    pub findings: Vec<Finding>,
}

impl Incident {
    /// The finding with the highest score: its baseline and reasons explain the incident.
    pub fn lead(&self) -> &Finding {
        self.findings
            .iter()
            .max_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then(b.window.start_ms.cmp(&a.window.start_ms))
            })
            .expect("an incident has at least one finding")
    }
}

/// Groups findings into incidents, ordered by (account, start); `high` is the run's alert line
/// ([`AlertLine::high`]), for the severity of a day that takes on its hours' off-hours factor.
pub fn incidents(findings: &[Finding], high: f64) -> Vec<Incident> {
    let mut out: Vec<Incident> = Vec::new();
    let mut sorted: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.window.kind == WindowKind::Hour)
        .collect();
    sorted.sort_by_key(|f| (f.window.account, f.window.start_ms));
    for f in sorted {
        match out.last_mut() {
            Some(i) if i.account == f.window.account && f.window.start_ms <= i.end_ms => {
                i.end_ms = i.end_ms.max(f.window.end_ms);
                i.findings.push(f.clone());
            }
            _ => out.push(Incident {
                account: f.window.account,
                start_ms: f.window.start_ms,
                end_ms: f.window.end_ms,
                findings: vec![f.clone()],
            }),
        }
    }
    let hourly_count = out.len();
    for f in findings.iter().filter(|f| f.window.kind == WindowKind::Day) {
        let overlaps = out[..hourly_count].iter_mut().find(|i| {
            i.account == f.window.account
                && i.start_ms < f.window.end_ms
                && f.window.start_ms < i.end_ms
        });
        if let Some(i) = overlaps {
            // The day's evidence joins the incident (it may be the stronger); the incident
            // keeps its hours, and the day carries their off-hours factor, since that is when
            // its volume was read.
            let mut f = f.clone();
            let hours = i
                .findings
                .iter()
                .filter(|h| h.window.kind == WindowKind::Hour);
            let off = hours
                .filter_map(|h| {
                    let r = h.reasons.iter().find(|r| r.factor == Factor::OffHours)?;
                    Some((r.clone(), h.hour_rate, h.off_hours_precedent))
                })
                .max_by(|a, b| a.0.contribution.total_cmp(&b.0.contribution));
            if let Some((r, rate, precedent)) = off {
                f.score += r.contribution;
                f.reasons.push(r);
                f.reasons
                    .sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
                f.hour_rate = rate;
                f.off_hours_precedent = precedent;
                f.severity = Severity::from_score(f.score, high).unwrap_or(f.severity);
            }
            i.findings.push(f);
        } else {
            out.push(Incident {
                account: f.window.account,
                start_ms: f.window.start_ms,
                end_ms: f.window.end_ms,
                findings: vec![f.clone()],
            });
        }
    }
    // A run of heavy days is its own incident: its evidence is the days together, on its own
    // scale (an exact probability with its own line), not one more factor of an hour or a day.
    for f in findings.iter().filter(|f| f.window.kind == WindowKind::Run) {
        out.push(Incident {
            account: f.window.account,
            start_ms: f.window.start_ms,
            end_ms: f.window.end_ms,
            findings: vec![f.clone()],
        });
    }
    out.sort_by_key(|i| (i.account, i.start_ms, i.end_ms));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{compute, FeatureConfig};
    use crate::ingest::event::{EventTable, RawEvent};
    use crate::ingest::time::{parse_timestamp, DAY_MS, HOUR_MS};

    const JAN06: &str = "2025-01-06T00:00:00Z"; // a Monday

    struct Ev {
        t: i64,
        account: &'static str,
        records: i64,
        ip: &'static str,
        client: &'static str,
    }

    fn run(evs: &[Ev]) -> (EventTable, Detection) {
        run_reading(evs, |_| "Contact")
    }

    /// As [`run`], each event reading the object `object_of` its account.
    fn run_reading(
        evs: &[Ev],
        object_of: impl Fn(&str) -> &'static str,
    ) -> (EventTable, Detection) {
        run_acting(evs, object_of, |_| "")
    }

    /// As [`run_reading`], the `i`th event's action `action_of(i)`.
    fn run_acting(
        evs: &[Ev],
        object_of: impl Fn(&str) -> &'static str,
        action_of: impl Fn(usize) -> &'static str,
    ) -> (EventTable, Detection) {
        let mut t = EventTable::default();
        let f = t.add_file("t.csv");
        let s = t.source_code("generic");
        for (i, e) in evs.iter().enumerate() {
            let raw = RawEvent {
                time_ms: e.t,
                account: e.account,
                action: action_of(i),
                object: object_of(e.account),
                records: Some(e.records),
                src_ip: e.ip,
                client: e.client,
                ..Default::default()
            };
            t.push(s, f, &raw);
        }
        let feats = compute(&t, &FeatureConfig::default()).unwrap();
        let d = detect(&feats, &t, &DetectConfig::default());
        (t, d)
    }

    /// An office worker: weekdays 09:00-17:00, one event per hour of `records` records.
    fn office(account: &'static str, days: i64, records: impl Fn(i64, i64) -> i64) -> Vec<Ev> {
        let t0 = parse_timestamp(JAN06).unwrap();
        let mut v = Vec::new();
        for d in 0..days {
            if d % 7 >= 5 {
                continue;
            }
            for h in 9..17 {
                v.push(Ev {
                    t: t0 + d * DAY_MS + h * HOUR_MS + 600_000,
                    account,
                    records: records(d, h),
                    ip: "198.51.100.7",
                    client: "Chrome/131",
                });
            }
        }
        v
    }

    fn theft(account: &'static str, day: i64, records: i64) -> Ev {
        let t0 = parse_timestamp(JAN06).unwrap();
        Ev {
            t: t0 + day * DAY_MS + 2 * HOUR_MS + 900_000,
            account,
            records,
            ip: "185.220.101.47",
            client: "python-requests/2.31.0",
        }
    }

    #[test]
    fn no_events_no_findings() {
        let (_, d) = run(&[]);
        assert!(d.findings.is_empty() && d.unscored.is_empty());
        assert_eq!(d.windows, 0);
    }

    #[test]
    fn a_theft_on_the_first_day_is_found_with_evidence() {
        // Volumes vary 20..=90 by hour and day; the theft is 50,000 records at 02:15 on day 0.
        let mut evs = office("maria", 28, |d, h| 20 + (d * 7 + h * 3) % 71);
        evs.push(theft("maria", 0, 50_000));
        let (t, d) = run(&evs);
        let inc = incidents(&d.findings, d.line.high);
        assert_eq!(inc.len(), 1, "{:#?}", d.findings);
        let lead = inc[0].lead();
        assert_eq!(t.account_name(inc[0].account), "maria");
        assert_eq!(
            lead.window.start_ms,
            parse_timestamp("2025-01-06T02:00:00Z").unwrap()
        );
        assert!(lead.severity >= Severity::High, "{lead:#?}");
        assert_eq!(lead.baseline.scope, Scope::Account);
        // The band of +-24h around 02:00 on day 0 leaves out day 0's eight office hours.
        assert_eq!(lead.baseline.windows, 20 * 8 - 8);
        let factors: Vec<Factor> = lead.reasons.iter().map(|r| r.factor).collect();
        for f in [
            Factor::Volume,
            Factor::OffHours,
            Factor::NewIp,
            Factor::NewClient,
        ] {
            assert!(factors.contains(&f), "{f:?} missing from {factors:?}");
        }
        assert!(lead.baseline.median >= 20.0 && lead.baseline.median <= 90.0);
    }

    #[test]
    fn days_of_an_organisation_wide_busy_day_are_judged_net_of_it() {
        // Forty office accounts over four weeks, 120-190 records an hour (so that no hour is a
        // bulk export, even five-fold); on day 15 thirty of them read three times their usual,
        // nine five times, and one (a39) three times plus 50,000 records at 02:15. Many day
        // findings on one day where the other days hold none is a busy day
        // (orgday::busy_days), and its effect is the median account's rise, ln 3, less two
        // standard errors of that median (the accounts' days vary a little): a factor a little
        // under 3.
        let names: Vec<&'static str> = (0..40)
            .map(|i| &*Box::leak(format!("a{i:02}").into_boxed_str()))
            .collect();
        let mut evs: Vec<Ev> = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let rise = if (30..39).contains(&i) { 5 } else { 3 };
            evs.extend(office(n, 28, move |d, h| {
                let base = 120 + (d * 7 + h * 3 + i as i64) % 71;
                if d == 15 {
                    rise * base
                } else {
                    base
                }
            }));
        }
        evs.push(theft("a39", 15, 50_000));
        evs.sort_by_key(|e| e.t);
        let (t, d) = run(&evs);
        let day15: Vec<&Finding> = d
            .findings
            .iter()
            // Local days count from 1970-01-01: 2025-01-06 is day 20,094.
            .filter(|f| f.window.kind == WindowKind::Day && f.window.local_day == 15 + 20_094)
            .collect();
        assert!(!day15.is_empty(), "{:#?}", d.findings);
        for f in &day15 {
            let b = f.busy_day.expect("judged net of the busy day");
            assert!(b.factor > 2.5 && b.factor < 3.0, "{b:?}");
            let name = t.account_name(f.window.account);
            if name == "a39" {
                assert!(f.severity >= Severity::High, "{f:#?}");
            } else {
                // Five times the usual on a three-fold day is under twice it net.
                assert!(f.severity < Severity::High, "{name}: {f:#?}");
            }
        }
        assert!(day15
            .iter()
            .any(|f| t.account_name(f.window.account) == "a39"));
        // An alert led by such a day says so, in the record and in the sentence.
        let thief_day = day15[0];
        let inc = Incident {
            account: thief_day.window.account,
            start_ms: thief_day.window.start_ms,
            end_ms: thief_day.window.end_ms,
            findings: vec![thief_day.clone()],
        };
        let none = crate::features::Features::default();
        let a = &crate::alert::build(&[inc], &t, &none, &chrono_tz::UTC, Severity::Low)[0];
        let f = a.baseline.busy_day_factor.expect("in the record");
        assert!(f > 2.5 && f < 3.0, "{a:?}");
        // The first pass's day findings on day 15: at least the nine five-fold accounts'
        // besides the thief's.
        let others = thief_day.busy_day.unwrap().others;
        assert!(others >= 9, "{others}");
        let said = format!("Judged net of an organisation-wide busy day: {others} other accounts");
        assert!(a.explanation.contains(&said), "{}", a.explanation);
    }

    /// Accounts' windows by account: (account, range of its windows).
    type Groups = Vec<(u32, std::ops::Range<usize>)>;

    /// 140 accounts over 30 days reading `records(account, day)`; 0-99 are peer group 7 (of
    /// source 1), 100-139 group 8: their daily windows, grouped by account, and the peer days.
    fn peer_tenant(records: impl Fn(u32, i32) -> i64) -> (Vec<Window>, Groups, cohort::PeerDays) {
        let mut daily = Vec::new();
        let mut groups = Vec::new();
        for a in 0..140u32 {
            let start = daily.len();
            for d in 0..30 {
                daily.push(Window::test_day(a, d, records(a, d)));
            }
            groups.push((a, start..daily.len()));
        }
        let peers = cohort::peer_days(&daily, &groups, |a| vec![(1, if a < 100 { 7 } else { 8 })]);
        (daily, groups, peers)
    }

    /// A run of three heavy days, 20-22, of 10,000 records or more, against a median of 1,000.
    fn run_over_days_20_to_22(account: u32) -> Finding {
        Finding {
            window: Window {
                kind: WindowKind::Run,
                end_ms: 23 * DAY_MS,
                ..Window::test_day(account, 20, 30_000)
            },
            score: 5.0,
            severity: Severity::Low,
            baseline: VolumeBaseline {
                scope: Scope::Account,
                measure: Measure::Records,
                windows: 30,
                median: 1_000.0,
                p99: 10_000.0,
                tail_probability: 1e-5,
                model: VolumeModel::RunTest,
            },
            hour_rate: None,
            reasons: vec![],
            run: Some(runs::RunEvidence {
                heavy_days: 3,
                days: 3,
                threshold: 10_000.0,
                days_at_least: 3,
                active_days: 30,
                shared_accounts: 0,
                shared_expected: 0.0,
                period: false,
                peer_days: 0,
                peer_object: None,
                org: None,
            }),
            ring: None,
            busy_day: None,
            month_close: None,
            peer_day: None,
            off_hours_precedent: None,
        }
    }

    #[test]
    fn a_run_whose_heavy_days_were_its_groups_busy_days_is_held_at_medium() {
        // 140 accounts read 1,000 records on each of 30 days; 0-99 are peer group 7, 100-139
        // group 8. On days 20 and 21 accounts 0-19 read 10,000: of group 7's 100, 20 heavy
        // where the others' share (account 120, below, is heavy those days too: 1 of 40,
        // smoothed 2/42) gives 4.8, so (20 - 4.8) / 100 = 15% took part, each ten times its
        // usual: busy days of group 7. Accounts 0 and 120 also read 10,000 on day 22, so each
        // has three heavy days, 20-22.
        let (daily, groups, peers) = peer_tenant(|a, d| {
            let heavy = (a < 20 && (d == 20 || d == 21))
                || ((a == 0 || a == 120) && (20..=22).contains(&d));
            if heavy {
                10_000
            } else {
                1_000
            }
        });
        let run_of = run_over_days_20_to_22;
        // Account 0's days 20 and 21 were its group's: net of the ten-fold effect they read
        // 1,001 records, under twice its median day, so one heavy day is left: no run.
        let mut f = run_of(0);
        mark_peer_days(&mut f, &daily, &groups, &peers);
        let e = f.run.unwrap();
        assert_eq!((e.peer_days, e.peer_object), (2, Some(7)));
        assert!(e.held());
        // Account 120's group was not busy: its run stands.
        let mut f = run_of(120);
        mark_peer_days(&mut f, &daily, &groups, &peers);
        let e = f.run.unwrap();
        assert_eq!((e.peer_days, e.peer_object), (0, None));
        assert!(!e.held());
    }

    #[test]
    fn a_member_that_read_more_than_the_typical_participant_still_took_part() {
        // As above, but on days 20 and 21 accounts 0-19 of group 7 read 4,000 to 23,000 records
        // (4 to 23 times their usual, by account): participants rise by different multiples.
        // Account 19, the one that rose most, also reads 10,000 on day 22. Its days 20 and 21
        // are above the group's effect (a low estimate of the typical rise, about 10-fold) by
        // more than twice its median, but within how far participants went (the 90th
        // percentile, about 21-fold): they were its group's, and the run is held.
        let (daily, groups, peers) = peer_tenant(|a, d| match (a, d) {
            (0..20, 20 | 21) => 1_000 * (4 + i64::from(a)),
            (19, 22) => 10_000,
            _ => 1_000,
        });
        let day20 = &daily[groups[19].1.start + 20];
        let (effect, _) = peers.effect(day20, Measure::Records).expect("a busy day");
        let reach = peers.reach(day20, Measure::Records).expect("a busy day");
        let median = 1_000.0;
        assert!(
            23_000.0 / effect.exp() >= runs::RUN_GATE * median,
            "{}",
            effect.exp()
        );
        assert!(
            23_000.0 / reach.exp() < runs::RUN_GATE * median,
            "{}",
            reach.exp()
        );
        let mut f = run_over_days_20_to_22(19);
        mark_peer_days(&mut f, &daily, &groups, &peers);
        let e = f.run.unwrap();
        assert_eq!((e.peer_days, e.peer_object), (2, Some(7)));
        assert!(e.held());
    }

    #[test]
    fn a_day_on_a_busy_day_of_its_peer_group_is_weighed_against_the_groups_rise() {
        // Sixty office accounts over four weeks, 120-190 records an hour (no hour is a bulk
        // export, even five-fold; a day, about 1,240 records, is). Twenty ("m00"-"m19") read
        // Campaign, forty ("c00"-"c39") Contact. On day 15, twelve of the Campaign readers
        // (m00-m11) read five times their usual: a campaign. m19, from its usual address and
        // client, also reads 40,000 records at 11:30 that day: an insider.
        let name = |p: &str, i: usize| &*Box::leak(format!("{p}{i:02}").into_boxed_str());
        let mut evs: Vec<Ev> = Vec::new();
        for (p, n) in [("m", 20), ("c", 40)] {
            for i in 0..n {
                let rise = if p == "m" && i < 12 { 5 } else { 1 };
                evs.extend(office(name(p, i), 28, move |d, h| {
                    let base = 120 + (d * 7 + h * 3 + i as i64) % 71;
                    if d == 15 {
                        rise * base
                    } else {
                        base
                    }
                }));
            }
        }
        let t0 = parse_timestamp(JAN06).unwrap();
        evs.push(Ev {
            t: t0 + 15 * DAY_MS + 11 * HOUR_MS + 1_800_000,
            account: "m19",
            records: 40_000,
            ip: "198.51.100.7",
            client: "Chrome/131",
        });
        evs.sort_by_key(|e| e.t);
        // Local days count from 1970-01-01: 2025-01-06 is day 20,094.
        let day15 = |t: &EventTable, d: &Detection| -> Vec<(String, Finding)> {
            d.findings
                .iter()
                .filter(|f| f.window.kind == WindowKind::Day && f.window.local_day == 15 + 20_094)
                .map(|f| (t.account_name(f.window.account).to_owned(), f.clone()))
                .collect()
        };
        // Read as one group (everyone reads Contact), the campaign's days are high: each is
        // five times a flat history.
        let (t, d) = run(&evs);
        let flat = day15(&t, &d);
        let high = |v: &[(String, Finding)]| {
            v.iter()
                .filter(|(n, f)| n.as_str() != "m19" && f.severity >= Severity::High)
                .count()
        };
        assert!(high(&flat) >= 6, "{flat:#?}");
        // As two groups: of the twenty Campaign readers, thirteen are heavy (the twelve and
        // m19) where the forty others' share, Laplace-smoothed 1/42, would give 0.48; so
        // (13 - 0.48) / 20 = 62.6% took part, and the heavy members' median rise is the
        // campaign's five-fold (a little less after two standard errors).
        let (t, d) = run_reading(&evs, |a| {
            if a.starts_with('m') {
                "Campaign"
            } else {
                "Contact"
            }
        });
        let weighed = day15(&t, &d);
        assert_eq!(high(&weighed), 0, "{weighed:#?}");
        let (_, thief) = weighed
            .iter()
            .find(|(n, _)| n.as_str() == "m19")
            .expect("the insider's day is a finding");
        assert!(thief.severity >= Severity::High, "{thief:#?}");
        let p = thief.peer_day.expect("weighed against the busy day");
        assert_eq!((p.active, p.heavy), (20, 13));
        assert!((p.expected - 20.0 / 42.0).abs() < 1e-9, "{p:?}");
        assert!(
            (p.share - (13.0 - 20.0 / 42.0) / 20.0).abs() < 1e-9,
            "{p:?}"
        );
        assert!(p.factor > 4.0 && p.factor <= 5.0, "{p:?}");
        // The alert says so, in the record and in the sentence.
        let a = alert_of(&t, thief.clone());
        assert_eq!(a.baseline.peer_day_share, Some(0.626));
        let said = "Weighed against a busy day of its peer group (the accounts that read Campaign much of the time): 13 of its 20 active accounts had a heavy day on this date (about 0.5 expected";
        assert!(a.explanation.contains(said), "{}", a.explanation);
        assert!(
            a.explanation
                .contains("so about 63% of the group took part"),
            "{}",
            a.explanation
        );
    }

    /// The alert of one finding alone.
    fn alert_of(t: &EventTable, f: Finding) -> crate::alert::Alert {
        let inc = Incident {
            account: f.window.account,
            start_ms: f.window.start_ms,
            end_ms: f.window.end_ms,
            findings: vec![f],
        };
        let none = crate::features::Features::default();
        crate::alert::build(&[inc], t, &none, &chrono_tz::UTC, Severity::Low).remove(0)
    }

    #[test]
    fn a_day_of_many_exports_with_a_shared_tool_is_not_judged_by_its_count() {
        // Office workers over five weeks (weekdays 09:00-17:00, 500-899 records an hour).
        // `admins` of them also run "Dataloader/60.0" bulk exports at 20:15 on six days each,
        // 30 batches of 10,000 records: the tool's uses. On day 16 "newadm" exports 24 batches
        // of `each` records with it, from its usual address, at 14:00.
        let t0 = parse_timestamp(JAN06).unwrap();
        const ADMINS: [&str; 4] = ["adm0", "adm1", "adm2", "adm3"];
        let tenant = |admins: usize, each: i64| {
            let ordinary = |d: i64, h: i64| 500 + (d * 7 + h * 3) % 400;
            let lookup = |e: Ev| (e, "view");
            let mut evs: Vec<(Ev, &str)> = office("newadm", 35, ordinary)
                .into_iter()
                .map(lookup)
                .collect();
            for (i, &a) in ADMINS[..admins].iter().enumerate() {
                evs.extend(office(a, 35, ordinary).into_iter().map(lookup));
                for day in [1, 5, 8, 12, 22, 26] {
                    evs.extend((0..30).map(|k| {
                        let ev = Ev {
                            t: t0 + (day + i as i64) * DAY_MS + 20 * HOUR_MS + 900_000 + k * 60_000,
                            account: a,
                            records: 10_000,
                            ip: "198.51.100.7",
                            client: "Dataloader/60.0",
                        };
                        (ev, "BulkExport")
                    }));
                }
            }
            evs.extend((0..24).map(|k| {
                let ev = Ev {
                    t: t0 + 16 * DAY_MS + 14 * HOUR_MS + k * 60_000,
                    account: "newadm",
                    records: each,
                    ip: "198.51.100.7",
                    client: "Dataloader/60.0",
                };
                (ev, "BulkExport")
            }));
            evs.sort_by_key(|(e, _)| e.t);
            let actions: Vec<&str> = evs.iter().map(|(_, a)| *a).collect();
            let evs: Vec<Ev> = evs.into_iter().map(|(e, _)| e).collect();
            let (t, d) = run_acting(&evs, |_| "Contact", |i| actions[i]);
            let newadm = (0..t.names.accounts.len() as u32)
                .find(|&a| t.names.account_name(a) == "newadm")
                .unwrap();
            d.findings.into_iter().find(|f| {
                f.window.account == newadm
                    && f.window.kind == WindowKind::Day
                    && f.window.local_day == (t0 / DAY_MS) as i32 + 16
            })
        };
        // Four accounts use the tool routinely: a shared tool. 24 batches of 25,000 (600,000
        // records, about twice what its users move with it in a day, a median of 304,748): no
        // finding against them, and the count of its batches, which says how the tool works,
        // is not asked (asked, 24 exports against none on newadm's 22 other days would make a
        // finding by itself). Nor for 24 batches of 190.
        assert!(tenant(4, 25_000).is_none());
        assert!(tenant(4, 190).is_none());
        // With two users the client is no shared tool: the 24 exports of 190 records (4,560
        // more than its days of about 5,200) are judged by their count, which leads.
        let f = tenant(2, 190).expect("a day judged by its count");
        assert_eq!(
            (f.baseline.measure, f.baseline.model),
            (Measure::Exports, VolumeModel::NegativeBinomial)
        );
    }

    #[test]
    fn a_first_export_with_the_admins_shared_tool_is_judged_against_its_users() {
        // Office workers over five weeks (weekdays 09:00-17:00, 500-899 records an hour, under
        // the bulk floor, from 198.51.100.7). `admins` of them also export with
        // "Dataloader/60.0" at 20:15 on six days each, 200,000-385,000 records, from the VPN's
        // 203.0.113.9: the tool's uses, all bulk. "newadm" exports with it once, at 21:15 on
        // day 16, `records` records from `ip`.
        let t0 = parse_timestamp(JAN06).unwrap();
        const ADMINS: [&str; 4] = ["adm0", "adm1", "adm2", "adm3"];
        let tenant = |admins: usize, records: i64, ip: &'static str| {
            let ordinary = |d: i64, h: i64| 500 + (d * 7 + h * 3) % 400;
            let mut evs = office("newadm", 35, ordinary);
            for (i, &a) in ADMINS[..admins].iter().enumerate() {
                evs.extend(office(a, 35, ordinary));
                for (j, day) in [1, 5, 8, 12, 22, 26].into_iter().enumerate() {
                    evs.push(Ev {
                        t: t0 + (day + i as i64) * DAY_MS + 20 * HOUR_MS + 900_000,
                        account: a,
                        records: 200_000 + 37_000 * ((i + j) % 6) as i64,
                        ip: "203.0.113.9",
                        client: "Dataloader/60.0",
                    });
                }
            }
            evs.push(Ev {
                t: t0 + 16 * DAY_MS + 21 * HOUR_MS + 900_000,
                account: "newadm",
                records,
                ip,
                client: "Dataloader/60.0",
            });
            evs.sort_by_key(|e| e.t);
            let (t, d) = run(&evs);
            let newadm = (0..t.names.accounts.len() as u32)
                .find(|&a| t.names.account_name(a) == "newadm")
                .unwrap();
            let export = |kind: WindowKind| {
                d.findings
                    .iter()
                    .find(|f| {
                        f.window.account == newadm
                            && f.window.kind == kind
                            && f.window.start_ms <= t0 + 16 * DAY_MS + 21 * HOUR_MS
                            && t0 + 16 * DAY_MS + 21 * HOUR_MS < f.window.end_ms
                    })
                    .cloned()
            };
            (export(WindowKind::Hour), export(WindowKind::Day), t)
        };
        let usual = "198.51.100.7";

        // Four accounts use the tool routinely, for bulk exports only: 300,000 records is what
        // they move with it, so neither the hour nor the day is a finding.
        let (hour, day, _) = tenant(4, 300_000, usual);
        assert!(hour.is_none() && day.is_none(), "{hour:#?} {day:#?}");

        // From the VPN, new to newadm but used routinely by the four admins (the
        // organisation's address): the same, judged against the tool's users, no finding.
        let (hour, day, _) = tenant(4, 300_000, "203.0.113.9");
        assert!(hour.is_none() && day.is_none(), "{hour:#?} {day:#?}");

        // The same export from an address from outside keeps the account's own baseline:
        // hundreds of times its median hour, a finding.
        let (hour, _, _) = tenant(4, 300_000, "185.220.101.47");
        let hour = hour.expect("an export from a new address is a finding");
        assert_eq!(hour.baseline.scope, Scope::Account);
        assert!(hour
            .off_hours_precedent
            .is_some_and(|p| p.tool_accounts.is_none()));

        // With two users the client is no shared tool (fewer than TOOL_MIN_ACCOUNTS).
        let (hour, _, _) = tenant(2, 300_000, usual);
        assert_eq!(hour.expect("no shared tool").baseline.scope, Scope::Account);

        // Far beyond what the tool's users move it is still a finding, judged against their 24
        // hours with the tool (four accounts, six each), the less surprising baseline; its
        // off-hours precedents are their 24 bulk hours with it.
        let (hour, _, t) = tenant(4, 50_000_000, usual);
        let hour = hour.expect("a volume far beyond the tool's users is a finding");
        assert_eq!(hour.baseline.scope, Scope::Tool);
        assert_eq!(hour.baseline.windows, 24);
        assert!(hour.score >= VOLUME_GATE);
        let p = hour
            .off_hours_precedent
            .expect("21:15 is an hour newadm never works");
        assert_eq!((p.bulk_hours, p.tool_accounts), (24, Some(4)));
        // The alert says whose windows and whose hours it was judged by.
        let a = alert_of(&t, hour);
        assert_eq!(a.baseline.scope, "tool");
        assert_eq!(
            (a.baseline.bulk_hours, a.baseline.bulk_hours_tool_accounts),
            (Some(24), Some(4))
        );
        for said in [
            "the median hour with it of the other accounts that use its bulk-export tool routinely",
            "24 bulk hours with it of the 4 accounts that use its bulk-export tool routinely",
        ] {
            assert!(a.explanation.contains(said), "{}", a.explanation);
        }
    }

    #[test]
    fn bulk_hours_at_odd_hours_before_are_precedents_for_the_off_hours_factor() {
        // An office worker over five weeks (weekdays 09:00-17:00, 500-899 records an hour, under
        // the bulk floor of 1,000) whose 11:00 hour reads 1,000-1,510 records every weekday: 25
        // daytime bulk hours. The scored
        // export: 500,000 records at 21:15 on day 16 (a Wednesday), usual IP and client.
        let t0 = parse_timestamp(JAN06).unwrap();
        let at = |day: i64, hour: i64, records: i64| Ev {
            t: t0 + day * DAY_MS + hour * HOUR_MS + 900_000,
            account: "ana",
            records,
            ip: "198.51.100.7",
            client: "Chrome/131",
        };
        let scored = |precedents: &[(i64, i64)]| {
            let mut evs = office("ana", 35, |d, h| {
                if h == 11 {
                    1_000 + d * 15
                } else {
                    500 + (d * 7 + h * 3) % 400
                }
            });
            evs.extend(precedents.iter().map(|&(d, h)| at(d, h, 20_000)));
            evs.push(at(16, 21, 500_000));
            evs.sort_by_key(|e| e.t);
            let (t, d) = run(&evs);
            let start = t0 + 16 * DAY_MS + 21 * HOUR_MS;
            let f = d
                .findings
                .iter()
                .find(|f| f.window.kind == WindowKind::Hour && f.window.start_ms == start)
                .cloned()
                .unwrap_or_else(|| {
                    panic!(
                        "the evening export is a finding: {:#?}",
                        d.findings
                            .iter()
                            .map(|f| (
                                f.window.start_ms - t0,
                                f.window.kind,
                                f.score,
                                f.reasons.clone()
                            ))
                            .collect::<Vec<_>>()
                    )
                });
            (t, f)
        };
        let off = |f: &Finding| {
            f.reasons
                .iter()
                .find(|r| r.factor == Factor::OffHours)
                .cloned()
        };
        let precedent = |bulk_hours, off_hours| {
            Some(OffHoursPrecedent {
                bulk_hours,
                off_hours,
                tool_accounts: None,
            })
        };

        // No precedent: the factor is the hour's rate, and the finding says none of the 23
        // other bulk hours (25 daytime ones, less days 16 and 17 within 24 hours) was off-hours.
        let (_, alone) = scored(&[]);
        let rate = alone.hour_rate.expect("an hourly window").rate;
        let r = off(&alone).expect("an off-hours factor");
        assert!((r.contribution - (-rate.log10()).min(OFF_HOURS_CAP)).abs() < 1e-12);
        assert!(r.contribution > 1.5, "{r:?}");
        assert_eq!(alone.off_hours_precedent, precedent(23, 0));

        // Two earlier odd-hour exports of 20,000 records, 21:15 on day 3 (a Thursday) and
        // 05:15 on day 8 (a Monday): each at an hour the account rarely works, judged with its
        // own days left out. Now 2 of its 25 other bulk hours were off-hours: the factor is
        // -log10(2 / 25) = 1.097, since the hour's rate is smaller still.
        let (t, with) = scored(&[(3, 21), (8, 5)]);
        let rate = with.hour_rate.expect("an hourly window").rate;
        assert!(rate < 2.0 / 25.0, "{rate}");
        let r = off(&with).expect("still an off-hours factor");
        assert!(
            (r.contribution - -(2.0f64 / 25.0).log10()).abs() < 1e-12,
            "{r:?}"
        );
        assert!((r.typical - 0.08).abs() < 1e-12);
        assert_eq!(with.off_hours_precedent, precedent(25, 2));

        // The alert shows the counts and says so.
        let a = alert_of(&t, with);
        assert_eq!(
            (a.baseline.bulk_hours, a.baseline.bulk_hours_off_hours),
            (Some(25), Some(2))
        );
        let said = "though 2 of its 25 other bulk hours were at such hours too)";
        assert!(a.explanation.contains(said), "{}", a.explanation);
        let detail = &a
            .reasons
            .iter()
            .find(|r| r.factor == "off_hours")
            .unwrap()
            .detail;
        assert!(
            detail.ends_with("; 2 of its 25 other bulk hours were at such hours too"),
            "{detail}"
        );

        // A third, 23:15 on day 12 (a Saturday): 3 of 26, a share of 0.115, more than the
        // factor's floor of 0.1, so the factor goes; the alert still says why.
        let (t, with) = scored(&[(3, 21), (8, 5), (12, 23)]);
        assert_eq!(off(&with), None, "{:?}", with.reasons);
        assert_eq!(with.off_hours_precedent, precedent(26, 3));
        let a = alert_of(&t, with);
        let said = "; at an hour it is rarely active, as 3 of its 26 other bulk hours were (so not scored as off-hours)";
        assert!(a.explanation.contains(said), "{}", a.explanation);
    }

    #[test]
    fn the_same_run_in_many_accounts_is_held_at_medium() {
        // Eight accounts triple their reading in week 6 (days 35-39), as the account above; a
        // ninth in week 4 (days 21-25). Each run alone scores -log10(8 / C(40, 5)) = 4.91, high.
        // The eight share their days, far beyond chance (see runs::mark_periods): each is kept,
        // marked as a period and held at medium; the ninth stays high.
        const NAMES: [&str; 8] = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"];
        let week = |from: i64| {
            move |d: i64, h: i64| {
                let base = 200 + (d * 7 + h * 3) % 71;
                if (from..from + 5).contains(&d) {
                    3 * base
                } else {
                    base
                }
            }
        };
        let mut evs: Vec<Ev> = NAMES.iter().flat_map(|n| office(n, 56, week(35))).collect();
        evs.extend(office("solo", 56, week(21)));
        evs.sort_by_key(|e| e.t);
        let (t, d) = run(&evs);
        let runs: Vec<&Finding> = d
            .findings
            .iter()
            .filter(|f| f.window.kind == WindowKind::Run)
            .collect();
        assert_eq!(runs.len(), 9, "{:#?}", d.findings);
        for r in runs {
            let e = r.run.unwrap();
            let want = -(8.0f64 / 658_008.0).log10();
            assert!((r.score - want).abs() < 1e-9, "{} vs {want}", r.score);
            if t.account_name(r.window.account) == "solo" {
                assert!(!e.period);
                assert_eq!(r.severity, Severity::High);
            } else {
                assert!(e.period);
                assert_eq!(e.shared_accounts, 7);
                assert_eq!(r.severity, Severity::Medium);
            }
        }
    }

    #[test]
    fn a_week_of_triple_days_is_one_run_incident() {
        // Eight weeks of office hours of 200-270 records; in week 6 (days 35-39, Mon-Fri) every
        // hour reads three times as much. Active days: 40. The five are the five heaviest, in a
        // row: p = 1 / C(40, 5) = 1 / 658,008, times 8 possible ends. The run test was asked at
        // 31 start days (the 40 less the first 7 and the last 2), and the budget of 1 false
        // alert per 10,000 account-days allows 0.004 here: the runs' line is log10(31 / 0.004)
        // = 3.89.
        let evs = office("ines", 56, |d, h| {
            let base = 200 + (d * 7 + h * 3) % 71;
            if (35..40).contains(&d) {
                3 * base
            } else {
                base
            }
        });
        let (_, d) = run(&evs);
        let runs: Vec<&Finding> = d
            .findings
            .iter()
            .filter(|f| f.window.kind == WindowKind::Run)
            .collect();
        assert_eq!(runs.len(), 1, "{:#?}", d.findings);
        let r = runs[0];
        let t0 = parse_timestamp(JAN06).unwrap();
        assert_eq!(
            (r.window.start_ms, r.window.end_ms),
            (t0 + 35 * DAY_MS, t0 + 40 * DAY_MS)
        );
        let want = -(8.0f64 / 658_008.0).log10();
        assert!((r.score - want).abs() < 1e-9, "{} vs {want}", r.score);
        assert_eq!(d.line.run_starts, 31);
        assert!(
            (d.line.run_high - 7750.0f64.log10()).abs() < 1e-9,
            "{}",
            d.line.run_high
        );
        assert_eq!(d.line.ring_high, 4.0);
        assert_eq!(r.severity, Severity::High);
        let inc = incidents(&d.findings, d.line.high);
        let run_incidents: Vec<&Incident> = inc
            .iter()
            .filter(|i| i.lead().window.kind == WindowKind::Run)
            .collect();
        assert_eq!(run_incidents.len(), 1);
        assert_eq!(run_incidents[0].findings.len(), 1);
    }

    #[test]
    fn content_under_the_gate_is_a_finding_only_far_above_the_line() {
        // An off-hours export as seed 6's isla.davies2 (independent generator): its volume only
        // a 1-in-178 chance (2.25) for an account whose quarter-end exports were as large, at an
        // hour it never works (2.00), from a new address (1.50) with a new client (1.48).
        let with = |reasons: &[(Factor, f64)]| Finding {
            score: reasons.iter().map(|r| r.1).sum(),
            reasons: reasons
                .iter()
                .map(|&(factor, contribution)| Reason {
                    factor,
                    contribution,
                    observed: 0.0,
                    typical: 0.0,
                })
                .collect(),
            window: window(2),
            severity: Severity::Low,
            baseline: VolumeBaseline {
                scope: Scope::Account,
                measure: Measure::Records,
                windows: 500,
                median: 100.0,
                p99: 1_000.0,
                tail_probability: 5.6e-3,
                model: VolumeModel::ParetoTail,
            },
            hour_rate: None,
            run: None,
            ring: None,
            busy_day: None,
            month_close: None,
            peer_day: None,
            off_hours_precedent: None,
        };
        let context = [
            (Factor::OffHours, 2.0),
            (Factor::NewIp, 1.5),
            (Factor::NewClient, 1.48),
        ];
        let export = with(&[&[(Factor::Volume, 2.25)][..], &context].concat());
        assert!((content(&export) - 2.25).abs() < 1e-12);
        assert!((export.score - 7.23).abs() < 1e-9);
        // Seed 6's line was 4.70: 7.23 is at least 4.70 + 2, so it is a finding; under a line
        // of 5.5 (7.5 needed) it is not.
        assert!(admits_soft(&export, 4.70));
        assert!(!admits_soft(&export, 5.5));
        // Content of 1.9 (under the second tier) is never a finding, whatever the context.
        let ordinary = with(&[&[(Factor::Volume, 1.9)][..], &context].concat());
        assert!(!admits_soft(&ordinary, 0.0));
        // New objects count as content: 1.2 + 1.0 reaches the tier.
        let new_objects = with(&[
            (Factor::Volume, 1.2),
            (Factor::NewObjects, 1.0),
            (Factor::NewIp, 5.0),
        ]);
        assert!((content(&new_objects) - 2.2).abs() < 1e-12);
        assert!(admits_soft(&new_objects, 5.1) && !admits_soft(&new_objects, 5.3));
        // Content at the volume gate is a finding already, not one of the second tier.
        let bulk = with(&[&[(Factor::Volume, 3.0)][..], &context].concat());
        assert!(!admits_soft(&bulk, 0.0));
    }

    #[test]
    fn ordinary_volume_at_odd_hours_from_a_new_ip_is_not_an_alert() {
        let mut evs = office("maria", 28, |d, h| 20 + (d * 7 + h * 3) % 71);
        evs.push(theft("maria", 10, 60)); // a normal-sized hour, new IP, 02:00
        let (_, d) = run(&evs);
        assert!(d.findings.is_empty(), "{:#?}", d.findings);
    }

    #[test]
    fn a_new_address_the_organisations_accounts_use_routinely_is_no_new_ip_evidence() {
        // maria's theft hour at 02:15 on day 20 comes from `ip`; `users` other accounts work
        // from 203.0.113.9 every day (an office NAT). The factors of her hourly finding.
        let factors = |ip: &'static str, users: usize| -> Vec<Factor> {
            let mut evs = office("maria", 28, |d, h| 20 + (d * 7 + h * 3) % 71);
            for who in ["ann", "bob", "cat"].into_iter().take(users) {
                evs.extend(
                    office(who, 28, |d, h| 30 + (d * 5 + h) % 40)
                        .into_iter()
                        .map(|mut e| {
                            e.ip = "203.0.113.9";
                            e
                        }),
                );
            }
            evs.push(Ev {
                ip,
                ..theft("maria", 20, 50_000)
            });
            let (t, d) = run(&evs);
            let f: Vec<&Finding> = d
                .findings
                .iter()
                .filter(|f| {
                    t.account_name(f.window.account) == "maria" && f.window.kind == WindowKind::Hour
                })
                .collect();
            assert_eq!(f.len(), 1, "{f:#?}");
            f[0].reasons.iter().map(|r| r.factor).collect()
        };
        // Three accounts use it routinely: the organisation's address, no new-IP factor (the
        // client, new and used by no one else, still counts).
        let org = factors("203.0.113.9", 3);
        assert!(!org.contains(&Factor::NewIp), "{org:?}");
        assert!(org.contains(&Factor::NewClient), "{org:?}");
        // Two are not enough; nor is an address no one uses.
        assert!(factors("203.0.113.9", 2).contains(&Factor::NewIp));
        assert!(factors("185.220.101.47", 3).contains(&Factor::NewIp));
    }

    #[test]
    fn constant_volume_zero_spread_still_scores_a_spike() {
        let mut evs = office("svc", 28, |_, _| 100);
        evs.push(theft("svc", 14, 100_000));
        let (_, d) = run(&evs);
        let f: Vec<&Finding> = d
            .findings
            .iter()
            .filter(|f| f.window.kind == WindowKind::Hour)
            .collect();
        assert_eq!(f.len(), 1);
        assert!(f[0].score.is_finite() && f[0].baseline.tail_probability > 0.0);
        assert!((f[0].baseline.median - 100.0).abs() < 1e-9);
    }

    #[test]
    fn a_day_history_with_a_precedent_far_beyond_the_log_normal_is_judged_by_the_tail_alone() {
        // Thirty ordinary days of 1,000-1,290 records.
        let mut ordinary: Vec<f64> = (0..30)
            .map(|i| log_volume(1000.0 * (1.0 + 0.01 * f64::from(i))))
            .collect();
        ordinary.sort_by(f64::total_cmp);
        let x = log_volume(250_000.0);
        let tail = TailModel::fit(&ordinary).unwrap();
        // Both normal laws fit them, and they find a 250,000-record day far rarer than the tail
        // does: the smaller of the three, times three models asked, is the day's.
        let (p, model) = volume_probability(WindowKind::Day, x, &tail, &ordinary);
        let ln = tail::lognormal_survival(x, &ordinary).unwrap();
        let up = tail::upper_normal_survival(x, &ordinary).unwrap();
        assert!(ln.max(up) < 1e-6 * tail.survival(x, &ordinary));
        assert_eq!(p, 3.0 * ln.min(up));
        let smaller = if ln <= up {
            VolumeModel::LogNormal
        } else {
            VolumeModel::UpperNormal
        };
        assert_eq!(model, smaller);
        // One earlier day of 200,000 records (an admin's export): neither law fits any more,
        // and the tail alone, which counts that precedent, judges the day, uncorrected.
        let mut mixture = ordinary.clone();
        mixture.push(log_volume(200_000.0));
        mixture.sort_by(f64::total_cmp);
        assert!(!tail::lognormal_fits(&mixture));
        assert!(!tail::upper_normal_fits(&mixture));
        let tail = TailModel::fit(&mixture).unwrap();
        let (p, model) = volume_probability(WindowKind::Day, x, &tail, &mixture);
        assert_eq!(model, VolumeModel::ParetoTail);
        assert_eq!(p, tail.survival(x, &mixture));
        assert!(p > 100.0 * ln, "{p} vs {ln}");
    }

    /// Three office workers over 14 weeks from Mon 2025-01-06 whose 15 heavy days read about
    /// 12 times their other days: `ana`'s and `cy`'s on the month-end close days, `bob`'s a week
    /// later. On Wed 2025-02-19 (day 44) `ana` and `bob` read 4,000 records an hour, 32,000 in
    /// the day; on Thu 2025-02-27 (day 52), a close day, `cy` reads 2,000 an hour, 16,000.
    fn heavy_days_at_month_end_or_mid_month() -> (EventTable, Detection) {
        // The close days of the period: Jan 29-31, Feb 3-4, Feb 26-28, Mar 3-4, Mar 27, 28,
        // 31 and Apr 1-2.
        let close = [23, 24, 25, 28, 29, 51, 52, 53, 56, 57, 80, 81, 84, 85, 86];
        let per_hour = |heavy: bool, d: i64| {
            if heavy {
                1_500 + 50 * (d % 3)
            } else {
                120 + 5 * (d % 3)
            }
        };
        let mut evs = office("ana", 98, |d, _| match d {
            44 => 4_000,
            _ => per_hour(close.contains(&d), d),
        });
        evs.extend(office("bob", 98, |d, _| match d {
            44 => 4_000,
            _ => per_hour(close.contains(&(d - 7)), d),
        }));
        evs.extend(office("cy", 98, |d, _| match d {
            52 => 2_000,
            _ => per_hour(close.contains(&d), d),
        }));
        run(&evs)
    }

    #[test]
    fn a_day_is_judged_net_of_the_account_s_month_end_close() {
        let (t, d) = heavy_days_at_month_end_or_mid_month();
        let day_finding = |name: &str, day: i64| {
            let start = parse_timestamp(JAN06).unwrap() + day * DAY_MS;
            d.findings.iter().find(|f| {
                t.account_name(f.window.account) == name
                    && f.window.kind == WindowKind::Day
                    && f.window.start_ms == start
            })
        };
        // ana: her close days read 12,000-12,800 records and her other days 960-1,040, so every
        // close day is above every other day: U is its largest, p far under CLOSE_ALPHA. The
        // rise, the median of the close-over-other ratios, lies between 12,000 / 1,040 = 11.5
        // and 12,800 / 960 = 13.3. Net of it her history is about 1,000 records a day, and a
        // day of 32,000 is a finding.
        let ana = day_finding("ana", 44).expect("ana's day of 32,000 records is a finding");
        let c = ana.month_close.expect("judged net of her close");
        assert!(!c.on_close_day);
        assert!(c.factor() > 11.5 && c.factor() < 13.3, "{c:?}");
        assert!(c.p < 1e-6, "{c:?}");
        // 98 days hold 70 weekdays; the band (days 43-45) leaves 15 close days and 52 others.
        assert_eq!((c.close_days, c.other_days), (15, 52));
        assert!(content(ana) >= VOLUME_GATE, "{ana:#?}");
        // bob: the same days a week later are mid-month, no close: they stay his precedent,
        // and 32,000 records, under three times his heavy days, is no day finding.
        assert!(
            day_finding("bob", 44).is_none(),
            "{:#?}",
            day_finding("bob", 44)
        );
        // cy's close day of 16,000 records is 1.3 times his usual close day: net of the rise,
        // about 1,300 against days of about 1,000, no finding (16,000 against them would be
        // one).
        assert!(
            day_finding("cy", 52).is_none(),
            "{:#?}",
            day_finding("cy", 52)
        );
        // Nor is any other day of the three.
        let days = d
            .findings
            .iter()
            .filter(|f| f.window.kind == WindowKind::Day);
        assert_eq!(days.count(), 1, "{:#?}", d.findings);
    }

    #[test]
    fn a_day_history_with_small_days_is_judged_by_its_upper_half() {
        // Forty days of 200-395 records and eight of 2-16 (shifts cut by midnight, weekend
        // check-ins): the small days widen the log-normal of all days.
        let mut history: Vec<f64> = (0..40)
            .map(|i| log_volume(200.0 + 5.0 * f64::from(i)))
            .chain((0..8).map(|i| log_volume(2.0 + 2.0 * f64::from(i))))
            .collect();
        history.sort_by(f64::total_cmp);
        assert!(tail::lognormal_fits(&history) && tail::upper_normal_fits(&history));
        let tail = TailModel::fit(&history).unwrap();
        // A day of 8,000 records, twenty times the busiest.
        let x = log_volume(8_000.0);
        let all_days = tail::lognormal_survival(x, &history).unwrap();
        let upper = tail::upper_normal_survival(x, &history).unwrap();
        assert!(all_days > 1e-4, "{all_days}");
        assert!(upper < 1e-3 * all_days, "{upper} vs {all_days}");
        let (p, model) = volume_probability(WindowKind::Day, x, &tail, &history);
        assert_eq!(model, VolumeModel::UpperNormal);
        assert_eq!(p, 3.0 * upper);
        // An hour is still judged by the Pareto tail alone.
        let (p, model) = volume_probability(WindowKind::Hour, x, &tail, &history);
        assert_eq!(model, VolumeModel::ParetoTail);
        assert_eq!(p, tail.survival(x, &history));
    }

    #[test]
    fn routine_bulk_exports_are_not_surprising() {
        // An admin who exports 50,000-80,000 records every Tuesday at 10:00.
        let evs = office("admin", 35, |d, h| {
            if d % 7 == 1 && h == 10 {
                50_000 + d * 1_000
            } else {
                40
            }
        });
        let (_, d) = run(&evs);
        let shown: Vec<&Finding> = d
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::High)
            .collect();
        assert!(shown.is_empty(), "{shown:#?}");
    }

    #[test]
    fn a_window_with_no_history_and_no_population_is_reported_unscored() {
        let (_, d) = run(&[theft("lonely", 0, 20_000)]);
        assert!(d.findings.is_empty());
        assert_eq!(d.thin.len(), 1);
        assert_eq!(
            (d.thin[0].hours_with_volume, d.thin[0].population),
            (1, false)
        );
        assert_eq!(
            d.unscored.len(),
            2,
            "its hourly and its daily window: {:?}",
            d.unscored
        );
        assert!(d.unscored.iter().all(|u| u.windows == 1 && u.history == 1));
    }

    #[test]
    fn thin_history_is_compared_with_the_population() {
        let mut evs = Vec::new();
        for name in ["a", "b", "c", "d"] {
            evs.extend(office(name, 28, |d, h| 30 + (d + h) % 40));
        }
        evs.push(theft("newcomer", 20, 40_000));
        let (t, d) = run(&evs);
        let f = d.findings.iter().find(|f| {
            t.account_name(f.window.account) == "newcomer" && f.window.kind == WindowKind::Hour
        });
        let f = f.expect("the newcomer's bulk hour is scored against the population");
        assert_eq!(f.baseline.scope, Scope::Population);
        assert_eq!(f.baseline.windows, 4 * 20 * 8);
    }

    #[test]
    fn dormancy_weighs_a_gap_by_the_account_s_own_gaps_and_the_organisation_s_absences() {
        // Worked Monday to Friday for four weeks (20 days; gaps: 4 x 4 of 1 day within the weeks,
        // 3 of 3 days over the weekends), then nothing for 20 days. Hand computation, own side:
        // 19 earlier gaps, none >= 20: (0 + 1) / (19 + 2) = 1/21.
        let mut days: Vec<i32> = (0..26).filter(|d| d % 7 < 5).collect();
        days.push(45);
        // Its only absence (> 4 days) is this one. Other accounts' absences: 10, none >= 20:
        // organisation side (0 + 1) / (10 + 2) = 1/12. The larger, 1/12, is the factor's.
        let mut pool = vec![5, 6, 7, 7, 8, 9, 10, 12, 14, 15, 20];
        pool.sort_unstable();
        let r = dormancy(45, &days, &pool).expect("a 20-day gap where absences are short");
        assert_eq!(r.observed, 20.0);
        assert!((r.typical - 1.0 / 12.0).abs() < 1e-12, "{r:?}");
        assert!((r.contribution - 12f64.log10()).abs() < 1e-12);
        // Many absences in the organisation, so that its side is the smaller (own side 1/21).
        let many: Vec<i32> = (0..100).map(|i| 5 + i % 10).chain([20]).collect();
        let mut many = many;
        many.sort_unstable();
        let r = dormancy(45, &days, &many).unwrap();
        assert!((r.typical - 1.0 / 21.0).abs() < 1e-12, "{r:?}");
        // Where absences of 20 days and more are common (others: 7, 10, 14, 21, 25, 30, 60, so 4
        // of 7 reach 20: (4 + 1) / (7 + 2) = 5/9), the same gap is a holiday: no factor.
        let holidays = [7, 10, 14, 20, 21, 25, 30, 60];
        assert_eq!(dormancy(45, &days, &holidays), None);
        // With no other account to compare with, (0 + 1) / (0 + 2) = 1/2: no factor either.
        assert_eq!(dormancy(45, &days, &[20]), None);
        // A Monday after a weekend, the first day of the data, and a day after a short break:
        // no dormancy.
        assert_eq!(dormancy(7, &days, &pool), None);
        assert_eq!(dormancy(0, &days, &pool), None);
        assert_eq!(
            dormancy(30, &[0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 25, 30], &pool),
            None,
            "5-day gap after a 14-day one"
        );
    }

    #[test]
    fn breadth_is_the_smoothed_share_of_bulk_windows_reading_as_many_objects() {
        let cfg = DetectConfig::default();
        // A window reading `objects` objects, and `records` records (bulk from 1,000).
        let w = |start_h: i64, objects: u32, records: i64| Window {
            distinct_objects: objects,
            records: Some(records),
            ..window(start_h)
        };
        // 98 bulk hours reading 2 objects and one reading 12, 100 hours apart from the scored
        // one; 200 lookups of one object in between, which are not bulk and do not count.
        let mut history: Vec<Window> = (0..98).map(|h| w(h, 2, 5_000)).collect();
        history.push(w(98, 12, 5_000));
        history.extend((400..600).map(|h| w(h, 1, 3)));
        let scored = w(300, 10, 5_000);
        history.push(scored.clone());
        // Hand computation: 99 bulk windows outside the band, 1 with >= 10 objects:
        // q = (1 + 1) / (99 + 2).
        let r = breadth(&scored, &history, &cfg).expect("10 objects is broad for this account");
        assert!((r.typical - 2.0 / 101.0).abs() < 1e-12);
        assert_eq!(r.observed, 10.0);
        // Three objects is under the floor; reading as many as usual is no factor.
        assert_eq!(breadth(&w(300, 3, 5_000), &history, &cfg), None);
        let ordinary: Vec<Window> = (0..99).map(|h| w(h, 6, 5_000)).collect();
        assert_eq!(breadth(&w(300, 6, 5_000), &ordinary, &cfg), None);
        // An admin whose five weekly exports read four objects each, among 300 one-object
        // lookups: a sixth such export is no factor, q = (5 + 1) / (5 + 2). Counted against all
        // windows it would be q = 6 / 307, 1.7 points.
        let mut admin: Vec<Window> = (0..5).map(|i| w(i * 168, 4, 80_000)).collect();
        admin.extend((0..300).map(|h| w(1_000 + h, 1, 20)));
        assert_eq!(breadth(&w(2_000, 4, 90_000), &admin, &cfg), None);
    }

    /// A daily window of account 1 on local day `day` with `exports` export events.
    fn export_day(day: i32, exports: u64) -> Window {
        Window {
            kind: WindowKind::Day,
            start_ms: i64::from(day) * DAY_MS,
            end_ms: i64::from(day + 1) * DAY_MS,
            events: exports.max(1),
            exports,
            local_day: day,
            local_hour: 0,
            ..window(i64::from(day) * 24)
        }
    }

    #[test]
    fn exports_are_judged_by_the_negative_binomial_tail_of_the_account_s_days() {
        // 20 days without exports: no overdispersion of its own, so the size is the prior, 1
        // (a geometric law). Mean (0 + 0.5) / (20 + 1) = 1/42; P(N >= x) = (mean / (1 + mean))^x
        // = (1/43)^x. Ten exports: 43^-10.
        let mut days: Vec<Window> = (0..20).map(|d| export_day(d, 0)).collect();
        let p = exports_probability(&export_day(30, 10), &days, 1.0).unwrap();
        let want = 43f64.powi(-10);
        assert!((p / want - 1.0).abs() < 1e-9, "{p} against {want}");
        // Days within a day of it are not its history.
        days.extend([export_day(29, 100), export_day(31, 100)]);
        let q = exports_probability(&export_day(30, 10), &days, 1.0).unwrap();
        assert!((q / want - 1.0).abs() < 1e-9, "{q}");
        // Under MIN_EXPORTS (10), or with under seven days of history, the factor is not asked.
        assert_eq!(exports_probability(&export_day(30, 9), &days, 1.0), None);
        let short: Vec<Window> = (0..6).map(|d| export_day(d, 0)).collect();
        assert_eq!(exports_probability(&export_day(30, 10), &short, 1.0), None);
        let seven: Vec<Window> = (0..7).map(|d| export_day(d, 0)).collect();
        assert!(exports_probability(&export_day(30, 10), &seven, 1.0).is_some());
        // The factor is -log10 p, capped at 1.5, and says what was typical (the median day).
        let r = exports_factor(&export_day(30, 10), &days, 1.0).unwrap();
        assert_eq!(r.factor, Factor::Exports);
        assert_eq!(
            (r.contribution, r.observed, r.typical),
            (EXPORTS_CAP, 10.0, 0.0)
        );
    }

    #[test]
    fn an_account_s_own_dispersion_of_exports_is_shrunk_towards_its_source_s() {
        // 30 days, 15 of 0 exports and 15 of 2: mean 1, sample variance 30/29, so its own size
        // is 1 / (30/29 - 1) = 29. Weighing 30 / (30 + 30) = 1/2, a prior of 1/29 gives a
        // size of sqrt(29 / 29) = 1: geometric, mean (30 + 0.5) / 31, and
        // P(N >= 10) = (mean / (1 + mean))^10 = (30.5 / 61.5)^10.
        let days: Vec<Window> = (0..30)
            .map(|d| export_day(d, if d % 2 == 0 { 0 } else { 2 }))
            .collect();
        assert!((nb_size(1.0, 30.0 / 29.0).unwrap() - 29.0).abs() < 1e-9);
        let p = exports_probability(&export_day(40, 10), &days, 1.0 / 29.0).unwrap();
        let want = (30.5f64 / 61.5).powi(10);
        assert!((p / want - 1.0).abs() < 1e-9, "{p} against {want}");
        // With the prior equal to its own size the size is 29: far less overdispersed, so ten
        // exports against a mean near 1 are far rarer.
        let q = exports_probability(&export_day(40, 10), &days, 29.0).unwrap();
        assert!(q < want / 100.0, "{q}");
        // No overdispersion, no size of its own.
        assert_eq!(nb_size(1.0, 1.0), None);
        assert_eq!(nb_size(0.0, 0.0), None);
    }

    /// Day findings of an office worker (28 days, weekdays, an hour's lookup of 20-90 records
    /// from 09:00 to 17:00, no exports) who on day 21 also makes `exports` report exports of
    /// `each` records, from 10:00.
    fn exports_day_findings(exports: i64, each: i64) -> (EventTable, Vec<Finding>) {
        exports_day_findings_scaled(exports, each, 1)
    }

    /// As [`exports_day_findings`], the lookups reading `scale` times as much.
    fn exports_day_findings_scaled(
        exports: i64,
        each: i64,
        scale: i64,
    ) -> (EventTable, Vec<Finding>) {
        let t0 = parse_timestamp(JAN06).unwrap();
        let mut evs = office("maria", 28, |d, h| scale * (20 + (d * 7 + h * 3) % 71));
        let lookups = evs.len();
        evs.extend((0..exports).map(|i| Ev {
            t: t0 + 21 * DAY_MS + 10 * HOUR_MS + i * 60_000,
            account: "maria",
            records: each,
            ip: "198.51.100.7",
            client: "Chrome/131",
        }));
        let (t, d) = run_acting(
            &evs,
            |_| "Contact",
            |i| if i < lookups { "view" } else { "ReportExport" },
        );
        let days = d
            .findings
            .into_iter()
            .filter(|f| f.window.kind == WindowKind::Day)
            .collect();
        (t, days)
    }

    #[test]
    fn a_day_of_many_exports_by_an_account_that_never_exports_is_judged_by_its_count() {
        // 24 report exports of 25 records (600 more than its days of 276 to 628 records, and
        // no exports): its records are in the account's upper tail (probability at most 0.1,
        // or the count would not be asked) but no finding (content under 3, or the count would
        // not lead). The count's history is the 18 other weekdays outside the band (not day 22), so the
        // mean is 0.5 / 19; the size is the source's, this account's over all 20 days (19 of 0
        // and one of 24: mean 1.2, variance 28.8, size 1.44 / 27.6 = 0.05217). P(N >= 24) =
        // I_{0.02632 / 0.07849}(24, 0.05217) = 1.5511e-14 (scipy's betainc and nbinom.sf agree),
        // times the two measures asked (records; the count): 3.1022e-14, below the records'.
        let (t, days) = exports_day_findings(24, 25);
        assert_eq!(days.len(), 1, "{days:#?}");
        let b = &days[0].baseline;
        assert_eq!(
            (b.measure, b.model, b.windows, b.median),
            (Measure::Exports, VolumeModel::NegativeBinomial, 18, 0.0)
        );
        let want = 2.0 * 1.551_124_342_337e-14;
        assert!(
            (b.tail_probability / want - 1.0).abs() < 1e-6,
            "{}",
            b.tail_probability
        );
        // Led by the count, the day carries no exports factor too.
        assert!(days[0].reasons.iter().all(|r| r.factor != Factor::Exports));
        let a = alert_of(&t, days[0].clone());
        let said = "; that day's 24 exports are far above its own median day (0 exports;";
        assert!(a.explanation.contains(said), "{}", a.explanation);
        assert!(
            a.reasons[0]
                .detail
                .starts_with("24 exports in a day; typical 0"),
            "{:?}",
            a.reasons[0]
        );
        // Nine such exports: under MIN_EXPORTS, and their records alone are no finding.
        let (_, days) = exports_day_findings(9, 25);
        assert!(days.is_empty(), "{days:#?}");
        // Ten times the lookups (days of 2,760 to 6,280 records) and 24 exports of 100 records:
        // 2,400 more, a day whose records are a chance above EXPORTS_VOLUME_P (0.1): many
        // exports of little, so the count is not asked and there is no finding (without that
        // condition, the count makes one). With 24 of 200 it is asked, and leads.
        let (_, days) = exports_day_findings_scaled(24, 100, 10);
        assert!(days.is_empty(), "{days:#?}");
        let (_, days) = exports_day_findings_scaled(24, 200, 10);
        assert_eq!(days.len(), 1, "{days:#?}");
        assert_eq!(days[0].baseline.measure, Measure::Exports);
    }

    #[test]
    fn a_day_its_records_make_a_finding_carries_the_exports_factor() {
        // 24 exports of 2,000 records (48,000 against about 440 a day): the records make it a
        // finding, so they lead, and the count (1.55e-14, as above) is context: the factor at
        // its cap. Nine exports of the same 18,000 records: still a finding, under
        // MIN_EXPORTS, no factor.
        let (t, days) = exports_day_findings(24, 2_000);
        assert_eq!(days.len(), 1, "{days:#?}");
        assert_eq!(days[0].baseline.measure, Measure::Records);
        let r = days[0]
            .reasons
            .iter()
            .find(|r| r.factor == Factor::Exports)
            .expect("an exports factor");
        assert_eq!(
            (r.contribution, r.observed, r.typical),
            (EXPORTS_CAP, 24.0, 0.0)
        );
        let a = alert_of(&t, days[0].clone());
        let said = "; 24 export events that day, against 0 on its median day";
        assert!(a.explanation.contains(said), "{}", a.explanation);
        let (_, days) = exports_day_findings(9, 2_000);
        assert_eq!(days.len(), 1, "{days:#?}");
        assert_eq!(days[0].baseline.measure, Measure::Records);
        assert!(days[0].reasons.iter().all(|r| r.factor != Factor::Exports));
    }

    #[test]
    fn the_count_law_is_not_asked_of_a_history_it_cannot_describe() {
        // 20 days of one export, then one of 40 (an admin's bulk export in 40 batches): against
        // the other 20 (no overdispersion, so the prior size 1: a geometric law of mean
        // 20.5 / 21), P(N >= 40) = (0.976 / 1.976)^40 = 5.7e-13, times 21, far under 0.01.
        let mut h = vec![1.0; 20];
        assert!(exports_law_fits(&h, 1.0));
        h.push(40.0);
        assert!(!exports_law_fits(&h, 1.0));
        // A busiest day of 4: (0.976 / 1.976)^4 = 0.0595, times 21 = 1.25: it fits.
        *h.last_mut().unwrap() = 4.0;
        assert!(exports_law_fits(&h, 1.0));
        // A history without exports fits (nothing to reject).
        assert!(exports_law_fits(&[0.0; 20], 1.0));
    }

    #[test]
    fn an_export_day_reaches_the_days_next_to_it() {
        let days = within_a_day_of([(1, 100), (2, 7)].into_iter());
        let mut v: Vec<_> = days.into_iter().collect();
        v.sort_unstable();
        assert_eq!(v, [(1, 99), (1, 100), (1, 101), (2, 6), (2, 7), (2, 8)]);
    }

    /// An hourly window of account 1 starting `start_h` hours after the epoch, one record.
    fn window(start_h: i64) -> Window {
        Window {
            account: 1,
            kind: WindowKind::Hour,
            start_ms: start_h * HOUR_MS,
            end_ms: (start_h + 1) * HOUR_MS,
            events: 1,
            exports: 0,
            records: Some(1),
            bytes: None,
            distinct_objects: 1,
            local_day: (start_h / 24) as i32,
            local_hour: (start_h % 24) as u8,
            local_weekday: 0,
            new_ips: vec![],
            new_clients: vec![],
            new_objects: vec![],
        }
    }

    #[test]
    fn the_alert_line_spends_the_budget_on_the_null_tail() {
        // 1,000 windows: 950 at 0, and 50 in the top 5% whose excesses over s0 = 0 are 1..=50
        // tenths (0.1, 0.2, ..., 5.0). Censored MLE over the smaller half (r = 25): the 25
        // smallest sum to 0.1 * (1 + ... + 25) = 32.5, the other 25 are censored at 2.5:
        // rate = 25 / (32.5 + 62.5) = 25 / 95. Budget 1 per 10k over 20,000 account-days = 2.
        // Line: t = s0 + ln(N * share / budget) / rate = ln(1000 * 0.05 / 2) * 95 / 25.
        let mut scores = vec![0.0; 950];
        scores.extend((1..=50).map(|i| f64::from(i) / 10.0));
        let line = AlertLine::estimate(&scores, 20_000, 1.0);
        let fit = line.fit.clone().unwrap();
        assert_eq!((fit.s0, fit.share), (0.0, 0.05));
        assert!((fit.rate - 25.0 / 95.0).abs() < 1e-12, "{fit:?}");
        // 12.2: a tail this slow is no ordinary one, and the line is held at FIXED_HIGH.
        let want = (1000.0f64 * 0.05 / 2.0).ln() * 95.0 / 25.0;
        let fitted = line.fitted.unwrap();
        assert!((fitted - want).abs() < 1e-9, "{fitted} vs {want}");
        assert_eq!(line.high, FIXED_HIGH);
        assert_eq!(line.capped(), Some(fitted));
        assert!((line.budget - 2.0).abs() < 1e-12);
        // At the fitted line, the expected count of ordinary windows is the budget.
        assert!((line.expected_at(fitted).unwrap() - 2.0).abs() < 1e-9);
        // A bigger budget lowers the line, but never below the Bonferroni line: budget 20 over
        // 1,000 windows puts that at log10(1000 / 20) = 1.7, under the volume gate, so 3; the
        // estimate is ln(50 / 20) * 95 / 25 = 3.48.
        let loose = AlertLine::estimate(&scores, 200_000, 1.0);
        assert!((loose.high - (2.5f64).ln() * 95.0 / 25.0).abs() < 1e-9);
        assert_eq!(loose.capped(), None);
        let looser = AlertLine::estimate(&scores, 20_000, 1e6);
        assert_eq!(looser.high, VOLUME_GATE);
        // A null tail so steep that the estimate falls under log10(N / budget) = log10(1000 /
        // 0.02) = 4.70: the Bonferroni line. 950 zeros and 50 scores of 0.01..0.5: rate 10x
        // the above, estimate ln(50 / 0.02) * 9.5 / 25 = 2.97.
        let mut steep = vec![0.0; 950];
        steep.extend((1..=50).map(|i| f64::from(i) / 100.0));
        let tight = AlertLine::estimate(&steep, 200, 1.0);
        assert!(
            (tight.high - (1000.0f64 / 0.02).log10()).abs() < 1e-9,
            "{tight:?}"
        );
        // Too few windows for a null tail: the fixed line.
        let few = AlertLine::estimate(&scores[..100], 20_000, 1.0);
        assert_eq!((few.high, few.fit), (FIXED_HIGH, None));
    }

    #[test]
    fn the_alert_line_is_fitted_above_a_bump_in_the_scores() {
        // 10,000 windows: 9,500 spread evenly over [0, 2); a bump of 300 scores packed just above
        // 2 (2.0000 to 2.0299: every account's own largest windows); and 200 above it with
        // exponential excesses of rate 1 over 2.1 (pseudo-random, a fixed seed). The top 5% (500
        // windows) takes in the bump, whose packed spacings fail the exponential test; the line
        // must come from a threshold above the bump, with a rate near 1, and sit well above the
        // line of a fit through the bump.
        let mut scores: Vec<f64> = (0..9_500).map(|i| f64::from(i) * 2.0 / 9_500.0).collect();
        scores.extend((0..300).map(|i| 2.0 + f64::from(i) * 1e-4));
        let mut state: u64 = 7;
        scores.extend((0..200).map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            2.1 - u.ln()
        }));
        // 100,000 account-days at 1 per 10,000: a budget of 10.
        let line = AlertLine::estimate(&scores, 100_000, 1.0);
        let fit = line.fit.clone().unwrap();
        assert!(fit.s0 >= 2.03, "threshold above the bump: {fit:?}");
        assert!(fit.share < NULL_TAIL_SHARE, "{fit:?}");
        assert!((0.7..1.4).contains(&fit.rate), "{fit:?}");
        // Through the bump: s0 = the 501st score from the top, the censored rate of the 500
        // excesses over it, steep (the smaller half all lie in the bump), and its line, never
        // under log10(10,000 / 10) = 3.
        let mut sorted = scores.clone();
        sorted.sort_by(f64::total_cmp);
        let s0 = sorted[10_000 - 501];
        let excess: Vec<f64> = sorted[10_000 - 500..].iter().map(|s| s - s0).collect();
        let steep = tail::censored_exponential_rate(&excess, tail::TRUSTED_SHARE).unwrap();
        assert!(steep > 10.0, "{steep}");
        let naive = (s0 + (500.0f64 / 10.0).ln() / steep).max(3.0);
        assert!(line.high > naive + 1.0, "{} vs {naive}", line.high);
        // Expected ordinary windows at the line: the budget.
        assert!((line.expected_at(line.high).unwrap() - 10.0).abs() < 1e-6);
    }

    #[test]
    fn without_an_exponential_stretch_the_best_fitting_threshold_sets_the_line() {
        // 9,500 scores evenly over [0, 1) and 500 evenly over [1, 2): above any threshold the
        // excesses are evenly spaced, so their normalised spacings fall steadily and every
        // threshold fails the test. Thresholds tried keep 500, 425, 361, 306, 260, 221, 187,
        // 158, 134 and 113 windows (each 85% of the last, rounded down: 187 * 0.85 = 158.95;
        // none under 1% of 10,000 = 100); the fewer the excesses, the less power the test has,
        // and the best-fitting is the last, 113, whose excesses are still far from exponential.
        let mut scores: Vec<f64> = (0..9_500).map(|i| f64::from(i) / 9_500.0).collect();
        scores.extend((0..500).map(|i| 1.0 + f64::from(i) / 500.0));
        let line = AlertLine::estimate(&scores, 100_000, 1.0);
        let fit = line.fit.clone().unwrap();
        assert!((fit.share - 113.0 / 10_000.0).abs() < 1e-12, "{fit:?}");
        assert!(fit.p < 1e-6, "{fit:?}");
    }

    #[test]
    fn the_first_passing_fit_is_used_else_the_best_fitting() {
        let fit = |s0: f64, p: f64| NullFit {
            s0,
            share: 0.01,
            rate: 1.0,
            p,
        };
        let s0 = |f: Option<NullFit>| f.map(|f| f.s0);
        // None passes (all under 0.01): the largest p-value, not the highest threshold.
        let none = vec![fit(1.0, 0.001), fit(2.0, 0.005), fit(3.0, 0.002)];
        assert_eq!(s0(choose_null_fit(none.clone(), 0.01)), Some(2.0));
        // At 0.001 (0.01 over ten thresholds) the first of them passes.
        assert_eq!(s0(choose_null_fit(none, 0.001)), Some(1.0));
        // The first that passes, even with a better one after it.
        let pass = vec![fit(1.0, 0.001), fit(2.0, 0.02), fit(3.0, 0.5)];
        assert_eq!(s0(choose_null_fit(pass, 0.01)), Some(2.0));
        // A tie goes to the higher threshold.
        let tie = vec![fit(1.0, 0.003), fit(2.0, 0.003)];
        assert_eq!(s0(choose_null_fit(tie, 0.01)), Some(2.0));
        assert_eq!(s0(choose_null_fit(Vec::new(), 0.01)), None);
    }

    #[test]
    fn null_tail_thresholds_step_from_the_top_twentieth_to_the_top_hundredth() {
        // 10,000 scores: 500 (5%), then 85% of the last, rounded down (425, 361.25, 306.85,
        // 260.1, 221, 187.85, 158.95, 134.3, 113.9), stopping before 96 (under 1% = 100).
        assert_eq!(
            null_thresholds(10_000),
            vec![500, 425, 361, 306, 260, 221, 187, 158, 134, 113]
        );
        // 2,000 scores: 100, 85, 72, 61, 51; then 43 is under the 50 windows a test needs.
        assert_eq!(null_thresholds(2_000), vec![100, 85, 72, 61, 51]);
    }

    #[test]
    fn objects_an_account_never_reads_elsewhere_are_a_factor() {
        let w = |h: i64, new: usize| Window {
            new_objects: (0..new as u32).collect(),
            ..window(h)
        };
        // 100 other windows, one of which found 9 new objects: a window finding 3 is matched
        // by 1 of 100: q = (1 + 1) / (100 + 2).
        let mut history: Vec<Window> = (0..100).map(|h| w(h * 25, 0)).collect();
        history[3] = w(3 * 25, 9);
        let r = new_objects(&w(200 * 25, 3), &history).unwrap();
        assert!((r.typical - 2.0 / 102.0).abs() < 1e-12);
        assert_eq!(r.observed, 3.0);
        assert!((r.contribution - 51f64.log10()).abs() < 1e-12);
        // An account whose windows often bring new objects (a job writing new files each
        // night: every fifth window brings 20): 20 new is no factor.
        for h in history.iter_mut().step_by(5) {
            h.new_objects = (0..20).collect();
        }
        assert_eq!(new_objects(&w(200 * 25, 20), &history), None);
        assert_eq!(new_objects(&w(200 * 25, 0), &history), None);
    }

    #[test]
    fn severities() {
        let f = |s| Severity::from_score(s, FIXED_HIGH);
        assert_eq!(f(2.9), None);
        assert_eq!(f(3.0), Some(Severity::Low));
        assert_eq!(f(4.99), Some(Severity::Low));
        assert_eq!(f(5.0), Some(Severity::Medium));
        assert_eq!(f(6.99), Some(Severity::Medium));
        assert_eq!(f(7.0), Some(Severity::High));
        assert_eq!(f(12.0), Some(Severity::Critical));
        // A run whose line is 5.5: medium from 3.5, critical from 8.5; never below the gate.
        assert_eq!(Severity::from_score(3.4, 5.5), Some(Severity::Low));
        assert_eq!(Severity::from_score(3.5, 5.5), Some(Severity::Medium));
        assert_eq!(Severity::from_score(5.5, 5.5), Some(Severity::High));
        assert_eq!(Severity::from_score(8.5, 5.5), Some(Severity::Critical));
        assert_eq!(Severity::from_score(2.0, 4.0), None);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
    }
}
