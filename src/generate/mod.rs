//! `generate`: a synthetic tenant on a vendor platform, with planted thefts and labelled
//! benign look-alikes, for testing and evaluating detection.
//!
//! The tenant ports the Python sample generator (`sample-logs/make_sample.py`) and extends it:
//!
//! - **Contact-centre agents** on rostered 8-hour shifts in two sites, Europe/London (early 06,
//!   day 09, late 14, night 22) and Asia/Manila (morning 06, mid 14, night 22). Rosters are in local
//!   time (chrono-tz), so a DST change moves London shifts in UTC. Five days in seven, two
//!   consecutive days off, breaks, one event every 1-10 minutes.
//! - **Office staff** (London business hours, weekdays, some working from home on fixed days),
//!   **analysts** (daily report exports, 5-9 larger ones on month-end days), **admins** (about weekly
//!   Data Loader bulk exports of 10,000-200,000 records) and **integration users** (an API query
//!   every 15 minutes, 24/7, and a nightly 01:00-01:40 UTC job of 50,000-150,000 records).
//! - Weekly seasonality, English and Philippine public holidays, leave blocks, joiners, leavers,
//!   shift changes, travel, organisation-wide busy days and month-end peaks.
//!
//! Incidents ([`incidents`]) are planted on top, each family several times with randomised
//! parameters, and labelled in the schema of [`crate::eval`]. Everything is a pure function of
//! [`GenerateConfig`]: the same config gives the same events, labels and bytes ([`output`]).
//! Randomness comes from [`rng::Rng`] streams named after their purpose and account.

pub mod incidents;
pub mod output;
pub mod rng;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use rng::Rng;

pub const MS_MIN: i64 = 60_000;
pub const MS_HOUR: i64 = 3_600_000;
pub const MS_DAY: i64 = 86_400_000;

/// The tenant's e-mail domain (reserved `.example` TLD).
pub const DOMAIN: &str = "northwind-air.example";

/// The output format of the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenFormat {
    /// exfilwatch's generic CSV, gzipped: `logs/events.csv.gz`.
    Generic,
    /// Salesforce Event Log Files: `logs/YYYY-MM-DD_API.csv` and `logs/YYYY-MM-DD_Login.csv`.
    SalesforceElf,
    /// AWS CloudTrail S3 data events: `logs/AWSLogs/.../*.json.gz`, one file per hour.
    Cloudtrail,
}

impl GenFormat {
    pub fn name(self) -> &'static str {
        match self {
            GenFormat::Generic => "generic",
            GenFormat::SalesforceElf => "salesforce-elf",
            GenFormat::Cloudtrail => "cloudtrail",
        }
    }
}

/// Everything a generation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateConfig {
    pub seed: u64,
    /// Length of the period in days (at least [`MIN_DAYS`]).
    pub days: u32,
    /// Number of accounts (at least [`MIN_ACCOUNTS`]).
    pub accounts: u32,
    /// First (UTC) day of the period.
    pub start: NaiveDate,
    pub format: GenFormat,
}

/// Fewer days leave no room for a baseline before the incidents.
pub const MIN_DAYS: u32 = 21;
/// Fewer accounts cannot hold every role and every incident family.
pub const MIN_ACCOUNTS: u32 = 40;
/// The default tenant size: large enough that one tenant can show the detection bar (about
/// 42,000 active account-days over 60 days, so one false alert is 0.24 per 10,000, and 60
/// incidents, so recall moves in steps of 1/60). At 200 accounts one false alert is already
/// 1.19 per 10,000 and one miss of 18 incidents is a recall of 0.944.
pub const DEFAULT_ACCOUNTS: u32 = 1000;

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig {
            seed: 1,
            days: 60,
            accounts: DEFAULT_ACCOUNTS,
            start: NaiveDate::from_ymd_opt(2025, 1, 6).expect("valid date"),
            format: GenFormat::Generic,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Office,
    Analyst,
    Admin,
    Integration,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Office => "office",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Integration => "integration",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    London,
    Manila,
}

impl Site {
    pub fn tz(self) -> Tz {
        match self {
            Site::London => chrono_tz::Europe::London,
            Site::Manila => chrono_tz::Asia::Manila,
        }
    }
}

/// A rostered team: name and local start hour of its 8-hour shift.
pub const TEAMS: [(&str, i64); 4] = [("early", 6), ("day", 9), ("late", 14), ("night", 22)];
/// Manila's teams (indices into this array for Manila agents).
pub const MANILA_TEAMS: [(&str, i64); 3] = [("morning", 6), ("mid", 14), ("night", 22)];
pub const SHIFT_HOURS: i64 = 8;

