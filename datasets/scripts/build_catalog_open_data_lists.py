#!/usr/bin/env python3
"""Write ``datasets/catalog/open-data-lists.json``: each publisher's open-data list for 2025.

Reads every ``datasets/catalog/<id>/dataset.json`` and groups the datasets by ``publisher``; the
list titles use the agency's labels in the ``agencies`` code list (state after its last step).
Output: ``[{"agency": "<code>", "year": 2025, "title": {"vi", "en"}, "datasets": ["<id>", ...]}]``,
sorted by agency code, datasets sorted by id (deterministic).

Usage: ``python3 datasets/scripts/build_catalog_open_data_lists.py`` (no network), after the
``build_catalog_*.py`` dataset builders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # leave no __pycache__ beside the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_seedlib import CATALOG_DIR, registry_state, write_json  # noqa: E402

YEAR = 2025


def main() -> None:
    agencies = registry_state("agencies")
    by_agency: dict[str, list[str]] = {}
    for f in sorted(CATALOG_DIR.glob("*/dataset.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        by_agency.setdefault(doc["publisher"], []).append(doc["id"])
    lists = []
    for code in sorted(by_agency):
        a = agencies[code]
        lists.append({
            "agency": code,
            "year": YEAR,
            "title": {
                "vi": f"Danh mục dữ liệu mở năm {YEAR} của {a['label_vi']}",
                "en": f"Open data list {YEAR} of the {a['label_en']}",
            },
            "datasets": sorted(by_agency[code]),
        })
    write_json(CATALOG_DIR / "open-data-lists.json", lists)
    print(f"wrote {len(lists)} open-data lists ({sum(len(x['datasets']) for x in lists)} datasets)")


if __name__ == "__main__":
    main()
