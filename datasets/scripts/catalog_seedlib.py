"""Shared helpers for the seed open datasets under ``datasets/catalog/``.

Used by ``build_catalog_registry.py``, ``build_catalog_packages.py``,
``build_catalog_open_data_lists.py`` and ``validate_catalog.py``.

* :func:`registry_state` applies a code list's step CSVs in order, the way the registry loader
  does (a row is the desired state of the columns present in its file; absent columns keep the
  item's earlier values), and returns the items after the last step.
* :func:`status_at` is the registry's rule for an item's status at a date (half-open
  ``[valid_from, valid_to)`` interval; ``valid_to`` is the first day the code is no longer valid).
* :func:`write_csv` / :func:`write_json` / :func:`write_dataset` write the files of one dataset
  folder: UTF-8, LF line ends, RFC 4180 quoting, a header row; JSON with ``ensure_ascii=False``,
  2-space indent and a final newline, so reruns give byte-identical files.

Nothing here touches the network.
"""

from __future__ import annotations

import csv
import datetime
import json
from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parent.parent
REGISTRY_DIR = DATASETS_DIR / "registry"
CATALOG_DIR = DATASETS_DIR / "catalog"
REFERENCE_DIR = Path("/work/shared/reference")

# Each seed dataset's `issued` and `modified`: the dates of its source, never the day the seed was compiled
# (a catalogue that shows today's date on a 2025 list misleads). (issued, modified, where the dates come from).
SOURCE_DATES: dict[str, tuple[str, str, str]] = {
    "administrative-units-2025-06-30": (
        "2025-01-04", "2025-01-04",
        "the `__data_version__` of PyPI `vietnam-provinces` 0.6.0, the state of the GSO catalogue it transcribes",
    ),
    "administrative-units-2025-07-01": (
        "2025-10-18", "2025-10-18",
        "the `__data_version__` of PyPI `vietnam-provinces` 2025.10.1 (uploaded to PyPI on 2025-10-18)",
    ),
    "province-mergers-2025": (
        "2025-10-18", "2025-10-18",
        "the `__data_version__` of PyPI `vietnam-provinces` 2025.10.1, the source of the post-reform codes",
    ),
    "agency-identifiers-level-1": (
        "2020-07-22", "2025-03-01",
        "Decision 20/2020/QĐ-TTg of 2020-07-22 (the level-1 identifiers) and the restructuring effective "
        "2025-03-01 (`ministry-restructuring-2025.csv`, column `effective`)",
    ),
    "ministry-restructuring-2025": (
        "2025-03-01", "2025-03-01",
        "the `effective` date of every row of `ministry-restructuring-2025.csv`",
    ),
    "ethnic-groups": (
        "1979-03-02", "1979-03-02",
        "Decision 121-TCTK/PPCĐ of 1979-03-02, which issued the list",
    ),
    "bank-identification-numbers": (
        "2026-08-24", "2026-08-24",
        "the day npm `vietnam-qr-pay` 1.5.1 was published (the npm registry's `time` of that version)",
    ),
    "iso-3166-2-vn-provinces": (
        "2026-02-17", "2026-02-17",
        "the day PyPI `pycountry` 26.2.16 was uploaded (the PyPI simple index's `upload-time` of its wheel)",
    ),
    "public-holidays": (
        "2026-11-17", "2026-11-17",
        "the day PyPI `holidays` 0.109 was uploaded (the PyPI simple index's `upload-time` of its wheel)",
    ),
}

# Order of the DatasetContent fields (catalog/src/model.rs), camelCase as in its JSON.
DATASET_FIELDS = [
    "title",
    "description",
    "publisher",
    "contactPoint",
    "themes",
    "keywords",
    "spatial",
    "temporal",
    "frequency",
    "languages",
    "licence",
    "accessRight",
    "dataClass",
    "landingPage",
    "conformsTo",
    "issued",
    "modified",
    "referenceDate",
    "distributions",
]
DISTRIBUTION_FIELDS = [
    "id",
    "title",
    "description",
    "accessUrl",
    "downloadUrl",
    "file",
    "format",
    "mediaType",
    "licence",
]

MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json"}


def registry_steps(list_id: str) -> list[Path]:
    meta = json.loads((REGISTRY_DIR / list_id / "list.json").read_text(encoding="utf-8"))
    return [REGISTRY_DIR / list_id / s["file"] for s in meta["steps"]]


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def registry_state(list_id: str, upto_step: int | None = None) -> dict[str, dict]:
    """Items of a registry list after its last step (or after step ``upto_step``, 1-based).

    Insertion order is the order in which codes first appear in the steps.
    """
    items: dict[str, dict] = {}
    steps = registry_steps(list_id)
    if upto_step is not None:
        steps = steps[:upto_step]
    for path in steps:
        for row in read_csv(path):
            items.setdefault(row["code"], {}).update(row)
    return items


def status_at(item: dict, date: str) -> str:
    """``valid``, ``notYetValid``, ``superseded`` or ``retired`` at ``date`` (YYYY-MM-DD)."""
    d = datetime.date.fromisoformat(date)
    vf = item.get("valid_from") or ""
    vt = item.get("valid_to") or ""
    status = item.get("status") or "valid"
    if vf and d < datetime.date.fromisoformat(vf):
        return "notYetValid"
    closed = d >= datetime.date.fromisoformat(vt) if vt else status in ("superseded", "retired")
    if not closed:
        return "valid"
    return "superseded" if status == "superseded" else "retired"


def write_csv(path: Path, header: list[str], rows: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        for r in rows:
            extra = set(r) - set(header)
            if extra:
                raise ValueError(f"{path.name}: unknown columns {sorted(extra)}")
            w.writerow([_cell(r.get(c)) for c in header])
    return len(rows)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "|".join(str(x) for x in v)
    return str(v)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def distribution(dist_id: str, file: str, fmt: str, title_vi: str, title_en: str,
                 desc_vi: str | None = None, desc_en: str | None = None) -> dict:
    d = {
        "id": dist_id,
        "title": {"vi": title_vi, "en": title_en},
        "file": file,
        "format": fmt,
        "mediaType": MEDIA_TYPES[fmt],
    }
    if desc_vi or desc_en:
        d["description"] = {k: v for k, v in (("vi", desc_vi), ("en", desc_en)) if v}
    return d


def write_dataset(dataset_id: str, content: dict, readme: str) -> Path:
    """Write ``dataset.json`` (id first, then the DatasetContent fields in model order) and README."""
    unknown = set(content) - set(DATASET_FIELDS)
    if unknown:
        raise ValueError(f"{dataset_id}: unknown dataset fields {sorted(unknown)}")
    issued, modified, why = SOURCE_DATES[dataset_id]
    content = {**content, "issued": issued, "modified": modified}
    readme = readme.replace("@SOURCE_DATES@", f"`issued` is {issued} and `modified` {modified}: {why}.")
    doc = {"id": dataset_id}
    for f in DATASET_FIELDS:
        if f in content and content[f] not in (None, [], {}):
            doc[f] = content[f]
    dists = []
    for d in doc.get("distributions", []):
        unknown = set(d) - set(DISTRIBUTION_FIELDS)
        if unknown:
            raise ValueError(f"{dataset_id}/{d.get('id')}: unknown distribution fields {sorted(unknown)}")
        dists.append({f: d[f] for f in DISTRIBUTION_FIELDS if f in d})
    if dists:
        doc["distributions"] = dists
    folder = CATALOG_DIR / dataset_id
    write_json(folder / "dataset.json", doc)
    (folder / "README.md").write_text(readme.rstrip("\n") + "\n", encoding="utf-8")
    return folder


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