/// One account of the tenant.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub role: Role,
    pub site: Site,
    /// Team index (agents) into [`TEAMS`] or [`MANILA_TEAMS`]; integration profile otherwise.
    pub team: usize,
    /// A shift change: from this day on the agent works in this team.
    pub team_change: Option<(i64, usize)>,
    /// Index into [`Tenant::ips`].
    pub ip: u32,
    pub home_ip: Option<u32>,
    /// Weekdays (Mon = 0) worked from home.
    pub wfh: [bool; 7],
    /// Index into [`Tenant::clients`].
    pub client: u32,
    /// Agents: their two days off are `(d + off) % 7` in {0, 1}.
    pub off: i64,
    /// First and last day (inclusive, day indices) with normal activity.
    pub first_day: i64,
    pub last_day: i64,
    /// Days of leave (sorted).
    pub leave: Vec<i64>,
    /// Travel: days `[from, to]` from this IP.
    pub travel: Option<(i64, i64, u32)>,
}

/// Why an event exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    Normal,
    /// Index into [`Tenant::incidents`].
    Incident(u32),
}

/// One event in the canonical shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the epoch, UTC.
    pub time: i64,
    /// Index into [`Tenant::accounts`].
    pub account: u32,
    pub action: &'static str,
    pub object: &'static str,
    pub records: i64,
    pub bytes: i64,
    /// Index into [`Tenant::ips`].
    pub ip: u32,
    /// Index into [`Tenant::clients`].
    pub client: u32,
    pub origin: Origin,
}

/// A planted benign look-alike, listed in `benign.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benign {
    pub kind: &'static str,
    /// Account name, or `*` for the whole organisation.
    pub account: String,
    pub start: i64,
    pub end: i64,
}

/// A generated tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub config: GenerateConfig,
    pub accounts: Vec<Account>,
    pub ips: Vec<String>,
    pub clients: Vec<String>,
    /// Sorted by (time, account name).
    pub events: Vec<Event>,
    pub incidents: Vec<incidents::Incident>,
    pub benign: Vec<Benign>,
}

impl Tenant {
    /// Start of the period, ms UTC.
    pub fn t0(&self) -> i64 {
        day_ms(self.config.start)
    }
    pub fn end_ms(&self) -> i64 {
        self.t0() + self.config.days as i64 * MS_DAY
    }

    /// Active account-days: (account, UTC day) pairs with at least one event.
    pub fn active_account_days(&self) -> u64 {
        let mut pairs: Vec<(u32, i64)> = self
            .events
            .iter()
            .map(|e| (e.account, e.time.div_euclid(MS_DAY)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs.len() as u64
    }
}

fn day_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis()
}

/// UTC ms of `minutes` after local midnight of `date` in `tz` (a time in a DST gap moves on by
/// the gap; an ambiguous one takes the earlier instant).
pub fn local_ms(tz: Tz, date: NaiveDate, minutes: i64) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(minutes);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.timestamp_millis(),
        None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|| naive.and_utc().timestamp_millis()),
    }
}

/// Public holidays (England and Wales; Philippines regular and special non-working days).
const UK_HOLIDAYS: &[(i32, u32, u32)] = &[
    (2025, 1, 1),
    (2025, 4, 18),
    (2025, 4, 21),
    (2025, 5, 5),
    (2025, 5, 26),
    (2025, 8, 25),
    (2025, 12, 25),
    (2025, 12, 26),
    (2026, 1, 1),
    (2026, 4, 3),
    (2026, 4, 6),
    (2026, 5, 4),
    (2026, 5, 25),
    (2026, 8, 31),
    (2026, 12, 25),
    (2026, 12, 28),
];
const PH_HOLIDAYS: &[(i32, u32, u32)] = &[
    (2025, 1, 1),
    (2025, 1, 29),
    (2025, 2, 25),
    (2025, 4, 9),
    (2025, 4, 17),
    (2025, 4, 18),
    (2025, 5, 1),
    (2025, 6, 12),
    (2025, 8, 21),
    (2025, 8, 25),
    (2025, 11, 1),
    (2025, 11, 30),
    (2025, 12, 8),
    (2025, 12, 25),
    (2025, 12, 30),
    (2025, 12, 31),
    (2026, 1, 1),
    (2026, 2, 17),
    (2026, 2, 25),
    (2026, 4, 2),
    (2026, 4, 3),
    (2026, 5, 1),
    (2026, 6, 12),
    (2026, 12, 25),
    (2026, 12, 30),
    (2026, 12, 31),
];

pub fn is_holiday(site: Site, date: NaiveDate) -> bool {
    let list = match site {
        Site::London => UK_HOLIDAYS,
        Site::Manila => PH_HOLIDAYS,
    };
    list.iter()
        .any(|&(y, m, d)| (date.year(), date.month(), date.day()) == (y, m, d))
}

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A working day in London: a weekday that is not a public holiday.
pub fn is_workday(date: NaiveDate) -> bool {
    !is_weekend(date) && !is_holiday(Site::London, date)
}

