#!/usr/bin/env python3
"""Browser test of the interactive report.html, in headless Chromium (selenium + chromedriver).

Usage: test_report.py REPORT_DIR [--screenshots DIR]

REPORT_DIR holds a freshly generated report (report.html and report.json). The test opens
report.html from file://, waits until the script is ready, then:
  1. clicks the widest band and checks the panel's count equals that band's count in report.json;
  2. isolates one class with the legend and checks every band left is of that class;
  3. switches to an unseen (injected) set and checks the Sankey shows exactly its samples;
  4. fails on any console error or warning of level SEVERE;
  5. by bounding boxes, in every Sankey view it draws (the default layers, all layers, an unseen
     set): no two label boxes (node labels, column titles) intersect and every one lies inside
     the SVG's box; every band of 1-4 samples can be hit over at least 6 px;
  6. unseen classes are coloured far (CIELAB distance > 15) from every known class; no sample id
     of the anomaly captions is broken across lines; the trusted ROC curve is drawn thick.
It prints the time from navigation start to the script's end (window.mtqReadyMs).
"""
import json
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from chromium import driver, fail


LABELS_JS = """
const svg = document.querySelector('svg.sankey-live');
if (!svg) return ['no svg.sankey-live'];
const box = svg.getBoundingClientRect();
const els = Array.from(svg.querySelectorAll('text.nlabel, text.coltitle'));
const rs = els.map(e => [e.textContent, e.getBoundingClientRect()]);
const out = [];
const eps = 0.5;
for (const [t, r] of rs) {
  if (r.left < box.left - eps || r.right > box.right + eps || r.top < box.top - eps || r.bottom > box.bottom + eps)
    out.push('label ' + JSON.stringify(t) + ' outside the svg: ' + [r.left, r.top, r.right, r.bottom].map(Math.round) + ' vs ' + [box.left, box.top, box.right, box.bottom].map(Math.round));
}
for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
  const a = rs[i][1], b = rs[j][1];
  if (a.left < b.right - eps && b.left < a.right - eps && a.top < b.bottom - eps && b.top < a.bottom - eps)
    out.push('labels ' + JSON.stringify(rs[i][0]) + ' and ' + JSON.stringify(rs[j][0]) + ' overlap');
}
// Thin bands: each of 1-4 samples must be hittable over >= 6 px (itself or its hit twin).
for (const b of svg.querySelectorAll('path.band')) {
  const n = Number(b.getAttribute('data-count'));
  if (n > 4) continue;
  const key = ['c', 'c2', 'a', 'b', 'g'].map(k => '[data-' + k + '="' + b.getAttribute('data-' + k) + '"]').join('');
  const hits = [b].concat(Array.from(svg.querySelectorAll('path.band-hit' + key)));
  const w = Math.max(...hits.map(h => Number(h.getAttribute('stroke-width'))));
  if (!(w >= 6)) out.push('band ' + key + ' of ' + n + ' samples is hittable over ' + w + ' px only');
}
return [els.length, out];
"""


STATIC_JS = """
const svg = document.documentElement;
const box = svg.getBoundingClientRect();
const rs = Array.from(svg.querySelectorAll('text.label, text.title')).map(e => [e.textContent, e.getBoundingClientRect()]);
const out = [];
const eps = 0.5;
for (const [t, r] of rs)
  if (r.left < box.left - eps || r.right > box.right + eps || r.top < box.top - eps || r.bottom > box.bottom + eps)
    out.push('label ' + JSON.stringify(t) + ' outside the svg');
for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
  const a = rs[i][1], b = rs[j][1];
  if (a.left < b.right - eps && b.left < a.right - eps && a.top < b.bottom - eps && b.top < a.bottom - eps)
    out.push('labels ' + JSON.stringify(rs[i][0]) + ' and ' + JSON.stringify(rs[j][0]) + ' overlap');
}
return [rs.length, out];
"""


def check_labels(d, where):
    res = d.execute_script(LABELS_JS)
    if isinstance(res, list) and len(res) == 2 and isinstance(res[1], list):
        n, problems = res
    else:
        n, problems = 0, res
    if problems:
        fail(f"Sankey ({where}): " + "; ".join(problems[:10]))
    if n < 2:
        fail(f"Sankey ({where}): only {n} labels")
    print(f"Sankey ({where}): {n} labels, none overlapping, all inside the svg; thin bands hittable")


