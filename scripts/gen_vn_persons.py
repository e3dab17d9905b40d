#!/usr/bin/env python3
"""Synthetic Vietnamese person records with ground truth, for evaluating record matching.

Two modes.

Two agencies (default). Each person is drawn from common Vietnamese family, middle and given
names, a birth date, a mobile number and a commune code. Each agency file holds a share of the
persons; a person held by both is written differently by each, with the corruptions seen between
agencies: diacritics dropped or upper case, the middle name left out, day and month of birth
swapped, the old 11-digit mobile number (before the 2018 renumbering) instead of the 10-digit one,
a typo in the name, a missing phone, the code of a commune merged on 2025-07-01 instead of the code
of the commune it became (from catalogs/data/vn_admin_2025_conversion_dvhcvn.csv, full merges
only). The column `person` is the ground truth (never used by the matcher).

    scripts/gen_vn_persons.py --persons 2000 --seed 1 --out DIR
writes DIR/health.csv (key ma_bn) and DIR/education.csv (key ma_hs).

Citizen registry (--registry). Persons live in households of 1 to 6 (mean about 3.2) in the
wards of Đà Nẵng: a couple (the wife keeps her own family name), children with the father's
family name, siblings often sharing a middle name (Văn for the boys and Thị for the girls, or one
such as Minh for all), sometimes a grandparent or a single mother; about 1% of the households
have twins (same birth date, same family and mostly the same middle name). Household members
share the address, the commune, mostly the ethnic group, and often a contact phone. Each person
has a 12-digit CCCD (birth province, century and sex digit, year of birth, 6 digits) and, if born
before about 2005, possibly an old 9-digit CMND. Each person is held by 1 to 6 agencies, one
record each: cong_an (residence database, about 95% of the persons, almost clean), bhxh (adults),
y_te, ho_tich, noi_vu (aged 15 and over), giao_duc (born 1996-2021), so the file has about three
records per person. The records of the other agencies carry 1 to 3 corruptions each: diacritics
stripped, upper case, middle name dropped, name written given + middle + family, a one-character
typo or the old tone placement (Hoà for Hòa), day and month swapped, year of birth only, a digit
typo in the date, the CMND instead of the CCCD, the CCCD with its leading zero lost (as a
spreadsheet does), or missing, or with a digit typo, the old 11-digit mobile number, no phone, a
parent's or household phone instead of the person's own (children at school mostly), the pre-2025
commune code, the address abbreviated or missing, sex or ethnic group missing. Rows are shuffled;
the output is the same for the same seed.

    scripts/gen_vn_persons.py --registry --persons 7000 --seed 1 --out DIR
writes DIR/registry.csv with the columns
id,nguon,ho_ten,ngay_sinh,gioi_tinh,so_cccd,ma_dan_toc,dia_chi,ma_xa,so_dien_thoai,person
(id: agency prefix and number; ngay_sinh dd/mm/yyyy or yyyy; ma_dan_toc: codes of Decision
121-TCTK/PPCĐ of 1979, catalogs/data/vn_ethnic_groups.csv; person: the ground truth) and prints
the number of records, persons and true pairs (sum over persons of k(k-1)/2 for k records).
"""
import argparse
import csv
import os
import random
import sys
import unicodedata

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
FAMILY_WEIGHTS = [38, 11, 9.5, 7, 5, 5, 4.5, 3.9, 3.9, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Hoài", "Thu", "Gia", "Bảo", "Khánh"]
GIVEN = ["An", "Anh", "Bình", "Châu", "Chi", "Cường", "Dũng", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hoa",
         "Hùng", "Hương", "Huy", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Nhung", "Phong", "Phúc",
         "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tuấn", "Vân", "Việt", "Yến"]
# 2018 renumbering: old 11-digit prefix -> new 10-digit prefix (a few Viettel/Vinaphone/Mobifone).
OLD_PREFIX = {"086": None, "096": None, "097": None, "098": None, "032": "0162", "033": "0163", "034": "0164",
              "070": "0120", "079": "0121", "077": "0122", "083": "0123", "084": "0124", "081": "0127"}
# Communes of Đà Nẵng since 2025-07-01 and codes of the communes merged whole into each of them.
COMMUNES = {"20194": ["20195", "20293"], "20200": ["20198", "20302"], "20209": ["20206", "20207", "20215", "20218"],
            "20242": ["20227", "20230", "20233", "20236"], "20257": ["20245", "20254", "20258"], "20260": ["20311", "20312"],
            "20263": ["20266", "20269"], "20275": ["20272", "20278"], "20285": ["20284", "20287", "20290"],
            "20305": ["20224", "20306"]}


def strip_marks(s):
    s = s.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def person(rng, i):
    family = rng.choices(FAMILY, FAMILY_WEIGHTS)[0]
    middle = rng.choice(MIDDLE)
    given = rng.choice(GIVEN)
    y, m, d = rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28)
    prefix = rng.choice(list(OLD_PREFIX))
    phone = prefix + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return {"person": f"p{i:06d}", "family": family, "middle": middle, "given": given, "y": y, "m": m, "d": d,
            "phone": phone, "ma_xa": rng.choice(sorted(COMMUNES))}


