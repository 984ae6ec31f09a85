# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Write the tabular test bills of this folder (run: python3 make_tabular_bills.py).

Invented data in the real layouts of platform-bills.md: other column orders,
header wording variants, encodings, line endings, the other bill types of a
platform and broken files. The shared fixtures (alipay_signcustomer.csv …)
are copies of shared/fixtures/bills and are not written here.
"""

import io
import pathlib
import zipfile

HERE = pathlib.Path(__file__).resolve().parent

ALIPAY_HEAD = [
    "#支付宝账务明细查询",
    "#账号：[20880123456789010156]",
    "#起始日期：[2024年03月01日 00:00:00]   终止日期：[2024年03月02日 00:00:00]",
    "#---------------------账务明细列表---------------------",
]
ALIPAY_HEADER = (
    "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,"
    "收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注"
)
ALIPAY_ROWS = [
    "51000000000001\t,2024030122001400000001\t,M1001\t,商品A\t,"
    "2024-03-01 09:00:00,张* (138****0001)\t,100.00,0.00,1100.00,支付宝,在线支付,",
    "51000000000002\t,2024030122001400000001\t,M1001\t,\t,"
    "2024-03-01 09:00:00,\t,0.00,-0.60,1099.40,支付宝,收费,"
    "服务费[2024030122001400000001]",
    "51000000000003\t,2024030122001400000002\t,M1002\t,商品B\t,"
    "2024-03-01 10:00:00,李* (139****0002)\t,50.00,0.00,1149.40,支付宝,在线支付,",
]
ALIPAY_FOOT = [
    "#---------------------账务明细列表结束---------------------",
    "#支出合计：1笔，共0.60元",
    "#收入合计：2笔，共150.00元",
    "#导出时间：[2024年03月02日 10:00:00]",
]


def crlf(lines):
    return "\r\n".join(lines) + "\r\n"


def lf(lines):
    return "\n".join(lines) + "\n"


def write(name, text, encoding="utf-8"):
    (HERE / name).write_bytes(text.encode(encoding) if isinstance(text, str) else text)


def alipay_files():
    # 16 columns in another order (as in [U7]), half-width (元) suffixes,
    # UTF-8 with BOM, LF; expense printed positive; an unclassifiable 转账.
    header = (
        "账务流水号,业务流水号,发生时间,收入金额(+元),支出金额(-元),账户余额(元),"
        "业务类型,备注,商户订单号,对方账号,业务描述,业务基础订单号,商品名称,交易渠道,"
        "业务账单来源,业务订单号"
    )
    rows = [
        "52000000000001\t,2024030122001400000011\t,2024-03-01 09:00:00,88.00,0.00,"
        "588.00,在线支付,,M2001\t,王* (137****0003)\t,0010001|交易收款-交易收款,"
        "M2001\t,商品C\t,支付宝,商家收款,\t",
        "52000000000002\t,2024030122001400000011\t,2024-03-01 09:00:00,0.00,0.53,"
        "587.47,收费,服务费[2024030122001400000011],M2001\t,\t,0030001|收费-服务费,"
        "M2001\t,\t,支付宝,商家收款,\t",
        "52000000000003\t,20240301TR0001\t,2024-03-01 12:00:00,0.00,87.47,500.00,"
        "转账,代发工资,TR0001\t,赵*\t,0090001|转账-代发,\t,\t,支付宝,转账,\t",
    ]
    foot = [
        "#---------------------账务明细列表结束---------------------",
        "#支出合计：2笔，共88.00元",
        "#收入合计：1笔，共88.00元",
        "#导出时间：[2024年03月02日 10:00:00]",
    ]
    write(
        "alipay_signcustomer_16col_utf8bom_lf.csv",
        "\ufeff" + lf(ALIPAY_HEAD + [header] + rows + foot),
    )
    # Excel-mangled ids: scientific notation, as after re-saving in Excel.
    mangled = list(ALIPAY_ROWS)
    mangled[2] = (
        "5.1E+13,2.024E+21,M1002,商品B,2024-03-01 10:00,李* (139****0002),"
        "50,0,1149.4,支付宝,在线支付,"
    )
    write(
        "alipay_signcustomer_mangled.csv",
        crlf(ALIPAY_HEAD + [ALIPAY_HEADER] + mangled + ALIPAY_FOOT),
        "gbk",
    )
    # Bad cells: a non-numeric amount (row 6), a bad date (row 8).
    bad = list(ALIPAY_ROWS)
    bad[0] = bad[0].replace(",100.00,0.00,", ",1OO.00,0.00,")
    bad[2] = bad[2].replace("2024-03-01 10:00:00", "2024-13-45 10:00:00")
    write(
        "alipay_signcustomer_bad_cells.csv",
        crlf(ALIPAY_HEAD + [ALIPAY_HEADER] + bad + ALIPAY_FOOT),
        "gbk",
    )
    # Truncated download: the last row is cut in the middle, no footer.
    text = crlf(ALIPAY_HEAD + [ALIPAY_HEADER] + ALIPAY_ROWS)
    write(
        "alipay_signcustomer_truncated.csv", text[: text.rindex(",2024-03-01")], "gbk"
    )
    # Every row there, but the footer missing (cut at a line end).
    write(
        "alipay_signcustomer_no_footer.csv",
        crlf(ALIPAY_HEAD + [ALIPAY_HEADER] + ALIPAY_ROWS),
        "gbk",
    )
    # A day without movements: header and footer only, the footer says 0笔.
    write(
        "alipay_signcustomer_empty_day.csv",
        crlf(
            ALIPAY_HEAD
            + [ALIPAY_HEADER]
            + [
                ALIPAY_FOOT[0],
                "#支出合计：0笔，共0.00元",
                "#收入合计：0笔，共0.00元",
                ALIPAY_FOOT[3],
            ]
        ),
        "gbk",
    )
    # The API's ZIP: GBK entry names without the UTF-8 flag, plus the (汇总)
    # companion that no parser reads.
    detail = crlf(ALIPAY_HEAD + [ALIPAY_HEADER] + ALIPAY_ROWS + ALIPAY_FOOT)
    summary = crlf(
        [
            "#支付宝账务明细汇总查询",
            "#账号：[20880123456789010156]",
            "#---------------------账务汇总列表---------------------",
            "业务类型,收入笔数,收入金额（+元）,支出笔数,支出金额（-元）,合计（元）",
            "在线支付,2,150.00,0,0.00,150.00",
            "收费,0,0.00,1,-0.60,-0.60",
            "#---------------------账务汇总列表结束---------------------",
        ]
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            ("20880123456789010156_20240301_账务明细.csv", detail),
            ("20880123456789010156_20240301_账务明细(汇总).csv", summary),
        ):
            info = _GbkZipInfo(name, date_time=(2024, 3, 2, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("gbk"))
    write("alipay_20880123456789010156_20240301.zip", buffer.getvalue())


class _GbkZipInfo(zipfile.ZipInfo):
    """Entry name stored in GBK without the UTF-8 flag, as Alipay does."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