/// Month-end peak: the last two working days of a month and the first one of the next.
pub fn is_month_end(date: NaiveDate) -> bool {
    if !is_workday(date) {
        return false;
    }
    let mut later = 0;
    let mut d = date.succ_opt().expect("date");
    while d.month() == date.month() {
        later += usize::from(is_workday(d));
        d = d.succ_opt().expect("date");
    }
    if later < 2 {
        return true;
    }
    let mut earlier = 0;
    let mut d = date.pred_opt().expect("date");
    while d.month() == date.month() {
        earlier += usize::from(is_workday(d));
        d = d.pred_opt().expect("date");
    }
    earlier == 0
}

/// Bytes per record by object (+-15% per event, kept in 600..2500), plus a fixed overhead.
const OBJECT_SIZE: &[(&str, f64)] = &[
    ("Case", 1900.0),
    ("Contact", 900.0),
    ("Account", 1300.0),
    ("Booking", 1550.0),
    ("Loyalty_Member__c", 700.0),
    ("Opportunity", 1100.0),
    ("Lead", 950.0),
    ("User", 800.0),
    ("Invoice__c", 1250.0),
    ("Payment__c", 1000.0),
    ("Passport__c", 1400.0),
    ("Refund__c", 1050.0),
    ("Campaign", 850.0),
    ("Task", 650.0),
    ("Email_Message", 2200.0),
];
const OVERHEAD: i64 = 380;

/// Every object name the tenant knows.
pub fn all_objects() -> Vec<&'static str> {
    OBJECT_SIZE.iter().map(|x| x.0).collect()
}

pub fn nbytes(r: &mut Rng, obj: &str, records: i64) -> i64 {
    let base = OBJECT_SIZE
        .iter()
        .find(|x| x.0 == obj)
        .map_or(1000.0, |x| x.1);
    let per = (base * r.uniform(0.85, 1.15)).clamp(600.0, 2500.0);
    (records as f64 * per) as i64 + OVERHEAD
}

/// Splits `total` into `n` positive parts of roughly equal size.
pub fn split_total(r: &mut Rng, total: i64, n: usize) -> Vec<i64> {
    let n = n.max(1).min(total.max(1) as usize);
    let w: Vec<f64> = (0..n).map(|_| r.uniform(0.5, 1.5)).collect();
    let s: f64 = w.iter().sum();
    let mut parts: Vec<i64> = w
        .iter()
        .map(|x| ((total as f64 * x / s) as i64).max(1))
        .collect();
    let sum: i64 = parts.iter().sum();
    let last = parts.len() - 1;
    parts[last] += total - sum;
    // Rounding up small parts may have made the last one too small: move units back.
    while parts[last] < 1 {
        let i = parts.iter().position(|&p| p > 1).expect("total >= n");
        parts[i] -= 1;
        parts[last] += 1;
    }
    parts
}

const FIRST: &str = "james olivia noah amelia oliver isla george ava harry mia jack grace jacob freya leo lily oscar emily charlie sophie thomas ella william poppy arthur evie henry chloe alfie ruby finley zara joseph hannah samuel megan ethan niamh aaron ciara ryan aoife sean siobhan kieran orla connor eilidh callum fiona ewan ruth rhys carys owen seren ibrahim fatima omar yasmin arjun ananya rohan kavya chen mei wei lina marek zofia pavel anna luca giulia mateo lucia tiago ines kwame ama emeka chioma jose maria angelica paolo kristine mark joy rhea";
const LAST: &str = "smith jones taylor brown williams wilson johnson davies patel wright robinson thompson evans walker white roberts green hall wood jackson clarke hughes edwards lewis harris martin king lee moore allen scott young morgan cooper hill ward turner baker collins murphy kelly byrne walsh ryan doyle mccarthy quinn fraser campbell stewart macleod reid morrison griffiths price jenkins khan hussain begum ali singh kaur sharma ahmed wang zhang kowalski nowicki novak rossi ferreira silva costa okafor owusu boateng adeyemi nguyen santos reyes cruz bautista garcia mendoza";

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.112",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15",
];
pub const DATALOADER: &str = "DataLoader/62.0";

/// Integration profiles: name, client, objects queried, objects of the nightly job.
pub const INTEGRATIONS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "workato",
        "Workato/2.0",
        &["Contact", "Case"],
        &["Contact", "Case"],
    ),
    (
        "mulesoft",
        "MuleSoft-Connector/4.6",
        &["Booking", "Account"],
        &["Booking", "Account"],
    ),
    (
        "bi-extract",
        "Fivetran/3.4 (+connector:salesforce)",
        &["Case", "Booking"],
        &["Case", "Booking", "Contact"],
    ),
    (
        "loyalty-sync",
        "LoyaltyHub-Sync/1.8 (Java/17.0.9)",
        &["Loyalty_Member__c", "Contact"],
        &["Loyalty_Member__c"],
    ),
];

/// Interned strings: IPs and clients.
#[derive(Debug, Default)]
pub struct Strings {
    pub items: Vec<String>,
}