def render(rng, p, corrupt):
    name = f"{p['family']} {p['middle']} {p['given']}"
    y, m, d = p["y"], p["m"], p["d"]
    phone = p["phone"]
    commune = p["ma_xa"]
    if corrupt:
        for _ in range(rng.choice([1, 1, 2])):
            kind = rng.choice(["marks", "upper", "middle", "swap", "oldphone", "typo", "nophone", "oldcommune"])
            if kind == "marks":
                name = strip_marks(name)
            elif kind == "upper":
                name = name.upper()
            elif kind == "middle":
                name = f"{p['family']} {p['given']}"
            elif kind == "swap" and d <= 12:
                m, d = d, m
            elif kind == "oldphone" and len(phone) == 10 and OLD_PREFIX.get(phone[:3]):
                phone = OLD_PREFIX[phone[:3]] + phone[3:]
            elif kind == "typo":
                i = rng.randrange(len(name))
                name = name[:i] + name[i + 1:] if name[i] != " " else name
            elif kind == "nophone":
                phone = ""
            elif kind == "oldcommune":
                commune = rng.choice(COMMUNES[p["ma_xa"]])
    return {"person": p["person"], "ho_ten": name, "ngay_sinh": f"{d:02d}/{m:02d}/{y}", "so_dien_thoai": phone, "ma_xa": commune}


# ---------------------------------------------------------------------------------------------
# Citizen registry (--registry).

REF_YEAR = 2025
AGENCIES = ["cong_an", "bhxh", "y_te", "ho_tich", "noi_vu", "giao_duc"]
AGENCY_PREFIX = ["CA", "BH", "YT", "HT", "NV", "GD"]
# Family names: the weights above, then less common and compound ones.
REG_FAMILY = FAMILY + ["Trương", "Đinh", "Lâm", "Mai", "Đoàn", "Lương", "Trịnh", "Hà", "Cao", "Tô", "Châu", "Thái",
                       "Tạ", "Lưu", "Văn", "Quách", "Triệu", "La", "Kiều", "Từ", "Lại", "Tôn Thất", "Nguyễn Phúc",
                       "Âu Dương"]
# Nguyễn is raised from the weight above so that it is about 38% of all persons, the ethnic minorities included.
REG_FAMILY_WEIGHTS = [52] + FAMILY_WEIGHTS[1:] + [0.8, 0.7, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.3, 0.3, 0.3, 0.2,
                                                  0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.08, 0.04, 0.02]
# A daughter of the Tôn Thất family is written Tôn Nữ.
FEMALE_FAMILY = {"Tôn Thất": "Tôn Nữ"}
# Given names by sex, most common first.
MALE_GIVEN = ["Minh", "Huy", "Anh", "Hoàng", "Nam", "Tuấn", "Dũng", "Hùng", "Khoa", "Long", "Quân", "Phúc", "Đức",
              "Hải", "Cường", "Thắng", "Trung", "Sơn", "Việt", "Hiếu", "Phong", "Quang", "Bình", "Thành", "Tùng",
              "Tâm", "Toàn", "Tài", "Trí", "Khang", "Khải", "Kiên", "Lâm", "Lộc", "Nghĩa", "Nhân", "Phát", "Tân",
              "Thái", "Thiện", "Thịnh", "Tiến", "Vinh", "Vũ", "Bảo", "Đạt", "Duy", "Hưng", "Kiệt", "Hậu", "Hòa",
              "Sang", "Tú", "Thông", "Thuận", "Lợi", "Định", "Châu", "Khánh", "Luân", "Nguyên", "Quý", "Hiển",
              "Tín", "Đông", "An"]
FEMALE_GIVEN = ["Linh", "Anh", "Trang", "Hương", "Ngọc", "Lan", "Mai", "Hà", "Thảo", "Hoa", "Hạnh", "Nhung", "Yến",
                "Vân", "Thủy", "Dung", "Chi", "Châu", "Giang", "Hằng", "Hiền", "Hồng", "Huyền", "Liên", "Loan", "Ly",
                "My", "Nga", "Ngân", "Nhi", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm", "Thanh", "Thu", "Thúy", "Thư",
                "Tiên", "Trâm", "Trinh", "Tuyết", "Uyên", "Vy", "Xuân", "Hân", "Hoài", "Diệp", "Diễm", "Đào",
                "Khánh", "Kim", "Lệ", "Như", "Nguyệt", "Phượng", "Sương", "Thắm", "Trúc", "Ánh", "Bích", "Duyên",
                "Hòa", "An", "Hậu"]
# Middle names by sex with weights; "" is no middle name. Văn and Thị are weighted by era below.
MALE_MIDDLE = [("Văn", 30), ("Minh", 8), ("Đức", 6), ("Hữu", 5), ("Quốc", 4), ("Công", 4), ("Thanh", 4),
               ("Quang", 4), ("Đình", 4), ("Xuân", 3), ("Gia", 3), ("Bảo", 3), ("Hoàng", 3), ("Ngọc", 3),
               ("Anh", 3), ("Tấn", 2), ("Phước", 2), ("Trọng", 2), ("Duy", 2), ("Thành", 2), ("Nhật", 2),
               ("Tuấn", 2), ("Đăng", 1), ("Văn Minh", 1), ("Văn Đức", 0.6), ("Hữu Minh", 0.4), ("Minh Đức", 0.4),
               ("Quang Minh", 0.4), ("", 1.5)]
