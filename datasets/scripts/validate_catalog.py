#!/usr/bin/env python3
"""Check the seed open datasets under ``datasets/catalog/`` and ``open-data-lists.json``.

For every ``datasets/catalog/<id>/``:

* ``dataset.json``: UTF-8 JSON object; ``id`` = folder name, 3–100 of ``a-z0-9-``; only the
  ``DatasetContent`` fields of ``catalog/src/model.rs`` (camelCase) besides ``id``; required fields
  present (title and description in vi and en, publisher, themes, keywords in vi and en, licence,
  accessRight ``public``, frequency, languages among vi/en, dataClass, issued, referenceDate);
  dates are ``YYYY-MM-DD``; temporal start <= end; landingPage an http(s) IRI; contactPoint has a
  name and an e-mail;
* every registry code (publisher -> agencies, themes, spatial -> administrative-units, frequency,
  licence, accessRight -> access-rights, dataClass -> data-classes, distribution format ->
  file-types, distribution licence -> licences) exists and is ``valid`` at ``referenceDate``, the
  registry's rule (steps applied in order as upserts, half-open ``[valid_from, valid_to)``); the
  publisher must moreover still be ``valid`` after the agencies list's last step;
* distributions: unique ids of ``A-Za-z0-9_-``; each has exactly one of ``file`` (a file in the
  folder; then no ``fileSha256``/``byteSize``), ``accessUrl`` or ``downloadUrl``; ``format`` given and
  ``mediaType`` equal to the file type's IANA media type; the file name ends with its extension;
* data files: strict UTF-8 without BOM, no CR; CSV: RFC 4180, a header of unique non-empty names,
  the same number of fields on every row, at least one data row; JSON: parses; every file in the
  folder other than ``dataset.json`` and ``README.md`` is a distribution;
* ``README.md``: present, names the generator script, and each ``| `file` | rows |`` line of its
  files table matches the real count (CSV data rows, JSON array length).

``open-data-lists.json``: one entry per publisher used, year 2025, vi/en title, agency still valid,
its datasets exist and have that publisher, each dataset in exactly one list.

Prints one line per dataset (publisher, themes, files and row counts); exits 1 on any error.
Usage: ``python3 datasets/scripts/validate_catalog.py`` (no network).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # leave no __pycache__ beside the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_seedlib import (  # noqa: E402
    CATALOG_DIR,
    DATASET_FIELDS,
    DISTRIBUTION_FIELDS,
    registry_state,
    status_at,
)

ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,99}$")
DIST_ID = re.compile(r"^[A-Za-z0-9_-]+$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGS = {"vi", "en"}
README_ROW = re.compile(r"^\| `([^`]+)` \| (\d+) \|")

LISTS = ["agencies", "themes", "administrative-units", "frequencies", "licences", "access-rights",
         "data-classes", "file-types"]


def is_date(v) -> bool:
    if not isinstance(v, str) or not DATE.match(v):
        return False
    try:
        datetime.date.fromisoformat(v)
        return True
    except ValueError:
        return False


def check_langtext(v, field: str, err, required: bool = True) -> None:
    if not isinstance(v, dict) or set(v) - LANGS:
        err(f"{field}: an object with vi/en only")
        return
    for lang in ("vi", "en") if required else ():
        if not isinstance(v.get(lang), str) or not v[lang].strip():
            err(f"{field}/{lang} is required")


def count_rows(path: Path, err) -> int | None:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        err(f"{path.name}: starts with a BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        err(f"{path.name}: not UTF-8 ({e})")
        return None
    if "\r" in text:
        err(f"{path.name}: has CR characters (use LF line ends)")
    if path.suffix == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            err(f"{path.name}: invalid JSON ({e})")
            return None
        return len(doc) if isinstance(doc, list) else 1
    if path.suffix == ".csv":
        if not text.endswith("\n"):
            err(f"{path.name}: no final line end")
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as e:
            err(f"{path.name}: CSV error {e}")
            return None
        if not rows:
            err(f"{path.name}: empty")
            return None
        header = rows[0]
        if any(not h.strip() for h in header) or len(set(header)) != len(header):
            err(f"{path.name}: header names must be non-empty and unique: {header}")
        for i, r in enumerate(rows[1:], start=2):
            if len(r) != len(header):
                err(f"{path.name}:{i}: {len(r)} fields, header has {len(header)}")
                break
        if len(rows) < 2:
            err(f"{path.name}: no data rows")
        return len(rows) - 1
    err(f"{path.name}: unexpected file type")
    return None


def main() -> int:
    errors: list[str] = []
    reg = {name: registry_state(name) for name in LISTS}
    file_types = reg["file-types"]
    summary = []
    publishers: dict[str, str] = {}

    folders = sorted(p for p in CATALOG_DIR.iterdir() if p.is_dir())
    for folder in folders:
        def err(msg: str, _f=folder.name) -> None:
            errors.append(f"{_f}: {msg}")

        path = folder / "dataset.json"
        if not path.exists():
            err("dataset.json missing")
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            err(f"dataset.json unreadable: {e}")
            continue
        if not isinstance(doc, dict):
            err("dataset.json is not an object")
            continue
        extra = set(doc) - set(DATASET_FIELDS) - {"id"}
        if extra:
            err(f"unknown fields {sorted(extra)}")
        if doc.get("id") != folder.name or not ID.match(str(doc.get("id"))):
            err(f"id {doc.get('id')!r} must equal the folder name and be 3-100 of a-z, 0-9, '-'")
        check_langtext(doc.get("title"), "title", err)
        check_langtext(doc.get("description"), "description", err)
        kw = doc.get("keywords")
        if not isinstance(kw, dict) or set(kw) - LANGS or not kw.get("vi") or not kw.get("en") or not all(
                isinstance(k, str) and k.strip() for k in kw.get("vi", []) + kw.get("en", [])):
            err("keywords: {vi: [...], en: [...]} with non-empty strings")
        for f in ("publisher", "licence", "accessRight", "frequency", "dataClass", "issued", "referenceDate"):
            if not isinstance(doc.get(f), str) or not doc[f]:
                err(f"{f} is required")
        if doc.get("accessRight") != "public":
            err("accessRight must be public for an open dataset")
        langs = doc.get("languages")
        if not isinstance(langs, list) or not langs or set(langs) - LANGS or len(set(langs)) != len(langs):
            err("languages: a non-empty list of vi/en")
        for f in ("issued", "modified", "referenceDate"):
            if f in doc and not is_date(doc[f]):
                err(f"{f}: not a YYYY-MM-DD date")
        if is_date(doc.get("issued")) and is_date(doc.get("modified")) and doc["modified"] < doc["issued"]:
            err("modified: before issued")
        temporal = doc.get("temporal")
        if temporal is not None:
            if not isinstance(temporal, dict) or set(temporal) - {"start", "end"} or not temporal:
                err("temporal: {start?, end?}")
            else:
                for k, v in temporal.items():
                    if not is_date(v):
                        err(f"temporal/{k}: not a date")
                if is_date(temporal.get("start")) and is_date(temporal.get("end")) and temporal["end"] < temporal["start"]:
                    err("temporal: end before start")
        if "landingPage" in doc and not IRI.match(str(doc["landingPage"])):
            err("landingPage: not an http(s) IRI")
        for i, c in enumerate(doc.get("conformsTo", [])):
            if not IRI.match(str(c)):
                err(f"conformsTo/{i}: not an http(s) IRI")
        cp = doc.get("contactPoint")
        if cp is not None and (not isinstance(cp, dict) or set(cp) - {"name", "email"} or not cp.get("name")
                               or not EMAIL.match(str(cp.get("email", "")))):
            err("contactPoint: {name, email}")
        themes = doc.get("themes")
        if not isinstance(themes, list) or not themes:
            err("themes: at least one")
            themes = []

        ref_date = doc.get("referenceDate") if is_date(doc.get("referenceDate")) else None
        refs = [("publisher", "agencies", doc.get("publisher"))]
        refs += [(f"themes/{i}", "themes", t) for i, t in enumerate(themes)]
        refs += [(f"spatial/{i}", "administrative-units", s) for i, s in enumerate(doc.get("spatial", []))]
        refs += [(f, lst, doc.get(f)) for f, lst in (("frequency", "frequencies"), ("licence", "licences"),
                                                     ("accessRight", "access-rights"),
                                                     ("dataClass", "data-classes")) if doc.get(f)]
        dists = doc.get("distributions") or []
        for i, d in enumerate(dists):
            if isinstance(d, dict):
                if d.get("format"):
                    refs.append((f"distributions/{i}/format", "file-types", d["format"]))
                if d.get("licence"):
                    refs.append((f"distributions/{i}/licence", "licences", d["licence"]))
        for field, lst, code in refs:
            item = reg[lst].get(code) if isinstance(code, str) else None
            if item is None:
                err(f"{field}: unknown code {code!r} in {lst}")
            elif ref_date and (st := status_at(item, ref_date)) != "valid":
                err(f"{field}: code {code!r} of {lst} is {st} at {ref_date}")
        pub = reg["agencies"].get(doc.get("publisher"))
        if pub is not None and (pub.get("status") != "valid" or pub.get("valid_to")):
            err(f"publisher {doc['publisher']} is not valid after the last step of the agencies list")

        # Distributions and files.
        if not dists:
            err("no distributions")
        seen, files_used, counts = set(), set(), {}
        for i, d in enumerate(dists):
            if not isinstance(d, dict):
                err(f"distributions/{i}: not an object")
                continue
            extra = set(d) - set(DISTRIBUTION_FIELDS)
            if extra:
                err(f"distributions/{i}: unknown fields {sorted(extra)}")
            did = d.get("id")
            if not isinstance(did, str) or not DIST_ID.match(did):
                err(f"distributions/{i}/id: use letters, digits, '-' or '_'")
            elif did in seen:
                err(f"distributions/{i}/id: duplicate {did}")
            seen.add(did)
            if "title" in d:
                check_langtext(d["title"], f"distributions/{i}/title", err)
            if "description" in d:
                check_langtext(d["description"], f"distributions/{i}/description", err, required=False)
            targets = [k for k in ("file", "accessUrl", "downloadUrl") if d.get(k)]
            if len(targets) != 1:
                err(f"distributions/{i}: needs exactly one of file, accessUrl, downloadUrl (has {targets})")
            for k in ("accessUrl", "downloadUrl"):
                if d.get(k) and not IRI.match(d[k]):
                    err(f"distributions/{i}/{k}: not an http(s) IRI")
            ft = file_types.get(d.get("format"))
            if not d.get("format"):
                err(f"distributions/{i}/format is required")
            elif ft is not None and ft.get("attr:mediaType") and d.get("mediaType") != ft["attr:mediaType"]:
                err(f"distributions/{i}/mediaType {d.get('mediaType')!r} != {ft['attr:mediaType']!r} of {d['format']}")
            if d.get("file"):
                name = d["file"]
                fpath = folder / name
                if "/" in name or name in ("dataset.json", "README.md") or not fpath.is_file():
                    err(f"distributions/{i}/file: {name!r} is not a data file in the folder")
                    continue
                if ft is not None and ft.get("attr:extension") and not name.endswith(ft["attr:extension"]):
                    err(f"distributions/{i}/file: {name} does not end with {ft['attr:extension']}")
                if name in files_used:
                    err(f"distributions/{i}/file: {name} used twice")
                files_used.add(name)
                n = count_rows(fpath, err)
                if n is not None:
                    counts[name] = n
        for p in sorted(folder.iterdir()):
            if p.name not in ("dataset.json", "README.md") and p.name not in files_used:
                err(f"{p.name}: not referenced by any distribution")

        readme = folder / "README.md"
        if not readme.is_file() or not readme.read_text(encoding="utf-8").strip():
            err("README.md missing or empty")
        else:
            text = readme.read_text(encoding="utf-8")
            if "datasets/scripts/build_catalog_" not in text:
                err("README.md does not name its generator script")
            for line in text.splitlines():
                m = README_ROW.match(line)
                if m and m.group(1) in counts and int(m.group(2)) != counts[m.group(1)]:
                    err(f"README.md says {m.group(1)} has {m.group(2)} rows, it has {counts[m.group(1)]}")
            for name in files_used:
                if f"`{name}`" not in text:
                    err(f"README.md does not describe {name}")

        if isinstance(doc.get("id"), str):
            publishers[doc["id"]] = doc.get("publisher")
        summary.append((folder.name, doc.get("publisher"), ",".join(themes), doc.get("referenceDate"),
                        "; ".join(f"{k} {v}" for k, v in counts.items())))

    # Open-data lists.
    lists_path = CATALOG_DIR / "open-data-lists.json"
    if not lists_path.is_file():
        errors.append("open-data-lists.json missing")
    else:
        lists = json.loads(lists_path.read_text(encoding="utf-8"))
        listed: dict[str, str] = {}
        agencies_seen = set()
        for i, entry in enumerate(lists if isinstance(lists, list) else []):
            def lerr(msg: str, _i=i) -> None:
                errors.append(f"open-data-lists.json[{_i}]: {msg}")

            if set(entry) != {"agency", "year", "title", "datasets"}:
                lerr(f"keys must be agency, year, title, datasets (has {sorted(entry)})")
            code = entry.get("agency")
            a = reg["agencies"].get(code)
            if a is None:
                lerr(f"unknown agency {code!r}")
            elif a.get("status") != "valid" or a.get("valid_to"):
                lerr(f"agency {code} is not valid after the last step")
            if code in agencies_seen:
                lerr(f"agency {code} has two lists")
            agencies_seen.add(code)
            if entry.get("year") != 2025:
                lerr("year must be 2025")
            check_langtext(entry.get("title"), "title", lerr)
            for ds in entry.get("datasets", []):
                if ds not in publishers:
                    lerr(f"unknown dataset {ds}")
                elif publishers[ds] != code:
                    lerr(f"dataset {ds} is published by {publishers[ds]}, not {code}")
                if ds in listed:
                    lerr(f"dataset {ds} also in the list of {listed[ds]}")
                listed[ds] = code
        if not isinstance(lists, list):
            errors.append("open-data-lists.json: not an array")
        for ds, pub in publishers.items():
            if ds not in listed:
                errors.append(f"open-data-lists.json: dataset {ds} (publisher {pub}) in no list")

    width = max((len(s[0]) for s in summary), default=10)
    for ds, pub, th, rd, files in summary:
        print(f"{ds:<{width}}  {pub:<4} {rd}  [{th}]  {files}")
    pubs = sorted({s[1] for s in summary if s[1]})
    themes = sorted({t for s in summary for t in s[2].split(",") if t})
    print(f"{len(summary)} datasets, {len(pubs)} publishers ({', '.join(pubs)}), {len(themes)} themes ({', '.join(themes)})")
    if errors:
        for e in errors:
            print("ERROR", e, file=sys.stderr)
        print(f"{len(errors)} error(s)", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
