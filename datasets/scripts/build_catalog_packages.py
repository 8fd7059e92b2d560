#!/usr/bin/env python3
"""Build the seed open datasets whose data ships inside public packages (PyPI, npm).

Writes three folders under ``datasets/catalog/`` (each with ``dataset.json``, data files, README):

===============================  =================================================================
``public-holidays``              Viet Nam's public holidays 2010–2026 from PyPI ``holidays`` 0.109
                                 (MIT), names in Vietnamese and English, observed and swapped days
``bank-identification-numbers``  banks and wallets with their NAPAS/VietQR BIN, short name and SWIFT
                                 code, from npm ``vietnam-qr-pay`` 1.5.1 (MIT)
``iso-3166-2-vn-provinces``      ISO 3166-2:VN subdivision codes from PyPI ``pycountry`` 26.2.16
                                 (Debian iso-codes data, LGPL-2.1) matched to the GSO province codes
                                 of this project's ``administrative-units`` list, with each province's
                                 successor from 2025-07-01
===============================  =================================================================

How the sources are fetched (package registries only, pinned versions, sha256 checked):

* ``pip download --no-deps holidays==0.109`` and ``pycountry==26.2.16`` into a temporary folder;
  ``holidays`` is installed into its own venv under ``/tmp`` (with its one dependency,
  ``python-dateutil``) and run there; ``pycountry`` is only unpacked (its JSON is read).
* ``npm pack vietnam-qr-pay@1.5.1``; the tarball is unpacked and ``dist/constants/banks.js`` is
  loaded with ``node`` (no install, no dependencies).

Each artefact's sha256 must equal the one pinned in ``ARTEFACTS`` (registry files are immutable per
version), so reruns give identical outputs. ``--work DIR`` keeps the downloads and the venv in DIR
(default: a temporary folder, removed at the end).

Usage: ``python3 datasets/scripts/build_catalog_packages.py [--work DIR]``. Needs python3 with venv,
pip, npm and node. Then run ``build_catalog_open_data_lists.py`` and ``validate_catalog.py``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from pathlib import Path

sys.dont_write_bytecode = True  # leave no __pycache__ beside the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_seedlib import (  # noqa: E402
    CATALOG_DIR,
    REFERENCE_DIR,
    distribution,
    md_table,
    read_csv,
    registry_state,
    registry_steps,
    write_csv,
    write_dataset,
    write_json,
)

COMPILED = "2026-11-23"  # the day these seed entries were compiled: their `referenceDate` (codes checked then)
SCRIPT = "datasets/scripts/build_catalog_packages.py"
HOLIDAY_YEARS = range(2010, 2027)

ARTEFACTS = {
    "holidays": {
        "version": "0.109",
        "file": "holidays-0.109-py3-none-any.whl",
        "sha256": "7d39c910167116d41fa6aae18d5e72b4541700cdd37743d799c83db3419201b0",
    },
    "pycountry": {
        "version": "26.2.16",
        "file": "pycountry-26.2.16-py3-none-any.whl",
        "sha256": "115c4baf7cceaa30f59a4694d79483c9167dbce7a9de4d3d571c5f3ea77c305a",
    },
    "vietnam-qr-pay": {
        "version": "1.5.1",
        "file": "vietnam-qr-pay-1.5.1.tgz",
        "sha256": "c70224cc8c5440ac775cac01f56a0655e36b3528307d624ebe727493cb451c6c",
    },
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(cmd: list[str], **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def fetch(name: str, work: Path) -> Path:
    a = ARTEFACTS[name]
    path = work / a["file"]
    if not path.exists():
        if name == "vietnam-qr-pay":
            run(["npm", "pack", f"{name}@{a['version']}", "--silent"], cwd=work)
        else:
            run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(work),
                 f"{name}=={a['version']}"])
    got = sha256(path)
    if got != a["sha256"]:
        raise SystemExit(f"{path.name}: sha256 {got} differs from the pinned {a['sha256']}")
    return path


def artefact_table(names: list[str]) -> str:
    return "\n" + md_table(
        ["package", "registry", "version", "file", "sha256"],
        [[f"`{n}`", "npm" if n == "vietnam-qr-pay" else "PyPI", ARTEFACTS[n]["version"],
          f"`{ARTEFACTS[n]['file']}`", f"`{ARTEFACTS[n]['sha256']}`"] for n in names],
    ) + "\n"


def files_table(rows: list[tuple[str, int, str]]) -> str:
    return md_table(["file", "rows", "columns"], [[f"`{f}`", n, c] for f, n, c in rows])


TAIL = f"""
## Catalogue metadata choices
- @SOURCE_DATES@
- `publisher` is the agency this seed catalogue files the dataset under (a `valid` code of the
  `agencies` list at `referenceDate`); the files are **not** an official publication of that agency.
