#!/usr/bin/env python3
"""Build the seed open datasets that are derived from this project's code lists and reference facts.

Writes six folders under ``datasets/catalog/`` (each with ``dataset.json``, the data files and a
``README.md``):

========================================  ============================================================
``administrative-units-2025-06-30``       provinces, districts, communes before the 2025 reform
                                          (``registry/administrative-units`` after step 1)
``administrative-units-2025-07-01``       34 provinces and 3,321 communes from 2025-07-01 (after step 2)
``province-mergers-2025``                 ``/work/shared/reference/province-mergers-2025.csv``
``agency-identifiers-level-1``            ``registry/agencies`` (step 1 and its state after step 2)
``ethnic-groups``                         ``registry/ethnic-groups``
``ministry-restructuring-2025``           ``/work/shared/reference/ministry-restructuring-2025.csv``
========================================  ============================================================

Only facts that are in those inputs are written: no code is derived or invented. Every output is a
pure function of the inputs (sorted, fixed dates, stable JSON), so reruns give identical files.
The README of each dataset records the sha256 of the inputs it was made from.

Usage: ``python3 datasets/scripts/build_catalog_registry.py`` (no network). Then run
``build_catalog_open_data_lists.py`` and ``validate_catalog.py``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # leave no __pycache__ beside the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_seedlib import (  # noqa: E402
    CATALOG_DIR,
    DATASETS_DIR,
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

# The day these seed entries were compiled: the date their codes are checked at (`referenceDate`) where no other
# date applies. Never shown as a date of the data (see SOURCE_DATES in catalog_seedlib.py).
COMPILED = "2026-11-23"
REFORM = "2025-07-01"
BEFORE_REFORM = "2025-06-30"
RESTRUCTURING = "2025-03-01"
SCRIPT = "datasets/scripts/build_catalog_registry.py"

# Prefixes of unit labels, longest first (matched case-insensitively: two district labels in the
# source write "Thành Phố").
UNIT_TYPES = ["Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Quận", "Huyện", "Tỉnh", "Xã"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rel(path: Path) -> str:
    try:
        return "datasets/" + str(path.relative_to(DATASETS_DIR))
    except ValueError:
        return str(path)


def inputs_table(paths: list[Path]) -> str:
    """Markdown table of input files and their sha256, with blank lines around it."""
    return "\n" + md_table(["input", "sha256"], [[f"`{rel(p)}`", f"`{sha256(p)}`"] for p in paths]) + "\n"


def split_label(label: str) -> tuple[str, str]:
    """``"Tỉnh Lào Cai"`` -> ``("Tỉnh", "Lào Cai")``."""
    for t in UNIT_TYPES:
        if label.lower().startswith(t.lower() + " "):
            return t, label[len(t) + 1:]
    raise ValueError(f"label without a known unit type: {label!r}")


def files_table(rows: list[tuple[str, int, str]]) -> str:
    return md_table(["file", "rows", "columns"], [[f"`{f}`", n, c] for f, n, c in rows])


COMMON_README_TAIL = f"""
## Catalogue metadata choices
- @SOURCE_DATES@
- `publisher` is the agency this seed catalogue files the dataset under (a `valid` code of the
  `agencies` list at `referenceDate`); the files are **not** an official publication of that agency.
