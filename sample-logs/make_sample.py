#!/usr/bin/env python3
"""Deterministic generator of a synthetic vendor-platform access log for exfilwatch.

The tenant is the contact centre of a (fictional) airline, "Northwind Air", on a third-party
customer-service platform. 30 days, 2025-01-06T00:00Z .. 2025-02-05T00:00Z, organisation time
zone Europe/London (equal to UTC in January, so everything is generated in UTC).

Default output (--format generic) is the project's "generic" CSV format:

    timestamp,account,action,object,records,bytes,src_ip,client

sorted by timestamp (ties by account, then the remaining fields), written with gzip and a fixed
mtime so the same arguments always give the same bytes. Python 3.11, stdlib only.

The same events can be written in two vendor layouts instead (--out is then a directory):
  --format salesforce-elf  daily Event Log Files YYYY-MM-DD_API.csv and YYYY-MM-DD_Login.csv
  --format cloudtrail      AWSLogs/123456789012/CloudTrail/eu-west-1/YYYY/MM/DD/*.json.gz, one
                           gzipped {"Records": [...]} file per hour, S3 GetObject data events

Usage:
    python3 sample-logs/make_sample.py                       # the committed sample
    python3 sample-logs/make_sample.py --accounts 1300 --seed 7 --out /tmp/big.csv --no-gzip
    python3 sample-logs/make_sample.py --format salesforce-elf --out /tmp/sf
    python3 sample-logs/make_sample.py --format cloudtrail --out /tmp/ct
    python3 sample-logs/make_sample.py --accounts 4550 --seed 11 --scale 5 --out /tmp/5x.csv --no-gzip

--scale K (benchmarks) gives every account K times its activity: K-1 more streams of events
inside the same shifts, office days, 15-minute query slots, nightly jobs and Data Loader bursts,
each from a Random of its own. Accounts, roles, days, IPs, clients and the theft stay as they
are, and the (account, hour) windows stay about the same (+1.2% at K=5, a superset); only the
events per window grow K-fold. Without it (K=1) the output is byte-for-byte what it was.

Exactly one theft is planted (unless --no-theft): maria.oconnor@northwind-air.example on
2025-01-23 between 02:00 and 03:00 UTC. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import math
import os
import random
import re
import sys
import time

DOMAIN = "northwind-air.example"
DAYS = 30
EPOCH_DATE = (2025, 1, 6)  # day index 0, a Monday
MS_MIN = 60_000
MS_HOUR = 3_600_000
MS_DAY = 86_400_000
END_MS = DAYS * MS_DAY

# Day indexes (0 = 2025-01-06, Monday).
THEFT_DAY = 17  # 2025-01-23, Thursday
TRAVEL_DAYS = (14, 15)  # 2025-01-20..21, Monday-Tuesday
LOOKALIKE_NIGHT_DAY = 16  # night shift 2025-01-22 22:00 -> 2025-01-23 06:00
JOIN_DAY = 19  # 2025-01-25: day 20 of 30 (1-based)
LEAVE_LAST_DAY = 11  # 2025-01-17: day 12 of 30 (1-based); no events afterwards
MONTH_END_DAYS = (24, 25, 28)  # 2025-01-30, 2025-01-31, 2025-02-03

THEFT_ACCOUNT = f"maria.oconnor@{DOMAIN}"
THEFT_IP = "185.220.101.47"
THEFT_CLIENT = "python-requests/2.31.0"
TRAVELLER = f"daniel.mensah@{DOMAIN}"
NIGHT_LOOKALIKE = f"tomasz.nowak@{DOMAIN}"
JOINER = f"aisha.rahman@{DOMAIN}"
LEAVER = f"liam.doherty@{DOMAIN}"
SPECIAL = (THEFT_ACCOUNT, TRAVELLER, NIGHT_LOOKALIKE, JOINER, LEAVER)

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contact-centre-2025-01.csv.gz")

# Team -> nominal shift start hour and length in hours (night crosses midnight).
TEAMS = (("early", 6, 8), ("day", 9, 8), ("late", 14, 8), ("night", 22, 8))

# Share of accounts by role; agents take the rest. 100 accounts -> 64/22/6/4/4.
ROLE_SHARE = (("office", 0.22), ("analyst", 0.06), ("admin", 0.04), ("integration", 0.04))

# Average bytes per record by object (a per-event factor of +-15% is applied, clamped 600..2500).
BYTES_PER_RECORD = {
    "Case": 1900,
    "Contact": 900,
    "Account": 1300,
    "Booking": 1550,
    "Loyalty_Member__c": 700,
}
OVERHEAD = 380  # constant per-response overhead in bytes

FIRST = (
    "james olivia noah amelia oliver isla george ava harry mia jack grace jacob freya leo lily "
    "oscar emily charlie sophie thomas ella william poppy arthur evie henry chloe alfie ruby "
    "finley zara joseph hannah samuel megan ethan niamh aaron ciara ryan aoife sean siobhan "
    "kieran orla connor eilidh callum fiona ewan ruth rhys carys owen seren ibrahim fatima "
    "omar yasmin arjun ananya rohan kavya chen mei wei lina marek zofia pavel anna luca giulia "
    "mateo lucia tiago ines kwame ama emeka chioma"
).split()
LAST = (
    "smith jones taylor brown williams wilson johnson davies patel wright robinson thompson "
    "evans walker white roberts green hall wood jackson clarke hughes edwards lewis harris "
    "martin king lee moore allen scott young morgan cooper hill ward turner baker collins "
    "murphy kelly byrne walsh ryan doyle mccarthy quinn fraser campbell stewart macleod "
    "reid morrison griffiths price jenkins khan hussain begum ali singh kaur sharma ahmed "
    "wang zhang kowalski nowicki novak rossi ferreira silva costa okafor owusu boateng "
    "adeyemi nguyen"
).split()

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
CHROME_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36 Edg/{e}"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Safari/605.1.15"
EDGE_BUILD = {130: "130.0.2849.80", 131: "131.0.2903.112", 132: "132.0.2957.115"}

DATALOADER = "DataLoader/62.0"
INTEGRATIONS = (  # name, client, objects for api_query, objects for the nightly bulk_export
    ("workato", "Workato/2.0", ("Contact", "Case"), ("Contact", "Case")),
    ("mulesoft", "MuleSoft-Connector/4.6", ("Booking", "Account"), ("Booking", "Account")),
    ("bi-extract", "Fivetran/3.4 (+connector:salesforce)", ("Case", "Booking"), ("Case", "Booking", "Contact")),
    ("loyalty-sync", "LoyaltyHub-Sync/1.8 (Java/17.0.9)", ("Loyalty_Member__c", "Contact"), ("Loyalty_Member__c",)),
)
# Cloud egress /16s for integrations (AWS eu-west-2, GCP europe-west2, Azure uksouth-looking).
CLOUD_PREFIXES = ("52.56", "18.133", "35.178", "3.9", "34.105", "35.246", "51.140", "20.108")
# Public-looking ISP /16s used only once the documentation ranges run out (big scale runs).
ISP_PREFIXES = ("81.2", "86.14", "90.197", "109.150", "82.132", "2.24", "92.40", "151.224", "5.64", "87.112")


class IpPool:
    """Hands out distinct addresses: documentation ranges first, then public-looking ISP ones."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        doc = [f"{p}.{i}" for p in ("198.51.100", "203.0.113", "192.0.2") for i in range(2, 255)]
        rng.shuffle(doc)
        self.doc = doc
        self.used = {THEFT_IP}

    def take(self) -> str:
        while self.doc:
            ip = self.doc.pop()
            if ip not in self.used:
                self.used.add(ip)
                return ip
        while True:
            ip = f"{self.rng.choice(ISP_PREFIXES)}.{self.rng.randrange(0, 256)}.{self.rng.randrange(1, 255)}"
            if ip not in self.used:
                self.used.add(ip)
                return ip

    def cloud(self) -> str:
        while True:
            ip = f"{self.rng.choice(CLOUD_PREFIXES)}.{self.rng.randrange(0, 256)}.{self.rng.randrange(1, 255)}"
            if ip not in self.used:
                self.used.add(ip)
                return ip


