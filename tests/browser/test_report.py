#!/usr/bin/env python3
"""Browser test of the interactive report.html, in headless Chromium (selenium + chromedriver).

Usage: test_report.py REPORT_DIR [--screenshots DIR]

REPORT_DIR holds a freshly generated report (report.html and report.json). The test opens
report.html from file://, waits until the script is ready, then:
  1. clicks the widest band and checks the panel's count equals that band's count in report.json;
  2. isolates one class with the legend and checks every band left is of that class;
  3. switches to an unseen (injected) set and checks the Sankey shows exactly its samples;
  4. fails on any console error or warning of level SEVERE.
It prints the time from navigation start to the script's end (window.mtqReadyMs).
"""
import json
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def driver():
    opts = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--window-size=1500,1100",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="mtq-chromium-")]:
        opts.add_argument(a)
    for b in ["/usr/bin/chromium", "/usr/bin/chromium-browser"]:
        if os.path.exists(b):
            opts.binary_location = b
            break
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service("/usr/bin/chromedriver") if os.path.exists("/usr/bin/chromedriver") else Service()
    return webdriver.Chrome(service=service, options=opts)


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

        # 1. The widest band: the panel's count must equal report.json's count of that band.
        links = [l for l in report["sankey"]["links"] if l["count"] > 0]
        if not links:
            fail("report.json has no bands")
        link = max(links, key=lambda l: l["count"])
        sel = 'path.band[data-c="%d"][data-a="%d"][data-b="%d"][data-g="%d"]' % (
            link["from"][0], link["from"][1], link["to"][1], link["group"])
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
            if shots:
                d.execute_script("document.getElementById('flows').scrollIntoView()")
                d.save_screenshot(os.path.join(shots, "4-unseen-set.png"))
        if shots:
            for i, anchor in enumerate(["how-to-read", "ktrees", "routes", "anomalies", "seeds"]):
                els = d.find_elements(By.ID, anchor)
                if els:
                    d.execute_script("arguments[0].scrollIntoView()", els[0])
                    time.sleep(0.1)
                    d.save_screenshot(os.path.join(shots, f"{5 + i}-{anchor}.png"))
        errs = console_errors(d)
        if errs:
            fail(f"console errors: {errs}")
        print("browser test passed")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