def lab(hex_colour):
    c = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    r, g, b = c
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = lambda t: t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    fx, fy, fz = f(x), f(y), f(z)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def check_colours(d):
    groups = d.execute_script("return JSON.parse(document.getElementById('mtq-data').textContent).groups")
    known = [g for g in groups if not g["injected"]]
    for u in (g for g in groups if g["injected"]):
        for k in known:
            dist = sum((a - b) ** 2 for a, b in zip(lab(u["colour"]), lab(k["colour"]))) ** 0.5
            if dist <= 15:
                fail(f"unseen {u['label']} ({u['colour']}) is close to known {k['label']} ({k['colour']}): {dist:.1f}")
    print(f"colours: {sum(g['injected'] for g in groups)} unseen group(s) far from {len(known)} known")


CAPTIONS_JS = """
const out = [];
let n = 0;
for (const cap of document.querySelectorAll('#anomalies figcaption')) {
  const node = cap.firstChild;
  if (!node || node.nodeType !== 3) continue;
  const m = /#\d+/.exec(node.textContent);
  if (!m) continue;
  const r = document.createRange();
  r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
  const lines = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
  n++;
  if (lines.size > 1) out.push(node.textContent);
}
return [n, out];
"""


def console_errors(d):
    return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def main():
    args = sys.argv[1:]
    if not args:
        fail(__doc__)
    out = args[0]
    shots = args[args.index("--screenshots") + 1] if "--screenshots" in args else None
    report = json.load(open(os.path.join(out, "report.json")))
    html = os.path.abspath(os.path.join(out, "report.html"))
    size = os.path.getsize(html)
    d = driver()
    try:
        d.get("file://" + html)
        WebDriverWait(d, 10).until(lambda x: x.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
        ready = d.execute_script("return window.mtqReadyMs")
        print(f"report.html: {size / 1e6:.2f} MB, script done {ready:.0f} ms after navigation start")
        errs = console_errors(d)
        if errs:
            fail(f"console errors on load: {errs}")
        if shots:
            os.makedirs(shots, exist_ok=True)
            d.save_screenshot(os.path.join(shots, "1-load.png"))
        check_colours(d)
        check_labels(d, "default layers")
        n_layers = len(report["summary"]["layers"])
        drawn = {b.get_attribute("data-c") for b in d.find_elements(By.CSS_SELECTOR, "svg.sankey-live rect.node")}
        print(f"default view: {len(drawn)} columns of {n_layers + 2}")
        if n_layers > 6 and len(drawn) > 8:
            fail(f"{n_layers} layers: the default view draws {len(drawn)} columns, expected a readable subset")
        if shots:
            d.execute_script("document.getElementById('flows').scrollIntoView()")
            d.save_screenshot(os.path.join(shots, "1b-flows-default.png"))
        # Every layer drawn: the page scrolls the diagram sideways; labels still apart, inside.
        d.find_element(By.ID, "layers-all").click()
        drawn = {b.get_attribute("data-c") for b in d.find_elements(By.CSS_SELECTOR, "svg.sankey-live rect.node")}
        if len(drawn) != len(report["sankey"]["columns"]):
            fail(f"all layers: {len(drawn)} columns drawn, report.json has {len(report['sankey']['columns'])}")
        check_labels(d, "all layers")
        if shots:
            d.execute_script("document.getElementById('flows').scrollIntoView()")
            d.save_screenshot(os.path.join(shots, "1c-flows-all-layers.png"))
            d.execute_script("var w = document.querySelector('.sankey-scroll'); w.scrollLeft = w.scrollWidth")
            d.save_screenshot(os.path.join(shots, "1d-flows-all-layers-right.png"))
            d.execute_script("document.querySelector('.sankey-scroll').scrollLeft = 0")
        trusted = report["anomaly"]["trusted"]
        if trusted and any(c["name"] == trusted for c in report["anomaly"]["roc_curves"]):
            thick = d.find_elements(By.CSS_SELECTOR, "polyline.curve.trusted")
            if not thick or any(float(t.get_attribute("stroke-width")) < 4 for t in thick):
                fail("the trusted ROC curve is not drawn thick")

        # 1. The widest band: the panel's count must equal report.json's count of that band.
        links = [l for l in report["sankey"]["links"] if l["count"] > 0]
        if not links:
            fail("report.json has no bands")
        link = max(links, key=lambda l: l["count"])
        sel = 'path.band[data-c="%d"][data-c2="%d"][data-a="%d"][data-b="%d"][data-g="%d"]' % (
            link["from"][0], link["to"][0], link["from"][1], link["to"][1], link["group"])
        bands = d.find_elements(By.CSS_SELECTOR, sel)
        if len(bands) != 1:
            fail(f"expected one band {sel}, found {len(bands)}")
        drawn = int(bands[0].get_attribute("data-count"))
        if drawn != link["count"]:
            fail(f"band {sel} drawn with {drawn} samples, report.json says {link['count']}")
        d.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", bands[0])
        count = int(d.find_element(By.ID, "sel-count").text)
        if count != link["count"]:
            fail(f"panel count {count} != report.json band count {link['count']}")
        print(f"band {sel}: panel count {count} == report.json {link['count']}")
        highlighted = d.find_elements(By.CSS_SELECTOR, "svg.sankey-live .hl")
        if len(highlighted) < 1:
            fail("no highlighted path after a click")
        if shots:
            d.execute_script("document.getElementById('flows').scrollIntoView()")
            d.save_screenshot(os.path.join(shots, "2-band-selected.png"))

        # 2. Isolate the first class: only its bands remain.
        groups = report["sankey"]["groups"]
        d.find_element(By.CSS_SELECTOR, '#legend .item[data-g="0"] .lg-only').click()
        gs = {b.get_attribute("data-g") for b in d.find_elements(By.CSS_SELECTOR, "path.band")}
        if gs != {"0"}:
            fail(f"after isolating class {groups[0]['label']}, bands of groups {gs}")
        first = sum(l["count"] for l in report["sankey"]["links"] if l["group"] == 0 and l["from"][0] == 0)
        shown = sum(int(b.get_attribute("data-count")) for b in d.find_elements(By.CSS_SELECTOR, 'path.band[data-c="0"]'))
        if shown != first:
            fail(f"isolated class {groups[0]['label']}: {shown} samples drawn, report.json has {first}")
        print(f"isolated class {groups[0]['label']}: {shown} samples, only its bands drawn")
        if shots:
            d.execute_script("document.getElementById('flows').scrollIntoView()")
            d.save_screenshot(os.path.join(shots, "3-isolated.png"))
        d.find_element(By.CSS_SELECTOR, '#legend .item[data-g="0"] .lg-only').click()  # show all again

        # 3. Switch to the first injected set.
        inj = [i for i, g in enumerate(groups) if g["injected"]]
        if inj:
            g = inj[0]
            sw = Select(d.find_element(By.ID, "set-switch"))
            values = [o.get_attribute("value") for o in sw.options]
            texts = [o.text for o in sw.options]
            idx = next(i for i, t in enumerate(texts) if "unseen:" in t)
            sw.select_by_value(values[idx])
            drawn = {b.get_attribute("data-g") for b in d.find_elements(By.CSS_SELECTOR, "path.band")}
            if drawn != {str(g)}:
                fail(f"unseen set: bands of groups {drawn}, expected only {g}")
            n = sum(int(b.get_attribute("data-count")) for b in d.find_elements(By.CSS_SELECTOR, 'path.band[data-c="0"]'))
            expected = sum(l["count"] for l in report["sankey"]["links"] if l["group"] == g and l["from"][0] == 0)
            if n != expected:
                fail(f"unseen set {groups[g]['label']}: {n} samples drawn, report.json has {expected}")
            print(f"switched to {texts[idx]}: {n} samples, as report.json")
            check_labels(d, "unseen set, all layers")
            if shots:
                d.execute_script("document.getElementById('flows').scrollIntoView()")
                d.save_screenshot(os.path.join(shots, "4-unseen-set.png"))
        n, broken = d.execute_script(CAPTIONS_JS)
        if broken:
            fail(f"sample ids broken across lines in anomaly captions: {broken[:5]}")
        print(f"anomaly captions: {n} sample ids, none broken across lines")
        if shots:
            for i, anchor in enumerate(["how-to-read", "ktrees", "routes", "anomalies", "seeds", "layers", "agreement", "roc"]):
                els = d.find_elements(By.ID, anchor)
                if els:
                    d.execute_script("arguments[0].scrollIntoView()", els[0])
                    time.sleep(0.1)
                    d.save_screenshot(os.path.join(shots, f"{5 + i}-{anchor}.png"))
        errs = console_errors(d)
        if errs:
            fail(f"console errors: {errs}")
        # The standalone sankey.svg: the same checks on its label boxes.
        d.get("file://" + os.path.abspath(os.path.join(out, "sankey.svg")))
        n, problems = d.execute_script(STATIC_JS)
        if problems:
            fail("sankey.svg: " + "; ".join(problems[:10]))
        print(f"sankey.svg: {n} labels, none overlapping, all inside the svg")
        if shots:
            d.save_screenshot(os.path.join(shots, "13-sankey-svg.png"))
        print("browser test passed")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
