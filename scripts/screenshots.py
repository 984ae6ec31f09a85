#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""README screenshots from a running demo database (headless Chromium).

    EC_DEMO_DB=ec_reconcile_demo EC_HTTP_PORT=8069 scripts/demo.sh   # serve it
    python3 scripts/screenshots.py --port 8069 --db ec_reconcile_demo

Logs in through /web/login (requests), hands the session cookie to Chromium
driven over the DevTools protocol (websocket-client), opens each view at
1440x900, waits until the page is idle (the view's content present and no
request in flight) and writes PNGs into docs/screenshots/. ``--lang zh_CN``
also shoots the dashboard in Chinese (the language is installed and the
user's language switched for the shot, then restored). Chinese text needs a
CJK font for Chromium (Debian: apt-get install fonts-wqy-microhei).
"""

import argparse
import base64
import itertools
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import requests
import websocket

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
WIDTH, HEIGHT = 1440, 900


class Odoo:
    """JSON-RPC with the session cookie of a /web/login."""

    def __init__(self, base, db, login, password):
        self.base = base
        self.http = requests.Session()
        page = self.http.get(f"{base}/web/login", params={"db": db}, timeout=60)
        page.raise_for_status()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        response = self.http.post(
            f"{base}/web/login",
            data={
                "login": login,
                "password": password,
                "db": db,
                "csrf_token": token.group(1) if token else "",
                "redirect": "/odoo",
            },
            timeout=60,
        )
        response.raise_for_status()
        info = self.call("/web/session/get_session_info", {})
        if not info.get("uid"):
            sys.exit(f"login as {login} on {db} failed")
        self.uid = info["uid"]
        self.session_id = self.http.cookies["session_id"]

    def call(self, path, params):
        response = self.http.post(
            f"{self.base}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=120,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(json.dumps(body["error"], indent=1)[:2000])
        return body["result"]

    def kw(self, model, method, *args, **kwargs):
        return self.call(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


class Browser:
    """One headless Chromium tab over the DevTools protocol."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="ec-shots-")
        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = pathlib.Path(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.time() > deadline or self.process.poll() is not None:
                self.close()
                sys.exit(f"{binary} did not start its DevTools server")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self.ids = itertools.count(1)
        self.inflight = {}
        self.last_network = time.time()
        self.errors = []
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            # The bus worker (a SharedWorker) never reports its end here.
            if "/bus/" not in params["request"]["url"]:
                self.inflight[params["requestId"]] = params["request"]["url"]
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            self.inflight.pop(params["requestId"], None)
        elif method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text"))
        else:
            return
        self.last_network = time.time()

    def _pump(self, timeout):
        self.ws.settimeout(timeout)
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        self._event(message)
        return message

    def send(self, method, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = self._pump(60)
            if message is None:
                raise TimeoutError(method)
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        return result.get("result", {}).get("value")

    def wait_idle(self, selector, absent=None, timeout=180, quiet=1.0):
        """Until ``selector`` is present (``absent`` not), the network quiet."""
        deadline = time.time() + timeout
        query = f"!!document.querySelector({json.dumps(selector)})"
        if absent:
            query += f" && !document.querySelector({json.dumps(absent)})"
        while time.time() < deadline:
            self._pump(0.2)
            if (
                not self.inflight
                and time.time() - self.last_network > quiet
                and self.evaluate(query)
                and not self.evaluate(
                    "!!document.querySelector('.o_loading_indicator')"
                )
            ):
                return
        failed = pathlib.Path(tempfile.gettempdir(), "ec-shots-failed.png")
        data = self.send("Page.captureScreenshot", format="png")["data"]
        failed.write_bytes(base64.b64decode(data))
        raise TimeoutError(
            f"{selector} not shown within {timeout} s on "
            f"{self.evaluate('location.href')} (screenshot: {failed})"
        )

    def goto(self, url, selector):
        self.inflight.clear()
        self.send("Page.navigate", url=url)
        self.wait_idle(selector)

    def click(self, selector, then, absent=None):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_idle(then, absent=absent)

    def shoot(self, path):
        # Fonts and the last repaint: one animation frame after idle.
        self.evaluate(
            "new Promise(r => requestAnimationFrame(() => setTimeout(r, 300)))"
        )
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"  {path}", file=sys.stderr)

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def bill_with_rows(odoo):
    bills = odoo.kw(
        "ec.settlement",
        "search_read",
        [("state", "in", ("posted", "matched", "parsed")), ("line_count", ">=", 5)],
        fields=["id", "name", "line_count"],
        order="line_count asc, id",
        limit=1,
    )
    if not bills:
        sys.exit("no bill with rows in this database: is it the demo database?")
    return bills[0]["id"]


def mapping_with_rules(odoo):
    mappings = odoo.kw(
        "ec.bill.mapping",
        "search_read",
        [("rule_ids", "!=", False), ("column_ids", "!=", False)],
        fields=["id", "name", "is_preset"],
        order="is_preset, id",
        limit=1,
    )
    if not mappings:
        sys.exit("no bill mapping with columns and rules")
    return mappings[0]["id"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("EC_HTTP_PORT", "8069"))
    parser.add_argument(
        "--db", default=os.environ.get("EC_DEMO_DB", "ec_reconcile_demo")
    )
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument(
        "--lang", help="also the dashboard in this language, e.g. zh_CN"
    )
    parser.add_argument(
        "--chromium",
        default=os.environ.get("CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("google-chrome")
        or "/usr/bin/chromium",
    )
    args = parser.parse_args()
    base = f"http://{args.host}:{args.port}"
    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    odoo = Odoo(base, args.db, args.login, args.password)
    act = f"{base}/odoo/action-ec_reconcile"
    browser = Browser(args.chromium)
    try:
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=odoo.session_id,
            url=base,
            httpOnly=True,
        )
        kanban = ".o_ec_shop_dashboard .o_kanban_record:not(.o_kanban_ghost)"
        browser.goto(f"{act}.ec_shop_dashboard_action", kanban)
        browser.shoot(out / "dashboard.png")

        browser.goto(
            f"{act}.ec_settlement_action/{bill_with_rows(odoo)}",
            ".o_form_view .o_field_widget[name=line_ids] .o_data_row",
        )
        browser.shoot(out / "bill_form.png")

        browser.goto(f"{act}.ec_exception_action", ".o_list_view .o_group_header")
        # Unfold the first type so that the queue shows exceptions, not counts only.
        browser.click(".o_list_view .o_group_header", ".o_list_view .o_data_row")
        browser.shoot(out / "exception_queue.png")

        # The report opens on this month; the demo bills are older.
        browser.goto(f"{act}.ec_report_profit_action", ".o_searchview_facet")
        browser.click(
            ".o_searchview_facet .o_facet_remove",
            ".o_pivot table .o_pivot_cell_value",
            absent=".o_view_sample_data, .o_searchview_facet",
        )
        browser.shoot(out / "report.png")

        browser.goto(
            f"{act}.ec_bill_mapping_action/{mapping_with_rules(odoo)}",
            ".o_form_view .o_field_widget[name=column_ids] .o_data_row",
        )
        browser.shoot(out / "bill_mapping_form.png")
        browser.click(
            ".o_notebook a.nav-link[name=rules]",
            ".o_form_view .o_field_widget[name=rule_ids] .o_data_row",
        )
        browser.shoot(out / "bill_mapping_rules.png")

        if args.lang:
            shoot_in_language(odoo, browser, args.lang, kanban, act, out)
    finally:
        browser.close()
    if browser.errors:
        print(
            "JavaScript errors: " + "; ".join(map(str, browser.errors)), file=sys.stderr
        )
        return 1
    return 0


def shoot_in_language(odoo, browser, lang, kanban, act, out):
    installed = odoo.kw("res.lang", "search_read", [("code", "=", lang)], fields=["id"])
    if not installed:
        wizard = odoo.kw("base.language.install", "create", {"lang_ids": []})
        lang_ids = odoo.kw(
            "res.lang",
            "search",
            [("code", "=", lang), ("active", "=", False)],
            context={"active_test": False},
        )
        odoo.kw(
            "base.language.install", "write", [wizard], {"lang_ids": [(6, 0, lang_ids)]}
        )
        odoo.kw("base.language.install", "lang_install", [wizard])
    user = odoo.kw("res.users", "read", [odoo.uid], fields=["lang"])[0]
    odoo.kw("res.users", "write", [odoo.uid], {"lang": lang})
    try:
        browser.goto(f"{act}.ec_shop_dashboard_action", kanban)
        browser.shoot(out / f"dashboard_{lang}.png")
    finally:
        odoo.kw("res.users", "write", [odoo.uid], {"lang": user["lang"]})


if __name__ == "__main__":
    sys.exit(main())
