//! Planted thefts. Each family is planted several times per run (2; 3 with 150 accounts or
//! more; one per 100 accounts from 400), on distinct accounts that are not joiners, leavers,
//! travellers or shift changers, on days in the last two thirds of the period (so the account
//! has history before it), with parameters drawn per instance:
//!
//! | family | accounts | when | volume | network and client |
//! |---|---|---|---|---|
//! | `off_hours_bulk` | one agent | 11-12 h after their shift starts, 1-3 h long | 10^5-10^6 records in 30-150 `export`s | new IP, new client |
//! | `insider_business_hours` | one office worker or analyst | a working day, from 10:00-14:00 local, 1-3 h | 10-30 x the account's largest normal hour | usual IP and client |
//! | `low_and_slow` | one office worker or analyst | 4-8 consecutive working days, 09:30-16:30 local | each day 2-4 x the account's median day, in 3-8 exports | usual IP and client |
//! | `dormant_return` | one agent or office worker who left in the first third | 10+ days after leaving, 1-2 h | 10^4-2x10^5 records | old client; new IP half the time |
//! | `token_new_network` | one integration user | any hour, 1-4 h | 2x10^4-3x10^5 records over 8-14 objects (usually 2-3) | new cloud IP, its own client |
//! | `multi_account_one_ip` | 3-6 agents or office workers | one 1-3 h window | each 3-8 x its largest normal hour (at least 200 records) | one new IP for all, a script client |
//!
//! Each incident is labelled by the span of its events: `start` is its first event's second,
//! `end` the second after its last event.

use super::rng::Rng;
use super::{
    all_objects, date_of, day_ms, local_ms, nbytes, split_total, Account, Event, GenerateConfig,
    Origin, Role, Strings, MS_DAY, MS_HOUR, MS_MIN,
};
use std::collections::BTreeMap;

/// The incident families, in the order they are planned.
pub const FAMILIES: [&str; 6] = [
    "off_hours_bulk",
    "insider_business_hours",
    "low_and_slow",
    "dormant_return",
    "token_new_network",
    "multi_account_one_ip",
];

/// Script clients an attacker uses.
pub const ATTACKER_CLIENTS: [&str; 4] = [
    "python-requests/2.31.0",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "PostmanRuntime/7.36.0",
];

/// A planted incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub family: &'static str,
    /// Account indices.
    pub accounts: Vec<u32>,
    /// Labelled span, ms UTC: [start, end).
    pub start: i64,
    pub end: i64,
}

/// An incident chosen before the normal activity is generated (it may change an account: a
/// dormant account leaves early).
#[derive(Debug, Clone)]
pub struct Planned {
    pub family: usize,
    pub instance: usize,
    pub accounts: Vec<u32>,
    pub day: i64,
}

/// Instances of each family: 2 below 150 accounts, 3 from 150, then one per 100 accounts (10
/// at 1,000), so that a large tenant measures recall in finer steps than 1 in 18.
fn instances(cfg: &GenerateConfig) -> usize {
    if cfg.accounts >= 150 {
        (cfg.accounts as usize / 100).max(3)
    } else {
        2
    }
}

