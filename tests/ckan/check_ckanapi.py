"""Drive our CKAN-compatible Action API with the real CKAN client library, ckanapi.

usage: check_ckanapi.py BASE_URL
Exits non-zero (with a traceback) on the first wrong answer.
"""
import json
import sys

import ckanapi

base = sys.argv[1]
# ckanapi POSTs JSON by default; also try GET-only, as some harvesters do.
for get_only in (False, True):
    ckan = ckanapi.RemoteCKAN(base, get_only=get_only, user_agent="opendata-tests")

    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2."), status

    packages = ckan.action.package_list()
    assert len(packages) >= 8, packages

    found = ckan.action.package_search(q="dan toc", rows=5)
    assert found["count"] >= 1, found
    assert found["results"][0]["name"] == "ethnic-groups", [r["name"] for r in found["results"]]

    faceted = ckan.action.package_search(
        fq="groups:localities", rows=1000, **{"facet.field": '["organization","groups","res_format"]'}
    )
    assert faceted["count"] == len(faceted["results"]) >= 2, faceted["count"]
    for pkg in faceted["results"]:
        assert "localities" in [g["name"] for g in pkg["groups"]], pkg["groups"]
    orgs = faceted["search_facets"]["organization"]["items"]
    assert sum(o["count"] for o in orgs) == faceted["count"], orgs
    for org in orgs:
        narrowed = ckan.action.package_search(fq=f"groups:localities organization:{org['name']}", rows=0)
        assert narrowed["count"] == org["count"], (org, narrowed["count"])

    page1 = ckan.action.package_search(rows=3, start=0, sort="metadata_modified desc")
    page2 = ckan.action.package_search(rows=3, start=3, sort="metadata_modified desc")
    names1 = {p["name"] for p in page1["results"]}
    names2 = {p["name"] for p in page2["results"]}
    assert len(names1) == 3 and not (names1 & names2), (names1, names2)

    pkg = ckan.action.package_show(id="public-holidays")
    assert pkg["title"].startswith("Ngày nghỉ lễ"), pkg["title"]
    assert pkg["organization"]["name"] == "g09", pkg["organization"]
    assert pkg["license_id"] == "CC-BY-4.0"
    res = pkg["resources"][0]
    assert res["format"] == "CSV" and res["hash"].startswith("sha256:") and res["size"] > 0, res
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["publisher_code"] == "G09" and extras["uri"].endswith("/dataset/public-holidays"), extras

    org_names = ckan.action.organization_list()
    assert "g12" in org_names, org_names
    orgs_full = ckan.action.organization_list(all_fields=True)
    g12 = next(o for o in orgs_full if o["name"] == "g12")
    assert g12["package_count"] >= 1 and g12["title"] == "Bộ Tài chính", g12
    shown = ckan.action.organization_show(id="g12", include_datasets=True)
    assert shown["package_count"] == len(shown["packages"]) == g12["package_count"], shown["package_count"]

    groups = ckan.action.group_list()
    assert "health" in groups and len(groups) == 12, groups
    licences = ckan.action.license_list()
    assert "CC-BY-4.0" in [l["id"] for l in licences], licences
    tags = ckan.action.tag_list()
    assert "tết" in tags or "Tết Nguyên Đán" in tags, tags[:20]

    csv = next(r for r in pkg["resources"] if r["format"] == "CSV")
    assert csv["datastore_active"], csv
    ds = ckan.action.datastore_search(resource_id=csv["id"], limit=5)
    assert ds["total"] == 236 and len(ds["records"]) == 5, ds["total"]
    assert [f["id"] for f in ds["fields"]][:3] == ["date", "year", "weekday"], ds["fields"]
    assert next(f for f in ds["fields"] if f["id"] == "year")["type"] == "int", ds["fields"]
    y2025 = ckan.action.datastore_search(resource_id=csv["id"], filters=json.dumps({"year": "2025"}), limit=100)
    assert y2025["total"] == len(y2025["records"]) > 0 and all(r["year"] == 2025 for r in y2025["records"]), y2025
    second = ckan.action.datastore_search(resource_id=csv["id"], filters=json.dumps({"year": "2025"}), limit=2, offset=2)
    assert second["records"] == y2025["records"][2:4], second["records"]
    newest = ckan.action.datastore_search(resource_id=csv["id"], sort="date desc", limit=1)
    assert newest["records"][0]["date"].startswith("2026"), newest["records"]
    try:
        ckan.action.package_show(id="no-such-dataset")
        raise AssertionError("package_show of an unknown id succeeded")
    except ckanapi.NotFound:
        pass
    try:
        ckan.action.package_search(rows=1001)
        raise AssertionError("rows over 1000 accepted")
    except ckanapi.ValidationError as e:
        assert "rows" in str(e), e
    try:
        ckan.action.package_search(fq="colour:red")
        raise AssertionError("unknown fq field accepted")
    except ckanapi.ValidationError as e:
        assert "fq" in str(e), e

