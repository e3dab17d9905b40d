"""Drives the console in headless Chromium, as its users would.

    browse.py BASE_URL SCREENSHOT_DIR PASSWORD

Signs in as steward, analyst, operator and auditor (users named after their roles), opens a page
each role may not; as the steward, filters the quarantine of enterprises by its first reason and
downloads it; forges a sign-out without the form's token. Prints one JSON object.
"""
import json
import os
import tempfile
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

base, shots, password = sys.argv[1:4]
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=vi"):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
driver.set_page_load_timeout(30)
out = {"roles": {}, "console_errors": []}


# Pages answered 401 or 403 on purpose (a wrong password, a role's forbidden page): the
# browser logs their status; anything else logged as an error is one.
refused = set()


def errors():
    for e in driver.get_log("browser"):
        intended = any(e["message"].startswith(f"{base}{p} - Failed to load resource") for p in refused)
        if e["level"] == "SEVERE" and not intended:
            out["console_errors"].append(e["message"])


def sign_in(user, secret=password):
    driver.get(base + "/login")
    driver.find_element(By.ID, "name").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(secret)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "user") or d.find_elements(By.CSS_SELECTOR, ".error"))
    errors()
    found = driver.find_elements(By.ID, "user")
    return found[0].text if found else None


def sign_out():
    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "sign-in"))
    errors()


def replaced(element):
    """Waits until the page that held `element` is replaced (after a form is posted)."""
    def gone(_):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException:
            # The page is between two documents: ask again.
            return False
    WebDriverWait(driver, 15).until(gone)