- No `contactPoint`: no verified contact address is known.
- Made by `{SCRIPT}` (no network; deterministic). Do not edit the files by hand.
"""


# ---------------------------------------------------------------------------------------------
# 1. Administrative units before the reform
# ---------------------------------------------------------------------------------------------
def build_units_before() -> None:
    ds_id = "administrative-units-2025-06-30"
    folder = CATALOG_DIR / ds_id
    state = registry_state("administrative-units", upto_step=1)
    step1 = registry_steps("administrative-units")[0]
    by_code = dict(state)
    provinces, districts, communes = [], [], []
    for code in sorted(state):
        it = state[code]
        t, name = split_label(it["label_vi"])
        row = {"code": code, "label": it["label_vi"], "unit_type": t, "name": name}
        if it["level"] == "province":
            provinces.append(row)
        elif it["level"] == "district":
            p = by_code[it["parent"]]
            row |= {"province_code": p["code"], "province_label": p["label_vi"]}
            districts.append(row)
        else:
            d = by_code[it["parent"]]
            p = by_code[d["parent"]]
            row |= {
                "district_code": d["code"],
                "district_label": d["label_vi"],
                "province_code": p["code"],
                "province_label": p["label_vi"],
            }
            communes.append(row)
    assert (len(provinces), len(districts), len(communes)) == (63, 696, 10051), (
        len(provinces), len(districts), len(communes))
    base = ["code", "label", "unit_type", "name"]
    write_csv(folder / "provinces.csv", base, provinces)
    write_csv(folder / "districts.csv", base + ["province_code", "province_label"], districts)
    write_csv(
        folder / "communes.csv",
        base + ["district_code", "district_label", "province_code", "province_label"],
        communes,
    )

    def count(rows, key="unit_type"):
        c: dict[str, int] = {}
        for r in rows:
            c[r[key]] = c.get(r[key], 0) + 1
        return ", ".join(f"{k} {v}" for k, v in sorted(c.items()))

    content = {
        "title": {
            "vi": "Danh mục đơn vị hành chính Việt Nam trước ngày 01/07/2025 (63 tỉnh, 696 huyện, 10.051 xã)",
            "en": "Administrative units of Viet Nam before 2025-07-01 (63 provinces, 696 districts, 10,051 communes)",
        },
        "description": {
            "vi": (
                "Mã số và tên các đơn vị hành chính ba cấp (tỉnh, huyện, xã) theo hệ thống mã của Tổng cục Thống kê "
                "(Quyết định 124/2004/QĐ-TTg) trước khi sắp xếp đơn vị hành chính năm 2025: 63 tỉnh, 696 huyện, "
                "10.051 xã, theo dữ liệu ngày 04/01/2025. Các mã này hết hiệu lực hoặc đổi địa bàn từ ngày 01/07/2025; "
                "dùng để đối chiếu dữ liệu lịch sử."
            ),
            "en": (
                "Codes and names of the three levels of administrative units (province, district, commune) in the "
                "General Statistics Office coding (Decision 124/2004/QĐ-TTg) before the 2025 reorganisation: "
                "63 provinces, 696 districts, 10,051 communes, as of the data of 2025-01-04. Many of these codes were "
                "closed or changed territory on 2025-07-01; use it to read historical data."
            ),
        },
        "publisher": "G12",
        "themes": ["localities"],
        "keywords": {
            "vi": ["đơn vị hành chính", "mã đơn vị hành chính", "tỉnh", "huyện", "xã", "Tổng cục Thống kê"],
            "en": ["administrative units", "administrative unit codes", "provinces", "districts", "communes", "GSO"],
        },
        "spatial": [r["code"] for r in provinces],
        "temporal": {"start": "2025-01-04", "end": BEFORE_REFORM},
        "frequency": "NEVER",
        "languages": ["vi"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": BEFORE_REFORM,
        "distributions": [
            distribution("provinces-csv", "provinces.csv", "CSV", "Danh sách 63 tỉnh, thành phố",
                         "The 63 provinces and centrally-run cities"),
            distribution("districts-csv", "districts.csv", "CSV", "Danh sách 696 đơn vị hành chính cấp huyện",
                         "The 696 district-level units"),
            distribution("communes-csv", "communes.csv", "CSV", "Danh sách 10.051 đơn vị hành chính cấp xã",
                         "The 10,051 commune-level units"),
        ],
    }
    readme = f"""# {ds_id}

{content['title']['en']}.

## Files
{files_table([
    ("provinces.csv", len(provinces), "code, label, unit_type, name"),
    ("districts.csv", len(districts), "code, label, unit_type, name, province_code, province_label"),
    ("communes.csv", len(communes), "code, label, unit_type, name, district_code, district_label, province_code, province_label"),
])}

Codes keep their leading zeros (province 2 digits, district 3, commune 5): read them as text.
`label` is the official name with its unit type, `unit_type` the prefix of the label
(provinces: {count(provinces)}; districts: {count(districts)}; communes: {count(communes)}),
`name` the label without it. Two district labels in the source write "Thành Phố"; `unit_type`
normalises them to "Thành phố", `label` keeps the source spelling.

## Source
- This project's code list `administrative-units`, **state after step 1** (`01-before-2025-07-01.csv`),
  which was built from PyPI `vietnam-provinces` 0.6.0 (`__data_version__` 2025-01-04), a transcription of
  the General Statistics Office's catalogue; see `datasets/registry/administrative-units/README.md`.
{inputs_table([step1])}
- Licence: CC-BY-4.0, attribution to the General Statistics Office (codes and names issued by decision of
  the Prime Minister). The package declares no licence in its wheel; only facts were taken (same
  judgement as the registry list, not reviewed).

## Unverified
- The data is the package author's transcription of GSO data of 2025-01-04, not compared with the GSO's
  own catalogue; units changed between 2025-01-04 and 2025-06-30 (if any) are not reflected.