def browser(rng: random.Random, mac_share: float) -> tuple[str, str]:
    """A stable UA for a person, and the UA after a browser update (may be the same)."""
    r = rng.random()
    if r < mac_share:
        if rng.random() < 0.5:
            return SAFARI.format(v="18.2"), SAFARI.format(v="18.2")
        v = 131
        return CHROME_MAC.format(v=v), CHROME_MAC.format(v=v + 1)
    r = rng.random()
    v = 130 if rng.random() < 0.12 else 131
    if r < 0.62:
        return CHROME.format(v=v), CHROME.format(v=v + 1)
    if r < 0.93:
        return EDGE.format(v=v, e=EDGE_BUILD[v]), EDGE.format(v=v + 1, e=EDGE_BUILD[v + 1])
    return FIREFOX.format(v=133), FIREFOX.format(v=134)


def make_names(rng: random.Random, n: int) -> list[str]:
    reserved = {s.split("@")[0] for s in SPECIAL}
    seen = set(reserved)
    out = []
    tries = 0
    while len(out) < n:
        f, l = rng.choice(FIRST), rng.choice(LAST)
        name = f"{f}.{l}"
        tries += 1
        if name in seen:
            if tries < 50 * n:
                continue
            k = 2
            while f"{f}.{l}{k}" in seen:
                k += 1
            name = f"{f}.{l}{k}"
        seen.add(name)
        out.append(name)
    return out


class Person:
    __slots__ = (
        "account", "role", "team", "ip", "home_ip", "wfh_days", "ua", "ua_new", "ua_switch_day",
        "days_off", "leave", "first_day", "last_day",
    )

    def __init__(self, account: str, role: str):
        self.account = account
        self.role = role
        self.team = None
        self.ip = None
        self.home_ip = None
        self.wfh_days = ()
        self.ua = None
        self.ua_new = None
        self.ua_switch_day = DAYS + 1
        self.days_off = (5, 6)
        self.leave = ()
        self.first_day = -1
        self.last_day = DAYS

    def ua_on(self, d: int) -> str:
        return self.ua_new if d >= self.ua_switch_day else self.ua


def build_population(n_accounts: int, rng: random.Random, ips: IpPool) -> list[Person]:
    counts = {role: max(1, round(n_accounts * share)) for role, share in ROLE_SHARE}
    n_agents = max(8, n_accounts - sum(counts.values()))
    names = make_names(rng, n_agents - 5 + counts["office"] + counts["analyst"] + counts["admin"])
    names_it = iter(names)

    people: list[Person] = []

    # --- agents -----------------------------------------------------------------------------
    n_sites = max(1, round(n_agents / 64))
    nat = {(t[0], s): ips.take() for s in range(n_sites) for t in TEAMS}
    agents = [Person(f"{next(names_it)}@{DOMAIN}", "agent") for _ in range(n_agents - 5)]
    team_names = [t[0] for t in TEAMS]
    order = list(range(len(agents)))
    rng.shuffle(order)
    for k, i in enumerate(order):
        agents[i].team = team_names[k % 4]
    fixed_team = {THEFT_ACCOUNT: "day", TRAVELLER: "day", NIGHT_LOOKALIKE: "night", JOINER: "late", LEAVER: "early"}
    for acct in SPECIAL:
        p = Person(acct, "agent")
        p.team = fixed_team[acct]
        agents.append(p)
    for p in agents:
        site = rng.randrange(n_sites)
        if rng.random() < 1 / 3:
            p.home_ip = ips.take()
            p.ip = p.home_ip  # works from home, stable personal IP
        else:
            p.ip = nat[(p.team, site)]
        p.ua, p.ua_new = browser(rng, 0.0)
        if rng.random() < 0.12:
            p.ua_switch_day = rng.randrange(8, 21)  # updates the browser mid-month
        if p.team == "day" and rng.random() < 0.6:
            p.days_off = (5, 6)
        else:
            w = rng.randrange(7)
            p.days_off = (w, (w + 1) % 7)
        work = [d for d in range(DAYS) if d % 7 not in p.days_off]
        p.leave = tuple(sorted(rng.sample(work, rng.choice((0, 1, 2, 2, 3)))))
    by = {p.account: p for p in agents}
    # The planted theft's account: an ordinary day-team agent in the office, Mon-Fri, at work
    # on the theft day, one browser all month.
    m = by[THEFT_ACCOUNT]
    m.ip, m.days_off, m.leave = nat[("day", 0)], (5, 6), (3, 21)
    m.ua = m.ua_new = CHROME.format(v=131)
    m.ua_switch_day = DAYS + 1
    # The traveller: ordinary day agent, away on TRAVEL_DAYS (a hotel IP those days).
    t = by[TRAVELLER]
    t.ip, t.days_off, t.leave = nat[("day", 0)], (5, 6), (23,)
    t.ua = t.ua_new = EDGE.format(v=131, e=EDGE_BUILD[131])
    t.ua_switch_day = DAYS + 1
    # Night look-alike: works the night of 22->23 January (so is active at 02:00 on the theft day).
    nl = by[NIGHT_LOOKALIKE]
    nl.days_off, nl.leave = (4, 5), (9,)
    # Joiner and leaver.
    by[JOINER].first_day = JOIN_DAY
    by[JOINER].days_off, by[JOINER].leave = (1, 2), ()  # first shift on JOIN_DAY itself
    by[LEAVER].last_day = LEAVE_LAST_DAY
    by[LEAVER].leave = ()
    people.extend(agents)

    # --- office staff, analysts, admins ------------------------------------------------------
    n_hq = max(1, round((counts["office"] + counts["analyst"] + counts["admin"]) / 40))
    hq = [ips.take() for _ in range(n_hq)]
    for role in ("office", "analyst", "admin"):
        for _ in range(counts[role]):
            p = Person(f"{next(names_it)}@{DOMAIN}", role)
            p.ip = rng.choice(hq)
            if role != "admin" and rng.random() < 0.4:
                p.home_ip = ips.take()
                p.wfh_days = tuple(sorted(rng.sample(range(5), rng.choice((1, 1, 2)))))
            p.ua, p.ua_new = browser(rng, 0.25 if role == "office" else 0.15)
            if rng.random() < 0.12:
                p.ua_switch_day = rng.randrange(8, 21)
            p.days_off = (5, 6)
            work = [d for d in range(DAYS) if d % 7 < 5]
            p.leave = tuple(sorted(rng.sample(work, rng.choice((0, 1, 1, 2, 3)))))
            if role in ("analyst",):
                p.leave = tuple(d for d in p.leave if d not in MONTH_END_DAYS)
            people.append(p)

    # --- integration users -------------------------------------------------------------------
    for k in range(counts["integration"]):
        name, client, _, _ = INTEGRATIONS[k % len(INTEGRATIONS)]
        suffix = "" if k < len(INTEGRATIONS) else f"-{k // len(INTEGRATIONS) + 1}"
        p = Person(f"svc-{name}{suffix}@{DOMAIN}", "integration")
        p.team = k % len(INTEGRATIONS)
        p.ip = ips.cloud()
        p.home_ip = ips.cloud() if rng.random() < 0.6 else p.ip  # second egress IP (or the same)
        p.ua = p.ua_new = client
        p.days_off = ()
        people.append(p)
    return people


