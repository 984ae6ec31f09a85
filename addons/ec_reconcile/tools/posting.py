# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bill rows to journal entries, summarized by voucher templates.

Rows are assigned to templates and aggregated in SQL; Python only builds
one set of move values per group (bill × day by default), creates them in
one ``create`` and posts them. Entries are balanced by construction: the
wallet line is the sum of the rows, every other line the opposite of some
rows. Rows already linked to an entry are never posted again, and rows are
locked (NOWAIT) while they are posted, so two users posting the same bill
cannot both succeed.
"""

import logging
from collections import defaultdict
from decimal import Decimal

import psycopg2
import psycopg2.extras

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, float_is_zero

from .matching import INCOME_KINDS, ORDER_INCOME_KINDS, shadowed_bill_ids

_logger = logging.getLogger(__name__)

_ZERO = Decimal("0")
BATCH = 500


def post(env, bills):
    """Post every unposted row of ``bills``; return counts."""
    for model in ("ec.settlement.line", "ec.settlement", "ec.voucher.template"):
        env[model].flush_model()
    cr = env.cr
    bills = bills.filtered(lambda b: b.state != "error")
    # A detail view of money the shop's ledger bill posts is never posted
    # (matching.LEDGER_VIEWS): it would count every settlement twice.
    shadowed = bills.browse(shadowed_bill_ids(cr, bills.shop_id.ids)) & bills
    bills -= shadowed
    if not bills:
        return {"moves": 0, "rows": 0, "skipped_bills": shadowed.ids}
    try:
        with cr.savepoint(flush=False):
            cr.execute(
                "SELECT id FROM ec_settlement_line "
                "WHERE settlement_id = ANY(%s) AND move_id IS NULL "
                "FOR UPDATE NOWAIT",
                [bills.ids],
            )
            row_ids = [row[0] for row in cr.fetchall()]
    except psycopg2.errors.LockNotAvailable:
        raise UserError(
            env._(
                "Bills %(bills)s are being posted by someone else right now. "
                "Try again in a moment: nothing was posted twice.",
                bills=", ".join(bills.mapped("name")),
            )
        ) from None
    if not row_ids:
        return {"moves": 0, "rows": 0, "skipped_bills": shadowed.ids}
    shops = bills.shop_id
    templates = env["ec.voucher.template"].search(
        [("company_id", "in", shops.company_id.ids)]
    )
    _assign_templates(cr, row_ids, templates)
    groups = _aggregate(cr, templates)
    context = _Context(env, shops, templates, bills)
    context.check(groups)
    vals_list, reconcile_plan = [], []
    for key, group in groups.items():
        vals, targets = context.move_vals(key, group)
        if vals:
            vals_list.append(vals)
            reconcile_plan.append((key, targets))
    moves = env["account.move"]
    for start in range(0, len(vals_list), BATCH):
        chunk = env["account.move"].create(vals_list[start : start + BATCH])
        chunk._post(soft=False)
        moves |= chunk
    by_bill = _link_rows(cr, reconcile_plan, moves)
    reconciled = _reconcile(env, reconcile_plan, moves)
    cr.execute("DROP TABLE IF EXISTS ec_tmp_post")
    env["ec.settlement.line"].invalidate_model(["move_id"])
    bills._update_posted_state()
    stats = {
        "moves": len(moves),
        "rows": len(row_ids),
        "skipped_bills": shadowed.ids,
        **reconciled,
    }
    _logger.info("Posted %s: %s", bills.ids[:10], stats)
    stats["by_bill"] = by_bill
    return stats


# ---------------------------------------------------------------------------
# SQL: rows to templates, aggregation
# ---------------------------------------------------------------------------


def _template_condition(template):
    parts = [SQL("line.company_id = %s", template.company_id.id)]
    if template.shop_ids:
        parts.append(SQL("line.shop_id = ANY(%s)", template.shop_ids.ids))
    if template.kind_ids:
        parts.append(SQL("line.kind = ANY(%s)", template.kind_ids.mapped("code")))
    if template.match_filter == "matched":
        parts.append(SQL("line.sale_order_id IS NOT NULL"))
    elif template.match_filter == "unmatched":
        parts.append(SQL("line.sale_order_id IS NULL"))
    return SQL(" AND ").join(parts)


def _assign_templates(cr, row_ids, templates):
    cases = SQL(" ").join(
        SQL("WHEN %s THEN %s", _template_condition(t), t.id) for t in templates
    )
    choice = SQL("CASE %s ELSE 0 END", cases) if templates else SQL("0")
    cr.execute("DROP TABLE IF EXISTS ec_tmp_post")
    cr.execute(
        "CREATE TEMP TABLE ec_tmp_post "
        "(id int PRIMARY KEY, template_id int, group_key varchar) ON COMMIT DROP"
    )
    groupings = {t.id: t.grouping for t in templates}
    key = SQL(
        """CASE COALESCE((%s::jsonb ->> template_id::text), 'day')
             WHEN 'line' THEN 'l' || line.id
             WHEN 'order' THEN COALESCE('o' || line.sale_order_id,
                                        'd' || line.date_local)
             WHEN 'bill' THEN 'b'
             ELSE 'd' || COALESCE(line.date_local::text, '') END""",
        psycopg2.extras.Json({str(k): v for k, v in groupings.items()}),
    )
    cr.execute(
        SQL(
            """
            INSERT INTO ec_tmp_post (id, template_id)
            SELECT line.id, %s FROM ec_settlement_line line WHERE line.id = ANY(%s)
            """,
            choice,
            row_ids,
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE ec_tmp_post post SET group_key = %s
              FROM ec_settlement_line line WHERE line.id = post.id
            """,
            key,
        )
    )
    # Temp tables get no statistics from autovacuum: without them the
    # planner expects a handful of rows and nests loops over a month of rows.
    cr.execute("ANALYZE ec_tmp_post")


