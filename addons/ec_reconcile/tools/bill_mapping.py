# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bill mappings as a form: a spec of the tabular engine split into what a
user edits in fields and lines, plus the rest as JSON (plain Python).

A *form* is three plain structures:

- ``form``: a dict of scalar settings (``FORM_DEFAULTS`` lists them);
- ``columns``: ``[{"name", "aliases", "required", "role", "regex"}]``, one
  per logical column, where ``role`` says what the column holds
  (``ROLES``) and ``regex`` pulls a value out of its text;
- ``rules``: ``[{"column", "operator", "value", "sign", "kind",
  "condition"}]``, the classification rules in order (``condition`` is a
  condition of the engine as JSON, used instead of the simple fields).

``spec_from_form`` builds the spec; ``extra`` (the "advanced JSON") is then
merged over it with ``merge_spec`` (dicts merged key by key, ``null``
removes a key). ``form_from_spec`` is the reverse: it fills the form with
what it can express and returns the remainder as ``extra`` so that
``merge_spec(spec_from_form(...), extra) == canonical_spec(spec)``: copying a
preset or importing an exported mapping loses nothing.
"""

import copy

ROLES = (
    "transaction_id",
    "date",
    "time",
    "amount",
    "income",
    "expense",
    "direction",
    "order_ref",
    "sub_order_ref",
    "related_ref",
    "counterparty",
    "description",
    "currency",
    "account",
    "balance",
)
# Roles that fill ``fields`` of the spec (a chain: first non-empty wins).
FIELD_ROLES = (
    "order_ref",
    "sub_order_ref",
    "related_ref",
    "counterparty",
    "description",
    "currency",
    "account",
)
SIGNS = ("as_is", "negate", "credit", "debit", "direction")
UNITS = ("yuan", "fen", "cents")
# Operators of a simple rule: spec operator, or ``empty``/``not_empty``.
LIST_OPERATORS = ("equals", "not_in", "contains", "startswith", "endswith")
OPERATORS = (*LIST_OPERATORS, "regex", "empty", "not_empty")
RULE_SIGNS = ("positive", "negative", "zero", "nonzero")
SEPARATOR = " | "

FORM_DEFAULTS = {
    "code": None,
    "label": None,
    "platform": None,
    "channel": None,
    "version": "1",
    # reading
    "encoding": "auto",
    "delimiter": "auto",
    "quoting": True,
    "cell_prefix": None,
    "skip_lines": 0,
    "header_search_lines": 60,
    "footer_markers": [],
    "end_required": False,
    "sheet": None,
    # recognition
    "score": 50,
    "markers": [],
    "markers_required": False,
    "filename_pattern": None,
    # money
    "unit": "yuan",
    "decimal_separator": ".",
    "case_insensitive": False,
    "amount_mode": "single",  # single, pair, advanced (components in JSON)
    "sign": "as_is",
    "direction_in": [],
    "direction_out": [],
    "currency": None,
    # rows
    "default_kind": None,
    "date_formats": [],
    "tz": "Asia/Shanghai",
    "txn_mode": "columns",  # columns, hash
    "txn_join": "-",
    "txn_ordinal": False,
}


# ---------------------------------------------------------------------------
# Values as text: "a | b | c"
# ---------------------------------------------------------------------------


def split_values(text):
    """``"a | b"`` → ``["a", "b"]`` (blanks around values dropped)."""
    if not text:
        return []
    return [part.strip() for part in str(text).split("|") if part.strip()]


def join_values(values):
    return SEPARATOR.join(values) if values else ""


def _joinable(values):
    """True when ``values`` survive ``split_values(join_values(values))``."""
    return (
        isinstance(values, list)
        and all(
            isinstance(value, str)
            and value
            and value == value.strip()
            and "|" not in value
            for value in values
        )
        and split_values(join_values(values)) == values
    )


# ---------------------------------------------------------------------------
# Merging and diffing specs
# ---------------------------------------------------------------------------


def merge_spec(base, extra):
    """``base`` with ``extra`` merged over it (a new dict).

    Dicts merge key by key, any other value replaces, ``None`` removes.
    """
    result = copy.deepcopy(base)
    for key, value in (extra or {}).items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_spec(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def diff_spec(target, base):
    """The smallest ``extra`` with ``merge_spec(base, extra) == target``."""
    extra = {}
    for key, value in target.items():
        if key not in base:
            extra[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(base[key], dict):
            sub = diff_spec(value, base[key])
            if sub:
                extra[key] = sub
        elif value != base[key]:
            extra[key] = copy.deepcopy(value)
    for key in base:
        if key not in target:
            extra[key] = None
    return extra


def _strip_none(value):
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(item) for item in value]
    return value


def canonical_condition(cond):
    """Same meaning, one spelling: ``in`` → ``equals``, ``[x]`` → ``x``."""
    if isinstance(cond, list):
        return [canonical_condition(item) for item in cond]
    if not isinstance(cond, dict):
        return cond
    result = {}
    for key, value in cond.items():
        if key == "in" and "equals" not in cond:
            key = "equals"
        if key in LIST_OPERATORS and isinstance(value, list) and len(value) == 1:
            value = value[0]
        elif key in ("all", "any", "not"):
            value = canonical_condition(value)
        result[key] = value
    return result


def canonical_spec(spec):
    """A copy of ``spec`` with the engine's defaults spelled out and the
    rules' conditions in one spelling; it parses exactly like ``spec``."""
    spec = _strip_none(copy.deepcopy(spec))
    spec["version"] = str(spec.get("version", "1"))
    recognize = spec.get("recognize")
    if recognize is None:
        recognize = spec["recognize"] = {}
    if isinstance(recognize, dict):
        recognize.setdefault("score", 50)
    date = spec.get("date")
    if isinstance(date, dict):
        date.setdefault("tz", "Asia/Shanghai")
    required = spec.get("required_columns")
    if isinstance(required, list):
        spec["required_columns"] = sorted(required, key=str)
    rules = spec.get("rules")
    if isinstance(rules, list):
        spec["rules"] = [
            dict(rule, when=canonical_condition(rule["when"]))
            if isinstance(rule, dict) and "when" in rule
            else rule
            for rule in rules
        ]
    return spec


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def rule_condition(rule):
    """The engine condition of a simple rule (``None`` when it has none)."""
    if rule.get("condition") is not None:
        return rule["condition"]
    parts = []
    column, operator = rule.get("column"), rule.get("operator")
    if column and operator:
        if operator == "empty":
            parts.append({"column": column, "empty": True})
        elif operator == "not_empty":
            parts.append({"column": column, "empty": False})
        elif operator == "regex":
            parts.append({"column": column, "regex": rule.get("value") or ""})
        else:
            values = split_values(rule.get("value"))
            parts.append(
                {"column": column, operator: values[0] if len(values) == 1 else values}
            )
    if rule.get("sign"):
        parts.append({"sign": rule["sign"]})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts


def rule_from_spec(rule):
    """A rule of the form for ``{"when", "kind"}``: simple when possible."""
    when = rule.get("when")
    simple = _simple_rule(when)
    if simple is not None and rule_condition(simple) == when:
        simple["kind"] = rule.get("kind")
        return simple
    return {
        "column": None,
        "operator": None,
        "value": None,
        "sign": None,
        "kind": rule.get("kind"),
        "condition": copy.deepcopy(when),
    }


def _simple_rule(when):
    items = when if isinstance(when, list) else [when]
    if not items or len(items) > 2:
        return None
    column_part = sign = None
    for item in items:
        if not isinstance(item, dict):
            return None
        if set(item) == {"sign"} and sign is None and item["sign"] in RULE_SIGNS:
            sign = item["sign"]
        elif "column" in item and len(item) == 2 and column_part is None:
            column_part = item
        else:
            return None
    rule = {
        "column": None,
        "operator": None,
        "value": None,
        "sign": sign,
        "condition": None,
    }
    if column_part is not None:
        (operator,) = set(column_part) - {"column"}
        value = column_part[operator]
        if not isinstance(column_part["column"], str):
            return None
        rule["column"] = column_part["column"]
        if operator == "empty" and isinstance(value, bool):
            rule["operator"] = "empty" if value else "not_empty"
        elif operator == "regex" and isinstance(value, str):
            rule["operator"], rule["value"] = "regex", value
        elif operator in LIST_OPERATORS:
            values = value if isinstance(value, list) else [value]
            if not _joinable(values):
                return None
            rule["operator"], rule["value"] = operator, join_values(values)
        else:
            return None
    return rule