WECHAT_HEAD_SUCCESS = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
    "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,"
    "手续费,费率,订单金额,费率备注"
)


def wechat_files():
    # SUCCESS bill: no refund columns; a product name with a comma inside.
    rows = [
        "`2024-03-02 09:00:00,`wx00000000synth001,`1900000001,`0,`,"
        "`4200002024030200000000000001,`W20240302001,`oSynth_openid_0003,`JSAPI,"
        "`SUCCESS,`OTHERS,`CNY,`60.00,`0.00,`示例商品,大号,`,`0.36,`0.60%,`60.00,`",
        "`2024-03-02 10:00:00,`wx00000000synth001,`1900000001,`0,`,"
        "`4200002024030200000000000002,`W20240302002,`oSynth_openid_0004,`NATIVE,"
        "`SUCCESS,`OTHERS,`CNY,`45.00,`5.00,`示例商品Z,`order=SO042,`0.27,`0.60%,"
        "`50.00,`",
    ]
    write(
        "wechatpay_tradebill_success.csv",
        "\ufeff"
        + crlf(
            [WECHAT_HEAD_SUCCESS]
            + rows
            + [
                "总交易单数,应结订单总金额,手续费总金额,订单总金额",
                "`2,`105.00,`0.63000,`110.00",
            ]
        ),
    )
    # REFUND bill: 退款申请时间/退款成功时间 after 代金券金额; the fee comes back.
    header = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
        "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,"
        "退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
        "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
    )
    row = (
        "`2024-03-02 11:00:00,`wx00000000synth001,`1900000001,`0,`,"
        "`4200002024030200000000000001,`W20240302001,`oSynth_openid_0003,`JSAPI,"
        "`REFUND,`OTHERS,`CNY,`0.00,`0.00,`2024-03-02 11:00:00,`2024-03-02 11:00:05,"
        "`50300000002024030200000000000001,`RF20240302001,`60.00,`0.00,`ORIGINAL,"
        "`SUCCESS,`示例商品,大号,`,`-0.36,`0.60%,`0.00,`60.00,`"
    )
    write(
        "wechatpay_tradebill_refund.csv",
        "\ufeff"
        + crlf(
            [header, row]
            + [
                "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,"
                "订单总金额,申请退款总金额",
                "`1,`0.00,`60.00,`0.00,`-0.36000,`0.00,`60.00",
            ]
        ),
    )
    # Legacy layout (总金额 / 企业红包金额, 子商户号) – no 订单金额 column.
    header = (
        "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,"
        "交易类型,交易状态,付款银行,货币种类,总金额,企业红包金额,微信退款单号,"
        "商户退款单号,退款金额,企业红包退款金额,退款类型,退款状态,商品名称,商户数据包,"
        "手续费,费率"
    )
    row = (
        "`2024-03-02 12:00:00,`wx00000000synth001,`1900000001,`0,`,"
        "`4200002024030200000000000009,`W20240302009,`oSynth_openid_0009,`APP,"
        "`SUCCESS,`CMB_CREDIT,`CNY,`30.00,`0.00,`0,`0,`0.00,`0.00,`,`,`示例商品L,`,"
        "`0.18,`0.60%"
    )
    write(
        "wechatpay_tradebill_legacy.csv",
        "\ufeff"
        + crlf(
            [header, row]
            + [
                "总交易单数,总交易额,总退款金额,总企业红包退款金额,手续费总金额",
                "`1,`30.00,`0.00,`0.00,`0.18000",
            ]
        ),
    )
    # Fund flow of the OPERATION account, WxJava's full-width （元） headers,
    # a withdrawal.
    header = (
        "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,"
        "账户结余（元）,资金变更提交申请人,备注,业务凭证号"
    )
    rows = [
        "`2024-03-02 09:00:01,`4200002024030200000000000001,"
        "`1900000001202403020000000001,`交易,`交易,`收入,`60.00,`726.81,`system,`,`",
        "`2024-03-02 18:00:00,`10100000000000000001,"
        "`1900000001202403020000000002,`提现,`提现,`支出,`700.00,`26.81,`admin,`提现,`",
    ]
    write(
        "wechatpay_fundflow_operation.csv",
        "\ufeff"
        + crlf(
            [header]
            + rows
            + [
                "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额",
                "`2.0,`1.0,`60.00,`1.0,`700.00",
            ]
        ),
    )