# ------------------------------------------------------------------------------------------------
# Event generation. Each account has its own Random seeded from (seed, account), so an account's
# events do not depend on how many other accounts there are or in what order they are generated.


def nbytes(r: random.Random, obj: str, records: int) -> int:
    per = BYTES_PER_RECORD[obj] * r.uniform(0.85, 1.15)
    per = 600.0 if per < 600.0 else 2500.0 if per > 2500.0 else per
    return int(records * per) + OVERHEAD


def loguniform(r: random.Random, lo: float, hi: float) -> int:
    return int(math.exp(r.uniform(math.log(lo), math.log(hi))))


def split_total(r: random.Random, total: int, n: int) -> list[int]:
    w = [r.uniform(0.5, 1.5) for _ in range(n)]
    s = sum(w)
    parts = [max(1, int(total * x / s)) for x in w]
    parts[-1] += total - sum(parts)
    return parts


def session(rows, r, acct, start, end, breaks, gap_lo, gap_hi, pick, ip, ua):
    """Events from start to end (ms), skipping breaks; gaps in [gap_lo, gap_hi] ms, skewed long."""
    t = start + r.randrange(0, 90_000)
    rand = r.random
    bi = 0
    nb = len(breaks)
    while t < end:
        while bi < nb and t >= breaks[bi][1]:
            bi += 1
        if bi < nb and breaks[bi][0] <= t:
            t = breaks[bi][1] + int(rand() * 120_000)
            continue
        if 0 <= t < END_MS:
            action, obj, records = pick(r)
            rows.append((t, acct, action, obj, records, nbytes(r, obj, records), ip, ua))
        t += gap_lo + int(rand() ** 0.5 * (gap_hi - gap_lo))


def pick_agent(r):
    x = r.random()
    if x < 0.58:
        return "case_view", "Case", 1
    if x < 0.90:
        obj = "Contact" if x < 0.86 else "Booking"
        return "contact_lookup", obj, 1 + int(19 * r.random() ** 2.5)
    if x < 0.985:
        return "list_view", ("Case", "Contact", "Booking")[int(r.random() * 3)], 20 + int(180 * r.random() ** 1.5)
    return "report_run", ("Case", "Booking")[int(r.random() * 2)], 50 + int(450 * r.random() ** 1.5)


OFFICE_OBJECTS = ("Account", "Booking", "Loyalty_Member__c", "Case", "Contact")


def pick_office(r):
    x = r.random()
    obj = OFFICE_OBJECTS[int(r.random() * 5)]
    if x < 0.35:
        return "case_view", "Case", 1
    if x < 0.6:
        return "contact_lookup", "Contact", 1 + int(19 * r.random() ** 2)
    if x < 0.88:
        return "list_view", obj, 20 + int(180 * r.random() ** 1.5)
    return "report_run", obj, 50 + int(950 * r.random() ** 2)


def pick_analyst(r):
    x = r.random()
    obj = OFFICE_OBJECTS[int(r.random() * 5)]
    if x < 0.45:
        return "report_run", obj, 100 + int(4900 * r.random() ** 2)
    if x < 0.8:
        return "list_view", obj, 20 + int(180 * r.random() ** 1.5)
    return "case_view", "Case", 1


def pick_admin(r):
    x = r.random()
    if x < 0.4:
        return "list_view", OFFICE_OBJECTS[int(r.random() * 5)], 20 + int(180 * r.random())
    if x < 0.7:
        return "case_view", "Case", 1
    if x < 0.9:
        return "contact_lookup", "Contact", 1 + int(9 * r.random())
    return "report_run", ("Case", "Account")[int(r.random() * 2)], 50 + int(450 * r.random())


def scale_streams(seed: int, acct: str) -> list[random.Random]:
    """--scale K: K-1 extra Random streams for an account, each adding one more copy of its
    activity inside the same shifts, days, jobs and bursts (none when K is 1, so the default
    output is unchanged)."""
    return [random.Random(f"{seed}:{acct}:scale:{k}") for k in range(1, SCALE)]


