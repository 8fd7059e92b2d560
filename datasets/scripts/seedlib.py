"""Shared helpers for the seed code-list builders in this folder.

Every builder writes one folder per code list under ``datasets/registry/<list-id>/``:
``list.json`` (list metadata and the ordered ``steps``), one CSV per step and a README.
This module holds the column order of the CSV format, a writer that emits only the
columns a file uses, and the writer for ``list.json``. ``validate.py`` checks the result.

Nothing here touches the network.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parent.parent
REGISTRY_DIR = DATASETS_DIR / "registry"
REFERENCE_DIR = Path("/work/shared/reference")

# Fixed columns, in the order the loader documents them. ``notation:<type>`` and
# ``attr:<name>`` columns follow, in the order given by the caller.
BASE_COLUMNS = [
    "code",
    "parent",
    "level",
    "label_vi",
    "label_en",
    "definition_vi",
    "definition_en",
    "status",
    "valid_from",
    "valid_to",
    "legal_basis_decision",
    "legal_basis_date",
    "legal_basis_issuer",
    "successors",
    "exact_match",
    "close_match",
]

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


def list_dir(list_id: str) -> Path:
    d = REGISTRY_DIR / list_id
    d.mkdir(parents=True, exist_ok=True)
    return d


def write_csv(path: Path, rows: list[dict], extra_columns: list[str] | None = None) -> int:
    """Write ``rows`` (dicts keyed by column name) to ``path``.

    Only columns that carry a value in at least one row are written (``code`` and
    ``label_vi`` always). Values that are lists are joined with ``|``. Returns the
    number of data rows.
    """
    extra_columns = extra_columns or []
    known = set(BASE_COLUMNS) | set(extra_columns)
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"{path.name}: unknown columns {sorted(unknown)}")
    used = [
        c
        for c in BASE_COLUMNS + extra_columns
        if c in ("code", "label_vi") or any(_cell(r.get(c)) != "" for r in rows)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(used)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in used])
    return len(rows)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value if v not in (None, ""))
    return str(value)


def write_list_json(
    list_id: str,
    *,
    title: dict,
    description: dict,
    code_pattern: str,
    steps: list[dict],
    owner_agency: str | None = None,
    levels: list[str] | None = None,
    licence: str = "CC-BY-4.0",
    notation_types: list[str] | None = None,
    attributes: dict | None = None,
) -> Path:
    meta = {
        "id": list_id,
        "title": title,
        "description": description,
        "ownerAgency": owner_agency,
        "codePattern": code_pattern,
        "levels": levels or [],
        "licence": licence,
        "notationTypes": notation_types or [],
        "attributes": attributes or {},
        "steps": steps,
    }
    path = list_dir(list_id) / "list.json"
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def step(file: str, notes_vi: str, notes_en: str) -> dict:
    return {"file": file, "release": {"notes": {"vi": notes_vi, "en": notes_en}}}


def read_reference_csv(name: str) -> list[dict]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
