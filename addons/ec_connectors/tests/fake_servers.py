# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Local fake platform servers for the API client tests.

One ``http.server.ThreadingHTTPServer`` per platform on 127.0.0.1 (port 0),
started and stopped by the test. Each fake checks the request signature
the way the platform documents it, with its own implementation (nothing is
imported from ``clients``), signs its responses where the platform does
(Alipay, WeChat Pay) and serves bills in the real layouts from the shared
fixtures (copied in ``ec_reconcile/tests/data/bills``). Faults can be scripted per
path: ``timeout``, ``500``, ``429``, ``malformed`` and ``ratelimit`` (the
platform's own rate-limit reply in a 200 body).
"""

import base64
import csv
import datetime as dt
import gzip
import hashlib
import hmac
import io
import json
import os
import re
import socket
import threading
import time
import unittest
import zipfile
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Byte-identical copies of shared/fixtures/bills live in the repository, so
# the suite also runs where shared/ is absent (Docker, other checkouts).
FIXTURES = Path(
    os.environ.get("EC_FIXTURES_DIR")
    or Path(__file__).resolve().parents[2] / "ec_reconcile" / "tests" / "data" / "bills"
)


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


def fixture_json(name):
    return json.loads(fixture_bytes(name))


def fixture_rows(name, encoding="utf-8-sig"):
    return list(csv.DictReader(io.StringIO(fixture_bytes(name).decode(encoding))))


# ----------------------------------------------------------------- keys


@cache
def rsa_key(name):
    """A 2048-bit RSA private key per name (generated once per process)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(name):
    return (
        rsa_key(name)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def public_pem(name):
    return (
        rsa_key(name)
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


def public_base64(name):
    """The bare base64 form Alipay's console shows."""
    return "".join(public_pem(name).strip().splitlines()[1:-1])


def _rsa_ok(key_name, message, signature_b64):
    try:
        rsa_key(key_name).public_key().verify(
            base64.b64decode(signature_b64),
            message,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _rsa_sign(key_name, message):
    signature = rsa_key(key_name).sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


# ----------------------------------------------------------------- server


class Request:
    def __init__(self, method, target, headers, body):
        parts = urlsplit(target)
        self.method = method
        self.target = target
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = headers
        self.body = body

    def form(self):
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self):
        return json.loads(self.body or b"{}")


def reply(status=200, body=b"", headers=None, content_type="application/json"):
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
    elif isinstance(body, str):
        body = body.encode()
    return status, {"Content-Type": content_type, **(headers or {})}, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        result = super().setup()
        # headers and body go out in two writes: without this, Nagle plus
        # delayed ACK cost ~40 ms per keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return result

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, self.headers, body)
        status, headers, payload = self.server.fake.dispatch(request)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            return  # the client gave up (timeout test)

    do_GET = do_POST = _serve

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class FakeServer:
    """Base fake: threading, fault injection, request log."""

    platform = ""
    delay = 0.3  # seconds a "timeout" fault stalls (client timeout is 0.1)

    def __init__(self):
        self.requests = []
        self.faults = []
        self.served = []  # bodies of bill pages, in serving order
        self._httpd = None

    # lifecycle
    def start(self):
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), daemon=True
        )
        thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self):
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # scripting
    def fail(self, kind, path=None, times=1, after=0):
        """Make the next ``times`` requests (to ``path`` if given) fail,
        after letting ``after`` such requests through."""
        for index in range(times):
            self.faults.append([kind, path, after if index == 0 else 0])

    def hits(self, path):
        return sum(1 for request in self.requests if request.path == path)

    def dispatch(self, request):
        self.requests.append(request)
        for index, (kind, path, skip) in enumerate(self.faults):
            if path is None or path == request.path:
                if skip:
                    self.faults[index][2] -= 1
                    break
                del self.faults[index]
                if kind == "timeout":
                    time.sleep(self.delay)
                    break
                if kind == "500":
                    return reply(500, b"<html>internal error</html>", None, "text/html")
                if kind == "429":
                    return reply(
                        429, {"error": "too many requests"}, {"Retry-After": "7"}
                    )
                if kind == "malformed":
                    return reply(200, b'{"truncated": [1, 2')
                if kind == "ratelimit":
                    return self.rate_limit_reply(request)
                raise AssertionError(f"unknown fault {kind}")
        return self.handle(request)

    def handle(self, request):
        raise NotImplementedError

    def rate_limit_reply(self, request):
        raise NotImplementedError

    def serve_page(self, body):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
        self.served.append(body)
        return reply(200, body)