impl Strings {
    pub fn add(&mut self, s: String) -> u32 {
        if let Some(i) = self.items.iter().position(|x| *x == s) {
            return i as u32;
        }
        self.items.push(s);
        (self.items.len() - 1) as u32
    }
}

/// Hands out distinct IPs in a few named networks.
pub struct IpPool {
    next_home: u32,
    next_cloud: u32,
}

impl IpPool {
    fn new() -> IpPool {
        IpPool {
            next_home: 0,
            next_cloud: 0,
        }
    }
    /// A residential-looking address (documentation range first).
    fn home(&mut self) -> String {
        let n = self.next_home;
        self.next_home += 1;
        if n < 250 {
            format!("192.0.2.{}", n + 2)
        } else {
            format!("81.2.{}.{}", (n - 250) / 250, (n - 250) % 250 + 2)
        }
    }
    /// A cloud egress address.
    fn cloud(&mut self) -> String {
        let n = self.next_cloud;
        self.next_cloud += 1;
        format!("52.56.{}.{}", n / 250, n % 250 + 2)
    }
}

/// Office and site NAT addresses.
pub const HQ_IP: &str = "198.51.100.10";
pub const LONDON_CC_IP: &str = "198.51.100.20";
pub const MANILA_CC_IP: &str = "203.0.113.40";

/// Builds the population: roles, sites, teams, addresses, clients, joiners, leavers, leave,
/// shift changes and travel (but not the incidents).
fn build_population(
    cfg: &GenerateConfig,
    ips: &mut Strings,
    clients: &mut Strings,
    pool: &mut IpPool,
    benign: &mut Vec<Benign>,
) -> Vec<Account> {
    let mut r = Rng::new(cfg.seed, "population", 0);
    let n = cfg.accounts as usize;
    let share = |s: f64, min: usize| ((n as f64 * s).round() as usize).max(min);
    let (n_office, n_analyst, n_admin, n_integ) = (
        share(0.22, 3),
        share(0.06, 2),
        share(0.04, 1),
        share(0.04, 2),
    );
    let n_agent = n - n_office - n_analyst - n_admin - n_integ;
    let n_manila = n_agent * 2 / 5;
    let days = cfg.days as i64;

    let firsts: Vec<&str> = FIRST.split(' ').collect();
    let lasts: Vec<&str> = LAST.split(' ').collect();
    let mut names: Vec<String> = Vec::new();
    let mut accounts = Vec::with_capacity(n);
    let hq = ips.add(HQ_IP.into());
    let lcc = ips.add(LONDON_CC_IP.into());
    let mcc = ips.add(MANILA_CC_IP.into());
    for i in 0..n {
        let role = if i < n_agent {
            Role::Agent
        } else if i < n_agent + n_office {
            Role::Office
        } else if i < n_agent + n_office + n_analyst {
            Role::Analyst
        } else if i < n_agent + n_office + n_analyst + n_admin {
            Role::Admin
        } else {
            Role::Integration
        };
        let site = if role == Role::Agent && i >= n_agent - n_manila {
            Site::Manila
        } else {
            Site::London
        };
        let mut acc = Account {
            name: String::new(),
            role,
            site,
            team: 0,
            team_change: None,
            ip: hq,
            home_ip: None,
            wfh: [false; 7],
            client: 0,
            off: r.range(0, 7),
            first_day: -1,
            last_day: days,
            leave: Vec::new(),
            travel: None,
        };
        if role == Role::Integration {
            let k = i - (n - n_integ);
            let (pname, client, _, _) = INTEGRATIONS[k % INTEGRATIONS.len()];
            let suffix = if k >= INTEGRATIONS.len() {
                format!("-{}", k / INTEGRATIONS.len() + 1)
            } else {
                String::new()
            };
            acc.name = format!("svc-{pname}{suffix}@{DOMAIN}");
            acc.team = k % INTEGRATIONS.len();
            acc.client = clients.add(client.into());
            acc.ip = ips.add(pool.cloud());
            acc.home_ip = Some(ips.add(pool.cloud()));
            accounts.push(acc);
            continue;
        }
        let mut name = format!("{}.{}", r.pick(&firsts), r.pick(&lasts));
        let base = name.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base}{k}");
            k += 1;
        }
        names.push(name.clone());
        acc.name = format!("{name}@{DOMAIN}");
        acc.client = clients.add((*r.pick(BROWSERS)).into());
        match role {
            Role::Agent => {
                let teams = if site == Site::London {
                    TEAMS.len()
                } else {
                    MANILA_TEAMS.len()
                };
                acc.team = i % teams;
                if r.chance(0.4) {
                    acc.ip = ips.add(pool.home());
                } else {
                    acc.ip = if site == Site::London { lcc } else { mcc };
                }
            }
            _ => {
                if r.chance(0.4) {
                    acc.home_ip = Some(ips.add(pool.home()));
                    let d = r.range(0, 5) as usize;
                    acc.wfh[d] = true;
                    if r.chance(0.5) {
                        acc.wfh[(d + 2) % 5] = true;
                    }
                }
            }
        }
        // Leave: a block of 1-10 days for about half of the people.
        if r.chance(0.5) {
            let len = r.int(1, 10);
            let from = r.range(0, days - len);
            acc.leave = (from..from + len).collect();
        }
        accounts.push(acc);
    }

    // Joiners, leavers, shift changes, travel: distinct humans, none of them an admin.
    let mut humans: Vec<usize> = (0..n)
        .filter(|&i| matches!(accounts[i].role, Role::Agent | Role::Office))
        .collect();
    r.shuffle(&mut humans);
    let k = (n / 40).max(1);
    let t0 = day_ms(cfg.start);
    let mut it = humans.into_iter();
    for _ in 0..k {
        let Some(i) = it.next() else { break };
        let d = r.range(days / 4, days * 3 / 4);
        accounts[i].first_day = d;
        accounts[i].leave.clear();
        benign.push(Benign {
            kind: "new_joiner",
            account: accounts[i].name.clone(),
            start: t0 + d * MS_DAY,
            end: t0 + (d + 7).min(days) * MS_DAY,
        });
    }
    for _ in 0..k {
        let Some(i) = it.next() else { break };
        accounts[i].last_day = r.range(days / 4, days * 3 / 4);
    }
    let agents_left: Vec<usize> = it
        .clone()
        .filter(|&i| accounts[i].role == Role::Agent)
        .take(k)
        .collect();
    for &i in &agents_left {
        let d = r.range(days / 3, days * 2 / 3);
        let teams = if accounts[i].site == Site::London {
            TEAMS.len()
        } else {
            MANILA_TEAMS.len()
        };
        let new = (accounts[i].team + r.int(1, teams as i64 - 1) as usize) % teams;
        accounts[i].team_change = Some((d, new));
        accounts[i].leave.clear();
        benign.push(Benign {
            kind: "shift_change",
            account: accounts[i].name.clone(),
            start: t0 + d * MS_DAY - MS_DAY,
            end: t0 + (d + 7).min(days) * MS_DAY,
        });
    }
    let rest: Vec<usize> = it.filter(|i| !agents_left.contains(i)).collect();
    for &i in rest.iter().take(k) {
        let from = r.range(days / 4, days - 6);
        let to = from + r.int(1, 4);
        let ip = ips.add(format!("198.18.{}.{}", i / 250, i % 250 + 2));
        accounts[i].travel = Some((from, to, ip));
        accounts[i].leave.clear();
        benign.push(Benign {
            kind: "travel",
            account: accounts[i].name.clone(),
            start: t0 + from * MS_DAY,
            end: t0 + (to + 1) * MS_DAY,
        });
    }
    accounts
}