- `temporal.start` is the date of the data, not the date from which every unit existed.
- No English names (the source has none).
- `publisher` G12 (Ministry of Finance): the GSO, which maintains these codes, has been part of the
  Ministry of Finance since the 2025-03-01 restructuring (it was under G05, now superseded). The
  GSO's own level-2 identifier is not known here, so the level-1 code is used.
{COMMON_README_TAIL}"""
    write_dataset(ds_id, content, readme)


# ---------------------------------------------------------------------------------------------
# 2. Administrative units from 2025-07-01
# ---------------------------------------------------------------------------------------------
def build_units_after(mergers: list[dict]) -> None:
    ds_id = "administrative-units-2025-07-01"
    folder = CATALOG_DIR / ds_id
    state = registry_state("administrative-units")
    before = registry_state("administrative-units", upto_step=1)
    steps = registry_steps("administrative-units")
    former: dict[str, list[dict]] = {}
    for m in mergers:
        former.setdefault(m["new_code"], []).append(m)
    provinces, communes = [], []
    for code in sorted(state):
        it = state[code]
        if it["status"] != "valid" or it["level"] == "district":
            continue
        t, name = split_label(it["label_vi"])
        row = {"code": code, "label": it["label_vi"], "unit_type": t, "name": name}
        if it["level"] == "province":
            fs = sorted(former[code], key=lambda m: m["old_code"])
            changes = {m["change"] for m in fs if m["old_code"] == code}
            assert len(changes) == 1, code
            row |= {
                "former_province_codes": [m["old_code"] for m in fs],
                "former_province_labels": [m["old_name"] for m in fs],
                "change_2025": changes.pop(),
            }
            provinces.append(row)
        else:
            p = state[it["parent"]]
            assert p["level"] == "province" and p["status"] == "valid", code
            row |= {
                "province_code": p["code"],
                "province_label": p["label_vi"],
                "code_2025": "new" if it.get("valid_from") == REFORM else "kept",
            }
            assert (row["code_2025"] == "new") == (code not in before), code
            communes.append(row)
    assert (len(provinces), len(communes)) == (34, 3321), (len(provinces), len(communes))
    base = ["code", "label", "unit_type", "name"]
    write_csv(folder / "provinces.csv",
              base + ["former_province_codes", "former_province_labels", "change_2025"], provinces)
    write_csv(folder / "communes.csv", base + ["province_code", "province_label", "code_2025"], communes)
    nested = [
        {
            "code": p["code"],
            "label": p["label"],
            "unitType": p["unit_type"],
            "formerProvinces": [
                {"code": c, "label": lab}
                for c, lab in zip(p["former_province_codes"], p["former_province_labels"])
            ],
            "communes": [
                {"code": c["code"], "label": c["label"], "unitType": c["unit_type"]}
                for c in communes
                if c["province_code"] == p["code"]
            ],
        }
        for p in provinces
    ]
    write_json(folder / "administrative-units.json", nested)
    n_new = sum(1 for c in communes if c["code_2025"] == "new")
    per_type: dict[str, int] = {}
    for c in communes:
        per_type[c["unit_type"]] = per_type.get(c["unit_type"], 0) + 1
    content = {
        "title": {
            "vi": "Danh mục đơn vị hành chính Việt Nam từ ngày 01/07/2025 (34 tỉnh, 3.321 xã)",
            "en": "Administrative units of Viet Nam from 2025-07-01 (34 provinces, 3,321 communes)",
        },
        "description": {
            "vi": (
                "Mã số và tên 34 đơn vị hành chính cấp tỉnh và 3.321 đơn vị hành chính cấp xã (xã, phường, đặc khu) "
                "từ ngày 01/07/2025 theo Quyết định 19/2025/QĐ-TTg, khi cấp huyện không còn. Mỗi tỉnh kèm các tỉnh cũ "
                "hợp thành; mỗi xã kèm tỉnh trực thuộc và cho biết mã được giữ lại từ một xã cũ hay là mã mới."
            ),
            "en": (
                "Codes and names of the 34 provinces and 3,321 communes (communes, wards and special zones) from "
                "2025-07-01 under Decision 19/2025/QĐ-TTg, when the district level was abolished. Each province "
                "lists the former provinces it covers; each commune gives its province and whether its code was "
                "kept from a former commune or is new."
            ),
        },
        "publisher": "G12",
        "themes": ["localities"],
        "keywords": {
            "vi": ["đơn vị hành chính", "sắp xếp đơn vị hành chính 2025", "34 tỉnh", "xã", "phường", "đặc khu"],
            "en": ["administrative units", "2025 administrative reform", "34 provinces", "communes", "wards",
                   "special zones"],
        },
        "spatial": [p["code"] for p in provinces],
        "temporal": {"start": REFORM},
        "frequency": "IRREG",
        "languages": ["vi"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": REFORM,
        "distributions": [
            distribution("provinces-csv", "provinces.csv", "CSV", "Danh sách 34 tỉnh, thành phố",
                         "The 34 provinces and centrally-run cities"),
            distribution("communes-csv", "communes.csv", "CSV", "Danh sách 3.321 đơn vị hành chính cấp xã",
                         "The 3,321 commune-level units"),
            distribution("nested-json", "administrative-units.json", "JSON",
                         "Tỉnh và các xã trực thuộc (JSON lồng nhau)", "Provinces with their communes (nested JSON)"),
        ],
    }
    readme = f"""# {ds_id}

