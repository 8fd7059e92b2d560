#!/usr/bin/env python3
"""Check every seed code list under ``datasets/registry/`` against the loader's format.

For each ``<list-id>/list.json``: required keys, ``id`` = folder name, a compilable
``codePattern`` (kept to the regex subset Python and Rust's ``regex`` crate share: no
look-around, no back-references), attribute types, and a README beside it.

For each step CSV, in step order (the state carries over from step to step, as the loader
applies them as upserts): UTF-8, header of allowed columns only (``notation:<type>`` declared in
``notationTypes``, ``attr:<name>`` in ``attributes``), ``code`` and ``label_vi`` present and
non-empty, the same number of fields on every row, codes unique in the file and matching
``codePattern``, ``level`` among ``levels``, ``status`` valid/superseded/retired with the fields
each needs, ``YYYY-MM-DD`` dates with ``valid_from < valid_to``, ``parent`` and ``successors``
known in this or an earlier step, match columns holding absolute IRIs, attribute values of their
declared type.

Prints a count per list, step, level and status; exits 1 on any error.
Usage: ``python3 datasets/scripts/validate.py`` (no network).
"""

from __future__ import annotations

import collections
import csv
import datetime
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import BASE_COLUMNS, REGISTRY_DIR  # noqa: E402

ATTR_TYPES = {"string", "integer", "number", "boolean", "date", "uri"}
STATUSES = {"valid", "superseded", "retired"}
IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
LIST_KEYS = {"id", "title", "description", "ownerAgency", "codePattern", "levels", "licence", "notationTypes", "attributes", "steps"}


def is_date(v: str) -> bool:
    if not DATE.match(v):
        return False
    try:
        datetime.date.fromisoformat(v)
        return True
    except ValueError:
        return False


def check_attr(kind: str, v: str) -> bool:
    if kind == "string":
        return True
    if kind == "integer":
        return re.fullmatch(r"-?[0-9]+", v) is not None
    if kind == "number":
        return re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", v) is not None
    if kind == "boolean":
        return v in ("true", "false")
    if kind == "date":
        return is_date(v)
    if kind == "uri":
        return IRI.match(v) is not None
    return False