FEMALE_MIDDLE = [("Thị", 40), ("Ngọc", 6), ("Thu", 4), ("Thanh", 4), ("Minh", 4), ("Hồng", 3), ("Thùy", 3),
                 ("Phương", 3), ("Kim", 3), ("Mỹ", 2), ("Bảo", 2), ("Khánh", 2), ("Hoài", 2), ("Quỳnh", 2),
                 ("Bích", 2), ("Xuân", 2), ("Diệu", 1), ("Lệ", 1), ("Gia", 1), ("Thị Thu", 2), ("Thị Ngọc", 2),
                 ("Thị Thanh", 1.5), ("Thị Kim", 1.5), ("Thị Mỹ", 1), ("Thị Hồng", 1), ("Thị Bích", 1),
                 ("Ngọc Bảo", 0.5), ("", 1.5)]
# A middle name siblings of both sexes may share.
SHARED_MIDDLE = ["Minh", "Gia", "Bảo", "Ngọc", "Thanh", "Khánh", "Hoàng", "Anh", "Xuân", "Hải", "Nhật", "Phương",
                 "Thiên", "An"]
# Ethnic groups other than Kinh (01), codes of Decision 121-TCTK/PPCĐ (1979), weighted roughly by their share of
# the population (Cơ-tu raised: it lives in the west of Đà Nẵng).
ETHNIC = {"02": 1.9, "03": 1.9, "06": 1.5, "08": 1.5, "05": 1.4, "07": 1.1, "09": 0.9, "04": 0.8, "10": 0.6,
          "12": 0.4, "13": 0.3, "26": 0.6, "14": 0.2, "17": 0.2, "19": 0.15, "27": 0.1, "30": 0.1}
# Common family names of some groups (the others use REG_FAMILY).
ETHNIC_FAMILY = {
    "02": ["Hoàng", "Nông", "Lục", "Đàm", "Ma", "Lương", "Hà", "Triệu"],  # Tày
    "03": ["Lò", "Lường", "Cầm", "Quàng", "Vi", "Lữ", "Hà"],  # Thái
    "04": ["Lâm", "Lý", "Trương", "Quách", "Hứa", "Mã", "Lưu", "Tạ", "Diệp", "Tăng"],  # Hoa
    "05": ["Thạch", "Danh", "Sơn", "Kim", "Lâm", "Chau"],  # Khơ-me
    "06": ["Bùi", "Đinh", "Quách", "Hà", "Xa"],  # Mường
    "07": ["Hoàng", "Nông", "Lý", "Lục", "Vi"],  # Nùng
    "08": ["Giàng", "Vàng", "Thào", "Sùng", "Mùa", "Hạng", "Lầu", "Lý"],  # Hmông
    "09": ["Bàn", "Triệu", "Đặng", "Lý", "Chảo"],  # Dao
    "10": ["Ksor", "Siu", "Rơ Châm", "Rahlan", "Nay"],  # Gia-rai
    "12": ["Niê", "Ayun", "Êban", "Mlô", "Byă"],  # Ê-đê
    "26": ["Alăng", "Bhling", "Clâu", "Zơrâm", "Pơloong", "Briu", "Coor", "Ating"],  # Cơ-tu
}
# CCCD birth-province codes of persons who moved to Đà Nẵng, weighted (048 Đà Nẵng, 049 Quảng Nam, ...).
BIRTH_PROVINCE = {"048": 62, "049": 14, "046": 5, "051": 4, "052": 2, "045": 2, "044": 2, "042": 2, "040": 2,
                  "038": 1.5, "001": 1.5, "079": 1.5, "066": 1, "064": 1}
CMND_PREFIX = {"048": "201", "049": "205"}
STREETS = ["Lê Lợi", "Trần Phú", "Nguyễn Văn Linh", "Hùng Vương", "Phan Châu Trinh", "Điện Biên Phủ", "Hoàng Diệu",
           "Ông Ích Khiêm", "Lê Duẩn", "Nguyễn Tri Phương", "Hàm Nghi", "Núi Thành", "Tôn Đức Thắng",
           "Nguyễn Lương Bằng", "Ngũ Hành Sơn", "Lê Văn Hiến", "Trường Chinh", "Âu Cơ", "Phạm Văn Đồng",
           "Võ Nguyên Giáp", "2 Tháng 9", "Nguyễn Hữu Thọ", "Cách Mạng Tháng Tám", "Ông Ích Đường", "Hải Phòng",
           "Quang Trung", "Lý Thái Tổ", "Nguyễn Chí Thanh", "Bạch Đằng", "Yên Bái", "Thái Phiên", "Hoàng Hoa Thám",
           "Trưng Nữ Vương", "Duy Tân", "Huỳnh Thúc Kháng", "Nguyễn Sinh Sắc", "Tô Hiệu", "Hà Huy Tập",
           "Lê Trọng Tấn", "Nguyễn Văn Thoại"]
