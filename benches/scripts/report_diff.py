"""Compare two report folders written by `mtq` (e.g. before and after a refactor):

    python3 benches/scripts/report_diff.py OLD_DIR NEW_DIR

Walks every field of report.json and every cell of samples.csv and prints what differs, beyond
the fields that name the run rather than its numbers (title, facts, provenance, schema version)
and the per-sample columns renamed in schema 2 (true_label -> true_class, predicted ->
predicted_class, max_softmax -> one_minus_max_softmax). Standard library only."""
import json, sys, csv
old, new = sys.argv[1], sys.argv[2]
a = json.load(open(f"{old}/report.json")); b = json.load(open(f"{new}/report.json"))
diffs = []
def walk(x, y, path):
    if path in ("$.title", "$.summary.facts", "$.provenance", "$.schema_version"):
        if x != y: diffs.append((path, "listed"))
        return
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            if k not in x or k not in y:
                diffs.append((f"{path}.{k}", "only in " + ("new" if k in y else "old")))
            else:
                walk(x[k], y[k], f"{path}.{k}")
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y): diffs.append((path, f"len {len(x)} vs {len(y)}")); return
        for i, (u, v) in enumerate(zip(x, y)): walk(u, v, f"{path}[{i}]")
    elif x != y:
        diffs.append((path, f"{str(x)[:80]!r} -> {str(y)[:80]!r}"))
walk(a, b, "$")
ra = list(csv.DictReader(open(f"{old}/samples.csv"))); rb = list(csv.DictReader(open(f"{new}/samples.csv")))
ren = {"true_label": "true_class", "predicted": "predicted_class", "max_softmax": "one_minus_max_softmax"}
bad = 0
for i, (u, v) in enumerate(zip(ra, rb)):
    for k, val in u.items():
        if v.get(ren.get(k, k)) != val:
            bad += 1
            if bad < 4: diffs.append((f"samples.csv row {i} {k}", f"{val!r} -> {v.get(ren.get(k, k))!r}"))
if len(ra) != len(rb): diffs.append(("samples.csv", f"rows {len(ra)} vs {len(rb)}"))
html_same = open(f"{old}/sankey.svg").read() == open(f"{new}/sankey.svg").read()
listed = [d for d in diffs if d[1] == "listed"]
other = [d for d in diffs if d[1] != "listed"]
print(f"{old} vs {new}: rows {len(ra)}, cell diffs {bad}, sankey.svg identical {html_same}, listed changes {[d[0] for d in listed]}")
for d in other[:12]: print("   ", d)
