"""Manager pages for the catalog and stock (server-rendered, Bahasa Indonesia by default).

Thin views: read the form, call one service, redirect with a flash message (Post/Redirect/Get).
A refused form comes back with status 422 and the message next to the field at fault; the
service rolled its transaction back, so nothing changed.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Callable, Iterable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gerai.auth import MANAGER
from gerai.db import utcnow
from gerai.errors import DomainError
from gerai.extensions import db_session, settings
from gerai.guard import current_user, roles
from gerai.numbers import MONEY_MAX, QuantityError, format_qty, format_rupiah, parse_qty
from inventory import catalog, queries, stock
from inventory.models import CATEGORIES, MOVEMENT_KINDS, STATUSES, Product
from inventory.rules import UNITS, WRITE_OFF_REASONS

bp = Blueprint("inventory", __name__, template_folder="templates")

PAGE_SIZE = 50
STOCK_PAGE_SIZE = 100  # the stock list: 2,000 rows in one page took longer to render than to compute
LINE_ROWS = 10  # empty line rows on a receipt or write-off form; receive.js adds more
MAX_LINES = 500
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
LINE_INPUT = re.compile(r"lines-(\d{1,4})-(code|qty|cost)")
THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")
PLAIN_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


@bp.record_once
def _nav(state):
    from gerai.web import add_nav

    add_nav(state.app, "/products", "Products", MANAGER, node="shop")
    add_nav(state.app, "/stock", "Stock", MANAGER, node="shop")
    add_nav(state.app, "/stock/receive", "Receive goods", MANAGER, node="shop")
    add_nav(state.app, "/stock/count", "Stock count", MANAGER, node="shop")
    add_nav(state.app, "/stock/write-off", "Write-off", MANAGER, node="shop")


@bp.app_template_filter("localtime")
def localtime(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A stored UTC time as the shop's wall clock (`GERAI_TIMEZONE`)."""
    return "" if value is None else value.astimezone(settings().tz).strftime(fmt)


# --- reading forms ----------------------------------------------------------------------------

def _number_text(text: str) -> str:
    """Indonesian writing to Python's: `1.250,5` -> `1250.5`, `12.500` -> `12500`; `2.5` stays."""
    text = text.replace(" ", "")
    if "," in text:
        return text.replace(".", "").replace(",", ".")
    return text.replace(".", "") if THOUSANDS.fullmatch(text) else text


def parse_qty_text(text: str) -> Decimal | None:
    """A quantity typed by a person (`2,5`, `1.000`, `0.75`); None if it is not one."""
    number = _number_text(text)
    if not (number.isascii() and PLAIN_NUMBER.fullmatch(number)):
        return None
    try:
        return parse_qty(number)
    except QuantityError:
        return None


def parse_rupiah_text(text: str) -> int | None:
    """Whole Rupiah typed by a person (`12500`, `12.500`, `Rp12.500`); None if not that."""
    digits = _number_text(re.sub(r"(?i)^rp\.?", "", text.replace(" ", "")))
    if not (digits.isascii() and digits.isdigit()) or int(digits) > MONEY_MAX:
        return None
    return int(digits)


def message_of(err: DomainError) -> str:
    """The refusal in the reader's language; quantities written the way the page writes them (`2,5`)."""
    params = {k: format_qty(v) if isinstance(v, Decimal) else v for k, v in err.params.items()}
    return gettext(err.template, **params) if params else gettext(err.template)


class FormReader:
    """Typed values from a submitted form, with one translated message per bad input in `errors`."""

    def __init__(self, form) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def refuse(self, err: DomainError, rename: Callable[[str], str] = lambda field: field) -> None:
        """A service's refusal, shown beside the input it names (at the top if it names none)."""
        name = rename(err.field) if err.field else "_form"
        self.fail(name if name in self.form else "_form", message_of(err))

    def text(self, name: str, max_len: int, required: bool = False) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, gettext("This field is required."))
        elif len(value) > max_len:
            self.fail(name, gettext("At most %(n)s characters.", n=max_len))
        return value

    def money(self, name: str, required: bool = False) -> int | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, gettext("This field is required."))
            return None
        amount = parse_rupiah_text(value)
        if amount is None:
            self.fail(name, gettext("Enter whole Rupiah, e.g. 12.500."))
        return amount

    def qty(self, name: str, required: bool = False) -> Decimal | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, gettext("Enter a quantity."))
            return None
        qty = parse_qty_text(value)
        if qty is None:
            self.fail(name, gettext("Enter a number with at most 3 decimals, e.g. 2,5."))
        return qty

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.raw(name)
        if not value:
            return None
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            self.fail(name, gettext("Enter a whole number from %(low)s to %(high)s.", low=low, high=high))
            return None
        return int(value)

    def choice(self, name: str, options: Iterable[str]) -> str:
        value = self.raw(name)
        if value not in options:
            self.fail(name, gettext("Choose one of the options."))
        return value

    def pair(self, first: str, second: str) -> None:
        """Two inputs that are given together or not at all (quota qty and days, reorder min and max)."""
        if bool(self.raw(first)) != bool(self.raw(second)):
            self.fail(second if self.raw(first) else first, gettext("Fill in both, or leave both empty."))


