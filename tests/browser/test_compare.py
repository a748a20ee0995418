#!/usr/bin/env python3
"""Browser test of compare.html (the page of `mtq compare`), in headless Chromium (selenium +
chromedriver).

Usage: test_compare.py COMPARE_DIR [--screenshots DIR]

COMPARE_DIR holds compare.html and compare.json (written together by mtq_report::write_compare).
The test opens compare.html from file:// and checks:
  0. the page is at most 5 MB and loads nothing from elsewhere (no src from the network, no
     @import, no url() but data:);
  1. no console entry of level SEVERE;
  2. one heatmap (figure.heatmap) per entry of compare.json's comparison.similarities, each with
     rows x columns cells in the map shown (linear CKA when present, else ARI);
  3. clicking a cell of every heatmap fills #compare-detail with both layer names and the cell's
     mean (3 decimals) and per-seed range equal to compare.json's;
  4. with "only distinct" on (the default) the differences table shows as many rows as
     compare.json has distinct differences, and all of them once it is off;
  5. every text label of every visible heatmap lies inside its SVG's box;
  6. every study link (and row link) points to a relative report.html that exists when
     compare.json gives one, and a study without a link has none.
With --screenshots DIR it saves the whole page (compare.png) and the detail panel after a click.
"""
import json
import os
import re
import sys
import time

from selenium.webdriver.common.by import By

from chromium import driver, fail


LABELS_JS = """
const out = [];
let n = 0;
for (const svg of document.querySelectorAll('figure.heatmap svg.hm')) {
  if (getComputedStyle(svg).display === 'none') continue;
  const box = svg.getBoundingClientRect();
  const eps = 0.5;
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    n++;
    if (r.left < box.left - eps || r.right > box.right + eps || r.top < box.top - eps || r.bottom > box.bottom + eps)
      out.push(JSON.stringify(t.textContent) + ' outside its svg: ' + [r.left, r.top, r.right, r.bottom].map(Math.round) + ' vs ' + [box.left, box.top, box.right, box.bottom].map(Math.round));
  }
}
return [n, out];
"""


def fmt3(v):
    if v is None:
        return "—"
    s = f"{v:.3f}"
    return "0.000" if s == "-0.000" else s


def visible_rows(d):
    return d.execute_script(
        "return Array.from(document.querySelectorAll('#difference-table tr.diff'))"
        ".filter(r => getComputedStyle(r).display !== 'none').length")