/// Chooses the accounts and days of every incident.
pub fn plan(cfg: &GenerateConfig, accounts: &mut [Account]) -> Vec<Planned> {
    let mut r = Rng::new(cfg.seed, "incident-plan", 0);
    let days = cfg.days as i64;
    let plain = |a: &Account| {
        a.first_day < 0 && a.last_day >= days && a.team_change.is_none() && a.travel.is_none()
    };
    let pool = |roles: &[Role], r: &mut Rng| -> Vec<u32> {
        let mut v: Vec<u32> = (0..accounts.len() as u32)
            .filter(|&i| {
                let a = &accounts[i as usize];
                roles.contains(&a.role) && plain(a)
            })
            .collect();
        r.shuffle(&mut v);
        v
    };
    let mut integ = pool(&[Role::Integration], &mut r);
    let mut desk = pool(&[Role::Office, Role::Analyst], &mut r);
    let mut agents = pool(&[Role::Agent], &mut r);
    let mut mixed = Vec::new();
    let n = instances(cfg);
    let mut out = Vec::new();
    let late_day = |r: &mut Rng| r.range(days / 3, days - 1);
    // Family by family, so the multi-account family (last) takes what is left.
    for (family, &name) in FAMILIES.iter().enumerate() {
        for instance in 0..n {
            let accs: Vec<u32> = match name {
                "off_hours_bulk" => agents.pop().into_iter().collect(),
                "insider_business_hours" | "low_and_slow" => desk.pop().into_iter().collect(),
                "token_new_network" => integ.pop().into_iter().collect(),
                "dormant_return" => agents.pop().or_else(|| desk.pop()).into_iter().collect(),
                _ => {
                    if mixed.is_empty() {
                        mixed.append(&mut agents);
                        mixed.append(&mut desk);
                        r.shuffle(&mut mixed);
                    }
                    let k = (r.int(3, 6) as usize).min(mixed.len());
                    let mut v: Vec<u32> = mixed.drain(..k).collect();
                    if v.len() < 3 {
                        v.clear();
                    }
                    v
                }
            };
            if accs.is_empty() {
                continue;
            }
            let mut day = late_day(&mut r);
            if name == "dormant_return" {
                let a = &mut accounts[accs[0] as usize];
                a.last_day = r.range(days / 6, days / 3 + 1);
                a.leave.clear();
                day = r.range(a.last_day + 10, days - 1);
            }
            if name == "low_and_slow" {
                day = r.range(days / 3, days - 12).max(days / 3);
            }
            if name == "low_and_slow" || name == "insider_business_hours" {
                // Working days in a row, with no leave in the way.
                accounts[accs[0] as usize].leave.clear();
            }
            out.push(Planned {
                family,
                instance,
                accounts: accs,
                day,
            });
        }
    }
    out.sort_by_key(|p| (p.family, p.instance));
    out
}

/// Per-account statistics of normal activity.
pub struct Norms {
    /// Largest records in one UTC hour.
    pub max_hour: BTreeMap<u32, i64>,
    /// Median records per active UTC day.
    pub median_day: BTreeMap<u32, i64>,
}

pub fn norms(events: &[Event]) -> Norms {
    let mut hours: BTreeMap<(u32, i64), i64> = BTreeMap::new();
    let mut days: BTreeMap<(u32, i64), i64> = BTreeMap::new();
    for e in events.iter().filter(|e| e.origin == Origin::Normal) {
        *hours
            .entry((e.account, e.time.div_euclid(MS_HOUR)))
            .or_default() += e.records;
        *days
            .entry((e.account, e.time.div_euclid(MS_DAY)))
            .or_default() += e.records;
    }
    let mut max_hour: BTreeMap<u32, i64> = BTreeMap::new();
    for ((a, _), v) in hours {
        let m = max_hour.entry(a).or_default();
        *m = (*m).max(v);
    }
    let mut per: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for ((a, _), v) in days {
        per.entry(a).or_default().push(v);
    }
    let median_day = per
        .into_iter()
        .map(|(a, mut v)| {
            v.sort_unstable();
            (a, v[v.len() / 2])
        })
        .collect();
    Norms {
        max_hour,
        median_day,
    }
}

/// `n` times in [start, start + dur): the first at `start`, the last a second before the end.
fn spread(r: &mut Rng, start: i64, dur: i64, n: usize) -> Vec<i64> {
    let mut t: Vec<i64> = (0..n).map(|_| r.range(start, start + dur)).collect();
    t.sort_unstable();
    if n >= 2 {
        t[0] = start;
        t[n - 1] = start + dur - 1000;
    }
    t.sort_unstable();
    t
}

