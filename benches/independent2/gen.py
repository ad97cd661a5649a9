#!/usr/bin/env python3
"""gen2: held-out synthetic retail-bank CRM audit-log generator.

python gen.py --seed N --accounts N --per-family K --days 91 --out DIR
Writes DIR/logs/events.csv, DIR/labels.csv, DIR/tenant.json, DIR/benign.csv
"""
import argparse, csv, io, json, os, sys, time, math
import datetime as dt
from zoneinfo import ZoneInfo
import numpy as np

START = dt.date(2025, 2, 24)
T0 = int(dt.datetime(2025, 2, 24, tzinfo=dt.timezone.utc).timestamp())
DAY = 86400
HOUR = 3600

ACTIONS = ['login', 'view', 'query', 'list_view', 'update', 'report_export',
           'data_export', 'api_query', 'bulk_api_query']
AI = {a: i for i, a in enumerate(ACTIONS)}
# per-action record model: median, sigma, lo, hi  (multiplied by account scale)
REC_MED = np.array([0, 1, 6, 25, 1, 60, 3000, 200, 20000], float)
REC_SIG = np.array([0, 0, 1.0, 0.4, 0.5, 0.9, 0.8, 1.0, 0.5])
REC_LO = np.array([0, 1, 1, 10, 1, 5, 200, 0, 1000], float)
REC_HI = np.array([0, 1, 50, 50, 5, 500, 50000, 2000, 50000], float)

OBJECTS = ['Account', 'Contact', 'Case', 'Opportunity', 'Lead', 'Campaign', 'CampaignMember',
           'Task', 'Event', 'User', 'Transaction__c', 'Loan__c', 'KYC_Document__c', 'Card__c',
           'Mortgage_Application__c', 'Complaint__c', 'Branch__c', 'Product__c', 'Fee__c',
           'Statement__c', 'Payment__c', 'Beneficiary__c', 'Collateral__c', 'Credit_Score__c',
           'AML_Alert__c', 'Consent__c', 'Address__c', 'Interaction__c', 'ContentVersion',
           'Attachment', 'Dispute__c', 'Standing_Order__c', 'Direct_Debit__c',
           'Savings_Account__c', 'Insurance_Policy__c', 'Referral__c', 'Appointment__c',
           'Household__c', 'Portfolio__c', 'Fraud_Case__c', 'Call_Log__c', 'PermissionSet',
           'Profile', 'Note', 'Tax_Residency__c', 'Overdraft__c', 'Income_Verification__c',
           'Asset__c', 'Pricing_Rule__c', 'Survey_Response__c']
OI = {o: i for i, o in enumerate(OBJECTS)}
BPR = np.full(len(OBJECTS), 900.0)
for o, b in [('KYC_Document__c', 4200), ('ContentVersion', 18000), ('Attachment', 15000),
             ('Transaction__c', 520), ('Payment__c', 610), ('Case', 1600), ('Note', 2500),
             ('Contact', 1300), ('Account', 1700), ('Call_Log__c', 700), ('Statement__c', 2400),
             ('CampaignMember', 380), ('Lead', 1100), ('User', 1500)]:
    BPR[OI[o]] = b

ROLE_OBJ = {
    'branch': {'Account': 3, 'Contact': 3, 'Transaction__c': 3, 'Loan__c': 1, 'KYC_Document__c': 1,
               'Case': 1, 'Card__c': 1, 'Payment__c': 1, 'Savings_Account__c': 1,
               'Standing_Order__c': .5, 'Direct_Debit__c': .5, 'Beneficiary__c': .5,
               'Mortgage_Application__c': .5, 'Complaint__c': .3, 'Appointment__c': .5},
    'contact': {'Case': 5, 'Contact': 3, 'Account': 2, 'Transaction__c': 2, 'Card__c': 1,
                'Complaint__c': 1, 'Dispute__c': 1, 'Call_Log__c': 1, 'Payment__c': .5,
                'Fraud_Case__c': .3},
    'rm': {'Account': 3, 'Contact': 2, 'Opportunity': 3, 'Loan__c': 1.5, 'Portfolio__c': 1,
           'Household__c': 1, 'Task': 1, 'Event': .5, 'Mortgage_Application__c': 1,
           'Collateral__c': .5, 'Credit_Score__c': .5, 'Referral__c': .5, 'Product__c': .3},
    'marketing': {'Campaign': 3, 'CampaignMember': 3, 'Lead': 3, 'Contact': 2, 'Consent__c': 1,
                  'Account': .5, 'Opportunity': .5, 'Referral__c': .5, 'Product__c': .5,
                  'Survey_Response__c': .5},
    'admin': {'User': 3, 'Account': 1, 'Contact': 1, 'Case': 1, 'PermissionSet': 1, 'Profile': .5,
              'Branch__c': .5, 'Product__c': .5, 'Fee__c': .5, 'AML_Alert__c': .3,
              'Pricing_Rule__c': .3},
    'occasional': {'Account': 2, 'Contact': 2, 'Case': 1, 'Opportunity': 1, 'Task': 1,
                   'Product__c': .5, 'Appointment__c': .3},
}
# action probabilities (login handled separately)
ROLE_ACT = {
    'branch': {'view': .40, 'query': .30, 'list_view': .15, 'update': .12, 'report_export': .03},
    'contact': {'view': .45, 'query': .25, 'list_view': .08, 'update': .20, 'report_export': .02},
    'rm': {'view': .30, 'query': .25, 'list_view': .15, 'update': .15, 'report_export': .15},
    'marketing': {'view': .20, 'query': .30, 'list_view': .15, 'report_export': .30, 'data_export': .05},
    'admin': {'view': .30, 'query': .35, 'list_view': .05, 'update': .25, 'report_export': .05},
    'occasional': {'view': .50, 'query': .30, 'list_view': .15, 'report_export': .05},
}
# per-role multipliers of the per-action record medians
ROLE_RECMUL = {'branch': {}, 'contact': {'query': .7, 'report_export': .5},
               'rm': {'query': 2.0, 'report_export': 4.0},
               'marketing': {'query': 30, 'report_export': 25, 'list_view': 1.0},
               'admin': {'query': 3.0, 'report_export': 3.0}, 'occasional': {'report_export': .7}}
ROLE_RECHI = {'rm': {'query': 200, 'report_export': 5000}, 'marketing': {'query': 5000, 'report_export': 20000},
              'admin': {'query': 2000, 'report_export': 2000}}
ROLE_RATE = {'branch': (55, .5), 'contact': (70, .4), 'rm': (35, .5), 'marketing': (25, .6),
             'admin': (20, .6), 'occasional': (8, .6)}

UK_HOL = {dt.date(2025, 4, 18), dt.date(2025, 4, 21), dt.date(2025, 5, 5), dt.date(2025, 5, 26)}

CHROME_OLD, CHROME_NEW = '122.0.6261.129', '124.0.6367.119'
EDGE_OLD, EDGE_NEW = '122.0.2365.92', '124.0.2478.80'
def ua(kind, new):
    cv = CHROME_NEW if new else CHROME_OLD
    if kind == 'chrome':
        return f'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv} Safari/537.36'
    if kind == 'edge':
        ev = EDGE_NEW if new else EDGE_OLD
        return f'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv} Safari/537.36 Edg/{ev}'
    if kind == 'firefox':
        fv = '125.0' if new else '123.0'
        return f'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{fv}) Gecko/20100101 Firefox/{fv}'
    if kind == 'safari':
        return 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15'
    raise ValueError(kind)
