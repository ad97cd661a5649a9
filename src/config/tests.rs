use super::*;
use chrono::{TimeZone, Weekday};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn ok(text: &str) -> Config {
    match parse(text, "test.toml") {
        Ok(c) => c,
        Err(e) => panic!("expected {text:?} to parse, got: {e}"),
    }
}

fn err(text: &str) -> ConfigError {
    match parse(text, "test.toml") {
        Ok(c) => panic!("expected {text:?} to be rejected, got {c:?}"),
        Err(e) => e,
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    IpNet::parse(s).unwrap()
}

// ----- EXAMPLE -----------------------------------------------------------------------------

#[test]
fn example_parses_to_the_documented_defaults() {
    let c = ok(EXAMPLE);
    assert_eq!(c, Config::default());
    // The defaults themselves, spelled out as documented (not via the constants).
    assert_eq!(c.organisation.timezone, chrono_tz::UTC);
    let h = &c.organisation.business_hours;
    assert_eq!((h.start_minute(), h.end_minute()), (480, 1080));
    assert_eq!(
        h.days(),
        vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri
        ]
    );
    assert_eq!(c.detection.alert_budget, 1.0);
    assert_eq!(c.detection.min_records, 1000);
    assert_eq!(c.detection.min_bytes, 1_000_000);
    assert_eq!(c.detection.min_severity, Severity::High);
    assert_eq!(c.detection.fail_on, Severity::High);
    assert_eq!(c.history.window_days, 90);
    assert_eq!(c.state.path, None);
    assert_eq!(c.delivery.timeout_secs, 10);
    assert_eq!(c.delivery.retries, 4);
    assert_eq!(c.delivery.webhook_url_env, None);
    assert!(c.accounts.is_empty() && c.allow.is_empty() && c.suppress.is_empty());
}

#[test]
fn empty_file_is_the_default() {
    assert_eq!(ok(""), Config::default());
    assert_eq!(ok("# nothing\n\n"), Config::default());
}