def validate_list(folder: Path, errors: list[str]) -> dict:
    def err(msg: str) -> None:
        errors.append(f"{folder.name}: {msg}")

    meta = json.loads((folder / "list.json").read_text(encoding="utf-8"))
    if set(meta) != LIST_KEYS:
        err(f"list.json keys differ: missing {LIST_KEYS - set(meta)}, extra {set(meta) - LIST_KEYS}")
    if meta.get("id") != folder.name:
        err("id differs from the folder name")
    for k in ("title", "description"):
        if not isinstance(meta.get(k), dict) or not meta[k].get("vi") or not meta[k].get("en"):
            err(f"{k} needs vi and en")
    if not (folder / "README.md").exists():
        err("README.md missing")
    pattern_src = meta.get("codePattern", "")
    if re.search(r"\(\?[=!<]|\\[1-9]", pattern_src):
        err("codePattern uses look-around or back-references (not in Rust regex)")
    pattern = re.compile(pattern_src)
    levels = meta.get("levels") or []
    notations = {f"notation:{t}" for t in meta.get("notationTypes") or []}
    attrs = meta.get("attributes") or {}
    for name, spec in attrs.items():
        if spec.get("type") not in ATTR_TYPES:
            err(f"attribute {name} has type {spec.get('type')}")
    allowed = set(BASE_COLUMNS) | notations | {f"attr:{a}" for a in attrs}

    known: dict[str, dict] = {}
    report = []
    for st in meta.get("steps", []):
        notes = st.get("release", {}).get("notes", {})
        if not notes.get("vi") or not notes.get("en"):
            err(f"step {st.get('file')}: release notes need vi and en")
        path = folder / st["file"]
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            err(f"{path.name}: not UTF-8")
            continue
        if text.startswith("\ufeff"):
            err(f"{path.name}: has a byte-order mark")
        rows = list(csv.reader(text.splitlines(keepends=True)))
        header, body = rows[0], rows[1:]
        if len(set(header)) != len(header):
            err(f"{path.name}: duplicate columns")
        for c in header:
            if c not in allowed:
                err(f"{path.name}: column {c!r} not allowed")
        if "code" not in header or "label_vi" not in header:
            err(f"{path.name}: code and label_vi are required")
            continue
        seen = set()
        step_rows = []
        for i, cells in enumerate(body, start=2):
            if len(cells) != len(header):
                err(f"{path.name}:{i}: {len(cells)} fields, header has {len(header)}")
                continue
            r = dict(zip(header, cells))
            code = r["code"]
            where = f"{path.name}:{i} ({code})"
            if not code or not r["label_vi"].strip():
                err(f"{where}: empty code or label_vi")
            if code in seen:
                err(f"{where}: duplicate code in this step")
            seen.add(code)
            if not pattern.fullmatch(code):
                err(f"{where}: code does not match {pattern_src}")
            if levels and r.get("level", "") not in levels:
                err(f"{where}: level {r.get('level')!r} not in {levels}")
            if not levels and r.get("level"):
                err(f"{where}: level given but the list is flat")
            status = r.get("status") or "valid"
            if status not in STATUSES:
                err(f"{where}: status {status!r}")
            vf, vt = r.get("valid_from", ""), r.get("valid_to", "")
            for name, v in (("valid_from", vf), ("valid_to", vt), ("legal_basis_date", r.get("legal_basis_date", ""))):
                if v and not is_date(v):
                    err(f"{where}: {name} {v!r} is not YYYY-MM-DD")
            if vf and vt and not vf < vt:
                err(f"{where}: valid_from must be before valid_to")
            if status == "superseded" and (not r.get("successors") or not vt):
                err(f"{where}: superseded needs successors and valid_to")
            if status == "retired" and not vt:
                err(f"{where}: retired needs valid_to")
            if status == "valid" and vt:
                err(f"{where}: valid item with valid_to")
            for col in ("exact_match", "close_match"):
                for iri in filter(None, (r.get(col) or "").split("|")):
                    if not IRI.match(iri):
                        err(f"{where}: {col} {iri!r} is not an absolute IRI")
            for name, spec in attrs.items():
                v = r.get(f"attr:{name}", "")
                if v and not check_attr(spec["type"], v):
                    err(f"{where}: attr:{name} {v!r} is not a {spec['type']}")
            step_rows.append(r)
        # references resolve against the state after this step (same or earlier step)
        for r in step_rows:
            known[r["code"]] = r
        for r in step_rows:
            where = f"{path.name} ({r['code']})"
            if r.get("parent"):
                if r["parent"] not in known:
                    err(f"{where}: parent {r['parent']} unknown")
                elif r["parent"] == r["code"]:
                    err(f"{where}: is its own parent")
            for s in filter(None, (r.get("successors") or "").split("|")):
                if s not in known:
                    err(f"{where}: successor {s} unknown")
                elif s == r["code"]:
                    err(f"{where}: is its own successor")
                elif (known[s].get("status") or "valid") != "valid":
                    err(f"{where}: successor {s} is not valid after this step")
        by = collections.Counter((r.get("level") or "-", r.get("status") or "valid") for r in step_rows)
        report.append((st["file"], len(step_rows), by))
    state = collections.Counter((r.get("level") or "-", r.get("status") or "valid") for r in known.values())
    return {"steps": report, "state": state}


def main() -> int:
    errors: list[str] = []
    folders = sorted(p.parent for p in REGISTRY_DIR.glob("*/list.json"))
    for folder in folders:
        info = validate_list(folder, errors)
        print(f"{folder.name}")
        for file, n, by in info["steps"]:
            detail = ", ".join(f"{lvl}/{st}={c}" for (lvl, st), c in sorted(by.items()))
            print(f"  {file}: {n} rows ({detail})")
        detail = ", ".join(f"{lvl}/{st}={c}" for (lvl, st), c in sorted(info["state"].items()))
        print(f"  final state: {detail}")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    print(f"{len(folders)} lists, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