{content['title']['en']}.

## Files
{files_table([
    ("provinces.csv", len(provinces), "code, label, unit_type, name, former_province_codes, former_province_labels, change_2025"),
    ("communes.csv", len(communes), "code, label, unit_type, name, province_code, province_label, code_2025"),
    ("administrative-units.json", len(provinces), "array of provinces: code, label, unitType, formerProvinces[], communes[] (code, label, unitType)"),
])}

- Codes are text with leading zeros (province 2 digits, commune 5 digits).
- `former_province_codes` / `former_province_labels`: the pre-reform provinces whose territory the
  province covers (`|`-separated, from the merger table); `change_2025`: `kept-code` (former provinces
  were merged into it under this code, which was one of theirs; its name may be another former
  province's) or `unchanged` (same code, same territory).
- Communes by type: {", ".join(f"{k} {v}" for k, v in sorted(per_type.items()))}.
- `code_2025`: `kept` when the code already existed as a commune code before 2025-07-01
  ({len(communes) - n_new}), `new` when it did not ({n_new}). A kept code does **not** mean an unchanged
  territory: most new communes merge several old ones and keep the code of one of them.

## Source
- This project's code list `administrative-units`, **state after step 2** (`02-from-2025-07-01.csv`
  applied on step 1), built from PyPI `vietnam-provinces` 2025.10.1 (`__data_version__` 2025-10-18);
  see `datasets/registry/administrative-units/README.md`.
- Former provinces: `/work/shared/reference/province-mergers-2025.csv`.
{inputs_table(steps + [REFERENCE_DIR / "province-mergers-2025.csv"])}
- Licence: CC-BY-4.0, attribution to the General Statistics Office (codes and names issued by decision of
  the Prime Minister; same licensing judgement as the registry list, not reviewed).

## Unverified
- The package's 2025.10.1 data is its author's transcription (data version 2025-10-18), not compared with
  the annex of Decision 19/2025/QĐ-TTg; changes after 2025-10-18 are not reflected.
- Which old communes went into which new commune is not in the source, so it is not given.
- No English names (the source has none).
- `publisher` G12: see the note in `administrative-units-2025-06-30/README.md`.
{COMMON_README_TAIL}"""
    write_dataset(ds_id, content, readme)


# ---------------------------------------------------------------------------------------------
# 3. Province mergers
# ---------------------------------------------------------------------------------------------
def build_mergers(mergers: list[dict]) -> None:
    ds_id = "province-mergers-2025"
    folder = CATALOG_DIR / ds_id
    after = registry_state("administrative-units")
    rows = []
    for m in sorted(mergers, key=lambda m: m["old_code"]):
        new = after[m["new_code"]]
        assert new["status"] == "valid" and new["level"] == "province", m
        # The reference gives bare new names ("Tuyên Quang"); the label is the registry's full form.
        assert m["new_name"] in (new["label_vi"], split_label(new["label_vi"])[1]), (m, new["label_vi"])
        rows.append({
            "old_code": m["old_code"],
            "old_label": m["old_name"],
            "new_code": m["new_code"],
            "new_label": new["label_vi"],
            "change": m["change"],
            "effective": REFORM,
        })
    assert len(rows) == 63
    header = ["old_code", "old_label", "new_code", "new_label", "change", "effective"]
    write_csv(folder / "province-mergers-2025.csv", header, rows)
    groups = []
    for code in sorted({r["new_code"] for r in rows}):
        members = [r for r in rows if r["new_code"] == code]
        groups.append({
            "code": code,
            "label": members[0]["new_label"],
            "effective": REFORM,
            "predecessors": [
                {"code": r["old_code"], "label": r["old_label"], "change": r["change"]} for r in members
            ],
        })
    assert len(groups) == 34
    write_json(folder / "province-mergers-2025.json", groups)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["change"]] = counts.get(r["change"], 0) + 1
    content = {
        "title": {
            "vi": "Bảng sắp xếp, hợp nhất đơn vị hành chính cấp tỉnh năm 2025 (63 tỉnh thành 34 tỉnh)",
            "en": "Province mergers of 2025 (63 provinces into 34)",
        },
        "description": {
            "vi": (
                "Với mỗi tỉnh, thành phố trước ngày 01/07/2025 (63 đơn vị): tỉnh kế thừa từ ngày 01/07/2025 (34 đơn vị) "
                "và số phận của mã cũ: giữ nguyên, được tỉnh mới dùng lại (kept-code) hoặc bị đóng vĩnh viễn (closed). "
                "Dùng để chuyển mã tỉnh trong dữ liệu cũ sang mã mới."
            ),
            "en": (
                "For each of the 63 provinces before 2025-07-01: the province that succeeded it on 2025-07-01 (34 in "
                "all) and what became of the old code: unchanged, used by the successor (kept-code) or closed for "
                "good (closed). Use it to convert province codes in older data."
            ),
        },
        "publisher": "G09",
        "themes": ["localities", "society"],
        "keywords": {
            "vi": ["sắp xếp đơn vị hành chính", "hợp nhất tỉnh", "mã tỉnh", "2025", "bảng chuyển đổi"],
            "en": ["administrative reform", "province mergers", "province codes", "2025", "crosswalk"],
        },
        "spatial": [r["old_code"] for r in rows],
        "temporal": {"start": REFORM, "end": REFORM},
        "frequency": "NEVER",
        "languages": ["vi"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": BEFORE_REFORM,
        "distributions": [
            distribution("mergers-csv", "province-mergers-2025.csv", "CSV", "Bảng tỉnh cũ – tỉnh mới",
                         "Old province to new province"),
            distribution("mergers-json", "province-mergers-2025.json", "JSON",
                         "34 tỉnh mới và các tỉnh cũ hợp thành", "The 34 new provinces with their predecessors"),
        ],
    }
    readme = f"""# {ds_id}