# ---------------------------------------------------------------------------
# Form → spec
# ---------------------------------------------------------------------------


def _source(column):
    if column.get("regex"):
        return {"column": column["name"], "regex": column["regex"]}
    return column["name"]


# Options of ``read`` the form holds: (form key, spec key, value left out).
_READ_OPTIONS = (
    ("encoding", "encoding", "auto"),
    ("delimiter", "delimiter", "auto"),
    ("cell_prefix", "cell_prefix", None),
    ("skip_lines", "skip_lines", 0),
    ("header_search_lines", "header_search_lines", 60),
    ("sheet", "sheet", None),
)


def spec_from_form(form, columns, rules):
    """The engine spec described by a form (before the advanced JSON)."""
    form = {**FORM_DEFAULTS, **form}
    by_role = {}
    for column in columns:
        if column.get("role"):
            by_role.setdefault(column["role"], []).append(column)

    def names(role):
        return [column["name"] for column in by_role.get(role, [])]

    spec = {"code": form["code"]}
    for key in ("label", "platform", "channel"):
        if form[key]:
            spec[key] = form[key]
    spec["version"] = str(form["version"] or "1")
    spec["columns"] = {column["name"]: list(column["aliases"]) for column in columns}
    required = sorted(column["name"] for column in columns if column.get("required"))
    if required:
        spec["required_columns"] = required
    spec["recognize"] = _spec_recognize(form)
    read = _spec_read(form)
    if read:
        spec["read"] = read
    if form["case_insensitive"]:
        spec["case_insensitive"] = True
    _spec_money(spec, form, names)
    if rules:
        spec["rules"] = [
            {"when": rule_condition(rule), "kind": rule.get("kind")} for rule in rules
        ]
    if form["default_kind"]:
        spec["default_kind"] = form["default_kind"]
    fields = {
        role: [_source(column) for column in by_role[role]]
        for role in FIELD_ROLES
        if by_role.get(role)
    }
    if names("balance"):
        fields["balance"] = names("balance")[0]
    if fields:
        spec["fields"] = fields
    if form["currency"]:
        spec["currency"] = form["currency"]
    spec["date"] = _spec_date(form, names)
    txn = _spec_transaction_id(form, names("transaction_id"))
    if txn:
        spec["transaction_id"] = txn
    return spec


def _spec_recognize(form):
    recognize = {"score": form["score"]}
    if form["markers"]:
        recognize["markers"] = list(form["markers"])
    if form["markers_required"]:
        recognize["markers_required"] = True
    if form["filename_pattern"]:
        recognize["filename_pattern"] = form["filename_pattern"]
    return recognize


def _spec_read(form):
    read = {
        spec_key: form[form_key]
        for form_key, spec_key, left_out in _READ_OPTIONS
        if form[form_key] not in (None, "", left_out)
    }
    if not form["quoting"]:
        read["quoting"] = False
    if form["footer_markers"]:
        read["end_markers"] = list(form["footer_markers"])
    if form["end_required"]:
        read["end_required"] = True
    return read


def _spec_money(spec, form, names):
    if form["unit"] not in (None, "", "yuan"):
        spec["unit"] = form["unit"]
    if form["decimal_separator"] not in (None, "", "."):
        spec["decimal_separator"] = form["decimal_separator"]
    amount = None
    if form["amount_mode"] == "single" and names("amount"):
        amount = {"column": names("amount")[0]}
    elif form["amount_mode"] == "pair" and (names("income") or names("expense")):
        income = (names("income") or [""])[0]
        expense = (names("expense") or [""])[0]
        amount = {"pair": [income, expense]}
    if amount is not None:
        if form["sign"] and form["sign"] != "as_is":
            amount["sign"] = form["sign"]
        spec["amount"] = amount
    if names("direction"):
        spec["direction"] = {
            "columns": names("direction"),
            "in": list(form["direction_in"]),
            "out": list(form["direction_out"]),
        }