def jd_files():
    # 21-column variant ([U6]: no 结算状态/商品数量, 账单日期), other column
    # order, UTF-8 with BOM, LF, a quoted amount with a thousands separator,
    # an unmapped fee item and a row whose direction is only in 商家应收/应付.
    header = (
        "单据编号,订单编号,费用项,金额,收支方向,商家应收/应付,费用结算时间,费用计费时间,"
        "费用发生时间,单据类型,商品编号,商户订单号,商品名称,币种,钱包结算备注,店铺号,"
        "京东门店编号,品牌门店编号,门店名称,备注,账单日期"
    )
    rows = [
        '="9100000001",="300099990001",货款,"1,299.00",收入,应收,2024-03-06 02:00:00,'
        '2024-03-05 10:00:00,2024-03-04 09:00:00,订单,="100099990001",'
        '="300099990001",示例电视,CNY,,20000002,,,,,20240306',
        '="9100000002",="300099990001",京豆,-3.00,支出,应付,2024-03-06 02:00:00,'
        '2024-03-05 10:00:00,2024-03-04 09:00:00,订单,="100099990001",'
        '="300099990001",示例电视,CNY,,20000002,,,,,20240306',
        '="9100000003",="300099990001",佣金,103.92,,应付,2024-03-06 02:00:00,'
        '2024-03-05 10:00:00,2024-03-04 09:00:00,订单,="100099990001",'
        '="300099990001",示例电视,CNY,,20000002,,,,,20240306',
    ]
    write("jd_settlement_21col_utf8.csv", "\ufeff" + lf([header] + rows))
    # Header only: an export of a day without settlement.
    write(
        "jd_settlement_header_only.csv",
        crlf(
            [
                "订单编号,单据编号,单据类型,商品编号,商户订单号,商品名称,结算状态,费用发生时间,"
                "费用计费时间,费用结算时间,费用项,金额,币种,商家应收/应付,钱包结算备注,店铺号,"
                "京东门店编号,品牌门店编号,门店名称,备注,收支方向,商品数量,对账日期"
            ]
        ),
        "gbk",
    )