{content['title']['en']}.

## Files
{files_table([
    ("province-mergers-2025.csv", len(rows), "old_code, old_label, new_code, new_label, change, effective"),
    ("province-mergers-2025.json", len(groups), "array of new provinces: code, label, effective, predecessors[] (code, label, change)"),
])}

`change`: {", ".join(f"`{k}` {v}" for k, v in sorted(counts.items()))}. `unchanged`: same code, same
territory; `kept-code`: the successor uses this code; `closed`: the code is closed and never reissued.
`new_label` is the successor's full label in the registry (the reference file gives bare names such as
"Tuyên Quang"; the script checks that they agree).

`spatial` lists the 63 pre-reform province codes, so `referenceDate` is {BEFORE_REFORM}: 29 of them are
no longer valid from {REFORM}.

## Source
- `/work/shared/reference/province-mergers-2025.csv` (project reference facts), built from the GSO codes in
  PyPI `vietnam-provinces` (0.6.0 = before, 2025.10.1 = after) and the merger groups of the 2025 reform.
- New labels: this project's code list `administrative-units` after step 2.
{inputs_table([REFERENCE_DIR / "province-mergers-2025.csv"] + registry_steps("administrative-units"))}
- Licence: CC-BY-4.0.

## Unverified
- The merger groups were not compared here with the National Assembly's resolution or Decision
  19/2025/QĐ-TTg.