MOBILE_UA = 'SalesforceMobileSDK/11.1.0 iOS/17.3.1 (iPhone) Salesforce1/248.020'
INTEG_CLIENTS = ['MuleSoft-Salesforce-Connector/10.18.0 (Mule 4.6.1)', 'Informatica-CloudDataIntegration/2024.05',
                 'Boomi-AtomSphere/24.03.1 (Salesforce Connector)', 'Jitterbit-Harmony/11.26.0',
                 'Workato-Connector/2.3 (salesforce)', 'Fivetran/2024.1 salesforce-connector',
                 'TIBCO-BW/6.9.1 SalesforcePlugin/6.5', 'Azure-DataFactory/1.0 (SalesforceV2)',
                 'CoreBankingSync/3.4.2 (Java/17.0.9)', 'Genesys-Cloud-CRM-Integration/1.8',
                 'Snowflake-Connector-Salesforce/1.2', 'DocuSign-Connect/3.1']
ATTACK_CLIENTS = ['python-requests/2.31.0', 'curl/8.5.0', 'DataLoader/59.0.0 (Windows 10; x64)',
                  'Go-http-client/2.0', 'PostmanRuntime/7.36.3', 'simple-salesforce/1.12.5 python-requests/2.31.0',
                  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/121.0.6167.85 Safari/537.36',
                  'aiohttp/3.9.1 Python/3.11', 'Wget/1.21.4', 'sfdx-cli/7.209.6 (linux-x64) node-v18.17.1']
ADMIN_DL = 'Dataloader/60.0.1 (Windows 10; x64) Salesforce Data Loader'

FIRST = ['james', 'oliver', 'harry', 'jack', 'george', 'noah', 'charlie', 'jacob', 'alfie', 'freddie',
         'amelia', 'olivia', 'isla', 'emily', 'ava', 'jessica', 'sophie', 'grace', 'lily', 'mia',
         'thomas', 'william', 'daniel', 'samuel', 'joseph', 'ella', 'chloe', 'ruby', 'evie', 'poppy',
         'mohammed', 'aisha', 'priya', 'raj', 'fatima', 'omar', 'hannah', 'lucy', 'megan', 'rachel',
         'david', 'michael', 'sarah', 'laura', 'emma', 'katie', 'ben', 'matthew', 'luke', 'adam']
LAST = ['smith', 'jones', 'taylor', 'brown', 'williams', 'wilson', 'johnson', 'davies', 'robinson',
        'wright', 'thompson', 'evans', 'walker', 'white', 'roberts', 'green', 'hall', 'wood', 'jackson',
        'clarke', 'patel', 'khan', 'lewis', 'james', 'phillips', 'mason', 'mitchell', 'rose', 'davis',
        'rodriguez', 'cox', 'alexander', 'morgan', 'moore', 'hughes', 'edwards', 'hill', 'scott',
        'ward', 'turner', 'cooper', 'harris', 'martin', 'bell', 'baker', 'kelly', 'king', 'lee',
        'singh', 'ahmed', 'begum', 'ali', 'shaw', 'chapman', 'ellis', 'reid', 'murray', 'price']
PH_FIRST = ['maria', 'jose', 'mark', 'angelica', 'john', 'kristine', 'jerome', 'rhea', 'carlo', 'joy',
            'paolo', 'mae', 'rommel', 'liza', 'arnel', 'grace', 'jericho', 'camille', 'ramon', 'divina']
PH_LAST = ['santos', 'reyes', 'cruz', 'bautista', 'ocampo', 'garcia', 'mendoza', 'torres', 'tomas',
           'andrada', 'castillo', 'flores', 'villanueva', 'ramos', 'castro', 'rivera', 'aquino',
           'navarro', 'salazar', 'mercado', 'dela.cruz', 'gonzales', 'lim', 'tan', 'domingo']
US_FIRST = ['tyler', 'brittany', 'kevin', 'ashley', 'jose', 'amanda', 'brandon', 'megan', 'carlos',
            'jennifer', 'dustin', 'kayla', 'marcus', 'vanessa', 'travis', 'danielle', 'hector', 'tiffany']
DOMAIN = 'harbourtrust.co.uk'


