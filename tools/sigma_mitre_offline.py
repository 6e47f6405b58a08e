"""MITRE ATT&CK and D3FEND data for `sigma check`, without a network.

pySigma 1.x no longer ships the MITRE tables its tag validators check against: it downloads
them from MITRE's repositories on first use, and fails where only package registries can be
reached. pySigma 0.11.23, on PyPI, was the last release to ship them (ATT&CK 17.0). This reads
the tables from that wheel (as literals, nothing of it is run) and writes them in the two
shapes pySigma 1.x parses, a STIX bundle and a D3FEND JSON-LD graph, for
`sigma pysigma update-cache --url mitre_attack:FILE --url mitre_d3fend:FILE`.

    python tools/sigma_mitre_offline.py WHEEL OUT_DIR
"""

import ast
import json
import sys
import zipfile
from pathlib import Path


def tables(wheel, member):
    """The module-level `name: type = literal` assignments of `member` in `wheel`."""
    with zipfile.ZipFile(wheel) as z:
        tree = ast.parse(z.read(member).decode("utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = ast.literal_eval(node.value)
    return out


def ref(external_id):
    return [{"source_name": "mitre-attack", "external_id": external_id}]


def attack_bundle(t):
    """A STIX bundle with the objects pySigma's ATT&CK loader reads."""
    objects = [{"type": "x-mitre-collection", "x_mitre_version": t["mitre_attack_version"]}]
    for tid, short in t["mitre_attack_tactics"].items():
        objects.append({"type": "x-mitre-tactic", "external_references": ref(tid),
                        "x_mitre_shortname": short})
    phases = t.get("mitre_attack_techniques_tactics_mapping", {})
    for tid, name in t["mitre_attack_techniques"].items():
        objects.append({
            "type": "attack-pattern", "name": name, "external_references": ref(tid),
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": p}
                                  for p in phases.get(tid, [])],
        })
    for key, kind in [("mitre_attack_intrusion_sets", "intrusion-set"),
                      ("mitre_attack_software", "tool"),
                      ("mitre_attack_datasources", "x-mitre-data-source"),
                      ("mitre_attack_mitigations", "course-of-action")]:
        for oid, name in t.get(key, {}).items():
            objects.append({"type": kind, "name": name, "external_references": ref(oid)})
    return {"type": "bundle", "objects": objects}


def d3fend_graph(t):
    """A JSON-LD graph with the items pySigma's D3FEND loader reads."""
    version = t.get("mitre_d3fend_version", "unknown")
    graph = [{"@type": "owl:Ontology",
              "owl:versionIRI": f"http://d3fend.mitre.org/ontologies/d3fend/{version}/"}]
    for label in t.get("mitre_d3fend_tactics", {}).values():
        graph.append({"@type": ["owl:Class", "d3f:DefensiveTactic"], "rdfs:label": label})
    for did, label in t.get("mitre_d3fend_techniques", {}).items():
        graph.append({"@type": "owl:Class", "d3f:d3fend-id": did, "rdfs:label": label})
    return {"@graph": graph}


def main(wheel, out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    attack = tables(wheel, "sigma/data/mitre_attack.py")
    d3fend = tables(wheel, "sigma/data/mitre_d3fend.py")
    (out / "enterprise-attack.json").write_text(json.dumps(attack_bundle(attack)))
    (out / "d3fend.json").write_text(json.dumps(d3fend_graph(d3fend)))
    print(f"ATT&CK {attack['mitre_attack_version']}: {len(attack['mitre_attack_techniques'])} "
          f"techniques; D3FEND: {len(d3fend.get('mitre_d3fend_techniques', {}))} techniques")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