- `publisher` G09 (Ministry of Home Affairs) is this catalogue's choice, as the ministry in charge of
  administrative units; the table is not its publication.
{COMMON_README_TAIL}"""
    write_dataset(ds_id, content, readme)


# ---------------------------------------------------------------------------------------------
# 4. Agency identifiers
# ---------------------------------------------------------------------------------------------
def build_agencies() -> None:
    ds_id = "agency-identifiers-level-1"
    folder = CATALOG_DIR / ds_id
    steps = registry_steps("agencies")
    first = read_csv(steps[0])
    state = registry_state("agencies")
    rows = []
    for r in first:
        s = state[r["code"]]
        unverified = "UNVERIFIED" in (s.get("definition_en") or "")
        rows.append({
            "code": r["code"],
            "qcvn102_code": r["notation:qcvn102"],
            "name_vi": r["label_vi"],
            "name_en": r["label_en"],
            "status": s["status"],
            "valid_to": s.get("valid_to") or "",
            "successor_code": s.get("successors") or "",
            "name_unverified": unverified,
            "note_vi": s.get("definition_vi") or "",
            "note_en": s.get("definition_en") or "",
        })
    header = ["code", "qcvn102_code", "name_vi", "name_en", "status", "valid_to", "successor_code",
              "name_unverified", "note_vi", "note_en"]
    write_csv(folder / "agency-identifiers.csv", header, rows)
    write_json(folder / "agency-identifiers.json", [
        {
            "code": r["code"],
            "qcvn102Code": r["qcvn102_code"],
            "name": {"vi": r["name_vi"], "en": r["name_en"]},
            "status": r["status"],
            "validTo": r["valid_to"] or None,
            "successors": [c for c in r["successor_code"].split("|") if c],
            "nameUnverified": r["name_unverified"],
        }
        for r in rows
    ])
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    content = {
        "title": {
            "vi": "Mã định danh điện tử cấp 1 của các bộ, cơ quan ngang bộ (kèm sắp xếp ngày 01/03/2025)",
            "en": "Level-1 electronic identifiers of ministries and ministry-level agencies (with the 2025-03-01 restructuring)",
        },
        "description": {
            "vi": (
                "22 mã định danh điện tử cấp 1 (G01–G22) của các bộ, cơ quan ngang bộ theo Quyết định 20/2020/QĐ-TTg, "
                "kèm dạng mã theo QCVN 102:2016/BTTTT (000.00.00.Gxx), trạng thái sau khi sắp xếp bộ máy từ ngày "
                "01/03/2025 (còn hiệu lực, bị thay thế kèm mã cơ quan kế thừa, hoặc ngừng sử dụng) và các ghi chú "
                "chưa xác minh."
            ),
            "en": (
                "The 22 level-1 electronic identifiers (G01–G22) of ministries and ministry-level agencies under "
                "Decision 20/2020/QĐ-TTg, with their QCVN 102:2016/BTTTT form (000.00.00.Gxx), their status after "
                "the restructuring of 2025-03-01 (valid, superseded with the successor's code, or retired) and "
                "what is unverified."
            ),
        },
        "publisher": "G06",
        "themes": ["technology", "society"],
        "keywords": {
            "vi": ["mã định danh điện tử", "mã định danh cơ quan", "QCVN 102:2016", "Quyết định 20/2020/QĐ-TTg",
                   "bộ", "cơ quan ngang bộ"],
            "en": ["electronic identifiers", "agency codes", "QCVN 102:2016", "Decision 20/2020/QĐ-TTg",
                   "ministries"],
        },
        "temporal": {"start": "2020-09-15"},
        "frequency": "IRREG",
        "languages": ["vi", "en"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": RESTRUCTURING,
        "distributions": [
            distribution("identifiers-csv", "agency-identifiers.csv", "CSV", "Mã định danh cấp 1 (CSV)",
                         "Level-1 identifiers (CSV)"),
            distribution("identifiers-json", "agency-identifiers.json", "JSON", "Mã định danh cấp 1 (JSON)",
                         "Level-1 identifiers (JSON)"),
        ],
    }
    readme = f"""# {ds_id}

{content['title']['en']}.

## Files
{files_table([
    ("agency-identifiers.csv", len(rows), ", ".join(header)),
    ("agency-identifiers.json", len(rows), "array: code, qcvn102Code, name {vi, en}, status, validTo, successors[], nameUnverified"),
])}

`status` is the status after the restructuring of 2025-03-01 ({", ".join(f"{k} {v}" for k, v in sorted(counts.items()))});
`valid_to` is the first day the code is no longer valid; `successor_code` is given only where the
successor's code is known. `temporal.start` 2020-09-15 is the day Decision 20/2020/QĐ-TTg came into force.

## Source
- This project's code list `agencies`: step 1 (identifiers) and its state after step 2 (restructuring),
  built from `/work/shared/reference/agencies.csv` and `ministry-restructuring-2025.csv`; see
  `datasets/registry/agencies/README.md`.
{inputs_table(steps)}
- Licence: CC-BY-4.0.

## Unverified
- **G13**: the code is seen in use, the name "Bộ Tài nguyên và Môi trường" is only inferred
  (`name_unverified` = true).
- The level-1 codes of the Ministry of Agriculture and Environment and of the Ministry of Ethnic and
  Religious Affairs (successors of G10, G13 and G21) are **not known**: those rows are `retired` without
  successor code. Decision 09/2025/QĐ-TTg re-assigned level-1 codes; its table was not available.
- The level-2 General Department of Taxation (`000.00.18.G12`) is not included: its Decision 20/2020
  form is not known.