def pages(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


# ----------------------------------------------------------------- Alipay


def alipay_bill_zip(bill_date="20240305"):
    """The signcustomer ZIP: one GBK-named CSV entry, no UTF-8 flag."""
    name = f"20880000000000000156_{bill_date}_账务明细.csv".encode("gbk")
    placeholder = "x" * len(name)
    buffer = io.BytesIO()
    # A fixed timestamp: the same bill is the same bytes on every download.
    entry = zipfile.ZipInfo(placeholder, date_time=(2024, 3, 6, 9, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry, fixture_bytes("alipay_signcustomer.csv"))
    data = buffer.getvalue().replace(placeholder.encode(), name)
    assert data.count(name) == 2  # local header + central directory
    return data


class AlipayFake(FakeServer):
    platform = "alipay"
    method = "alipay.data.dataservice.bill.downloadurl.query"

    def __init__(self, app_id="2021000000000001"):
        super().__init__()
        self.app_id = app_id
        self.app_key = "alipay-app"  # the merchant's key pair (public half here)
        self.sign_key = "alipay-platform"  # Alipay's own key pair
        self.bills = {("signcustomer", "2024-03-05"): alipay_bill_zip()}
        self.expire_downloads = 0  # next N downloads answer "link expired"
        self.urls_issued = 0

    def _verify(self, params):
        sign = params.get("sign", "")
        pairs = [
            (key, value) for key, value in params.items() if key != "sign" and value
        ]
        content = "&".join("=".join(pair) for pair in sorted(pairs))
        return params.get("sign_type") == "RSA2" and _rsa_ok(
            self.app_key, content.encode(), sign
        )

    def _signed(self, node_name, node):
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        signature = _rsa_sign(self.sign_key, text.encode())
        return reply(200, f'{{"{node_name}":{text},"sign":"{signature}"}}')

    def rate_limit_reply(self, request):
        node = {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "aop.app-call-limited",  # assumed wording
            "sub_msg": "调用频率超限",
        }
        return self._signed(self.method.replace(".", "_") + "_response", node)

    def handle(self, request):
        if request.path == "/download":
            if self.expire_downloads:
                self.expire_downloads -= 1
                return reply(
                    200, "下载超时,请重新下载", None, "text/plain;charset=utf-8"
                )
            key = (request.query["type"], request.query["date"])
            return reply(200, self.bills[key], None, "application/oct-stream")
        params = request.form()
        node_name = params.get("method", "").replace(".", "_") + "_response"
        if params.get("app_id") != self.app_id:
            node = {"code": "40002", "msg": "Invalid Arguments"}
            node.update(sub_code="isv.invalid-app-id", sub_msg="无效的AppID参数")
            return reply(200, {node_name: node})
        if not self._verify(params):
            node = {"code": "40002", "msg": "Invalid Arguments"}
            node.update(sub_code="isv.invalid-signature", sub_msg="验签出错")
            return reply(200, {node_name: node})
        biz = json.loads(params["biz_content"])
        key = (biz["bill_type"], biz["bill_date"])
        if key not in self.bills:
            node = {"code": "40004", "msg": "Business Failed"}
            node.update(sub_code="isp.bill_not_exist", sub_msg="账单不存在")
            return self._signed(node_name, node)
        self.urls_issued += 1
        url = (
            f"{self.url}/download?type={key[0]}&date={key[1]}&token=t{self.urls_issued}"
        )
        node = {"code": "10000", "msg": "Success", "bill_download_url": url}
        return self._signed(node_name, node)


# ----------------------------------------------------------------- WeChat Pay


class WechatPayFake(FakeServer):
    platform = "wechatpay"

    def __init__(self, mchid="1900000001", serial_no="MERCHANT-SERIAL-1"):
        super().__init__()
        self.mchid = mchid
        self.serial_no = serial_no
        self.merchant_key = "wechat-merchant"
        self.sign_key = "wechat-platform"
        self.platform_serial = "PUB_KEY_ID_0000000000000001"
        self.bills = {
            ("trade", "2024-03-05"): fixture_bytes("wechatpay_tradebill_all.csv"),
            ("fundflow", "2024-03-05"): fixture_bytes("wechatpay_fundflow_basic.csv"),
        }
        self.expire_downloads = 0
        self.corrupt_download = False
        self.clock_offset = 0  # seconds added to Wechatpay-Timestamp

    def _authorized(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _sep, rest = header.partition(" ")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            return False
        if (
            fields.get("mchid") != self.mchid
            or fields.get("serial_no") != self.serial_no
        ):
            return False
        message = "\n".join(
            [
                request.method,
                request.target,
                fields.get("timestamp", ""),
                fields.get("nonce_str", ""),
                request.body.decode(),
                "",
            ]
        )
        return _rsa_ok(self.merchant_key, message.encode(), fields.get("signature", ""))

    def _signed(self, status, payload):
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()) + self.clock_offset)
        nonce = os.urandom(8).hex()
        message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
        headers = {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": _rsa_sign(self.sign_key, message),
            "Wechatpay-Serial": self.platform_serial,
            "Request-ID": "08F78BB5AF0610D302",
        }
        return reply(status, body, headers)

    def rate_limit_reply(self, request):
        return self._signed(429, {"code": "FREQUENCY_LIMITED", "message": "频率超限"})

    def handle(self, request):
        if not self._authorized(request):
            return self._signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        if request.path == "/v3/billdownload/file":
            if self.expire_downloads:
                self.expire_downloads -= 1
                return self._signed(
                    400,
                    {
                        "code": "INVALID_REQUEST",
                        "message": "下载链接过期,请重新请求文件下载",
                    },
                )
            content = self.bills[(request.query["kind"], request.query["date"])]
            if self.corrupt_download:
                content = content.replace(b"88.00", b"89.00")
            return reply(200, content, None, "application/octet-stream")
        kind = {"/v3/bill/tradebill": "trade", "/v3/bill/fundflowbill": "fundflow"}
        kind = kind.get(request.path)
        date = request.query.get("bill_date")
        if kind is None:
            return self._signed(404, {"code": "NOT_FOUND", "message": "no such API"})
        if (kind, date) not in self.bills:
            return self._signed(
                400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"}
            )
        content = self.bills[(kind, date)]
        return self._signed(
            200,
            {
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(content).hexdigest(),
                "download_url": (
                    f"{self.url}/v3/billdownload/file?kind={kind}&date={date}"
                    f"&token={os.urandom(6).hex()}"
                ),
            },
        )


# ----------------------------------------------------------------- TOP family


def _concat_sorted(params):
    out = []
    for key in sorted(params):
        if key == "sign" or params[key] == "":
            continue
        out.append(key + params[key])
    return "".join(out)


class TaobaoFake(FakeServer):
    platform = "taobao"

    def __init__(self, app_key="12345678", secret="taobao-secret", session="sess-1"):
        super().__init__()
        self.app_key, self.secret, self.session = app_key, secret, session
        self.bills = [
            {"bid": 9000 + i, "trade_id": 3712345678901234567, "amount": -77 * i}
            for i in range(1, 6)
        ]
        self.trades = [
            {
                "tid": 3712345678901234000 + i,
                "status": "WAIT_SELLER_SEND_GOODS" if i % 2 else "TRADE_FINISHED",
                "payment": f"{10 * i}.50",
                "created": "2024-03-05 09:00:00",
                "modified": f"2024-03-05 10:0{i}:00",
                "orders": {
                    "order": [
                        {
                            "oid": 3712345678901235000 + i,
                            "outer_sku_id": f"SKU-{i}",
                            "num": i,
                            "price": "10.50",
                        }
                    ]
                },
            }
            for i in range(1, 6)
        ]

    def _expected_sign(self, params):
        text = _concat_sorted(params).encode()
        method = params.get("sign_method", "md5")
        secret = self.secret.encode()
        if method == "md5":
            return hashlib.md5(secret + text + secret).hexdigest().upper()
        digest = {"hmac": "md5", "hmac-sha256": "sha256"}[method]
        return hmac.new(secret, text, digest).hexdigest().upper()

    def _error(self, code, msg, **extra):
        return reply(200, {"error_response": {"code": code, "msg": msg, **extra}})

    def rate_limit_reply(self, request):
        return self._error(
            7,
            "App Call Limited",
            sub_code="accesscontrol.limited-by-app-access-count",
            sub_msg="This ban will last for 2 more seconds",
        )

    def handle(self, request):
        params = request.form()
        if params.get("app_key") != self.app_key:
            return self._error(29, "Invalid app Key")
        if not hmac.compare_digest(params.get("sign", ""), self._expected_sign(params)):
            return self._error(25, "Invalid signature")
        if params.get("session") != self.session:
            return self._error(27, "Invalid session", sub_code="invalid-sessionkey")
        method = params["method"]
        node = method.replace("taobao.", "", 1).replace(".", "_") + "_response"
        page_no = int(params.get("page_no", 1))
        size = int(params.get("page_size", 40))
        if method == "taobao.bill.bills.get":
            chunk = self.bills[(page_no - 1) * size : page_no * size]
            return self.serve_page(
                {
                    node: {
                        "bills": {"bill": chunk},
                        "total_results": len(self.bills),
                    }
                }
            )
        if method == "taobao.trades.sold.increment.get":
            low, high = params["start_modified"], params["end_modified"]
            rows = [t for t in self.trades if low <= t["modified"] < high]
            chunk = rows[(page_no - 1) * size : page_no * size]
            body = {"total_results": len(rows), "has_next": page_no * size < len(rows)}
            body["trades"] = {"trade": chunk}
            return reply(200, {node: body})
        return self._error(22, "Invalid Method")


class JdFake(FakeServer):
    platform = "jd"
    bill_method = "jingdong.example.settlement.query"  # placeholder name

    def __init__(self, app_key="JDAPPKEY", secret="jd-secret", token="jd-token"):
        super().__init__()
        self.app_key, self.secret, self.token = app_key, secret, token
        rows = fixture_rows("jd_settlement_detail.csv", "gbk")
        self.rows = [
            {k: v.strip('="') for k, v in row.items() if k is not None} for row in rows
        ]
        self.orders = [
            {
                "orderId": f"30001234567{i}",
                "orderState": "WAIT_SELLER_STOCK_OUT" if i < 3 else "FINISHED_L",
                "orderPayment": f"{100 + i}.00",
                "orderStartTime": "2024-03-05 09:00:00",
                "modified": f"2024-03-05 11:0{i}:00",
                "itemInfoList": [
                    {"skuId": f"1000{i}", "outerSkuId": f"JD-SKU-{i}"}
                    | {"itemTotal": "1", "jdPrice": f"{100 + i}.00"}
                ],
            }
            for i in range(1, 4)
        ]

    def _error(self, code, en, zh):
        body = {"error_response": {"code": code, "en_desc": en, "zh_desc": zh}}
        return reply(200, body)

    def rate_limit_reply(self, request):
        return self._error("67", "call limit exceeded", "调用频率超限")

    def handle(self, request):
        params = {**request.query, **request.form()}
        text = self.secret + _concat_sorted(params) + self.secret
        if params.get("app_key") != self.app_key:
            return self._error("15", "Invalid app_key", "app_key无效")
        if params.get("sign") != hashlib.md5(text.encode()).hexdigest().upper():
            return self._error("14", "Invalid signature", "签名无效")
        if params.get("access_token") != self.token:
            return self._error("19", "Invalid access_token", "token过期或无效")
        method = params["method"]
        node = method.replace(".", "_") + "_responce"
        args = json.loads(params["360buy_param_json"])
        page, size = int(args["page"]), int(args["page_size"])
        if method == self.bill_method:
            chunk = self.rows[(page - 1) * size : page * size]
            return self.serve_page({node: {"code": "0", "result": {"data": chunk}}})
        if method == "jingdong.pop.order.enSearch":
            low, high = args["start_date"], args["end_date"]
            rows = [o for o in self.orders if low <= o["modified"] < high]
            result = {
                "apiResult": {"success": True},
                "orderTotal": len(rows),
                "orderInfoList": rows[(page - 1) * size : page * size],
            }
            return reply(200, {node: {"code": "0", "searchorderinfo_result": result}})
        return self._error("22", "Invalid method", "方法不存在")


class PddFake(FakeServer):
    platform = "pdd"

    def __init__(self, client_id="pdd-client", secret="pdd-secret", token="pdd-tok"):
        super().__init__()
        self.client_id, self.secret, self.token = client_id, secret, token
        self.bill = fixture_bytes("pdd_account_detail.csv")
        base = 1709600000  # 2024-03-05 08:53:20 +08:00
        self.orders = [
            {
                "order_sn": f"240305-12345678901234{i}",
                "order_status": 1 if i < 3 else 2,
                "refund_status": 4 if i == 4 else 1,
                "pay_amount": 49.9 + i,
                "created_time": "2024-03-05 08:00:00",
                "updated_at": base + 60 * i,
                "item_list": [
                    {"sku_id": 880 + i, "outer_id": f"PDD-{i}", "goods_count": 1}
                    | {"goods_price": 49.9 + i}
                ],
            }
            for i in range(1, 5)
        ]

    def _error(self, code, msg):
        return reply(200, {"error_response": {"error_code": code, "error_msg": msg}})

    def rate_limit_reply(self, request):
        return self._error(70031, "调用过于频繁,请调整调用频率")

    def handle(self, request):
        if request.path == "/bill.csv":
            return reply(200, self.bill, None, "text/csv")
        params = request.form()
        text = self.secret + _concat_sorted(params) + self.secret
        if params.get("client_id") != self.client_id:
            return self._error(10016, "client_id不存在")
        if params.get("sign") != hashlib.md5(text.encode()).hexdigest().upper():
            return self._error(10017, "签名错误")
        if params.get("access_token") != self.token:
            return self._error(10019, "access_token已过期")
        kind = params["type"]
        if kind == "pdd.finance.balance.daily.bill.url.get":
            body = {"download_url": f"{self.url}/bill.csv?d={params['bill_date']}"}
            return reply(200, {"finance_balance_daily_bill_url_get_response": body})
        if kind == "pdd.order.number.list.increment.get":
            low, high = int(params["start_updated_at"]), int(params["end_updated_at"])
            page, size = int(params["page"]), int(params["page_size"])
            rows = [o for o in self.orders if low <= o["updated_at"] < high]
            body = {
                "total_count": len(rows),
                "has_next": page * size < len(rows),
                "order_sn_list": rows[(page - 1) * size : page * size],
            }
            return reply(200, {"order_sn_increment_get_response": body})
        return self._error(10000, "unknown type")


# ----------------------------------------------------------------- Douyin


class DouyinFake(FakeServer):
    platform = "douyin"
    page_size = 2

    def __init__(self, app_key="7000000000000000001", secret="dy-secret"):
        super().__init__()
        self.app_key, self.secret = app_key, secret
        self.shop_id = "123456"
        self.tokens = {}
        self.refresh_tokens = {"refresh-0": True}
        self.issued = 0
        self.bills = {
            "order.getSettleBillDetailV3": fixture_json(
                "douyin_settle_bill_detail_v3.json"
            ),
            "order.getShopAccountItem": fixture_json("douyin_shop_account_item.json"),
        }
        self.orders = [
            {
                "order_id": f"69200000000000000{i}0",
                "order_status": 2 if i < 3 else 3,
                "pay_amount": 9900 + i,
                "create_time": 1709600000,
                "update_time": 1709600000 + 60 * i,
                "sku_order_list": [
                    {"order_id": f"69200000000000000{i}1", "out_sku_id": f"DY-{i}"}
                    | {"item_num": 2, "origin_amount": 19800}
                ],
            }
            for i in range(1, 4)
        ]

    def envelope(self, code=10000, msg="success", data=None, **extra):
        body = {"code": code, "msg": msg, "sub_code": "", "sub_msg": "", **extra}
        body["log_id"] = "2024FAKE"
        if data is not None:
            body["data"] = data
        return body

    def expire_tokens(self):
        self.tokens = {token: False for token in self.tokens}

    def _issue(self):
        self.issued += 1
        token, refresh = f"dy-access-{self.issued}", f"dy-refresh-{self.issued}"
        self.tokens[token] = True
        self.refresh_tokens[refresh] = True
        return {"access_token": token, "expires_in": 604800, "refresh_token": refresh}

    def rate_limit_reply(self, request):
        body = self.envelope(
            50002, "触发限流", sub_code="isv.flow-limit", sub_msg="请求频率超限"
        )
        return reply(200, body)

    def _sign_ok(self, query, body):
        message = "".join(
            [
                self.secret,
                "app_key",
                query.get("app_key", ""),
                "method",
                query.get("method", ""),
                "param_json",
                body,
                "timestamp",
                query.get("timestamp", ""),
                "v",
                query.get("v", ""),
                self.secret,
            ]
        ).encode()
        if query.get("sign_method") == "md5":
            expected = hashlib.md5(message).hexdigest()
        else:
            expected = hmac.new(self.secret.encode(), message, "sha256").hexdigest()
        return hmac.compare_digest(expected, query.get("sign", ""))

    def handle(self, request):
        query, body = request.query, request.body.decode()
        method = query.get("method", "")
        if request.path != "/" + method.replace(".", "/"):
            return reply(200, self.envelope(40004, "method mismatch"))
        if query.get("app_key") != self.app_key or not self._sign_ok(query, body):
            bad = self.envelope(
                30001, "签名错误", sub_code="isv.sign-invalid", sub_msg="签名校验失败"
            )
            return reply(200, bad)
        params = json.loads(body)
        # the client must send param_json with sorted keys and no spaces
        canonical = json.dumps(
            params, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        if body != canonical:
            return reply(200, self.envelope(40004, "param_json not canonical"))
        if method == "token.create":
            if params.get("shop_id") != self.shop_id:
                return reply(200, self.envelope(30005, "shop not authorized"))
            return reply(200, self.envelope(data=self._issue()))
        if method == "token.refresh":
            if not self.refresh_tokens.pop(params.get("refresh_token"), False):
                return reply(200, self.envelope(30004, "refresh_token无效"))
            return reply(200, self.envelope(data=self._issue()))
        state = self.tokens.get(query.get("access_token"))
        if state is None:
            return reply(
                200,
                self.envelope(
                    30001, "access_token不存在", sub_code="isv.access-token-no-existed"
                ),
            )
        if state is False:
            return reply(
                200,
                self.envelope(
                    30002,
                    "access_token已过期",
                    sub_code="isv.access-token-expired",
                    sub_msg="access_token已过期",
                ),
            )
        if method in self.bills:
            return self._bill_page(method, params)
        if method == "order.searchList":
            low, high = params["update_time_start"], params["update_time_end"]
            rows = [o for o in self.orders if low <= o["update_time"] < high]
            page, size = params["page"], params["size"]
            data = {
                "shop_order_list": rows[page * size : (page + 1) * size],
                "total": len(rows),
                "page": page,
                "size": size,
            }
            return reply(200, self.envelope(data=data))
        return reply(200, self.envelope(40004, "unknown method"))

    def _bill_page(self, method, params):
        fixture = json.loads(json.dumps(self.bills[method]))
        items = fixture["data"]["data"]
        start = int(params["start_index"] or 0)
        chunk = items[start : start + self.page_size]
        end = start + len(chunk)
        fixture["data"].update(
            data=chunk,
            data_size=len(chunk),
            is_end=1 if end >= len(items) else 0,
            next_start_index="" if end >= len(items) else str(end),
            next_start_time=""
            if end >= len(items)
            else chunk[-1].get("settle_time", chunk[-1].get("bill_time", "")),
        )
        return self.serve_page(fixture)


# ----------------------------------------------------------------- Channels


class WechatChannelsFake(FakeServer):
    platform = "wechat_channels"
    page_size = 3

    def __init__(self, appid="wx0000000000000001", secret="channels-secret"):
        super().__init__()
        self.appid, self.secret = appid, secret
        self.tokens = {}
        self.issued = 0
        fixture = fixture_json("wechat_channels_funds_flow.json")
        self.flows = {
            detail["funds_flow"]["flow_id"]: detail
            for detail in fixture["getfundsflowdetail"]
        }
        self.flow_ids = fixture["getfundsflowlist"]["response"]["flow_ids"]
        self.orders = {
            f"37120000000000000{i}": {
                "order_id": f"37120000000000000{i}",
                "status": 20 if i == 1 else 100,
                "create_time": 1709600000,
                "update_time": 1709600000 + 60 * i,
                "order_detail": {
                    "product_infos": [
                        {"sku_id": f"sku{i}", "out_sku_id": f"CH-{i}", "sku_cnt": 1}
                        | {"sale_price": 12900}
                    ],
                    "price_info": {"order_price": 12900},
                },
            }
            for i in range(1, 4)
        }

    def expire_tokens(self):
        self.tokens = {token: False for token in self.tokens}

    def rate_limit_reply(self, request):
        return reply(200, {"errcode": 45011, "errmsg": "api minute-quota reach limit"})

    def _stable_token(self, body):
        if body.get("grant_type") != "client_credential":
            return reply(200, {"errcode": 40002, "errmsg": "invalid grant_type"})
        if body.get("appid") != self.appid:
            return reply(200, {"errcode": 40013, "errmsg": "invalid appid"})
        if body.get("secret") != self.secret:
            return reply(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
        valid = [token for token, ok in self.tokens.items() if ok]
        if valid and not body.get("force_refresh"):
            token = valid[-1]  # normal mode: the current token while it is valid
        else:
            self.issued += 1
            token = f"ch-token-{self.issued}-{os.urandom(4).hex()}"
            self.tokens[token] = True
        return reply(200, {"access_token": token, "expires_in": 7200})

    def handle(self, request):
        if request.path == "/cgi-bin/stable_token":
            return self._stable_token(request.json())
        state = self.tokens.get(request.query.get("access_token"))
        if state is None:
            return reply(200, {"errcode": 40001, "errmsg": "invalid credential"})
        if state is False:
            return reply(200, {"errcode": 42001, "errmsg": "access_token expired"})
        body = request.json()
        if request.path == "/channels/ec/funds/getfundsflowlist":
            page, size = body["page"], min(body["page_size"], self.page_size)
            if page > 1 and body.get("next_key") != f"key-{page}":
                return reply(200, {"errcode": 10020008, "errmsg": "invalid next_key"})
            chunk = self.flow_ids[(page - 1) * size : page * size]
            more = page * size < len(self.flow_ids)
            data = {"errcode": 0, "errmsg": "ok", "flow_ids": chunk, "has_more": more}
            data["next_key"] = f"key-{page + 1}" if more else ""
            return reply(200, data)
        if request.path == "/channels/ec/funds/getfundsflowdetail":
            return self.serve_page(self.flows[body["flow_id"]])
        if request.path == "/channels/ec/order/list/get":
            window = body["update_time_range"]
            ids = [
                order_id
                for order_id, order in self.orders.items()
                if window["start_time"] <= order["update_time"] < window["end_time"]
            ]
            start = int(body.get("next_key") or 0)
            size = min(body["page_size"], 2)
            chunk, more = ids[start : start + size], start + size < len(ids)
            data = {"errcode": 0, "errmsg": "ok", "order_id_list": chunk}
            data.update(has_more=more, next_key=str(start + size) if more else "")
            return reply(200, data)
        if request.path == "/channels/ec/order/get":
            order = self.orders[body["order_id"]]
            return reply(200, {"errcode": 0, "errmsg": "ok", "order": order})
        return reply(404, {"errcode": 404, "errmsg": "not found"})


# ----------------------------------------------------------------- Shopify


class ShopifyFake(FakeServer):
    platform = "shopify"
    page_size = 2
    version = "2025-07"

    def __init__(self, token="shpat_fake_token_1"):
        super().__init__()
        self.token = token
        self.transactions = [
            {
                "id": f"gid://shopify/ShopifyPaymentsBalanceTransaction/{100 + i}",
                "type": row["Type"].upper(),
                "test": False,
                "transactionDate": row["Transaction Date"],
                "amount": {"amount": row["Amount"], "currencyCode": row["Currency"]},
                "fee": {"amount": row["Fee"], "currencyCode": row["Currency"]},
                "net": {"amount": row["Net"], "currencyCode": row["Currency"]},
                "associatedOrder": {
                    "id": f"gid://shopify/Order/{i}",
                    "name": row["Order"],
                },
                "associatedPayout": {
                    "id": row["Payout ID"],
                    "status": row["Payout Status"],
                },
            }
            for i, row in enumerate(fixture_rows("shopify_payment_transactions.csv"))
        ]
        self.orders = [
            {
                "id": f"gid://shopify/Order/{i}",
                "name": f"#100{i}",
                "createdAt": "2024-03-05T10:00:00Z",
                "updatedAt": f"2024-03-05T11:0{i}:00Z",
                "cancelledAt": None,
                "displayFinancialStatus": "PAID",
                "displayFulfillmentStatus": "FULFILLED" if i == 2 else "UNFULFILLED",
                "currencyCode": "USD",
                "totalPriceSet": {
                    "shopMoney": {"amount": "50.0", "currencyCode": "USD"}
                },
                "lineItems": {
                    "nodes": [
                        {"id": f"gid://shopify/LineItem/{i}", "sku": f"SH-{i}"}
                        | {
                            "quantity": 1,
                            "originalUnitPriceSet": {"shopMoney": {"amount": "50.0"}},
                        }
                    ]
                },
            }
            for i in range(1, 4)
        ]

    @staticmethod
    def cost(available=990):
        return {
            "cost": {
                "requestedQueryCost": 52,
                "actualQueryCost": 12,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": available,
                    "restoreRate": 100.0,
                },
            }
        }

    def rate_limit_reply(self, request):
        body = {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": self.cost(available=2),
        }
        return reply(200, body)

    def _connection(self, items, variables):
        start = (
            int(base64.b64decode(variables["after"])) if variables.get("after") else 0
        )
        size = min(variables["first"], self.page_size)
        chunk = items[start : start + size]
        more = start + size < len(items)
        cursor = base64.b64encode(str(start + size).encode()).decode()
        info = {"hasNextPage": more, "endCursor": cursor if chunk else None}
        return {"pageInfo": info, "nodes": chunk}

    def handle(self, request):
        if request.path != f"/admin/api/{self.version}/graphql.json":
            return reply(404, {"errors": "Not Found"})
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            body = {"errors": "[API] Invalid API key or access token"}
            return reply(401, body)
        payload = request.json()
        query, variables = payload["query"], payload.get("variables") or {}
        if "balanceTransactions" in query:
            connection = self._connection(self.transactions, variables)
            data = {"shopifyPaymentsAccount": {"balanceTransactions": connection}}
            return self.serve_page({"data": data, "extensions": self.cost()})
        if "orders(" in query:
            search = variables.get("query", "")
            low, high = re.findall(r"'([^']+)'", search)
            rows = [o for o in self.orders if low <= o["updatedAt"] < high]
            data = {"orders": self._connection(rows, variables)}
            return reply(200, {"data": data, "extensions": self.cost()})
        if "shop" in query:
            data = {"shop": {"id": "gid://shopify/Shop/1", "name": "Fake"}}
            return reply(200, {"data": data, "extensions": self.cost()})
        return reply(200, {"errors": [{"message": "unknown query"}]})


# ----------------------------------------------------------------- Amazon


class AmazonFake(FakeServer):
    platform = "amazon"

    def __init__(self, client_id="amzn1.application-oa2-client.1", secret="lwa-secret"):
        super().__init__()
        self.client_id, self.secret = client_id, secret
        self.refresh_token = "Atzr|refresh-1"
        self.tokens = {}
        self.issued = 0
        self.report = fixture_bytes("amazon_settlement_v2.tsv")
        self.reports = [
            {
                "reportId": f"5000{i}",
                "reportType": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
                "dataStartTime": "2024-02-20T00:00:00Z",
                "dataEndTime": "2024-03-05T00:00:00Z",
                "processingStatus": "DONE",
                "reportDocumentId": f"amzn1.spdoc.1.4.na.{i}",
                "createdTime": f"2024-03-0{5 + i}T08:00:00Z",
            }
            for i in range(3)
        ]
        self.expire_documents = 0
        self.orders = [
            {
                "AmazonOrderId": f"111-0000001-000000{i}",
                "OrderStatus": "Shipped" if i == 1 else "Unshipped",
                "PurchaseDate": "2024-03-05T09:00:00Z",
                "LastUpdateDate": f"2024-03-05T10:0{i}:00Z",
                "OrderTotal": {"CurrencyCode": "USD", "Amount": "29.99"},
            }
            for i in range(1, 4)
        ]

    def expire_tokens(self):
        self.tokens = {token: False for token in self.tokens}

    def rate_limit_reply(self, request):
        return reply(429, {"errors": [{"code": "QuotaExceeded", "message": "quota"}]})

    def _errors(self, status, code, message, details=""):
        body = {"errors": [{"code": code, "message": message, "details": details}]}
        return reply(status, body)

    def handle(self, request):
        if request.path == "/auth/o2/token":
            form = request.form()
            if (form.get("client_id"), form.get("client_secret")) != (
                self.client_id,
                self.secret,
            ):
                return reply(401, {"error": "invalid_client"})
            if form.get("refresh_token") != self.refresh_token:
                return reply(400, {"error": "invalid_grant"})
            self.issued += 1
            token = f"Atza|access-{self.issued}"
            self.tokens[token] = True
            body = {"access_token": token, "token_type": "bearer", "expires_in": 3600}
            return reply(200, body)
        if request.path.startswith("/s3/"):
            if self.expire_documents:
                self.expire_documents -= 1
                xml = "<Error><Code>AccessDenied</Code>"
                xml += "<Message>Request has expired</Message></Error>"
                return reply(403, xml, None, "application/xml")
            return reply(200, gzip.compress(self.report), None, "binary/octet-stream")
        state = self.tokens.get(request.headers.get("x-amz-access-token"))
        if state is None:
            return self._errors(
                403, "Unauthorized", "Access to requested resource is denied."
            )
        if state is False:
            return self._errors(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided has expired.",
            )
        if request.path.startswith("/reports/"):
            return self._reports(request)
        if request.path == "/orders/v0/orders":
            return self._orders(request.query)
        match = re.fullmatch(r"/orders/v0/orders/([^/]+)/orderItems", request.path)
        if match:
            item = {
                "OrderItemId": f"{match.group(1)}-1",
                "SellerSKU": "AMZ-SKU",
                "QuantityOrdered": 2,
                "ItemPrice": {"CurrencyCode": "USD", "Amount": "59.98"},
            }
            return reply(200, {"payload": {"OrderItems": [item]}})
        return self._errors(404, "NotFound", "no such resource")

    def _reports(self, request):
        query = request.query
        if request.path == "/reports/2021-06-30/reports":
            if "nextToken" in query:
                if len(query) != 1:
                    return self._errors(400, "InvalidInput", "nextToken alone")
                start = int(query["nextToken"])
            else:
                start = 0
            body = {"reports": self.reports[start : start + 2]}
            if start + 2 < len(self.reports):
                body["nextToken"] = str(start + 2)
            return reply(200, body)
        doc = request.path.rsplit("/", 1)[1]
        url = f"{self.url}/s3/{doc}?X-Amz-Expires=300&X-Amz-Signature=abc"
        body = {"reportDocumentId": doc, "url": url, "compressionAlgorithm": "GZIP"}
        return reply(200, body)

    def _orders(self, query):
        if "NextToken" in query:
            start, low, high = query["NextToken"].split("|")
            start = int(start)
        else:
            start = 0
            low, high = query["LastUpdatedAfter"], query["LastUpdatedBefore"]
        rows = [o for o in self.orders if low <= o["LastUpdateDate"] < high]
        payload = {"Orders": rows[start : start + 2]}
        if start + 2 < len(rows):
            payload["NextToken"] = f"{start + 2}|{low}|{high}"
        return reply(200, {"payload": payload})


# ----------------------------------------------------------------- Stripe


class StripeFake(FakeServer):
    platform = "stripe"
    page_size = 3

    def __init__(self, key="sk_test_fake_51234567890"):
        super().__init__()
        self.key = key
        self.items = fixture_json("stripe_balance_transactions.json")["data"]
        # True: serve only the items created in the requested range (tests
        # of several daily bills); False: every item, whatever the range
        self.by_created = False

    def rate_limit_reply(self, request):
        body = {"error": {"type": "invalid_request_error", "code": "rate_limit"}}
        return reply(429, body)

    def handle(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            masked = "sk_test_****" + self.key[-4:]
            body = {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"Invalid API Key provided: {masked}",
                }
            }
            return reply(401, body)
        if not request.headers.get("Stripe-Version"):
            return reply(400, {"error": {"message": "no version"}})
        if request.path == "/v1/balance":
            return reply(200, {"object": "balance", "available": []})
        if request.path == "/v1/balance_transactions":
            query = request.query
            if "created[gte]" not in query or "created[lt]" not in query:
                return reply(400, {"error": {"message": "created range required"}})
            items = self.items
            if self.by_created:
                low, high = int(query["created[gte]"]), int(query["created[lt]"])
                items = [i for i in items if low <= i["created"] < high]
            start = 0
            if query.get("starting_after"):
                ids = [item["id"] for item in items]
                start = ids.index(query["starting_after"]) + 1
            size = min(int(query.get("limit", 10)), self.page_size)
            chunk = items[start : start + size]
            body = {
                "object": "list",
                "url": "/v1/balance_transactions",
                "has_more": start + size < len(items),
                "data": chunk,
            }
            return self.serve_page(body)
        return reply(404, {"error": {"message": "Unrecognized request URL"}})


# ----------------------------------------------------------------- PayPal


class PaypalFake(FakeServer):
    platform = "paypal"
    page_size = 2

    def __init__(self, client_id="paypal-client", secret="paypal-secret"):
        super().__init__()
        self.client_id, self.secret = client_id, secret
        self.tokens = {}
        self.issued = 0
        self.items = [
            {
                "transaction_info": {
                    "transaction_id": row["Transaction ID"],
                    "transaction_event_code": "T0006",
                    "transaction_amount": {
                        "currency_code": row["Currency"],
                        "value": row["Gross"],
                    },
                    "fee_amount": {
                        "currency_code": row["Currency"],
                        "value": row["Fee"],
                    },
                    "invoice_id": row["Invoice Number"],
                }
            }
            for row in fixture_rows("paypal_activity.csv")
        ]

    def expire_tokens(self):
        self.tokens = {token: False for token in self.tokens}

    def rate_limit_reply(self, request):
        return reply(429, {"name": "RATE_LIMIT_REACHED"}, {"Retry-After": "3"})

    def handle(self, request):
        if request.path == "/v1/oauth2/token":
            expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode())
            if request.headers.get("Authorization") != "Basic " + expected.decode():
                return reply(401, {"error": "invalid_client"})
            if request.form().get("grant_type") != "client_credentials":
                return reply(400, {"error": "unsupported_grant_type"})
            self.issued += 1
            token = f"A21AA-paypal-{self.issued}"
            self.tokens[token] = True
            return reply(200, {"access_token": token, "expires_in": 32400})
        auth = request.headers.get("Authorization", "")
        state = self.tokens.get(auth.removeprefix("Bearer "))
        if state is None:
            return reply(401, {"error": "invalid_client"})
        if state is False:
            return reply(
                401,
                {
                    "error": "invalid_token",
                    "error_description": "Access Token not found in cache",
                },
            )
        if request.path == "/v1/reporting/transactions":
            query = request.query
            if query.get("fields") != "all" or "start_date" not in query:
                return reply(400, {"name": "INVALID_REQUEST"})
            page = int(query.get("page", 1))
            chunks = pages(self.items, self.page_size)
            body = {
                "transaction_details": chunks[page - 1],
                "account_number": "SYNTH0001",
                "start_date": query["start_date"],
                "end_date": query["end_date"],
                "page": page,
                "total_items": len(self.items),
                "total_pages": len(chunks),
            }
            return self.serve_page(body)
        return reply(404, {"name": "RESOURCE_NOT_FOUND"})


# ----------------------------------------------------------------- test base


class FakeServerCase(unittest.TestCase):
    """Starts ``fake_class`` around each test; records the client's sleeps."""

    fake_class = None

    def setUp(self):
        super().setUp()
        self.fake = self.fake_class().start()
        self.addCleanup(self.fake.stop)
        self.sleeps = []

    def client_kwargs(self, now):
        return {"sleep": self.sleeps.append, "now": lambda: now}


#: the frozen "now" of the tests: 2024-03-20 12:00 Beijing time.
NOW = dt.datetime(2024, 3, 20, 4, 0, tzinfo=dt.timezone.utc)
BILL_DATE = dt.date(2024, 3, 5)
