#!/usr/bin/env python3
"""Sample data: a provincial health department's list of medical facilities, as the agency's
legacy system exports it: VNI-Windows bytes, ';' delimited, Vietnamese column headers, dates
d/m/yyyy, 11-digit pre-2018 mobile numbers, capacities with '.' thousand separators.

Writes OUT (VNI) and OUT with .csv replaced by .utf8.csv (the same rows in UTF-8 NFC, the expected decoding).
Usage: gen_health_facilities.py --rows 400 --seed 3 --out data/samples/health_facilities_v1.csv
"""
import argparse, csv, io, os, random, unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "data", "catalogs", "vn_legacy_charsets_tcvn3_vni.csv")
COMMUNES = os.path.join(HERE, "..", "catalogs", "data", "vn_admin_2025_communes.csv")

KINDS = ["Bệnh viện đa khoa", "Trạm y tế", "Phòng khám đa khoa", "Nhà thuốc", "Trung tâm y tế",
         "Phòng khám chuyên khoa Răng Hàm Mặt", "Bệnh viện Phụ sản", "Phòng chẩn trị y học cổ truyền"]
NAMES = ["Hòa Vang", "Thanh Khê", "Sơn Trà", "Ngũ Hành Sơn", "Liên Chiểu", "Cẩm Lệ", "Hải Châu",
         "Điện Bàn", "Hội An", "Tam Kỳ", "Núi Thành", "Thăng Bình", "Đại Lộc", "Duy Xuyên",
         "Quế Sơn", "Tiên Phước", "Trà My", "Phước Sơn", "Đông Giang", "Tây Giang", "Bình Minh",
         "Thái Bình Dương", "Nguyễn Tri Phương", "Trưng Vương", "Hoàn Mỹ", "Vĩnh Toàn", "Ân Đức"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc",
         "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vân", "Việt", "Ánh", "Ước"]
OLD_PREFIX = ["0162", "0163", "0164", "0165", "0166", "0167", "0168", "0169", "0120", "0121",
              "0122", "0126", "0128", "0123", "0124", "0125", "0127", "0129"]
HEADER = ["Mã cơ sở", "Tên cơ sở", "Loại hình", "Mã xã", "Địa chỉ", "Số giường",
          "Ngày cấp phép", "Điện thoại", "Người đứng đầu", "Còn hoạt động"]


def vni_table():
    enc = {}
    with open(TABLE, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            ch = r["unicode_nfc"]
            if ch in "ỷỹỶỸ":  # the first table is wrong for these (see data/catalogs/SOURCES.md)
                enc[ch] = r["vni_viparse"].encode("latin-1")
            elif ch not in "ẳẲ":
                enc[ch] = bytes(int(h, 16) for h in r["vni_bytes_hex"].split())
    return enc


def to_vni(text, enc):
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 0x80:
            out += ch.encode("ascii")
        elif ch in enc:
            out += enc[ch]
        else:
            raise SystemExit(f"no VNI code for {ch!r} in {text!r}")
    return bytes(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(COMMUNES, encoding="utf-8", newline="") as f:
        wards = [r["code"] for r in csv.DictReader(f) if r["province_code"] == "48"]
    rows = []
    for i in range(a.rows):
        kind = rng.choice(KINDS)
        name = f"{kind} {rng.choice(NAMES)}"
        phone = rng.choice(OLD_PREFIX) + f"{rng.randrange(10**7):07d}" if rng.random() < 0.6 else \
            "0236" + f"{rng.randrange(10**7):07d}"
        beds = rng.choice([0, 0, 5, 20, 150, 1200, 2500])
        beds_txt = f"{beds:,}".replace(",", ".")
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1998, 2024)
        head = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        rows.append([f"CS{48000 + i:06d}", name, kind, rng.choice(wards), f"Số {rng.randint(1, 300)} đường {rng.choice(NAMES)}",
                     beds_txt, f"{d}/{m}/{y}", phone, head, rng.choice(["Có", "Có", "Có", "Không"])])
    rows.append([f"CS{48000 + a.rows:06d}", "Trạm y tế xã cũ", "Trạm y tế", "20209", "Thôn 1", "0",
                 "31/02/2020", "0905123456", "Lê Văn Tâm", "Có"])  # not a calendar date
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    text = buf.getvalue()
    with open(a.out[:-4] + ".utf8.csv" if a.out.endswith(".csv") else a.out + ".utf8.csv", "w", encoding="utf-8", newline="") as f:
        f.write(text)
    with open(a.out, "wb") as f:
        f.write(to_vni(text, vni_table()))


if __name__ == "__main__":
    main()