def iso(ts):
    return dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class Gen:
    def __init__(self, seed, n_acc, per_family, days, out):
        self.rng = np.random.default_rng(seed)
        self.seed, self.N, self.K, self.D, self.out = seed, n_acc, per_family, days, out
        self.ips, self.ip_ix = [], {}
        self.clients, self.cl_ix = [], {}
        self.benign = []
        self.labels = {}  # (inc_id, acct) -> [family, min, max]
        self.incidents = []
        self.inj = {}  # (acct, day) -> list of incident member specs
        self.used = set()
        self.tzoff = {}
        for tz in ['Europe/London', 'Asia/Manila', 'America/Phoenix', 'America/New_York',
                   'Europe/Madrid', 'Asia/Dubai', 'Asia/Singapore', 'America/Toronto', 'Europe/Lisbon']:
            z = ZoneInfo(tz)
            self.tzoff[tz] = np.array([int(dt.datetime.combine(START + dt.timedelta(days=d), dt.time(12), z)
                                           .utcoffset().total_seconds()) for d in range(-2, days + 3)])

    # ---------------- helpers
    def ip(self, s):
        i = self.ip_ix.get(s)
        if i is None:
            i = self.ip_ix[s] = len(self.ips)
            self.ips.append(s)
        return i

    def cl(self, s):
        i = self.cl_ix.get(s)
        if i is None:
            i = self.cl_ix[s] = len(self.clients)
            self.clients.append(s)
        return i

    def rand_ip(self, prefixes):
        """prefixes: list of 'a.b' or 'a.b.c' strings; returns an unused-ish ip string"""
        r = self.rng
        for _ in range(100):
            p = prefixes[r.integers(len(prefixes))]
            parts = p.split('.')
            while len(parts) < 3:
                parts.append(str(r.integers(0, 256)))
            s = '.'.join(parts) + '.' + str(r.integers(2, 254))
            if s not in self.ip_ix:
                return s
        return s

    def off(self, tz, d):
        return int(self.tzoff[tz][d + 2])

    def abs_t(self, tz, d, h):
        """absolute unix ts for local hour h (float) on gen day d in tz"""
        return T0 + d * DAY + int(h * HOUR) - self.off(tz, d)

    def date(self, d):
        return START + dt.timedelta(days=d)

    # ---------------- organisation
    def build(self):
        r, N, D = self.rng, self.N, self.D
        roles = ['branch', 'contact', 'rm', 'marketing', 'admin', 'integration']
        frac = [.35, .25, .12, .08, .03, .05]
        counts = [max(m, int(round(f * N))) for f, m in zip(frac, [3, 3, 2, 2, 2, 4])]
        counts.append(max(0, N - sum(counts)))
        roles.append('occasional')
        rl = []
        for ro, c in zip(roles, counts):
            rl += [ro] * c
        rl = rl[:N]
        r.shuffle(rl)
        # networks
        self.pools = {
            'UK': [self.rand_ip(['185.23.140']) for _ in range(6)],
            'PH': [self.rand_ip(['203.177.48']) for _ in range(3)],
            'US': [self.rand_ip(['199.91.24']) for _ in range(4)],
        }
        self.new_pools = {'UK': [self.rand_ip(['91.207.56']) for _ in range(6)],
                          'PH': [self.rand_ip(['112.198.72']) for _ in range(3)]}
        self.pool_change = {'UK': 49, 'PH': 71}  # 2025-04-14 (Mon), 2025-05-06 (Tue)
        for reg, d in self.pool_change.items():
            self.benign.append(('vpn_egress_change', f'ALL_{reg}_STAFF', iso(T0 + d * DAY),
                                iso(T0 + (d + 1) * DAY - 1), f'region {reg} moves to new egress pool'))
        self.upg0 = 57  # browser rollout 2025-04-22 .. 2025-04-28
        self.benign.append(('browser_upgrade', 'ALL_STAFF', iso(T0 + self.upg0 * DAY),
                            iso(T0 + (self.upg0 + 7) * DAY - 1), 'Chrome/Edge 122->124, Firefox 123->125'))
        self.busy = {44: 'regulatory_request_day', 78: 'card_fraud_wave_day'}
        for d, k in self.busy.items():
            self.benign.append((k, 'MANY', iso(T0 + d * DAY), iso(T0 + (d + 1) * DAY - 1), 'org-wide 2-3x volume'))
        used_names = set()
        accts = []
        for i, role in enumerate(rl):
            a = type('Acct', (), {})()
            a.i, a.role = i, role
            a.start, a.end = 0, D  # active gen-day range [start, end)
            a.daymult, a.expboost, a.bulk, a.travel = {}, {}, {}, {}
            a.special = set()
            a.hist = []  # daily record totals (baseline only)
            a.hours = np.zeros(24, bool)
            a.ctx = {}
            if role == 'integration':
                self.build_integ(a, used_names)
            else:
                self.build_staff(a, used_names)
            accts.append(a)
        self.acc = accts
        self.names = [a.name for a in accts]
        self.build_episodes()
        self.build_incidents()

    def uniq(self, base, used):
        n, k = base, 1
        while n in used:
            k += 1
            n = f'{base}{k}'
        used.add(n)
        return f'{n}@{DOMAIN}'

    def build_staff(self, a, used):
        r = self.rng
        role = a.role
        a.region, a.tz = 'UK', 'Europe/London'
        if role == 'contact':
            if r.random() < .6:
                a.region, a.tz, fn, ln = 'PH', 'Asia/Manila', PH_FIRST, PH_LAST
            else:
                a.region, a.tz, fn, ln = 'US', 'America/Phoenix', US_FIRST, LAST
        else:
            fn, ln = FIRST, LAST
            if role in ('rm', 'occasional') and r.random() < .15:
                a.region, a.tz = 'US', 'America/New_York'
        a.name = self.uniq(f'{fn[r.integers(len(fn))]}.{ln[r.integers(len(ln))]}', used)
        mu, sg = ROLE_RATE[role]
        a.rate = mu * math.exp(sg * r.normal())
        a.rscale = math.exp(.5 * r.normal())
        if r.random() < .05:
            a.rscale *= (1 + r.pareto(1.5))
        ap = np.zeros(len(ACTIONS))
        for k, v in ROLE_ACT[role].items():
            ap[AI[k]] = v * r.gamma(8) / 8
        a.act_p = ap / ap.sum()
        ow = np.zeros(len(OBJECTS))
        for k, v in ROLE_OBJ[role].items():
            ow[OI[k]] = v * r.gamma(2) / 2
        a.obj_p = ow / ow.sum()
        a.med = REC_MED.copy(); a.hi = REC_HI.copy()
        for k, v in ROLE_RECMUL[role].items():
            a.med[AI[k]] *= v
        for k, v in ROLE_RECHI.get(role, {}).items():
            a.hi[AI[k]] = v
        a.med *= a.rscale
        # schedule
        a.sh = 8.0 + r.random() * 1.2 if role != 'marketing' else 8.7 + r.random() * .8
        a.eh = a.sh + 8.0 + r.random() * 1.5
        a.sat = role == 'branch' and r.random() < .5
        a.wkoff = int(r.integers(0, 5)) if a.sat else -1
        if role == 'contact':
            a.rot = r.random() < .75
            a.team = int(r.integers(0, 3))
            o = int(r.integers(0, 7))
            a.offd = {o, (o + 1) % 7}
        if role == 'occasional':
            a.dayp = .25 + .35 * r.random()
            a.sh = 9 + r.random() * 5
            a.eh = a.sh + 1 + r.random() * 2.5
        # network & client
        a.pref = int(r.integers(0, len(self.pools[a.region])))
        a.home = set()
        if role in ('rm', 'marketing', 'admin', 'occasional') and r.random() < .45:
            a.home = set(int(x) for x in r.choice(5, size=int(r.integers(1, 3)), replace=False))
            pref = {'UK': ['81', '86', '92', '109', '2.', '90.2'], 'US': ['24', '68', '98', '73']}[a.region]
            a.homeip = [self.rand_ip([p.rstrip('.') for p in pref])]
            if r.random() < .3:  # ISP reassigns address once
                a.homeip.append(self.rand_ip([p.rstrip('.') for p in pref]))
                a.homeip_sw = int(r.integers(10, 80))
            else:
                a.homeip_sw = 10 ** 6
        b = r.random()
        a.browser = 'chrome' if role == 'contact' else ('chrome' if b < .55 else 'edge' if b < .88 else 'firefox' if b < .97 else 'safari')
        a.upg = self.upg0 + int(r.integers(0, 7))
        a.mobile = role == 'rm' and r.random() < .3

    def build_integ(self, a, used):
        r = self.rng
        tags = [('corebank', 'CoreBankingSync/3.4.2 (Java/17.0.9)'), ('cards', 'TIBCO-BW/6.9.1 SalesforcePlugin/6.5'),
                ('payments', 'MuleSoft-Salesforce-Connector/10.18.0 (Mule 4.6.1)'), ('mortgage', 'Boomi-AtomSphere/24.03.1 (Salesforce Connector)'),
                ('kyc', 'Jitterbit-Harmony/11.26.0'), ('marketing-cloud', 'Workato-Connector/2.3 (salesforce)'),
                ('dwh', 'Snowflake-Connector-Salesforce/1.2'), ('telephony', 'Genesys-Cloud-CRM-Integration/1.8'),
                ('docusign', 'DocuSign-Connect/3.1'), ('fraud', 'Informatica-CloudDataIntegration/2024.05'),
                ('ledger', 'Azure-DataFactory/1.0 (SalesforceV2)'), ('ods', 'Fivetran/2024.1 salesforce-connector')]
        tag, base_cl = tags[r.integers(len(tags))]
        a.name = self.uniq(f'svc-{tag}-int', used)
        nm = a.name.split('@')[0]
        a.client = base_cl if nm == f'svc-{tag}-int' else base_cl + f' node{nm.rsplit("int", 1)[1]}'
        a.region, a.tz = 'CLOUD', 'Europe/London'
        cat = ['Transaction__c', 'Account', 'Payment__c', 'Card__c', 'Loan__c', 'Statement__c',
               'KYC_Document__c', 'Case', 'Contact', 'Interaction__c', 'AML_Alert__c', 'Credit_Score__c',
               'Call_Log__c', 'Campaign', 'Lead', 'Mortgage_Application__c']
        n = int(r.integers(1, 4))
        a.objs = [OI[o] for o in r.choice(cat, n, replace=False)]
        a.ivl = [int(r.choice([15, 20, 30, 45, 60])) * 60 for _ in a.objs]
        a.phase = [int(r.integers(0, iv)) for iv in a.ivl]
        a.omed = [math.exp(r.uniform(math.log(5), math.log(3000))) for _ in a.objs]
        a.nightly = None
        if r.random() < .7:
            a.nightly = (int(r.integers(0, 5)) * HOUR + int(r.integers(0, 4)) * 900,
                         math.exp(r.uniform(math.log(1e5), math.log(2e6))), a.objs[0])
        cp = ['3.8', '35.176', '18.130', '51.140', '20.68', '34.89', '52.56', '13.42']
        pfx = cp[r.integers(len(cp))]
        a.ips = [self.rand_ip([pfx]) for _ in range(int(r.integers(2, 5)))]
        a.release = None
        a.rate, a.rscale = 0, 1

    # ---------------- schedules
    def window(self, a, d):
        """local work window for gen day d -> (s_abs, e_abs, tz) or None (baseline activity)"""
        if (d < a.start and a.start > 0) or d >= a.end or d in a.gap:
            return None
        date = self.date(d)
        wd = date.weekday()
        tz = a.tz
        tr = a.travel.get(d)
        if tr is not None:
            tz = tr[0]
        role = a.role
        r = self.rng
        if role == 'contact':
            if wd in a.offd:
                return None
            if a.rot:
                sh = [6, 14, 22][(a.team + (d + 7) // 14) % 3]
            else:
                sh = [6, 14, 22][a.team]
            s = sh + r.normal(0, .1)
            return self.abs_t(tz, d, s), self.abs_t(tz, d, s + 8.5), tz
        if role == 'occasional':
            if wd >= 5 or (a.region == 'UK' and date in UK_HOL) or r.random() > a.dayp:
                return None
            s = a.sh + r.normal(0, 1.0)
            return self.abs_t(tz, d, s), self.abs_t(tz, d, s + (a.eh - a.sh) * r.uniform(.5, 1.5)), tz
        if a.region == 'UK' and date in UK_HOL:
            return None
        if wd == 6:
            return None
        if wd == 5:
            if not a.sat:
                return None
            s = 9 + r.normal(0, .1)
            return self.abs_t(tz, d, s), self.abs_t(tz, d, 12.5 + r.normal(0, .15)), tz
        if wd == a.wkoff:
            return None
        s = a.sh + r.normal(0, .25)
        e = a.eh + r.normal(0, .3)
        return self.abs_t(tz, d, s), self.abs_t(tz, d, e), tz

    def build_episodes(self):
        r, D = self.rng, self.D
        staff = [a for a in self.acc if a.role != 'integration']
        for a in self.acc:
            a.gap = set()
        # leave: 1-3 weeks for ~55%
        for a in staff:
            if r.random() < .55:
                L = int(r.integers(7, 22))
                s = int(r.integers(0, D - L))
                a.gap |= set(range(s, s + L))
                a.leave = (s, s + L)
        # joiners / leavers / long absence (benign dormant look-alike)
        pool = [a for a in staff]
        r.shuffle(pool)
        nj = max(1, int(.04 * len(staff)))
        nl = max(1, int(.03 * len(staff)))
        nlong = max(1, int(.015 * len(staff)))
        for a in pool[:nj]:
            a.start = int(r.integers(25, 80)); a.special.add('joiner')
            a.rate *= .6
            self.benign.append(('joiner', a.name, iso(T0 + a.start * DAY), iso(T0 + D * DAY - 1), 'account starts mid-period'))
        for a in pool[nj:nj + nl]:
            a.end = int(r.integers(30, 85)); a.special.add('leaver')
            self.benign.append(('leaver', a.name, iso(T0 + a.end * DAY), iso(T0 + D * DAY - 1), 'account stops'))
        for a in pool[nj + nl:nj + nl + nlong]:
            s = int(r.integers(22, 45)); L = int(r.integers(31, 42))
            a.gap = set(range(s, min(D, s + L))); a.special.add('longleave')
            self.benign.append(('long_leave_return', a.name, iso(T0 + s * DAY), iso(T0 + min(D, s + L) * DAY - 1),
                                'absence >=30d then normal-volume return'))
        # travel (RM/marketing/admin/occasional)
        dests = [('Europe/Madrid', ['83.45', '88.12']), ('Asia/Dubai', ['94.200', '5.194']),
                 ('Asia/Singapore', ['116.88', '8.30']), ('America/Toronto', ['142.113', '70.52']),
                 ('Europe/Lisbon', ['85.240', '94.60']), ('America/New_York', ['72.229', '108.41'])]
        for a in pool[nj + nl + nlong:]:
            if a.role in ('rm', 'marketing', 'admin', 'occasional') and r.random() < .12:
                tz, pf = dests[r.integers(len(dests))]
                if tz == a.tz:
                    continue
                s = int(r.integers(21, D - 10)); L = int(r.integers(3, 9))
                ipx = self.rand_ip(pf)
                for d in range(s, s + L):
                    a.travel[d] = (tz, ipx)
                    a.gap.discard(d)
                a.special.add('travel')
                self.benign.append(('travel', a.name, iso(T0 + s * DAY), iso(T0 + (s + L) * DAY - 1),
                                    f'works from {tz} via {ipx}'))
        # RM month/quarter end peaks (last 3 working days of Feb/Mar/Apr)
        me = {0: [2, 3, 4], 1: [31, 32, 35], 2: [63, 64, 65]}
        for a in self.acc:
            if a.role == 'rm':
                for m, ds in me.items():
                    for d in ds:
                        k = r.uniform(3, 6) * (1.3 if m == 1 else 1.0)
                        a.expboost[d] = (k, r.uniform(1, 1.5))
        for m, ds in me.items():
            self.benign.append(('month_end_peak' if m != 1 else 'quarter_end_peak', 'ALL_RM',
                                iso(T0 + ds[0] * DAY), iso(T0 + (ds[-1] + 1) * DAY - 1), 'RM report export peak'))
        # campaign weeks (marketing)
        mk = [a for a in self.acc if a.role == 'marketing']
        for w0 in (14, 42, 71):  # 2025-03-10, 2025-04-07, 2025-05-06
            if not mk:
                break
            sub = [a for a in mk if r.random() < r.uniform(.3, .6)] or [mk[0]]
            L = int(r.integers(3, 7))
            for a in sub:
                k = r.uniform(5, 20)
                s = w0 + int(r.integers(0, 2))
                for d in range(s, s + L):
                    a.expboost[d] = (k, r.uniform(1, 1.3))
            self.benign.append(('campaign_week', ';'.join(x.name for x in sub), iso(T0 + w0 * DAY),
                                iso(T0 + (w0 + L + 1) * DAY - 1), 'planned campaign list exports 5-20x'))
        # busy days
        for d, k in self.busy.items():
            for a in staff:
                if (k.startswith('reg') and a.role in ('branch', 'rm', 'admin', 'marketing', 'contact') and r.random() < .6) or \
                   (k.startswith('card') and a.role == 'contact' and r.random() < .8):
                    a.daymult[d] = r.uniform(2, 3)
                    a.expboost[d] = (r.uniform(2, 3), 1.0)
        # admin routine bulk exports (odd hours, Data Loader)
        for a in self.acc:
            if a.role == 'admin':
                for _ in range(int(r.integers(1, 5))):
                    d = int(r.integers(3, D - 2))
                    if d < a.start or d >= a.end or d in a.gap or d in a.bulk:
                        continue
                    h = float(r.choice([r.uniform(19, 23), r.uniform(5, 7), r.uniform(10, 16) if self.date(d).weekday() >= 5 else r.uniform(19, 22)]))
                    tot = math.exp(r.uniform(math.log(1e4), math.log(1e6)))
                    a.bulk[d] = (h, tot)
                    self.benign.append(('admin_bulk_export', a.name, iso(self.abs_t(a.tz, d, h)),
                                        iso(self.abs_t(a.tz, d, h + 2)), f'~{int(tot)} rows via Data Loader'))
        # integration release: one integration user starts syncing a new object set
        ints = [a for a in self.acc if a.role == 'integration']
        if ints:
            a = ints[int(r.integers(len(ints)))]
            new = [OI[o] for o in r.choice(['Consent__c', 'Address__c', 'Beneficiary__c', 'Standing_Order__c',
                                            'Direct_Debit__c', 'Savings_Account__c', 'Insurance_Policy__c', 'Tax_Residency__c'],
                                           int(r.integers(3, 7)), replace=False) if OI[o] not in a.objs]
            a.release = (int(r.integers(45, 60)), new, [int(r.choice([15, 30, 60])) * 60 for _ in new],
                         [math.exp(r.uniform(math.log(20), math.log(2000))) for _ in new])
            a.special.add('release')
            self.benign.append(('integration_release', a.name, iso(T0 + a.release[0] * DAY), iso(T0 + D * DAY - 1),
                                'starts syncing ' + ';'.join(OBJECTS[o] for o in new)))
            for b in ints:
                if b.nightly:
                    self.benign.append(('integration_nightly_job', b.name, iso(T0 + b.nightly[0]), iso(T0 + D * DAY - 1),
                                        f'daily bulk ~{int(b.nightly[1])} rows at {b.nightly[0] // 3600:02d}:{b.nightly[0] % 3600 // 60:02d}Z'))
        for a in self.acc:
            if a.role == 'contact' and a.rot:
                pass
        self.benign.append(('cc_shift_rotation', 'ALL_ROTATING_CC', iso(T0), iso(T0 + D * DAY - 1),
                            'contact-centre rosters rotate day/evening/night every 14 days'))
        self.benign.append(('dst_change', 'ALL_LONDON_STAFF', iso(T0 + 34 * DAY), iso(T0 + 35 * DAY - 1),
                            'EU DST 2025-03-30: London hours shift 1h earlier in UTC (US DST 2025-03-09 for New York staff)'))

    # ---------------- incidents
    def active_days(self, a, lo, hi):
        out = []
        for d in range(lo, hi):
            if d < a.start or d >= a.end or d in a.gap or d in a.travel:
                continue
            wd = self.date(d).weekday()
            if a.role == 'contact':
                if wd in a.offd:
                    continue
            elif a.role == 'occasional':
                if wd >= 5:
                    continue
            else:
                if wd == 6 or (wd == 5 and not a.sat) or wd == a.wkoff or (a.region == 'UK' and self.date(d) in UK_HOL):
                    continue
            out.append(d)
        return out

    def hist_ok(self, a, d, need=15):
        return len(self.active_days(a, 0, d)) >= need

    def hist_day(self, a, lo, hi):
        for _ in range(50):
            d = int(self.rng.integers(lo, hi))
            if self.hist_ok(a, d):
                return d
        return None

    def pick(self, roles, cond=None):
        r = self.rng
        c = [a for a in self.acc if a.role in roles and a.i not in self.used and not a.special
             and a.start == 0 and (cond is None or cond(a))]
        if not c:
            return None
        return c[int(r.integers(len(c)))]

    def add_inj(self, a, d, spec):
        self.inj.setdefault((a.i, d), []).append(spec)

    def build_incidents(self):
        r, K, D = self.rng, self.K, self.D
        n = 0
        def nid():
            return f'INC-{n + 1:03d}'
        hi = D - 3
        fams = ['off_hours_bulk', 'insider_business_hours', 'low_and_slow', 'dormant_return',
                'token_new_network', 'multi_account_one_ip']
        for k in range(K):
            for fam in fams:
                iid = nid()
                if fam == 'off_hours_bulk':
                    a = self.pick(('branch', 'rm', 'contact'),
                                  lambda a: a.role != 'contact' or not a.rot)
                    if a is None: continue
                    d = self.hist_day(a, 21, hi)
                    if d is None: continue
                    spec = dict(id=iid, fam=fam, dur=r.uniform(1, 3), tot=math.exp(r.uniform(math.log(1e5), math.log(1e6))),
                                ip=self.rand_ip(['159.89', '164.90', '172.105', '45.77', '51.89', '95.217', '185.156', '146.70'] if r.random() < .75 else ['41.58', '102.89', '177.37', '187.19', '36.88']),
                                client=ATTACK_CLIENTS[int(r.integers(len(ATTACK_CLIENTS)))])
                    self.ip(spec['ip'])
                    self.add_inj(a, d, spec); self.used.add(a.i)
                elif fam == 'insider_business_hours':
                    a = self.pick(('rm', 'marketing', 'branch', 'contact', 'admin'))
                    if a is None: continue
                    ds = [x for x in self.active_days(a, 21, hi) if self.hist_ok(a, x)
                          and x not in a.expboost and x not in a.daymult]
                    if not ds: continue
                    d = ds[int(r.integers(len(ds)))]
                    spec = dict(id=iid, fam=fam, m=math.exp(r.uniform(math.log(5), math.log(50))),
                                whole=r.random() < .35, hrs=r.uniform(1, 4))
                    self.add_inj(a, d, spec); self.used.add(a.i)
                elif fam == 'low_and_slow':
                    a = self.pick(('rm', 'branch', 'marketing', 'contact'))
                    if a is None: continue
                    L = int(r.integers(5, 15))
                    ds = [x for x in self.active_days(a, 21, hi) if self.hist_ok(a, x)]
                    # need L consecutive working days without a gap
                    starts = [i for i in range(len(ds) - L) if ds[i + L - 1] - ds[i] <= L * 7 // 5 + 3
                              and not any(x in a.expboost or x in a.daymult for x in ds[i:i + L])]
                    if not starts: continue
                    i0 = starts[int(r.integers(len(starts)))]
                    spec = dict(id=iid, fam=fam, m=r.uniform(2, 6), norm=None)
                    for d in ds[i0:i0 + L]:
                        self.add_inj(a, d, spec)
                    self.used.add(a.i)
                elif fam == 'dormant_return':
                    a = None
                    for _ in range(30):
                        a = self.pick(('branch', 'rm', 'marketing', 'contact'))
                        if a is None: break
                        R = int(r.integers(55, hi))
                        G = int(r.integers(30, min(48, R - 23) + 1))
                        L = R - G - 1
                        while self.date(R).weekday() >= 5 and R < hi:
                            R += 1
                        old = a.gap
                        a.gap = set(range(L + 1, R))
                        if len(self.active_days(a, 0, L + 1)) >= 15:
                            break
                        a.gap = old; a = None
                    if a is None: continue
                    a.travel = {}
                    resume = r.random() < .5
                    if not resume:
                        a.end = R
                    spec = dict(id=iid, fam=fam, m=math.exp(r.uniform(math.log(3), math.log(30))),
                                newip=r.random() < .6, newcl=r.random() < .3, inhours=r.random() < .7,
                                ip=self.rand_ip(['86', '92', '109', '45.77', '159.89', '185.220', '212.102']),
                                client=ATTACK_CLIENTS[int(r.integers(len(ATTACK_CLIENTS)))])
                    self.add_inj(a, R, spec); self.used.add(a.i)
                elif fam == 'token_new_network':
                    a = self.pick(('integration',))
                    if a is None: continue
                    d = int(r.integers(21, hi))
                    cl = a.client
                    while cl == a.client:
                        cl = ATTACK_CLIENTS[int(r.integers(len(ATTACK_CLIENTS)))] if r.random() < .7 else INTEG_CLIENTS[int(r.integers(len(INTEG_CLIENTS)))]
                    spec = dict(id=iid, fam=fam, nobj=int(r.integers(10, 41)), dur=r.uniform(1, 6),
                                tot=math.exp(r.uniform(math.log(2e5), math.log(3e6))), totmul=r.uniform(.5, 2.0),
                                ip=self.rand_ip(['159.89', '164.90', '172.105', '45.77', '51.89', '95.217', '139.59', '104.248', '209.97']),
                                client=cl)
                    self.add_inj(a, d, spec); self.used.add(a.i)
                elif fam == 'multi_account_one_ip':
                    g = int(r.integers(3, 7))
                    if r.random() < .6:
                        rset = (('branch',), ('contact',))[int(r.integers(2))]
                    else:
                        rset = ('branch', 'rm', 'occasional', 'marketing')
                    mem = []
                    for _ in range(g):
                        a = self.pick(rset)
                        if a is None: break
                        mem.append(a); self.used.add(a.i)
                    if len(mem) < 3:
                        for a in mem: self.used.discard(a.i)
                        continue
                    d = None
                    for _ in range(50):
                        d = int(r.integers(21, hi))
                        if all(self.hist_ok(a, d) for a in mem):
                            break
                    t0 = T0 + d * DAY + int(r.uniform(0, 20) * HOUR)
                    ip = self.rand_ip(['45.77', '159.89', '185.220', '193.32', '89.187', '103.152', '5.188'])
                    same = r.random() < .8
                    shared = ATTACK_CLIENTS[int(r.integers(len(ATTACK_CLIENTS)))]
                    for a in mem:
                        spec = dict(id=iid, fam=fam, t0=t0 + int(r.uniform(0, 2 * HOUR)), dur=r.uniform(.25, 1.5) * HOUR,
                                    m=r.uniform(1.5, 4), ip=ip,
                                    client=shared if same else ATTACK_CLIENTS[int(r.integers(len(ATTACK_CLIENTS)))])
                        self.add_inj(a, d, spec)
                self.incidents.append((iid, fam))
                n += 1

    # ---------------- event generation
    def staff_day(self, a, d):
        r = self.rng
        w = self.window(a, d)
        if w is None:
            return None, None
        s, e, tz = w
        L = max(e - s, 600)
        mult = a.daymult.get(d, 1.0) * math.exp(.25 * r.normal())
        n = max(1, int(r.poisson(a.rate * mult * L / (8.5 * HOUR) if a.role != 'occasional' else a.rate * mult)))
        k = 1 + int(r.poisson(L / HOUR / 2.5))
        cen = np.sort(s + r.random(k) * L * .9)
        cen[0] = s + r.random() * 600
        ses = r.integers(0, k, n)
        t = cen[ses] + np.abs(r.normal(0, 1500, n))
        act = r.choice(len(ACTIONS), n, p=a.act_p)
        eb = a.expboost.get(d)
        if eb is not None:
            ne = int(r.poisson(max(.5, n * (a.act_p[5] + a.act_p[6])) * (eb[0] - 1)))
            if ne > 0:
                te = s + r.random(ne) * L
                ae = np.where(r.random(ne) < .85, 5, 6) if a.role in ('marketing', 'rm') else np.full(ne, 5)
                t = np.concatenate([t, te]); act = np.concatenate([act, ae])
                ses = np.concatenate([ses, r.integers(0, k, ne)])
        n = len(t)
        late = t > e + 300
        t[late] = s + r.random(int(late.sum())) * L
        t = t.astype(np.int64)
        med = a.med[act]
        if eb is not None:
            med = np.where(act >= 5, med * eb[1], med)
        rec = np.exp(np.log(np.maximum(med, 1)) + REC_SIG[act] * r.normal(size=n))
        rec = np.clip(np.rint(rec), REC_LO[act], a.hi[act] * (eb[1] if eb is not None else 1)).astype(np.int64)
        obj = r.choice(len(OBJECTS), n, p=a.obj_p)
        # network
        tr = a.travel.get(d)
        if tr is not None:
            ipd = np.full(k, self.ip(tr[1]))
        elif a.home and self.date(d).weekday() in a.home:
            ipd = np.full(k, self.ip(a.homeip[0 if d < a.homeip_sw else -1]))
        else:
            pool = self.new_pools[a.region] if a.region in self.pool_change and d >= self.pool_change[a.region] else self.pools[a.region]
            ch = np.where(r.random(k) < .7, a.pref % len(pool), r.integers(0, len(pool), k))
            ipd = np.array([self.ip(pool[c]) for c in ch])
        cli = self.cl(ua(a.browser, d >= a.upg))
        cl = np.full(k, cli)
        if a.mobile and r.random() < .25:
            cl[r.random(k) < .5] = self.cl(MOBILE_UA)
        ips = ipd[ses]; cls = cl[ses]
        byt = (rec * BPR[obj] * np.exp(.2 * r.normal(size=n))).astype(np.int64) + 350
        byt[(act == 1) & (r.random(n) < .3)] = -1
        day_total = int(rec.sum())
        # logins
        lt = cen.astype(np.int64) - r.integers(1, 40, k)
        T = np.concatenate([lt, t]); Aa = np.concatenate([np.zeros(k, np.int64), act])
        Ob = np.concatenate([np.full(k, -1), obj]); Rc = np.concatenate([np.full(k, -1), rec])
        By = np.concatenate([np.full(k, -1), byt]); Ip = np.concatenate([ipd, ips]); Cl = np.concatenate([cl, cls])
        a.hours[np.unique((T % DAY) // HOUR)] = True
        ctx = dict(s=s, e=e, tz=tz, ip=int(ipd[0]), cl=int(cli), total=day_total)
        return (T, Aa, Ob, Rc, By, Ip, Cl), ctx

    def integ_day(self, a, d):
        r = self.rng
        ds = T0 + d * DAY
        objs, ivl, ph, om = list(a.objs), list(a.ivl), list(a.phase), list(a.omed)
        if a.release and d >= a.release[0]:
            objs += a.release[1]; ivl += a.release[2]; ph += [0] * len(a.release[1]); om += a.release[3]
        Ts, Os, Rs, As = [], [], [], []
        for o, iv, p, m in zip(objs, ivl, ph, om):
            t = ds + p + np.arange(0, DAY - p, iv) + r.integers(0, 90, (DAY - p + iv - 1) // iv)
            hr = ((t - ds) // HOUR)
            lam = m * np.where((hr >= 7) & (hr < 19), 1.7, .6) * np.exp(.35 * r.normal(size=len(t)))
            rec = r.poisson(lam)
            Ts.append(t); Os.append(np.full(len(t), o)); Rs.append(rec); As.append(np.full(len(t), AI['api_query']))
            nu = int(r.poisson(len(t) * .1))
            if nu:
                Ts.append(ds + r.integers(0, DAY, nu)); Os.append(np.full(nu, o)); Rs.append(r.integers(1, 50, nu))
                As.append(np.full(nu, AI['update']))
        if a.nightly:
            h, tot, o = a.nightly
            tot = tot * math.exp(.1 * r.normal())
            nb = int(math.ceil(tot / 50000))
            t = ds + h + int(r.integers(0, 120)) + np.cumsum(r.integers(30, 180, nb))
            rec = np.full(nb, int(tot / nb)) + r.integers(0, 1000, nb)
            Ts.append(t); Os.append(np.full(nb, o)); Rs.append(rec); As.append(np.full(nb, AI['bulk_api_query']))
        T = np.concatenate(Ts).astype(np.int64); O = np.concatenate(Os); R = np.concatenate(Rs).astype(np.int64)
        Aa = np.concatenate(As)
        n = len(T)
        By = (R * BPR[O] * np.exp(.15 * r.normal(size=n))).astype(np.int64) + 600
        ipl = np.array([self.ip(x) for x in a.ips])
        Ip = ipl[r.integers(0, len(ipl), n)]
        Cl = np.full(n, self.cl(a.client))
        a.hours[np.unique((T % DAY) // HOUR)] = True
        return (T, Aa, O, R, By, Ip, Cl), dict(total=int(R.sum()))

    def evening(self, a, d):
        """benign short evening session from home (checking something after hours)"""
        r = self.rng
        s = self.abs_t(a.tz, d, r.uniform(19, 22.5))
        n = int(r.integers(3, 16))
        t = s + np.sort(r.integers(0, int(r.uniform(600, 2700)), n))
        A_ = r.choice([AI['view'], AI['query'], AI['list_view'], AI['report_export']], n, p=[.5, .3, .15, .05])
        O_ = r.choice(len(OBJECTS), n, p=a.obj_p)
        rec = np.clip(np.rint(np.exp(np.log(np.maximum(a.med[A_], 1)) + REC_SIG[A_] * r.normal(size=n))), REC_LO[A_], a.hi[A_])
        ip = self.ip(a.homeip[0 if d < a.homeip_sw else -1])
        ev = self.pack(t, A_, O_, rec.astype(np.int64), ip, self.cl(ua(a.browser, d >= a.upg)), login=True)
        a.hours[np.unique((ev[0] % DAY) // HOUR)] = True
        return ev

    def admin_bulk(self, a, d):
        r = self.rng
        h, tot = a.bulk[d]
        s = self.abs_t(a.tz, d, h)
        nb = max(2, int(tot / r.uniform(1e4, 5e4)))
        t = s + np.cumsum(r.integers(20, 240, nb))
        rec = np.maximum(1, (tot / nb * np.exp(.2 * r.normal(size=nb)))).astype(np.int64)
        objs = np.array([OI[o] for o in r.choice(['Account', 'Contact', 'Case', 'User', 'Transaction__c', 'Product__c'], 2)])
        O = objs[r.integers(0, 2, nb)]
        pool = self.new_pools[a.region] if a.region in self.pool_change and d >= self.pool_change[a.region] else self.pools[a.region]
        ip = self.ip(pool[a.pref % len(pool)]) if not a.home or r.random() < .5 else self.ip(a.homeip[0])
        T = np.concatenate([[s - 30], t]); Aa = np.concatenate([[0], np.full(nb, AI['bulk_api_query'])])
        Ob = np.concatenate([[-1], O]); Rc = np.concatenate([[-1], rec])
        By = np.concatenate([[-1], (rec * BPR[O]).astype(np.int64)])
        Ip = np.full(nb + 1, ip); Cl = np.full(nb + 1, self.cl(ADMIN_DL))
        return (T.astype(np.int64), Aa, Ob, Rc, By, Ip, Cl)

    def norm(self, a):
        h = np.array(a.hist[-60:], float) if a.hist else np.array([100.0])
        return float(np.median(h)), float(h.max())

    def split(self, tot, n):
        w = self.rng.dirichlet(np.full(n, 2.0))
        return np.maximum(1, np.rint(w * tot)).astype(np.int64)

    def inject(self, a, d, spec, ctx):
        r = self.rng
        fam = spec['fam']
        typ, mx = self.norm(a)
        if ctx is None and fam in ('insider_business_hours', 'low_and_slow'):
            pool = self.new_pools[a.region] if a.region in self.pool_change and d >= self.pool_change[a.region] else self.pools[a.region]
            ctx = dict(s=self.abs_t(a.tz, d, a.sh), e=self.abs_t(a.tz, d, a.eh), ip=self.ip(pool[a.pref % len(pool)]),
                       cl=self.cl(ua(a.browser, d >= a.upg)), total=0)
        if fam == 'off_hours_bulk':
            hrs = a.hours.copy()
            dur = spec['dur']
            need = int(math.ceil(dur)) + 2
            best = None
            ok = [h0 for h0 in range(24) if not any(hrs[(h0 + j) % 24] for j in range(need))]
            if ok:
                best = ok[int(r.integers(len(ok)))]
            if best is None:
                free = [h for h in range(24) if not hrs[h]]
                best = free[0] - 1 if free else 2
            s = T0 + d * DAY + (best + 1) * HOUR + int(r.uniform(0, max(0, need - 2 - dur) * HOUR + 600))
            n = int(r.integers(20, 150))
            t = s + np.sort(r.integers(0, int(dur * HOUR), n))
            rec = self.split(spec['tot'], n)
            c = spec['client']
            acts = [AI['api_query'], AI['query']] if 'Data' not in c and 'sfdx' not in c else [AI['bulk_api_query'], AI['data_export']]
            if 'Mozilla' in c:
                acts = [AI['report_export'], AI['data_export']]
            objs = np.array([OI[o] for o in r.choice(['Contact', 'Account', 'Transaction__c', 'KYC_Document__c', 'Loan__c',
                                                       'Card__c', 'Payment__c', 'Case', 'Beneficiary__c'], int(r.integers(2, 7)), replace=False)])
            A_ = np.array(acts)[r.integers(0, len(acts), n)]; O_ = objs[r.integers(0, len(objs), n)]
            ip = self.ip(spec['ip']); cl = self.cl(c)
            return self.pack(t, A_, O_, rec, ip, cl, login=True)
        if fam == 'insider_business_hours':
            tot = spec['m'] * max(mx, 50)
            s, e = ctx['s'], ctx['e']
            if not spec['whole']:
                L = min(spec['hrs'] * HOUR, e - s - 60)
                s = s + r.uniform(0, max(1, e - s - L)); e = s + L
            n = int(r.integers(5, 60))
            t = (s + np.sort(r.random(n)) * (e - s)).astype(np.int64)
            rec = self.split(tot, n)
            A_ = np.where(r.random(n) < .6, AI['report_export'], AI['data_export'])
            O_ = r.choice(len(OBJECTS), n, p=a.obj_p)
            return self.pack(t, A_, O_, rec, ctx['ip'], ctx['cl'])
        if fam == 'low_and_slow':
            if spec['norm'] is None:
                spec['norm'] = typ
            extra = (spec['m'] * math.exp(.15 * r.normal()) - 1) * spec['norm']
            per = max(5.0, float(np.median(a.med[[2, 3, 5]])) * 2)
            n = int(np.clip(extra / per, 5, max(10, 2.5 * a.rate)))
            s, e = ctx['s'], ctx['e']
            t = (s + r.random(n) * (e - s)).astype(np.int64)
            rec = self.split(extra, n)
            A_ = np.array([AI['query'], AI['list_view'], AI['report_export']])[r.integers(0, 3, n)]
            O_ = r.choice(len(OBJECTS), n, p=a.obj_p)
            return self.pack(t, A_, O_, rec, ctx['ip'], ctx['cl'])
        if fam == 'dormant_return':
            tot = spec['m'] * max(mx, 50)
            if spec['inhours']:
                h = a.sh + r.uniform(0, 5) if a.role != 'contact' else [6, 14, 22][a.team] + r.uniform(0, 5)
            else:
                h = r.uniform(18, 23)
            s = self.abs_t(a.tz, d, h)
            n = int(r.integers(10, 80))
            t = s + np.sort(r.integers(0, int(r.uniform(1, 3) * HOUR), n))
            rec = self.split(tot, n)
            A_ = np.array([AI['report_export'], AI['data_export'], AI['query']])[r.integers(0, 3, n)]
            O_ = r.choice(len(OBJECTS), n, p=a.obj_p)
            if spec['newip']:
                ip = self.ip(spec['ip'])
            elif ctx:
                ip = ctx['ip']
            else:
                pool = self.new_pools[a.region] if a.region in self.pool_change and d >= self.pool_change[a.region] else self.pools[a.region]
                ip = self.ip(pool[a.pref % len(pool)])
            cl = self.cl(spec['client']) if spec['newcl'] else self.cl(ua(a.browser, d >= a.upg))
            return self.pack(t, A_, O_, rec, ip, cl, login=True)
        if fam == 'token_new_network':
            s = T0 + d * DAY + int(r.uniform(0, 23) * HOUR)
            dur = min(spec['dur'] * HOUR, T0 + (d + 1) * DAY + 6 * HOUR - s)
            others = [i for i in range(len(OBJECTS)) if i not in a.objs]
            objs = np.array(list(a.objs) + list(r.choice(others, spec['nobj'] - len(a.objs), replace=False)))
            per = r.integers(1, 7, len(objs))
            O_ = np.repeat(objs, per); n = len(O_)
            r.shuffle(O_)
            t = s + np.sort(r.integers(0, int(dur), n))
            rec = self.split(max(spec['tot'], spec['totmul'] * typ), n)
            A_ = np.array([AI['api_query'], AI['bulk_api_query'], AI['query']])[r.integers(0, 3, n)]
            return self.pack(t, A_, O_, rec, self.ip(spec['ip']), self.cl(spec['client']))
        if fam == 'multi_account_one_ip':
            m = spec['m']
            tot = (max(.5, m - 1) if ctx else m) * max(typ, 30)
            n = int(r.integers(5, 30))
            t = spec['t0'] + np.sort(r.integers(0, int(spec['dur']), n))
            rec = self.split(tot, n)
            A_ = np.array([AI['query'], AI['report_export'], AI['list_view'], AI['api_query']])[r.integers(0, 4, n)]
            O_ = r.choice(len(OBJECTS), n, p=a.obj_p)
            return self.pack(t, A_, O_, rec, self.ip(spec['ip']), self.cl(spec['client']), login=True)
        raise ValueError(fam)

    def pack(self, t, A_, O_, rec, ip, cl, login=False):
        t = np.asarray(t, np.int64); n = len(t)
        rec = np.asarray(rec, np.int64); O_ = np.asarray(O_, np.int64)
        byt = (rec * BPR[O_] * np.exp(.15 * self.rng.normal(size=n))).astype(np.int64) + 500
        A_ = np.asarray(A_, np.int64)
        if login:
            t = np.concatenate([[t[0] - int(self.rng.integers(5, 60))], t])
            A_ = np.concatenate([[0], A_]); O_ = np.concatenate([[-1], O_])
            rec = np.concatenate([[-1], rec]); byt = np.concatenate([[-1], byt])
            n += 1
        return (t, A_, O_, rec, byt, np.full(n, ip), np.full(n, cl))

    # ---------------- output
    def run(self):
        t_start = time.time()
        os.makedirs(os.path.join(self.out, 'logs'), exist_ok=True)
        self.build()
        hms = [f'{h:02d}:{m:02d}:{s:02d}' for h in range(24) for m in range(60) for s in range(60)]
        act_s = ACTIONS
        obj_s = OBJECTS + ['']  # index -1 -> ''
        acc_s = self.names
        f = open(os.path.join(self.out, 'logs', 'events.csv'), 'w', newline='')
        f.write('timestamp,account,action,object,records,bytes,src_ip,client\n')
        buckets = {}
        self.rows = 0
        self.aad = 0
        lo, hi = T0, T0 + self.D * DAY

        def quoted(lst):
            out = []
            for x in lst:
                b = io.StringIO(); csv.writer(b, lineterminator='').writerow([x]); out.append(b.getvalue())
            return out

        def flush(u):
            parts = buckets.pop(u, None)
            if not parts:
                return
            cols = [np.concatenate([p[j] for p in parts]) for j in range(8)]
            order = np.argsort(cols[0], kind='stable')
            cols = [c[order] for c in cols]
            T, Ac, Aa, Ob, Rc, By, Ip, Cl = cols
            self.aad += len(np.unique(Ac))
            ip_s = self.ips; cl_s = quoted(self.clients)
            dpre = (START + dt.timedelta(days=u)).isoformat() + 'T'
            sec = (T - (T0 + u * DAY)).tolist()
            rs = ['' if x < 0 else str(x) for x in Rc.tolist()]
            bs = ['' if x < 0 else str(x) for x in By.tolist()]
            lines = [f'{dpre}{hms[s]}Z,{acc_s[a]},{act_s[c]},{obj_s[o]},{r_},{b_},{ip_s[i]},{cl_s[k]}\n'
                     for s, a, c, o, r_, b_, i, k in zip(sec, Ac.tolist(), Aa.tolist(), Ob.tolist(), rs, bs,
                                                         Ip.tolist(), Cl.tolist())]
            f.write(''.join(lines))
            self.rows += len(lines)

        def put(ev, ai, inc=None):
            T = ev[0]
            keep = (T >= lo) & (T < hi)
            if not keep.all():
                ev = tuple(x[keep] for x in ev); T = ev[0]
            if len(T) == 0:
                return
            if inc is not None:
                key = (inc[0], ai)
                mal = T
                cur = self.labels.get(key)
                mn, mx = int(mal.min()), int(mal.max())
                self.labels[key] = [inc[1], mn if cur is None else min(cur[1], mn), mx if cur is None else max(cur[2], mx)]
            U = (T - T0) // DAY
            for u in np.unique(U):
                m = U == u
                buckets.setdefault(int(u), []).append((T[m], np.full(int(m.sum()), ai, np.int64)) + tuple(x[m] for x in ev[1:]))

        for d in range(-1, self.D):
            for a in self.acc:
                if a.role == 'integration':
                    ev, ctx = (self.integ_day(a, d)) if d >= 0 else (None, None)
                else:
                    ev, ctx = self.staff_day(a, d)
                if ev is not None:
                    put(ev, a.i)
                    a.hist.append(ctx['total'])
                if ev is not None and a.role in ('rm', 'marketing', 'admin') and a.home and self.rng.random() < .06 \
                        and d not in a.travel and self.date(d).weekday() < 5:
                    ev2 = self.evening(a, d)
                    put(ev2, a.i)
                    a.hist[-1] += int(ev2[3][ev2[3] > 0].sum())
                if d in a.bulk:
                    put(self.admin_bulk(a, d), a.i)
                for spec in self.inj.get((a.i, d), ()):
                    put(self.inject(a, d, spec, ctx), a.i, (spec['id'], spec['fam']))
            for u in [u for u in buckets if u <= d - 2]:
                flush(u)
            if d % 10 == 0:
                print(f'day {d} rows {self.rows} {time.time() - t_start:.1f}s', file=sys.stderr)
        for u in sorted(buckets):
            flush(u)
        f.close()
        # labels
        with open(os.path.join(self.out, 'labels.csv'), 'w', newline='') as g:
            w = csv.writer(g, lineterminator='\n')
            w.writerow(['incident_id', 'family', 'account', 'start', 'end', 'source'])
            for (iid, ai), (fam, mn, mx) in sorted(self.labels.items()):
                w.writerow([iid, fam, self.names[ai], iso(mn), iso(mx), 'generic'])
        with open(os.path.join(self.out, 'benign.csv'), 'w', newline='') as g:
            w = csv.writer(g, lineterminator='\n')
            w.writerow(['kind', 'accounts', 'start', 'end', 'note'])
            for row in self.benign:
                w.writerow(row)
        with open(os.path.join(self.out, 'tenant.json'), 'w') as g:
            json.dump({'active_account_days': int(self.aad), 'accounts': self.N, 'days': self.D, 'seed': self.seed}, g)
            g.write('\n')
        print(f'done rows={self.rows} aad={self.aad} labels={len(self.labels)} incidents={len(self.incidents)} '
              f'{time.time() - t_start:.1f}s', file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--accounts', type=int, default=1000)
    p.add_argument('--per-family', type=int, default=8)
    p.add_argument('--days', type=int, default=91)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    Gen(a.seed, a.accounts, a.per_family, a.days, a.out).run()


if __name__ == '__main__':
    main()
