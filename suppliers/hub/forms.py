"""The dispatch form: one quantity per line (blank or 0: not in this delivery) and an expected date.

Checked before the dispatch service runs, so a mistake comes back as a message beside the field
and nothing is written; the service checks again under its row lock (another coordinator may have
dispatched meanwhile)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from gerai.errors import Invalid
from gerai.numbers import QuantityError, format_qty, parse_qty
from inventory.rules import check_qty_for_unit
from suppliers.hub.queue import outstanding


@dataclass
class DispatchForm:
    lines: list[dict] = field(default_factory=list)  # [{"sku", "qty"}], only the lines sent now
    eta: datetime | None = None
    errors: dict[str, Invalid] = field(default_factory=dict)  # field -> the refusal, translated by the view


def read_dispatch_form(form, request_lines, tz: ZoneInfo, today: date) -> DispatchForm:
    out = DispatchForm()
    for i, line in enumerate(request_lines):
        name = f"qty-{i}"
        text = (form.get(name) or "").strip().replace(",", ".")
        if not text:
            continue
        try:
            qty = parse_qty(text)
            check_qty_for_unit(qty, line.unit or "pcs", name, positive=False)
        except QuantityError:
            out.errors[name] = Invalid("%(qty)s is not a quantity.", field=name, qty=text[:20])
            continue
        except Invalid as err:
            out.errors[name] = err
            continue
        left = outstanding(line)
        if qty > left:
            out.errors[name] = Invalid("Only %(left)s %(unit)s are still to send.", field=name, left=format_qty(left),
                                       unit=line.unit)
        elif qty > 0:
            out.lines.append({"sku": line.sku, "qty": qty})
    eta_text = (form.get("eta") or "").strip()
    if eta_text:
        try:
            eta_day = date.fromisoformat(eta_text)
        except ValueError:
            out.errors["eta"] = Invalid("Give the date as YYYY-MM-DD.", field="eta")
        else:
            if eta_day < today:
                out.errors["eta"] = Invalid("The expected date cannot be in the past.", field="eta")
            out.eta = datetime.combine(eta_day, time(12), tz)
    if not out.lines and not out.errors:
        out.errors["_form"] = Invalid("Give a quantity for at least one line.", field="_form")
    return out
