# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Concurrency: two workers importing, matching or posting the same bill at
the same moment, on committed data, in separate processes.

Workers run their action through ``odoo.service.model.retrying`` like every
Odoo RPC call: a serialization failure or lock error rolls the transaction
back and runs it again. Barriers (tests/e2e/worker.py ``--barrier-at``) make
the race certain instead of likely: both workers are past the point where
they could have seen each other's work before either commits.

Expected: no duplicate row, bill, exception or entry; the loser either
retries and finds the work done, or gets a clear message.
"""

import datetime as dt
import time

import e2e_helpers as h
import pytest

BULK = 3_000


def shop_id(db, code):
    return h.scalar(db, "SELECT id FROM ec_shop WHERE code = %s", [code])


def row_counts(db, shop):
    return h.query(
        db,
        "SELECT count(*), count(DISTINCT (channel, transaction_id)) "
        "FROM ec_settlement_line WHERE shop_id = %s",
        [shop],
    )[0]


def wait_at_barrier(worker, folder, point, timeout=600):
    deadline = time.monotonic() + timeout
    while not list(folder.glob(f"{point}.*")):
        assert worker.process.poll() is None, worker.output()
        assert time.monotonic() < deadline, f"{worker.name} never reached {point}"
        time.sleep(0.05)


def race(db, tmp_path, action, barrier_at, names=("a", "b"), **options):
    """Start two workers that meet at ``barrier_at``; return their outcomes."""
    folder = tmp_path / "barrier"
    folder.mkdir(exist_ok=True)
    workers = [
        h.Worker(
            db,
            action,
            tmp_path,
            name=name,
            barrier=folder,
            barrier_at=barrier_at,
            parties=len(names),
            **options,
        )
        for name in names
    ]
    return [worker.wait() for worker in workers]


def test_two_workers_import_the_same_bill(scratch_db, shop_code, tmp_path):
    db, shop = scratch_db, shop_id(scratch_db, shop_code)
    data, expected = h.stripe_bill(shop_code, bulk=BULK)
    path = tmp_path / "same.json"
    path.write_bytes(data)
    # Both have looked for an identical file (none yet) before either writes.
    outcomes = race(
        db, tmp_path, "import", "after_sha_check", file=path, shop=shop_code
    )
    for outcome in outcomes:
        assert outcome["ok"], outcome
    rows, distinct = row_counts(db, shop)
    bills = h.query(
        db, "SELECT id, state FROM ec_settlement WHERE shop_id = %s", [shop]
    )
    assert (rows, distinct) == (expected["rows"], expected["rows"])
    assert [state for _id, state in bills] == ["parsed"], bills
    # The loser was rolled back by a serialization failure and retried: its
    # second attempt found the winner's bill ("already imported").
    winner, loser = sorted(outcomes, key=lambda o: o["attempts"])
    assert winner["attempts"] == 1 and loser["attempts"] >= 2, outcomes
    assert loser["result"]["already"]
    assert loser["result"]["bills"] == winner["result"]["bills"] == [bills[0][0]]
    attachments = h.scalar(
        db,
        "SELECT count(*) FROM ir_attachment WHERE res_model = 'ec.settlement' "
        "AND res_id = %s",
        [bills[0][0]],
    )
    assert attachments == 1, "one raw file kept"
    h.record(
        injected=1,
        survived=1,
        lost=expected["rows"] - rows,
        duplicates=rows - distinct + len(bills) - 1,
        note="two workers importing the same bill at once: one bill, "
        "loser retried and found it",
    )


def test_two_workers_import_overlapping_bills(scratch_db, shop_code, tmp_path):
    """Two different files sharing half of their rows, imported at once."""
    db, shop = scratch_db, shop_id(scratch_db, shop_code)
    first, _ = h.stripe_bill(shop_code, bulk=BULK, start=0)
    second, _ = h.stripe_bill(shop_code, bulk=BULK, start=BULK // 2)
    folder = tmp_path / "barrier"
    folder.mkdir()
    workers = []
    for name, data in (("a", first), ("b", second)):
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        workers.append(
            h.Worker(
                db,
                "import",
                tmp_path,
                name=name,
                file=path,
                shop=shop_code,
                barrier=folder,
                barrier_at="after_sha_check",
                parties=2,
            )
        )
    outcomes = [worker.wait() for worker in workers]
    for outcome in outcomes:
        assert outcome["ok"], outcome
    union = 2 * (20 + BULK + BULK // 2)  # orders + unknown + bulk, 2 rows each
    rows, distinct = row_counts(db, shop)
    assert (rows, distinct) == (union, union)
    bills = h.query(
        db,
        "SELECT state, line_count, duplicate_count, conflict_count FROM ec_settlement "
        "WHERE shop_id = %s ORDER BY id",
        [shop],
    )
    assert [b[0] for b in bills] == ["parsed", "parsed"], bills
    assert sum(b[1] for b in bills) == union, "each row counted by one bill"
    assert sum(b[3] for b in bills) == 0, "same rows are duplicates, not conflicts"
    h.record(
        injected=1,
        survived=1,
        duplicates=rows - distinct,
        note="two overlapping bills imported at once: union of rows, no duplicate",
    )


def _matched_bill(db, tmp_path, shop_code):
    data, expected = h.stripe_bill(shop_code, bulk=BULK)
    path = tmp_path / "bill.json"
    path.write_bytes(data)
    prepared = h.run_worker(
        db, "prepare", tmp_path, name="prepare", file=path, shop=shop_code
    )
    return prepared["result"]["import"]["bills"][0], expected


def _check_posted_once(db, bill, expected):
    moves = h.query(
        db, "SELECT id, state FROM account_move WHERE ec_settlement_id = %s", [bill]
    )
    assert len(moves) == expected["days"], moves
    assert {state for _id, state in moves} == {"posted"}
    rows, unposted, linked_moves = h.query(
        db,
        "SELECT count(*), count(*) FILTER (WHERE move_id IS NULL), "
        "count(DISTINCT move_id) FROM ec_settlement_line WHERE settlement_id = %s",
        [bill],
    )[0]
    assert (rows, unposted, linked_moves) == (expected["rows"], 0, len(moves))
    return len(moves)


def test_second_poster_is_refused_while_rows_are_locked(
    scratch_db, shop_code, tmp_path
):
    db = scratch_db
    bill, expected = _matched_bill(db, tmp_path, shop_code)
    folder = tmp_path / "barrier"
    folder.mkdir()
    # A locks the rows and holds the lock until "go".
    holder = h.Worker(
        db,
        "post",
        tmp_path,
        name="holder",
        bill=bill,
        barrier=folder,
        barrier_at="locked",
        parties=1,
    )
    wait_at_barrier(holder, folder, "locked")
    other = h.Worker(db, "post", tmp_path, name="other", bill=bill).wait()
    (folder / "go").write_text("")
    first = holder.wait()
    assert first["ok"], first
    assert first["result"]["stats"]["moves"] == expected["days"]
    # The second user got a clear message at once, nothing was posted twice.
    assert not other["ok"], other
    assert "being posted by someone else" in other["user_error"], other
    assert other["attempts"] == 1
    moves = _check_posted_once(db, bill, expected)
    h.record(
        injected=1,
        survived=1,
        duplicates=moves - expected["days"],
        note="second poster while rows are locked: clear message, no entry",
    )


def test_second_poster_retries_after_serialization_failure(
    scratch_db, shop_code, tmp_path
):
    """B's snapshot predates A's commit: B must not post the rows again."""
    db = scratch_db
    bill, expected = _matched_bill(db, tmp_path, shop_code)
    folder = tmp_path / "barrier"
    folder.mkdir()
    late = h.Worker(
        db,
        "post",
        tmp_path,
        name="late",
        bill=bill,
        barrier=folder,
        barrier_at="snapshot",
        parties=1,
    )
    wait_at_barrier(late, folder, "snapshot")
    first = h.run_worker(db, "post", tmp_path, name="first", bill=bill)
    assert first["result"]["stats"]["moves"] == expected["days"]
    (folder / "go").write_text("")
    second = late.wait()
    assert second["ok"], second
    assert second["attempts"] == 2, "rolled back once, then saw the entries"
    assert second["result"]["stats"]["moves"] == 0
    moves = _check_posted_once(db, bill, expected)
    h.record(
        injected=1,
        survived=1,
        duplicates=moves - expected["days"],
        note="second poster with a stale snapshot: serialization failure, "
        "retried, posted nothing",
    )


def test_two_workers_match_the_same_shop(scratch_db, shop_code, tmp_path):
    db, shop = scratch_db, shop_id(scratch_db, shop_code)
    data, _expected = h.stripe_bill(shop_code, bulk=BULK)
    path = tmp_path / "bill.json"
    path.write_bytes(data)
    h.run_worker(db, "import", tmp_path, name="import", file=path, shop=shop_code)
    outcomes = race(db, tmp_path, "match", "start", shop=shop_code)
    for outcome in outcomes:
        assert outcome["ok"], outcome
    total, distinct, unknown = h.query(
        db,
        "SELECT count(*), count(DISTINCT key), "
        "count(*) FILTER (WHERE exception_type = 'unknown_order') "
        "FROM ec_exception WHERE shop_id = %s",
        [shop],
    )[0]
    assert total == distinct, "one exception per cause"
    assert unknown == 5
    open_counts = {o["result"]["stats"]["exceptions_open"] for o in outcomes}
    assert open_counts == {total}, (open_counts, total)
    linked = h.scalar(
        db,
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = %s "
        "AND sale_order_id IS NOT NULL",
        [shop],
    )
    assert linked == h.scalar(
        db,
        "SELECT count(*) FROM ec_settlement_line WHERE shop_id = %s "
        "AND order_ref = ANY(%s)",
        [shop, h.order_refs(shop_code)],
    )
    h.record(
        injected=1,
        survived=1,
        duplicates=total - distinct,
        note="two matchers on the same shop at once: one exception per cause",
    )


def test_two_crons_pull_the_same_shop(scratch_db, shop_code, tmp_path):
    """The scheduled pull of ec_connectors, twice at once on one shop, against
    the Stripe fake server: each bill listed, downloaded and imported once."""
    db = scratch_db
    if not h.scalar(
        db,
        "SELECT count(*) FROM ir_module_module "
        "WHERE name = 'ec_connectors' AND state = 'installed'",
    ):
        pytest.skip("ec_connectors is not installed in the scratch database")
    from odoo.addons.ec_connectors.tests.common import stripe_items_for_days
    from odoo.addons.ec_connectors.tests.fake_servers import StripeFake

    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in (4, 3, 2)]
    fake = StripeFake().start()
    try:
        fake.by_created = True
        fake.items = stripe_items_for_days(days)
        h.run_worker(
            db,
            "connector_setup",
            tmp_path,
            name="connector",
            shop=shop_code,
            fake_url=fake.url,
            fake_key=fake.key,
            bills_from=days[0].isoformat(),
        )
        outcomes = race(db, tmp_path, "cron_pull", "start", shop=shop_code)
    finally:
        fake.stop()
    for outcome in outcomes:
        assert outcome["ok"], outcome
    shop = shop_id(db, shop_code)
    pulled = h.query(
        db,
        "SELECT key, state, period FROM ec_connector_bill WHERE shop_id = %s",
        [shop],
    )
    assert len(pulled) == len({key for key, _s, _p in pulled}), "listed once"
    done = {period for _key, state, period in pulled if state == "done"}
    assert {day.isoformat() for day in days} <= done, pulled
    rows, distinct = row_counts(db, shop)
    assert rows == distinct == 7 * len(days), (rows, distinct)
    bills, files = h.query(
        db,
        "SELECT count(*), count(DISTINCT file_sha256) FROM ec_settlement "
        "WHERE shop_id = %s AND state != 'error'",
        [shop],
    )[0]
    assert bills == files, "each downloaded bill imported once"
    h.record(
        injected=1,
        survived=1,
        duplicates=rows - distinct,
        note="two scheduled pulls of one shop at once: every bill once",
    )
