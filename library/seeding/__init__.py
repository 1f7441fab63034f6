"""Loading the YAML files in `seed/`: the catalogue and, on request, demo data.

A map, in the order a run goes:
- `files`: reading a file and checking it field by field; every problem names file and entry;
- `certifications`, `locations`, `resources`, `workshops`, `demo`: one module per file, each
  reading and checking its file, then writing its rows;
- `catalogue`: the catalogue files read together and checked against each other;
- `report`: what a run created, updated and left unchanged;
- `load`: `load_seed`, the one transaction that writes everything (`library seed`).
"""
