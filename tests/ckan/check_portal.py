"""Read a CKAN portal (the mock national portal after a harvest) with the real CKAN client library, ckanapi, and check
that it holds exactly the expected packages.

usage: check_portal.py PORTAL_URL API_TOKEN EXPECTED_JSON
EXPECTED_JSON maps each package name to {"title", "organization", "resources", "license_id"}.
Exits non-zero (with a traceback) on the first wrong answer.
"""
import collections
import json
import sys

import ckanapi

base, token, expected_file = sys.argv[1:4]
with open(expected_file, encoding="utf-8") as f:
    expected = json.load(f)

anonymous = ckanapi.RemoteCKAN(base, user_agent="opendata-tests")
admin = ckanapi.RemoteCKAN(base, apikey=token, user_agent="opendata-tests")

status = anonymous.action.status_show()
assert status["ckan_version"].startswith("2."), status

names = anonymous.action.package_list()
assert names == sorted(expected), (len(names), len(expected), sorted(set(names) ^ set(expected))[:10])

# Paging through package_search finds every package exactly once.
seen = []
start = 0
while True:
    page = anonymous.action.package_search(q="*:*", rows=37, start=start, sort="name asc")
    assert page["count"] == len(expected), page["count"]
    if not page["results"]:
        break
    seen.extend(p["name"] for p in page["results"])
    start += 37
assert seen == sorted(expected), "package_search paging"

# Organizations: each publisher's packages, by fq.
per_org = collections.Counter(v["organization"] for v in expected.values())
orgs = anonymous.action.organization_list()
assert set(per_org) <= set(orgs), (per_org, orgs)
for org, count in per_org.items():
    found = anonymous.action.package_search(fq=f"organization:{org}", rows=0)
    assert found["count"] == count, (org, found["count"], count)
    shown = anonymous.action.organization_show(id=org)
    assert shown["package_count"] == count, shown

# Every package, as package_show answers it.
for name, want in expected.items():
    pkg = anonymous.action.package_show(id=name)
    assert pkg["state"] == "active", pkg["state"]
    assert pkg["title"] == want["title"], (name, pkg["title"], want["title"])
    assert pkg["organization"]["name"] == want["organization"], (name, pkg["organization"])
    assert len(pkg["resources"]) == want["resources"], (name, pkg["resources"])
    assert pkg["license_id"] == want["license_id"], (name, pkg["license_id"])
    for r in pkg["resources"]:
        assert r["url"].startswith("http"), r

# q searches title and notes.
some_name, some = sorted(expected.items())[0]
word = some["title"].split()[-1]
hits = anonymous.action.package_search(q=word, rows=1000)
assert some_name in [p["name"] for p in hits["results"]], (word, hits["count"])

# The write side refuses what CKAN refuses, the way ckanapi understands.
try:
    admin.action.package_create(name="Not A Valid Name")
    raise AssertionError("an invalid name was accepted")
except ckanapi.ValidationError as e:
    assert "name" in e.error_dict, e.error_dict
try:
    admin.action.package_create(name=some_name)
    raise AssertionError("a duplicate name was accepted")
except ckanapi.ValidationError as e:
    assert "name" in e.error_dict, e.error_dict
try:
    admin.action.package_create(name="no-such-owner", owner_org="no-such-org")
    raise AssertionError("an unknown owner_org was accepted")
except ckanapi.ValidationError as e:
    assert "owner_org" in e.error_dict, e.error_dict
try:
    anonymous.action.package_patch(id=some_name, title="x")
    raise AssertionError("an anonymous write was accepted")
except ckanapi.NotAuthorized:
    pass
try:
    anonymous.action.package_show(id="no-such-package")
    raise AssertionError("package_show of an unknown name succeeded")
except ckanapi.NotFound:
    pass

print(f"portal: all checks passed ({len(expected)} packages, {len(per_org)} organizations)")