impl Account {
    /// The agent's team on day `d`.
    pub fn team_on(&self, d: i64) -> usize {
        match self.team_change {
            Some((from, t)) if d >= from => t,
            _ => self.team,
        }
    }

    /// The local start hour of the agent's shift on day `d`.
    pub fn shift_start_hour(&self, d: i64) -> i64 {
        let t = self.team_on(d);
        match self.site {
            Site::London => TEAMS[t].1,
            Site::Manila => MANILA_TEAMS[t].1,
        }
    }

    pub fn employed(&self, d: i64) -> bool {
        d >= self.first_day && d <= self.last_day
    }

    /// Does this person normally work on day `d` (local date `date`)? `r` decides site holidays
    /// for agents (half of them are rostered off).
    fn works(&self, d: i64, date: NaiveDate, holiday_off: bool) -> bool {
        if !self.employed(d) || self.leave.binary_search(&d).is_ok() {
            return false;
        }
        match self.role {
            Role::Agent => {
                (d + self.off).rem_euclid(7) >= 2 && !(is_holiday(self.site, date) && holiday_off)
            }
            Role::Integration => true,
            _ => is_workday(date),
        }
    }

    /// The address the person works from on day `d` (travel, home or office).
    pub fn ip_on(&self, d: i64, date: NaiveDate) -> u32 {
        if let Some((from, to, ip)) = self.travel {
            if d >= from && d <= to {
                return ip;
            }
        }
        match self.home_ip {
            Some(h) if self.wfh[date.weekday().num_days_from_monday() as usize] => h,
            _ => self.ip,
        }
    }
}

/// Day index and date of the period.
fn date_of(cfg: &GenerateConfig, d: i64) -> NaiveDate {
    cfg.start + Duration::days(d)
}