# Villages of the two rural communes merged in 2025 (Hòa Bắc, Hòa Sơn); Cơ-tu households live in the first two.
VILLAGES = {"20293": ["Tà Lang", "Giàn Bí", "Nam Yên", "Phò Nam", "Lộc Mỹ", "An Định", "Nam Mỹ", "Phú Túc"],
            "20302": ["An Ngãi Tây 1", "An Ngãi Tây 2", "An Ngãi Tây 3", "An Ngãi Đông", "Phú Thượng", "Đại La",
                      "Xuân Phú", "Phú Sơn"]}
HOUSEHOLD_SIZE = [0.13, 0.21, 0.22, 0.26, 0.12, 0.06]  # 1..6 persons, mean about 3.2
TWINS = 0.025  # share of households with two children or more that have twins
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

# Corruption kinds in the order they are drawn (a kind drawn earlier can make a later one moot), and the share of
# the records of each agency showing it. cong_an records are almost clean; the others have 1 to 3 each.
KINDS = ["marks", "upper", "middle", "reversed", "typo", "tone", "yearonly", "swap", "datetypo", "nocccd", "cmnd",
         "excel", "cccdtypo", "nophone", "hhphone", "oldphone", "oldcommune", "noaddr", "abbr", "nosex", "noeth"]
BASE_RATES = {"marks": 0.20, "upper": 0.10, "middle": 0.08, "reversed": 0.03, "typo": 0.05, "tone": 0.03,
              "yearonly": 0.05, "swap": 0.04, "datetypo": 0.02, "nocccd": 0.10, "cmnd": 0.15, "excel": 0.08,
              "cccdtypo": 0.01, "nophone": 0.20, "hhphone": 0.05, "oldphone": 0.07, "oldcommune": 0.10,
              "noaddr": 0.03, "abbr": 0.07, "nosex": 0.05, "noeth": 0.03}
AGENCY_RATES = {
    "cong_an": {"marks": 0, "upper": 0.02, "middle": 0, "reversed": 0, "typo": 0.005, "tone": 0.01,
                "yearonly": 0.005, "swap": 0.003, "datetypo": 0.002, "nocccd": 0, "cmnd": 0, "excel": 0.01,
                "cccdtypo": 0.001, "nophone": 0.25, "hhphone": 0.03, "oldphone": 0.01, "oldcommune": 0.01,
                "noaddr": 0, "abbr": 0.02, "nosex": 0, "noeth": 0},
    "bhxh": {"yearonly": 0.04, "cmnd": 0.25, "hhphone": 0.03},
    "y_te": {"hhphone": 0.10},
    "ho_tich": {"yearonly": 0.12, "cmnd": 0.30, "nocccd": 0.15, "nophone": 0.30, "hhphone": 0.10, "abbr": 0.12},
    "noi_vu": {"yearonly": 0.08, "cmnd": 0.20},
    "giao_duc": {"yearonly": 0.01, "nocccd": 0.12, "cmnd": 0.10, "hhphone": 0.10},
}
# giao_duc: share of the records of a pupil under 18 having a phone of its own that carry a parent's phone instead.
MINOR_SCHOOL_PARENT_PHONE = 0.75


def _nfc(s):
    return unicodedata.normalize("NFC", s)


def days_in_month(y, m):
    return 29 if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else DAYS[m - 1]


class Person:
    __slots__ = ("i", "fam", "mid", "giv", "sex", "y", "m", "d", "cccd", "cmnd", "eth", "hh", "phone", "alt",
                 "prov", "role", "agencies")


def _cum(weights):
    out, t = [], 0.0
    for w in weights:
        t += w
        out.append(t)
    return out


def wife_weights(weights):
    """Weights for the wife's family name such that, drawn again until it differs from the husband's, wives
    have the same distribution of family names as husbands."""
    t = sum(weights)
    p = [w / t for w in weights]
    q = p[:]
    for _ in range(200):
        s = sum(ph / (1 - qh) for ph, qh in zip(p, q))
        q = [pf / (s - pf / (1 - qf)) for pf, qf in zip(p, q)]
        t = sum(q)
        q = [x / t for x in q]
    return q


class Names:
    """Weighted draws of names (cumulative weights computed once)."""

    def __init__(self):
        self.family = [_nfc(f) for f in REG_FAMILY]
        self.family_cum = _cum(REG_FAMILY_WEIGHTS)
        self.wife_cum = _cum(wife_weights(REG_FAMILY_WEIGHTS))
        self.given = {}
        for sex, names in ((0, MALE_GIVEN), (1, FEMALE_GIVEN)):
            names = [_nfc(n) for n in names]
            self.given[sex] = (names, _cum([1 / (i + 4) for i in range(len(names))]))
        self.middle = {}
        for sex, table in ((0, MALE_MIDDLE), (1, FEMALE_MIDDLE)):
            names = [_nfc(n) for n, _ in table]
            for era, factor in ((0, 1.6), (1, 1.0), (2, 0.35)):  # born before 1975, 1975-1989, 1990 and after
                w = [wt * factor if n.split(" ")[0] in ("Văn", "Thị") else wt for n, wt in table]
                self.middle[(sex, era)] = (names, _cum(w))
        self.eth = list(ETHNIC)
        self.eth_cum = _cum(list(ETHNIC.values()))
        self.eth_family = {k: [_nfc(f) for f in v] for k, v in ETHNIC_FAMILY.items()}
        self.prov = list(BIRTH_PROVINCE)
        self.prov_cum = _cum(list(BIRTH_PROVINCE.values()))

    def fam(self, rng, eth, sex, wife=False):
        lst = self.eth_family.get(eth)
        f = rng.choice(lst) if lst else rng.choices(self.family, cum_weights=self.wife_cum if wife else
                                                    self.family_cum)[0]
        return FEMALE_FAMILY.get(f, f) if sex else f

    def mid(self, rng, sex, y, eth):
        if eth == "08" and sex == 0 and rng.random() < 0.7:
            return "A"  # Hmông men: Giàng A Páo
        names, cum = self.middle[(sex, 0 if y < 1975 else 1 if y < 1990 else 2)]
        return rng.choices(names, cum_weights=cum)[0]

    def giv(self, rng, sex, avoid):
        names, cum = self.given[sex]
        while True:
            g = rng.choices(names, cum_weights=cum)[0]
            if g not in avoid:
                return g

    def ethnic(self, rng):
        return rng.choices(self.eth, cum_weights=self.eth_cum)[0]

    def province(self, rng):
        return rng.choices(self.prov, cum_weights=self.prov_cum)[0]


