#!/usr/bin/env python3
"""Drives CKAN's own Python client, ckanapi, against a running lionrock.

Usage: ckanapi-check.py BASE_URL TOKEN ORGANISATION

The server holds the demo catalogue; TOKEN is an API token of a publisher
of ORGANISATION. Every check runs; the result is one JSON object on stdout,
{"checks": {name: "ok" | what went wrong}}, and the exit code is 0 only when
every check passed. Run by crates/opendata/tests/it/ckanapi.rs with the
python that `scripts/services.sh ensure_ckanapi` installs.
"""

import hashlib
import json
import os
import sys
import tempfile
import urllib.request

import ckanapi


def main():
    base, token, organisation = sys.argv[1:4]
    agent = "lionrock-ckanapi-check/1"
    anonymous = ckanapi.RemoteCKAN(base, user_agent=agent)
    by_get = ckanapi.RemoteCKAN(base, user_agent=agent, get_only=True)
    publisher = ckanapi.RemoteCKAN(base, apikey=token, user_agent=agent)
    wrong = ckanapi.RemoteCKAN(base, apikey="lrod_" + "A" * 43, user_agent=agent)
    checks = {}

    def check(name, fn):
        try:
            fn()
            checks[name] = "ok"
        except Exception as e:  # every failure is reported, none stops the run
            checks[name] = "%s: %s" % (type(e).__name__, e)

    def expect(condition, what):
        if not condition:
            raise AssertionError(what)

    def raises(kind, fn):
        try:
            fn()
        except kind as e:
            return e
        raise AssertionError("no %s" % kind.__name__)

    def status():
        s = anonymous.action.status_show()
        expect(s["ckan_version"].startswith("2."), s)

    def package_list():
        names = anonymous.action.package_list()
        expect(len(names) >= 30, names)
        expect("parking-vacancy" not in names, "the private dataset is hidden")

    def package_show():
        d = anonymous.action.package_show(id="air-quality-health-index")
        expect(d["title_translated"]["zh-HK"] == "空氣質素健康指數", d["title_translated"])
        expect(d["resources"][0]["format"] == "XML", d["resources"])

    def package_search():
        found = anonymous.action.package_search(
            q="雨量", fq="organization:hko", rows=2, start=0, sort="name asc",
            **{"facet.field": ["tags", "res_format"], "facet.limit": 5})
        expect(found["count"] == 3, found["count"])
        expect([d["name"] for d in found["results"]] ==
               ["daily-rainfall-hong-kong-observatory", "daily-rainfall-sha-tin"], found["results"])
        expect(found["facets"]["res_format"] == {"CSV": 3, "JSON": 3}, found["facets"])

    def search_by_get():
        found = by_get.action.package_search(q="rainfall", **{"facet.field": ["organization"]})
        expect(found["count"] == 3, found["count"])
        expect(found["facets"]["organization"] == {"hko": 3}, found["facets"])

    def lists():
        expect(len(anonymous.action.group_list()) == 19, "19 categories")
        orgs = anonymous.action.organization_list(all_fields=True)
        expect(any(o["name"] == organisation for o in orgs), orgs)
        expect("weather" in anonymous.action.tag_list(query="weath"), "tag_list")
        org = anonymous.action.organization_show(id=organisation, include_datasets=True)
        expect(org["package_count"] == len(org["packages"]), org["package_count"])

    def not_found():
        raises(ckanapi.NotFound, lambda: anonymous.action.package_show(id="no-such-dataset"))
        raises(ckanapi.NotFound, lambda: by_get.action.resource_show(id="no-such-resource"))

    def validation():
        e = raises(ckanapi.ValidationError, lambda: anonymous.action.package_search(rows="ten"))
        expect("rows" in e.error_dict, e.error_dict)

    def private_hidden():
        raises(ckanapi.NotFound, lambda: anonymous.action.package_show(id="parking-vacancy"))

    def writes_refused():
        body = {"name": "ckanapi-refused", "owner_org": organisation, "title": "Refused"}
        raises(ckanapi.NotAuthorized, lambda: anonymous.action.package_create(**body))
        raises(ckanapi.NotAuthorized, lambda: wrong.action.package_create(**body))

    def writes():
        made = publisher.action.package_create(
            name="ckanapi-made", owner_org=organisation,
            title_translated={"en": "Made by ckanapi", "zh-HK": "由 ckanapi 建立", "zh-CN": "由 ckanapi 建立"},
            tags=[{"name": "ckanapi"}], groups=[{"name": "miscellaneous"}])
        expect(made["name"] == "ckanapi-made", made)
        resource = publisher.action.resource_create(
            package_id=made["id"], url="https://data.example.gov.hk/ckanapi.csv", format="csv", size=42)
        expect(resource["format"] == "CSV", resource)
        patched = publisher.action.package_patch(id=made["id"], title="Patched by ckanapi")
        expect(patched["title_translated"]["zh-HK"] == "由 ckanapi 建立", patched["title_translated"])
        expect(patched["num_resources"] == 1, patched)
        e = raises(ckanapi.ValidationError, lambda: publisher.action.package_create(
            name="ckanapi-made", owner_org=organisation, title="Again"))
        expect("name" in e.error_dict, e.error_dict)
        expect(anonymous.action.package_show(id="ckanapi-made")["title"] == "Patched by ckanapi", "readable")
        publisher.action.package_delete(id=made["id"])
        raises(ckanapi.NotFound, lambda: anonymous.action.package_show(id="ckanapi-made"))

    def datastore():
        dataset = anonymous.action.package_show(id="daily-rainfall-hong-kong-observatory")
        rid = [r for r in dataset["resources"] if r["format"] == "CSV"][0]["id"]
        raises(ckanapi.NotAuthorized, lambda: anonymous.action.datastore_create(resource_id=rid, records=[]))
        publisher.action.datastore_create(
            resource_id=rid, primary_key=["day"],
            fields=[{"id": "day", "type": "date"}, {"id": "rainfall_mm", "type": "numeric"}],
            records=[{"day": "2026-06-01", "rainfall_mm": 12.5}, {"day": "2026-06-02", "rainfall_mm": 0}])
        publisher.action.datastore_upsert(
            resource_id=rid, records=[{"day": "2026-06-02", "rainfall_mm": 3.5}, {"day": "2026-06-03", "rainfall_mm": 1}])
        found = anonymous.action.datastore_search(resource_id=rid, filters={"day": ["2026-06-02", "2026-06-03"]},
                                                 sort="rainfall_mm desc")
        expect(found["total"] == 2, found)
        expect([r["rainfall_mm"] for r in found["records"]] == [3.5, 1.0], found["records"])
        expect(by_get.action.datastore_search(resource_id=rid, limit=1)["records"][0]["day"] == "2026-06-01", "GET")
        expect(anonymous.action.datastore_info(id=rid)["meta"]["count"] == 3, "info")
        e = raises(ckanapi.ValidationError, lambda: anonymous.action.datastore_search(resource_id=rid, limit="many"))
        expect("limit" in e.error_dict, e.error_dict)
        raises(ckanapi.NotFound, lambda: anonymous.action.datastore_search(resource_id="no-such-resource"))
        publisher.action.datastore_delete(resource_id=rid)
        raises(ckanapi.NotFound, lambda: anonymous.action.datastore_info(id=rid))

    def uploads():
        made = publisher.action.package_create(name="ckanapi-upload", owner_org=organisation, title="Uploads")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "rain.csv")
            first = b"day,mm\n2026-12-01,3.5\n"
            with open(path, "wb") as f:
                f.write(first)
            with open(path, "rb") as f:
                resource = publisher.action.resource_create(package_id=made["id"], name="Rain", upload=f)
            expect(resource["format"] == "CSV", resource)
            expect(resource["hash"] == "sha256:" + hashlib.sha256(first).hexdigest(), resource)
            expect(resource["url"].endswith("/download/rain.csv"), resource["url"])
            with urllib.request.urlopen(resource["url"]) as r:
                expect(r.read() == first, "the download is the upload")
            second = first + b"2026-12-02,0.0\n"
            with open(path, "wb") as f:
                f.write(second)
            with open(path, "rb") as f:
                updated = publisher.action.resource_patch(id=resource["id"], upload=f)
            expect(updated["size"] == len(second), updated)
            with urllib.request.urlopen(updated["url"]) as r:
                expect(r.read() == second, "the second version is served")
        publisher.action.package_delete(id=made["id"])

    for name, fn in [("status_show", status), ("package_list", package_list), ("package_show", package_show),
                     ("package_search", package_search), ("package_search_by_get", search_by_get),
                     ("lists", lists), ("not_found", not_found), ("validation", validation),
                     ("private_hidden", private_hidden), ("writes_refused", writes_refused),
                     ("writes", writes), ("datastore", datastore), ("uploads", uploads)]:
        check(name, fn)
    print(json.dumps({"checks": checks}, ensure_ascii=False))
    return 0 if all(v == "ok" for v in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
