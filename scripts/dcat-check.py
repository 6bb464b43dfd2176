#!/usr/bin/env python3
"""Reads lionrock's DCAT-AP exports with rdflib, an RDF parser that is not ours.

Usage: dcat-check.py FILE FORMAT   (FORMAT: turtle or json-ld)

Parses the file and prints one JSON object on stdout with what the test
asserts: the catalogue's datasets (by dct:identifier) with their titles by
language tag, the datatype of their dct:modified, their keywords and the
number of their distributions; the hydra totalItems and paging links.
Run by crates/opendata/tests/it/dcat.rs with the python that
`scripts/services.sh ensure_rdflib` installs. A parse error exits 1 with
the parser's message on stderr.
"""

import json
import sys

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def main():
    path, fmt = sys.argv[1:3]
    g = Graph()
    g.parse(path, format=fmt)
    catalogues = list(g.subjects(RDF.type, DCAT.Catalog))
    datasets = {}
    for d in g.subjects(RDF.type, DCAT.Dataset):
        identifier = str(g.value(d, DCTERMS.identifier))
        titles = {}
        for t in g.objects(d, DCTERMS.title):
            titles[t.language or ""] = str(t)
        modified = g.value(d, DCTERMS.modified)
        datasets[identifier] = {
            "titles": titles,
            "modified_type": str(modified.datatype) if modified is not None else None,
            "keywords": sorted(str(k) for k in g.objects(d, DCAT.keyword)),
            "themes": sorted(str(t) for t in g.objects(d, DCAT.theme)),
            "distributions": len(list(g.objects(d, DCAT.distribution))),
            "in_catalogue": any((c, DCAT.dataset, d) in g for c in catalogues),
            "publisher_is_agent": any(
                (p, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Agent")) in g for p in g.objects(d, DCTERMS.publisher)
            ),
        }
    views = list(g.subjects(RDF.type, HYDRA.PartialCollectionView))
    total = [int(v) for c in catalogues for v in g.objects(c, HYDRA.totalItems)]
    out = {
        "triples": len(g),
        "catalogues": len(catalogues),
        "datasets": datasets,
        "total_items": total[0] if total else None,
        "next": [str(n) for v in views for n in g.objects(v, HYDRA.next)],
        "last": [str(n) for v in views for n in g.objects(v, HYDRA.last)],
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