- No `contactPoint`: no verified contact address is known.
- Made by `{SCRIPT}` (package registries only; pinned versions and sha256). Do not edit by hand.
"""


# ---------------------------------------------------------------------------------------------
# Public holidays (PyPI holidays)
# ---------------------------------------------------------------------------------------------
HOLIDAYS_DUMP = r"""
import json, sys, holidays
years = [int(y) for y in sys.argv[1:]]
out = {"version": holidays.__version__, "years": {}}
for y in years:
    full_vi = holidays.VN(years=y, language="vi")
    full_en = holidays.VN(years=y, language="en_US")
    base_vi = holidays.VN(years=y, language="vi", observed=False)
    out["years"][y] = [
        {"date": d.isoformat(), "vi": full_vi[d], "en": full_en[d], "base_vi": base_vi.get(d)}
        for d in sorted(full_vi)
    ]
print(json.dumps(out, ensure_ascii=False))
"""


def build_holidays(work: Path) -> None:
    wheel = fetch("holidays", work)
    venv = work / "venv-holidays"
    if not (venv / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)])
    dump = json.loads(run([str(venv / "bin" / "python"), "-c", HOLIDAYS_DUMP]
                          + [str(y) for y in HOLIDAY_YEARS]))
    assert dump["version"] == ARTEFACTS["holidays"]["version"], dump["version"]
    licence_text = ""
    with zipfile.ZipFile(wheel) as z:
        for n in z.namelist():
            if n.endswith("licenses/LICENSE"):
                licence_text = z.read(n).decode("utf-8")
    assert licence_text, "LICENSE not found in the wheel"

    rows = []
    for y in HOLIDAY_YEARS:
        for e in dump["years"][str(y)]:
            names_vi = e["vi"].split("; ")
            names_en = e["en"].split("; ")
            base = set((e["base_vi"] or "").split("; ")) - {""}
            assert len(names_vi) == len(names_en), e
            for vi, en in zip(names_vi, names_en):
                assert "dự kiến" not in vi, f"estimated date: {e}"
                m = re.fullmatch(r"Ngày nghỉ \(thay cho ngày (\d{2})/(\d{2})/(\d{4})\)", vi)
                if m:
                    kind = "substitute-day"
                    worked = f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
                elif vi in base:
                    kind, worked = "holiday", ""
                else:
                    kind, worked = "observed", ""
                d = datetime.date.fromisoformat(e["date"])
                rows.append({
                    "date": e["date"],
                    "year": y,
                    "weekday": d.isoweekday(),
                    "name_vi": vi,
                    "name_en": en,
                    "kind": kind,
                    "substitute_for_workday": worked,
                })
    header = ["date", "year", "weekday", "name_vi", "name_en", "kind", "substitute_for_workday"]
    folder = CATALOG_DIR / "public-holidays"
    write_csv(folder / "public-holidays.csv", header, rows)
    write_json(folder / "public-holidays.json", [
        {"date": r["date"], "name": {"vi": r["name_vi"], "en": r["name_en"]}, "kind": r["kind"],
         **({"substituteForWorkday": r["substitute_for_workday"]} if r["substitute_for_workday"] else {})}
        for r in rows
    ])
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    per_year = {y: sum(1 for r in rows if r["year"] == y) for y in HOLIDAY_YEARS}
    dates = [r["date"] for r in rows]
    multi = ", ".join(sorted({d for d in dates if dates.count(d) > 1}))
    content = {
        "title": {
            "vi": f"Ngày nghỉ lễ, tết của Việt Nam {HOLIDAY_YEARS[0]}–{HOLIDAY_YEARS[-1]}",
            "en": f"Public holidays of Viet Nam {HOLIDAY_YEARS[0]}–{HOLIDAY_YEARS[-1]}",
        },
        "description": {
            "vi": (
                "Các ngày nghỉ lễ, tết hưởng nguyên lương theo Bộ luật Lao động (Tết Dương lịch, Tết Nguyên Đán, "
                "Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh và từ năm 2026 Ngày Văn hóa Việt Nam), kèm ngày nghỉ bù "
                "và ngày nghỉ hoán đổi với ngày làm việc của cán bộ, công chức, viên chức, từ năm "
                f"{HOLIDAY_YEARS[0]} đến năm {HOLIDAY_YEARS[-1]}; tên bằng tiếng Việt và tiếng Anh."
            ),
            "en": (
                "Paid public holidays under the Labour Code (New Year's Day, Lunar New Year, Hung Kings' "
                "Commemoration Day, 30 April, 1 May, National Day and, from 2026, Vietnam Cultural Day) with the "
                "observed days and the days off swapped with a working day for public-sector staff, "
                f"{HOLIDAY_YEARS[0]} to {HOLIDAY_YEARS[-1]}; names in Vietnamese and English."
            ),
        },
        "publisher": "G09",
        "themes": ["labour", "society"],
        "keywords": {
            "vi": ["ngày nghỉ lễ", "tết", "Tết Nguyên Đán", "nghỉ bù", "Bộ luật Lao động", "lịch"],
            "en": ["public holidays", "Tet", "Lunar New Year", "observed holidays", "Labour Code", "calendar"],
        },
        "temporal": {"start": f"{HOLIDAY_YEARS[0]}-01-01", "end": f"{HOLIDAY_YEARS[-1]}-12-31"},
        "frequency": "ANNUAL",
        "languages": ["vi", "en"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": COMPILED,
        "distributions": [
            distribution("holidays-csv", "public-holidays.csv", "CSV", "Ngày nghỉ lễ, tết (CSV)",
                         "Public holidays (CSV)"),
            distribution("holidays-json", "public-holidays.json", "JSON", "Ngày nghỉ lễ, tết (JSON)",
                         "Public holidays (JSON)"),
        ],
    }
    readme = f"""# public-holidays

