//! What analysts have said about alerts before they are raised: allowlists, suppressions (with
//! an expiry and a reason) and "not a threat" verdicts (feedback).
//!
//! Applied to incidents after detection and before alerts are built, in `scan` and `detect`
//! alike:
//!
//! - an incident matching an **allowlist** rule (`[[allow]]` in the config file: an account,
//!   source IP ranges, or both) is not raised;
//! - an incident whose account and leading factor match an active **suppression**
//!   (`[[suppress]]`, until its expiry) is not raised;
//! - an incident of an account with a **"not a threat" verdict** (`exfilwatch feedback`, kept in
//!   the state) whose factors are all among the factors of the judged alert (the pattern the
//!   analyst called normal) has every finding's score lowered by [`FEEDBACK_POINTS`], and its
//!   severity recomputed: it still alerts if it is a thousand times rarer than what was judged.
//!
//! Nothing is dropped silently: the run summary counts what each rule held back, by reason.

use crate::config::{Allow, Suppress};
use crate::detect::{AlertLine, Incident, Severity};
use crate::features::Activity;
use crate::state::Verdict;
use std::collections::{BTreeMap, BTreeSet};

/// Points (-log10 units: 3 is a thousandfold) a "not a threat" verdict takes off a matching
/// incident's findings.
pub const FEEDBACK_POINTS: f64 = 3.0;

/// The rules of one run.
#[derive(Debug, Clone)]
pub struct Policy {
    pub allow: Vec<Allow>,
    pub suppress: Vec<Suppress>,
    pub verdicts: Vec<Verdict>,
    pub tz: chrono_tz::Tz,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow: Vec::new(),
            suppress: Vec::new(),
            verdicts: Vec::new(),
            tz: chrono_tz::UTC,
        }
    }
}

/// What the rules held back or lowered, by reason (for the run summary).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Held {
    pub allowed: BTreeMap<String, usize>,
    pub suppressed: BTreeMap<String, usize>,
    pub lowered: BTreeMap<String, usize>,
}

impl Held {
    /// Lines for the run summary (empty when no rule applied).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let mut line = |what: &str, m: &BTreeMap<String, usize>| {
            for (reason, n) in m {
                s.push_str(&format!(
                    "  {what} {n} incident(s): {}\n",
                    crate::alert::sanitize::neutralize(reason)
                ));
            }
        };
        line("allowlisted", &self.allowed);
        line("suppressed", &self.suppressed);
        line("feedback lowered", &self.lowered);
        s
    }
}

/// A pattern: the contributing factors' names, sorted, without repeats. A verdict stores it
/// joined by commas ([`pattern_key`]).
pub type Pattern<'a> = BTreeSet<&'a str>;

/// The pattern of some (factor, contribution) pairs: the factors that added to the score.
fn pattern<'a>(reasons: impl IntoIterator<Item = (&'a str, f64)>) -> Pattern<'a> {
    reasons
        .into_iter()
        .filter(|&(_, contribution)| contribution > 0.0)
        .map(|(factor, _)| factor)
        .collect()
}

/// The pattern of an incident: the factors of all its findings.
pub fn pattern_of(inc: &Incident) -> Pattern<'static> {
    pattern(
        inc.findings
            .iter()
            .flat_map(|f| f.reasons.iter())
            .map(|r| (r.factor.as_str(), r.contribution)),
    )
}

/// The pattern of an alert as raised: the factors of its reasons (the lead finding's).
pub fn pattern_of_alert(a: &crate::alert::Alert) -> Pattern<'_> {
    pattern(
        a.reasons
            .iter()
            .map(|r| (r.factor.as_str(), r.contribution)),
    )
}

