#!/usr/bin/env python3
"""Build the ``administrative-units`` seed code list (Vietnamese GSO unit codes).

Source: the PyPI package ``vietnam-provinces`` (author Nguyễn Hồng Quân), which bundles the
General Statistics Office (GSO) codes as JSON:

* version 0.6.0  (data version 2025-01-04): before the 2025 reform, 63 provinces / 696 districts /
  10,051 communes;
* version 2025.10.1 (data version 2025-10-18): from 1 July 2025, 34 provinces / 3,321 communes,
  no district level.

and the merger table ``/work/shared/reference/province-mergers-2025.csv``.

Output (``datasets/registry/administrative-units/``):

* ``01-before-2025-07-01.csv``: every pre-reform province, district and commune (valid);
* ``02-from-2025-07-01.csv``: the reform: 29 closed provinces superseded, kept-code provinces
  updated, all districts retired, communes re-parented / renamed / added / retired;
* ``list.json`` and ``README.md`` (the README's numbers are computed here).

Usage::

    python3 datasets/scripts/build_administrative_units.py            # installs both versions
    python3 datasets/scripts/build_administrative_units.py \
        --before /path/to/0.6.0/nested-divisions.json --after /path/to/2025.10.1/nested-divisions.json

Without ``--before``/``--after`` each package version is installed (``pip install --no-deps``,
PyPI only) into its own venv under ``/tmp/seedvenv-vietnam-provinces-<version>`` and its bundled
``vietnam_provinces/data/nested-divisions.json`` is read. The run fails loudly if the counts or
the merger table do not match the package data.
"""

from __future__ import annotations

import argparse
import collections
import glob
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import list_dir, read_reference_csv, step, write_csv, write_list_json  # noqa: E402

LIST_ID = "administrative-units"
BEFORE_VERSION = "0.6.0"
AFTER_VERSION = "2025.10.1"
REFORM_DATE = "2025-07-01"

OLD_BASIS = {
    "legal_basis_decision": "124/2004/QĐ-TTg",
    # Date quoted as "Quyết định số 124/2004/QĐ-TTg ngày 08/7/2004 của Thủ tướng Chính phủ" in
    # Ministry of Health data-standard texts (see README).
    "legal_basis_date": "2004-07-08",
    "legal_basis_issuer": "Thủ tướng Chính phủ",
}
NEW_BASIS = {
    "legal_basis_decision": "19/2025/QĐ-TTg",
    # Date 30/06/2025 as cited by several independent public sources (see README).
    "legal_basis_date": "2025-06-30",
    "legal_basis_issuer": "Thủ tướng Chính phủ",
}

EXPECTED_BEFORE = {"province": 63, "district": 696, "commune": 10051}
EXPECTED_AFTER = {"province": 34, "commune": 3321}
EXPECTED_CLOSED = 29


def install(version: str) -> Path:
    venv = Path(f"/tmp/seedvenv-vietnam-provinces-{version}")
    if not (venv / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", f"vietnam-provinces=={version}"],
        check=True,
    )
    hits = glob.glob(str(venv / "lib" / "python*" / "site-packages" / "vietnam_provinces" / "data" / "nested-divisions.json"))
    if len(hits) != 1:
        raise SystemExit(f"cannot find nested-divisions.json for {version}: {hits}")
    return Path(hits[0])


def package_versions(data_json: Path) -> tuple[str, str]:
    init = (data_json.parent.parent / "__init__.py").read_text(encoding="utf-8")
    ver = re.search(r"__version__\s*=\s*'([^']+)'", init)
    dver = re.search(r"__data_version__\s*=\s*'([^']+)'", init)
    return (ver.group(1) if ver else "?", dver.group(1) if dver else "?")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def p2(c: int) -> str:
    return f"{c:02d}"


def p3(c: int) -> str:
    return f"{c:03d}"


def p5(c: int) -> str:
    return f"{c:05d}"