/// `#key = ...` and `#[table]` lines of the example, switched on.
fn example_switched_on() -> String {
    EXAMPLE
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '[') => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn example_switched_off_lines_are_valid_when_switched_on() {
    let c = ok(&example_switched_on());
    let night = &c.accounts["night.agent@example.com"];
    assert_eq!(night.timezone, Some(chrono_tz::Asia::Manila));
    let h = night.business_hours.as_ref().unwrap();
    assert_eq!((h.start_minute(), h.end_minute()), (22 * 60, 6 * 60));
    assert_eq!(
        c.state.path,
        Some(PathBuf::from("/var/lib/exfilwatch/state.db"))
    );
    assert_eq!(c.allow.len(), 1);
    assert_eq!(c.allow[0].account.as_deref(), Some("svc-nightly-export"));
    assert_eq!(
        c.allow[0].ips,
        vec![net("203.0.113.0/24"), net("2001:db8::/32")]
    );
    assert_eq!(c.allow[0].reason, "nightly CRM backup job (CHG-1234)");
    assert_eq!(c.suppress.len(), 1);
    let s = &c.suppress[0];
    assert_eq!(s.account, "maria.oconnor");
    assert_eq!(s.factor.as_deref(), Some("off_hours"));
    assert_eq!(
        s.until,
        Until::Date(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
    );
    let d = &c.delivery;
    assert_eq!(d.webhook_url_env.as_deref(), Some("EXFILWATCH_WEBHOOK_URL"));
    assert_eq!(
        d.webhook_secret_env.as_deref(),
        Some("EXFILWATCH_WEBHOOK_SECRET")
    );
    assert_eq!(d.slack_url_env.as_deref(), Some("EXFILWATCH_SLACK_URL"));
    assert_eq!(
        d.ocsf_file,
        Some(PathBuf::from("/var/log/exfilwatch/findings.ocsf.jsonl"))
    );
}

#[test]
fn example_shows_every_key() {
    let keys = [
        "timezone",
        "business_hours",
        "business_days",
        "alert_budget",
        "min_records",
        "min_bytes",
        "min_severity",
        "fail_on",
        "window_days",
        "path",
        "account",
        "ips",
        "reason",
        "factor",
        "until",
        "webhook_url_env",
        "webhook_secret_env",
        "slack_url_env",
        "ocsf_file",
        "timeout_secs",
        "retries",
    ];
    let on = example_switched_on();
    for k in keys {
        let prefix = format!("{k} = ");
        assert!(
            on.lines().any(|l| l.starts_with(&prefix)),
            "EXAMPLE does not show `{k}`"
        );
    }
    for t in [
        "[organisation]",
        "[accounts.",
        "[detection]",
        "[history]",
        "[state]",
        "[[allow]]",
        "[[suppress]]",
        "[delivery]",
    ] {
        assert!(on.lines().any(|l| l.starts_with(t)), "EXAMPLE lacks {t}");
    }
}

// ----- unknown keys and positions ---------------------------------------------------------

#[test]
fn unknown_top_level_key_is_rejected_with_key_and_line() {
    let e = err("[detection]\nmin_records = 5\n\n[detections]\nmin_records = 5\n");
    let msg = e.to_string();
    assert_eq!(e.line(), Some(4), "{msg}");
    assert!(msg.starts_with("test.toml:4:"), "{msg}");
    assert!(msg.contains("unknown key `detections`"), "{msg}");

    let e = err("# comment\nwindow_days = 30\n");
    assert_eq!(e.line(), Some(2));
    assert!(e.to_string().contains("`window_days`"), "{e}");
}

#[test]
fn unknown_nested_keys_are_rejected_with_key_and_line() {
    let cases = [
        ("[detection]\nalert_budget = 2\nalert_budgt = 2\n", 3, "alert_budgt"),
        ("[organisation]\ntimezone = \"UTC\"\ntime_zone = \"UTC\"\n", 3, "time_zone"),
        (
            "[accounts.\"bob\"]\ntimezone = \"UTC\"\n\nbusinesshours = \"09:00-17:00\"\n",
            4,
            "businesshours",
        ),
        (
            "[[allow]]\naccount = \"a\"\nreason = \"r\"\n[[allow]]\naccount = \"b\"\nreasons = \"r\"\n",
            6,
            "reasons",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntill = \"2026-01-01\"\n",
            3,
            "untill",
        ),
        ("[delivery]\nwebhook_url = \"X\"\n", 2, "webhook_url"),
        ("[history]\nwindow = 30\n", 2, "window"),
        ("[state]\nfile = \"/x\"\n", 2, "file"),
        ("accounts.bob.timezone = \"UTC\"\naccounts.bob.tz = \"UTC\"\n", 2, "tz"),
    ];
    for (text, line, key) in cases {
        let e = err(text);
        let msg = e.to_string();
        assert_eq!(e.line(), Some(line), "{msg}");
        assert!(msg.contains(&format!("unknown key `{key}`")), "{msg}");
    }
}

#[test]
fn syntax_and_type_errors_have_positions() {
    let e = err("[detection]\nmin_records = \"1000\"\n");
    assert_eq!(e.line(), Some(2), "{e}");
    assert!(e.to_string().starts_with("test.toml:2:15: "), "{e}");
    let e = err("[detection]\nmin_records = 1\n[detection]\n");
    assert_eq!(e.line(), Some(3), "{e}");
    let e = err("[organisation\n");
    assert_eq!(e.line(), Some(1), "{e}");
}

#[test]
fn columns_count_characters_and_bom_is_skipped() {
    // "é" is two bytes but one column.
    let e = err("\u{feff}[detection]\n# é\nmin_severity = \"urgent\"\n");
    assert!(e.to_string().starts_with("test.toml:3:16: "), "{e}");
    let e = err("[organisation] # é\ntimezone = \"X\"\n");
    assert!(e.to_string().starts_with("test.toml:2:12: "), "{e}");
}

#[test]
fn control_characters_in_messages_are_escaped() {
    let e = err("[accounts.\"x\"]\n\"\\u001b[2J\" = 1\n");
    let msg = e.to_string();
    assert!(!msg.contains('\u{1b}'), "{msg:?}");
    assert!(msg.contains("\\u{1b}[2J"), "{msg:?}");
}

#[test]
fn load_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exfilwatch.toml");
    std::fs::write(&path, "[history]\nwindow_days = 3\n").unwrap();
    let e = load(&path).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}:2:15: ", path.display())),
        "{msg}"
    );
    assert!(msg.contains("history.window_days = 3"), "{msg}");

    std::fs::write(&path, "[history]\nwindow_days = 7\n").unwrap();
    assert_eq!(load(&path).unwrap().history.window_days, 7);

    let missing = dir.path().join("missing.toml");
    let e = load(&missing).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    assert!(e.to_string().starts_with(&missing.display().to_string()));
}

// ----- validation -------------------------------------------------------------------------

/// Each text is rejected at `line` with a message containing `needle`.
fn rejects(cases: &[(&str, usize, &str)]) {
    for (text, line, needle) in cases {
        let e = err(text);
        let msg = e.to_string();
        assert_eq!(e.line(), Some(*line), "{text:?}: {msg}");
        assert!(msg.contains(needle), "{text:?}: {msg:?} lacks {needle:?}");
    }
}

#[test]
fn invalid_time_zones_are_rejected() {
    rejects(&[
        (
            "[organisation]\ntimezone = \"Europe/Londn\"\n",
            2,
            "not an IANA time zone name",
        ),
        (
            "[organisation]\ntimezone = \"europe/london\"\n",
            2,
            "did you mean \"Europe/London\"",
        ),
        (
            "[organisation]\ntimezone = \"\"\n",
            2,
            "organisation.timezone",
        ),
        (
            "[accounts.\"a@x\"]\n\ntimezone = \"GMT+25\"\n",
            3,
            "accounts.\"a@x\".timezone",
        ),
    ]);
}

#[test]
fn bad_business_hours_and_days_are_rejected() {
    rejects(&[
        (
            "[organisation]\nbusiness_hours = \"9-17\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"08:00\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"08:60-18:00\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"25:00-06:00\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"24:00-06:00\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"18:00-24:01\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"08:0-18:00\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"+8:00-18:00\"\n",
            2,
            "HH:MM-HH:MM",
        ),
        (
            "[organisation]\nbusiness_hours = \"09:00-09:00\"\n",
            2,
            "the same",
        ),
        (
            "[organisation]\nbusiness_days = []\n",
            2,
            "no business days",
        ),
        (
            "[organisation]\nbusiness_days = [\"mon\", \"mo\"]\n",
            2,
            "\"mo\" is not a day",
        ),
        (
            "[accounts.\"n\"]\nbusiness_hours = \"22:00-22:00\"\n",
            2,
            "accounts.\"n\".business_hours",
        ),
        ("[organisation]\nbusiness_hours = 8\n", 2, "invalid type"),
    ]);
}