/// How a verdict stores a pattern: the names joined by commas.
pub fn pattern_key(p: &Pattern) -> String {
    p.iter().copied().collect::<Vec<_>>().join(",")
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.suppress.is_empty() && self.verdicts.is_empty()
    }

    /// Applies the rules at `now_ms`: returns the incidents to raise (lowered where feedback
    /// applies) and what was held back.
    pub fn apply(
        &self,
        incidents: Vec<Incident>,
        activity: &dyn Activity,
        line: &AlertLine,
        now_ms: i64,
    ) -> (Vec<Incident>, Held) {
        let mut held = Held::default();
        if self.is_empty() {
            return (incidents, held);
        }
        let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        // IP rules need the incidents' source IPs, from their evidence (an account-only rule
        // needs none).
        let ips_of: Vec<BTreeSet<u32>> = if self.allow.iter().any(|a| !a.ips.is_empty()) {
            activity
                .evidence(&crate::alert::spans(&incidents))
                .into_iter()
                .map(|e| e.ips)
                .collect()
        } else {
            vec![BTreeSet::new(); incidents.len()]
        };
        let names = activity.names();
        let mut out = Vec::with_capacity(incidents.len());
        for (mut inc, ips) in incidents.into_iter().zip(ips_of) {
            let account = names.account_name(inc.account);
            let source = names.account_source(inc.account);
            if !self.allow.is_empty() {
                let ips: Vec<&str> = ips.iter().map(|&c| names.ips.get(c)).collect();
                if let Some(rule) = self.allow.iter().find(|a| a.matches(account, &ips)) {
                    *held.allowed.entry(rule.reason.clone()).or_default() += 1;
                    continue;
                }
            }
            let leading = inc.lead().reasons.first().map_or("", |r| r.factor.as_str());
            if let Some(rule) = self
                .suppress
                .iter()
                .find(|s| s.active_at(now, self.tz) && s.matches(account, leading))
            {
                *held.suppressed.entry(rule.reason.clone()).or_default() += 1;
                continue;
            }
            let pattern = pattern_of(&inc);
            let verdict = self.verdicts.iter().find(|v| {
                v.account == account && v.source == source && {
                    let judged: BTreeSet<&str> = v.pattern.split(',').collect();
                    pattern.iter().all(|f| judged.contains(f))
                }
            });
            if let Some(v) = verdict {
                for f in &mut inc.findings {
                    f.score -= FEEDBACK_POINTS;
                    f.severity =
                        Severity::from_score(f.score, line.line_for(f)).unwrap_or(Severity::Low);
                }
                *held
                    .lowered
                    .entry(format!("not a threat ({}): {}", v.alert_id, v.reason))
                    .or_default() += 1;
            }
            out.push(inc);
        }
        (out, held)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{parse, Until};
    use crate::detect::{Factor, Finding, Measure, Reason, Scope, VolumeBaseline};
    use crate::features::{Window, WindowKind};
    use crate::ingest::event::EventTable;
    use crate::ingest::event::RawEvent;

    const H: i64 = 3_600_000;

    /// Two accounts with one event each at hour 10 (UTC, 2025-01-01), from different IPs.
    pub(crate) fn events() -> EventTable {
        let mut t = EventTable::default();
        let f = t.add_file("x.csv");
        let s = t.source_code("generic");
        let day = 1_735_689_600_000; // 2025-01-01T00:00:00Z
        for (acc, ip) in [("alice", "10.1.2.3"), ("bob", "198.51.100.9")] {
            t.push(
                s,
                f,
                &RawEvent {
                    time_ms: day + 10 * H + 60_000,
                    account: acc,
                    src_ip: ip,
                    records: Some(5_000),
                    ..Default::default()
                },
            );
        }
        t
    }

    /// An hourly incident of `account` at hour 10 of 2025-01-01 with these factors.
    pub(crate) fn incident(account: u32, factors: &[(Factor, f64)]) -> Incident {
        let start = 1_735_689_600_000 + 10 * H;
        let f = Finding {
            window: Window {
                account,
                kind: WindowKind::Hour,
                start_ms: start,
                end_ms: start + H,
                events: 1,
                exports: 0,
                records: Some(5_000),
                bytes: None,
                distinct_objects: 1,
                local_day: 0,
                local_hour: 10,
                local_weekday: 2,
                new_ips: vec![],
                new_clients: vec![],
                new_objects: vec![],
            },
            score: factors.iter().map(|f| f.1).sum(),
            severity: Severity::High,
            baseline: VolumeBaseline {
                scope: Scope::Account,
                measure: Measure::Records,
                windows: 100,
                median: 10.0,
                p99: 100.0,
                tail_probability: 1e-5,
                model: crate::detect::VolumeModel::ParetoTail,
            },
            hour_rate: None,
            reasons: factors
                .iter()
                .map(|&(factor, contribution)| Reason {
                    factor,
                    contribution,
                    observed: 1.0,
                    typical: 0.1,
                })
                .collect(),
            run: None,
            ring: None,
            busy_day: None,
            month_close: None,
            peer_day: None,
            off_hours_precedent: None,
        };
        Incident {
            account,
            start_ms: start,
            end_ms: start + H,
            findings: vec![f],
        }
    }

    fn line() -> AlertLine {
        AlertLine {
            high: 6.0,
            run_high: 4.0,
            ring_high: 4.5,
            ..AlertLine::default()
        }
    }

    #[test]
    fn allowlists_match_by_account_or_by_every_ip_in_range() {
        let ev = events();
        let (alice, bob) = (1, 2);
        assert_eq!(ev.account_name(alice), "alice");
        let cfg = parse(
            "[[allow]]\nips = [\"10.0.0.0/8\"]\nreason = \"office network\"\n\n[[allow]]\naccount = \"carol\"\nreason = \"backup job\"\n",
            "t.toml",
        )
        .unwrap();
        let p = Policy {
            allow: cfg.allow,
            ..Policy::default()
        };
        let incs = vec![
            incident(alice, &[(Factor::Volume, 7.0)]),
            incident(bob, &[(Factor::Volume, 7.0)]),
        ];
        let (kept, held) = p.apply(incs, &ev, &line(), 0);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].account, bob, "bob's IP is outside 10/8");
        assert_eq!(held.allowed.get("office network"), Some(&1));
        assert!(held
            .summary()
            .contains("allowlisted 1 incident(s): office network"));
    }

    #[test]
    fn suppressions_hold_the_leading_factor_until_they_expire() {
        let ev = events();
        let cfg = parse(
            "[[suppress]]\naccount = \"alice\"\nfactor = \"off_hours\"\nuntil = \"2025-01-31\"\nreason = \"migration\"\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            cfg.suppress[0].until,
            Until::Date(chrono::NaiveDate::from_ymd_opt(2025, 1, 31).unwrap())
        );
        let p = Policy {
            suppress: cfg.suppress,
            ..Policy::default()
        };
        let off = || incident(1, &[(Factor::OffHours, 2.0), (Factor::Volume, 1.0)]);
        let vol = || incident(1, &[(Factor::Volume, 7.0), (Factor::OffHours, 2.0)]);
        let jan_15 = 1_736_899_200_000; // 2025-01-15T00:00:00Z
        let feb_1 = 1_738_368_000_000; // 2025-02-01T00:00:00Z
        let (kept, held) = p.apply(vec![off(), vol()], &ev, &line(), jan_15);
        assert_eq!(kept.len(), 1, "only the off-hours-led incident is held");
        assert_eq!(kept[0].findings[0].reasons[0].factor, Factor::Volume);
        assert_eq!(held.suppressed.get("migration"), Some(&1));
        let (kept, _) = p.apply(vec![off()], &ev, &line(), feb_1);
        assert_eq!(kept.len(), 1, "expired at the end of 2025-01-31 (UTC)");
    }

    #[test]
    fn a_verdict_lowers_only_incidents_within_its_pattern() {
        let ev = events();
        let p = Policy {
            verdicts: vec![Verdict {
                alert_id: "ew-1".into(),
                source: "generic".into(),
                account: "alice".into(),
                pattern: "off_hours,volume".into(),
                reason: "audit export".into(),
                at_ms: 0,
            }],
            ..Policy::default()
        };
        let same = incident(1, &[(Factor::Volume, 5.5), (Factor::OffHours, 2.0)]);
        let more = incident(1, &[(Factor::Volume, 5.5), (Factor::NewIp, 1.5)]);
        let other_account = incident(2, &[(Factor::Volume, 7.5)]);
        let (kept, held) = p.apply(vec![same, more, other_account], &ev, &line(), 0);
        // 7.5 - 3 = 4.5: below the line (6), inside the medium band (line - 2 = 4 and up).
        assert!((kept[0].findings[0].score - 4.5).abs() < 1e-12);
        assert_eq!(kept[0].findings[0].severity, Severity::Medium);
        assert!(
            (kept[1].findings[0].score - 7.0).abs() < 1e-12,
            "a new factor: not lowered"
        );
        assert!(
            (kept[2].findings[0].score - 7.5).abs() < 1e-12,
            "another account"
        );
        assert_eq!(held.lowered.values().sum::<usize>(), 1);
    }

    #[test]
    fn a_lowered_ring_is_judged_by_the_rings_line() {
        let ev = events();
        let p = Policy {
            verdicts: vec![Verdict {
                alert_id: "ew-2".into(),
                source: "generic".into(),
                account: "alice".into(),
                pattern: "shared_ip".into(),
                reason: "office move".into(),
                at_ms: 0,
            }],
            ..Policy::default()
        };
        let mut ring = incident(1, &[(Factor::SharedIp, 8.0)]);
        ring.findings[0].ring = Some(crate::detect::rings::RingEvidence {
            ip: 0,
            members: vec![1, 2, 3],
            groups: 1,
            routine_address: false,
            family: 1,
            rank: 1,
            multiplicity: 1.0,
            fisher_p: 1e-8,
            hours_p: 1e-8,
            with_client: 0,
            client_rate: 0.1,
            client_p: 1.0,
            member_p: 0.01,
            hour_p: 0.01,
            hours: 100,
        });
        let hour = incident(1, &[(Factor::SharedIp, 8.0)]);
        let (kept, _) = p.apply(vec![ring, hour], &ev, &line(), 0);
        // 8 - 3 = 5: over the rings' line (4.5), under the windows' line (6).
        assert!((kept[0].findings[0].score - 5.0).abs() < 1e-12);
        assert_eq!(kept[0].findings[0].severity, Severity::High);
        assert_eq!(kept[1].findings[0].severity, Severity::Medium);
    }
}