/// A stream of events from `start` to `end` skipping `breaks`, one every `gap_lo..gap_hi` ms
/// (skewed towards long gaps).
#[allow(clippy::too_many_arguments)]
fn session(
    out: &mut Vec<Event>,
    r: &mut Rng,
    account: u32,
    (start, end): (i64, i64),
    breaks: &[(i64, i64)],
    (gap_lo, gap_hi): (i64, i64),
    pick: fn(&mut Rng) -> (&'static str, &'static str, i64),
    ip: u32,
    client: u32,
) {
    let mut t = start + r.range(0, 90_000);
    let mut bi = 0;
    while t < end {
        while bi < breaks.len() && t >= breaks[bi].1 {
            bi += 1;
        }
        if bi < breaks.len() && breaks[bi].0 <= t {
            t = breaks[bi].1 + r.range(0, 120_000);
            continue;
        }
        let (action, object, records) = pick(r);
        let bytes = nbytes(r, object, records);
        out.push(Event {
            time: t,
            account,
            action,
            object,
            records,
            bytes,
            ip,
            client,
            origin: Origin::Normal,
        });
        t += gap_lo + (r.f64().sqrt() * (gap_hi - gap_lo) as f64) as i64;
    }
}

fn pick_agent(r: &mut Rng) -> (&'static str, &'static str, i64) {
    let x = r.f64();
    if x < 0.58 {
        ("case_view", "Case", 1)
    } else if x < 0.90 {
        let obj = if x < 0.86 { "Contact" } else { "Booking" };
        ("contact_lookup", obj, 1 + (19.0 * r.f64().powf(2.5)) as i64)
    } else if x < 0.985 {
        let obj = *r.pick(&["Case", "Contact", "Booking"]);
        ("list_view", obj, 20 + (180.0 * r.f64().powf(1.5)) as i64)
    } else {
        let obj = *r.pick(&["Case", "Booking"]);
        ("report_run", obj, 50 + (450.0 * r.f64().powf(1.5)) as i64)
    }
}

pub const OFFICE_OBJECTS: [&str; 5] =
    ["Account", "Booking", "Loyalty_Member__c", "Case", "Contact"];

fn pick_office(r: &mut Rng) -> (&'static str, &'static str, i64) {
    let x = r.f64();
    let obj = *r.pick(&OFFICE_OBJECTS);
    if x < 0.35 {
        ("case_view", "Case", 1)
    } else if x < 0.6 {
        (
            "contact_lookup",
            "Contact",
            1 + (19.0 * r.f64().powi(2)) as i64,
        )
    } else if x < 0.88 {
        ("list_view", obj, 20 + (180.0 * r.f64().powf(1.5)) as i64)
    } else {
        ("report_run", obj, 50 + (950.0 * r.f64().powi(2)) as i64)
    }
}

fn pick_analyst(r: &mut Rng) -> (&'static str, &'static str, i64) {
    let x = r.f64();
    let obj = *r.pick(&OFFICE_OBJECTS);
    if x < 0.45 {
        ("report_run", obj, 100 + (4900.0 * r.f64().powi(2)) as i64)
    } else if x < 0.8 {
        ("list_view", obj, 20 + (180.0 * r.f64().powf(1.5)) as i64)
    } else {
        ("case_view", "Case", 1)
    }
}

fn pick_admin(r: &mut Rng) -> (&'static str, &'static str, i64) {
    let x = r.f64();
    if x < 0.4 {
        let obj = *r.pick(&OFFICE_OBJECTS);
        ("list_view", obj, 20 + (180.0 * r.f64()) as i64)
    } else if x < 0.7 {
        ("case_view", "Case", 1)
    } else if x < 0.9 {
        ("contact_lookup", "Contact", 1 + (9.0 * r.f64()) as i64)
    } else {
        let obj = *r.pick(&["Case", "Account"]);
        ("report_run", obj, 50 + (450.0 * r.f64()) as i64)
    }
}

/// Organisation-wide busy days: about one weekday in twenty (at least one), chosen per run.
fn busy_days(cfg: &GenerateConfig) -> Vec<i64> {
    let mut r = Rng::new(cfg.seed, "busy-days", 0);
    let days = cfg.days as i64;
    let mut out: Vec<i64> = Vec::new();
    let want = (days / 20).max(1);
    let mut tries = 0;
    while (out.len() as i64) < want && tries < 1000 {
        tries += 1;
        let d = r.range(3, days - 1);
        if is_workday(date_of(cfg, d)) && !out.contains(&d) {
            out.push(d);
        }
    }
    out.sort_unstable();
    out
}