def _choice_arg(name: str, options: Iterable[str]) -> str | None:
    value = request.values.get(name, "")
    return value if value in options else None


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), 100_000)


def _pager(page: int, total: int, size: int = PAGE_SIZE) -> dict:
    last = max(1, -(-total // size))

    def link(n: int) -> str:
        return url_for(request.endpoint, **{**request.args.to_dict(), **(request.view_args or {}), "page": n})

    return {"page": page, "last": last, "total": total, "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last else None}


def _words(*vocabularies: Iterable[str]) -> dict[str, str]:
    """Code words translated once per page, not once per row (gettext costs ~50 us a call)."""
    return {word: gettext(word) for words in vocabularies for word in words}


def _user_id() -> int | None:
    user = current_user()
    return user.id if user else None


# --- a stock form's id: a double submit (or back and submit again) records the document once ----

FORM_ID = "client_id"  # hidden input: a UUID made when the form is rendered, the document's client id


def _form_id(values, fresh: bool = False) -> str:
    """The id to render: the submitted one when a refused form comes back (nothing was recorded
    under it), a new one for a new form or once the id is taken by other content."""
    given = values.get(FORM_ID, "") if not fresh else ""
    return given if _read_form_id(given) else str(uuid.uuid4())


def _read_form_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def _client_id(form: FormReader) -> str | None:
    """The submitted form's id; a form without one (an old page) records as before."""
    text = form.raw(FORM_ID)
    client_id = _read_form_id(text)
    if text and client_id is None:
        form.fail("_form", gettext("This form is out of date: open it again."))
    return client_id


def _recorded(doc, message: str) -> None:
    """Flash what was recorded, or that a repeated submit found it already recorded."""
    if doc.created:
        flash(message, "ok")
    else:
        flash(gettext("Already recorded (document %(id)s): this form was submitted before; nothing was changed.",
                      id=doc.id), "ok")


def _refuse(form: FormReader, err: DomainError, rename: Callable[[str], str]) -> bool:
    """Show a service's refusal; True when the form's id is taken by other content (render a new one)."""
    if isinstance(err, stock.DocumentIdReused):
        form.fail("_form", gettext("This form was already submitted with other content (see the stock ledger). "
                                   "Check the stock; submitting again records a new document."))
        return True
    form.refuse(err, rename)
    return False


# --- products -----------------------------------------------------------------------------

@bp.get("/products")
@roles(*MANAGER)
def products_page():
    q = request.args.get("q", "").strip()[:100]
    category, inactive, page = _choice_arg("category", CATEGORIES), request.args.get("inactive") == "1", _page()
    items, total = queries.search_products(db_session(), q, category, page=page, page_size=PAGE_SIZE,
                                           include_inactive=inactive)
    return render_template("inventory/products.html", products=items, q=q, category=category, inactive=inactive,
                           categories=CATEGORIES, pager=_pager(page, total))


def _product_values(product: Product) -> dict[str, str]:
    """The edit form filled in from a product (checkboxes present only when ticked)."""
    def q(value: Decimal | None) -> str:
        return "" if value is None else format_qty(value)

    values = {"sku": product.sku, "name": product.name, "barcodes": "\n".join(b.barcode for b in product.barcodes),
              "category": product.category, "unit": product.unit, "price": format_rupiah(product.price)[2:],
              "het": "" if product.het is None else format_rupiah(product.het)[2:], "quota_qty": q(product.quota_qty),
              "quota_period_days": str(product.quota_period_days or ""), "reorder_min": q(product.reorder_min),
              "reorder_max": q(product.reorder_max), "supplier": product.supplier_code or "",
              "shelf_life_days": str(product.shelf_life_days or "")}
    values.update({flag: "1" for flag in ("subsidised", "taxable", "active") if getattr(product, flag)})
    return values


def _read_product(form: FormReader, new: bool) -> dict:
    data: dict = {}
    if new:
        data["sku"] = form.raw("sku")
        if not SKU_PATTERN.fullmatch(data["sku"]):
            form.fail("sku", gettext("A SKU is 1-40 letters, digits, '.', '-', '/' or '_'."))
    data["name"] = form.text("name", 200, required=True)
    data["barcodes"] = [line.strip() for line in form.raw("barcodes").splitlines() if line.strip()]
    if len(data["barcodes"]) > 20 or any(len(code) > 32 for code in data["barcodes"]):
        form.fail("barcodes", gettext("At most 20 barcodes of up to 32 characters."))
    data["category"], data["unit"] = form.choice("category", CATEGORIES), form.choice("unit", UNITS)
    data["price"], data["het"] = form.money("price", required=True), form.money("het")
    for flag in ("subsidised", "taxable", "active"):
        data[flag] = flag in form.form
    form.pair("quota_qty", "quota_period_days")
    quota_qty, quota_days = form.qty("quota_qty"), form.integer("quota_period_days", 1, 366)
    data["quota"] = {"qty": quota_qty, "period_days": quota_days} if quota_qty is not None and quota_days else None
    form.pair("reorder_min", "reorder_max")
    low, high = form.qty("reorder_min"), form.qty("reorder_max")
    data["reorder"] = {"min": low, "max": high} if low is not None and high is not None else None
    data["supplier"] = form.raw("supplier") or None
    data["shelf_life_days"] = form.integer("shelf_life_days", 1, 3650)
    if not new and form.raw("het_effective_from"):
        try:
            day = date.fromisoformat(form.raw("het_effective_from"))
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2999:
            form.fail("het_effective_from", gettext("Enter a date."))
        else:
            data["het_effective_from"] = datetime.combine(day, time(0), tzinfo=settings().tz)
    return data


def _product_field(field: str) -> str:
    """A service's field path as the form's input name: `quota.qty` -> `quota_qty`, `barcodes.2` -> `barcodes`."""
    head = field.split(".")[0]
    return field.replace(".", "_") if head in ("quota", "reorder") else head


def _product_form(product: Product | None, values, errors: dict[str, str] | None = None):
    session = db_session()
    return render_template("inventory/product_form.html", product=product, v=values, errors=errors or {},
                           categories=CATEGORIES, units=UNITS, suppliers=queries.all_suppliers(session),
                           het_history=catalog.het_history(session, product.sku) if product else [])


@bp.route("/products/new", methods=["GET", "POST"])
@roles(*MANAGER)
def product_new():
    if request.method == "GET":
        return _product_form(None, {"active": "1", "category": "sembako", "unit": "pcs"})
    form = FormReader(request.form)
    data = _read_product(form, new=True)
    if not form.errors:
        try:
            product = catalog.create_product(db_session(), data, _user_id())
        except DomainError as err:
            form.refuse(err, _product_field)
        else:
            flash(gettext("Product %(sku)s added.", sku=product.sku), "ok")
            return redirect(url_for(".products_page", q=product.sku))
    return _product_form(None, request.form, form.errors), 422


@bp.route("/products/<path:sku>/edit", methods=["GET", "POST"])
@roles(*MANAGER)
def product_edit(sku: str):
    product = catalog.get_product(db_session(), sku)
    if request.method == "GET":
        return _product_form(product, _product_values(product))
    form = FormReader(request.form)
    changes = _read_product(form, new=False)
    if not form.errors:
        try:
            catalog.update_product(db_session(), sku, changes, _user_id())
        except DomainError as err:
            form.refuse(err, _product_field)
        else:
            flash(gettext("Product %(sku)s saved.", sku=sku), "ok")
            return redirect(url_for(".products_page", q=sku))
    return _product_form(catalog.get_product(db_session(), sku), request.form, form.errors), 422


# --- stock --------------------------------------------------------------------------------

@bp.get("/stock")
@roles(*MANAGER)
def stock_page():
    category, status = _choice_arg("category", CATEGORIES), _choice_arg("status", STATUSES)
    shown = queries.stock_page(db_session(), category, status, _page(), STOCK_PAGE_SIZE)
    return render_template("inventory/stock.html", rows=shown.rows, pager=_pager(shown.page, shown.total, STOCK_PAGE_SIZE),
                           first=(shown.page - 1) * STOCK_PAGE_SIZE, counts=shown.counts, category=category,
                           status=status, categories=CATEGORIES, statuses=STATUSES,
                           words=_words(CATEGORIES, STATUSES))


@bp.get("/stock/<path:sku>/movements")
@roles(*MANAGER)
def movements_page(sku: str):
    session = db_session()
    product = catalog.get_product(session, sku)
    kind, page = _choice_arg("kind", MOVEMENT_KINDS), _page()
    rows, total = queries.movement_history(session, sku, kind=kind, page=page, page_size=PAGE_SIZE)
    return render_template("inventory/movements.html", product=product, rows=rows, kind=kind, kinds=MOVEMENT_KINDS,
                           pager=_pager(page, total))


# --- documents with lines: receipts and write-offs ----------------------------------------

def _line_rows(form) -> list[int]:
    return sorted({int(m[1]) for key in form if (m := LINE_INPUT.fullmatch(key))})


def _read_lines(form: FormReader, with_cost: bool) -> tuple[list[dict], list[int]]:
    """The filled-in line rows as service lines, and the form row each line came from."""
    lines, rows = [], []
    for row in _line_rows(form.form):
        code, name = form.raw(f"lines-{row}-code"), f"lines-{row}-"
        if not (code or form.raw(name + "qty") or (with_cost and form.raw(name + "cost"))):
            continue
        if not code:
            form.fail(name + "code", gettext("Enter a SKU or barcode."))
        line = {"sku": queries.sku_for_code(db_session(), code) or code, "qty": form.qty(name + "qty", required=True)}
        if with_cost:
            line["unit_cost"] = form.money(name + "cost")
        lines.append(line)
        rows.append(row)
    if not lines:
        form.fail("_form", gettext("Fill in at least one line."))
    elif len(lines) > MAX_LINES:
        form.fail("_form", gettext("At most %(n)s lines per document.", n=MAX_LINES))
    return lines, rows


def _line_field(rows: list[int]) -> Callable[[str], str]:
    """`lines.2.sku` (the third filled-in line) -> `lines-7-code` (the form row it came from)."""
    def rename(field: str) -> str:
        m = re.fullmatch(r"lines\.(\d+)\.(\w+)", field)
        if not m or int(m[1]) >= len(rows):
            return field
        return f"lines-{rows[int(m[1])]}-" + {"sku": "code", "unit_cost": "cost"}.get(m[2], m[2])
    return rename


def _lines_form(template: str, values, errors: dict[str, str], fresh_id: bool = False, **context):
    rows = max([LINE_ROWS, *(r + 1 for r in _line_rows(values))])
    return render_template(template, v=values, errors=errors, rows=range(rows), form_id=_form_id(values, fresh_id),
                           **context)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def _expected_deliveries() -> list[dict]:
    """Dispatched restock requests to receive against, from the package that keeps them (suppliers
    registers the provider: inventory does not import it)."""
    provider = current_app.extensions.get("gerai_expected_deliveries")
    return provider(db_session()) if provider else []


def _prefilled(expected: list[dict], request_id: str) -> dict:
    """The receipt form filled in from an expected delivery: its supplier, lines and request."""
    found = next((e for e in expected if e["id"] == request_id), None)
    if found is None:
        return {}
    values = {"supplier": found["supplier"], "restock_request_id": found["id"]}
    for i, line in enumerate(found["lines"]):
        values[f"lines-{i}-code"] = line["sku"]
        values[f"lines-{i}-qty"] = f"{line['qty'].normalize():f}".replace(".", ",")
    return values


@bp.route("/stock/receive", methods=["GET", "POST"])
@roles(*MANAGER)
def receive_page():
    expected = _expected_deliveries()
    context = {"suppliers": queries.all_suppliers(db_session()), "expected": expected}
    if request.method == "GET":
        return _lines_form("inventory/receive.html", _prefilled(expected, request.args.get("request", "")), {},
                           **context)
    form = FormReader(request.form)
    supplier, reference, note = form.raw("supplier") or None, form.text("reference", 100), form.text("note", 500)
    restock_request_id = form.raw("restock_request_id") or None
    if restock_request_id is not None and not _is_uuid(restock_request_id):
        form.fail("restock_request_id", gettext("No such restock request."))
    lines, rows = _read_lines(form, with_cost=True)
    client_id, fresh_id = _client_id(form), False
    if not form.errors:
        try:
            doc = stock.receive_goods(db_session(), supplier, reference, lines, user_id=_user_id(), note=note,
                                      restock_request_id=restock_request_id, client_id=client_id)
        except DomainError as err:
            fresh_id = _refuse(form, err, _line_field(rows))
        else:
            _recorded(doc, gettext("Goods received: %(n)s lines (document %(id)s).", n=len(lines), id=doc.id))
            return redirect(url_for(".receive_page"))
    return _lines_form("inventory/receive.html", request.form, form.errors, fresh_id, **context), 422


@bp.route("/stock/write-off", methods=["GET", "POST"])
@roles(*MANAGER)
def write_off_page():
    context = {"reasons": WRITE_OFF_REASONS}
    if request.method == "GET":
        return _lines_form("inventory/write_off.html", {}, {}, **context)
    form = FormReader(request.form)
    reason, note = form.choice("reason", WRITE_OFF_REASONS), form.text("note", 500)
    lines, rows = _read_lines(form, with_cost=False)
    client_id, fresh_id = _client_id(form), False
    if not form.errors:
        try:
            doc = stock.write_off(db_session(), reason, lines, note=note, user_id=_user_id(), client_id=client_id)
        except DomainError as err:
            fresh_id = _refuse(form, err, _line_field(rows))
        else:
            _recorded(doc, gettext("Stock written off: %(n)s lines (document %(id)s).", n=len(lines), id=doc.id))
            return redirect(url_for(".write_off_page"))
    return _lines_form("inventory/write_off.html", request.form, form.errors, fresh_id, **context), 422


# --- stock count (opname) -----------------------------------------------------------------

def _count_form(category: str | None, values, errors: dict[str, str], printable: bool = False, fresh_id: bool = False):
    rows = queries.stock_rows(db_session(), category)
    return render_template("inventory/count_print.html" if printable else "inventory/count.html", rows=rows,
                           v=values, errors=errors, category=category, categories=CATEGORIES, now=utcnow(),
                           form_id=_form_id(values, fresh_id),
                           books={r.sku: _sheet_book(values, r.sku) or r.on_hand for r in rows})


def _sheet_book(values, sku: str) -> Decimal | None:
    """The book quantity a refused count sheet showed (kept when it comes back with its errors)."""
    try:
        return parse_qty(values.get(f"book-{sku}", "")) if values.get(f"book-{sku}") else None
    except QuantityError:
        return None


def _read_counts(form: FormReader) -> list[dict]:
    """The filled-in rows, each with the book quantity the sheet showed when it was opened (a hidden
    `book-<sku>` in the machine's writing, `12.500`): the count keeps the sales made since."""
    lines = []
    for key in request.form:
        if not (key.startswith("counted-") and form.raw(key)):
            continue
        sku = key.removeprefix("counted-")
        line = {"sku": sku, "counted": form.qty(key), "book": None}
        book = form.raw(f"book-{sku}")
        if book:
            try:
                line["book"] = parse_qty(book)
            except QuantityError:
                form.fail(key, gettext("The sheet's book quantity is not readable; open the count page again."))
        lines.append(line)
    return lines


def _count_field(lines: list[dict]) -> Callable[[str], str]:
    """`lines.3.counted` -> `counted-<that line's SKU>`."""
    def rename(field: str) -> str:
        m = re.fullmatch(r"lines\.(\d+)\.\w+", field)
        return f"counted-{lines[int(m[1])]['sku']}" if m and int(m[1]) < len(lines) else field
    return rename


@bp.route("/stock/count", methods=["GET", "POST"])
@roles(*MANAGER)
def count_page():
    category = _choice_arg("category", CATEGORIES)
    if request.method == "GET":
        return _count_form(category, {}, {}, printable=request.args.get("print") == "1")
    form = FormReader(request.form)
    note = form.text("note", 500)
    lines = _read_counts(form)
    if not lines:
        form.fail("_form", gettext("Fill in the counted quantity of at least one product."))
    client_id, fresh_id = _client_id(form), False
    if not form.errors:
        try:
            doc = stock.count_stock(db_session(), lines, note=note, user_id=_user_id(), client_id=client_id)
        except DomainError as err:
            fresh_id = _refuse(form, err, _count_field(lines))
        else:
            adjusted = sum(1 for line in doc.lines if line.movement_id)
            _recorded(doc, gettext("Stock count saved: %(n)s products counted, %(adjusted)s adjusted.", n=len(lines),
                                   adjusted=adjusted))
            return redirect(url_for(".stock_page", category=category))
    return _count_form(category, request.form, form.errors, fresh_id=fresh_id), 422