- `publisher` G06 (Ministry of Science and Technology, which absorbed the Ministry of Information and
  Communications that issued QCVN 102:2016) is this catalogue's choice.
{COMMON_README_TAIL}"""
    write_dataset(ds_id, content, readme)


# ---------------------------------------------------------------------------------------------
# 5. Ethnic groups
# ---------------------------------------------------------------------------------------------
def build_ethnic_groups() -> None:
    ds_id = "ethnic-groups"
    folder = CATALOG_DIR / ds_id
    steps = registry_steps("ethnic-groups")
    state = registry_state("ethnic-groups")
    rows = [
        {"code": c, "name_vi": it["label_vi"], "name_en": it.get("label_en") or ""}
        for c, it in sorted(state.items(), key=lambda kv: int(kv[0]))
        if it["status"] == "valid"
    ]
    assert len(rows) == 54 and [r["code"] for r in rows] == [str(i) for i in range(1, 55)]
    write_csv(folder / "ethnic-groups.csv", ["code", "name_vi", "name_en"], rows)
    write_json(folder / "ethnic-groups.json",
               [{"code": r["code"], "name": {"vi": r["name_vi"], "en": r["name_en"]}} for r in rows])
    content = {
        "title": {"vi": "Danh mục 54 dân tộc Việt Nam", "en": "The 54 ethnic groups of Viet Nam"},
        "description": {
            "vi": (
                "Mã và tên 54 dân tộc Việt Nam (mã 1–54) theo Danh mục các dân tộc Việt Nam ban hành kèm Quyết định "
                "121-TCTK/PPCĐ ngày 02/03/1979 của Tổng cục trưởng Tổng cục Thống kê; dùng trong các danh mục dùng chung."
            ),
            "en": (
                "Codes and names of the 54 ethnic groups of Viet Nam (codes 1–54) in the list issued with Decision "
                "121-TCTK/PPCĐ of 1979-03-02 of the Director General of the General Statistics Office; used by the "
                "shared code lists of state information systems."
            ),
        },
        "publisher": "G12",
        "themes": ["society"],
        "keywords": {
            "vi": ["dân tộc", "54 dân tộc", "danh mục dùng chung", "Tổng cục Thống kê"],
            "en": ["ethnic groups", "ethnicity", "shared code lists", "GSO"],
        },
        "frequency": "IRREG",
        "languages": ["vi", "en"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "master",
        "referenceDate": COMPILED,
        "distributions": [
            distribution("ethnic-groups-csv", "ethnic-groups.csv", "CSV", "Danh mục dân tộc (CSV)",
                         "Ethnic groups (CSV)"),
            distribution("ethnic-groups-json", "ethnic-groups.json", "JSON", "Danh mục dân tộc (JSON)",
                         "Ethnic groups (JSON)"),
        ],
    }
    readme = f"""# {ds_id}

{content['title']['en']}.

## Files
{files_table([
    ("ethnic-groups.csv", len(rows), "code, name_vi, name_en"),
    ("ethnic-groups.json", len(rows), "array: code, name {vi, en}"),
])}

Codes are plain integers `1`–`54` without leading zero (systems storing two characters pad them).

## Source
- This project's code list `ethnic-groups` (`datasets/registry/ethnic-groups/`).
{inputs_table(steps)}
- Licence: CC-BY-4.0.

## Unverified
- **Transcribed, to be verified**: the list was written from the well-known GSO order and cross-checked
  against independent public code bases, not against the decision's text (see the registry README).
