#!/usr/bin/env python3
"""Synthetic Vietnamese person records held by two agencies, with ground truth.

Each person is drawn from common Vietnamese family, middle and given names, a birth date, a
mobile number and a commune code. Each agency file holds a share of the persons; a person held
by both is written differently by each, with the corruptions seen between agencies: diacritics
dropped or upper case, the middle name left out, day and month of birth swapped, the old
11-digit mobile number (before the 2018 renumbering) instead of the 10-digit one, a typo in the
name, a missing phone, the code of a commune merged on 2025-07-01 instead of the code of the
commune it became (from catalogs/data/vn_admin_2025_conversion_dvhcvn.csv, full merges only). The column `person` is the ground truth (never used by the matcher).

    scripts/gen_vn_persons.py --persons 2000 --seed 1 --out DIR
writes DIR/health.csv (key ma_bn) and DIR/education.csv (key ma_hs).
"""
import argparse
import csv
import os
import random
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--both", type=float, default=0.4, help="share of persons held by both agencies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
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
