# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Crash safety: a worker killed with SIGKILL in the middle of importing a
large bill, of matching or of posting leaves nothing half-done that another
session can see; running the job again finishes it with exactly the expected
rows and entries.

Real processes on the shared scratch database (conftest.py): each worker
builds its own registry, runs one transaction and is killed at a known point
inside it (tests/e2e/worker.py ``--crash-at``); every check is made from a
fresh PostgreSQL connection.
"""

import e2e_helpers as h

BULK = 12_000  # charges without order: 2 rows each (charge + fee)


def shop_id(db, code):
    return h.scalar(db, "SELECT id FROM ec_shop WHERE code = %s", [code])


def ledger_state(db, shop):
    """What another session sees of a shop's ledger."""
    rows, distinct = h.query(
        db,
        "SELECT count(*), count(DISTINCT (channel, transaction_id)) "
        "FROM ec_settlement_line WHERE shop_id = %s",
        [shop],
    )[0]
    bills = h.query(
        db,
        "SELECT id, state, line_count FROM ec_settlement WHERE shop_id = %s "
        "ORDER BY id",
        [shop],
    )
    return {"rows": rows, "duplicates": rows - distinct, "bills": bills}


def write_bill(tmp_path, code, name="bill.json", **options):
    data, expected = h.stripe_bill(code, bulk=BULK, **options)
    path = tmp_path / name
    path.write_bytes(data)
    return path, expected


def test_kill_during_import_then_reimport(scratch_db, shop_code, tmp_path):
    db, shop = scratch_db, shop_id(scratch_db, shop_code)
    path, expected = write_bill(tmp_path, shop_code)
    attachments_before = h.scalar(
        db, "SELECT count(*) FROM ir_attachment WHERE res_model = 'ec.settlement'"
    )
    for point in ("copy", "after_insert"):
        worker = h.Worker(
            db,
            "import",
            tmp_path,
            name=f"import-{point}",
            file=path,
            shop=shop_code,
            crash_at=point,
        )
        worker.wait_marker()
        if point == "copy":
            # The server is receiving the rows right now.
            copying = [
                q
                for _pid, state, q in h.backend_activity(db)
                if state == "active" and q.lstrip().upper().startswith("COPY")
            ]
            assert copying, h.backend_activity(db)
        worker.kill()
        h.wait_backends_gone(db)
        seen = ledger_state(db, shop)
        assert seen == {"rows": 0, "duplicates": 0, "bills": []}, (point, seen)
        assert (
            h.scalar(
                db,
                "SELECT count(*) FROM ir_attachment WHERE res_model = 'ec.settlement'",
            )
            == attachments_before
        ), "no orphan raw file record"
        h.record(injected=1)
    outcome = h.run_worker(
        db, "import", tmp_path, name="reimport", file=path, shop=shop_code
    )
    seen = ledger_state(db, shop)
    assert outcome["result"]["rows"] == expected["rows"]
    assert seen["rows"] == expected["rows"]
    assert seen["duplicates"] == 0
    assert [(state, count) for _id, state, count in seen["bills"]] == [
        ("parsed", expected["rows"])
    ]
    total = h.scalar(
        db, "SELECT sum(amount) FROM ec_settlement_line WHERE shop_id = %s", [shop]
    )
    assert round(total * 100) == expected["net_cents"]
    h.record(
        survived=2,
        lost=expected["rows"] - seen["rows"],
        duplicates=seen["duplicates"],
        note=f"import of {expected['rows']} rows killed in COPY and after INSERT: "
        "nothing visible, re-import complete",
    )
    # The same file once more: nothing changes.
    again = h.run_worker(
        db, "import", tmp_path, name="again", file=path, shop=shop_code
    )
    assert again["result"]["already"]
    assert ledger_state(db, shop) == seen