{content['title']['en']}.

## Files
{files_table([
    ("public-holidays.csv", len(rows), ", ".join(header)),
    ("public-holidays.json", len(rows), "array: date, name {vi, en}, kind, substituteForWorkday (when set)"),
])}

One row per day off and name (a day with two names gives two rows: {multi or "no such day in this range"}).
`weekday`: ISO number, 1 = Monday … 7 = Sunday. `kind` ({", ".join(f"`{k}` {v}" for k, v in sorted(kinds.items()))}):
- `holiday`: a holiday day under the Labour Code of that year (Lunar New Year: the days the package
  lists, including the eve; 4th day from 2013; 2nd September plus an adjacent day from 2021);
- `observed`: a day off in lieu (nghỉ bù) when a holiday falls on a weekend, or a shifted Tết day;
- `substitute-day`: a day off swapped with the working day `substitute_for_workday` (a Saturday
  worked instead), as announced for public-sector staff.

Rows per year: {", ".join(f"{y}: {n}" for y, n in per_year.items())}.

## Source
- PyPI package `holidays` {ARTEFACTS['holidays']['version']} (Vacanza Team and contributors; repository
  vacanza/holidays), class `holidays.countries.vietnam.Vietnam`, run with `language="vi"` and
  `language="en_US"`, and with `observed=False` to tell holidays from days in lieu. Its references: the
  Labour Codes 1994 (Art. 73), 2012 (Art. 115) and 2019 (Art. 112), Resolution 80-NQ/TW (Vietnam Cultural
  Day) and the yearly government announcements of swapped days (2018–2019, 2024, 2025, 2026).
{artefact_table(['holidays'])}
- Licence of this dataset: CC-BY-4.0. The source package is MIT-licensed; its notice follows.