#[test]
fn business_hours_forms_that_are_accepted() {
    let h = |s: &str| {
        let c = ok(&format!("[organisation]\nbusiness_hours = \"{s}\"\n"));
        let b = c.organisation.business_hours;
        (b.start_minute(), b.end_minute())
    };
    assert_eq!(h("9:30-17:15"), (570, 1035));
    assert_eq!(h("22:00 - 06:00"), (1320, 360));
    assert_eq!(h("00:00-24:00"), (0, 1440));
    assert_eq!(h("18:00-00:00"), (1080, 0));
    let c = ok("[organisation]\nbusiness_days = [\"Saturday\", \"SUN\", \"sun\"]\n");
    assert_eq!(
        c.organisation.business_hours.days(),
        vec![Weekday::Sat, Weekday::Sun]
    );
}

#[test]
fn bad_detection_values_are_rejected() {
    rejects(&[
        ("[detection]\nalert_budget = 0\n", 2, "greater than 0"),
        ("[detection]\nalert_budget = -1.5\n", 2, "greater than 0"),
        ("[detection]\nalert_budget = nan\n", 2, "greater than 0"),
        ("[detection]\nalert_budget = inf\n", 2, "greater than 0"),
        (
            "[detection]\nmin_records = 0\n",
            2,
            "detection.min_records = 0: must be at least 1",
        ),
        (
            "[detection]\nmin_bytes = -1\n",
            2,
            "detection.min_bytes = -1: must be at least 1",
        ),
        (
            "[detection]\nmin_severity = \"urgent\"\n",
            2,
            "low, medium, high, critical",
        ),
        ("[detection]\nfail_on = \"never\"\n", 2, "detection.fail_on"),
        ("[history]\nwindow_days = 6\n", 2, "must be 7 to 3650"),
        ("[history]\nwindow_days = 3651\n", 2, "must be 7 to 3650"),
        ("[delivery]\ntimeout_secs = 0\n", 2, "must be 1 to 300"),
        ("[delivery]\ntimeout_secs = 301\n", 2, "must be 1 to 300"),
        ("[delivery]\nretries = -1\n", 2, "must be 0 to 10"),
        ("[delivery]\nretries = 11\n", 2, "must be 0 to 10"),
        ("[state]\npath = \" \"\n", 2, "state.path is empty"),
        (
            "[delivery]\nocsf_file = \"\"\n",
            2,
            "delivery.ocsf_file is empty",
        ),
    ]);
}

#[test]
fn detection_values_that_are_accepted() {
    let c = ok("[detection]\nalert_budget = 2\nmin_severity = \"HIGH\"\nfail_on = \"critical\"\nmin_records = 1\nmin_bytes = 1\n");
    assert_eq!(c.detection.alert_budget, 2.0);
    assert_eq!(c.detection.min_severity, Severity::High);
    assert_eq!(c.detection.fail_on, Severity::Critical);
    assert_eq!((c.detection.min_records, c.detection.min_bytes), (1, 1));
    let c = ok("[history]\nwindow_days = 3650\n[delivery]\nretries = 0\ntimeout_secs = 300\n");
    assert_eq!(c.history.window_days, 3650);
    assert_eq!((c.delivery.retries, c.delivery.timeout_secs), (0, 300));
}

#[test]
fn urls_and_secrets_in_env_keys_are_rejected_without_echoing_them() {
    let secret_cases = [
        ("webhook_url_env", "https://hooks.example.com/T0/B1/xyz"),
        ("slack_url_env", "http://hooks.slack.com/services/T/B/C"),
        ("webhook_url_env", "ftp://files.example.com/drop"),
        ("slack_url_env", "HTTPS://HOOKS.EXAMPLE.COM/Q"),
    ];
    for (key, value) in secret_cases {
        let e = err(&format!("[delivery]\n{key} = \"{value}\"\n"));
        let msg = e.to_string();
        assert_eq!(e.line(), Some(2), "{msg}");
        assert!(msg.contains("holds a URL"), "{msg}");
        assert!(msg.contains("name of an environment variable"), "{msg}");
        assert!(!msg.contains(value), "value echoed: {msg}");
    }
    let not_names = [
        ("webhook_secret_env", "hunter2!"),
        ("webhook_secret_env", "9f8e7d6c5b4a"),
        ("webhook_secret_env", "abc def"),
        ("slack_url_env", "hooks.slack.com/services/T/B/C"),
        ("webhook_url_env", ""),
    ];
    for (key, value) in not_names {
        let e = err(&format!("[delivery]\n\n{key} = \"{value}\"\n"));
        let msg = e.to_string();
        assert_eq!(e.line(), Some(3), "{msg}");
        assert!(
            msg.contains("is not the name of an environment variable"),
            "{msg}"
        );
        if !value.is_empty() {
            assert!(!msg.contains(value), "value echoed: {msg}");
        }
    }
    // A name is fine, including lower case and names that begin with "HTTP".
    let c = ok("[delivery]\nwebhook_url_env = \"HTTP_HOOK\"\nslack_url_env = \"_slack1\"\n");
    assert_eq!(c.delivery.webhook_url_env.as_deref(), Some("HTTP_HOOK"));
    assert_eq!(c.delivery.slack_url_env.as_deref(), Some("_slack1"));
}