class Registry:
    """Households and persons, with unique CCCD, CMND and phone numbers."""

    def __init__(self, rng):
        self.rng = rng
        self.names = Names()
        self.persons = []
        self.households = []  # (dia_chi, new commune code, pre-2025 commune code)
        self.used = set()
        self.twins = 0
        self.prefixes = list(OLD_PREFIX)
        self.communes = sorted(COMMUNES)

    def unique(self, head, n):
        rng = self.rng
        while True:
            s = f"{head}{rng.randrange(10 ** n):0{n}d}"
            if s not in self.used:
                self.used.add(s)
                return s

    def member(self, sex, y, fam, mid, eth, prov, role, same_date_as=None):
        rng = self.rng
        p = Person()
        p.i, p.sex, p.y, p.eth, p.prov, p.role = len(self.persons), sex, y, eth, prov, role
        p.fam = FEMALE_FAMILY.get(fam, fam) if sex else fam
        p.mid = mid
        p.giv = ""
        if same_date_as is not None:
            p.m, p.d = same_date_as.m, same_date_as.d
        else:
            p.m = rng.randint(1, 12)
            p.d = rng.randint(1, days_in_month(y, p.m))
        p.cccd = self.unique(f"{prov}{(0 if y < 2000 else 2) + sex}{y % 100:02d}", 6)
        has_cmnd = rng.random() < (0.9 if y <= 2002 else 0.4 if y <= 2006 else 0)
        head = CMND_PREFIX.get(prov) or "2" + rng.choice("01")
        p.cmnd = self.unique(head, 9 - len(head)) if has_cmnd else ""
        age = REF_YEAR - y
        own = 0.92 if 18 <= age < 75 else 0.6 if age >= 75 or age >= 15 else 0
        p.phone = self.unique(rng.choice(self.prefixes), 7) if rng.random() < own else ""
        p.alt = ""
        p.hh = len(self.households)
        self.persons.append(p)
        return p

    def household(self, room):
        """Adds one household of at most `room` persons."""
        rng, nm = self.rng, self.names
        size = min(rng.choices(range(1, 7), HOUSEHOLD_SIZE)[0], room)
        new = rng.choice(self.communes)
        old = rng.choice(COMMUNES[new])
        eth = "01" if rng.random() < 0.85 else nm.ethnic(rng)
        if old in VILLAGES:
            cotu = old == "20293" and rng.random() < 0.3
            if cotu:
                eth = "26"
            village = rng.choice(VILLAGES[old][:2] if cotu else VILLAGES[old])
            addr = f"Thôn {village}"
        elif rng.random() < 0.7:
            addr = f"Số {rng.randint(1, 400)} đường {rng.choice(STREETS)}, tổ {rng.randint(1, 60)}"
        else:
            addr = f"Số {rng.randint(1, 80)} kiệt {rng.randint(2, 300)} {rng.choice(STREETS)}, tổ {rng.randint(1, 60)}"
        home = "048"  # children are mostly born where the household lives
        members = []
        if size == 1:
            sex = rng.randrange(2)
            y = int(rng.triangular(1932, 2006, 1998))
            members.append(self.member(sex, y, nm.fam(rng, eth, sex), nm.mid(rng, sex, y, eth), eth,
                                       nm.province(rng), "single"))
        else:
            single_mother = rng.random() < 0.08
            n_grand = 0
            if size >= 4 and not single_mother and rng.random() < 0.2:
                n_grand = 2 if size == 6 and rng.random() < 0.3 else 1
            n_child = size - n_grand - (1 if single_mother else 2)
            hy = int(rng.triangular(1940, 2000, 1983)) if n_child else int(rng.triangular(1935, 2001, 1990))
            if hy < 1958:  # grandparents would be over 95
                n_child, n_grand = n_child + n_grand, 0
            wy = min(hy + rng.randint(-2, 7), 2003)
            wife_eth = eth if eth == "01" and rng.random() < 0.97 or eth != "01" and rng.random() < 0.8 else (
                nm.ethnic(rng) if eth == "01" else "01")
            hprov = nm.province(rng)
            wprov = hprov if rng.random() < 0.5 else nm.province(rng)
            hfam = nm.fam(rng, eth, 0)
            wfam = nm.fam(rng, wife_eth, 1, True)
            while wfam == FEMALE_FAMILY.get(hfam, hfam):
                wfam = nm.fam(rng, wife_eth, 1, True)
            wife = self.member(1, wy, wfam, nm.mid(rng, 1, wy, wife_eth), wife_eth, wprov, "parent")
            members.append(wife)
            husband = None
            if not single_mother:
                husband = self.member(0, hy, hfam, nm.mid(rng, 0, hy, eth), eth, hprov, "parent")
                members.append(husband)
            child_fam, child_eth = hfam, eth
            if single_mother and rng.random() < 0.4:
                child_fam, child_eth = wfam, wife_eth
            # Grandparents: the husband's parents (mostly) or the wife's.
            if n_grand:
                paternal = husband is not None and rng.random() < 0.7
                base_y, gfam, geth, gprov = (hy, hfam, eth, hprov) if paternal else (wy, wfam, wife_eth, wprov)
                gy = max(base_y - rng.randint(20, 36), 1930)
                gsexes = [0, 1] if n_grand == 2 else [rng.choice([0, 1, 1])]  # widows outlive widowers
                for gsex in gsexes:
                    if gsex == 0:
                        fam_g = gfam
                    else:  # the grandmother keeps her own family name
                        fam_g = nm.fam(rng, geth, 1, True)
                        while fam_g == FEMALE_FAMILY.get(gfam, gfam):
                            fam_g = nm.fam(rng, geth, 1, True)
                    yy = gy if gsex == 0 else min(gy + rng.randint(-2, 6), base_y - 18)
                    members.append(self.member(gsex, yy, fam_g, nm.mid(rng, gsex, yy, geth), geth, gprov,
                                               "grandparent"))
            # Children.
            if n_child:
                style = rng.random()
                shared = rng.choice(SHARED_MIDDLE)
                boys_mid = "Văn" if rng.random() < 0.7 else nm.mid(rng, 0, 1960, child_eth)
                girls_mid = "Thị" if rng.random() < 0.7 else nm.mid(rng, 1, 1960, child_eth)
                twin_at = rng.randrange(n_child - 1) if n_child >= 2 and rng.random() < TWINS else -1
                last = min(wy + 44, REF_YEAR - 1)
                y = rng.randint(wy + 19, max(wy + 19, min(wy + 32, last)))
                givens, prev = [], None
                for k in range(n_child):
                    twin = k == twin_at + 1 and twin_at >= 0
                    if k and not twin:
                        y = prev.y + rng.randint(1, 5)
                        if y > last:
                            break
                    sex = rng.randrange(2) if not twin or rng.random() < 0.55 else prev.sex
                    if style < 0.4:
                        mid = girls_mid if sex else boys_mid
                    elif style < 0.7:
                        mid = shared
                    else:
                        mid = nm.mid(rng, sex, y, child_eth)
                    if twin and rng.random() < 0.7:
                        mid = prev.mid
                    cprov = home if rng.random() < 0.9 else hprov
                    c = self.member(sex, y, child_fam, mid, child_eth, cprov, "child", prev if twin else None)
                    c.giv = nm.giv(rng, sex, givens + mid.split(" "))
                    givens.append(c.giv)
                    if twin:
                        self.twins += 1
                    members.append(c)
                    prev = c
                    c.alt = (wife.phone if rng.random() < 0.55 or husband is None else husband.phone) or \
                        wife.phone or (husband.phone if husband else "")
            if husband is not None:
                husband.alt, wife.alt = wife.phone, husband.phone
            else:
                wife.alt = ""
            contact = (husband.phone if husband is not None else "") or wife.phone
            for p in members:
                if p.role == "grandparent":
                    p.alt = contact
        for p in members:
            if not p.giv:
                p.giv = nm.giv(rng, p.sex, p.mid.split(" "))
            if p.alt == p.phone:
                p.alt = ""
        self.households.append((_nfc(addr), new, old))

    def assign_agencies(self):
        rng = self.rng
        for p in self.persons:
            y = p.y
            a = 0
            if rng.random() < 0.95:
                a |= 1
            if y <= REF_YEAR - 18 and rng.random() < 0.60:
                a |= 2
            if rng.random() < 0.55:
                a |= 4
            if rng.random() < 0.45:
                a |= 8
            if y <= REF_YEAR - 15 and rng.random() < 0.35:
                a |= 16
            if 1996 <= y <= 2021 and rng.random() < 0.70:
                a |= 32
            p.agencies = a or 1


