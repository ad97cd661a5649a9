#!/usr/bin/env python3
"""Independent synthetic data-access log generator for a CRM / customer-service
SaaS tenant (Salesforce-like), with planted, labelled bulk-exfiltration incidents
and listed benign look-alikes.

Only numpy + the standard library.  Deterministic for a given --seed.

Usage:
    gen.py --out DIR [--days 90] [--accounts 600] [--seed 0] [--per-family N]
           [--start 2025-03-03]

Outputs:
    DIR/logs/events.csv   timestamp,account,action,object,records,bytes,src_ip,client
    DIR/labels.csv        incident_id,family,account,start,end,source
    DIR/tenant.json       {"active_account_days", "accounts", "days", "seed"}
    DIR/benign.csv        kind,account,start,end
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import sys
import time
from zoneinfo import ZoneInfo

import numpy as np

# --------------------------------------------------------------------------
# Static vocabulary
# --------------------------------------------------------------------------
ACTIONS = ['query', 'report_export', 'bulk_export', 'download', 'api_query']
A_Q, A_RE, A_BE, A_DL, A_API = range(5)

OBJECTS = ['Account', 'Contact', 'Case', 'Lead', 'Opportunity', 'Task',
           'Booking__c', 'Loyalty_Member__c', 'EmailMessage', 'CaseComment',
           'Campaign', 'User', 'Payment__c', 'Contract', 'Order', 'Asset',
           'ContentVersion', 'Flight_Segment__c', 'Voucher__c', 'Event']
OBJ = {o: i for i, o in enumerate(OBJECTS)}
# typical bytes per exported record (wide objects are bigger)
BPR = np.array([700, 450, 1100, 550, 650, 300, 900, 380, 1400, 500,
                600, 520, 420, 800, 700, 480, 1450, 350, 260, 330], float)

FAMILIES = ['off_hours_bulk', 'insider_business_hours', 'low_and_slow',
            'dormant_return', 'token_new_network', 'multi_account_one_ip']

SITES = {
    'LON_HQ':  dict(tz='Europe/London',    region='UK', nat=4),
    'GLA_CC':  dict(tz='Europe/London',    region='UK', nat=3),   # contact centre
    'NYC_OFF': dict(tz='America/New_York', region='US', nat=2),
    'TPA_CC':  dict(tz='America/New_York', region='US', nat=3),   # contact centre
    'BER_OFF': dict(tz='Europe/Berlin',    region='DE', nat=2),
    'MNL_BPO': dict(tz='Asia/Manila',      region='PH', nat=6),   # outsourced CC
}
TZS = ['Europe/London', 'America/New_York', 'Europe/Berlin', 'Asia/Manila', 'UTC']

HOLIDAYS = {
    'UK': ['2025-01-01', '2025-04-18', '2025-04-21', '2025-05-05', '2025-05-26',
           '2025-08-25', '2025-12-25', '2025-12-26', '2026-01-01'],
    'US': ['2025-01-01', '2025-01-20', '2025-05-26', '2025-06-19', '2025-07-04',
           '2025-09-01', '2025-11-27', '2025-12-25', '2026-01-01'],
    'DE': ['2025-01-01', '2025-04-18', '2025-04-21', '2025-05-01', '2025-05-29',
           '2025-06-09', '2025-10-03', '2025-12-25', '2025-12-26'],
    'PH': ['2025-01-01', '2025-04-09', '2025-04-17', '2025-04-18', '2025-05-01',
           '2025-05-12', '2025-06-12', '2025-08-25', '2025-12-25'],
}

RESI = {'UK': [81, 86, 90, 92, 109, 2, 31, 82, 151],
        'US': [73, 24, 98, 68, 71, 174, 76, 107, 47],
        'DE': [84, 91, 93, 87, 79, 95],
        'PH': [112, 49, 120, 175, 110, 136, 180]}
MOBILE = {'UK': [(31, 94), (82, 132), (148, 252), (92, 40)],
          'US': [(172, 56), (174, 224), (166, 199), (107, 77)],
          'DE': [(80, 187), (109, 43)],
          'PH': [(110, 54), (112, 198)]}
CLOUD = [52, 54, 34, 35, 3, 13, 18, 20, 40, 44]
HOSTING = [45, 185, 146, 193, 89, 5, 194, 103, 179, 23, 141, 37]
HOTEL = [62, 80, 200, 41, 203, 58, 101, 212, 190, 196, 213, 217]
CORP_VPN = [(165, 225), (147, 161), (136, 226)]

FIRST = {
    'UK': ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Jack', 'Emily',
           'Charlie', 'Sophie', 'Thomas', 'Grace', 'James', 'Lily', 'William', 'Chloe',
           'Daniel', 'Hannah', 'Callum', 'Megan', 'Ryan', 'Eilidh', 'Liam', 'Niamh',
           'Mohammed', 'Aisha', 'Priya', 'Arjun', 'Zara', 'Kieran', 'Rhys', 'Fiona'],
    'US': ['Michael', 'Jennifer', 'David', 'Jessica', 'Chris', 'Ashley', 'Matthew',
           'Sarah', 'Joshua', 'Amanda', 'Andrew', 'Brittany', 'Tyler', 'Samantha',
           'Carlos', 'Maria', 'Jose', 'Latoya', 'DeShawn', 'Kayla', 'Brandon', 'Megan',
           'Kevin', 'Rachel', 'Luis', 'Destiny', 'Wei', 'Mei', 'Hector', 'Tiffany'],
    'DE': ['Lukas', 'Anna', 'Felix', 'Lena', 'Jonas', 'Leonie', 'Maximilian', 'Laura',
           'Paul', 'Julia', 'Tobias', 'Katharina', 'Stefan', 'Sabine', 'Emre', 'Elif'],
    'PH': ['Maria', 'Jose', 'Mark', 'Angelica', 'Jericho', 'Kristine', 'John Paul',
           'Mary Grace', 'Rommel', 'Jasmine', 'Carlo', 'Patricia', 'Ronaldo',
           'Joanna', 'Christian', 'Rowena', 'Jun', 'Aileen', 'Paolo', 'Cherry',
           'Rhea', 'Arnel', 'Marites', 'Jayson', 'Lovely', 'Princess', 'Bong', 'Ella'],
}
LAST = {
    'UK': ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Davies',
           'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright', 'Robinson', 'Thompson',
           'Hughes', 'Edwards', 'Green', 'Hall', 'Wood', 'Clarke', 'MacDonald',
           'Campbell', 'Stewart', 'Patel', 'Khan', 'Ahmed', "O'Neill", 'Murray',
           'Fraser', 'Reid', 'Kaur', 'Singh'],
    'US': ['Johnson', 'Williams', 'Miller', 'Davis', 'Garcia', 'Rodriguez',
           'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Anderson', 'Jackson',
           'White', 'Harris', 'Martin', 'Lee', 'Perez', 'Thompson', 'Clark', 'Lewis',
           'Young', 'Allen', 'King', 'Scott', 'Nguyen', 'Chen', 'Kim', 'Rivera',
           'Washington', 'Brooks'],
    'DE': ['Mueller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner',
           'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf',
           'Yilmaz', 'Neumann'],
    'PH': ['Santos', 'Reyes', 'Cruz', 'Bautista', 'Ocampo', 'Garcia', 'Mendoza',
           'Torres', 'Villanueva', 'Dela Cruz', 'Ramos', 'Aquino', 'Castillo',
           'Flores', 'Gonzales', 'Navarro', 'Domingo', 'Mercado', 'Pascual',
           'Salazar', 'De Leon', 'Manalo', 'Soriano', 'Tolentino', 'Lim', 'Tan'],
}
DOMAIN = 'acme-air.example'
BPO_DOMAIN = 'cx-partner.example'

# shifts: local start hour, local end hour (may exceed 24), volume factor
SHIFTS = {
    'UK': {'early': (7, 15, 1.0), 'day': (9, 17.5, 1.1), 'late': (14, 22, 0.8),
           'night': (22, 30, 0.35), 'lday': (7, 19, 1.0), 'lnight': (19, 31, 0.4)},
    'US': {'s7': (7, 15.5, 1.0), 's8': (8, 16.5, 1.1), 's10': (10, 18.5, 1.1),
           's12': (12, 20.5, 0.9), 'late': (14, 22.5, 0.7), 'night': (23, 31.5, 0.3)},
    'PH': {'usday': (21, 30, 1.1), 'usday2': (22, 31, 1.0), 'ukcover': (15, 24, 1.0),
           'apac': (8, 17, 0.6), 'late_us': (1, 10, 0.7)},
}

INTEGRATIONS = [
    # name, client, kind, sync objects, job objects
    ('svc.genesys-cti', 'GenesysCloud-CRM-Connector/3.4', 'cti', ['Contact', 'Case'], []),
    ('integration.workato', 'Workato/1.0', 'sync', ['Contact', 'Booking__c'], ['Booking__c']),
    ('svc.loyalty-platform', 'simple-salesforce/1.5', 'sync', ['Loyalty_Member__c'], ['Loyalty_Member__c', 'Contact']),
    ('etl.informatica', 'Informatica-CDI/2024.11', 'sync', ['Case', 'Task'], ['Case', 'Task', 'CaseComment']),
    ('svc.backup', 'OwnBackup/3.1', 'sync', ['Account'], ['Account', 'Contact', 'Case']),
    ('svc.marketing-sync', 'simple-salesforce/1.12.6', 'sync', ['Lead', 'Campaign'], ['Lead']),
    ('integration.mulesoft', 'MuleSoft-Salesforce-Connector/10.19.2', 'sync', ['Booking__c', 'Flight_Segment__c'], ['Booking__c']),
    ('svc.datawarehouse', 'Fivetran/1.0', 'sync', ['Opportunity'], ['Opportunity', 'Account']),
    ('svc.booking-engine', 'Apache-HttpClient/4.5.14 (Java/17.0.9)', 'sync', ['Booking__c', 'Contact'], []),
    ('svc.survey', 'Qualtrics-Connector/2.0', 'sync', ['Case'], ['Case']),
    ('svc.docusign', 'DocuSign-Apps-Launcher/7.2', 'sync', ['Contract'], []),
    ('svc.payments-recon', 'python-requests/2.31.0', 'sync', ['Payment__c'], ['Payment__c']),
]

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


class Table:
    def __init__(self):
        self.items, self.idx = [], {}

    def id(self, s):
        i = self.idx.get(s)
        if i is None:
            i = len(self.items)
            self.items.append(s)
            self.idx[s] = i
        return i


def rfc(ts):
    return dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def loguniform(rng, lo, hi, size=None):
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


def split_total(rng, total, n, alpha=1.2, minv=1):
    """Split total into n positive integers with Dirichlet-distributed shares."""
    w = rng.dirichlet(np.full(n, alpha))
    v = np.maximum(minv, np.floor(w * total)).astype(np.int64)
    v[np.argmax(v)] += max(0, int(total) - int(v.sum()))
    return v


def ua(fam, v):
    if fam == 'chrome_win':
        return ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
                f'(KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36')
    if fam == 'edge_win':
        return ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
                f'(KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36 '
                f'Edg/{v}.0.{3124 + (v - 134) * 55}.{40 + (v * 7) % 50}')
    if fam == 'chrome_mac':
        return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 '
                f'(KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36')
    if fam == 'firefox_win':
        return (f'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) '
                f'Gecko/20100101 Firefox/{v}.0')
    if fam == 'safari_mac':
        return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 '
                f'(KHTML, like Gecko) Version/{v} Safari/605.1.15')
    if fam == 'mobile':
        return f'SalesforceMobileSDK/12.2.0 iOS/18.{v % 6} (iPhone) Salesforce1/{v}.0'
    raise ValueError(fam)


class Ctx:
    pass


class Acct:
    pass


# --------------------------------------------------------------------------
# Tenant setup
# --------------------------------------------------------------------------


def setup(args):
    G = Ctx()
    G.seed, G.D, G.A = args.seed, args.days, args.accounts
    G.start = dt.date.fromisoformat(args.start)
    G.T0 = int(dt.datetime(G.start.year, G.start.month, G.start.day,
                           tzinfo=dt.timezone.utc).timestamp())
    G.TEND = G.T0 + G.D * 86400
    G.wd0 = G.start.weekday()
    G.rng = np.random.default_rng([G.seed, 7])
    G.ips, G.cls = Table(), Table()
    G.used_ips = set()
    G.benign = []          # (kind, acct_idx or label, L_start, L_end, tz)
    # timezone offset tables: index floor(L/3600)+48
    G.off = {}
    base = dt.datetime(G.start.year, G.start.month, G.start.day)
    H = (G.D + 6) * 24
    for tz in TZS:
        z = ZoneInfo(tz)
        G.off[tz] = np.array([int((base + dt.timedelta(hours=h - 48)).replace(tzinfo=z)
                                  .utcoffset().total_seconds()) for h in range(H)], np.int64)
    # holidays
    G.hol = {}
    for reg, lst in HOLIDAYS.items():
        m = np.zeros(G.D, bool)
        for s in lst:
            k = (dt.date.fromisoformat(s) - G.start).days
            if 0 <= k < G.D:
                m[k] = True
        G.hol[reg] = m
    d = np.arange(G.D)
    G.wd = (G.wd0 + d) % 7
    G.dates = [G.start + dt.timedelta(days=int(k)) for k in d]
    # month-end / quarter-end windows (last 3 and first 2 business days)
    G.month_end, G.quarter_end = {}, {}
    for reg in HOLIDAYS:
        me = np.zeros(G.D, bool)
        qe = np.zeros(G.D, bool)
        biz = (G.wd < 5) & ~G.hol[reg]
        # extend over a wider calendar to find month boundaries
        ext0 = G.start - dt.timedelta(days=10)
        ext = [ext0 + dt.timedelta(days=k) for k in range(G.D + 20)]
        hol_set = set(HOLIDAYS[reg])
        ebiz = [x.weekday() < 5 and x.isoformat() not in hol_set for x in ext]
        months = sorted({(x.year, x.month) for x in ext})
        for (y, mth) in months:
            idx = [k for k, x in enumerate(ext) if (x.year, x.month) == (y, mth) and ebiz[k]]
            tail = idx[-3:] if len(idx) >= 3 else idx
            nxt = [k for k, x in enumerate(ext) if ebiz[k] and k > (idx[-1] if idx else -1)][:2]
            for k in tail + nxt:
                j = (ext[k] - G.start).days
                if 0 <= j < G.D:
                    me[j] = True
                    if mth in (3, 6, 9, 12):
                        qe[j] = True
        G.month_end[reg], G.quarter_end[reg] = me & biz, qe & biz
    # organisation-wide busy days (e.g. storm disruption -> mass rebooking)
    cand = [k for k in range(min(10, G.D - 1), max(11, G.D - 4)) if G.wd[k] < 5
            and not G.hol['UK'][k] and not G.hol['US'][k]]
    nb = int(G.rng.integers(2, 4))
    start_busy = int(G.rng.choice(cand))
    busy = [start_busy]
    if G.rng.random() < 0.6 and start_busy + 1 < G.D:
        busy.append(start_busy + 1)          # multi-day disruption
    while len(busy) < nb:
        b = int(G.rng.choice(cand))
        if all(abs(b - x) > 3 for x in busy):
            busy.append(b)
    G.busy_days = sorted(set(busy))
    G.busy = np.ones(G.D)
    for b in G.busy_days:
        G.busy[b] = 3.0
        G.benign.append(('org_busy_day', '*', b * 86400, (b + 1) * 86400 - 1, 'UTC'))
    # site NAT pools and corporate VPN egress
    G.site_nat, G.site_natw = {}, {}
    for s, info in SITES.items():
        a = int(G.rng.choice(RESI[info['region']] + [194, 212, 63, 64, 202, 217]))
        b, c = int(G.rng.integers(0, 256)), int(G.rng.integers(0, 256))
        d0 = int(G.rng.integers(2, 200))
        G.site_nat[s] = [new_ip_str(G, f'{a}.{b}.{c}.{d0 + k}') for k in range(info['nat'])]
        w = np.exp(-0.6 * np.arange(info['nat']))
        G.site_natw[s] = w / w.sum()
    G.vpn_pool = []
    for k in range(6):
        a, b = CORP_VPN[k % len(CORP_VPN)]
        G.vpn_pool.append(new_ip_str(G, f'{a}.{b}.{int(G.rng.integers(0, 256))}.{int(G.rng.integers(1, 255))}'))
    # browser release schedules (day index relative to start, version)
    base134 = (dt.date(2025, 3, 4) - G.start).days
    G.rel = {}
    chrome = [(base134 + 28 * (v - 134), v) for v in range(120, 160)]
    G.rel['chrome'] = [(r, v) for r, v in chrome if -60 < r < G.D]
    ff = [(base134 + 28 * (v - 136), v) for v in range(120, 160)]
    G.rel['firefox'] = [(r, v) for r, v in ff if -60 < r < G.D]
    saf = [('2025-01-27', '18.3'), ('2025-03-31', '18.4'), ('2025-05-12', '18.5'),
           ('2025-07-29', '18.6'), ('2025-09-15', '26.0'), ('2025-12-12', '26.2')]
    G.rel['safari'] = [((dt.date.fromisoformat(x) - G.start).days, v) for x, v in saf]
    G.rel['safari'] = [(r, v) for r, v in G.rel['safari'] if r < G.D]
    mob = [(base134 + 28 * (v - 250), v) for v in range(236, 280)]
    G.rel['mobile'] = [(r, v) for r, v in mob if -60 < r < G.D]
    # managed push delay per contact-centre site and version
    G.site_push = {s: {v: int(G.rng.integers(5, 15)) for v in range(100, 300)} for s in SITES}
    return G


def new_ip_str(G, s):
    G.used_ips.add(s)
    return G.ips.id(s)


def new_ip(G, rng, kind, region='UK'):
    for _ in range(1000):
        if kind == 'resi':
            a = int(rng.choice(RESI[region]))
            s = f'{a}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}'
        elif kind == 'mobile':
            a, b = MOBILE[region][int(rng.integers(len(MOBILE[region])))]
            s = f'{a}.{b}.{rng.integers(0, 256)}.{rng.integers(1, 255)}'
        elif kind == 'cloud':
            s = f'{int(rng.choice(CLOUD))}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}'
        elif kind == 'hosting':
            s = f'{int(rng.choice(HOSTING))}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}'
        elif kind == 'hotel':
            s = f'{int(rng.choice(HOTEL))}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}'
        else:
            raise ValueError(kind)
        if s not in G.used_ips:
            return new_ip_str(G, s)
    raise RuntimeError('ip space exhausted')


def version_by_day(G, rng, fam_rel, lag_fn):
    """Array (D,) of version labels for one account given release list."""
    rel = G.rel[fam_rel]
    ok = np.array([r + lag_fn(v) for r, v in rel], float)
    ok = np.maximum.accumulate(ok)
    d = np.arange(G.D)
    cnt = np.searchsorted(ok, d, side='right')
    cnt = np.maximum(cnt, 1)
    return [rel[c - 1][1] for c in cnt]


def make_profile(start_h, end_h, kind, rng=None):
    """5-minute-bin intensity over 0..48h local; returns cdf."""
    w = np.zeros(576)
    s, e = int(round(start_h * 12)), int(round(end_h * 12))
    w[s:e] = 1.0
    L = e - s
    if kind == 'office':
        w[s:s + L // 2] = 1.15
        lunch = int(round(12.25 * 12)) if start_h < 11 else s + L // 2
        w[lunch:lunch + 10] = 0.25
        if s >= 6:
            w[s - 6:s] = 0.15
        tail = np.linspace(0.6, 0.02, 24)
        w[e:e + 24] = tail
        w[e - 6:e] *= 0.8
    else:  # shift work: lunch + two breaks, ramp up / down
        lunch = s + L // 2
        w[lunch:lunch + 8] = 0.12
        for q in (s + L // 4, s + 3 * L // 4):
            w[q:q + 3] = 0.25
        w[s:s + 3] *= 0.5
        w[e - 3:e] *= 0.6
    return np.cumsum(w)


def sample_times(rng, cdfs, which):
    t = np.empty(len(which))
    for k, cdf in enumerate(cdfs):
        m = which == k
        n = int(m.sum())
        if n:
            b = np.searchsorted(cdf, rng.random(n) * cdf[-1], side='right')
            t[m] = (b + rng.random(n)) * 300.0
    return t


# --------------------------------------------------------------------------
# Account planning
# --------------------------------------------------------------------------


def make_accounts(G):
    rng = np.random.default_rng([G.seed, 1])
    A, D = G.A, G.D
    n_int = max(3, int(round(0.02 * A)))
    n_adm = max(3, int(round(0.015 * A)))
    n_an = max(3, int(round(0.07 * A)))
    n_ag = int(round(0.57 * A))
    n_off = A - n_int - n_adm - n_an - n_ag
    roles = (['agent'] * n_ag + ['office'] * n_off + ['analyst'] * n_an +
             ['admin'] * n_adm + ['integration'] * n_int)
    used_names = set()
    accts = []
    for i, role in enumerate(roles):
        a = Acct()
        a.idx, a.role = i, role
        a.rng = np.random.default_rng([G.seed, 100, i])
        r = a.rng
        if role == 'agent':
            a.site = str(r.choice(['GLA_CC', 'TPA_CC', 'MNL_BPO'], p=[0.35, 0.30, 0.35]))
        elif role == 'office':
            a.site = str(r.choice(['LON_HQ', 'NYC_OFF', 'BER_OFF'], p=[0.55, 0.30, 0.15]))
        elif role == 'analyst':
            a.site = str(r.choice(['LON_HQ', 'NYC_OFF'], p=[0.7, 0.3]))
        elif role == 'admin':
            a.site = str(r.choice(['LON_HQ', 'NYC_OFF', 'MNL_BPO'], p=[0.6, 0.25, 0.15]))
        else:
            a.site = None
        if role == 'integration':
            k = i - (A - n_int)
            nm, cl, kind, sobj, jobj = INTEGRATIONS[k % len(INTEGRATIONS)]
            if k >= len(INTEGRATIONS):
                nm = f'{nm}{k // len(INTEGRATIONS) + 1}'
            a.email = f'{nm}@{DOMAIN}'
            a.tz, a.region = 'UTC', 'UK'
            a.int_client, a.int_kind, a.sync_objs, a.job_objs = cl, kind, sobj, jobj
        else:
            a.tz, a.region = SITES[a.site]['tz'], SITES[a.site]['region']
            fn = str(r.choice(FIRST[a.region]))
            ln = str(r.choice(LAST[a.region]))
            base = (fn + '.' + ln).lower().replace(' ', '').replace("'", '')
            dom = BPO_DOMAIN if a.site == 'MNL_BPO' and role == 'agent' else DOMAIN
            e, k = f'{base}@{dom}', 2
            while e in used_names:
                e = f'{base}{k}@{dom}'
                k += 1
            used_names.add(e)
            a.email = e
        a.start_day, a.end_day = 0, D
        a.leave = np.zeros(D, bool)
        a.leave_blocks = []
        a.special = set()
        a.cohort = False
        a.dormant_plan = None
        accts.append(a)
    G.accts = accts
    humans = [a for a in accts if a.role != 'integration']
    # joiners / leavers / leave / long leave
    for a in humans:
        r = a.rng
        u = r.random()
        if u < 0.06 and D > 30:
            a.start_day = int(r.integers(7, D - 14))
            G.benign.append(('joiner', a.idx, a.start_day * 86400, a.start_day * 86400 + 86399, a.tz))
        elif u < 0.11 and D > 30:
            a.end_day = int(r.integers(10, D - 5))
            G.benign.append(('leaver', a.idx, a.end_day * 86400 - 86400, a.end_day * 86400 - 1, a.tz))
        nblk = 0
        v = r.random()
        if v < 0.55:
            nblk = 1
        elif v < 0.70:
            nblk = 2
        if a.role == 'admin' and nblk == 0 and r.random() < 0.7:
            nblk = 1
        for _ in range(nblk):
            ln = int(r.choice([5, 7, 9, 10, 14, 14, 16, 21]))
            s = int(r.integers(-ln // 2, D - 3))
            add_leave(G, a, s, s + ln, 'leave')
        if r.random() < 0.015 and D >= 60:
            ln = int(r.integers(30, 46))
            s = int(r.integers(5, max(6, D - ln - 5)))
            add_leave(G, a, s, s + ln, 'long_leave')
    # training cohort of joining agents sharing a training-room IP
    agents = [a for a in humans if a.role == 'agent' and a.start_day == 0 and a.end_day == D]
    if G.A >= 150 and D >= 28:
        site = str(rng.choice(['GLA_CC', 'TPA_CC', 'MNL_BPO']))
        mondays = [k for k in range(14, D - 10) if G.wd[k] == 0]
        if mondays:
            J = int(rng.choice(mondays))
            pool = [a for a in agents if a.site == site]
            k = min(len(pool), int(rng.integers(5, 9)))
            idx = rng.choice(len(pool), size=k, replace=False)
            tr_ip = new_ip(G, rng, 'resi', SITES[site]['region'])
            for j in idx:
                a = pool[int(j)]
                a.start_day, a.cohort, a.training_ip = J, True, tr_ip
                a.leave[:] = False
                a.leave_blocks = []
                G.benign.append(('training_cohort_shared_ip', a.idx, J * 86400, (J + 3) * 86400 - 1, a.tz))
    return accts


def add_leave(G, a, s, e, kind):
    s0, e0 = max(0, s), min(G.D, e)
    if e0 <= s0:
        return
    a.leave[s0:e0] = True
    a.leave_blocks.append((s0, e0))
    for k in (e0, e0 + 1):
        a.special.add(k)
    if kind == 'long_leave' and e0 < G.D:
        G.benign.append(('long_leave_return', a.idx, e0 * 86400, e0 * 86400 + 86399, a.tz))
    elif kind == 'leave' and a.role == 'admin':
        pass


def plan_roster(G, a):
    """Returns works (D,), sidx (D,), list of profile cdfs, shift vol factors."""
    r, D, wd = a.rng, G.D, G.wd
    d = np.arange(D)
    reg = a.region
    if a.role != 'agent':
        st = float(np.clip(r.normal(8.6, 0.6), 7.0, 10.5))
        st = round(st * 4) / 4
        if reg == 'DE':
            st -= 0.5
        ln = float(np.clip(r.normal(8.7, 0.6), 6.5, 10.5))
        a.office_hours = (st, st + ln)
        cdfs = [make_profile(st, st + ln, 'office')]
        works = wd < 5
        if r.random() < 0.10:   # part-timer, 3-4 fixed days
            days_on = r.choice(5, size=int(r.integers(3, 5)), replace=False)
            works = np.isin(wd, days_on)
        return works, np.zeros(D, int), cdfs, np.array([1.0])
    sh = SHIFTS[reg]
    names = list(sh)
    u = r.random()
    rest_pairs = [(5, 6), (6, 0), (0, 1), (2, 3), (3, 4), (4, 5)]
    if reg == 'UK':
        if u < 0.40:
            cyc = ['early', 'late', 'night'] if r.random() < 0.5 else ['early', 'late']
            ph = int(r.integers(0, 3))
            wk = (d + G.wd0) // 7
            sn = [cyc[(w + ph) % len(cyc)] for w in wk]
            rp = (wk * 2 + int(r.integers(0, 7))) % 7
            works = (wd != rp) & (wd != (rp + 1) % 7)
            rtype = 'rotating'
        elif u < 0.75:
            s0 = str(r.choice(['day', 'early', 'late'], p=[0.5, 0.3, 0.2]))
            sn = [s0] * D
            pr = rest_pairs[0] if r.random() < 0.6 else rest_pairs[int(r.integers(1, 6))]
            works = ~np.isin(wd, pr)
            rtype = 'fixed'
        else:
            ph = int(r.integers(0, 8))
            pos = (d + ph) % 8
            if r.random() < 0.5:
                sn = ['lday' if p < 2 else 'lnight' for p in pos]
            else:
                sn = ['lday'] * D
            works = pos < 4
            rtype = 'continental'
    elif reg == 'US':
        if u < 0.9:
            s0 = str(r.choice(['s7', 's8', 's10', 's12', 'late', 'night'],
                              p=[0.15, 0.3, 0.25, 0.15, 0.1, 0.05]))
            sn = [s0] * D
            pr = rest_pairs[0] if r.random() < 0.5 else rest_pairs[int(r.integers(1, 6))]
            works = ~np.isin(wd, pr)
            rtype = 'fixed'
        else:
            ph = int(r.integers(0, 2))
            wk = (d + G.wd0) // 7
            sn = [['s8', 's12'][(w + ph) % 2] for w in wk]
            works = wd < 5
            rtype = 'rotating'
    else:  # PH BPO
        if u < 0.75:
            s0 = str(r.choice(['usday', 'usday2', 'ukcover', 'late_us'], p=[0.45, 0.3, 0.15, 0.1]))
            sn = [s0] * D
            pr = (5, 6) if r.random() < 0.7 else (6, 0)
            works = ~np.isin(wd, pr)
            rtype = 'fixed'
        else:
            ph = int(r.integers(0, 2))
            blk = (d + int(r.integers(0, 28))) // 28
            sn = [['usday', 'ukcover'][(b + ph) % 2] for b in blk]
            works = ~np.isin(wd, (5, 6))
            rtype = 'rotating'
    # shift change partway (days -> nights or nights -> days)
    if rtype == 'fixed' and D > 30 and r.random() < 0.10:
        c = int(r.integers(15, D - 10))
        cur = sn[0]
        night = {'UK': 'night', 'US': 'night', 'PH': 'usday'}[reg]
        day = {'UK': 'day', 'US': 's8', 'PH': 'ukcover'}[reg]
        new = night if cur != night else day
        sn = sn[:c] + [new] * (D - c)
        for k in range(c - 2, c + 4):
            a.special.add(k)
        G.benign.append(('shift_change', a.idx, c * 86400, c * 86400 + 86399, a.tz))
    if a.cohort:   # training week on day shift
        dflt = {'UK': 'day', 'US': 's8', 'PH': 'ukcover'}[reg]
        for k in range(a.start_day, min(D, a.start_day + 5)):
            sn[k] = dflt
        works = works.copy()
        works[a.start_day:a.start_day + 5] = True
        works[a.start_day + 5:a.start_day + 7] = False
    used = sorted(set(sn), key=names.index)
    cdfs = [make_profile(sh[n][0], sh[n][1], 'shift') for n in used]
    vol = np.array([sh[n][2] for n in used])
    sidx = np.array([used.index(n) for n in sn])
    a.roster = rtype
    return works.astype(bool), sidx, cdfs, vol


# --------------------------------------------------------------------------
# Human activity
# --------------------------------------------------------------------------

OBJ_BASE = {
    'agent': {'Case': 45, 'Contact': 25, 'Booking__c': 12, 'Loyalty_Member__c': 8,
              'Task': 4, 'EmailMessage': 3, 'Account': 2, 'CaseComment': 1,
              'Voucher__c': 1, 'Flight_Segment__c': 1},
    'sales': {'Account': 25, 'Opportunity': 25, 'Contact': 18, 'Lead': 15, 'Task': 10,
              'Event': 4, 'Contract': 3},
    'ops': {'Booking__c': 30, 'Case': 25, 'Contact': 15, 'Flight_Segment__c': 10,
            'Account': 8, 'Task': 7, 'Voucher__c': 5},
    'marketing': {'Lead': 30, 'Campaign': 25, 'Contact': 20, 'Loyalty_Member__c': 15,
                  'Account': 5, 'Task': 5},
    'finance': {'Payment__c': 30, 'Account': 20, 'Contract': 15, 'Order': 15,
                'Opportunity': 10, 'Booking__c': 10},
    'analyst': {'Case': 20, 'Opportunity': 15, 'Booking__c': 20, 'Loyalty_Member__c': 15,
                'Account': 10, 'Contact': 8, 'Lead': 5, 'Campaign': 4, 'Payment__c': 3},
    'admin': {'User': 15, 'Account': 15, 'Contact': 15, 'Case': 15, 'Booking__c': 10,
              'Loyalty_Member__c': 8, 'Opportunity': 8, 'Lead': 6, 'Task': 4, 'Asset': 4},
}


def obj_weights(r, key, conc=8.0):
    base = OBJ_BASE[key]
    ids = np.array([OBJ[k] for k in base])
    w = np.array(list(base.values()), float)
    w = r.dirichlet(w / w.sum() * conc + 0.05)
    return ids, w


def gen_human(G, a):
    r, D = a.rng, G.D
    d = np.arange(D)
    wd = G.wd
    works, sidx, cdfs, vol = plan_roster(G, a)
    hol = G.hol[a.region]
    role = a.role
    sick = r.random(D) < 0.02
    works = works & ~a.leave & ~sick & (d >= a.start_day) & (d < a.end_day)
    if role == 'agent':
        works &= ~(hol & (r.random(D) < 0.4))    # some get the bank holiday off
        # overtime on org busy days
        bz = G.busy > 1
        extra = bz & ~works & ~a.leave & (d >= a.start_day) & (d < a.end_day) & (r.random(D) < 0.3)
        works = works | extra
    else:
        works &= ~hol
        if role == 'office' and r.random() < 0.2:   # occasional users
            works &= r.random(D) < r.uniform(0.2, 0.7)
        wk_end = (wd >= 5) & (r.random(D) < (0.04 if role in ('admin', 'analyst') else 0.015))
        wk_end &= ~a.leave & (d >= a.start_day) & (d < a.end_day)
        works = works | wk_end
    # ---------------- per-account parameters ----------------
    if role == 'agent':
        base = 30 * math.exp(r.normal(0, 0.55))
        kshape, p_burst, gap = 8.0, r.uniform(0.35, 0.55), r.uniform(8, 25)
        wdf = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.75, 0.7])
        objs, objw = obj_weights(r, 'agent', 12)
        exp_rate = 0.05 * math.exp(r.normal(0, 0.8))
        p_dl, p_api = r.uniform(0.005, 0.03), 0.0
    elif role == 'office':
        a.sub = str(r.choice(['sales', 'ops', 'marketing', 'finance'], p=[0.35, 0.3, 0.2, 0.15]))
        base = 10 * math.exp(r.normal(0, 0.9))
        kshape, p_burst, gap = 2.5, r.uniform(0.4, 0.7), r.uniform(10, 40)
        wdf = np.array([1.05, 1.05, 1.0, 1.0, 0.85, 0.4, 0.4])
        objs, objw = obj_weights(r, a.sub, 6)
        exp_rate = 0.15 * math.exp(r.normal(0, 1.0))
        p_dl = r.uniform(0.005, 0.03)
        p_api = r.uniform(0.05, 0.2) if r.random() < 0.1 else 0.0
    elif role == 'analyst':
        base = 15 * math.exp(r.normal(0, 0.6))
        kshape, p_burst, gap = 3.0, 0.45, r.uniform(15, 45)
        wdf = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.4, 0.4])
        objs, objw = obj_weights(r, 'analyst', 5)
        exp_rate = 1.5 * math.exp(r.normal(0, 0.5))
        p_dl, p_api = 0.01, r.uniform(0.0, 0.15)
    else:  # admin
        base = 20 * math.exp(r.normal(0, 0.5))
        kshape, p_burst, gap = 3.0, 0.45, r.uniform(10, 40)
        wdf = np.array([1.05, 1.0, 1.0, 1.0, 0.9, 0.5, 0.5])
        objs, objw = obj_weights(r, 'admin', 5)
        exp_rate = 0.3 * math.exp(r.normal(0, 0.6))
        p_dl, p_api = 0.01, r.uniform(0.1, 0.3)
    a.objs, a.objw = objs, objw
    ramp = np.clip(0.3 + 0.7 * (d - a.start_day) / 10.0, 0.3, 1.0) if a.start_day > 0 else np.ones(D)
    lam = base * wdf[wd] * vol[sidx] * G.busy * r.gamma(kshape, 1.0 / kshape, D) * ramp
    lam = np.where((wd >= 5) & (role != 'agent'), lam * 0.4, lam)
    # ---------------- location / IPs / clients ----------------
    loc = np.zeros(D, np.int8)            # 0 office, 1 home, 2 travel, 3 training
    home_region = a.region
    if role == 'agent':
        if a.site == 'MNL_BPO':
            mode = 'remote' if r.random() < 0.1 else 'onsite'
        else:
            mode = str(r.choice(['onsite', 'remote', 'hybrid'], p=[0.45, 0.25, 0.30]))
        p_home = {'onsite': 0.0, 'remote': 1.0, 'hybrid': r.uniform(0.2, 0.6)}[mode]
        a.vpn = False
    else:
        p_home = r.uniform(0.0, 0.7) if r.random() < 0.85 else 0.0
        a.vpn = r.random() < 0.35
    loc[r.random(D) < p_home] = 1
    loc[(wd >= 5)] = np.where(role == 'agent', loc[wd >= 5], 1)
    home_ip = new_ip(G, r, 'resi', home_region)
    home_by_day = np.full(D, home_ip, np.int64)
    if r.random() < 0.06 and D > 20:        # ISP re-addressing: home IP changes for good
        c = int(r.integers(10, D - 5))
        home_by_day[c:] = new_ip(G, r, 'resi', home_region)
        if not a.vpn and p_home > 0:
            G.benign.append(('home_ip_change', a.idx, c * 86400, D * 86400 - 1, a.tz))
            for k in range(c - 1, c + 3):
                a.special.add(k)
    travel_ip = np.full(D, -1, np.int64)
    tshift = np.zeros(D)
    if role in ('office', 'analyst', 'admin') and r.random() < 0.15 and D > 20:
        ln = int(r.integers(2, 6))
        s = int(r.integers(5, D - ln))
        tip = new_ip(G, r, 'hotel') if r.random() < 0.6 else new_ip(G, r, 'resi', str(r.choice(list(RESI))))
        loc[s:s + ln] = 2
        travel_ip[s:s + ln] = tip
        sh = float(r.choice([0, 0, 1, -1, 5, 6, -8, -4]))
        tshift[s:s + ln] = sh
        lam[s:s + ln] *= 0.7
        G.benign.append(('travel_new_ip', a.idx, s * 86400, (s + ln) * 86400 - 1, a.tz))
        for k in range(s - 1, s + ln + 1):
            a.special.add(k)
    if a.cohort:
        loc[a.start_day:a.start_day + 3] = 3
        for k in range(a.start_day, a.start_day + 8):
            a.special.add(k)
    for k in np.nonzero(G.busy > 1)[0]:
        a.special.update((int(k), int(k) + 1))
    for k in np.nonzero(hol)[0]:
        a.special.add(int(k))
    nat = G.site_nat[a.site]
    natw = G.site_natw[a.site]
    # browsers
    if role == 'agent':
        fam = str(r.choice(['chrome_win', 'edge_win'], p=[0.6, 0.4]))
        push = G.site_push[a.site]
        lagf = lambda v: push.get(v, 7) + int(r.integers(0, 3))
    else:
        fam = str(r.choice(['chrome_win', 'edge_win', 'chrome_mac', 'firefox_win', 'safari_mac'],
                           p=[0.45, 0.2, 0.15, 0.1, 0.1]))
        slow = r.random() < 0.1
        lagf = lambda v: (r.uniform(10, 30) if slow else r.exponential(3.0))
    relk = {'chrome_win': 'chrome', 'edge_win': 'chrome', 'chrome_mac': 'chrome',
            'firefox_win': 'firefox', 'safari_mac': 'safari'}[fam]
    vers = version_by_day(G, r, relk, lagf)
    vmap = {v: G.cls.id(ua(fam, v)) for v in set(vers)}
    br_by_day = np.array([vmap[v] for v in vers], np.int64)
    p_mobile = r.uniform(0.03, 0.2) if (role == 'office' and a.sub == 'sales' and r.random() < 0.6) else 0.0
    if p_mobile:
        mv = version_by_day(G, r, 'mobile', lambda v: r.exponential(5.0))
        mmap = {v: G.cls.id(ua('mobile', v)) for v in set(mv)}
        mob_by_day = np.array([mmap[v] for v in mv], np.int64)
    a.fam, a.home_ip = fam, home_ip

    def ips_for(days, force_home=False):
        n = len(days)
        out = np.empty(n, np.int64)
        lc = np.ones(n, np.int8) if force_home else loc[days]
        m = lc == 0
        if m.any():
            out[m] = np.array(nat)[r.choice(len(nat), size=int(m.sum()), p=natw)]
        m = lc == 1
        if m.any():
            if a.vpn:
                out[m] = np.array(G.vpn_pool)[r.integers(0, len(G.vpn_pool), int(m.sum()))]
            else:
                out[m] = home_by_day[days[m]]
        m = lc == 2
        if m.any():
            out[m] = travel_ip[days[m]]
        m = lc == 3
        if m.any():
            out[m] = a.training_ip
        return out

    parts = []   # dicts of L, act, obj, rec, ip, cl

    # ---------------- interactive actions with bursts ----------------
    n_act = r.poisson(lam * works)
    adays = np.repeat(d, n_act)
    n = len(adays)
    if n:
        t = sample_times(r, cdfs, sidx[adays])
        jit = r.normal(0, 240 if role == 'agent' else 1800, D)
        aL = adays * 86400.0 + t + jit[adays] + tshift[adays] * 3600
        k = np.minimum(r.geometric(p_burst, n), 15)
        ev = np.repeat(np.arange(n), k)
        m = len(ev)
        first = np.ones(m, bool)
        first[1:] = ev[1:] != ev[:-1]
        gaps = r.exponential(gap, m) + 2.0
        gaps[first] = 0
        cs = np.cumsum(gaps)
        offs = cs - np.repeat(cs[first], k)
        L = aL[ev] + offs
        of = objs[r.choice(len(objs), size=n, p=objw)]
        obj = of[ev]
        sw = (~first) & (r.random(m) > 0.55)
        obj[sw] = objs[r.choice(len(objs), size=int(sw.sum()), p=objw)]
        # record counts
        if role == 'agent':
            lst = np.clip(np.ceil(r.lognormal(math.log(4) + r.normal(0, 0.2), 0.9, m)), 1, 50)
            view = r.random(m) < np.where(first, 0.5, 0.8)
        elif role == 'office':
            lst = np.clip(np.ceil(r.lognormal(math.log(8), 1.2, m)), 1, 2000)
            view = r.random(m) < np.where(first, 0.4, 0.75)
        elif role == 'analyst':
            lst = np.clip(np.ceil(r.lognormal(math.log(25), 1.3, m)), 1, 5000)
            view = r.random(m) < np.where(first, 0.3, 0.7)
        else:
            lst = np.clip(np.ceil(r.lognormal(math.log(20), 1.5, m)), 1, 2000)
            view = r.random(m) < np.where(first, 0.3, 0.7)
        rec = np.where(view, 1, lst).astype(np.int64)
        act = np.full(m, A_Q, np.int8)
        dl = r.random(m) < p_dl
        act[dl] = A_DL
        rec[dl] = r.integers(1, 4, int(dl.sum()))
        obj[dl] = np.where(r.random(int(dl.sum())) < 0.6, OBJ['ContentVersion'], OBJ['EmailMessage'])
        api = (~dl) & (r.random(m) < p_api)
        act[api] = A_API
        ip_a = ips_for(adays)
        cl_a = br_by_day[adays]
        if p_mobile:
            mob = r.random(n) < p_mobile
            if mob.any():
                md = adays[mob]
                mips = {int(x): new_ip(G, r, 'mobile', home_region) for x in np.unique(md)}
                ip_a[mob] = [mips[int(x)] for x in md]
                cl_a[mob] = mob_by_day[md]
        parts.append(dict(L=L, act=act, obj=obj, rec=rec, ip=ip_a[ev], cl=cl_a[ev]))

    # ---------------- report exports ----------------
    rate = exp_rate * G.busy * ramp
    me = G.month_end[a.region] & (role == 'analyst')
    qe = G.quarter_end[a.region] & (role == 'analyst')
    rate = rate * np.where(me, 2.5, 1.0) * np.where(qe, 1.4, 1.0)
    ne = r.poisson(rate * works)
    edays = np.repeat(d, ne)
    if len(edays):
        t = sample_times(r, cdfs, sidx[edays])
        L = edays * 86400.0 + t + tshift[edays] * 3600
        q = len(edays)
        if role == 'agent':
            rec = np.clip(r.lognormal(math.log(60), 0.9, q), 5, 3000)
        elif role == 'office':
            rec = np.clip(r.lognormal(math.log(250), 1.2, q), 5, 30000)
        elif role == 'analyst':
            mm = me[edays]
            rec = np.where(mm, np.clip(r.lognormal(math.log(5000), 0.8, q), 500, 60000),
                           np.clip(r.lognormal(math.log(1500), 1.0, q), 20, 50000))
            rec = np.where(qe[edays], rec * r.uniform(1.1, 1.6, q), rec)
        else:
            rec = np.clip(r.lognormal(math.log(2000), 1.2, q), 20, 100000)
        obj = objs[r.choice(len(objs), size=q, p=objw)]
        parts.append(dict(L=L, act=np.full(q, A_RE, np.int8), obj=obj,
                          rec=np.ceil(rec).astype(np.int64), ip=ips_for(edays), cl=br_by_day[edays]))

    # ---------------- evening sessions from home ----------------
    if role != 'agent':
        p_eve = 0.0 if r.random() < 0.4 else min(0.4, r.exponential(0.08))
        eve = (wd < 5) & ~a.leave & (d >= a.start_day) & (d < a.end_day) & (r.random(D) < p_eve)
        ndays = np.nonzero(eve)[0]
        if len(ndays):
            cnt = 1 + r.poisson(3, len(ndays))
            ed = np.repeat(ndays, cnt)
            q = len(ed)
            L = ed * 86400.0 + r.uniform(19.0, 23.0, q) * 3600
            obj = objs[r.choice(len(objs), size=q, p=objw)]
            rec = np.where(r.random(q) < 0.5, 1, np.clip(np.ceil(r.lognormal(math.log(8), 1.0, q)), 1, 500))
            act = np.where(r.random(q) < 0.05, A_RE, A_Q).astype(np.int8)
            rec = np.where(act == A_RE, np.ceil(np.clip(r.lognormal(math.log(200), 1.0, q), 5, 10000)), rec)
            parts.append(dict(L=L, act=act, obj=obj, rec=rec.astype(np.int64),
                              ip=ips_for(ed, force_home=True), cl=br_by_day[ed]))

    # ---------------- analyst Tableau extracts ----------------
    if role == 'analyst' and r.random() < 0.3:
        tcl = G.cls.id('Tableau/2024.3 (Salesforce connector)')
        wdays = np.nonzero(works & (wd < 5))[0]
        wdays = wdays[r.random(len(wdays)) < 0.5]
        if len(wdays):
            q = len(wdays)
            L = wdays * 86400.0 + r.uniform(6.5, 7.5, q) * 3600
            obj = objs[r.choice(len(objs), size=q, p=objw)]
            rec = np.ceil(np.clip(r.lognormal(math.log(3000), 0.8, q), 100, 40000)).astype(np.int64)
            parts.append(dict(L=L, act=np.full(q, A_API, np.int8), obj=obj, rec=rec,
                              ip=np.full(q, nat[0], np.int64), cl=np.full(q, tcl, np.int64)))

    # ---------------- admin bulk (Data Loader) ----------------
    if role == 'admin':
        dlv = int(r.integers(20, max(21, D - 5))) if r.random() < 0.6 else D + 1
        dl62, dl63 = G.cls.id('DataLoader/62.0'), G.cls.id('DataLoader/63.0')
        batch = int(r.choice([10000, 10000, 50000, 100000, 200000]))
        bulk_objs = [OBJ[x] for x in ['Account', 'Contact', 'Case', 'Booking__c', 'Loyalty_Member__c', 'Opportunity', 'Lead']]
        jobs = []    # (day, local hour, total, objects, kind)
        if r.random() < 0.5:
            wday = int(r.choice([4, 6, 0]))
            hr = 10.0 if wday == 6 else float(r.uniform(17, 21))
            tot = math.exp(r.normal(math.log(1.5e5), 0.6))
            jo = list(r.choice(bulk_objs, size=int(r.integers(1, 4)), replace=False))
            for k in np.nonzero((wd == wday) & ~a.leave & (d < a.end_day))[0]:
                jobs.append((int(k), hr + r.normal(0, 0.3), tot * r.lognormal(0, 0.2), jo, 'admin_bulk_weekly'))
        adh = math.exp(r.normal(math.log(0.08), 0.5))
        for k in np.nonzero(works & (r.random(D) < adh))[0]:
            if r.random() < 0.7:
                hr = float(sample_times(r, cdfs, np.zeros(1, int))[0] / 3600)
            else:
                hr = float(r.uniform(18, 23.5))
            jobs.append((int(k), hr, float(loguniform(r, 1e4, 1e6)),
                         list(r.choice(bulk_objs, size=int(r.integers(1, 3)), replace=False)), 'admin_bulk_adhoc'))
        for (s, e) in a.leave_blocks:
            back = [k for k in range(e, min(D, e + 5)) if works[k]]
            if back and s > 0:
                jobs.append((back[0], float(r.uniform(10, 16)), float(loguniform(r, 5e4, 8e5)),
                             list(r.choice(bulk_objs, size=int(r.integers(1, 4)), replace=False)),
                             'admin_bulk_after_leave'))
        for (k, hr, tot, jo, kind) in jobs:
            tot = int(min(max(tot, 1e4), 1.2e6))
            Ls, acts, obs, recs = [], [], [], []
            tcur = k * 86400.0 + hr * 3600
            share = split_total(r, tot, len(jo), alpha=2.0, minv=1000)
            for o, sv in zip(jo, share):
                nb = int(math.ceil(sv / batch))
                sizes = np.full(nb, batch)
                sizes[-1] = sv - batch * (nb - 1)
                tt = tcur + np.cumsum(r.exponential(40, nb) + 5)
                tcur = tt[-1] + r.uniform(30, 300)
                Ls.append(tt)
                recs.append(sizes)
                obs.append(np.full(nb, int(o)))
            L = np.concatenate(Ls)
            q = len(L)
            dd = np.full(q, k)
            clid = dl63 if k >= dlv else dl62
            parts.append(dict(L=L, act=np.full(q, A_BE, np.int8), obj=np.concatenate(obs),
                              rec=np.concatenate(recs).astype(np.int64),
                              ip=np.full(q, ips_for(dd[:1], force_home=(hr >= 18 or wd[k] >= 5))[0], np.int64),
                              cl=np.full(q, clid, np.int64)))
            G.benign.append((kind, a.idx, float(L.min()), float(L.max()), a.tz))
            for j in (k - 1, k, k + 1):
                a.special.add(j)

    if (role == 'analyst') and me.any():
        pass
    a.works, a.loc = works, loc
    return finish(G, a, parts)


def finish(G, a, parts):
    if not parts:
        z = np.zeros(0, np.int64)
        return dict(ts=z, act=z.astype(np.int8), obj=z, rec=z, ip=z, cl=z)
    L = np.concatenate([p['L'] for p in parts])
    Li = np.floor(L).astype(np.int64)
    idx = np.clip(Li // 3600 + 48, 0, len(G.off[a.tz]) - 1)
    ts = G.T0 + Li - G.off[a.tz][idx]
    out = dict(ts=ts)
    for f in ('act', 'obj', 'rec', 'ip', 'cl'):
        out[f] = np.concatenate([np.asarray(p[f]) for p in parts])
    out['act'] = out['act'].astype(np.int8)
    for f in ('obj', 'rec', 'ip', 'cl'):
        out[f] = out[f].astype(np.int64)
    keep = (ts >= G.T0) & (ts < G.TEND)
    o = np.argsort(ts[keep], kind='stable')
    return {f: v[keep][o] for f, v in out.items()}


# --------------------------------------------------------------------------
# Integration users
# --------------------------------------------------------------------------

# UTC activity curve mixing UK, US and PH business hours (0..1)
ACT_UTC = np.array([0.10, 0.08, 0.07, 0.07, 0.08, 0.10, 0.20, 0.40, 0.65, 0.80, 0.85, 0.85,
                    0.85, 0.95, 1.00, 1.00, 0.95, 0.85, 0.70, 0.60, 0.50, 0.40, 0.25, 0.15])


def gen_integration(G, a):
    r, D = a.rng, G.D
    cl = G.cls.id(a.int_client)
    pool = [new_ip(G, r, 'cloud') for _ in range(int(r.integers(2, 7)))]
    a.int_pool = list(pool)
    parts = []
    T = D * 86400
    mig_day = getattr(a, 'migrate_day', None)
    new_pool = [new_ip(G, r, 'cloud') for _ in range(len(pool))] if mig_day is not None else None
    upg = getattr(a, 'upgrade', None)

    def ips_at(L):
        out = np.array(pool)[r.integers(0, len(pool), len(L))]
        if mig_day is not None:
            m = L >= mig_day * 86400
            out[m] = np.array(new_pool)[r.integers(0, len(new_pool), int(m.sum()))]
        return out

    def cls_at(L):
        out = np.full(len(L), cl, np.int64)
        if upg is not None:
            out[L >= upg[0] * 86400] = G.cls.id(upg[1])
        return out

    sobjs = np.array([OBJ[o] for o in a.sync_objs])
    days = np.floor(np.arange(D))
    wdf = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.4])
    if a.int_kind == 'cti':
        # one lookup per inbound call / screen-pop, follows contact-centre volume
        rate_h = 45 * math.exp(r.normal(0, 0.3))
        hrs = np.arange(D * 24)
        lamh = rate_h * ACT_UTC[hrs % 24] * wdf[G.wd[hrs // 24]] * G.busy[hrs // 24]
        nh = r.poisson(lamh)
        L = np.repeat(hrs, nh) * 3600.0 + r.uniform(0, 3600, int(nh.sum()))
        q = len(L)
        obj = sobjs[r.integers(0, len(sobjs), q)]
        rec = np.where(r.random(q) < 0.8, 1, r.integers(0, 6, q))
        parts.append(dict(L=L, act=np.full(q, A_API, np.int8), obj=obj, rec=rec, ip=ips_at(L), cl=cls_at(L)))
    else:
        iv = int(r.choice([120, 300, 300, 300, 600, 900, 1800]))
        ph = int(r.integers(0, iv))
        cyc = ph + np.arange(T // iv) * iv
        no = len(sobjs)
        L = np.repeat(cyc, no) + np.tile(np.arange(no) * r.integers(1, 4), len(cyc)) + r.integers(0, 12, len(cyc) * no)
        L = L.astype(float)
        obj = np.tile(sobjs, len(cyc))
        hr = (L // 3600).astype(int)
        mu = math.exp(r.normal(math.log(4), 0.9)) * iv / 300
        act_ = ACT_UTC[hr % 24] * wdf[G.wd[np.minimum(hr // 24, D - 1)]] * G.busy[np.minimum(hr // 24, D - 1)]
        rec = r.poisson(mu * act_)
        q = len(L)
        parts.append(dict(L=L, act=np.full(q, A_API, np.int8), obj=obj, rec=rec, ip=ips_at(L), cl=cls_at(L)))
    # nightly batch job at fixed hour
    if a.job_objs:
        jobj = [OBJ[o] for o in a.job_objs]
        local = r.random() < 0.5          # scheduled in Europe/London wall-clock time
        hr = float(r.choice([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]))
        tot0 = math.exp(r.normal(math.log(3e5), 0.5))
        if a.int_client.startswith('OwnBackup'):
            tot0 *= 4
        batch = int(r.choice([10000, 50000, 100000, 200000]))
        weekly = r.random() < 0.3
        tzn = 'Europe/London' if local else 'UTC'
        Ls, obs, recs = [], [], []
        reruns = []
        for k in range(D):
            tot = max(1e5, tot0 * r.lognormal(0, 0.15))
            kind = None
            if weekly and G.wd[k] == 6:
                tot *= r.uniform(3, 5)
                kind = 'integration_weekly_full_sync'
            start = k * 86400.0 + hr * 3600 + r.uniform(0, 90)
            if r.random() < 0.03:            # missed run, re-run in the morning
                start = k * 86400.0 + r.uniform(7, 10) * 3600
                kind = 'integration_job_rerun_late'
            share = split_total(r, int(tot), len(jobj), alpha=3.0, minv=1000)
            tcur = start
            t_first = None
            for o, sv in zip(jobj, share):
                nb = int(math.ceil(sv / batch))
                sizes = np.full(nb, batch)
                sizes[-1] = sv - batch * (nb - 1)
                tt = tcur + np.cumsum(r.exponential(45, nb) + 10)
                if t_first is None:
                    t_first = tt[0]
                tcur = tt[-1] + r.uniform(20, 120)
                Ls.append(tt)
                obs.append(np.full(nb, o))
                recs.append(sizes)
            if kind:
                reruns.append((kind, t_first, tcur))
        Lj = np.concatenate(Ls)
        # convert local wall clock to UTC-based L if scheduled in London time
        if local:
            off = G.off['Europe/London'][np.clip(np.floor(Lj).astype(int) // 3600 + 48, 0, None)]
            Lj = Lj - off
            reruns = [(k, s - G.off['Europe/London'][int(s) // 3600 + 48],
                       e - G.off['Europe/London'][int(e) // 3600 + 48]) for k, s, e in reruns]
        q = len(Lj)
        parts.append(dict(L=Lj, act=np.full(q, A_BE, np.int8), obj=np.concatenate(obs),
                          rec=np.concatenate(recs), ip=ips_at(Lj), cl=cls_at(Lj)))
        for kind, s, e in reruns:
            G.benign.append((kind, a.idx, s, e, 'UTC'))
        a.job_hour = (hr, tzn)
    return finish(G, a, parts)


# --------------------------------------------------------------------------
# Incidents
# --------------------------------------------------------------------------


class Planner:
    def __init__(self, G, EV):
        self.G, self.EV = G, EV
        self.intervals = []      # (s, e, family, short)
        self.used = set()
        self.incidents = []      # dict(id, family, rows=[(acct, ts array ...)])
        self.rng = np.random.default_rng([G.seed, 999])
        self.inc_events = []     # (acct_idx, dict arrays)
        self.overlaps = 0

    def free(self, s, e, pad=3600, vs_long=True):
        for (a, b, fam, short) in self.intervals:
            if not vs_long and not short:
                continue
            if s - pad < b and a < e + pad:
                return False
        return True

    def stats(self, ai, before):
        ev = self.EV[ai]
        m = ev['ts'] < before
        ts = ev['ts'][m]
        if len(ts) < 30:
            return None
        rec = ev['rec'][m]
        G = self.G
        day = (ts - G.T0) // 86400
        dtot = np.bincount(day, weights=rec)
        dcnt = np.bincount(day)
        act = dcnt > 0
        hr = (ts - G.T0) // 3600
        htot = np.bincount(hr, weights=rec)
        hcnt = np.bincount(hr)
        st = dict(n_days=int(act.sum()), med_day=float(np.median(dtot[act])),
                  max_day=float(dtot[act].max()), med_hour=float(np.median(htot[hcnt > 0])),
                  max_hour=float(htot[hcnt > 0].max()),
                  hod=np.bincount(hr % 24, minlength=24).astype(float),
                  ips=set(ev['ip'][m].tolist()), cls=set(ev['cl'][m].tolist()),
                  objs=set(ev['obj'][m].tolist()), last_ts=int(ts.max()),
                  days=set(np.nonzero(act)[0].tolist()))
        recent = ts >= ts.max() - 14 * 86400
        st['ip_mode'] = int(np.bincount(ev['ip'][m][recent]).argmax())
        st['cl_mode'] = int(np.bincount(ev['cl'][m][recent]).argmax())
        ob = np.bincount(ev['obj'][m], minlength=len(OBJECTS))
        st['obj_freq'] = ob / ob.sum()
        return st

    def special(self, a, day):
        return any(k in a.special for k in (day - 1, day, day + 1))

    def add(self, fam, rows, short=True):
        """rows: list of (acct_idx, ts, act, obj, rec, ip, cl)."""
        G = self.G
        iid = f'INC-{len(self.incidents) + 1:03d}'
        s = min(int(r[1].min()) for r in rows)
        e = max(int(r[1].max()) + 1 for r in rows)
        if not self.free(s, e, pad=0):
            self.overlaps += 1
        self.intervals.append((s, e, fam, short))
        labs = []
        for (ai, ts, act, obj, rec, ip, cl) in rows:
            ts = np.asarray(ts, np.int64)
            assert ts.min() >= G.T0 and ts.max() < G.TEND
            o = np.argsort(ts, kind='stable')
            self.inc_events.append((ai, dict(ts=ts[o], act=np.asarray(act, np.int8)[o],
                                             obj=np.asarray(obj, np.int64)[o],
                                             rec=np.asarray(rec, np.int64)[o],
                                             ip=np.asarray(ip, np.int64)[o], cl=np.asarray(cl, np.int64)[o])))
            labs.append((ai, int(ts.min()), int(ts.max()) + 1))
            self.used.add(ai)
        self.incidents.append(dict(id=iid, family=fam, labels=labs))

    def human_pool(self):
        G = self.G
        return [a for a in G.accts if a.role in ('agent', 'office', 'analyst') and a.start_day == 0
                and a.end_day == G.D and a.idx not in self.used and a.dormant_plan is None]


def plan_dormant(G, n):
    """Before baseline: choose accounts that go dormant (depart / long leave)."""
    rng = np.random.default_rng([G.seed, 555])
    D = G.D
    if D < 60:
        print('warning: --days too short for dormant_return', file=sys.stderr)
        return []
    pool = [a for a in G.accts if a.role in ('agent', 'office', 'analyst') and a.start_day == 0
            and a.end_day == D and not a.cohort]
    rng.shuffle(pool)
    out, Rs = [], set()
    for a in pool:
        if len(out) >= n:
            break
        L = int(rng.integers(21, D - 35))
        R = L + 32 + int(rng.integers(0, max(1, min(16, D - 3 - (L + 32)))))
        if R > D - 3 or any(abs(R - x) < 1 for x in Rs):
            continue
        variant = 'departed' if rng.random() < 0.6 else 'long_leave'
        a.leave[:] = False
        a.leave_blocks = []
        if variant == 'departed':
            a.end_day = L
        else:
            resume = min(D, R + int(rng.integers(1, 6)))
            a.leave[L:resume] = True
            a.leave_blocks = [(L, resume)]
        a.dormant_plan = (variant, L, R)
        Rs.add(R)
        out.append(a)
    return out


def run_incidents(G, EV, per_family, dormant_accts):
    P = Planner(G, EV)
    rng = P.rng
    D, T0 = G.D, G.T0
    hosting_clients = ['python-requests/2.31.0', 'DataLoader/63.0', 'curl/8.5.0',
                       'PostmanRuntime/7.39.0', 'Go-http-client/1.1', 'simple-salesforce/1.12.6',
                       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36']
    pii = ['Contact', 'Account', 'Loyalty_Member__c', 'Booking__c', 'Lead', 'Case', 'Payment__c', 'Opportunity']
    piiw = np.array([30, 15, 20, 15, 8, 6, 4, 2], float)
    piiw /= piiw.sum()
    counts = {f: 0 for f in FAMILIES}

    def any_ip(kind_p=0.7):
        if rng.random() < kind_p:
            return new_ip(G, rng, 'hosting')
        return new_ip(G, rng, 'resi', str(rng.choice(list(RESI))))

    def times_in(t0, t1, n):
        if n == 1:
            return np.array([t0])
        t = np.sort(rng.uniform(t0, t1, n))
        t[0], t[-1] = t0, t1
        return np.floor(t).astype(np.int64)

    # ---------------- dormant_return ----------------
    for a in dormant_accts:
        variant, L, R = a.dormant_plan
        st = P.stats(a.idx, T0 + R * 86400)
        if st is None:
            continue
        ok = False
        for attempt in range(60):
            day = R + attempt // 12
            if variant == 'long_leave' and not a.leave[min(day, D - 1)]:
                break
            if day >= D - 1:
                break
            hod = st['hod'] / st['hod'].sum()
            if rng.random() < 0.6:
                h = int(rng.choice(24, p=hod))
            else:
                cand = np.nonzero(hod < 0.01)[0]
                h = int(rng.choice(cand)) if len(cand) else int(rng.integers(0, 24))
            t0 = T0 + day * 86400 + h * 3600 + int(rng.integers(0, 3600))
            dur = float(rng.uniform(0.5, 4)) * 3600
            t1 = int(t0 + dur)
            if t1 >= G.TEND or t0 - st['last_ts'] < 30 * 86400:
                continue
            if P.free(t0, t1):
                ok = True
                break
        if not ok:
            continue
        if rng.random() < 0.6:
            ip = new_ip(G, rng, 'resi', a.region) if rng.random() < 0.6 else new_ip(G, rng, 'hosting')
        else:
            ip = st['ip_mode']
        u = rng.random()
        if u < 0.6:
            cl = st['cl_mode']            # stale browser version of their old laptop
            eact = A_RE
        elif u < 0.8:
            cl = G.cls.id('DataLoader/63.0')
            eact = A_BE
        else:
            cl = G.cls.id(ua('chrome_mac', 136))
            eact = A_RE
        nrec = int(rng.integers(2, 7))
        rt = np.sort(t0 + rng.uniform(0, 900, nrec)).astype(np.int64)
        rt[0] = t0
        ne = int(rng.integers(3, 21))
        tot = int(loguniform(rng, 1e4, 1e5))
        et = times_in(rt[-1] + 60, t1, ne)
        sizes = split_total(rng, tot, ne, alpha=1.0, minv=20)
        objs = rng.choice([OBJ[x] for x in pii], size=ne, p=piiw)
        ts = np.concatenate([rt, et])
        act = np.concatenate([np.full(nrec, A_Q), np.where(rng.random(ne) < 0.85, eact, A_DL)])
        obj = np.concatenate([rng.choice(list(st['objs']), nrec), objs])
        rec = np.concatenate([rng.integers(1, 50, nrec), sizes])
        P.add('dormant_return', [(a.idx, ts, act, obj, rec, np.full(len(ts), ip), np.full(len(ts), cl))])
        counts['dormant_return'] += 1

    # ---------------- low_and_slow (long windows) ----------------
    def place_low_and_slow(strict):
        for attempt in range(400):
            pool = P.human_pool()
            a = pool[int(rng.integers(len(pool)))]
            s = int(rng.integers(21, max(22, D - 12)))
            st = P.stats(a.idx, T0 + s * 86400)
            if st is None or st['n_days'] < 10 or st['med_day'] <= 0:
                continue
            ev = EV[a.idx]
            k = int(rng.integers(4, 11))
            dayv = (ev['ts'] - T0) // 86400
            cnt = np.bincount(dayv, minlength=D)
            tmin = np.full(D, np.iinfo(np.int64).max)
            tmax = np.full(D, np.iinfo(np.int64).min)
            np.minimum.at(tmin, dayv, ev['ts'])
            np.maximum.at(tmax, dayv, ev['ts'])
            act_days = [x for x in range(s, D) if cnt[x] >= 5 and tmax[x] - tmin[x] >= 4 * 3600]
            if len(act_days) < k:
                continue
            sel = act_days[:k]
            if sel[-1] - sel[0] > 2 * k + 4 or any(P.special(a, x) for x in sel):
                continue
            rows_t, rows_i = [], []
            for x in sel:
                m = np.nonzero(dayv == x)[0]
                mult = rng.uniform(3, 6)
                extra = max(60.0, (mult - 1) * st['med_day'])
                span_h = max(1.0, (tmax[x] - tmin[x]) / 3600)
                # keep every hour unremarkable: extra per hour <= the account's max hour
                extra = max(min(extra, 0.8 * st['max_hour'] * span_h), 2.0 * st['med_day'], 30.0)
                evrec = ev['rec'][m]
                target = max(5.0, float(np.percentile(evrec, 75)) * rng.uniform(2, 6))
                ne = int(np.clip(math.ceil(extra / target), 5, 80))
                # spread evenly over the account's own working span that day;
                # ip / client copied from the nearest genuine event
                bt = ev['ts'][m]
                t = np.sort(rng.integers(int(bt.min()), int(bt.max()) + 1, ne))
                near = np.clip(np.searchsorted(bt, t), 0, len(m) - 1)
                pick = m[near]
                rows_t.append(t)
                rows_i.append((pick, split_total(rng, int(extra), ne, alpha=3.0, minv=1)))
            ts = np.concatenate(rows_t)
            s0, e0 = int(ts.min()), int(ts.max()) + 1
            if strict and not P.free(s0, e0, pad=1800):
                continue
            if not strict and not P.free(s0, e0, pad=1800, vs_long=False):
                continue
            pick = np.concatenate([p for p, _ in rows_i])
            rec = np.concatenate([r_ for _, r_ in rows_i])
            n = len(ts)
            u = rng.random(n)
            act = np.where(u < 0.5, A_RE, np.where(u < 0.9, A_Q, A_DL))
            of = st['obj_freq']
            obj = rng.choice(len(OBJECTS), size=n, p=of)
            pi = rng.random(n) < 0.3
            obj[pi] = rng.choice([OBJ['Contact'], OBJ['Loyalty_Member__c']], int(pi.sum()))
            P.add('low_and_slow', [(a.idx, ts, act, obj, rec, ev['ip'][pick], ev['cl'][pick])], short=False)
            return True
        return False

    for i in range(per_family):
        if place_low_and_slow(True) or place_low_and_slow(False):
            counts['low_and_slow'] += 1

    # ---------------- short single-account families ----------------
    def place(fam, fn, tries=600):
        for strict in (True, False):
            for attempt in range(tries):
                if fn(strict):
                    counts[fam] += 1
                    return True
        print(f'warning: could not place {fam}', file=sys.stderr)
        return False

    def free_ok(s, e, strict):
        return P.free(s, e, pad=2 * 3600, vs_long=strict)

    def off_hours(strict):
        pool = P.human_pool()
        a = pool[int(rng.integers(len(pool)))]
        day = int(rng.integers(21, D - 1))
        if P.special(a, day):
            return False
        st = P.stats(a.idx, T0 + day * 86400)
        if st is None or st['n_days'] < 12:
            return False
        dur = float(rng.uniform(1, 3)) * 3600
        hod = st['hod'] / st['hod'].sum()
        nh = int(math.ceil(dur / 3600)) + 1
        cands = [h for h in range(24) if all(hod[(h + j) % 24] <= 0.002 for j in range(-1, nh))]
        if not cands:
            return False
        h = int(rng.choice(cands))
        t0 = T0 + day * 86400 + h * 3600 + int(rng.integers(0, 1800))
        t1 = int(t0 + dur)
        if t1 >= G.TEND or not free_ok(t0, t1, strict):
            return False
        ev = EV[a.idx]
        if ((ev['ts'] >= t0 - 3600) & (ev['ts'] <= t1 + 3600)).any():
            return False
        cl_s = [c for c in hosting_clients if G.cls.id(c) not in st['cls']]
        cls_str = str(rng.choice(cl_s))
        cl = G.cls.id(cls_str)
        ip = any_ip(0.75)
        nrec = int(rng.integers(1, 6))
        rt = t0 + np.sort(rng.integers(0, 600, nrec))
        rt[0] = t0
        ne = int(rng.integers(3, 41))
        tot = int(loguniform(rng, 1e5, 1e6))
        et = times_in(int(rt[-1]) + 30, t1, ne)
        sizes = split_total(rng, tot, ne, alpha=1.2, minv=200)
        browser = cls_str.startswith('Mozilla')
        eact = np.where(rng.random(ne) < 0.85, A_RE if browser else A_BE, A_RE if not browser else A_DL)
        chosen = rng.choice(len(pii), size=int(rng.integers(2, 6)), replace=False, p=piiw)
        w = piiw[chosen] / piiw[chosen].sum()
        eobj = np.array([OBJ[pii[c]] for c in chosen])[rng.choice(len(chosen), size=ne, p=w)]
        ts = np.concatenate([rt, et])
        act = np.concatenate([np.full(nrec, A_API if not browser else A_Q), eact])
        obj = np.concatenate([np.full(nrec, OBJ['User']) if rng.random() < 0.5 else eobj[:1].repeat(nrec), eobj])
        rec = np.concatenate([rng.integers(1, 200, nrec), sizes])
        P.add('off_hours_bulk', [(a.idx, ts, act, obj, rec, np.full(len(ts), ip), np.full(len(ts), cl))])
        return True

    def insider(strict):
        pool = P.human_pool()
        a = pool[int(rng.integers(len(pool)))]
        s = int(rng.integers(21, D - 1))
        st = P.stats(a.idx, T0 + s * 86400)
        if st is None or st['n_days'] < 12:
            return False
        ev = EV[a.idx]
        dayv = (ev['ts'] - T0) // 86400
        cnt = np.bincount(dayv, minlength=D)
        days = [x for x in range(s, min(D, s + 7)) if cnt[x] >= 8 and not P.special(a, x)]
        if not days:
            return False
        x = days[0]
        m = np.nonzero(dayv == x)[0]
        # exclude mobile / odd events: use the dominant ip & client of the day
        ip = int(np.bincount(ev['ip'][m]).argmax())
        cl = int(np.bincount(ev['cl'][m]).argmax())
        mm = m[(ev['ip'][m] == ip) & (ev['cl'][m] == cl)]
        if len(mm) < 5:
            return False
        tf, tl = int(ev['ts'][mm].min()), int(ev['ts'][mm].max())
        span = tl - tf
        if span < 2 * 3600:
            return False
        dur = min(span, float(rng.uniform(1.5, 6)) * 3600)
        t0 = int(tf + rng.uniform(0, span - dur))
        t1 = int(t0 + dur)
        if not free_ok(t0, t1, strict):
            return False
        f = float(loguniform(rng, 20, 200))
        tot = max(f * st['med_day'], rng.uniform(1.2, 2.0) * st['max_day'])
        ne = int(rng.integers(5, 31))
        sizes = split_total(rng, int(tot), ne, alpha=1.0, minv=10)
        ts = times_in(t0, t1, ne)
        act = np.where(rng.random(ne) < 0.85, A_RE, A_DL)
        top = np.argsort(st['obj_freq'])[::-1][:3]
        cand = np.unique(np.concatenate([top, [OBJ['Contact'], OBJ['Loyalty_Member__c']]]))
        obj = rng.choice(cand, size=ne)
        P.add('insider_business_hours', [(a.idx, ts, act, obj, sizes, np.full(ne, ip), np.full(ne, cl))])
        return True

    def token(strict):
        pool = [a for a in G.accts if a.role == 'integration' and a.idx not in P.used]
        if not pool:
            return False
        a = pool[int(rng.integers(len(pool)))]
        day = int(rng.integers(14, D - 1))
        st = P.stats(a.idx, T0 + day * 86400)
        if st is None:
            return False
        t0 = T0 + day * 86400 + int(rng.integers(0, 86400))
        dur = float(rng.uniform(1, 6)) * 3600
        t1 = int(t0 + dur)
        if t1 >= G.TEND or not free_ok(t0, t1, strict):
            return False
        nu = len(st['objs'])
        lo = max(8, nu + 5)
        if lo > len(OBJECTS):
            return False
        nobj = int(rng.integers(lo, min(len(OBJECTS), lo + 8) + 1))
        objs = rng.choice(len(OBJECTS), size=nobj, replace=False)
        ne = int(rng.integers(max(nobj + 5, 20), 151))
        obj = np.concatenate([objs, rng.choice(objs, ne - nobj)])
        obj = np.concatenate([obj[:nobj][rng.permutation(nobj)], obj[nobj:]])
        rec = np.clip(np.round(rng.lognormal(math.log(300), 1.3, ne)), 0, 20000).astype(np.int64)
        rec[rng.random(ne) < 0.1] = 0
        act = np.full(ne, A_API)
        ts = times_in(t0, t1, ne)
        if rng.random() < 0.4:
            nb = int(rng.integers(1, 5))
            bi = rng.choice(ne, nb, replace=False)
            act[bi] = A_BE
            rec[bi] = loguniform(rng, 1e4, 2e5, nb).astype(np.int64)
            obj[bi] = [OBJ[x] for x in rng.choice(['Contact', 'Account', 'Loyalty_Member__c', 'Booking__c'], nb)]
        ip = any_ip(0.6)
        if rng.random() < 0.6:
            cl = G.cls.id(a.int_client)
            if st['cl_mode'] != cl:
                cl = st['cl_mode']
        else:
            cl = G.cls.id(str(rng.choice(['python-requests/2.32.3', 'PostmanRuntime/7.39.0', 'curl/8.5.0'])))
        P.add('token_new_network', [(a.idx, ts, act, obj, rec, np.full(ne, ip), np.full(ne, cl))])
        return True

    def multi(strict):
        k = int(rng.integers(3, 7))
        day = int(rng.integers(21, D - 1))
        t0 = T0 + day * 86400 + int(rng.integers(0, 86400))
        dur = float(rng.uniform(1, 4)) * 3600
        t1 = int(t0 + dur)
        if t1 >= G.TEND or not free_ok(t0, t1, strict):
            return False
        pool = P.human_pool()
        order = rng.permutation(len(pool))
        chosen = []
        for j in order[:60]:
            a = pool[int(j)]
            if P.special(a, day):
                continue
            st = P.stats(a.idx, t0)
            if st is None or st['n_days'] < 12 or st['med_hour'] <= 0:
                continue
            if t0 - st['last_ts'] > 10 * 86400:
                continue
            chosen.append((a, st))
            if len(chosen) == k:
                break
        if len(chosen) < k:
            return False
        ip = any_ip(0.6)
        if rng.random() < 0.5:
            cl = G.cls.id('python-requests/2.31.0')
        else:
            vv = max(v for r_, v in G.rel['chrome'] if r_ <= day)
            cl = G.cls.id(ua('chrome_win', vv))
        rows = []
        for a, st in chosen:
            tot = max(20, float(rng.uniform(5, 20)) * st['med_hour'])
            ne = int(rng.integers(3, 16))
            s0 = t0 + rng.uniform(0, 0.5 * dur)
            e0 = s0 + rng.uniform(0.3, 1.0) * (t1 - s0)
            ts = times_in(int(s0), int(e0), ne)
            sizes = split_total(rng, int(tot), ne, alpha=1.5, minv=1)
            act = np.where(rng.random(ne) < 0.55, A_Q, A_RE)
            obj = rng.choice(len(OBJECTS), size=ne, p=st['obj_freq'])
            rows.append((a.idx, ts, act, obj, sizes, np.full(ne, ip), np.full(ne, cl)))
        P.add('multi_account_one_ip', rows)
        return True

    for i in range(per_family):
        place('token_new_network', token)
        place('off_hours_bulk', off_hours)
        place('insider_business_hours', insider)
        place('multi_account_one_ip', multi)
    return P, counts


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--days', type=int, default=90)
    ap.add_argument('--accounts', type=int, default=600)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--per-family', type=int, default=None)
    ap.add_argument('--start', default='2025-03-03')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    if args.accounts < 60:
        ap.error('--accounts must be >= 60')
    if args.days < 35:
        ap.error('--days must be >= 35')
    per_family = args.per_family if args.per_family is not None else max(1, int(round(4 * args.accounts / 600)))
    t_start = time.time()
    G = setup(args)
    accts = make_accounts(G)
    # integration extras: one vendor IP migration, one client upgrade
    ints = [a for a in accts if a.role == 'integration']
    rr = np.random.default_rng([G.seed, 31])
    if len(ints) >= 3:
        mig = ints[int(rr.integers(1, len(ints)))]
        mig.migrate_day = int(rr.integers(20, G.D - 10))
        G.benign.append(('integration_ip_migration', mig.idx, mig.migrate_day * 86400,
                         G.D * 86400 - 1, 'UTC'))
        for a in ints:
            if a.int_client == 'simple-salesforce/1.5' and a is not mig:
                a.upgrade = (int(rr.integers(20, G.D - 10)), 'simple-salesforce/1.5.1')
                G.benign.append(('integration_client_upgrade', a.idx, a.upgrade[0] * 86400,
                                 G.D * 86400 - 1, 'UTC'))
    dormant = plan_dormant(G, per_family)
    dset = {a.idx for a in dormant}
    G.benign = [b for b in G.benign if not (b[1] in dset and b[0] in ('long_leave_return', 'leaver'))]
    EV = {}
    for a in accts:
        EV[a.idx] = gen_integration(G, a) if a.role == 'integration' else gen_human(G, a)
    t_base = time.time()
    P, counts = run_incidents(G, EV, per_family, dormant)
    # assemble
    cols = {f: [] for f in ('ts', 'act', 'obj', 'rec', 'ip', 'cl')}
    acc = []
    for ai, ev in list(EV.items()) + P.inc_events:
        for f in cols:
            cols[f].append(ev[f])
        acc.append(np.full(len(ev['ts']), ai, np.int64))
    allc = {f: np.concatenate(v) for f, v in cols.items()}
    acc = np.concatenate(acc)
    o = np.argsort(allc['ts'], kind='stable')
    allc = {f: v[o] for f, v in allc.items()}
    acc = acc[o]
    n = len(acc)
    r = np.random.default_rng([G.seed, 4242])
    per_rec = np.clip(BPR[allc['obj']] * np.exp(r.normal(0, 0.15, n)), 200, 1500)
    byt = np.round(allc['rec'] * per_rec + r.uniform(40, 300, n)).astype(np.int64)
    empty = r.random(n) < 0.10
    # write
    os.makedirs(os.path.join(args.out, 'logs'), exist_ok=True)
    ts_s = np.char.add(np.datetime_as_string(allc['ts'].astype('datetime64[s]'), unit='s'), 'Z')
    names = np.array([a.email for a in accts], dtype=object)[acc]
    acts = np.array(ACTIONS, dtype=object)[allc['act']]
    objs = np.array(OBJECTS, dtype=object)[allc['obj']]
    ips = np.array(G.ips.items, dtype=object)[allc['ip']]
    cls = np.array(G.cls.items, dtype=object)[allc['cl']]
    bys = byt.astype(str).astype(object)
    bys[empty] = ''
    with open(os.path.join(args.out, 'logs', 'events.csv'), 'w', newline='') as fh:
        w = csv.writer(fh, lineterminator='\n')
        w.writerow(['timestamp', 'account', 'action', 'object', 'records', 'bytes', 'src_ip', 'client'])
        w.writerows(zip(ts_s.tolist(), names.tolist(), acts.tolist(), objs.tolist(),
                        allc['rec'].tolist(), bys.tolist(), ips.tolist(), cls.tolist()))
    with open(os.path.join(args.out, 'labels.csv'), 'w', newline='') as fh:
        w = csv.writer(fh, lineterminator='\n')
        w.writerow(['incident_id', 'family', 'account', 'start', 'end', 'source'])
        for inc in P.incidents:
            for ai, s, e in inc['labels']:
                w.writerow([inc['id'], inc['family'], accts[ai].email, rfc(s), rfc(e), 'generic'])
    day = (allc['ts'] - G.T0) // 86400
    n_ad = int(len(np.unique(acc * (G.D + 1) + day)))
    with open(os.path.join(args.out, 'tenant.json'), 'w') as fh:
        json.dump({'active_account_days': n_ad, 'accounts': G.A, 'days': G.D, 'seed': G.seed}, fh)
        fh.write('\n')
    with open(os.path.join(args.out, 'benign.csv'), 'w', newline='') as fh:
        w = csv.writer(fh, lineterminator='\n')
        w.writerow(['kind', 'account', 'start', 'end'])
        rows = []
        for kind, ai, Ls, Le, tz in G.benign:
            def conv(L):
                Li = int(math.floor(L))
                return G.T0 + Li - int(G.off[tz][min(len(G.off[tz]) - 1, max(0, Li // 3600 + 48))])
            s, e = conv(Ls), conv(Le) + 1
            s, e = max(s, G.T0), min(e, G.TEND)
            if e <= s:
                continue
            rows.append((s, kind, accts[ai].email if isinstance(ai, int) else ai, e))
        me_days = np.nonzero(G.month_end['UK'] | G.month_end['US'])[0]
        if len(me_days):
            runs, cur = [], [int(me_days[0])]
            for x in me_days[1:]:
                if x - cur[-1] <= 4:
                    cur.append(int(x))
                else:
                    runs.append(cur)
                    cur = [int(x)]
            runs.append(cur)
            for run in runs:
                rows.append((G.T0 + run[0] * 86400, 'analyst_month_end_exports', '*analysts*',
                             G.T0 + (run[-1] + 1) * 86400))
        rows.sort()
        for s, kind, acc_s, e in rows:
            w.writerow([kind, acc_s, rfc(s), rfc(e)])
    # summary
    role = np.array([a.role for a in accts])[acc]
    print(f'rows={n} accounts={G.A} days={G.D} active_account_days={n_ad} '
          f'base={t_base - t_start:.1f}s total={time.time() - t_start:.1f}s', file=sys.stderr)
    for rl in ('agent', 'office', 'analyst', 'admin', 'integration'):
        print(f'  {rl:12s} accounts={sum(a.role == rl for a in accts):4d} rows={int((role == rl).sum())}',
              file=sys.stderr)
    print('  incidents: ' + ', '.join(f'{k}={v}' for k, v in counts.items()) +
          f' (time overlaps forced: {P.overlaps})', file=sys.stderr)


if __name__ == '__main__':
    main()