# The keys CKAN 2.10 always returns, written from CKAN's own code and documentation, not from our output:
# `package_dictize`, `resource_dictize`, `group_dictize` and `group_list_dictize` in ckan/lib/dictization/model_dictize.py
# and the columns of the `package`, `resource`, `tag` and `group` tables (ckan/model/*.py); `license_url` only when
# the licence has a URL, `datastore_active` from the datastore plugin. Each value has CKAN's type (None where a
# portal has no value, as CKAN gives it).
STR, INT, BOOL, LIST, DICT, NONE = str, int, bool, list, dict, type(None)
PACKAGE = {
    "author": (STR, NONE), "author_email": (STR, NONE), "creator_user_id": (STR, NONE), "extras": (LIST,),
    "groups": (LIST,), "id": (STR,), "isopen": (BOOL,), "license_id": (STR, NONE), "license_title": (STR, NONE),
    "maintainer": (STR, NONE), "maintainer_email": (STR, NONE), "metadata_created": (STR,),
    "metadata_modified": (STR,), "name": (STR,), "notes": (STR, NONE), "num_resources": (INT,), "num_tags": (INT,),
    "organization": (DICT, NONE), "owner_org": (STR, NONE), "private": (BOOL,), "relationships_as_object": (LIST,),
    "relationships_as_subject": (LIST,), "resources": (LIST,), "state": (STR,), "tags": (LIST,), "title": (STR,),
    "type": (STR,), "url": (STR, NONE), "version": (STR, NONE),
}
RESOURCE = {
    "cache_last_updated": (STR, NONE), "cache_url": (STR, NONE), "created": (STR,), "datastore_active": (BOOL,),
    "description": (STR, NONE), "format": (STR, NONE), "hash": (STR, NONE), "id": (STR,),
    "last_modified": (STR, NONE), "metadata_modified": (STR, NONE), "mimetype": (STR, NONE),
    "mimetype_inner": (STR, NONE), "name": (STR, NONE), "package_id": (STR,), "position": (INT,),
    "resource_type": (STR, NONE), "size": (INT, NONE), "state": (STR,), "url": (STR,), "url_type": (STR, NONE),
}
TAG = {"display_name": (STR,), "id": (STR,), "name": (STR,), "state": (STR,), "vocabulary_id": (STR, NONE)}
PACKAGE_GROUP = {
    "description": (STR,), "display_name": (STR,), "id": (STR,), "image_display_url": (STR,), "name": (STR,),
    "title": (STR,),
}
PACKAGE_ORGANIZATION = {
    "approval_status": (STR,), "created": (STR, NONE), "description": (STR,), "id": (STR,), "image_url": (STR, NONE),
    "is_organization": (BOOL,), "name": (STR,), "state": (STR,), "title": (STR,), "type": (STR,),
}
GROUP_LISTED = {
    "approval_status": (STR,), "created": (STR, NONE), "description": (STR,), "display_name": (STR,), "id": (STR,),
    "image_display_url": (STR,), "image_url": (STR, NONE), "is_organization": (BOOL,), "name": (STR,),
    "num_followers": (INT,), "package_count": (INT,), "state": (STR,), "title": (STR,), "type": (STR,),
}
GROUP_SHOWN = dict(GROUP_LISTED, extras=(LIST,), groups=(LIST,), tags=(LIST,), users=(LIST,))


def has_shape(what, d, shape, optional=()):
    missing = sorted(set(shape) - set(d))
    assert not missing, f"{what} lacks CKAN 2.10 keys {missing}: {sorted(d)}"
    for key, types in shape.items():
        assert isinstance(d[key], types) and not (BOOL not in types and isinstance(d[key], bool)), (
            f"{what}[{key!r}] is {d[key]!r}, CKAN gives {[t.__name__ for t in types]}"
        )


ckan = ckanapi.RemoteCKAN(base, user_agent="opendata-tests")
for pkg in ckan.action.package_search(rows=1000)["results"] + [ckan.action.package_show(id="public-holidays")]:
    has_shape(f"package {pkg['name']}", pkg, PACKAGE)
    has_shape(f"organization of {pkg['name']}", pkg["organization"], PACKAGE_ORGANIZATION)
    for res in pkg["resources"]:
        has_shape(f"resource {res['id']}", res, RESOURCE)
    for tag in pkg["tags"]:
        has_shape(f"tag {tag['name']!r} of {pkg['name']}", tag, TAG)
    for group in pkg["groups"]:
        has_shape(f"group {group['name']} of {pkg['name']}", group, PACKAGE_GROUP)
    if pkg["license_id"] == "CC-BY-4.0":
        assert pkg["isopen"] is True and pkg["license_url"].startswith("https://creativecommons.org/"), pkg
holidays = ckan.action.package_show(id="public-holidays")
assert holidays["tags"] and len({t["id"] for t in holidays["tags"]}) == len(holidays["tags"]), holidays["tags"]
for org in ckan.action.organization_list(all_fields=True):
    has_shape(f"organization {org['name']} (organization_list)", org, GROUP_LISTED)
has_shape("organization g12 (organization_show)", ckan.action.organization_show(id="g12"), GROUP_SHOWN)
for group in ckan.action.group_list(all_fields=True):
    has_shape(f"group {group['name']} (group_list)", group, GROUP_LISTED)

print("ckanapi: all checks passed")