def gen_agent(rows, p: Person, seed: int):
    r = random.Random(f"{seed}:{p.account}")
    streams = [r, *scale_streams(seed, p.account)]
    start_h, length = {t[0]: (t[1], t[2]) for t in TEAMS}[p.team]
    for d in range(-1, DAYS):
        if d < p.first_day or d > p.last_day or d % 7 in p.days_off or d in p.leave:
            continue
        base = d * MS_DAY + start_h * MS_HOUR
        start = base + r.randrange(-20 * MS_MIN, 15 * MS_MIN)
        end = base + length * MS_HOUR + r.randrange(-15 * MS_MIN, 30 * MS_MIN)
        lunch = base + r.randrange(int(3.25 * MS_HOUR), int(4.75 * MS_HOUR))
        b1 = base + r.randrange(int(1.5 * MS_HOUR), int(2.5 * MS_HOUR))
        b2 = base + r.randrange(int(5.75 * MS_HOUR), int(6.75 * MS_HOUR))
        breaks = [
            (b1, b1 + r.randrange(10, 18) * MS_MIN),
            (lunch, lunch + r.randrange(30, 46) * MS_MIN),
            (b2, b2 + r.randrange(10, 18) * MS_MIN),
        ]
        ip = p.ip
        if p.account == TRAVELLER and d in TRAVEL_DAYS:
            ip = TRAVEL_IP
        pace = r.uniform(0.9, 1.1)  # busy and quiet days
        gap_lo, gap_hi = int(60_000 * pace), int(600_000 * pace)
        for rr in streams:
            session(rows, rr, p.account, start, end, breaks, gap_lo, gap_hi, pick_agent, ip, p.ua_on(d))


def office_day(r, d, start_range, end_range):
    base = d * MS_DAY
    start = base + r.randrange(*start_range)
    end = base + r.randrange(*end_range)
    lunch = base + r.randrange(12 * MS_HOUR, int(13.5 * MS_HOUR))
    return start, end, [(lunch, lunch + r.randrange(30, 61) * MS_MIN)]


def gen_office(rows, p: Person, seed: int):
    r = random.Random(f"{seed}:{p.account}")
    extra = scale_streams(seed, p.account)
    streams = [r, *extra]
    for d in range(DAYS):
        if d % 7 >= 5 or d in p.leave:
            continue
        ip = p.home_ip if d % 7 in p.wfh_days else p.ip
        ua = p.ua_on(d)
        start, end, breaks = office_day(r, d, (int(7.5 * MS_HOUR), 9 * MS_HOUR), (int(16.5 * MS_HOUR), int(18.5 * MS_HOUR)))
        for rr in streams:
            if p.role == "office":
                session(rows, rr, p.account, start, end, breaks, 6 * MS_MIN, 34 * MS_MIN, pick_office, ip, ua)
                if rr.random() < 0.25:  # occasional report export
                    t = rr.randrange(start, end)
                    obj = OFFICE_OBJECTS[rr.randrange(5)]
                    n = loguniform(rr, 100, 5000)
                    rows.append((t, p.account, "report_export", obj, n, nbytes(rr, obj, n), ip, ua))
            elif p.role == "analyst":
                session(rows, rr, p.account, start, end, breaks, 5 * MS_MIN, 28 * MS_MIN, pick_analyst, ip, ua)
                # Regular exports of 1k-20k records; month-end days: more of them, and larger.
                if d in MONTH_END_DAYS:
                    k, lo, hi = rr.randint(5, 9), 3000, 20000
                else:
                    k, lo, hi = rr.randint(1, 3), 1000, 20000
                for _ in range(k):
                    t = rr.randrange(start, end)
                    obj = OFFICE_OBJECTS[rr.randrange(5)]
                    n = loguniform(rr, lo, hi)
                    rows.append((t, p.account, "report_export", obj, n, nbytes(rr, obj, n), ip, ua))
            else:  # admin
                session(rows, rr, p.account, start, end, breaks, 12 * MS_MIN, 50 * MS_MIN, pick_admin, ip, ua)
    # Admins: about weekly, on a random weekday, a legitimate Data Loader bulk export from the
    # office IP, 10k-200k records over 1-2 hours.
    if p.role == "admin":
        for week in range(0, DAYS, 7):
            if r.random() > 0.85:
                continue
            days = [d for d in range(week, min(week + 5, DAYS)) if d not in p.leave]
            if not days:
                continue
            d = r.choice(days)
            start = d * MS_DAY + r.randrange(int(9.5 * MS_HOUR), 15 * MS_HOUR)
            dur = r.randrange(60 * MS_MIN, 120 * MS_MIN)
            for rr in streams:  # with --scale, more exports in the same burst
                total = loguniform(rr, 10_000, 200_000)
                n = rr.randint(6, 24)
                times = sorted(start + rr.randrange(0, dur) for _ in range(n))
                for t, k in zip(times, split_total(rr, total, n)):
                    obj = ("Contact", "Account", "Case", "Booking")[rr.randrange(4)]
                    rows.append((t, p.account, "bulk_export", obj, k, nbytes(rr, obj, k), p.ip, DATALOADER))


def gen_integration(rows, p: Person, seed: int):
    r = random.Random(f"{seed}:{p.account}")
    _, client, q_objs, bulk_objs = INTEGRATIONS[p.team]
    ips = (p.ip, p.home_ip)
    offset = r.randrange(0, 15 * MS_MIN)
    acct = p.account
    extra = scale_streams(seed, acct)
    for k in range(DAYS * 96):
        t = offset + k * 15 * MS_MIN + r.randrange(0, 20_000)
        if t >= END_MS:
            break
        obj = q_objs[r.randrange(len(q_objs))]
        n = loguniform(r, 10, 500)
        rows.append((t, acct, "api_query", obj, n, nbytes(r, obj, n), ips[r.randrange(2)], client))
        for rr in extra:  # with --scale, more queries in the same 15 minutes
            t = offset + k * 15 * MS_MIN + rr.randrange(0, 15 * MS_MIN)
            if t < END_MS:
                obj = q_objs[rr.randrange(len(q_objs))]
                n = loguniform(rr, 10, 500)
                rows.append((t, acct, "api_query", obj, n, nbytes(rr, obj, n), ips[rr.randrange(2)], client))
    for d in range(DAYS):
        start = d * MS_DAY + MS_HOUR + r.randrange(0, 8 * MS_MIN)
        stop = d * MS_DAY + MS_HOUR + 40 * MS_MIN
        for rr in (r, *extra):  # with --scale, more exports in the same nightly job
            total = rr.randint(50_000, 150_000)
            n = rr.randint(4, 10)
            times = sorted(rr.randrange(start, stop) for _ in range(n))
            for t, k in zip(times, split_total(rr, total, n)):
                obj = bulk_objs[rr.randrange(len(bulk_objs))]
                rows.append((t, acct, "bulk_export", obj, k, nbytes(rr, obj, k), p.ip, client))


