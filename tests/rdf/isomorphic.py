"""Parse RDF files with rdflib and check they are isomorphic.

usage: isomorphic.py FILE:FORMAT FILE:FORMAT ...   (FORMAT is an rdflib format name: turtle, json-ld, xml)
Prints the triple count of each and exits 1 unless every graph is isomorphic to the first.
"""
import sys

from rdflib import Graph
from rdflib.compare import isomorphic

graphs = []
for arg in sys.argv[1:]:
    path, fmt = arg.rsplit(":", 1)
    g = Graph()
    g.parse(path, format=fmt)
    print(f"{path} ({fmt}): {len(g)} triples")
    graphs.append(g)
if len(graphs) < 2 or len(graphs[0]) == 0:
    print("need at least two non-empty graphs")
    sys.exit(1)
for g in graphs[1:]:
    if not isomorphic(graphs[0], g):
        print("graphs are NOT isomorphic")
        sys.exit(1)
print("isomorphic")