def _aggregate(cr, templates):
    """{(template_id, bill_id, group_key): group} with one part per kind/target."""
    cr.execute(
        """
        WITH invoices AS (
            SELECT sol.order_id, MAX(move.id) AS invoice_id
              FROM sale_order_line sol
              JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
              JOIN account_move_line aml ON aml.id = rel.invoice_line_id
              JOIN account_move move ON move.id = aml.move_id
             WHERE move.state = 'posted' AND move.move_type = 'out_invoice'
               AND sol.order_id IN (
                   SELECT line.sale_order_id FROM ec_tmp_post post
                     JOIN ec_settlement_line line ON line.id = post.id
                    WHERE line.sale_order_id IS NOT NULL)
             GROUP BY sol.order_id
        )
        SELECT post.template_id, line.settlement_id, post.group_key, line.shop_id,
               line.kind, line.sale_order_id IS NOT NULL AS matched,
               invoices.invoice_id,
               CASE WHEN line.kind = 'payout' THEN line.statement_line_id END
                   AS statement_line_id,
               SUM(line.amount) AS amount,
               MAX(line.date_local) AS day, COUNT(*) AS rows,
               MIN(so.ec_order_ref) AS order_ref
          FROM ec_tmp_post post
          JOIN ec_settlement_line line ON line.id = post.id
     LEFT JOIN invoices ON invoices.order_id = line.sale_order_id
     LEFT JOIN sale_order so ON so.id = line.sale_order_id
         GROUP BY post.template_id, line.settlement_id, post.group_key, line.shop_id,
                  line.kind, matched, invoices.invoice_id, line.statement_line_id
         ORDER BY line.settlement_id, post.group_key, line.kind
        """
    )
    groups = {}
    for row in cr.dictfetchall():
        key = (row["template_id"], row["settlement_id"], row["group_key"])
        group = groups.setdefault(
            key, {"shop_id": row["shop_id"], "day": row["day"], "parts": []}
        )
        if row["day"] and (group["day"] is None or row["day"] > group["day"]):
            group["day"] = row["day"]
        group["parts"].append(row)
    return groups