```text
{licence_text.strip()}
```

## Unverified
- Dates are the package's rules and lists, not checked here against each year's official announcement.
  The package records swapped days only for some years (2010, 2012–2015, 2018–2019, 2024–2026); swaps
  announced in other years are missing. Observed days follow the package's rules, which may differ from
  what was announced in a given year.
- The days apply to employees under the Labour Code; the swapped days (`substitute-day`) were announced
  for public-sector staff and other employers may follow other arrangements.
- English names are the package's translations.
- Vietnam Cultural Day (24 November, from 2026) is as the package records it, citing Resolution
  80-NQ/TW through a news report; the act that makes it a paid holiday was not read here.
- `publisher` G09 (Ministry of Home Affairs, which took over labour affairs from the Ministry of Labour,
  Invalids and Social Affairs on 2025-03-01) is this catalogue's choice.
{TAIL}"""
    write_dataset("public-holidays", content, readme)


# ---------------------------------------------------------------------------------------------
# Bank identification numbers (npm vietnam-qr-pay)
# ---------------------------------------------------------------------------------------------
VIETQR_STATUS = {1: "transfer-supported", 0: "receive-only", -1: "not-supported"}


def build_banks(work: Path) -> None:
    tgz = fetch("vietnam-qr-pay", work)
    out = work / "vietnam-qr-pay"
    if not out.exists():
        with tarfile.open(tgz) as t:
            t.extractall(out, filter="data")
    pkg = json.loads((out / "package" / "package.json").read_text(encoding="utf-8"))
    assert pkg["version"] == ARTEFACTS["vietnam-qr-pay"]["version"] and pkg["license"] == "MIT"
    licence_text = (out / "package" / "LICENSE").read_text(encoding="utf-8")
    banks = json.loads(run(["node", "-e",
                            "process.stdout.write(JSON.stringify(require(process.argv[1]).Banks))",
                            str(out / "package" / "dist" / "constants" / "banks.js")]))
    rows = []
    for b in banks:
        rows.append({
            "key": b["key"],
            "bin": b["bin"],
            "code": b["code"],
            "short_name": b["shortName"],
            "name": b["name"],
            "swift_code": b.get("swiftCode") or "",
            "vietqr_status": VIETQR_STATUS[b["vietQRStatus"]],
            "lookup_supported": bool(b.get("lookupSupported")),
            "deprecated": bool(b.get("deprecated")),
        })
    rows.sort(key=lambda r: (r["bin"], r["deprecated"], r["key"]))
    bins = [r["bin"] for r in rows]
    dup_bins = sorted({b for b in bins if bins.count(b) > 1})
    assert len({r["key"] for r in rows}) == len(rows), "duplicate key"
    codes = [r["code"] for r in rows]
    dup_codes = sorted({c for c in codes if codes.count(c) > 1})
    header = list(rows[0])
    folder = CATALOG_DIR / "bank-identification-numbers"
    write_csv(folder / "banks.csv", header, rows)
    write_json(folder / "banks.json", [
        {"key": r["key"], "bin": r["bin"], "code": r["code"], "shortName": r["short_name"], "name": r["name"],
         "swiftCode": r["swift_code"] or None, "vietQRStatus": r["vietqr_status"],
         "lookupSupported": r["lookup_supported"], "deprecated": r["deprecated"]}
        for r in rows
    ])
    st: dict[str, int] = {}
    for r in rows:
        st[r["vietqr_status"]] = st.get(r["vietqr_status"], 0) + 1
    deprecated = [f"{r['code']} ({r['bin']})" for r in rows if r["deprecated"]]
    no_swift = sum(1 for r in rows if not r["swift_code"])
    no_bin = [r["key"] for r in rows if not r["bin"]]
    content = {
        "title": {
            "vi": "Mã BIN ngân hàng, ví điện tử dùng trong mã QR chuyển khoản VietQR (NAPAS)",
            "en": "Bank identification numbers (BIN) of banks and wallets used in VietQR transfer codes (NAPAS)",
        },
        "description": {
            "vi": (
                f"{len(rows)} ngân hàng, tổ chức tín dụng và ví điện tử tại Việt Nam với mã BIN 6 chữ số (nếu có) dùng trong mã "
                "QR chuyển khoản theo chuẩn VietQR của NAPAS, mã viết tắt, tên ngắn, tên đầy đủ, mã SWIFT và mức hỗ trợ "
                "VietQR."
            ),
            "en": (
                f"{len(rows)} banks, credit institutions and e-wallets in Viet Nam with the 6-digit BIN (where the source has one) used in "
                "NAPAS VietQR transfer codes, their short code, short name, full Vietnamese name, SWIFT code and "
                "VietQR support level."
            ),
        },
        "publisher": "G19",
        "themes": ["finance", "economy-trade"],
        "keywords": {
            "vi": ["ngân hàng", "mã BIN", "VietQR", "NAPAS", "mã SWIFT", "thanh toán", "chuyển khoản"],
            "en": ["banks", "BIN", "VietQR", "NAPAS", "SWIFT code", "payments", "bank transfer"],
        },
        "frequency": "IRREG",
        "languages": ["vi"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": COMPILED,
        "distributions": [
            distribution("banks-csv", "banks.csv", "CSV", "Danh sách ngân hàng và mã BIN (CSV)",
                         "Banks and BINs (CSV)"),
            distribution("banks-json", "banks.json", "JSON", "Danh sách ngân hàng và mã BIN (JSON)",
                         "Banks and BINs (JSON)"),
        ],
    }
    readme = f"""# bank-identification-numbers