def full_province_name(p: dict) -> str:
    """2025.10.1 gives bare names for provinces ("Lào Cai"); 0.6.0 gives "Tỉnh Lào Cai".

    Prefix the administrative type so both steps use the same naming form.
    """
    name = p["name"]
    if p["division_type"] == "tỉnh" and not name.startswith("Tỉnh "):
        return "Tỉnh " + name
    if p["division_type"] == "thành phố trung ương" and not name.startswith("Thành phố "):
        return "Thành phố " + name
    return name


def build(before_json: Path, after_json: Path) -> dict:
    old = json.loads(before_json.read_text(encoding="utf-8"))
    new = json.loads(after_json.read_text(encoding="utf-8"))
    mergers = read_reference_csv("province-mergers-2025.csv")

    # ---- step 1: the pre-reform state --------------------------------------------------------
    rows1: list[dict] = []
    old_prov = {}
    old_dist = {}
    old_comm = {}
    for p in sorted(old, key=lambda x: x["code"]):
        old_prov[p2(p["code"])] = p
        for d in p["districts"]:
            old_dist[p3(d["code"])] = (p2(p["code"]), d)
            for w in d["wards"]:
                code = p5(w["code"])
                if code in old_comm:
                    raise SystemExit(f"duplicate old commune code {code}")
                old_comm[code] = (p3(d["code"]), w)
    counts1 = {"province": len(old_prov), "district": len(old_dist), "commune": len(old_comm)}
    if counts1 != EXPECTED_BEFORE:
        raise SystemExit(f"unexpected pre-reform counts {counts1}")

    def old_row(code, level, parent, label):
        return {"code": code, "parent": parent, "level": level, "label_vi": label, "status": "valid", **OLD_BASIS}

    for code, p in sorted(old_prov.items()):
        rows1.append(old_row(code, "province", "", p["name"]))
    for code, (pc, d) in sorted(old_dist.items()):
        rows1.append(old_row(code, "district", pc, d["name"]))
    for code, (dc, w) in sorted(old_comm.items()):
        rows1.append(old_row(code, "commune", dc, w["name"]))

    # ---- step 2: the 1 July 2025 reform -----------------------------------------------------
    new_prov = {p2(p["code"]): p for p in new}
    new_comm = {}
    for p in new:
        for w in p["wards"]:
            code = p5(w["code"])
            if code in new_comm:
                raise SystemExit(f"duplicate new commune code {code}")
            new_comm[code] = (p2(p["code"]), w)
    counts_after = {"province": len(new_prov), "commune": len(new_comm)}
    if counts_after != EXPECTED_AFTER:
        raise SystemExit(f"unexpected post-reform counts {counts_after}")

    # Check the reference merger table against both package versions.
    by_old = {m["old_code"]: m for m in mergers}
    if set(by_old) != set(old_prov):
        raise SystemExit("merger table does not list exactly the 63 old provinces")
    for m in mergers:
        if old_prov[m["old_code"]]["name"] != m["old_name"]:
            raise SystemExit(f"old name mismatch for {m['old_code']}")
        if m["new_code"] not in new_prov:
            raise SystemExit(f"successor {m['new_code']} of {m['old_code']} is not a 2025 province")
        if new_prov[m["new_code"]]["name"] not in (m["new_name"], "Tỉnh " + m["new_name"]):
            raise SystemExit(f"new name mismatch for {m['new_code']}")
    closed = [m for m in mergers if m["change"] == "closed"]
    if len(closed) != EXPECTED_CLOSED:
        raise SystemExit(f"expected {EXPECTED_CLOSED} closed provinces, found {len(closed)}")
    # Every commune code kept across the reform must sit in the successor of its old province.
    for code, (npc, _) in new_comm.items():
        if code in old_comm:
            opc = old_dist[old_comm[code][0]][0]
            if by_old[opc]["new_code"] != npc:
                raise SystemExit(f"commune {code}: old province {opc} -> {npc} contradicts the merger table")

    members = collections.defaultdict(list)
    for m in mergers:
        members[m["new_code"]].append(m)

    rows2: list[dict] = []
    stats2 = collections.Counter()
    for m in sorted(mergers, key=lambda x: x["old_code"]):
        code = m["old_code"]
        if m["change"] == "closed":
            succ = new_prov[m["new_code"]]
            rows2.append({
                "code": code, "level": "province", "label_vi": old_prov[code]["name"],
                "definition_vi": f"Hợp nhất vào {full_province_name(succ)} (mã {m['new_code']}) từ ngày 01/07/2025; mã {code} bị đóng, không cấp lại.",
                "definition_en": f"Merged into {full_province_name(succ)} (code {m['new_code']}) on 2025-07-01; code {code} is closed and never reissued.",
                "status": "superseded", "valid_to": REFORM_DATE, "successors": [m["new_code"]], **NEW_BASIS,
            })
            stats2["province superseded"] += 1
            continue
        # kept-code or unchanged: the code lives on as a 2025 province
        np_ = new_prov[code]
        label = full_province_name(np_)
        group = members[code]
        renamed = label != old_prov[code]["name"]
        merged = len(group) > 1
        if not renamed and not merged:
            stats2["province unchanged (no row)"] += 1
            continue
        parts_vi = ", ".join(f"{old_prov[g['old_code']]['name']} ({g['old_code']})" for g in sorted(group, key=lambda g: g["old_code"]))
        rows2.append({
            "code": code, "level": "province", "label_vi": label,
            "definition_vi": f"Từ ngày 01/07/2025 gồm địa bàn của: {parts_vi}." if merged else f"Đổi tên từ {old_prov[code]['name']} từ ngày 01/07/2025.",
            "definition_en": f"From 2025-07-01 covers the former: {parts_vi}." if merged else f"Renamed from {old_prov[code]['name']} on 2025-07-01.",
            "status": "valid", **NEW_BASIS,
        })
        stats2["province kept code, renamed" if renamed else "province kept code, same name"] += 1

    for code, (pc, d) in sorted(old_dist.items()):
        rows2.append({
            "code": code, "parent": pc, "level": "district", "label_vi": d["name"],
            "status": "retired", "valid_to": REFORM_DATE, **NEW_BASIS,
        })
        stats2["district retired"] += 1

    for code in sorted(set(old_comm) | set(new_comm)):
        if code in new_comm:
            npc, w = new_comm[code]
            row = {"code": code, "parent": npc, "level": "commune", "label_vi": w["name"], "status": "valid", **NEW_BASIS}
            if code in old_comm:
                stats2["commune kept code" + (", renamed" if w["name"] != old_comm[code][1]["name"] else ", same name")] += 1
            else:
                row["valid_from"] = REFORM_DATE
                stats2["commune new code"] += 1
            rows2.append(row)
        else:
            dc, w = old_comm[code]
            rows2.append({
                "code": code, "parent": dc, "level": "commune", "label_vi": w["name"],
                "status": "retired", "valid_to": REFORM_DATE, **NEW_BASIS,
            })
            stats2["commune retired"] += 1

    d = list_dir(LIST_ID)
    write_csv(d / "01-before-2025-07-01.csv", rows1)
    write_csv(d / "02-from-2025-07-01.csv", rows2)

    write_list_json(
        LIST_ID,
        title={"vi": "Danh mục đơn vị hành chính Việt Nam", "en": "Administrative units of Viet Nam"},
        description={
            "vi": "Mã số đơn vị hành chính cấp tỉnh (2 chữ số), cấp huyện (3 chữ số) và cấp xã (5 chữ số) theo Quyết định 124/2004/QĐ-TTg; từ 01/07/2025 theo Quyết định 19/2025/QĐ-TTg (34 tỉnh, 3.321 xã, bỏ cấp huyện). Mã đã đóng không bao giờ được cấp lại.",
            "en": "GSO codes of provinces (2 digits), districts (3 digits) and communes (5 digits) under Decision 124/2004/QĐ-TTg; from 2025-07-01 under Decision 19/2025/QĐ-TTg (34 provinces, 3,321 communes, no district level). Closed codes are never reissued.",
        },
        code_pattern=r"^([0-9]{2}|[0-9]{3}|[0-9]{5})$",
        levels=["province", "district", "commune"],
        steps=[
            step(
                "01-before-2025-07-01.csv",
                "Danh mục trước cải cách 2025: 63 tỉnh, 696 huyện, 10.051 xã (mã GSO, dữ liệu ngày 04/01/2025 trong gói vietnam-provinces 0.6.0).",
                "Pre-reform list: 63 provinces, 696 districts, 10,051 communes (GSO codes, data of 2025-01-04 from package vietnam-provinces 0.6.0).",
            ),
            step(
                "02-from-2025-07-01.csv",
                "Sắp xếp đơn vị hành chính từ 01/07/2025 (Quyết định 19/2025/QĐ-TTg): 29 tỉnh hợp nhất, bỏ cấp huyện, còn 34 tỉnh và 3.321 xã.",
                "Reorganisation from 2025-07-01 (Decision 19/2025/QĐ-TTg): 29 provinces merged, district level abolished, 34 provinces and 3,321 communes remain.",
            ),
        ],
    )

    return {
        "counts1": counts1,
        "counts_after": counts_after,
        "stats2": dict(stats2),
        "rows1": len(rows1),
        "rows2": len(rows2),
        "before_json": before_json,
        "after_json": after_json,
    }