def _link_rows(cr, plan, moves):
    """Rows to their entry; return {bill id: (entries, rows)} of this run."""
    if not moves:
        return {}
    values = SQL(", ").join(
        SQL("(%s, %s, %s, %s)", key[0], key[1], key[2], move.id)
        for (key, _receivables), move in zip(plan, moves, strict=True)
    )
    cr.execute(
        SQL(
            """
            UPDATE ec_settlement_line line SET move_id = v.move_id
              FROM ec_tmp_post post
              JOIN (VALUES %s) AS v(template_id, bill_id, group_key, move_id)
                ON v.template_id = post.template_id AND v.group_key = post.group_key
             WHERE post.id = line.id AND line.settlement_id = v.bill_id
            """,
            values,
        )
    )
    cr.execute(
        "SELECT settlement_id, count(DISTINCT move_id), count(*) "
        "FROM ec_settlement_line WHERE move_id = ANY(%s) GROUP BY settlement_id",
        [moves.ids],
    )
    return {bill_id: (entries, rows) for bill_id, entries, rows in cr.fetchall()}


def _reconcile(env, plan, moves):
    """Reconcile the new entries in one batch; return counts.

    ``plan`` holds per entry (index of the line in the entry, target kind,
    target id); lines keep the order of their values (entries get no
    automatic lines). Targets:

    - ``invoice``: the receivable credit against the invoice's open
      receivable lines (partial where amounts differ). All credits aiming at
      one invoice (and account) form one node, so nodes share no line;
    - ``statement``: a payout line against the bank statement line that
      received the money: the statement line's suspense item is moved to the
      payout line's account and both are reconciled, the pattern of Odoo's
      own tests (Community has no reconciliation widget).
    """
    Line = env["account.move.line"]
    by_invoice, by_statement = defaultdict(list), {}
    for (_key, targets), move in zip(plan, moves, strict=True):
        if not targets:
            continue
        lines = move.line_ids.sorted("id")
        for index, kind, target_id in targets:
            line = lines[index]
            if line.reconciled:
                continue
            if kind == "invoice":
                by_invoice[target_id, line.account_id.id].append(line)
            else:
                by_statement[target_id] = line
    nodes = []
    if by_invoice:
        open_lines = defaultdict(lambda: Line)
        for line in Line.search_fetch(
            [
                ("move_id", "in", list({key[0] for key in by_invoice})),
                ("account_id", "in", list({key[1] for key in by_invoice})),
                ("reconciled", "=", False),
                ("parent_state", "=", "posted"),
            ],
            ["move_id", "account_id"],
        ):
            open_lines[line.move_id.id, line.account_id.id] |= line
        for key, group in by_invoice.items():
            if open_lines[key]:
                nodes.append(Line.union(*group) | open_lines[key])
    invoices = len(nodes)
    statements = 0
    if by_statement:
        st_lines = env["account.bank.statement.line"].browse(list(by_statement))
        # Bank lines the accountant reconciled meanwhile are left alone.
        for st_line in st_lines.filtered(lambda st: not st.is_reconciled):
            line = by_statement[st_line.id]
            _liquidity, suspense, _other = st_line._seek_for_lines()
            if len(suspense) != 1 or not line.account_id.reconcile:
                continue
            suspense.write(
                {"account_id": line.account_id.id, "partner_id": line.partner_id.id}
            )
            nodes.append(line | suspense)
            statements += 1
    if nodes:
        # Sale's "invoice paid" hook posts one chatter message per order:
        # our flag has them logged in one batch (models/account_move.py).
        Line.with_context(ec_batch_paid_hook=True)._reconcile_plan(nodes)
    return {"reconciled": invoices, "payouts_reconciled": statements}


def restore_statement_lines(env, rows):
    """Bank lines of ``rows`` (payouts) back to suspense once their entry is gone.

    Called after the entries of ``rows`` were reversed or reset: the bank
    statement lines return to "to reconcile", and the rows keep their link so
    the next posting reconciles them again.
    """
    to_restore = env["account.bank.statement.line"]
    for st_line in rows.filtered(lambda r: r.kind == "payout").statement_line_id:
        _liquidity, suspense, other = st_line._seek_for_lines()
        # Only lines whose suspense item we moved, now reconciled with nothing.
        if not suspense and not (other.matched_debit_ids or other.matched_credit_ids):
            to_restore |= st_line
    if to_restore:
        to_restore.action_undo_reconciliation()
    return to_restore


# ---------------------------------------------------------------------------
# Move values
# ---------------------------------------------------------------------------