def test_kill_during_matching_then_rematch(scratch_db, shop_code, tmp_path):
    db, shop = scratch_db, shop_id(scratch_db, shop_code)
    path, expected = write_bill(tmp_path, shop_code)
    h.run_worker(db, "import", tmp_path, name="import", file=path, shop=shop_code)
    worker = h.Worker(
        db, "match", tmp_path, name="match-crash", shop=shop_code, crash_at="match"
    )
    worker.wait_marker()
    worker.kill()
    h.wait_backends_gone(db)
    # Rows, orders, exceptions and bill are as before matching.
    assert h.query(
        db,
        "SELECT match_state, count(*), count(sale_order_id) FROM ec_settlement_line "
        "WHERE shop_id = %s GROUP BY 1",
        [shop],
    ) == [("new", expected["rows"], 0)]
    assert not h.scalar(
        db, "SELECT count(*) FROM ec_exception WHERE shop_id = %s", [shop]
    )
    assert h.query(
        db, "SELECT state FROM ec_settlement WHERE shop_id = %s", [shop]
    ) == [("parsed",)]
    assert not h.scalar(
        db,
        "SELECT count(*) FROM sale_order WHERE ec_shop_id = %s "
        "AND ec_settled_amount != 0",
        [shop],
    )
    h.record(injected=1)
    outcome = h.run_worker(db, "match", tmp_path, name="rematch", shop=shop_code)
    stats = outcome["result"]["stats"]
    refs = h.order_refs(shop_code)
    linked = h.scalar(
        db,
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = %s "
        "AND sale_order_id IS NOT NULL",
        [shop],
    )
    naming_known = h.scalar(
        db,
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = %s "
        "AND order_ref = ANY(%s)",
        [shop, refs],
    )
    assert linked == naming_known >= len(refs)
    by_type = dict(
        h.query(
            db,
            "SELECT exception_type, count(*) FROM ec_exception "
            "WHERE shop_id = %s AND state = 'open' GROUP BY 1",
            [shop],
        )
    )
    assert by_type.get("unknown_order") == 5, by_type
    assert sum(by_type.values()) == stats["exceptions_open"]
    assert (
        h.scalar(
            db,
            "SELECT count(*) - count(DISTINCT key) FROM ec_exception "
            "WHERE shop_id = %s",
            [shop],
        )
        == 0
    )
    assert h.query(
        db, "SELECT state FROM ec_settlement WHERE shop_id = %s", [shop]
    ) == [("matched",)]
    h.record(
        survived=1,
        note="matching killed after linking rows and creating "
        "exceptions: nothing visible, re-run exact",
    )


def test_kill_during_posting_then_repost(scratch_db, shop_code, tmp_path):
    db, shop = scratch_db, shop_id(scratch_db, shop_code)
    path, expected = write_bill(tmp_path, shop_code)
    imported = h.run_worker(
        db, "import", tmp_path, name="import", file=path, shop=shop_code
    )
    bill = imported["result"]["bills"][0]
    moves_before = h.scalar(db, "SELECT count(*) FROM account_move")
    worker = h.Worker(
        db, "post", tmp_path, name="post-crash", bill=bill, crash_at="post"
    )
    worker.wait_marker()
    worker.kill()
    h.wait_backends_gone(db)
    # No entry, no row linked, bill not posted (matching ran in the same
    # transaction: rolled back too).
    assert h.scalar(db, "SELECT count(*) FROM account_move") == moves_before
    assert not h.scalar(
        db,
        "SELECT count(*) FROM ec_settlement_line WHERE settlement_id = %s "
        "AND move_id IS NOT NULL",
        [bill],
    )
    assert h.query(db, "SELECT state FROM ec_settlement WHERE id = %s", [bill]) == [
        ("parsed",)
    ]
    h.record(injected=1)
    outcome = h.run_worker(db, "post", tmp_path, name="repost", bill=bill)
    assert outcome["result"]["state"] == "posted"
    moves = h.query(
        db,
        "SELECT id, state FROM account_move WHERE ec_settlement_id = %s",
        [bill],
    )
    assert len(moves) == expected["days"] == outcome["result"]["stats"]["moves"]
    assert {state for _id, state in moves} == {"posted"}
    rows, unposted, rows_total = h.query(
        db,
        "SELECT count(*), count(*) FILTER (WHERE move_id IS NULL), sum(amount) "
        "FROM ec_settlement_line WHERE settlement_id = %s",
        [bill],
    )[0]
    assert (rows, unposted) == (expected["rows"], 0)
    # Every entry is balanced; the wallet moved by exactly the rows' total.
    assert not h.query(
        db,
        "SELECT move_id FROM account_move_line WHERE move_id = ANY(%s) "
        "GROUP BY move_id HAVING round(sum(balance), 2) != 0",
        [[m for m, _s in moves]],
    )
    wallet = h.scalar(
        db,
        "SELECT sum(aml.balance) FROM account_move_line aml "
        "JOIN ec_shop shop ON shop.id = %s "
        "JOIN account_journal j ON j.id = shop.wallet_journal_id "
        "WHERE aml.move_id = ANY(%s) AND aml.account_id = j.default_account_id",
        [shop, [m for m, _s in moves]],
    )
    assert round(wallet, 2) == round(rows_total, 2) == expected["net_cents"] / 100
    # Posting again is a no-op.
    again = h.run_worker(db, "post", tmp_path, name="again", bill=bill)
    assert again["result"]["stats"]["moves"] == 0
    assert h.scalar(
        db, "SELECT count(*) FROM account_move WHERE ec_settlement_id = %s", [bill]
    ) == len(moves)
    h.record(
        survived=1,
        duplicates=len(moves) - expected["days"],
        note=f"posting of {rows} rows killed after creating and posting "
        f"{expected['days']} entries: none visible, re-post exact, third run no-op",
    )