README_TEMPLATE = """# administrative-units

Vietnamese administrative units with the General Statistics Office (GSO) codes: province 2 digits,
district 3 digits, commune 5 digits (the CSV keeps the leading zeros). Levels `province`, `district`,
`commune`; before the reform a commune's parent is its district and a district's parent its province;
from 2025-07-01 a commune's parent is its province (the district level is abolished).

Generated by `datasets/scripts/build_administrative_units.py`; do not edit by hand.

## Source
| what | value |
|---|---|
| package | `vietnam-provinces` on PyPI, author Nguyễn Hồng Quân (repository sunshine-tech/VietnamProvinces) |
| before the reform | version {bv} (`__data_version__` {bdv}), `vietnam_provinces/data/nested-divisions.json`, sha256 `{bsha}` |
| after the reform | version {av} (`__data_version__` {adv}), `vietnam_provinces/data/nested-divisions.json`, sha256 `{asha}` |
| merger table | `/work/shared/reference/province-mergers-2025.csv` (project reference facts) |
| upstream of the package | GSO's administrative-unit catalogue (danhmuchanhchinh.gso.gov.vn); for 2025.10.1 the package README cites the draft decision on the new unit codes published for comment on chinhphu.vn |

Licence: the codes and names are those of the official catalogue issued by decision of the Prime Minister
(normative documents are not protected works under Article 15 of the Law on Intellectual Property); this
list is published under CC-BY-4.0 with attribution to the GSO. The package itself declares no licence in
its wheel metadata; its repository's `pyproject.toml` (later commit) says `GPL-3.0-or-later`. Only the
facts (codes, names, hierarchy) are taken, no code. **This licensing judgement has not been reviewed.**

## Steps and counts
### `01-before-2025-07-01.csv` ({rows1} rows)
| level | items |
|---|---|
| province | {c1p} |
| district | {c1d} |
| commune | {c1c} |

All `valid`, `valid_from` empty (creation dates are not in the source). Legal basis
`124/2004/QĐ-TTg`, issuer `Thủ tướng Chính phủ`, date `2004-07-08`. The decision established the code
system; many units in the 2025-01-04 snapshot were created later by other decisions, which the source does
not name, so the legal basis is that of the code system, not of each unit's creation.

### `02-from-2025-07-01.csv` ({rows2} rows)
| change | items |
|---|---|
{stats_table}

After this step the valid items are {ap} provinces and {ac} communes (package {av}); closed provinces = {closed}.
Legal basis of every row: `19/2025/QĐ-TTg`, issuer `Thủ tướng Chính phủ`, date `2025-06-30`.

Rules applied:
- closed province (reference table `change = closed`): `superseded`, `valid_to` 2025-07-01, `successors` = the new
  province code, definition naming the successor;
- kept-code province: a row only when something changed: renamed, or merged with other provinces (its
  territory changed; the definition lists the former provinces it now covers). `unchanged` provinces get no
  row;
- every district: `retired`, `valid_to` 2025-07-01 (district level abolished), parent unchanged;
- every commune code present in {av}: `valid`, new label, parent = its 2025 province; codes that did not
  exist in {bv} also get `valid_from` 2025-07-01;
- old commune codes absent from {av}: `retired`, `valid_to` 2025-07-01, parent unchanged.

Province labels: {av} gives bare names (`Lào Cai`) with a separate type; the script prefixes
`Tỉnh ` / `Thành phố ` from that type so both steps use the same form as {bv} (`Tỉnh Lào Cai`).

## Unverified / unknown
- **Successors of retired communes are not given**: neither package version used here maps old communes to
  new ones, so retired communes have no `successors`. (Later versions of the package's repository carry a
  ward conversion table, `_ward_conversion_2025.py`; not used, not checked.)
- A kept commune code does not mean an unchanged territory: most 2025 communes merge several old ones and
  keep the code of one of them; the source does not say which old communes went into which new one.
- No English labels: the package has none.
- `valid_from` of pre-reform units is unknown (left empty).
- Decision dates come from secondary sources: `2004-07-08` for 124/2004/QĐ-TTg as quoted in Ministry of Health
  data-standard texts ("Quyết định số 124/2004/QĐ-TTg ngày 08/7/2004 của Thủ tướng Chính phủ"), and
  `2025-06-30` for 19/2025/QĐ-TTg as cited by several independent public code bases (one cites the signed
  PDF named `19_2025_qd-ttg_30062025`). Neither decision's text was read here.
- The {av} data is the package author's transcription of GSO data (data version {adv}); it was not compared
  with the decision's annex.
- `ownerAgency` is null: the GSO is not in the agencies list.
"""