def pdd_files():
    # Variant B: header on the first line, UTF-8 BOM, no footer; a fee
    # refund, a withdrawal and an unknown type.
    rows = [
        "商户订单号,发生时间,收入金额（+元）,支出金额（-元）,账务类型,备注,业务描述",
        "240302-123456789012347,2024-03-02 10:00:00,39.90,0,交易收入,-,"
        "0010002|交易收入-订单收入",
        "240302-123456789012347,2024-03-02 10:00:00,0.24,0,技术服务费,"
        "基础技术服务费返还,0030003|技术服务费-基础技术服务费返还",
        ",2024-03-02 18:00:00,0,-100.00,提现,提现到银行卡,0090001|提现-提现",
        "240302-123456789012347,2024-03-02 19:00:00,0,-1.00,神秘扣款,-,"
        "0990001|其他-其他",
    ]
    write("pdd_account_detail_variant_b.csv", "\ufeff" + crlf(rows))


def shopify_files():
    # 19 columns (Business Entity), amounts edited in a spreadsheet ("$",
    # thousands separators), dispute / adjustment / payout rows.
    header = (
        "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,"
        "Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,"
        "Presentment Amount,Presentment Currency,Currency,Business Entity Name,"
        "Business Entity ID"
    )
    rows = [
        "2024-03-10 08:00:00 +0100,charge,#2001,visa,online,paid,2024-03-12,223456789,"
        '2024-03-12,"$1,250.00",$36.55,"$1,213.45",#40000000000001,card,1250.00,EUR,'
        "EUR,Shop EU,BE-1",
        "2024-03-11 09:30:00 +0100,dispute,#1990,visa,online,paid,2024-03-12,223456789,"
        "2024-03-12,-80.00,15.00,-95.00,,card,80.00,EUR,EUR,Shop EU,BE-1",
        "2024-03-11 12:00:00 +0100,adjustment,,,,paid,2024-03-12,223456789,2024-03-12,"
        "2.50,0.00,2.50,,,,,EUR,Shop EU,BE-1",
        "2024-03-11 13:00:00 +0100,gift_card_fee,,,,paid,2024-03-12,223456789,"
        "2024-03-12,-1.00,0.00,-1.00,,,,,EUR,Shop EU,BE-1",
    ]
    write("shopify_payment_transactions_19col.csv", lf([header] + rows))
    # The shared fixture exported again after the payout of #1003: same
    # transactions, payout columns changed.
    fixture = (HERE / "shopify_payment_transactions.csv").read_text("utf-8")
    write(
        "shopify_payment_transactions_paid_later.csv",
        fixture.replace(
            "pending,2024-03-08,,2024-03-08", "paid,2024-03-08,123456790,2024-03-08"
        ),
    )