def main():
    args = sys.argv[1:]
    shots = None
    if "--screenshots" in args:
        i = args.index("--screenshots")
        shots = args[i + 1]
        del args[i:i + 2]
        os.makedirs(shots, exist_ok=True)
    if len(args) != 1:
        fail("usage: test_compare.py COMPARE_DIR [--screenshots DIR]")
    folder = os.path.abspath(args[0])
    page = os.path.join(folder, "compare.html")
    with open(os.path.join(folder, "compare.json"), encoding="utf-8") as f:
        data = json.load(f)
    comp = data["comparison"]
    sims = comp["similarities"]
    # 0. self-contained and small: no resource from elsewhere, at most 5 MB
    size = os.path.getsize(page)
    if size > 5 * 1024 * 1024:
        fail(f"compare.html is {size} bytes, more than 5 MB")
    with open(page, encoding="utf-8") as f:
        html = f.read()
    for external in re.findall(r"""(?:src|href)=["']?(?:https?:)?//[^"' >]*|@import[^;]*|url\((?!["']?data:)[^)]*\)""", html):
        if not external.startswith("href="):
            fail(f"compare.html loads a resource from elsewhere ({external!r})")
    for link in re.findall(r"<link [^>]*>", html):
        if 'href="data:' not in link:
            fail(f"compare.html links a resource from elsewhere ({link!r})")
    print(f"compare.html: {size} bytes, self-contained")
    d = driver()
    try:
        d.get("file://" + page)
        time.sleep(0.3)

        # 2. one heatmap per similarity, rows x cols cells in the map shown
        figs = d.find_elements(By.CSS_SELECTOR, "figure.heatmap")
        if len(figs) != len(sims):
            fail(f"{len(figs)} heatmaps, compare.json has {len(sims)} similarities")
        for k, (fig, m) in enumerate(zip(figs, sims)):
            cells = [c for c in fig.find_elements(By.CSS_SELECTOR, "rect.hm-cell") if c.is_displayed()]
            want = len(m["a_layers"]) * len(m["b_layers"])
            if len(cells) != want:
                fail(f"heatmap {k}: {len(cells)} visible cells, expected {want}")
        print(f"heatmaps: {len(figs)}, as many as the similarities, each rows x columns cells")

        # 5. labels inside their svg
        n, problems = d.execute_script(LABELS_JS)
        if problems:
            fail("heatmap labels: " + "; ".join(problems[:10]))
        print(f"heatmap labels: {n}, all inside their svg")

        # 3. detail panel per heatmap: the last cell (bottom right) of each
        for k, (fig, m) in enumerate(zip(figs, sims)):
            grid = m["cka"] if m.get("cka") else m["ari"]
            cells = [c for c in fig.find_elements(By.CSS_SELECTOR, "rect.hm-cell") if c.is_displayed()]
            cell = cells[-1]
            i, j = int(cell.get_attribute("data-i")), int(cell.get_attribute("data-j"))
            d.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)
            d.execute_script(
                "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", cell)
            panel = d.find_element(By.ID, "compare-detail")
            mean = panel.find_element(By.CSS_SELECTOR, ".mean").text
            rng = panel.find_element(By.CSS_SELECTOR, ".range").text
            row = panel.find_element(By.CSS_SELECTOR, ".row").text
            col = panel.find_element(By.CSS_SELECTOR, ".col").text
            if mean != fmt3(grid["mean"][i][j]):
                fail(f"heatmap {k} cell ({i},{j}): panel mean {mean}, compare.json {grid['mean'][i][j]}")
            want_rng = f"{fmt3(grid['min'][i][j])}-{fmt3(grid['max'][i][j])}"
            if grid["min"][i][j] is not None and rng != want_rng:
                fail(f"heatmap {k} cell ({i},{j}): panel range {rng}, compare.json {want_rng}")
            if row != m["a_layers"][i] or col != m["b_layers"][j]:
                fail(f"heatmap {k}: panel layers {row!r}/{col!r}, expected "
                     f"{m['a_layers'][i]!r}/{m['b_layers'][j]!r}")
            if k == 0 and shots:
                d.save_screenshot(os.path.join(shots, "compare-detail.png"))
        print(f"detail panel: mean and range of a cell of each of the {len(figs)} heatmaps match compare.json")

        # 4. only distinct
        distinct = sum(1 for x in comp["differences"] if x["verdict"] != "overlap")
        total = len(comp["differences"])
        if total:
            box = d.find_element(By.ID, "only-distinct")
            if not box.is_selected():
                fail("'only distinct' is off by default")
            if visible_rows(d) != distinct:
                fail(f"only distinct: {visible_rows(d)} rows shown, {distinct} distinct in compare.json")
            d.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
            box.click()
            if visible_rows(d) != total:
                fail(f"all differences: {visible_rows(d)} rows shown, {total} in compare.json")
            box.click()
            if visible_rows(d) != distinct:
                fail("toggling 'only distinct' back does not restore the distinct rows")
            print(f"differences: {distinct} distinct shown, {total} with 'only distinct' off")
        else:
            print("differences: none in compare.json")

        # 6. links
        rows = d.find_elements(By.CSS_SELECTOR, "table.side tr.study")
        if len(rows) != len(comp["studies"]):
            fail(f"{len(rows)} study rows, compare.json has {len(comp['studies'])} studies")
        links = data.get("studies", [])
        checked = 0
        for s, tr in enumerate(rows):
            href = links[s].get("report") if s < len(links) else None
            anchors = tr.find_elements(By.CSS_SELECTOR, "a")
            if href:
                if not anchors or anchors[0].get_attribute("href") is None:
                    fail(f"study {s} has no link to {href}")
                got = anchors[0].get_attribute("href")
                if not got.startswith("file://"):
                    fail(f"study {s}: link {got} is not relative to the page")
                if tr.get_attribute("data-href") != href:
                    fail(f"study {s}: row links to {tr.get_attribute('data-href')}, expected {href}")
                target = os.path.normpath(os.path.join(folder, href))
                if not os.path.isfile(target):
                    fail(f"study {s}: {href} does not exist ({target})")
                checked += 1
            elif anchors:
                fail(f"study {s} has a link but compare.json gives none")
        print(f"study links: {checked} point to an existing report.html")

        # 1. console
        severe = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
        if severe:
            fail("console errors: " + "; ".join(e["message"] for e in severe[:5]))
        print("console: no SEVERE entry")

        if shots:
            d.execute_script("window.scrollTo(0, 0);")
            height = d.execute_script("return document.documentElement.scrollHeight")
            d.set_window_size(1500, min(max(height + 40, 800), 6000))
            time.sleep(0.2)
            d.save_screenshot(os.path.join(shots, "compare.png"))
            print("screenshots in " + shots)
    finally:
        d.quit()
    print("OK")


if __name__ == "__main__":
    main()