def write_readme(info: dict) -> None:
    bv, bdv = package_versions(info["before_json"])
    av, adv = package_versions(info["after_json"])
    order = [
        "province superseded",
        "province kept code, renamed",
        "province kept code, same name",
        "province unchanged (no row)",
        "district retired",
        "commune kept code, renamed",
        "commune kept code, same name",
        "commune new code",
        "commune retired",
    ]
    stats = info["stats2"]
    table = "\n".join(f"| {k} | {stats.get(k, 0)} |" for k in order)
    text = README_TEMPLATE.format(
        bv=bv, bdv=bdv, av=av, adv=adv,
        bsha=sha256(info["before_json"]), asha=sha256(info["after_json"]),
        rows1=info["rows1"], rows2=info["rows2"],
        c1p=info["counts1"]["province"], c1d=info["counts1"]["district"], c1c=info["counts1"]["commune"],
        ap=info["counts_after"]["province"], ac=info["counts_after"]["commune"],
        closed=stats.get("province superseded", 0), stats_table=table,
    )
    (list_dir(LIST_ID) / "README.md").write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, help=f"nested-divisions.json of vietnam-provinces {BEFORE_VERSION}")
    ap.add_argument("--after", type=Path, help=f"nested-divisions.json of vietnam-provinces {AFTER_VERSION}")
    args = ap.parse_args()
    before = args.before or install(BEFORE_VERSION)
    after = args.after or install(AFTER_VERSION)
    if package_versions(before)[0] != BEFORE_VERSION or package_versions(after)[0] != AFTER_VERSION:
        raise SystemExit(f"wrong package versions: {package_versions(before)} / {package_versions(after)}")
    info = build(before, after)
    write_readme(info)
    print(json.dumps({k: v for k, v in info.items() if not k.endswith("_json")}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