def gen_theft(rows, seed: int):
    """The planted theft: 40-60 exports of 500-2000 records, 40k-80k in all, inside 02:00-03:00."""
    r = random.Random(f"{seed}:theft")
    while True:
        n = r.randint(40, 60)
        recs = [r.randint(500, 2000) for _ in range(n)]
        if 40_000 <= sum(recs) <= 80_000:
            break
    day0 = THEFT_DAY * MS_DAY
    start = day0 + 2 * MS_HOUR + r.randrange(2 * MS_MIN, 6 * MS_MIN)
    span = r.randrange(40 * MS_MIN, 50 * MS_MIN)
    gaps = [r.uniform(0.6, 1.4) for _ in range(n - 1)]
    s = sum(gaps)
    times = [start]
    acc = 0.0
    for g in gaps:
        acc += g
        times.append(start + int(span * acc / s))
    times = [t + r.randrange(0, 1000) for t in times]
    assert day0 + 2 * MS_HOUR <= times[0] and times[-1] < day0 + 3 * MS_HOUR
    out = []
    for t, k in zip(times, recs):
        obj = ("Contact", "Contact", "Account", "Booking")[r.randrange(4)]
        out.append((t, THEFT_ACCOUNT, "export", obj, k, nbytes(r, obj, k), THEFT_IP, THEFT_CLIENT))
    rows.extend(out)
    return out


# ------------------------------------------------------------------------------------------------


def day_prefixes() -> list[str]:
    import datetime as dt

    e = dt.date(*EPOCH_DATE)
    return [(e + dt.timedelta(days=d)).strftime("%Y-%m-%dT") for d in range(DAYS + 1)]


def fmt_ts(t: int, prefixes: list[str]) -> str:
    d, ms = divmod(t, MS_DAY)
    s, ms = divmod(ms, 1000)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{prefixes[d]}{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


def csv_field(s: str) -> str:
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


# ------------------------------------------------------------------------------------------------
# Vendor formats. The same rows are written in a vendor's layout. Everything added here (ids,
# keys, run times, context rows) comes from hashes of the seed and from Random instances of its
# own, so the generic output and its events stay exactly as they are.

FORMATS = ("generic", "salesforce-elf", "cloudtrail")
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def hash_token(text: str, n: int, alphabet: str = B62) -> str:
    """n characters of `alphabet` derived from `text` (stable across runs and machines)."""
    v = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=24).digest(), "big")
    k = len(alphabet)
    out = []
    for _ in range(n):
        v, i = divmod(v, k)
        out.append(alphabet[i])
    return "".join(out)


def hash_units(text: str, k: int) -> list[float]:
    """k numbers in [0, 1) derived from `text`."""
    h = hashlib.blake2b(text.encode(), digest_size=8 * k).digest()
    return [int.from_bytes(h[8 * i:8 * i + 8], "big") / 2.0**64 for i in range(k)]


def row_keys(rows) -> list[str]:
    """A name for each row that does not depend on the other rows (account, time, and a counter
    for the rare rows of one account in the same millisecond), so that --no-theft changes nothing
    but the theft's own rows in the vendor formats."""
    seen: dict[tuple, int] = {}
    keys = []
    for x in rows:
        k = seen.get((x[1], x[0]), 0)
        seen[(x[1], x[0])] = k + 1
        keys.append(f"{x[1]}:{x[0]}:{k}")
    return keys


def compact_prefixes() -> list[str]:
    import datetime as dt

    e = dt.date(*EPOCH_DATE)
    return [(e + dt.timedelta(days=d)).strftime("%Y%m%d") for d in range(DAYS + 1)]


def quote_all(values) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' for v in values) + "\n"


def local_part(account: str) -> str:
    return account.split("@")[0]


def remove_stale(root: str, pattern: "re.Pattern[str]", written: set[str]) -> int:
    """Removes files under `root` named like this generator's output but not written this run."""
    n = 0
    if not os.path.isdir(root):
        return 0
    for d, _, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            if pattern.match(f) and os.path.abspath(path) not in written:
                os.remove(path)
                n += 1
    return n


# --- Salesforce Event Monitoring: Event Log Files -----------------------------------------------

SF_ORG_ID = "00D5j00000Nw1Ar"
SF_API_VERSION = "62.0"
SF_INTERNAL_IP = "Salesforce.com IP"
SF_INTERNAL_SHARE = 0.10  # share of integration users' API rows logged as internal calls
SF_SESSION_GAP = 3 * MS_HOUR  # a new session (and Login row) after this long without events
SF_COMMON = (
    "EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "RUN_TIME", "CPU_TIME",
    "URI", "SESSION_KEY", "LOGIN_KEY", "CLIENT_IP", "TIMESTAMP_DERIVED", "USER_ID_DERIVED",
    "URI_ID_DERIVED",
)
SF_EXTRA = {
    "API": ("METHOD_NAME", "API_TYPE", "API_VERSION", "CLIENT_NAME", "ENTITY_NAME", "ROWS_PROCESSED",
            "RESPONSE_SIZE", "USER_AGENT"),
    "Login": ("USER_NAME", "BROWSER_TYPE", "LOGIN_STATUS", "SOURCE_IP", "LOGIN_TYPE"),
}
SF_FILE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}_(API|Login)\.csv$")


def sf_id18(id15: str) -> str:
    """The 18-character form of a Salesforce id: the 15 plus Salesforce's case checksum."""
    suffix = ""
    for i in range(3):
        flags = sum(1 << j for j, c in enumerate(id15[5 * i:5 * i + 5]) if "A" <= c <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags]
    return id15 + suffix