_strip_cache = {}


def strip_words(s):
    out = []
    for w in s.split(" "):
        r = _strip_cache.get(w)
        if r is None:
            r = _strip_cache[w] = strip_marks(w)
        out.append(r)
    return " ".join(out)


_TONES = "\u0300\u0301\u0303\u0309\u0323"
_tone_cache = {}


def old_tone(word):
    """Hòa -> Hoà, Thủy -> Thuỷ: the tone mark on the last vowel of oa, oe, uy (the older placement)."""
    r = _tone_cache.get(word)
    if r is None:
        r = word
        dec = unicodedata.normalize("NFD", word)
        low = dec.lower()
        for a, b in (("o", "a"), ("o", "e"), ("u", "y")):
            for t in _TONES:
                if low.endswith(a + t + b):
                    r = _nfc(dec[:-3] + dec[-3] + dec[-1] + t)
        _tone_cache[word] = r
    return r


def typo(rng, s):
    idx = [i for i, c in enumerate(s) if c != " "]
    i = rng.choice(idx)
    op = rng.randrange(4)
    if op == 0 and len(idx) > 6:  # a letter left out
        return s[:i] + s[i + 1:]
    if op == 1:  # a letter doubled
        return s[:i] + s[i] + s[i:]
    if op == 2 and i + 1 < len(s) and s[i + 1] != " ":  # two letters swapped
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    c = s[i]  # a letter replaced by a neighbour on the keyboard, or its mark lost
    base = strip_marks(c)
    if base != c:
        return s[:i] + base + s[i + 1:]
    near = {"a": "sq", "e": "wr", "i": "uo", "o": "ip", "u": "yi", "n": "bm", "h": "gj", "g": "fh", "t": "ry",
            "c": "xv", "m": "n", "l": "k", "y": "tu", "r": "et", "s": "ad", "d": "sf", "v": "cb", "k": "jl"}
    lo = c.lower()
    rep = rng.choice(near.get(lo, "aeiou"))
    return s[:i] + (rep.upper() if c.isupper() else rep) + s[i + 1:]