class _Context:
    """Accounts, journals and labels resolved once per posting run."""

    def __init__(self, env, shops, templates, bills):
        self.env = env
        self.shops = {shop.id: shop for shop in shops}
        self.templates = {t.id: t for t in templates}
        self.bills = {bill.id: bill for bill in bills}
        self.mappings = env["ec.fee.kind.mapping"]._get_mapping(shops)
        self.kind_labels = dict(
            env["ec.settlement.line"]._fields["kind"]._description_selection(env)
        )
        self.platform_labels = dict(
            env["ec.shop"]._fields["platform"]._description_selection(env)
        )
        self.default = env["ec.voucher.template"].new(
            {"name": env._("Default"), "grouping": "day"}
        )

    def template(self, template_id):
        return self.templates.get(template_id) or self.default

    def journal(self, template, shop):
        return template.journal_id or shop.wallet_journal_id

    def partner(self, template, shop):
        return (template.partner_id or shop.partner_id).commercial_partner_id

    def check(self, groups):
        """Refuse the whole run before writing anything, naming what to fix."""
        _ = self.env._
        problems = []
        for (template_id, bill_id, _key), group in groups.items():
            shop = self.shops[group["shop_id"]]
            template = self.template(template_id)
            journal = self.journal(template, shop)
            bill = self.bills[bill_id]
            if not journal:
                problems.append(
                    _("Shop %(shop)s has no wallet journal.", shop=shop.name)
                )
                continue
            lock = shop.company_id._get_user_fiscal_lock_date(journal)
            if group["day"] and group["day"] <= lock:
                problems.append(
                    _(
                        "Bill %(bill)s, day %(day)s is on or before the lock date "
                        "%(lock)s of %(company)s: change the lock date or post "
                        "the bill in an open period.",
                        bill=bill.name,
                        day=group["day"],
                        lock=lock,
                        company=shop.company_id.name,
                    )
                )
            for part in group["parts"]:
                try:
                    self.counterpart_account(template, shop, part)
                except UserError as error:
                    problems.append(error.args[0])
        if problems:
            unique = list(dict.fromkeys(problems))
            more = len(unique) - 10
            message = "\n".join(unique[:10])
            if more > 0:
                message += _("\n... and %(count)s more.", count=more)
            raise UserError(_("Nothing was posted:\n%s", message))

    @staticmethod
    def is_income(part):
        """Order income, as matching counts it: merchant coupons of an order
        reduce its receivable (the invoice is net of them); a coupon naming
        no order keeps its fee account."""
        kind = part["kind"]
        return kind in INCOME_KINDS or (kind in ORDER_INCOME_KINDS and part["matched"])

    def counterpart_account(self, template, shop, part):
        kind = part["kind"]
        company = shop.company_id
        if self.is_income(part):
            if part["matched"]:
                account = (
                    template.receivable_account_id
                    or self.partner(template, shop)
                    .with_company(company)
                    .property_account_receivable_id
                )
                if not account:
                    raise UserError(
                        self.env._(
                            "Shop %(shop)s: its platform partner has no "
                            "receivable account.",
                            shop=shop.name,
                        )
                    )
                return account
            account = (
                template.suspense_account_id
                or company.account_journal_suspense_account_id
            )
            if not account:
                raise UserError(
                    self.env._(
                        "Company %(company)s has no suspense account for income "
                        "of unknown orders.",
                        company=company.name,
                    )
                )
            return account
        mapping = self.mappings.get((shop.id, kind))
        if mapping:
            return mapping.account_id
        if kind == "payout" and company.transfer_account_id:
            return company.transfer_account_id
        raise UserError(
            self.env._(
                "Shop %(shop)s: no account for rows of kind %(kind)s. Set it in "
                "E-commerce Reconciliation > Configuration > Row Kind Accounts.",
                shop=shop.name,
                kind=self.kind_labels.get(kind, kind),
            )
        )

    def label(self, template, shop, bill, day, kind, order_ref=""):
        values = {
            "shop": shop.code or shop.name,
            "bill": bill.name,
            "date": day or "",
            "kind": kind,
            "order": order_ref or "",
            "platform": self.platform_labels.get(shop.platform, ""),
        }
        return template.label_pattern.format_map(values).strip()

    def move_vals(self, key, group):
        template_id, bill_id, _group_key = key
        template = self.template(template_id)
        shop = self.shops[group["shop_id"]]
        bill = self.bills[bill_id]
        company = shop.company_id
        currency = shop.currency_id
        day = group["day"] or fields.Date.context_today(self.env["ec.settlement"])
        journal = self.journal(template, shop)
        wallet = template.wallet_account_id or journal.default_account_id
        partner = self.partner(template, shop)
        order_ref = next((p["order_ref"] for p in group["parts"] if p["order_ref"]), "")
        # (account, partner, reconcile invoice, kind label) -> amount
        counterparts = defaultdict(lambda: _ZERO)
        analytics = {}
        total = _ZERO
        for part in group["parts"]:
            amount = Decimal(str(part["amount"]))
            total += amount
            account = self.counterpart_account(template, shop, part)
            kind = part["kind"]
            is_receivable = self.is_income(part) and part["matched"]
            invoice = (
                part["invoice_id"]
                if is_receivable and template.reconcile_invoices
                else False
            )
            label_kind = (
                self.env._("Income")
                if self.is_income(part)
                else self.kind_labels.get(kind, kind)
            )
            # A payout the bank shows gets its own line, reconciled with
            # that bank statement line after posting.
            statement = kind == "payout" and part["statement_line_id"]
            if statement:
                account = self.payout_account(account, company)
                statement = statement if account.reconcile else False
            counter_key = (account.id, partner.id, invoice, statement, label_kind)
            counterparts[counter_key] -= amount
            mapping = self.mappings.get((shop.id, kind))
            distribution = (
                mapping.analytic_distribution if mapping else False
            ) or template.analytic_distribution
            if distribution and not is_receivable:
                analytics[counter_key] = distribution
        lines, targets = [], []
        for counter_key, amount in counterparts.items():
            if not amount:
                continue
            account_id, line_partner, invoice, statement, label_kind = counter_key
            line = self._line(
                company,
                currency,
                day,
                account_id,
                line_partner,
                amount,
                self.label(template, shop, bill, day, label_kind, order_ref),
            )
            if counter_key in analytics:
                line["analytic_distribution"] = analytics[counter_key]
            if invoice:
                targets.append((len(lines), "invoice", invoice))
            elif statement:
                targets.append((len(lines), "statement", statement))
            lines.append(line)
        if total:
            lines.append(
                self._line(
                    company,
                    currency,
                    day,
                    wallet.id,
                    partner.id,
                    total,
                    self.label(template, shop, bill, day, self.env._("Net"), order_ref),
                )
            )
        if not lines:
            return None, []
        self._add_rounding(company, lines)
        vals = {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": day,
            "ref": f"{bill.name} {day}",
            "ec_settlement_id": bill.id,
            "line_ids": [Command.create(line) for line in lines],
        }
        return vals, targets

    def payout_account(self, account, company):
        """Account of a payout matched to a bank line: must be reconcilable."""
        if account.reconcile or not company.transfer_account_id.reconcile:
            return account
        return company.transfer_account_id

    def _line(self, company, currency, day, account_id, partner_id, amount, label):
        amount = float(amount)
        if currency == company.currency_id:
            balance = amount
        else:
            balance = currency._convert(amount, company.currency_id, company, day)
        return {
            "name": label,
            "account_id": account_id,
            "partner_id": partner_id,
            "currency_id": currency.id,
            "amount_currency": amount,
            "debit": balance if balance > 0 else 0.0,
            "credit": -balance if balance < 0 else 0.0,
        }

    def _add_rounding(self, company, lines):
        """Foreign currency: company-currency rounding goes on its own line."""
        digits = company.currency_id.decimal_places
        for line in lines:
            line["debit"] = round(line["debit"], digits)
            line["credit"] = round(line["credit"], digits)
        difference = round(
            sum(line["debit"] - line["credit"] for line in lines), digits
        )
        if float_is_zero(difference, precision_digits=digits):
            return
        account = (
            company.expense_currency_exchange_account_id
            if difference > 0
            else company.income_currency_exchange_account_id
        )
        lines.append(
            {
                "name": self.env._("Currency rounding"),
                "account_id": account.id,
                "currency_id": company.currency_id.id,
                "amount_currency": -difference,
                "debit": -difference if difference < 0 else 0.0,
                "credit": difference if difference > 0 else 0.0,
            }
        )
