#!/usr/bin/env python3
"""Build the ``agencies`` seed code list (level-1 electronic identifiers of ministries).

Sources (project reference facts, read-only):

* ``/work/shared/reference/agencies.csv``: QCVN 102:2016 form (``000.00.00.G12``) and Decision
  20/2020/QĐ-TTg level-1 form (``G12``) of the ministries and ministry-level agencies;
* ``/work/shared/reference/ministry-restructuring-2025.csv``: the 1 March 2025 restructuring.

Output (``datasets/registry/agencies/``):

* ``01-level-1-identifiers.csv``: one row per agency that has a Decision 20/2020 code; the QCVN 102
  code goes in ``notation:qcvn102``. Rows without a Decision 20/2020 code (the level-2 General
  Department of Taxation, ``000.00.18.G12``) are skipped: deriving one would invent a code.
  The row whose name the reference marks UNVERIFIED keeps that mark in its definitions.
* ``02-restructuring-2025-03-01.csv``: absorbed agencies -> ``superseded`` with the successor code
  where the reference gives one, else ``retired`` with "successor code unknown".
* ``list.json``. The README beside them is written by hand.

Usage: ``python3 datasets/scripts/build_agencies.py`` (no network).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import list_dir, read_reference_csv, step, write_csv, write_list_json  # noqa: E402

LIST_ID = "agencies"
QCVN = "notation:qcvn102"

# Decision 20/2020/QĐ-TTg defines the structure of these identifiers (date from the reference README).
BASIS = {
    "legal_basis_decision": "20/2020/QĐ-TTg",
    "legal_basis_date": "2020-07-22",
    "legal_basis_issuer": "Thủ tướng Chính phủ",
}


# English names of successors that have no code in the list (from the notes of the reference file).
SUCCESSOR_NAME_EN = {
    "Bộ Nông nghiệp và Môi trường": "Ministry of Agriculture and Environment",
    "Bộ Dân tộc và Tôn giáo": "Ministry of Ethnic and Religious Affairs",
}


def vi_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def main() -> None:
    agencies = read_reference_csv("agencies.csv")
    restructuring = read_reference_csv("ministry-restructuring-2025.csv")

    rows1 = []
    skipped = []
    by_code = {}
    for a in agencies:
        code = a["decision20_code"].strip()
        if not code:
            skipped.append(a)
            continue
        row = {
            "code": code,
            "level": "level-1",
            "label_vi": a["name_vi"],
            "label_en": a["name_en"],
            "status": "valid",
            **BASIS,
            QCVN: a["qcvn102_code"],
        }
        if "UNVERIFIED" in a["verified_by"]:
            row["definition_vi"] = (
                "CHƯA XÁC MINH: mã đã thấy được sử dụng nhưng tên cơ quan chỉ được suy ra từ thứ tự "
                "chữ cái của danh sách; cần đối chiếu với văn bản gốc."
            )
            row["definition_en"] = (
                "UNVERIFIED: the code is seen in use, but the agency name is only inferred from the "
                "alphabetical order of the list; to be checked against an official source."
            )
        rows1.append(row)
        by_code[code] = row

    rows2 = []
    for r in sorted(restructuring, key=lambda r: r["absorbed_code"]):
        old = by_code[r["absorbed_code"]]
        row = {k: v for k, v in old.items() if k not in ("status",)}
        row["valid_to"] = r["effective"]
        succ = r["successor_code"].strip()
        if succ:
            if succ not in by_code:
                raise SystemExit(f"successor {succ} is not in the list")
            row["status"] = "superseded"
            row["successors"] = [succ]
            base_vi = f"Từ ngày {vi_date(r['effective'])} hợp nhất vào {r['successor_name_vi']} ({succ})."
            base_en = f"From {r['effective']} merged into the {by_code[succ]['label_en']} ({succ})."
            if r["absorbed_code"] == "G07":
                base_vi += " Một số chức năng chuyển sang Bộ Giáo dục và Đào tạo và Bộ Y tế."
                base_en += " Some functions moved to the Ministry of Education and Training and the Ministry of Health."
        else:
            row["status"] = "retired"
            base_vi = (
                f"Từ ngày {vi_date(r['effective'])} chuyển thành/hợp nhất vào {r['successor_name_vi']}; "
                "mã định danh cấp 1 của cơ quan kế thừa chưa biết nên chưa ghi cơ quan kế thừa."
            )
            base_en = (
                f"From {r['effective']} became / merged into the "
                f"{SUCCESSOR_NAME_EN.get(r['successor_name_vi'], r['successor_name_vi'])} ({r['successor_name_vi']}); the successor's "
                "level-1 code is not known, so no successor is recorded."
            )
        # keep the UNVERIFIED warning if the row had one
        if old.get("definition_vi"):
            base_vi = old["definition_vi"] + " " + base_vi
            base_en = old["definition_en"] + " " + base_en
        row["definition_vi"] = base_vi
        row["definition_en"] = base_en
        # The legal act of the restructuring is not in the reference: no legal basis on these rows.
        for k in BASIS:
            row[k] = ""
        rows2.append(row)

    d = list_dir(LIST_ID)
    write_csv(d / "01-level-1-identifiers.csv", rows1, [QCVN])
    write_csv(d / "02-restructuring-2025-03-01.csv", rows2, [QCVN])
    write_list_json(
        LIST_ID,
        title={"vi": "Mã định danh điện tử cơ quan (cấp 1: bộ, cơ quan ngang bộ)", "en": "Agency electronic identifiers (level 1: ministries and ministry-level agencies)"},
        description={
            "vi": "Mã định danh điện tử cấp 1 của các bộ, cơ quan ngang bộ theo Quyết định 20/2020/QĐ-TTg (dạng G12), kèm dạng QCVN 102:2016/BTTTT (000.00.00.G12) làm ký hiệu thay thế.",
            "en": "Level-1 electronic identifiers of ministries and ministry-level agencies in the Decision 20/2020/QĐ-TTg form (G12), with the QCVN 102:2016/BTTTT form (000.00.00.G12) as an alternative notation.",
        },
        code_pattern=r"^[A-Y][0-9]{2}(\.[0-9A-Z]+)*$",
        levels=["level-1"],
        notation_types=["qcvn102"],
        steps=[
            step(
                "01-level-1-identifiers.csv",
                "Danh sách mã định danh cấp 1 của các bộ, cơ quan ngang bộ trước khi sắp xếp năm 2025.",
                "Level-1 identifiers of ministries and ministry-level agencies before the 2025 restructuring.",
            ),
            step(
                "02-restructuring-2025-03-01.csv",
                "Sắp xếp bộ máy từ 01/03/2025: các cơ quan bị hợp nhất được đánh dấu thay thế (nếu biết mã cơ quan kế thừa) hoặc ngừng sử dụng.",
                "Restructuring of 2025-03-01: absorbed agencies marked superseded (where the successor's code is known) or retired.",
            ),
        ],
    )
    print(f"step 1: {len(rows1)} rows (skipped without Decision 20 code: {[a['qcvn102_code'] for a in skipped]})")
    print(f"step 2: {len(rows2)} rows: " + ", ".join(f"{r['code']}={r['status']}" for r in rows2))


if __name__ == "__main__":
    main()