def date_typo(rng, y, m, d):
    for _ in range(6):
        s = list(f"{d:02d}/{m:02d}/{y}")
        i = rng.choice((0, 1, 3, 4, 8, 9))
        s[i] = rng.choice([c for c in "0123456789" if c != s[i]])
        s = "".join(s)
        dd, mm, yy = int(s[:2]), int(s[3:5]), int(s[6:])
        if 1 <= mm <= 12 and 1900 <= yy <= REF_YEAR and 1 <= dd <= days_in_month(yy, mm):
            return s
    return None


def digit_typo(rng, s):
    i = rng.randrange(len(s))
    return s[:i] + rng.choice([c for c in "0123456789" if c != s[i]]) + s[i + 1:]


def abbreviate(rng, a):
    steps = [("Số ", ""), ("đường ", "đ. "), ("tổ ", "T."), ("kiệt ", "K."), ("Thôn ", "Th. ")]
    out = a
    for old, new in steps:
        if old in out and rng.random() < 0.6:
            out = out.replace(old, new)
    if out == a:
        for old, new in steps:
            out = out.replace(old, new)
    return out


def applicable(kind, p, hh, chosen, phone):
    if kind == "marks":
        return not (f"{p.fam} {p.mid} {p.giv}".isascii() and hh[0].isascii())
    if kind == "middle":
        return p.mid != ""
    if kind == "tone":
        return any(old_tone(w) != w for w in (p.giv, *p.mid.split(" ")))
    if kind in ("swap", "datetypo"):
        return "yearonly" not in chosen and (kind == "datetypo" or p.d <= 12 and p.d != p.m)
    if kind == "cmnd":
        return p.cmnd != "" and "nocccd" not in chosen
    if kind in ("excel", "cccdtypo"):
        return "nocccd" not in chosen and (kind == "cccdtypo" or "cmnd" not in chosen)
    if kind == "nophone":
        return phone != "" or (p.alt != "" and "hhphone" in chosen)
    if kind == "hhphone":
        return p.alt != "" and p.alt != phone and "nophone" not in chosen
    if kind == "oldphone":
        ph = p.alt if "hhphone" in chosen else phone
        return ph != "" and "nophone" not in chosen and bool(OLD_PREFIX.get(ph[:3]))
    if kind == "abbr":
        return "noaddr" not in chosen
    return True