#[test]
fn bad_allow_entries_are_rejected() {
    rejects(&[
        (
            "[[allow]]\naccount = \"a\"\nreason = \"\"\n",
            3,
            "allow.reason is empty",
        ),
        (
            "[[allow]]\naccount = \"a\"\nreason = \"  \\t\"\n",
            3,
            "allow.reason is empty",
        ),
        ("\n[[allow]]\naccount = \"a\"\n", 2, "needs a `reason`"),
        (
            "\n\n[[allow]]\nreason = \"r\"\n",
            3,
            "needs `account`, `ips` or both",
        ),
        (
            "[[allow]]\nips = []\nreason = \"r\"\n",
            2,
            "allow.ips is empty",
        ),
        (
            "[[allow]]\naccount = \"\"\nreason = \"r\"\n",
            2,
            "allow.account",
        ),
        ("[[allow]]\naccount = \" a\"\nreason = \"r\"\n", 2, "spaces"),
        (
            "[[allow]]\nips = [\"10.0.0.0/8\",\n  \"10.0.0.0/33\"]\nreason = \"r\"\n",
            3,
            "prefix length /33 is longer than /32",
        ),
        (
            "[[allow]]\nips = [\"2001:db8::/129\"]\nreason = \"r\"\n",
            2,
            "longer than /128",
        ),
        (
            "[[allow]]\nips = [\"bogus\"]\nreason = \"r\"\n",
            2,
            "not an IP address",
        ),
        (
            "[[allow]]\nips = [\"10.0.0.0/\"]\nreason = \"r\"\n",
            2,
            "not an IP address",
        ),
        (
            "[[allow]]\nips = [\"10.0.0.1/8\"]\nreason = \"r\"\n",
            2,
            "the network is 10.0.0.0/8",
        ),
        (
            "[[allow]]\nips = [\"10.0.0.0/8 \"]\nreason = \"r\"\n",
            2,
            "not an IP address",
        ),
    ]);
}

#[test]
fn bad_suppressions_are_rejected() {
    rejects(&[
        (
            "[[suppress]]\naccount = \"a\"\nuntil = \"2026-01-01\"\nreason = \"\"\n",
            4,
            "suppress.reason is empty",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntil = \"2026-01-01\"\n",
            1,
            "needs `reason`",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nreason = \"r\"\n",
            1,
            "needs `until`",
        ),
        (
            "[[suppress]]\nuntil = \"2026-01-01\"\nreason = \"r\"\n",
            1,
            "needs `account`",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntil = \"2026-02-30\"\nreason = \"r\"\n",
            3,
            "is not a date",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntil = \"31/12/2026\"\nreason = \"r\"\n",
            3,
            "is not a date",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntil = \"2026-12-31T18:00:00\"\nreason = \"r\"\n",
            3,
            "has no UTC offset",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntil = 2026-12-31T18:00:00\nreason = \"r\"\n",
            3,
            "has no UTC offset",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nuntil = 20261231\nreason = \"r\"\n",
            3,
            "must be a date",
        ),
        (
            "[[suppress]]\naccount = \"a\"\nfactor = \"offhours\"\nuntil = \"2026-01-01\"\nreason = \"r\"\n",
            3,
            "must be one of volume, off_hours",
        ),
    ]);
}