def fetch(path, data=None):
    """The answer to a request with the browser's cookies: (status, body)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    req = urllib.request.Request(base + path, data=data, headers={"Cookie": cookies})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode("utf-8-sig", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


try:
    refused.add("/login")
    out["wrong_password"] = sign_in("steward", "not the password") is None
    forbidden = {"steward": "/access", "analyst": "/audit", "operator": "/datasets", "auditor": "/access"}
    allowed = {"steward": "/datasets", "analyst": "/datasets/enterprises", "operator": "/access", "auditor": "/audit"}
    refused.update(forbidden.values())
    for role, path in forbidden.items():
        who = sign_in(role)
        driver.get(base + path)
        denied = bool(driver.find_elements(By.ID, "denied"))
        driver.get(base + allowed[role])
        opens = not driver.find_elements(By.ID, "denied") and driver.find_elements(By.ID, "user")
        errors()
        out["roles"][role] = {"user": who, "denied": denied, "opens": bool(opens)}
        sign_out()

    sign_in("steward")
    driver.get(base + "/")
    out["overview_datasets"] = [r.text.split()[0] for r in driver.find_elements(By.CSS_SELECTOR, "#datasets tbody tr")]
    out["trends"] = len(driver.find_elements(By.CSS_SELECTOR, "#datasets svg.trend"))
    driver.save_screenshot(f"{shots}/overview.png")
    driver.find_element(By.LINK_TEXT, "enterprises").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "reason"))
    select = Select(driver.find_element(By.ID, "reason"))
    reason = select.options[1].get_attribute("value")
    select.select_by_value(reason)
    driver.find_element(By.ID, "apply").click()
    WebDriverWait(driver, 15).until(lambda d: f"reason=" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#quarantined tbody tr")
    out["reason"] = reason
    out["first_line"] = rows[0].find_elements(By.TAG_NAME, "td")[0].text
    out["shown_reasons"] = sorted({f"{r.find_elements(By.TAG_NAME, 'td')[1].text}:{r.find_elements(By.TAG_NAME, 'td')[2].text}" for r in rows})
    out["total"] = int(driver.find_element(By.ID, "shown").text)
    driver.save_screenshot(f"{shots}/quarantine.png")
    csv_path = driver.find_element(By.ID, "csv").get_attribute("href").removeprefix(base)
    status, body = fetch(csv_path)
    out["csv_status"], out["csv_rows"] = status, len(body.strip().splitlines()) - 1
    # A sign-out posted without the form's token (a forged form) is refused; the session stays.
    out["forged_status"], _ = fetch("/logout", data=b"csrf=forged")
    driver.get(base + "/")
    out["still_signed_in"] = bool(driver.find_elements(By.ID, "user"))
    errors()
    # The diff of version 2 against version 1: an update, field by field.
    driver.get(base + "/datasets/enterprises/changes?version=2")
    first = driver.find_elements(By.CSS_SELECTOR, "#updates tbody tr")[0]
    out["update"] = [td.text for td in first.find_elements(By.TAG_NAME, "td")]
    out["inserted"] = len(driver.find_elements(By.CSS_SELECTOR, "#inserted li"))
    driver.save_screenshot(f"{shots}/diff.png")
    errors()

    # The run history, filtered to published runs, and a run's stage timings.
    driver.get(base + "/runs")
    Select(driver.find_element(By.ID, "status")).select_by_value("published")
    driver.find_element(By.ID, "filter-runs").click()
    WebDriverWait(driver, 15).until(lambda d: "status=published" in d.current_url)
    out["run_statuses"] = sorted({tr.find_elements(By.TAG_NAME, "td")[2].text for tr in driver.find_elements(By.CSS_SELECTOR, "#run-list tbody tr")})
    driver.find_element(By.CSS_SELECTOR, "#run-list tbody a").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "timings"))
    out["timings"] = [tr.find_elements(By.TAG_NAME, "td")[0].text for tr in driver.find_elements(By.CSS_SELECTOR, "#timings tbody tr")]
    errors()

    # Pipelines: the loaded files with their schedules; a pasted file checked without saving it,
    # first with a mistake (named with its key and line), then as it is.
    driver.get(base + "/pipelines")
    out["pipelines"] = [tr.find_element(By.TAG_NAME, "td").text for tr in driver.find_elements(By.CSS_SELECTOR, "#pipelines tbody tr")]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "pipelines", "enterprises.toml"), encoding="utf-8") as f:
        good = f.read()
    bad = good.replace('dataset = "enterprises"', 'dataset = "enterprises"\nshedule = "0 0 2 * * *"', 1)
    for name, text in (("bad", bad), ("good", good)):
        box = driver.find_element(By.ID, "text")
        driver.execute_script("arguments[0].value = arguments[1];", box, text)
        driver.find_element(By.ID, "check").click()
        replaced(box)
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "checked"))
        out["checked_" + name] = driver.find_element(By.ID, "checked").text
    # The same mistake in a file uploaded from the steward's computer: named by its file name.
    with tempfile.TemporaryDirectory() as up:
        path = os.path.join(up, "doanh_nghiep.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(bad)
        box = driver.find_element(By.ID, "text")
        driver.find_element(By.ID, "file").send_keys(path)
        driver.find_element(By.ID, "upload").click()
        replaced(box)
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "checked"))
        out["checked_upload"] = driver.find_element(By.ID, "checked").text
    errors()

    # A run held by its delete gate, rejected from its page with a note.
    driver.get(base + "/runs?status=held")
    driver.find_element(By.CSS_SELECTOR, "#run-list tbody a").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "decision"))
    out["held_run"] = driver.current_url.rsplit("/", 1)[-1]
    driver.find_element(By.ID, "note").send_keys("tệp bị cắt cụt")
    driver.find_element(By.ID, "reject").click()
    WebDriverWait(driver, 15).until(lambda d: not d.find_elements(By.ID, "decision"))
    out["decided_status"] = [tr.find_element(By.TAG_NAME, "td").text for tr in driver.find_elements(By.CSS_SELECTOR, "#run tbody tr") if tr.find_element(By.TAG_NAME, "th").text == "status"]
    errors()

    # Run now: the pipeline runs in the background and its run joins the history.
    driver.get(base + "/runs?pipeline=enterprises")
    before = len(driver.find_elements(By.CSS_SELECTOR, "#run-list tbody tr"))
    Select(driver.find_element(By.ID, "run-pipeline")).select_by_value("enterprises")
    button = driver.find_element(By.ID, "run-now")
    button.click()
    # The form's answer first: navigating at once could cancel its submission.
    replaced(button)
    for _ in range(60):
        driver.get(base + "/runs?pipeline=enterprises")
        rows = driver.find_elements(By.CSS_SELECTOR, "#run-list tbody tr")
        if len(rows) > before and "running" not in rows[0].text:
            break
        time.sleep(0.5)
    out["runs_after_run_now"] = [before, len(driver.find_elements(By.CSS_SELECTOR, "#run-list tbody tr"))]
    errors()

    # The review queue: a pair side by side with its waterfall, accepted from the keyboard's
    # access key or the button.
    driver.get(base + "/review")
    driver.find_element(By.CSS_SELECTOR, "#reviews tbody a").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "waterfall"))
    out["pair"] = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in driver.find_elements(By.CSS_SELECTOR, "#pair tbody tr")]
    out["waterfall_bars"] = len(driver.find_elements(By.CSS_SELECTOR, "#waterfall rect.step"))
    driver.save_screenshot(f"{shots}/review.png")
    driver.find_element(By.ID, "accept").click()
    WebDriverWait(driver, 15).until(lambda d: "/review/" not in d.current_url or d.find_elements(By.ID, "decided"))
    errors()
    sign_out()

    # An operator makes a client (its secret shown once) and grants it a dataset.
    sign_in("operator")
    driver.get(base + "/access")
    driver.find_element(By.ID, "create-client").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "secret"))
    out["client_id"] = driver.find_element(By.ID, "client-id").text
    out["client_secret"] = driver.find_element(By.ID, "secret").text
    driver.get(base + "/access")
    out["secret_again"] = out["client_secret"] in driver.page_source
    driver.find_element(By.ID, "client").send_keys(out["client_id"])
    Select(driver.find_element(By.ID, "dataset")).select_by_value("enterprises")
    driver.find_element(By.ID, "fields").send_keys("ma_so_thue,ten_doanh_nghiep")
    driver.find_element(By.ID, "basis").send_keys("Quyết định 01/QĐ-UBND")
    button = driver.find_element(By.ID, "add-grant")
    button.click()
    replaced(button)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "notice") or d.find_elements(By.ID, "problem"))
    out["granted"] = " ".join(e.text for e in driver.find_elements(By.ID, "notice") + driver.find_elements(By.ID, "problem"))
    errors()
    out["usage"] = {tds[1].text: tds[4].text for tds in ([td for td in tr.find_elements(By.TAG_NAME, "td")] for tr in driver.find_elements(By.CSS_SELECTOR, "#clients tbody tr"))}
    out["grants_listed"] = [tr.find_elements(By.TAG_NAME, "td")[1].text for tr in driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr")]
    # A second client, revoked from its row.
    driver.get(base + "/access")
    driver.find_element(By.ID, "create-client").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "secret"))
    out["revoked_client"] = driver.find_element(By.ID, "client-id").text
    out["revoked_secret"] = driver.find_element(By.ID, "secret").text
    # ... given a grant first, which is revoked from its row.
    driver.get(base + "/access")
    driver.find_element(By.ID, "client").send_keys(out["revoked_client"])
    Select(driver.find_element(By.ID, "dataset")).select_by_value("enterprises")
    driver.find_element(By.ID, "fields").send_keys("ma_so_thue")
    driver.find_element(By.ID, "basis").send_keys("Quyết định 02/QĐ-UBND")
    button = driver.find_element(By.ID, "add-grant")
    button.click()
    replaced(button)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "notice") or d.find_elements(By.ID, "problem"))
    rows = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr") if out["revoked_client"] in tr.text]
    out["second_grants"] = len(rows)
    button = rows[0].find_element(By.CSS_SELECTOR, "button.revoke-grant")
    button.click()
    replaced(button)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "notice"))
    out["second_grants_after"] = len([tr for tr in driver.find_elements(By.CSS_SELECTOR, "#grants tbody tr") if out["revoked_client"] in tr.text])
    button = driver.find_element(By.ID, "revoke-" + out["revoked_client"])
    button.click()
    replaced(button)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "notice"))
    out["revoke_buttons_left"] = len(driver.find_elements(By.ID, "revoke-" + out["revoked_client"]))
    errors()
    sign_out()

    # The auditor finds both actions in the log by their actor, then verifies the chain.
    sign_in("auditor")
    driver.get(base + "/audit")
    driver.find_element(By.ID, "actor").send_keys("user:operator")
    driver.find_element(By.ID, "search").click()
    WebDriverWait(driver, 15).until(lambda d: "actor=" in d.current_url)
    out["audit_actors"] = sorted({tr.find_elements(By.TAG_NAME, "td")[2].text for tr in driver.find_elements(By.CSS_SELECTOR, "#entries tbody tr")})
    cells = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in driver.find_elements(By.CSS_SELECTOR, "#entries tbody tr")]
    out["audit_actions"] = sorted({c[3] for c in cells if c[2] == "user:operator" and c[3] in ("client create", "grant add")})
    driver.find_element(By.ID, "verify").click()
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "verdict"))
    out["verdict"] = driver.find_element(By.ID, "verdict").text
    errors()
    sign_out()

    # An analyst sees who may read the dataset.
    sign_in("analyst")
    driver.get(base + "/datasets/enterprises")
    out["consumers"] = [tr.find_elements(By.TAG_NAME, "td")[1].text for tr in driver.find_elements(By.CSS_SELECTOR, "#consumers tbody tr")]
    errors()
    # The data dictionary and the snapshot a page at a time, then filtered by one field's value.
    driver.get(base + "/datasets/enterprises")
    driver.find_element(By.ID, "data").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "rows"))
    out["dictionary"] = [tr.find_element(By.TAG_NAME, "td").text for tr in driver.find_elements(By.CSS_SELECTOR, "#dictionary tbody tr")]
    page1 = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr")]
    heads = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#rows thead th")]
    out["page_rows"] = len(page1)
    driver.find_element(By.ID, "next").click()
    WebDriverWait(driver, 15).until(lambda d: "page=1" in d.current_url)
    out["second_page_first"] = driver.find_element(By.CSS_SELECTOR, "#rows tbody td").text
    key = page1[3][heads.index("ma_so_thue")]
    Select(driver.find_element(By.ID, "field")).select_by_value("ma_so_thue")
    driver.find_element(By.ID, "value").send_keys(key)
    driver.find_element(By.ID, "filter-rows").click()
    WebDriverWait(driver, 15).until(lambda d: "field=ma_so_thue" in d.current_url)
    out["filtered"] = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")][heads.index("ma_so_thue")] for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr")]
    out["filtered_key"] = key
    errors()

    # The monthly report of this month in the page, and its CSV and Excel downloads.
    month = time.strftime("%Y-%m", time.gmtime())
    driver.get(base + "/reports")
    driver.find_element(By.ID, "period").clear()
    driver.find_element(By.ID, "period").send_keys(month)
    driver.find_element(By.ID, "show-report").click()
    # The page may show a report already: wait for the submitted form's page, not the old one's.
    WebDriverWait(driver, 30).until(lambda d: "period=" in d.current_url)
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#report h1") or d.find_elements(By.ID, "problem"))
    out["report_title"] = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, "#report h1") + driver.find_elements(By.ID, "problem"))
    out["report_tables"] = len(driver.find_elements(By.CSS_SELECTOR, "#report table"))
    link = driver.find_element(By.ID, "report-csv").get_attribute("href").replace(base, "")
    status, body = fetch(link)
    out["report_csv"] = [status, len(body.splitlines())]
    status, _ = fetch(link.replace("format=csv", "format=xlsx"))
    out["report_xlsx"] = status
    errors()

    # Shared catalogs: a search without diacritics, and a code retired by the 2025 reform with
    # the code that replaced it.
    driver.get(base + "/catalogs")
    driver.find_element(By.LINK_TEXT, "communes").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "items"))
    driver.find_element(By.ID, "q").send_keys("hoa tien")
    driver.find_element(By.ID, "look").click()
    WebDriverWait(driver, 15).until(lambda d: "q=" in d.current_url)
    out["catalog_found"] = [tr.find_elements(By.TAG_NAME, "td")[1].text for tr in driver.find_elements(By.CSS_SELECTOR, "#items tbody tr")]
    driver.get(base + "/catalogs/communes?code=00001&as_of=2025-07-01")
    out["lookup_status"] = driver.find_element(By.CSS_SELECTOR, "#lookup .badge").text
    out["successors"] = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#successors li")]
    out["history_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "#history tbody tr"))
    errors()
    driver.get(base + "/lang/en")
    out["english"] = driver.find_element(By.TAG_NAME, "h1").text
finally:
    driver.quit()
print(json.dumps(out))