def sf_user_ids(accounts) -> dict[str, str]:
    """A stable 15-character User id per account: key prefix 005, pod 5j, 6 characters of hash."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for acct in sorted(accounts):
        k = 0
        while True:
            uid = "0055j0000" + hash_token(f"sf-user:{acct}:{k}" if k else f"sf-user:{acct}", 6)
            if uid not in taken:
                break
            k += 1
        taken.add(uid)
        ids[acct] = uid
    return ids


def sf_client_name(ua: str) -> str:
    return "" if ua.startswith("Mozilla/") else ua.split("/")[0]


def sf_login_type(role: str, ua: str) -> tuple[str, str]:
    """LOGIN_TYPE and URI of a Login row."""
    if ua == THEFT_CLIENT:
        return "Other Apex API", f"/services/Soap/u/{SF_API_VERSION}"
    if role == "integration" or ua == DATALOADER:
        return "Remote Access 2.0", "/services/oauth2/token"
    return "Application", "/index.jsp"


def write_salesforce(out: str, rows, roles: dict[str, str], theft, seed: int, t0: float) -> None:
    keys = row_keys(rows)
    uid15 = sf_user_ids({x[1] for x in rows})
    uid18 = {a: sf_id18(u) for a, u in uid15.items()}
    iso = day_prefixes()
    compact = compact_prefixes()

    def ts(t: int) -> tuple[str, str]:
        s = fmt_ts(t, iso)  # 2025-01-23T02:05:35.357Z
        return compact[t // MS_DAY] + s[11:13] + s[14:16] + s[17:23], s

    # Half of the files carry the 15-character USER_ID only, the other half USER_ID_DERIVED only
    # (alternating by day, API and Login opposite), so a reader must treat both as one user.
    def ids(kind: str, day: int, acct: str) -> tuple[str, str]:
        if (day + (kind == "Login")) % 2 == 0:
            return uid15[acct], ""
        return "", uid18[acct]

    api: dict[int, list[str]] = {}
    logins: list[tuple] = []
    sessions: dict[tuple, list] = {}  # (account, ip, client) -> [login time, last event, keys]
    theft_rows = []
    n_internal = n_integration = 0
    for i, (t, acct, action, obj, n, b, ip, ua) in enumerate(rows):
        rk = f"{seed}:{keys[i]}"
        u_login, u_internal, u_run, u_cpu = hash_units(f"sf:{rk}", 4)
        key = (acct, ip, ua)
        s = sessions.get(key)
        if (s is None or t - s[1] >= SF_SESSION_GAP
                or (t - s[0] >= 12 * MS_HOUR and t // MS_DAY != s[0] // MS_DAY)):
            if ip == THEFT_IP:  # the thief logs in just before 02:00, then starts at 02:05
                login_t = THEFT_DAY * MS_DAY + 2 * MS_HOUR - 60_000 - int(u_login * 180_000)
            else:
                login_t = t - 60_000 - int(u_login * 240_000)
            skeys = (hash_token(f"session:{rk}", 16), hash_token(f"login:{rk}", 16))
            s = sessions[key] = [login_t, t, skeys]
            if login_t >= 0:  # sessions already open when the month starts have no Login row
                logins.append((login_t, acct, ip, ua, skeys))
        s[1] = t
        role = roles[acct]
        client_ip = ip
        if role == "integration":
            n_integration += 1
            if u_internal < SF_INTERNAL_SHARE:
                client_ip = SF_INTERNAL_IP
                n_internal += 1
        run = int(25 + n * 0.35 * (0.6 + u_run))
        cpu = int(run * (0.15 + 0.4 * u_cpu))
        compact_ts, iso_ts = ts(t)
        day = t // MS_DAY
        u15, u18 = ids("API", day, acct)
        row = (
            "API", compact_ts, hash_token(f"request:{rk}", 22), SF_ORG_ID, u15, str(run),
            str(cpu), f"/services/Soap/u/{SF_API_VERSION}/{SF_ORG_ID}", s[2][0], s[2][1],
            client_ip, iso_ts, u18, "",
            "query", "P" if ua == DATALOADER else "E", SF_API_VERSION, sf_client_name(ua), obj,
            str(n), str(b), ua,
        )
        api.setdefault(day, []).append(quote_all(row))
        if ip == THEFT_IP:
            theft_rows.append((iso_ts, u15 or u18, n, b))
    login_lines: dict[int, list[str]] = {}
    theft_login = None
    for t, acct, ip, ua, skeys in sorted(logins, key=lambda x: (x[0], x[1])):
        u_run, u_cpu = hash_units(f"sf-login:{seed}:{skeys[1]}", 2)
        compact_ts, iso_ts = ts(t)
        day = t // MS_DAY
        u15, u18 = ids("Login", day, acct)
        ltype, uri = sf_login_type(roles[acct], ua)
        run = 40 + int(u_run * 260)
        row = (
            "Login", compact_ts, hash_token(f"login-request:{seed}:{skeys[1]}", 22), SF_ORG_ID, u15,
            str(run), str(int(run * (0.2 + 0.3 * u_cpu))), uri, skeys[0], skeys[1], ip, iso_ts,
            u18, "",
            acct, ua, "LOGIN_NO_ERROR", ip, ltype,
        )
        login_lines.setdefault(day, []).append(quote_all(row))
        if ip == THEFT_IP:
            theft_login = iso_ts

    os.makedirs(out, exist_ok=True)
    written: set[str] = set()
    sizes = 0
    for kind, per_day in (("API", api), ("Login", login_lines)):
        header = quote_all(SF_COMMON + SF_EXTRA[kind])
        for day in sorted(per_day):
            path = os.path.join(out, f"{iso[day][:10]}_{kind}.csv")
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(header)
                f.writelines(per_day[day])
            written.add(os.path.abspath(path))
            sizes += os.path.getsize(path)
    stale = remove_stale(out, SF_FILE_RE, written)

    w = sys.stderr.write
    n_api = sum(len(v) for v in api.values())
    n_login = sum(len(v) for v in login_lines.values())
    w(f"wrote {out}: salesforce-elf, {len(written)} files ({len(api)} API, {len(login_lines)} Login), "
      f"{n_api} API rows, {n_login} Login rows, {len(uid15)} users, {sizes} bytes, "
      f"{n_internal}/{n_integration} integration API rows with CLIENT_IP '{SF_INTERNAL_IP}'"
      f"{f', removed {stale} stale files' if stale else ''}, {time.monotonic() - t0:.1f}s\n")
    if theft:
        day = THEFT_DAY
        w(f"theft: USER_ID={uid15[THEFT_ACCOUNT]} USER_ID_DERIVED={uid18[THEFT_ACCOUNT]} "
          f"USER_NAME={THEFT_ACCOUNT} file={iso[day][:10]}_API.csv (USER_ID column "
          f"{'set' if ids('API', day, THEFT_ACCOUNT)[0] else 'empty, USER_ID_DERIVED set'}) "
          f"api_rows={len(theft_rows)} ROWS_PROCESSED={sum(x[2] for x in theft_rows)} "
          f"RESPONSE_SIZE={sum(x[3] for x in theft_rows)} first={theft_rows[0][0]} "
          f"last={theft_rows[-1][0]} CLIENT_IP={THEFT_IP} USER_AGENT={THEFT_CLIENT} "
          f"login={theft_login} ({iso[day][:10]}_Login.csv)\n")
    else:
        w("theft: none (--no-theft)\n")


# --- AWS CloudTrail: S3 data events --------------------------------------------------------------

AWS_ACCOUNT = "123456789012"
AWS_REGION = "eu-west-1"
S3_BUCKET = "northwind-crm-exports"
S3_DENIED_BUCKET = "northwind-finance-reports"
S3_RECORDS_PER_OBJECT = 1000  # one GetObject per started 1,000 records
CT_PREFIX = ("AWSLogs", AWS_ACCOUNT, "CloudTrail", AWS_REGION)
CT_FILE_RE = re.compile(rf"^{AWS_ACCOUNT}_CloudTrail_{AWS_REGION}_\d{{8}}T\d{{4}}Z_[0-9A-Za-z]{{16}}\.json\.gz$")
TLS = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}
UPPER36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HEX = "0123456789ABCDEF"


def ct_identity(acct: str) -> dict:
    name = local_part(acct)
    return {
        "type": "IAMUser",
        "principalId": "AIDA" + hash_token(f"aws-principal:{acct}", 17, UPPER36),
        "arn": f"arn:aws:iam::{AWS_ACCOUNT}:user/{name}",
        "accountId": AWS_ACCOUNT,
        "accessKeyId": "AKIA" + hash_token(f"aws-key:{acct}", 16, UPPER36),
        "userName": name,
    }


def ct_event_id(text: str) -> str:
    h = hash_token(text, 32, "0123456789abcdef")
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def ct_record(seed_text: str, ident: dict, t: int, iso: list[str], name: str, ip: str, ua: str,
              bucket: str | None, key: str | None, nbytes_out: int | None, error: bool) -> dict:
    rec = {
        "eventVersion": "1.08",
        "userIdentity": ident,
        "eventTime": fmt_ts(t, iso)[:19] + "Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": AWS_REGION,
        "sourceIPAddress": ip,
        "userAgent": ua,
    }
    host = f"{bucket}.s3.{AWS_REGION}.amazonaws.com" if bucket else f"s3.{AWS_REGION}.amazonaws.com"
    if error:
        rec["errorCode"] = "AccessDenied"
        rec["errorMessage"] = "Access Denied"
    rec["requestParameters"] = {"bucketName": bucket, "Host": host, "key": key} if bucket else {"Host": host}
    rec["responseElements"] = None
    extra = {"SignatureVersion": "SigV4", "CipherSuite": TLS["cipherSuite"], "bytesTransferredIn": 0,
             "AuthenticationMethod": "AuthHeader"}
    if nbytes_out is not None:
        extra["bytesTransferredOut"] = nbytes_out
    rec["additionalEventData"] = extra
    rec["requestID"] = hash_token(f"req:{seed_text}", 16, HEX)
    rec["eventID"] = ct_event_id(f"evt:{seed_text}")
    rec["readOnly"] = True
    if bucket:
        rec["resources"] = [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": AWS_ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ]
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = bucket is None
    rec["recipientAccountId"] = AWS_ACCOUNT
    rec["eventCategory"] = "Management" if bucket is None else "Data"
    rec["tlsDetails"] = dict(TLS, clientProvidedHostHeader=host)
    return rec


def write_cloudtrail(out: str, rows, roles: dict[str, str], theft, seed: int, t0: float) -> None:
    r = random.Random(f"{seed}:cloudtrail")
    iso = day_prefixes()
    idents = {a: ct_identity(a) for a in sorted({x[1] for x in rows})}
    keys = row_keys(rows)
    # hour -> [(t, seq, ct_record arguments)]: a record's dict is built only when its hour is
    # written (a dict per record for the whole month takes ~2.7 KB each, too much at scale).
    hours: dict[int, list[tuple]] = {}
    seq = 0

    def add(t: int, rec: tuple) -> None:
        nonlocal seq
        hours.setdefault(t // MS_HOUR, []).append((t, seq, rec))
        seq += 1

    n_get = 0
    theft_recs = []
    by_acct: dict[str, list[int]] = {}
    for i, (t, acct, action, obj, n, b, ip, ua) in enumerate(rows):
        by_acct.setdefault(acct, []).append(i)
        parts = max(1, -(-n // S3_RECORDS_PER_OBJECT))
        base, rem = divmod(b, parts)
        rk = f"{seed}:{keys[i]}"
        stem = f"{obj}/{iso[t // MS_DAY][:10]}/{hash_token(f'key:{rk}', 12).lower()}"
        for k in range(parts):
            size = base + (1 if k < rem else 0)
            key = f"{stem}.csv" if parts == 1 else f"{stem}-part-{k:04d}.csv"
            rec = (f"{rk}:{k}", idents[acct], t, iso, "GetObject", ip, ua, S3_BUCKET, key, size, False)
            add(t, rec)
            n_get += 1
            if ip == THEFT_IP:
                theft_recs.append(ct_record(*rec))

    # Context: a few AccessDenied GetObject calls by 3 ordinary accounts, on a bucket they may not
    # read, a few seconds before one of their own events (same hour, IP and client).
    ordinary = sorted(a for a, role in roles.items()
                      if role in ("agent", "office") and a not in SPECIAL and a in by_acct)
    denied_accounts = r.sample(ordinary, 3)
    n_denied = 0
    for acct in denied_accounts:
        idx = by_acct[acct]
        for j in sorted(r.sample(range(len(idx)), r.randint(2, 5))):
            t, _, _, _, _, _, ip, ua = rows[idx[j]]
            td = max(t - t % MS_HOUR, t - r.randrange(1_000, 30_000))
            key = f"payroll/2025-01/{hash_token(f'{seed}:denied:{acct}:{j}', 10).lower()}.csv"
            add(td, (f"{seed}:denied:{acct}:{j}", idents[acct], td, iso, "GetObject", ip, ua,
                     S3_DENIED_BUCKET, key, None, True))
            n_denied += 1
    # Context: management events (ListBuckets) before each integration's nightly job and before
    # each admin Data Loader burst.
    n_mgmt = 0
    seen: set[tuple] = set()
    for t, acct, action, obj, n, b, ip, ua in rows:
        if action != "bulk_export" or (acct, t // MS_DAY) in seen:
            continue
        seen.add((acct, t // MS_DAY))
        tm = max(t - t % MS_HOUR, t - r.randrange(2_000, 20_000))
        add(tm, (f"{seed}:list:{acct}:{t}", idents[acct], tm, iso, "ListBuckets", ip, ua,
                 None, None, None, False))
        n_mgmt += 1

    base_dir = os.path.join(out, *CT_PREFIX)
    written: set[str] = set()
    sizes = 0
    n_records = 0
    theft_files = []
    for h in sorted(list(hours)):
        recs = [(x[0], x[1], ct_record(*x[2])) for x in sorted(hours.pop(h), key=lambda x: (x[0], x[1]))]
        d = h // 24
        ymd = iso[d][:10].split("-")
        folder = os.path.join(base_dir, *ymd)
        os.makedirs(folder, exist_ok=True)
        name = (f"{AWS_ACCOUNT}_CloudTrail_{AWS_REGION}_{''.join(ymd)}T{h % 24:02d}00Z_"
                f"{hash_token(f'{seed}:file:{h}', 16)}.json.gz")
        body = json.dumps({"Records": [x[2] for x in recs]}, separators=(",", ":")).encode("ascii")
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(gzip.compress(body, compresslevel=6, mtime=0))
        written.add(os.path.abspath(path))
        sizes += os.path.getsize(path)
        n_records += len(recs)
        if any(x[2]["sourceIPAddress"] == THEFT_IP for x in recs):
            theft_files.append(os.path.relpath(path, out))
    stale = remove_stale(base_dir, CT_FILE_RE, written)

    w = sys.stderr.write
    w(f"wrote {out}: cloudtrail, {len(written)} hourly files under {'/'.join(CT_PREFIX)}/, "
      f"{n_records} records ({n_get} GetObject with bytes, {n_denied} AccessDenied GetObject by "
      f"{len(denied_accounts)} accounts, {n_mgmt} ListBuckets), {len(idents)} IAM users, {sizes} bytes"
      f"{f', removed {stale} stale files' if stale else ''}, {time.monotonic() - t0:.1f}s\n")
    if theft:
        ident = idents[THEFT_ACCOUNT]
        w(f"theft: arn={ident['arn']} principalId={ident['principalId']} "
          f"accessKeyId={ident['accessKeyId']} GetObject={len(theft_recs)} (from {len(theft)} events) "
          f"bytesTransferredOut={sum(x['additionalEventData']['bytesTransferredOut'] for x in theft_recs)} "
          f"first={theft_recs[0]['eventTime']} last={theft_recs[-1]['eventTime']} "
          f"sourceIPAddress={THEFT_IP} userAgent={THEFT_CLIENT} bucket={S3_BUCKET} "
          f"file={', '.join(theft_files)}\n")
    else:
        w("theft: none (--no-theft)\n")


TRAVEL_IP = None  # set in main()
SCALE = 1  # set in main(): --scale


def main(argv=None) -> int:
    global TRAVEL_IP, SCALE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=100, help="total accounts (default 100)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    ap.add_argument("--format", choices=FORMATS, default="generic",
                    help="generic (default): one CSV file; salesforce-elf: a folder of daily Event "
                         "Log Files; cloudtrail: an AWSLogs/ tree of hourly gzipped JSON files")
    ap.add_argument("--out", default=None,
                    help="output path (generic, default: the committed sample); output directory "
                         "(salesforce-elf, cloudtrail; required)")
    ap.add_argument("--no-gzip", action="store_true", help="write plain CSV (generic only)")
    ap.add_argument("--no-theft", action="store_true", help="do not plant the theft")
    ap.add_argument("--scale", type=int, default=1, metavar="K",
                    help="benchmarks: K times every account's activity (events, queries, exports, "
                         "jobs) inside the same shifts, days, jobs and bursts; the same accounts, "
                         "roles, days and theft, and about the same (account, hour) windows "
                         "(default 1: unchanged)")
    a = ap.parse_args(argv)
    if a.accounts < 20:
        ap.error("--accounts must be at least 20")
    if a.scale < 1:
        ap.error("--scale must be at least 1")
    SCALE = a.scale
    if a.format == "generic":
        if a.out is None:
            a.out = DEFAULT_OUT
    else:
        if a.out is None:
            ap.error(f"--format {a.format} needs --out DIR (a directory)")
        if os.path.exists(a.out) and not os.path.isdir(a.out):
            ap.error(f"--out {a.out} exists and is not a directory")
        if a.no_gzip:
            ap.error("--no-gzip applies to --format generic only")
    t0 = time.monotonic()

    rng = random.Random(a.seed)
    ips = IpPool(rng)
    people = build_population(a.accounts, rng, ips)
    TRAVEL_IP = ips.take()

    rows: list[tuple] = []
    for p in people:
        if p.role == "agent":
            gen_agent(rows, p, a.seed)
        elif p.role == "integration":
            gen_integration(rows, p, a.seed)
        else:
            gen_office(rows, p, a.seed)
    theft = [] if a.no_theft else gen_theft(rows, a.seed)
    rows = [x for x in rows if 0 <= x[0] < END_MS]
    rows.sort()

    if a.format != "generic":
        roles = {p.account: p.role for p in people}
        writer = write_salesforce if a.format == "salesforce-elf" else write_cloudtrail
        writer(a.out, rows, roles, theft, a.seed, t0)
        return 0

    prefixes = day_prefixes()
    quoted = {}

    def chunks(size=262_144):
        """The CSV text in pieces of `size` rows, so that big runs never hold it all at once."""
        lines = ["timestamp,account,action,object,records,bytes,src_ip,client\n"]
        for t, acct, action, obj, n, b, ip, ua in rows:
            q = quoted.get(ua)
            if q is None:
                q = quoted[ua] = csv_field(ua)
            lines.append(f"{fmt_ts(t, prefixes)},{acct},{action},{obj},{n},{b},{ip},{q}\n")
            if len(lines) >= size:
                yield "".join(lines).encode("ascii")
                lines = []
        if lines:
            yield "".join(lines).encode("ascii")

    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        if a.no_gzip:
            for data in chunks():
                f.write(data)
        else:
            # filename="" keeps the output path out of the gzip header; mtime=0 fixes the time.
            # (Deflate's output does not depend on how its input is split into writes.)
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
                for data in chunks():
                    gz.write(data)
    os.replace(tmp, a.out)

    accounts = len({x[1] for x in rows})
    w = sys.stderr.write
    w(f"wrote {a.out}: {len(rows)} rows, {accounts} accounts, {os.path.getsize(a.out)} bytes, "
      f"{f'--scale {SCALE}, ' if SCALE > 1 else ''}{time.monotonic() - t0:.1f}s\n")
    if theft:
        theft.sort()
        w(f"theft: account={THEFT_ACCOUNT} events={len(theft)} records={sum(x[4] for x in theft)} "
          f"bytes={sum(x[5] for x in theft)} first={fmt_ts(theft[0][0], prefixes)} "
          f"last={fmt_ts(theft[-1][0], prefixes)} src_ip={THEFT_IP} client={THEFT_CLIENT}\n")
    else:
        w("theft: none (--no-theft)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