{content['title']['en']}.

## Files
{files_table([
    ("banks.csv", len(rows), ", ".join(header)),
    ("banks.json", len(rows), "array: key, bin, code, shortName, name, swiftCode (or null), vietQRStatus, lookupSupported, deprecated"),
])}

- `key`: the package's identifier of the row (unique; a renamed bank keeps a deprecated row under its
  old key).
- `bin`: the 6-digit number that identifies the receiving institution in a VietQR code (text; sorted by it).
- `code`: the short bank code used by VietQR services (e.g. `VCB`, `ACB`).
- `vietqr_status` ({", ".join(f"`{k}` {v}" for k, v in sorted(st.items()))}): whether the institution can
  receive and make VietQR transfers, per the package (its `VietQRStatus` enum).
- `lookup_supported`: the package's `lookupSupported` flag (account-name lookup), false where absent.
- `deprecated`: flagged deprecated by the package: {", ".join(deprecated) or "none"}.
- {no_swift} rows have no SWIFT code in the source (empty); rows without a BIN: {", ".join(no_bin) or "none"}.
- BINs shared by several rows: {", ".join(f"{b} ({', '.join(r['key'] for r in rows if r['bin'] == b)})" for b in dup_bins) or "none"};
  codes shared by several rows: {", ".join(dup_codes) or "none"}. These are renamed or taken-over
  banks that kept the BIN; the package flags some old rows `deprecated`, not all.

## Source
- npm package `vietnam-qr-pay` {ARTEFACTS['vietnam-qr-pay']['version']} (author xuannghia; repository
  xuannghia/vietnam-qr-pay), `dist/constants/banks.js` (`Banks`), loaded with node.
{artefact_table(['vietnam-qr-pay'])}
- Licence of this dataset: CC-BY-4.0. The source package is MIT-licensed; its notice follows.

```text
{licence_text.strip()}
```

## Unverified
- The list is the package author's compilation (the upstream of the BINs is NAPAS's VietQR member list);
  it was not compared with a list published by NAPAS or by the State Bank of Vietnam, and names may lag
  behind renamings and mergers of banks.