def amazon_files():
    # 22 columns (no posted-date-time / order-item-code), day-first dates
    # (an EU marketplace), an FBAFees row whose order-id is a shipment id
    # and an unknown amount type.
    columns = [
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "merchant-order-id",
        "adjustment-id",
        "shipment-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "fulfillment-id",
        "posted-date",
        "merchant-order-item-id",
        "merchant-adjustment-item-id",
        "sku",
        "quantity-purchased",
        "promotion-id",
    ]
    head = ["22334455667", "01.03.2024", "15.03.2024", "17.03.2024"]

    def row(total, kind, order, amount_type, description, amount, posted, sku=""):
        values = dict.fromkeys(columns, "")
        values.update(zip(columns[:4], head, strict=True))
        values.update(
            {
                "total-amount": total,
                "currency": "EUR",
                "transaction-type": kind,
                "order-id": order,
                "marketplace-name": "Amazon.de" if kind else "",
                "amount-type": amount_type,
                "amount-description": description,
                "amount": amount,
                "posted-date": posted,
                "sku": sku,
            }
        )
        return "\t".join(values[c] for c in columns)

    rows = [
        "\t".join(columns),
        row("43.50", "", "", "", "", "", ""),
        row(
            "",
            "Order",
            "302-0000001-0000001",
            "ItemPrice",
            "Principal",
            "59.90",
            "13.03.2024",
            "SKU-A",
        ),
        row(
            "",
            "Order",
            "302-0000001-0000001",
            "ItemFees",
            "Commission",
            "-8.99",
            "13.03.2024",
            "SKU-A",
        ),
        row(
            "",
            "FBAFees",
            "FBA15XYZ12AB",
            "FBA Inventory Fee",
            "FBAInboundTransportationFee",
            "-5.41",
            "14.03.2024",
        ),
        row(
            "",
            "other-transaction",
            "",
            "Mystery",
            "Unknown Thing",
            "-2.00",
            "14.03.2024",
        ),
    ]
    write("amazon_settlement_v2_22col_eu.tsv", lf(rows))


def paypal_files():
    # US activity: mm/dd/yyyy (03/15 tells), PDT/CET zones, a Memo row, a
    # currency conversion pair (two currencies: no single balance).
    header = (
        "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,"
        "To Email Address,Transaction ID,Address Status,Sales Tax,Reference Txn ID,"
        "Invoice Number,Receipt ID,Balance,Contact Phone Number,Subject,Note,"
        "Balance Impact"
    )
    rows = [
        "03/15/2024,10:00:00,PDT,Buyer Three,Express Checkout Payment,Completed,USD,"
        "200.00,-6.10,193.90,buyer3@example.com,shop@example.com,2SYNTH000000000B1,,0.00,,"
        "INV-2001,,1193.90,,Order INV-2001,,Credit",
        "03/15/2024,10:05:00,PDT,Buyer Four,General Authorization,Pending,USD,50.00,"
        "0.00,50.00,buyer4@example.com,shop@example.com,2SYNTH000000000B2,,0.00,,"
        "INV-2002,,1193.90,,Order INV-2002,,Memo",
        "03/16/2024,18:00:00,CET,,General Currency Conversion,Completed,USD,-100.00,"
        "0.00,-100.00,shop@example.com,,2SYNTH000000000B3,,0.00,2SYNTH000000000B4,,,"
        "1093.90,,,,Debit",
        "03/16/2024,18:00:00,CET,,General Currency Conversion,Completed,EUR,91.50,0.00,"
        "91.50,,shop@example.com,2SYNTH000000000B4,,0.00,2SYNTH000000000B3,,,91.50,,,,"
        "Credit",
    ]
    write("paypal_activity_us.csv", "\ufeff" + crlf([header] + rows))
    # Statement layout: quoted cells, thousands separators, IANA zone names.
    rows = [
        '"Date","Time","Time Zone","Description","Currency","Gross","Fee","Net",'
        '"Balance","Transaction ID","From Email Address","Name","Bank Name",'
        '"Bank Account","Shipping and Handling Amount","Sales Tax","Invoice ID",'
        '"Reference Txn ID"',
        '"04/01/2024","09:00:00","America/Los_Angeles","Website Payment","USD",'
        '"2,000.00","-58.30","1,941.70","3,941.70","3SYNTH000000000C1",'
        '"buyer5@example.com","Buyer Five","","","0.00","0.00","INV-3001",""',
        '"04/02/2024","10:00:00","America/Los_Angeles","General Withdrawal","USD",'
        '"-1,058.09","0.00","-1,058.09","2,883.61","3SYNTH000000000C2","","",'
        '"Bank","1234","0.00","0.00","",""',
    ]
    write("paypal_statement.csv", crlf(rows))