def _spec_date(form, names):
    date = {"columns": names("date")}
    if names("time"):
        date["time"] = names("time")[0]
    date["tz"] = form["tz"] or "Asia/Shanghai"
    if form["date_formats"]:
        date["formats"] = list(form["date_formats"])
    return date


def _spec_transaction_id(form, columns):
    if form["txn_mode"] == "hash":
        return {"hash": columns or "all"}
    if not columns:
        return None
    txn = {"columns": columns}
    if len(columns) > 1:
        txn["join"] = form["txn_join"] if form["txn_join"] is not None else "-"
    if form["txn_ordinal"]:
        txn["ordinal"] = True
    return txn


# ---------------------------------------------------------------------------
# Spec → form
# ---------------------------------------------------------------------------


def _plain_source(source):
    """(column, regex) of a chain source the form can show, else None."""
    if isinstance(source, str):
        return source, None
    if (
        isinstance(source, dict)
        and isinstance(source.get("column"), str)
        and set(source) <= {"column", "regex"}
        and isinstance(source.get("regex", ""), str)
    ):
        return source["column"], source.get("regex") or None
    return None


def _text_list(value):
    values = value if isinstance(value, list) else [value]
    return list(values) if _joinable(list(values)) else None


def form_from_spec(spec):  # noqa: C901 (one branch per spec key, kept together)
    """Split ``spec`` into ``(form, columns, rules, extra)``.

    ``merge_spec(spec_from_form(form, columns, rules), extra)`` equals
    ``canonical_spec(spec)``.
    """
    spec = canonical_spec(spec)
    form = copy.deepcopy(FORM_DEFAULTS)
    for key in ("code", "label", "platform", "channel", "version"):
        if isinstance(spec.get(key), str):
            form[key] = spec[key]
    read = spec.get("read") if isinstance(spec.get("read"), dict) else {}
    recognize = spec["recognize"] if isinstance(spec["recognize"], dict) else {}

    if isinstance(read.get("encoding"), str):
        form["encoding"] = read["encoding"]
    if isinstance(read.get("delimiter"), str):
        form["delimiter"] = read["delimiter"]
    if read.get("quoting") is False:
        form["quoting"] = False
    if isinstance(read.get("cell_prefix"), str):
        form["cell_prefix"] = read["cell_prefix"]
    for key in ("skip_lines", "header_search_lines"):
        if isinstance(read.get(key), int) and not isinstance(read[key], bool):
            form[key] = read[key]
    markers = _text_list(read.get("end_markers", []))
    if markers:
        form["footer_markers"] = markers
    if read.get("end_required") is True:
        form["end_required"] = True
    if isinstance(read.get("sheet"), str):
        form["sheet"] = read["sheet"]

    if isinstance(recognize.get("score"), int):
        form["score"] = recognize["score"]
    markers = _text_list(recognize.get("markers", []))
    if markers:
        form["markers"] = markers
    if recognize.get("markers_required") is True:
        form["markers_required"] = True
    if isinstance(recognize.get("filename_pattern"), str):
        form["filename_pattern"] = recognize["filename_pattern"]

    if spec.get("unit") in UNITS:
        form["unit"] = spec["unit"]
    if spec.get("decimal_separator") in (".", ","):
        form["decimal_separator"] = spec["decimal_separator"]
    if spec.get("case_insensitive") is True:
        form["case_insensitive"] = True
    if isinstance(spec.get("currency"), str):
        form["currency"] = spec["currency"]
    if spec.get("default_kind"):
        form["default_kind"] = spec["default_kind"]

    raw_columns = spec.get("columns") if isinstance(spec.get("columns"), dict) else {}
    required = set(spec.get("required_columns") or [])
    columns = []
    by_name = {}
    for name, aliases in raw_columns.items():
        aliases = aliases if isinstance(aliases, list) else [aliases]
        column = {
            "name": name,
            "aliases": list(aliases),
            "required": name in required,
            "role": None,
            "regex": None,
        }
        columns.append(column)
        by_name[name] = column
    chains = {}

    def assign(role, names, regexes=None):
        """Give ``role`` to the columns ``names`` when all are free."""
        if (
            not names
            or len(set(names)) != len(names)
            or not all(
                name in by_name and by_name[name]["role"] is None for name in names
            )
        ):
            return False
        for position, name in enumerate(names):
            by_name[name]["role"] = role
            if regexes and regexes[position]:
                by_name[name]["regex"] = regexes[position]
        chains[role] = list(names)
        return True

    amount = spec.get("amount")
    if spec.get("components"):
        form["amount_mode"] = "advanced"
    elif isinstance(amount, dict):
        if isinstance(amount.get("column"), str):
            assign("amount", [amount["column"]])
        elif isinstance(amount.get("pair"), list) and len(amount["pair"]) == 2:
            income, expense = amount["pair"]
            if income != expense:
                assign("income", [income])
                assign("expense", [expense])
            form["amount_mode"] = "pair"
        if amount.get("sign") in SIGNS:
            form["sign"] = amount["sign"]
    else:
        form["amount_mode"] = "advanced"

    direction = spec.get("direction")
    if isinstance(direction, dict) and isinstance(direction.get("columns"), list):
        texts_in = _text_list(direction.get("in", []))
        texts_out = _text_list(direction.get("out", []))
        if texts_in is not None and texts_out is not None:
            if assign("direction", direction["columns"]):
                form["direction_in"], form["direction_out"] = texts_in, texts_out

    date = spec.get("date")
    if isinstance(date, dict):
        if isinstance(date.get("columns"), list):
            assign("date", date["columns"])
        if isinstance(date.get("time"), str):
            assign("time", [date["time"]])
        if isinstance(date.get("tz"), str):
            form["tz"] = date["tz"]
        formats = _text_list(date.get("formats", []))
        if formats:
            form["date_formats"] = formats

    fields = spec.get("fields") if isinstance(spec.get("fields"), dict) else {}
    for role in FIELD_ROLES:
        sources = fields.get(role)
        sources = sources if isinstance(sources, list) else [sources]
        plain = [_plain_source(source) for source in sources if source is not None]
        if plain and all(plain):
            assign(
                role,
                [name for name, _regex in plain],
                [regex for _name, regex in plain],
            )
    if isinstance(fields.get("balance"), str):
        assign("balance", [fields["balance"]])

    # The id last: a hashed id may use columns that mean something else.
    txn = spec.get("transaction_id")
    if isinstance(txn, dict):
        hashed = txn.get("hash")
        if hashed == "all":
            form["txn_mode"] = "hash"
        elif isinstance(hashed, list):
            form["txn_mode"] = "hash"  # the columns stay in the JSON if taken
            assign("transaction_id", hashed)
        elif (
            hashed is None
            and isinstance(txn.get("columns"), list)
            and "$date" not in txn["columns"]
            and assign("transaction_id", txn["columns"])
        ):
            if isinstance(txn.get("join"), str):
                form["txn_join"] = txn["join"]
            form["txn_ordinal"] = txn.get("ordinal") is True

    # Lines with one role keep their places among themselves but follow the
    # order of their chain (first non-empty wins), e.g. JD's direction
    # columns.
    for role, chain in chains.items():
        places = [i for i, column in enumerate(columns) if column["role"] == role]
        for place, name in zip(places, chain, strict=True):
            columns[place] = by_name[name]

    rules = [
        rule_from_spec(rule)
        for rule in spec.get("rules") or []
        if isinstance(rule, dict) and set(rule) == {"when", "kind"}
    ]
    if len(rules) != len(spec.get("rules") or []):
        rules = []  # rules with other keys: all of them stay in the JSON

    built = spec_from_form(form, columns, rules)
    extra = diff_spec(spec, built)
    if merge_spec(built, extra) != spec:  # pragma: no cover (diff is exact)
        raise ValueError("bill mapping: the spec cannot be split into a form")
    return form, columns, rules, extra


def spec_roundtrip(spec):
    """``canonical_spec(spec)`` rebuilt through the form (for tests)."""
    form, columns, rules, extra = form_from_spec(spec)
    return merge_spec(spec_from_form(form, columns, rules), extra)