def reg_record(rng, p, hh, ag, rates, stats):
    """One agency's record of person p: a list of the output columns after id and nguon."""
    # The phone the agency has when nothing goes wrong: the person's own, else a parent's or the household's.
    phone = p.phone
    if not phone and p.alt and rng.random() < 0.8:
        phone = p.alt
    chosen = []
    for kind in KINDS:
        r = rates[kind]
        if kind == "yearonly" and p.y < 1960:
            r *= 2
        elif kind == "hhphone" and ag == "giao_duc" and p.y > REF_YEAR - 18:
            r = MINOR_SCHOOL_PARENT_PHONE
        if r and rng.random() < r and applicable(kind, p, hh, chosen, phone):
            chosen.append(kind)
    if len(chosen) > 3:  # keep 3 (checked again: a kind may depend on one left out)
        keep = set(rng.sample(chosen, 3))
        chosen, kept = [], [k for k in chosen if k in keep]
        for k in kept:
            if applicable(k, p, hh, chosen, phone):
                chosen.append(k)
    if not chosen and ag != "cong_an":
        weights = [rates[k] for k in KINDS]
        while not chosen:
            kind = rng.choices(KINDS, weights)[0]
            if applicable(kind, p, hh, chosen, phone):
                chosen.append(kind)
    c = set(chosen)
    if ag != "cong_an":
        for k in chosen:
            stats[k] = stats.get(k, 0) + 1
        stats[len(chosen)] = stats.get(len(chosen), 0) + 1
    elif not chosen:
        stats["clean"] = stats.get("clean", 0) + 1
    # Name.
    fam, mid, giv = p.fam, p.mid, p.giv
    if "middle" in c:
        ws = mid.split(" ")
        mid = ws[1] if len(ws) == 2 and rng.random() < 0.5 else ""
    if "tone" in c:
        giv = old_tone(giv)
        mid = " ".join(old_tone(w) for w in mid.split(" "))
    parts = [giv, mid, fam] if "reversed" in c else [fam, mid, giv]
    name = " ".join(x for x in parts if x)
    if "typo" in c:
        name = typo(rng, name)
    addr = hh[0]
    if "noaddr" in c:
        addr = ""
    elif "abbr" in c:
        addr = abbreviate(rng, addr)
    if "marks" in c:
        name = strip_words(name)
        addr = strip_words(addr)
    if "upper" in c:
        name = name.upper()
    # Birth date.
    y, m, d = p.y, p.m, p.d
    if "yearonly" in c:
        dob = str(y)
    else:
        if "swap" in c:
            m, d = d, m
        dob = f"{d:02d}/{m:02d}/{y}"
        if "datetypo" in c:
            dob = date_typo(rng, y, m, d) or dob
    # Identity number.
    if "nocccd" in c:
        idn = ""
    else:
        idn = p.cmnd if "cmnd" in c else p.cccd
        if "excel" in c:
            idn = idn.lstrip("0")
        if "cccdtypo" in c:
            idn = digit_typo(rng, idn)
    # Phone.
    if "nophone" in c:
        phone = ""
    else:
        if "hhphone" in c:
            phone = p.alt
        if "oldphone" in c:
            phone = OLD_PREFIX[phone[:3]] + phone[3:]
    return [name, dob, "" if "nosex" in c else ("Nữ" if p.sex else "Nam"), idn, "" if "noeth" in c else p.eth, addr,
            hh[2] if "oldcommune" in c else hh[1], phone, f"p{p.i:07d}"]


def write_registry(persons, seed, out):
    rng = random.Random(seed)
    reg = Registry(rng)
    while len(reg.persons) < persons:
        reg.household(persons - len(reg.persons))
    reg.assign_agencies()
    rates = {}
    for ag in AGENCIES:
        r = dict(BASE_RATES)
        r.update(AGENCY_RATES[ag])
        rates[ag] = r
    # One entry per record, person index * 8 + agency index, shuffled; the rows are rendered in that order.
    recs = []
    pairs = 0
    for p in reg.persons:
        k = 0
        for j in range(6):
            if p.agencies >> j & 1:
                recs.append(p.i * 8 + j)
                k += 1
        pairs += k * (k - 1) // 2
    rng.shuffle(recs)
    stats = {}
    counts = [0] * 6
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "registry.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "nguon", "ho_ten", "ngay_sinh", "gioi_tinh", "so_cccd", "ma_dan_toc", "dia_chi", "ma_xa",
                    "so_dien_thoai", "person"])
        persons_, households = reg.persons, reg.households
        for e in recs:
            p = persons_[e >> 3]
            j = e & 7
            ag = AGENCIES[j]
            counts[j] += 1
            w.writerow([f"{AGENCY_PREFIX[j]}{counts[j]:07d}", ag]
                       + reg_record(rng, p, households[p.hh], ag, rates[ag], stats))
    n = len(recs)
    others = n - counts[0]
    print(f"{path}: {n} records, {len(reg.persons)} persons, {len(reg.households)} households "
          f"({reg.twins} with twins), {pairs} true pairs", file=sys.stderr)
    print("records by agency: " + ", ".join(f"{a} {c}" for a, c in zip(AGENCIES, counts)), file=sys.stderr)
    print("corruptions in the records of the agencies other than cong_an (share of those records): " + ", ".join(
        f"{k} {stats.get(k, 0) / max(others, 1):.1%}" for k in KINDS), file=sys.stderr)
    print("corruptions per record: " + ", ".join(f"{k}: {stats.get(k, 0) / max(others, 1):.1%}" for k in (1, 2, 3))
          + f"; cong_an records without any: {stats.get('clean', 0) / max(counts[0], 1):.1%}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--both", type=float, default=0.4, help="share of persons held by both agencies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--registry", action="store_true",
                    help="write registry.csv: households, six agencies, CCCD/CMND (--both is not used)")
    a = ap.parse_args()
    if a.registry:
        write_registry(a.persons, a.seed, a.out)
        return
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    people = [person(rng, i) for i in range(a.persons)]
    health, edu = [], []
    for p in people:
        r = rng.random()
        if r < a.both:
            health.append(render(rng, p, False))
            edu.append(render(rng, p, True))
        elif r < a.both + (1 - a.both) / 2:
            health.append(render(rng, p, False))
        else:
            edu.append(render(rng, p, False))
    for name, key, rows in [("health", "ma_bn", health), ("education", "ma_hs", edu)]:
        rng.shuffle(rows)
        with open(os.path.join(a.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([key, "ho_ten", "ngay_sinh", "so_dien_thoai", "ma_xa", "person"])
            for i, r in enumerate(rows):
                w.writerow([f"{name[:2].upper()}{i:06d}", r["ho_ten"], r["ngay_sinh"], r["so_dien_thoai"], r["ma_xa"], r["person"]])


if __name__ == "__main__":
    main()