/// Builds the events of every planned incident, appends them and returns the labels.
pub fn plant(
    cfg: &GenerateConfig,
    plans: &[Planned],
    accounts: &[Account],
    ips: &mut Strings,
    clients: &mut Strings,
    events: &mut Vec<Event>,
) -> Vec<Incident> {
    let nm = norms(events);
    let t0 = day_ms(cfg.start);
    let end_ms = t0 + cfg.days as i64 * MS_DAY;
    let mut out = Vec::new();
    let data_objects = ["Contact", "Account", "Booking", "Case"];
    for (k, p) in plans.iter().enumerate() {
        let mut r = Rng::new(cfg.seed, "incident", k as u64);
        let family = FAMILIES[p.family];
        let id = out.len() as u32;
        let date = date_of(cfg, p.day);
        let mut new: Vec<Event> = Vec::new();
        let mut push = |r: &mut Rng,
                        acc: u32,
                        times: &[i64],
                        parts: Vec<i64>,
                        action: &'static str,
                        objs: &[&'static str],
                        ip: u32,
                        client: u32| {
            for (i, (&t, n)) in times.iter().zip(parts).enumerate() {
                let obj = if objs.len() > 3 {
                    objs[i % objs.len()]
                } else {
                    *r.pick(objs)
                };
                let bytes = nbytes(r, obj, n);
                new.push(Event {
                    time: t,
                    account: acc,
                    action,
                    object: obj,
                    records: n,
                    bytes,
                    ip,
                    client,
                    origin: Origin::Incident(id),
                });
            }
        };
        let a0 = p.accounts[0];
        let acc = &accounts[a0 as usize];
        match family {
            "off_hours_bulk" => {
                let h = acc.shift_start_hour(p.day);
                let start = local_ms(acc.site.tz(), date, (h + 11) * 60) + r.range(0, MS_HOUR);
                let dur = r.range(60 * MS_MIN, 180 * MS_MIN + 1);
                let total = r.loguniform(1e5, 1e6);
                let n = r.int(30, 150) as usize;
                let times = spread(&mut r, start, dur, n);
                let parts = split_total(&mut r, total, n);
                let ip = ips.add(format!("185.220.101.{}", 10 + k));
                let client = clients.add((*r.pick(&ATTACKER_CLIENTS)).into());
                push(
                    &mut r,
                    a0,
                    &times,
                    parts,
                    "export",
                    &data_objects,
                    ip,
                    client,
                );
            }
            "insider_business_hours" => {
                // A working day on or after the planned one.
                let mut d = p.day;
                while d < cfg.days as i64 - 1 && !acc.works(d, date_of(cfg, d), true) {
                    d += 1;
                }
                let date = date_of(cfg, d);
                let start = local_ms(acc.site.tz(), date, 600) + r.range(0, 240 * MS_MIN);
                let dur = r.range(60 * MS_MIN, 180 * MS_MIN + 1);
                let base = nm.max_hour.get(&a0).copied().unwrap_or(0).max(500);
                let total = (base as f64 * r.uniform(10.0, 30.0)) as i64;
                let n = r.int(10, 60) as usize;
                let times = spread(&mut r, start, dur, n);
                let parts = split_total(&mut r, total, n);
                let ip = acc.ip_on(d, date);
                push(
                    &mut r,
                    a0,
                    &times,
                    parts,
                    "report_export",
                    &data_objects,
                    ip,
                    acc.client,
                );
            }
            "low_and_slow" => {
                let median = nm.median_day.get(&a0).copied().unwrap_or(0).max(200);
                let want = r.int(4, 8) as usize;
                let mut d = p.day;
                let mut done = 0;
                while done < want && d < cfg.days as i64 {
                    let date = date_of(cfg, d);
                    if acc.works(d, date, true) {
                        let total = (median as f64 * r.uniform(2.0, 4.0)) as i64;
                        let n = r.int(3, 8) as usize;
                        let lo = local_ms(acc.site.tz(), date, 570);
                        let hi = local_ms(acc.site.tz(), date, 990);
                        let mut times: Vec<i64> = (0..n).map(|_| r.range(lo, hi)).collect();
                        times.sort_unstable();
                        let parts = split_total(&mut r, total, n);
                        let ip = acc.ip_on(d, date);
                        push(
                            &mut r,
                            a0,
                            &times,
                            parts,
                            "report_export",
                            &data_objects,
                            ip,
                            acc.client,
                        );
                        done += 1;
                    }
                    d += 1;
                }
            }
            "dormant_return" => {
                let start = local_ms(acc.site.tz(), date, 540) + r.range(0, 11 * MS_HOUR);
                let dur = r.range(60 * MS_MIN, 120 * MS_MIN + 1);
                let total = r.loguniform(1e4, 2e5);
                let n = r.int(10, 60) as usize;
                let times = spread(&mut r, start, dur, n);
                let parts = split_total(&mut r, total, n);
                let ip = if r.chance(0.5) {
                    ips.add(format!("45.134.26.{}", 10 + k))
                } else {
                    acc.ip
                };
                push(
                    &mut r,
                    a0,
                    &times,
                    parts,
                    "export",
                    &data_objects,
                    ip,
                    acc.client,
                );
            }
            "token_new_network" => {
                let start = t0 + p.day * MS_DAY + r.range(0, 20 * MS_HOUR);
                let dur = r.range(60 * MS_MIN, 240 * MS_MIN + 1);
                let mut objs = all_objects();
                r.shuffle(&mut objs);
                objs.truncate(r.int(8, 14) as usize);
                let total = r.loguniform(2e4, 3e5);
                let n = r.int(40, 200) as usize;
                let times = spread(&mut r, start, dur, n);
                let parts = split_total(&mut r, total, n);
                let ip = ips.add(format!("146.190.{}.{}", 20 + k, 7 + k));
                push(
                    &mut r,
                    a0,
                    &times,
                    parts,
                    "api_query",
                    &objs,
                    ip,
                    acc.client,
                );
            }
            _ => {
                let start = t0 + p.day * MS_DAY + r.range(0, 20 * MS_HOUR);
                let dur = r.range(60 * MS_MIN, 180 * MS_MIN + 1);
                let ip = ips.add(format!("91.219.236.{}", 10 + k));
                let client = clients.add((*r.pick(&ATTACKER_CLIENTS)).into());
                for &a in &p.accounts {
                    let base = nm.max_hour.get(&a).copied().unwrap_or(0).max(200);
                    let total = (base as f64 * r.uniform(3.0, 8.0)) as i64;
                    let n = r.int(5, 20) as usize;
                    let times = spread(&mut r, start, dur, n);
                    let parts = split_total(&mut r, total, n);
                    push(
                        &mut r,
                        a,
                        &times,
                        parts,
                        "export",
                        &data_objects,
                        ip,
                        client,
                    );
                }
            }
        }
        new.retain(|e| e.time >= t0 && e.time < end_ms);
        if new.is_empty() {
            continue;
        }
        let first = new.iter().map(|e| e.time).min().unwrap_or(t0);
        let last = new.iter().map(|e| e.time).max().unwrap_or(t0);
        let mut accs: Vec<u32> = new.iter().map(|e| e.account).collect();
        accs.sort_by(|&x, &y| accounts[x as usize].name.cmp(&accounts[y as usize].name));
        accs.dedup();
        let n_same = out
            .iter()
            .filter(|i: &&Incident| i.family == family)
            .count();
        out.push(Incident {
            id: format!("{family}-{}", n_same + 1),
            family,
            accounts: accs,
            start: first.div_euclid(1000) * 1000,
            end: last.div_euclid(1000) * 1000 + 1000,
        });
        events.extend(new);
    }
    out
}