- SWIFT codes were not checked against the SWIFT directory.
- `publisher` G19 (State Bank of Vietnam, which licenses and supervises these institutions) is this
  catalogue's choice; BINs are assigned by NAPAS, not by the State Bank.
{TAIL}"""
    write_dataset("bank-identification-numbers", content, readme)


# ---------------------------------------------------------------------------------------------
# ISO 3166-2:VN (PyPI pycountry) <-> GSO province codes
# ---------------------------------------------------------------------------------------------
UNIT_PREFIXES = ("Thành phố ", "Tỉnh ")
# The one ISO name that names the province differently from the GSO label (the GSO has used
# "Thành phố Huế" since 2025-01-01; ISO keeps the old province name).
ALIASES = {"Thừa Thiên-Huế": "46"}


def bare(label: str) -> str:
    for p in UNIT_PREFIXES:
        if label.startswith(p):
            return label[len(p):]
    return label


def fold(s: str, marks: bool) -> str:
    """Lower-case key; tone-mark placement normalised (hoà = hòa); without any diacritic if not marks."""
    s = unicodedata.normalize("NFD", s.lower().replace("đ", "d" if not marks else "đ"))
    if not marks:
        return "".join(c for c in s if not unicodedata.combining(c))
    # Move tone marks to the end of each syllable so that "oà" and "òa" compare equal.
    out = []
    for syl in s.split(" "):
        tones = "".join(c for c in syl if c in "\u0300\u0301\u0303\u0309\u0323")
        out.append("".join(c for c in syl if c not in "\u0300\u0301\u0303\u0309\u0323") + tones)
    return " ".join(out)


def build_iso(work: Path) -> None:
    wheel = fetch("pycountry", work)
    with zipfile.ZipFile(wheel) as z:
        iso = json.loads(z.read("pycountry/databases/iso3166-2.json"))
    vn = sorted((x for x in iso["3166-2"] if x["code"].startswith("VN-")), key=lambda x: x["code"])
    before = registry_state("administrative-units", upto_step=1)
    after = registry_state("administrative-units")
    provinces = {c: it for c, it in before.items() if it["level"] == "province"}
    mergers = {m["old_code"]: m for m in read_csv(REFERENCE_DIR / "province-mergers-2025.csv")}
    exact = {fold(bare(it["label_vi"]), True): c for c, it in provinces.items()}
    loose = {fold(bare(it["label_vi"]), False): c for c, it in provinces.items()}
    assert len(exact) == len(loose) == len(provinces) == 63
    rows = []
    for x in vn:
        if x["name"] in ALIASES:
            code, how = ALIASES[x["name"]], "alias"
        elif fold(x["name"], True) in exact:
            code, how = exact[fold(x["name"], True)], "name"
        elif fold(x["name"], False) in loose:
            code, how = loose[fold(x["name"], False)], "name-without-diacritics"
        else:
            raise SystemExit(f"no GSO province for {x}")
        m = mergers[code]
        rows.append({
            "iso_code": x["code"],
            "iso_name": x["name"],
            "iso_type": x["type"],
            "gso_code": code,
            "gso_label": provinces[code]["label_vi"],
            "match": how,
            "gso_code_from_2025_07_01": m["new_code"],
            "gso_label_from_2025_07_01": after[m["new_code"]]["label_vi"],
            "change_2025": m["change"],
        })
    assert len(rows) == 63 and len({r["gso_code"] for r in rows}) == 63, "not a one-to-one match"
    header = list(rows[0])
    folder = CATALOG_DIR / "iso-3166-2-vn-provinces"
    write_csv(folder / "iso-3166-2-vn-provinces.csv", header, rows)
    loose_rows = [f"{r['iso_code']} \"{r['iso_name']}\" = {r['gso_label']}" for r in rows
                  if r["match"] == "name-without-diacritics"]
    alias_rows = [f"{r['iso_code']} \"{r['iso_name']}\" = {r['gso_label']}" for r in rows if r["match"] == "alias"]
    types: dict[str, int] = {}
    for r in rows:
        types[r["iso_type"]] = types.get(r["iso_type"], 0) + 1
    content = {
        "title": {
            "vi": "Bảng đối chiếu mã ISO 3166-2:VN với mã tỉnh của Tổng cục Thống kê (kèm tỉnh kế thừa từ 01/07/2025)",
            "en": "ISO 3166-2:VN subdivision codes matched to GSO province codes (with the successor from 2025-07-01)",
        },
        "description": {
            "vi": (
                "63 mã ISO 3166-2:VN của các tỉnh, thành phố (theo dữ liệu iso-codes của Debian) đối chiếu với mã tỉnh "
                "2 chữ số của Tổng cục Thống kê trước ngày 01/07/2025 và tỉnh kế thừa từ ngày 01/07/2025. Mã ISO vẫn "
                "là 63 mã trước sắp xếp."
            ),
            "en": (
                "The 63 ISO 3166-2:VN codes of provinces and municipalities (Debian iso-codes data) matched to the "
                "2-digit GSO province codes before 2025-07-01 and to the successor province from 2025-07-01. The ISO "
                "codes are still the 63 pre-reform ones."
            ),
        },
        "publisher": "G06",
        "themes": ["localities", "technology"],
        "keywords": {
            "vi": ["ISO 3166-2", "mã tỉnh", "bảng đối chiếu mã", "đơn vị hành chính"],
            "en": ["ISO 3166-2", "province codes", "code crosswalk", "administrative units"],
        },
        "spatial": sorted(r["gso_code"] for r in rows),
        "frequency": "IRREG",
        "languages": ["vi"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": "2025-06-30",
        "distributions": [
            distribution("crosswalk-csv", "iso-3166-2-vn-provinces.csv", "CSV",
                         "Bảng đối chiếu mã ISO 3166-2:VN – mã tỉnh", "ISO 3166-2:VN to GSO province code"),
        ],
    }
    readme = f"""# iso-3166-2-vn-provinces

