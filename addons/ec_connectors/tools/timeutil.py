# Copyright 2026 EC Reconcile contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime as dt

UTC = dt.timezone.utc


def naive_utc(value):
    """A naive UTC datetime (what Odoo's Datetime fields hold) from an aware
    one; naive values are returned as they are."""
    if value is None:
        return None
    if value.tzinfo:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