- English names are unaccented romanisations by this project's registry, not official translations.
- `publisher` G12: the GSO, which issued the list, is now part of the Ministry of Finance; the ministry
  now in charge of ethnic affairs (Ministry of Ethnic and Religious Affairs) has no known level-1 code.
{COMMON_README_TAIL}"""
    write_dataset(ds_id, content, readme)


# ---------------------------------------------------------------------------------------------
# 6. Ministry restructuring
# ---------------------------------------------------------------------------------------------
# English names of the two new ministries whose codes are unknown, as worded in the registry's
# step-2 definitions of G10/G13 and G21 ("Ministry of Agriculture and Environment (Bộ Nông nghiệp và
# Môi trường)", "Ministry of Ethnic and Religious Affairs (Bộ Dân tộc và Tôn giáo)").
NEW_MINISTRIES_EN = {
    "Bộ Nông nghiệp và Môi trường": "Ministry of Agriculture and Environment",
    "Bộ Dân tộc và Tôn giáo": "Ministry of Ethnic and Religious Affairs",
}


def build_restructuring() -> None:
    ds_id = "ministry-restructuring-2025"
    folder = CATALOG_DIR / ds_id
    ref = read_csv(REFERENCE_DIR / "ministry-restructuring-2025.csv")
    agencies = registry_state("agencies")
    rows = []
    for r in ref:
        a = agencies[r["absorbed_code"]]
        succ_code = r["successor_code"]
        if succ_code:
            succ_en = agencies[succ_code]["label_en"]
            assert agencies[succ_code]["label_vi"] == r["successor_name_vi"], r
        else:
            succ_en = NEW_MINISTRIES_EN[r["successor_name_vi"]]
        assert a["valid_to"] == r["effective"], r
        rows.append({
            "absorbed_code": r["absorbed_code"],
            "absorbed_name_vi": r["absorbed_name_vi"],
            "absorbed_name_en": a["label_en"],
            "successor_code": succ_code,
            "successor_name_vi": r["successor_name_vi"],
            "successor_name_en": succ_en,
            "effective": r["effective"],
            "absorbed_code_status": a["status"],
            # Public wording of the change: the registry's bilingual step-2 definitions.
            "note_vi": a.get("definition_vi") or "",
            "note_en": a.get("definition_en") or "",
        })
    header = list(rows[0])
    write_csv(folder / "ministry-restructuring-2025.csv", header, rows)
    write_json(folder / "ministry-restructuring-2025.json", [
        {
            "absorbed": {"code": r["absorbed_code"], "name": {"vi": r["absorbed_name_vi"], "en": r["absorbed_name_en"]}},
            "successor": {"code": r["successor_code"] or None,
                          "name": {"vi": r["successor_name_vi"], "en": r["successor_name_en"]}},
            "effective": r["effective"],
            "absorbedCodeStatus": r["absorbed_code_status"],
            "note": {"vi": r["note_vi"], "en": r["note_en"]},
        }
        for r in rows
    ])
    content = {
        "title": {
            "vi": "Sắp xếp, hợp nhất các bộ, cơ quan ngang bộ từ ngày 01/03/2025",
            "en": "Restructuring of ministries and ministry-level agencies from 2025-03-01",
        },
        "description": {
            "vi": (
                "Các bộ, cơ quan ngang bộ được hợp nhất từ ngày 01/03/2025 (7 cơ quan), cơ quan kế thừa và mã định "
                "danh điện tử cấp 1 của cơ quan kế thừa khi đã biết; mã của Bộ Nông nghiệp và Môi trường và Bộ Dân tộc "
                "và Tôn giáo chưa biết nên để trống."
            ),
            "en": (
                "The 7 ministries and ministry-level agencies merged from 2025-03-01, the agency that absorbed each, "
                "and the successor's level-1 electronic identifier where it is known; the codes of the Ministry of "
                "Agriculture and Environment and of the Ministry of Ethnic and Religious Affairs are not known and "
                "are left empty."
            ),
        },
        "publisher": "G22",
        "themes": ["society"],
        "keywords": {
            "vi": ["sắp xếp bộ máy", "hợp nhất bộ", "tinh gọn bộ máy", "2025", "mã định danh điện tử"],
            "en": ["government restructuring", "ministry mergers", "2025", "electronic identifiers"],
        },
        "temporal": {"start": RESTRUCTURING, "end": RESTRUCTURING},
        "frequency": "NEVER",
        "languages": ["vi", "en"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "dataClass": "transaction",
        "referenceDate": RESTRUCTURING,
        "distributions": [
            distribution("restructuring-csv", "ministry-restructuring-2025.csv", "CSV",
                         "Bảng cơ quan bị hợp nhất – cơ quan kế thừa", "Absorbed agency to successor"),
            distribution("restructuring-json", "ministry-restructuring-2025.json", "JSON",
                         "Bảng cơ quan bị hợp nhất – cơ quan kế thừa (JSON)", "Absorbed agency to successor (JSON)"),
        ],
    }
    readme = f"""# {ds_id}

{content['title']['en']}.

## Files
{files_table([
    ("ministry-restructuring-2025.csv", len(rows), ", ".join(header)),
    ("ministry-restructuring-2025.json", len(rows), "array: absorbed {code, name}, successor {code or null, name}, effective, absorbedCodeStatus, note"),
])}

`successor_code` is empty where the successor's level-1 code is not known (never invented).
`absorbed_code_status` is the absorbed code's status in the `agencies` list: `superseded` (successor
code known) or `retired` (not known).

## Source
- `/work/shared/reference/ministry-restructuring-2025.csv` (project reference facts), with English names
  from this project's `agencies` list (the two new ministries: as worded in that list's step-2 notes).
{inputs_table([REFERENCE_DIR / "ministry-restructuring-2025.csv"] + registry_steps("agencies"))}
- Licence: CC-BY-4.0.

## Unverified
- The act that restructured the ministries is not in the reference facts, so no legal basis is given.
- G07's functions were split (mostly to G09, some to the ministries of education and health); only G09 is
  recorded as successor, as in the reference.
- G13's name is UNVERIFIED (see `agency-identifiers-level-1`).
- `publisher` G22 (Government Office) is this catalogue's choice.
{COMMON_README_TAIL}"""
    write_dataset(ds_id, content, readme)


def main() -> None:
    mergers = read_csv(REFERENCE_DIR / "province-mergers-2025.csv")
    build_units_before()
    build_units_after(mergers)
    build_mergers(mergers)
    build_agencies()
    build_ethnic_groups()
    build_restructuring()
    print("wrote 6 datasets under", CATALOG_DIR)


if __name__ == "__main__":
    main()
