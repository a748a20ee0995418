"""What the browser tests share: headless Chromium through selenium and chromedriver, and how a
test fails (a message on stderr, exit 1)."""
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def driver():
    """Headless Chromium (Debian's /usr/bin/chromium when present) in a fresh profile, 1500 x 1100,
    keeping every console entry."""
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