def misc_files():
    write(
        "unknown_layout.csv",
        lf(["id,name,price", "1,Kettle,29.99", "2,Mug,9.99"]),
    )
    # A row no rule of the Alipay presets maps (业务类型 其它, plain memo).
    write(
        "alipay_signcustomer_unclassified.csv",
        crlf(
            ALIPAY_HEAD
            + [ALIPAY_HEADER]
            + [
                "53000000000001\t,20240301XX0001\t,\t,\t,2024-03-01 09:00:00,某公司\t,"
                "12.34,0.00,1012.34,支付宝,其它,年度返利"
            ]
            + [
                ALIPAY_FOOT[0],
                "#支出合计：0笔，共0.00元",
                "#收入合计：1笔，共12.34元",
                ALIPAY_FOOT[3],
            ]
        ),
        "gbk",
    )


def big_files(rows, folder):
    """Large bills for speed measurements (not committed):
    python3 make_tabular_bills.py --big 100000 /tmp/bills
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [*ALIPAY_HEAD, ALIPAY_HEADER]
    balance = income = expense = 0
    for i in range(rows):
        day = 1 + i * 30 // rows
        moment = f"2024-03-{day:02d} {i % 24:02d}:{i % 60:02d}:{i * 7 % 60:02d}"
        trade = 2024030122001412340000 + i // 2 * 2
        if i % 2 == 0:
            cents = 100 + i * 7919 % 50000
            balance += cents
            income += cents
            lines.append(
                f"{31000000000000 + i}\t,{trade}\t,M{20240301000000 + i // 2}\t,"
                f"商品{i % 97}\t,{moment},张* (138****0001)\t,{cents / 100:.2f},0.00,"
                f"{balance / 100:.2f},支付宝,在线支付,"
            )
        else:
            cents = 1 + i * 31 % 300
            balance -= cents
            expense += cents
            lines.append(
                f"{31000000000000 + i}\t,{trade}\t,M{20240301000000 + i // 2}\t,\t,"
                f"{moment},\t,0.00,-{cents / 100:.2f},{balance / 100:.2f},支付宝,收费,"
                f"服务费[{trade}]"
            )
    lines += [
        ALIPAY_FOOT[0],
        f"#支出合计：{rows // 2}笔，共{expense / 100:.2f}元",
        f"#收入合计：{rows - rows // 2}笔，共{income / 100:.2f}元",
        ALIPAY_FOOT[3],
    ]
    (folder / "alipay_big.csv").write_bytes(crlf(lines).encode("gbk"))
    lines = [
        "订单编号,单据编号,单据类型,商品编号,商户订单号,商品名称,结算状态,费用发生时间,"
        "费用计费时间,费用结算时间,费用项,金额,币种,商家应收/应付,钱包结算备注,店铺号,"
        "京东门店编号,品牌门店编号,门店名称,备注,收支方向,商品数量,对账日期"
    ]
    items = (("货款", 1), ("佣金", -1), ("代收配送费", 1))
    for i in range(rows):
        order = 300012345678 + i // 3
        item, sign = items[i % 3]
        cents = (100 + i * 7919 % 30000) * sign
        side, direction = ("应收", "收入") if sign > 0 else ("应付", "支出")
        lines.append(
            f'="{order}",="{9000000000 + i}",订单,="{100012345678 + i % 50}",'
            f'="{order}",示例商品{i % 50},已结算,2024-03-01 09:00:00,'
            f"2024-03-04 10:00:00,2024-03-05 {i % 24:02d}:{i % 60:02d}:00,{item},"
            f"{cents / 100:.2f},人民币,{side},,10000001,,,,,{direction},1,20240305"
        )
    (folder / "jd_big.csv").write_bytes(crlf(lines).encode("gbk"))


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--big"]:
        big_files(int(sys.argv[2]), sys.argv[3])
        sys.exit()
    alipay_files()
    wechat_files()
    jd_files()
    pdd_files()
    shopify_files()
    amazon_files()
    paypal_files()
    misc_files()