/// Normal activity of one account.
fn gen_account(
    cfg: &GenerateConfig,
    idx: u32,
    a: &Account,
    busy: &[i64],
    out: &mut Vec<Event>,
    benign: &mut Vec<Benign>,
) {
    let mut r = Rng::new(cfg.seed, "account", u64::from(idx));
    let days = cfg.days as i64;
    let tz = a.site.tz();
    let ev = |time, action, object, records, bytes, ip, client| Event {
        time,
        account: idx,
        action,
        object,
        records,
        bytes,
        ip,
        client,
        origin: Origin::Normal,
    };
    match a.role {
        Role::Agent => {
            for d in -1..days {
                let date = date_of(cfg, d);
                let holiday_off = r.chance(0.5);
                if !a.works(d, date, holiday_off) {
                    continue;
                }
                let h = a.shift_start_hour(d);
                let base = local_ms(tz, date, h * 60);
                let start = base + r.range(-20 * MS_MIN, 15 * MS_MIN);
                let end = base + SHIFT_HOURS * MS_HOUR + r.range(-15 * MS_MIN, 30 * MS_MIN);
                let b1 = base + r.range(90 * MS_MIN, 150 * MS_MIN);
                let lunch = base + r.range(195 * MS_MIN, 285 * MS_MIN);
                let b2 = base + r.range(345 * MS_MIN, 405 * MS_MIN);
                let breaks = [
                    (b1, b1 + r.range(10, 18) * MS_MIN),
                    (lunch, lunch + r.range(30, 46) * MS_MIN),
                    (b2, b2 + r.range(10, 18) * MS_MIN),
                ];
                let pace = r.uniform(0.9, 1.1) * if busy.contains(&d) { 0.6 } else { 1.0 };
                let gaps = ((60_000.0 * pace) as i64, (600_000.0 * pace) as i64);
                let ip = a.ip_on(d, date);
                session(
                    out,
                    &mut r,
                    idx,
                    (start, end),
                    &breaks,
                    gaps,
                    pick_agent,
                    ip,
                    a.client,
                );
            }
        }
        Role::Office | Role::Analyst | Role::Admin => {
            for d in 0..days {
                let date = date_of(cfg, d);
                if !a.works(d, date, true) {
                    continue;
                }
                let ip = a.ip_on(d, date);
                let start = local_ms(tz, date, 450) + r.range(0, 90 * MS_MIN);
                let end = local_ms(tz, date, 990) + r.range(0, 120 * MS_MIN);
                let lunch = local_ms(tz, date, 720) + r.range(0, 90 * MS_MIN);
                let breaks = [(lunch, lunch + r.range(30, 61) * MS_MIN)];
                let busy_day = busy.contains(&d);
                let pace = if busy_day { 0.6 } else { 1.0 };
                let (gaps, pick): (_, fn(&mut Rng) -> _) = match a.role {
                    Role::Office => ((6 * MS_MIN, 34 * MS_MIN), pick_office),
                    Role::Analyst => ((5 * MS_MIN, 28 * MS_MIN), pick_analyst),
                    _ => ((12 * MS_MIN, 50 * MS_MIN), pick_admin),
                };
                let gaps = ((gaps.0 as f64 * pace) as i64, (gaps.1 as f64 * pace) as i64);
                session(
                    out,
                    &mut r,
                    idx,
                    (start, end),
                    &breaks,
                    gaps,
                    pick,
                    ip,
                    a.client,
                );
                let exports = match a.role {
                    Role::Office if r.chance(if busy_day { 0.6 } else { 0.25 }) => {
                        vec![r.loguniform(100.0, 5000.0)]
                    }
                    Role::Analyst => {
                        let month_end = is_month_end(date);
                        let (k, lo) = if month_end {
                            (r.int(5, 9), 3000.0)
                        } else {
                            (r.int(1, 3), 1000.0)
                        };
                        if month_end {
                            benign.push(Benign {
                                kind: "month_end_peak",
                                account: a.name.clone(),
                                start,
                                end,
                            });
                        }
                        (0..k).map(|_| r.loguniform(lo, 20_000.0)).collect()
                    }
                    _ => Vec::new(),
                };
                for n in exports {
                    let t = r.range(start, end);
                    let obj = *r.pick(&OFFICE_OBJECTS);
                    let b = nbytes(&mut r, obj, n);
                    out.push(ev(t, "report_export", obj, n, b, ip, a.client));
                }
            }
            if a.role == Role::Admin {
                gen_admin_bulk(cfg, idx, a, &mut r, out, benign);
            }
        }
        Role::Integration => {
            let (_, _, q_objs, bulk_objs) = INTEGRATIONS[a.team];
            let t0 = day_ms(cfg.start);
            let offset = r.range(0, 15 * MS_MIN);
            let ips = [a.ip, a.home_ip.unwrap_or(a.ip)];
            for k in 0..days * 96 {
                let t = t0 + offset + k * 15 * MS_MIN + r.range(0, 20_000);
                let obj = *r.pick(q_objs);
                let n = r.loguniform(10.0, 500.0);
                let b = nbytes(&mut r, obj, n);
                let ip = *r.pick(&ips);
                out.push(ev(t, "api_query", obj, n, b, ip, a.client));
            }
            for d in 0..days {
                let start = t0 + d * MS_DAY + MS_HOUR + r.range(0, 8 * MS_MIN);
                let stop = t0 + d * MS_DAY + MS_HOUR + 40 * MS_MIN;
                let total = r.int(50_000, 150_000);
                let n = r.int(4, 10) as usize;
                let mut times: Vec<i64> = (0..n).map(|_| r.range(start, stop)).collect();
                times.sort_unstable();
                let parts = split_total(&mut r, total, n);
                for (t, k) in times.iter().zip(parts) {
                    let obj = *r.pick(bulk_objs);
                    let b = nbytes(&mut r, obj, k);
                    out.push(ev(*t, "bulk_export", obj, k, b, a.ip, a.client));
                }
                benign.push(Benign {
                    kind: "nightly_bulk_job",
                    account: a.name.clone(),
                    start: times[0],
                    end: times[n - 1] + 1,
                });
            }
        }
    }
}