#[test]
fn until_accepts_strings_and_toml_dates() {
    let until = |v: &str| {
        let c = ok(&format!(
            "[[suppress]]\naccount = \"a\"\nuntil = {v}\nreason = \"r\"\n"
        ));
        c.suppress[0].until
    };
    let d = Until::Date(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    assert_eq!(until("\"2026-12-31\""), d);
    assert_eq!(until("2026-12-31"), d);
    let t = until("\"2026-12-31T18:00:00+01:00\"");
    let Until::Instant(t) = t else {
        panic!("{t:?}")
    };
    assert_eq!(t.with_timezone(&Utc), utc(2026, 12, 31, 17, 0, 0));
    assert_eq!(until("2026-12-31T17:00:00Z"), Until::Instant(t));
}

// ----- lookups and business hours ---------------------------------------------------------

const OVERRIDES: &str = r#"
[organisation]
timezone = "Europe/London"
business_hours = "08:00-18:00"
business_days = ["mon", "tue", "wed", "thu", "fri"]

[accounts."night.agent@example.com"]
timezone = "Asia/Manila"
business_hours = "22:00-06:00"

[accounts."tz.only"]
timezone = "America/New_York"

[accounts."weekend"]
business_days = ["sat", "sun"]
"#;

#[test]
fn timezone_and_hours_overrides() {
    let c = ok(OVERRIDES);
    assert_eq!(
        c.timezone_for("night.agent@example.com"),
        chrono_tz::Asia::Manila
    );
    assert_eq!(c.timezone_for("tz.only"), chrono_tz::America::New_York);
    assert_eq!(c.timezone_for("weekend"), chrono_tz::Europe::London);
    assert_eq!(c.timezone_for("someone.else"), chrono_tz::Europe::London);
    // Account names compare exactly.
    assert_eq!(
        c.timezone_for("Night.Agent@example.com"),
        chrono_tz::Europe::London
    );

    let night = c.business_hours_for("night.agent@example.com");
    assert_eq!((night.start_minute(), night.end_minute()), (1320, 360));
    assert!(night.wraps_midnight());
    // Hours without days: the organisation's days.
    assert_eq!(night.days(), c.organisation.business_hours.days());
    // No hours or days: the organisation's hours.
    assert_eq!(
        c.business_hours_for("tz.only"),
        &c.organisation.business_hours
    );
    assert_eq!(c.accounts["tz.only"].business_hours, None);
    // Days without hours: the organisation's hours on those days.
    let w = c.business_hours_for("weekend");
    assert_eq!((w.start_minute(), w.end_minute()), (480, 1080));
    assert_eq!(w.days(), vec![Weekday::Sat, Weekday::Sun]);
    assert_eq!(
        c.business_hours_for("nobody"),
        &c.organisation.business_hours
    );
}

#[test]
fn business_hours_within_a_day() {
    let h = BusinessHours::default(); // 08:00-18:00 mon-fri
    assert!(!h.contains(Weekday::Mon, 7 * 60 + 59));
    assert!(h.contains(Weekday::Mon, 8 * 60));
    assert!(h.contains(Weekday::Fri, 17 * 60 + 59));
    assert!(!h.contains(Weekday::Fri, 18 * 60));
    assert!(!h.contains(Weekday::Sat, 12 * 60));
    assert!(!h.contains(Weekday::Sun, 12 * 60));
    assert!(!h.contains(Weekday::Wed, 1440));
    assert!(!h.contains(Weekday::Wed, 0));

    let all = BusinessHours::new(0, 1440, &[Weekday::Sun]).unwrap();
    assert!(all.contains(Weekday::Sun, 0));
    assert!(all.contains(Weekday::Sun, 1439));
    assert!(!all.contains(Weekday::Mon, 0));
    assert!(!all.contains(Weekday::Sat, 1439));
}

#[test]
fn business_hours_wrapping_midnight_belong_to_the_start_day() {
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let h = BusinessHours::new(22 * 60, 6 * 60, &weekdays).unwrap();
    assert!(!h.contains(Weekday::Mon, 21 * 60 + 59));
    assert!(h.contains(Weekday::Mon, 22 * 60));
    assert!(h.contains(Weekday::Mon, 1439));
    assert!(h.contains(Weekday::Tue, 0));
    assert!(h.contains(Weekday::Tue, 5 * 60 + 59));
    assert!(!h.contains(Weekday::Tue, 6 * 60));
    assert!(!h.contains(Weekday::Tue, 12 * 60));
    // Monday early morning: the Sunday shift does not exist.
    assert!(!h.contains(Weekday::Mon, 2 * 60));
    // Saturday early morning: the Friday shift.
    assert!(h.contains(Weekday::Sat, 2 * 60));
    assert!(!h.contains(Weekday::Sat, 22 * 60));
    assert!(!h.contains(Weekday::Sun, 3 * 60));
    assert!(!h.contains(Weekday::Sun, 23 * 60));

    // Ending at 00:00 leaves nothing after midnight.
    let e = BusinessHours::new(18 * 60, 0, &[Weekday::Mon]).unwrap();
    assert!(e.contains(Weekday::Mon, 1439));
    assert!(!e.contains(Weekday::Tue, 0));
}

#[test]
fn business_hours_constructor_checks() {
    assert!(BusinessHours::new(480, 480, &[Weekday::Mon]).is_err());
    assert!(BusinessHours::new(1440, 60, &[Weekday::Mon]).is_err());
    assert!(BusinessHours::new(0, 1441, &[Weekday::Mon]).is_err());
    assert!(BusinessHours::new(480, 1080, &[]).is_err());
    assert_eq!(
        BusinessHours::new(1320, 360, &[Weekday::Fri, Weekday::Mon])
            .unwrap()
            .to_string(),
        "22:00-06:00 mon,fri"
    );
}

#[test]
fn in_business_hours_uses_the_account_zone_and_its_dst() {
    let c = ok(OVERRIDES);
    // London moves to BST on Sunday 2026-03-29. Friday 2026-03-27 07:30 UTC is 07:30 GMT,
    // Monday 2026-03-30 07:30 UTC is 08:30 BST.
    assert!(!c.in_business_hours("x", utc(2026, 3, 27, 7, 30, 0)));
    assert!(c.in_business_hours("x", utc(2026, 3, 30, 7, 30, 0)));
    // Friday 17:30 UTC in summer is 18:30 BST: outside.
    assert!(!c.in_business_hours("x", utc(2026, 7, 3, 17, 30, 0)));
    // Manila is UTC+8. Monday 2026-03-30 15:00 UTC is Monday 23:00 there: the Monday shift.
    let n = "night.agent@example.com";
    assert!(c.in_business_hours(n, utc(2026, 3, 30, 15, 0, 0)));
    // 10:00 UTC is 18:00 Manila: outside.
    assert!(!c.in_business_hours(n, utc(2026, 3, 30, 10, 0, 0)));
    // Saturday 2026-04-04 03:00 Manila (Friday 19:00 UTC): the Friday shift.
    assert!(c.in_business_hours(n, utc(2026, 4, 3, 19, 0, 0)));
    // Monday 2026-03-30 03:00 Manila (Sunday 19:00 UTC): no Sunday shift.
    assert!(!c.in_business_hours(n, utc(2026, 3, 29, 19, 0, 0)));
}

// ----- IP networks ------------------------------------------------------------------------

#[test]
fn ipv4_networks() {
    let n = net("203.0.113.0/24");
    assert!(n.contains(ip("203.0.113.0")));
    assert!(n.contains(ip("203.0.113.255")));
    assert!(!n.contains(ip("203.0.112.255")));
    assert!(!n.contains(ip("203.0.114.0")));
    assert!(!n.contains(ip("2001:db8::1")));

    let one = net("198.51.100.7");
    assert_eq!(one.to_string(), "198.51.100.7/32");
    assert_eq!(one, net("198.51.100.7/32"));
    assert!(one.contains(ip("198.51.100.7")));
    assert!(!one.contains(ip("198.51.100.6")));
    assert!(!one.contains(ip("198.51.100.8")));

    let all = net("0.0.0.0/0");
    assert!(all.contains(ip("0.0.0.0")));
    assert!(all.contains(ip("255.255.255.255")));
    assert!(all.contains(ip("::ffff:8.8.8.8")));
    assert!(!all.contains(ip("2001:db8::1")));

    let n = net("10.128.0.0/9");
    assert!(n.contains(ip("10.255.255.255")));
    assert!(!n.contains(ip("10.127.255.255")));
}

#[test]
fn ipv6_networks() {
    let n = net("2001:db8::/32");
    assert!(n.contains(ip("2001:db8::")));
    assert!(n.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
    assert!(!n.contains(ip("2001:db9::")));
    assert!(!n.contains(ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
    assert!(!n.contains(ip("203.0.113.7")));

    let one = net("2001:db8::1");
    assert_eq!(one.prefix_len(), 128);
    assert!(one.contains(ip("2001:db8::1")));
    assert!(!one.contains(ip("2001:db8::2")));
    assert!(!one.contains(ip("2001:db8::")));

    let all = net("::/0");
    assert!(all.contains(ip("::")));
    assert!(all.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    // An IPv4 address is compared with IPv6 networks in its mapped form.
    assert!(all.contains(ip("192.0.2.1")));
    assert!(!net("::/1").contains(ip("8000::")));
    assert!(net("::/1").contains(ip("192.0.2.1")));
}

#[test]
fn ipv4_mapped_ipv6() {
    let n = net("203.0.113.0/24");
    assert!(n.contains(ip("::ffff:203.0.113.7")));
    assert!(n.contains(ip("::ffff:cb00:71ff"))); // 203.0.113.255
    assert!(!n.contains(ip("::ffff:203.0.114.7")));
    // IPv4-compatible (deprecated) form is not IPv4.
    assert!(!n.contains(ip("::203.0.113.7")));

    // A mapped network is the IPv4 network it covers.
    let m = net("::ffff:203.0.113.0/120");
    assert_eq!(m, n);
    assert_eq!(m.to_string(), "203.0.113.0/24");
    assert_eq!(net("::ffff:198.51.100.7"), net("198.51.100.7/32"));
    assert_eq!(net("::ffff:0:0/96"), net("0.0.0.0/0"));
    assert!(net("::ffff:0:0/96").contains(ip("192.0.2.1")));
    // Wider than the mapped range: stays IPv6 and still holds mapped addresses.
    let w = net("::/80");
    assert_eq!(w.prefix_len(), 80);
    assert!(w.contains(ip("192.0.2.1")));
    assert!(!w.contains(ip("2001:db8::1")));
}

#[test]
fn ipnet_parse_errors() {
    use IpNetError::*;
    assert!(matches!(
        IpNet::parse("10.0.0.0/33"),
        Err(PrefixTooLong { .. })
    ));
    assert!(matches!(
        IpNet::parse("10.0.0.0/300"),
        Err(PrefixTooLong { .. })
    ));
    assert!(matches!(IpNet::parse("::/129"), Err(PrefixTooLong { .. })));
    assert!(matches!(IpNet::parse("10.0.0.1/31"), Err(HostBits { .. })));
    assert!(matches!(
        IpNet::parse("2001:db8::1/32"),
        Err(HostBits { .. })
    ));
    for bad in [
        "",
        "garbage",
        "10.0.0",
        "10.0.0.256",
        "010.0.0.1",
        "10.0.0.0/",
        "/8",
        "10.0.0.0/+8",
        "10.0.0.0/-1",
        "10.0.0.0/8/8",
        "10.0.0.0/ 8",
        " 10.0.0.0/8",
        "fe80::1%eth0",
        "[2001:db8::1]",
        "203.0.113.0/24,",
    ] {
        assert!(
            matches!(IpNet::parse(bad), Err(Syntax(_))),
            "{bad:?} -> {:?}",
            IpNet::parse(bad)
        );
    }
    assert_eq!(net("10.0.0.0/008"), net("10.0.0.0/8"));
    let e = IpNet::parse("10.1.2.3/16").unwrap_err();
    assert_eq!(
        e.to_string(),
        "\"10.1.2.3/16\" has host bits set after the prefix: the network is 10.1.0.0/16"
    );
}

#[test]
fn ipnet_new_masks_host_bits() {
    let n = IpNet::new(ip("10.1.2.3"), 16).unwrap();
    assert_eq!(n, net("10.1.0.0/16"));
    assert_eq!(n.addr(), ip("10.1.0.0"));
    assert_eq!(IpNet::new(ip("10.1.2.3"), 0).unwrap(), net("0.0.0.0/0"));
    assert!(IpNet::new(ip("10.1.2.3"), 33).is_err());
    assert_eq!(
        IpNet::new(ip("2001:db8:aaaa::1"), 32).unwrap(),
        net("2001:db8::/32")
    );
    assert_eq!(
        IpNet::new(ip("::ffff:10.1.2.3"), 112).unwrap(),
        net("10.1.0.0/16")
    );
}

proptest! {
    #[test]
    fn v4_masked_network_contains_its_addresses(addr: u32, other: u32, prefix in 0u8..=32, bit in 0u32..32) {
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
        let base = addr & mask;
        let n = IpNet::parse(&format!("{}/{prefix}", Ipv4Addr::from(base))).unwrap();
        // Same prefix, any host bits.
        let inside = Ipv4Addr::from(base | (other & !mask));
        prop_assert!(n.contains(IpAddr::V4(inside)));
        prop_assert!(n.contains(IpAddr::V6(inside.to_ipv6_mapped())));
        // One bit flipped inside the prefix (bit counted from the most significant).
        if bit < u32::from(prefix) {
            let outside = Ipv4Addr::from(u32::from(inside) ^ (1u32 << (31 - bit)));
            prop_assert!(!n.contains(IpAddr::V4(outside)));
            prop_assert!(!n.contains(IpAddr::V6(outside.to_ipv6_mapped())));
        }
    }

    #[test]
    fn v6_masked_network_contains_its_addresses(addr: u128, other: u128, prefix in 0u8..=128, bit in 0u32..128) {
        let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
        let base = addr & mask;
        let n = IpNet::parse(&format!("{}/{prefix}", Ipv6Addr::from(base))).unwrap();
        let inside = Ipv6Addr::from(base | (other & !mask));
        prop_assert!(n.contains(IpAddr::V6(inside)));
        if bit < u32::from(prefix) {
            let outside = Ipv6Addr::from(u128::from(inside) ^ (1u128 << (127 - bit)));
            prop_assert!(!n.contains(IpAddr::V6(outside)));
        }
    }

    #[test]
    fn ipnet_display_parses_back(addr: u128, prefix in 0u8..=128) {
        let n = IpNet::new(IpAddr::V6(Ipv6Addr::from(addr)), prefix).unwrap();
        prop_assert_eq!(IpNet::parse(&n.to_string()).unwrap(), n);
    }
}

// ----- allow and suppress -----------------------------------------------------------------

fn allow(account: Option<&str>, ips: &[&str]) -> Allow {
    Allow {
        account: account.map(String::from),
        ips: ips.iter().map(|s| net(s)).collect(),
        reason: "r".into(),
    }
}

#[test]
fn allow_by_account_only() {
    let a = allow(Some("svc"), &[]);
    assert!(a.matches("svc", &[]));
    assert!(a.matches("svc", &["198.51.100.1", "not an ip"]));
    assert!(!a.matches("svc2", &[]));
    assert!(!a.matches("SVC", &["198.51.100.1"]));
}

#[test]
fn allow_by_ips_only() {
    let a = allow(None, &["203.0.113.0/24", "2001:db8::/32"]);
    assert!(a.matches("anyone", &["203.0.113.9"]));
    assert!(a.matches(
        "someone",
        &["203.0.113.9", "2001:db8::5", "::ffff:203.0.113.1"]
    ));
    // One address outside: not allowed.
    assert!(!a.matches("anyone", &["203.0.113.9", "198.51.100.1"]));
    // An unreadable address never matches.
    assert!(!a.matches("anyone", &["203.0.113.9", "garbage"]));
    assert!(!a.matches("anyone", &[" 203.0.113.9"]));
    // No address at all: not allowed.
    assert!(!a.matches("anyone", &[]));
}

#[test]
fn allow_by_account_and_ips() {
    let a = allow(Some("svc"), &["203.0.113.0/24"]);
    assert!(a.matches("svc", &["203.0.113.9", "203.0.113.10"]));
    assert!(!a.matches("svc", &["203.0.113.9", "203.0.114.10"]));
    assert!(!a.matches("other", &["203.0.113.9"]));
    assert!(!a.matches("svc", &[]));
}

#[test]
fn allow_from_the_file_and_first_match() {
    let c = ok(r#"
[[allow]]
account = "svc-nightly-export"
reason = "backup"

[[allow]]
ips = ["192.0.2.0/24"]
reason = "office"

[[allow]]
ips = ["192.0.2.0/24"]
reason = "office, again: duplicates are fine"
"#);
    assert_eq!(c.allow.len(), 3);
    assert_eq!(
        c.allowed_by("svc-nightly-export", &["8.8.8.8"])
            .map(|a| a.reason.as_str()),
        Some("backup")
    );
    assert_eq!(
        c.allowed_by("bob", &["192.0.2.4"])
            .map(|a| a.reason.as_str()),
        Some("office")
    );
    assert!(c.allowed_by("bob", &["192.0.3.4"]).is_none());
}

fn suppress(account: &str, factor: Option<&str>, until: Until) -> Suppress {
    Suppress {
        account: account.into(),
        factor: factor.map(String::from),
        until,
        reason: "r".into(),
    }
}

fn date(y: i32, m: u32, d: u32) -> Until {
    Until::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

#[test]
fn suppression_date_is_inclusive_in_the_organisation_zone() {
    let s = suppress("a", None, date(2026, 6, 30));
    let london = chrono_tz::Europe::London; // BST, UTC+1, in June
    assert!(s.active_at(utc(2026, 6, 30, 22, 59, 59), london)); // 23:59:59 local
    assert!(!s.active_at(utc(2026, 6, 30, 23, 0, 0), london)); // 00:00 1 July local
    assert!(s.active_at(utc(2026, 6, 30, 23, 59, 59), chrono_tz::UTC));
    assert!(!s.active_at(utc(2026, 7, 1, 0, 0, 0), chrono_tz::UTC));
    let tokyo = chrono_tz::Asia::Tokyo; // UTC+9
    assert!(s.active_at(utc(2026, 6, 30, 14, 59, 59), tokyo));
    assert!(!s.active_at(utc(2026, 6, 30, 15, 0, 0), tokyo));
    let la = chrono_tz::America::Los_Angeles; // PDT, UTC-7
    assert!(s.active_at(utc(2026, 7, 1, 6, 59, 59), la));
    assert!(!s.active_at(utc(2026, 7, 1, 7, 0, 0), la));
    // Long before: active.
    assert!(s.active_at(utc(2020, 1, 1, 0, 0, 0), london));
}

#[test]
fn suppression_timestamp_is_inclusive() {
    let t = DateTime::parse_from_rfc3339("2026-12-31T18:00:00+01:00").unwrap();
    let s = suppress("a", None, Until::Instant(t));
    // The organisation zone does not matter for a timestamp.
    for tz in [chrono_tz::UTC, chrono_tz::Pacific::Kiritimati] {
        assert!(s.active_at(utc(2026, 12, 31, 17, 0, 0), tz));
        assert!(!s.active_at(utc(2026, 12, 31, 17, 0, 1), tz));
    }
}

#[test]
fn suppression_matches_account_and_factor() {
    let any = suppress("maria", None, date(2026, 1, 1));
    assert!(any.matches("maria", "volume"));
    assert!(any.matches("maria", "off_hours"));
    assert!(!any.matches("maria.o", "volume"));
    let hours = suppress("maria", Some("off_hours"), date(2026, 1, 1));
    assert!(hours.matches("maria", "off_hours"));
    assert!(!hours.matches("maria", "volume"));
    assert!(!hours.matches("bob", "off_hours"));
}

#[test]
fn suppressed_by_needs_match_and_activity() {
    let c = ok(r#"
[organisation]
timezone = "Europe/London"

[[suppress]]
account = "maria"
factor = "off_hours"
until = "2026-06-30"
reason = "migration weekend, SEC-42"
"#);
    let before = utc(2026, 6, 30, 22, 59, 59);
    let after = utc(2026, 6, 30, 23, 0, 0);
    assert!(c.suppressed_by("maria", "off_hours", before).is_some());
    assert!(c.suppressed_by("maria", "off_hours", after).is_none());
    assert!(c.suppressed_by("maria", "volume", before).is_none());
    assert!(c.suppressed_by("bob", "off_hours", before).is_none());
}

// ----- warnings ---------------------------------------------------------------------------

#[test]
fn warnings_list_likely_mistakes() {
    let now = utc(2026, 6, 1, 12, 0, 0);
    assert!(Config::default().warnings(now).is_empty());
    assert!(ok(&example_switched_on()).warnings(now).is_empty());

    let c = ok(r#"
[detection]
min_severity = "high"
fail_on = "medium"

[state]
path = "state.db"

[accounts."idle"]

[[allow]]
ips = ["0.0.0.0/7", "8.0.0.0/8", "::/15", "2001::/16"]
reason = "r"

[[suppress]]
account = "old"
until = "2026-05-31"
reason = "r"

[[suppress]]
account = "current"
until = "2026-06-01"
reason = "r"

[[suppress]]
account = "forever"
until = "2099-01-01"
reason = "r"
"#);
    let w = c.warnings(now);
    let has = |needle: &str| w.iter().filter(|s| s.contains(needle)).count();
    assert_eq!(has("\"old\", until 2026-05-31) has expired"), 1, "{w:#?}");
    assert_eq!(has("\"current\""), 0, "{w:#?}");
    assert_eq!(
        has("\"forever\", until 2099-01-01) lasts more than a year"),
        1,
        "{w:#?}"
    );
    assert_eq!(has("allows 0.0.0.0/7"), 1, "{w:#?}");
    assert_eq!(has("allows ::/15"), 1, "{w:#?}");
    assert_eq!(has("allows 8.0.0.0/8"), 0, "{w:#?}");
    assert_eq!(has("allows 2001::/16"), 0, "{w:#?}");
    assert_eq!(
        has("fail_on (medium) is below detection.min_severity (high)"),
        1,
        "{w:#?}"
    );
    assert_eq!(has("[accounts.\"idle\"] sets nothing"), 1, "{w:#?}");
    assert_eq!(has("state.path \"state.db\" is relative"), 1, "{w:#?}");
    assert_eq!(w.len(), 7, "{w:#?}");
}

// ----- write_example ----------------------------------------------------------------------

#[test]
fn write_example_refuses_to_overwrite_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exfilwatch.toml");
    write_example(&path, false).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);
    assert_eq!(load(&path).unwrap(), Config::default());

    std::fs::write(&path, "# mine\n").unwrap();
    let e = write_example(&path, false).unwrap_err();
    assert!(matches!(e, ConfigError::Exists { .. }), "{e:?}");
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");

    write_example(&path, true).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);

    let e = write_example(&dir.path().join("no/such/dir.toml"), true).unwrap_err();
    assert!(matches!(e, ConfigError::Write { .. }), "{e:?}");
}