{content['title']['en']}.

## Files
{files_table([("iso-3166-2-vn-provinces.csv", len(rows), ", ".join(header))])}

- `iso_code`, `iso_name`, `iso_type` ({", ".join(f"{k} {v}" for k, v in sorted(types.items()))}): as in
  the source, unchanged (including its spelling).
- `gso_code`, `gso_label`: the pre-reform province (this project's `administrative-units` list, step 1).
- `match`: how the ISO name was matched to the GSO label (unit prefix "Tỉnh"/"Thành phố" removed,
  case and tone-mark placement ignored): `name`; `name-without-diacritics` — {"; ".join(loose_rows) or "none"};
  `alias` — {"; ".join(alias_rows) or "none"}.
- `gso_code_from_2025_07_01`, `gso_label_from_2025_07_01`, `change_2025`: from the province merger
  table (`unchanged`, `kept-code`, `closed`).

`spatial` lists the 63 pre-reform province codes, so `referenceDate` is 2025-06-30.

## Source
- PyPI package `pycountry` {ARTEFACTS['pycountry']['version']}, `pycountry/databases/iso3166-2.json`, a copy of
  Debian's iso-codes database (entries whose code starts with `VN-`). Read from the wheel, not installed.
- `datasets/registry/administrative-units` (steps 1 and 2) and
  `/work/shared/reference/province-mergers-2025.csv`.
{artefact_table(['pycountry'])}
- Licence of this dataset: CC-BY-4.0. pycountry is distributed under the GNU LGPL (wheel metadata
  `License-Expression: LGPL-2.1-only`; its `COPYRIGHT.txt`: version 2.1 or any later version, copyright
  2008–2023 pycountry); the licence of the iso-codes data it copies was not checked here. Only the facts
  (63 codes, names and types) are taken. **This licensing judgement has not been reviewed.**

## Unverified
- The ISO codes come from iso-codes, not from the ISO Online Browsing Platform; whether ISO has changed
  VN subdivisions after the 2025 reform was not checked (pycountry {ARTEFACTS['pycountry']['version']} still lists the 63).
- The ISO name "Kiến Giang" looks like a misspelling of Kiên Giang in the source; it is kept as is and
  matched without diacritics.
- `publisher` G06 (Ministry of Science and Technology, whose standards body represents Viet Nam in ISO) is
  this catalogue's choice.
{TAIL}"""
    write_dataset("iso-3166-2-vn-provinces", content, readme)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, help="folder for downloads and the venv (kept)")
    args = ap.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        work = args.work
    else:
        work = Path(tempfile.mkdtemp(prefix="catalog-packages-"))
    try:
        build_holidays(work)
        build_banks(work)
        build_iso(work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print("wrote 3 datasets under", CATALOG_DIR)


if __name__ == "__main__":
    main()