/// Admins: about weekly, on a weekday they work, a Data Loader bulk export from the office IP,
/// 10,000-200,000 records over 1-2 hours.
fn gen_admin_bulk(
    cfg: &GenerateConfig,
    idx: u32,
    a: &Account,
    r: &mut Rng,
    out: &mut Vec<Event>,
    benign: &mut Vec<Benign>,
) {
    let days = cfg.days as i64;
    let tz = a.site.tz();
    for week in (0..days).step_by(7) {
        if r.chance(0.15) {
            continue;
        }
        let cands: Vec<i64> = (week..(week + 7).min(days))
            .filter(|&d| a.works(d, date_of(cfg, d), true))
            .collect();
        if cands.is_empty() {
            continue;
        }
        let d = *r.pick(&cands);
        let start = local_ms(tz, date_of(cfg, d), 570) + r.range(0, 330 * MS_MIN);
        let dur = r.range(60 * MS_MIN, 120 * MS_MIN);
        let total = r.loguniform(10_000.0, 200_000.0);
        let n = r.int(6, 24) as usize;
        let mut times: Vec<i64> = (0..n).map(|_| start + r.range(0, dur)).collect();
        times.sort_unstable();
        let parts = split_total(r, total, n);
        for (t, k) in times.iter().zip(parts) {
            let obj = *r.pick(&["Contact", "Account", "Case", "Booking"]);
            let b = nbytes(r, obj, k);
            out.push(Event {
                time: *t,
                account: idx,
                action: "bulk_export",
                object: obj,
                records: k,
                bytes: b,
                ip: a.ip,
                client: DATALOADER_CLIENT,
                origin: Origin::Normal,
            });
        }
        benign.push(Benign {
            kind: "admin_bulk_export",
            account: a.name.clone(),
            start: times[0],
            end: times[n - 1] + 1,
        });
    }
}

/// Clients index 0 is always the Data Loader (added first in [`generate`]).
const DATALOADER_CLIENT: u32 = 0;

/// Generates the tenant described by `cfg`.
pub fn generate(cfg: &GenerateConfig) -> Tenant {
    let mut ips = Strings::default();
    let mut clients = Strings::default();
    let dl = clients.add(DATALOADER.into());
    debug_assert_eq!(dl, DATALOADER_CLIENT);
    let mut pool = IpPool::new();
    let mut benign = Vec::new();
    let mut accounts = build_population(cfg, &mut ips, &mut clients, &mut pool, &mut benign);
    let plan = incidents::plan(cfg, &mut accounts);
    let busy = busy_days(cfg);
    let t0 = day_ms(cfg.start);
    for &d in &busy {
        benign.push(Benign {
            kind: "org_busy_day",
            account: "*".into(),
            start: t0 + d * MS_DAY,
            end: t0 + (d + 1) * MS_DAY,
        });
    }
    let mut events = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        gen_account(cfg, i as u32, a, &busy, &mut events, &mut benign);
    }
    let end = t0 + cfg.days as i64 * MS_DAY;
    events.retain(|e| e.time >= t0 && e.time < end);
    benign.retain(|b| b.end > t0 && b.start < end);
    let incidents = incidents::plant(cfg, &plan, &accounts, &mut ips, &mut clients, &mut events);
    let mut rank: Vec<u32> = (0..accounts.len() as u32).collect();
    rank.sort_by(|&a, &b| accounts[a as usize].name.cmp(&accounts[b as usize].name));
    let mut pos = vec![0u32; accounts.len()];
    for (p, &a) in rank.iter().enumerate() {
        pos[a as usize] = p as u32;
    }
    events.sort_by(|a, b| {
        (
            a.time,
            pos[a.account as usize],
            a.action,
            a.object,
            a.records,
            a.ip,
        )
            .cmp(&(
                b.time,
                pos[b.account as usize],
                b.action,
                b.object,
                b.records,
                b.ip,
            ))
    });
    benign.sort_by(|a, b| (a.start, a.kind, &a.account).cmp(&(b.start, b.kind, &b.account)));
    Tenant {
        config: cfg.clone(),
        accounts,
        ips: ips.items,
        clients: clients.items,
        events,
        incidents,
        benign,
    }
}

#[cfg(test)]
mod tests;
