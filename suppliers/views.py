"""Manager pages: the signals dashboard, a product's 90 days, restock requests (printable, CSV)."""
from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gerai.auth import MANAGER
from gerai.db import utcnow
from gerai.errors import DomainError, Invalid
from gerai.extensions import database, db_session, settings
from gerai.guard import current_user, roles
from gerai.numbers import QuantityError, parse_qty
from inventory import signals
from inventory.catalog import get_product
from inventory.models import Supplier
from inventory.sales_history import daily_totals, day_date, levels_by_day, local_day, sales_totals, shop_timezone
from suppliers import auto, requests, restock, sync_client
from suppliers.chart import sales_and_stock_svg
from suppliers.models import OPEN_STATUSES, REQUEST_STATUSES, RestockRequest, RestockRequestLine

bp = Blueprint("restock_pages", __name__, template_folder="templates")
CHART_DAYS = 90
DASHBOARD_ROWS = 30  # per list: the most urgent first


@bp.record_once
def _nav(state):
    from gerai.web import add_nav

    add_nav(state.app, "/signals", "Dashboard", MANAGER, node="shop")
    add_nav(state.app, "/restock-requests", "Restock requests", MANAGER, node="shop")
    # the receive-goods page (inventory) lists what suppliers dispatched, without importing this package
    state.app.extensions["gerai_expected_deliveries"] = requests.expected_deliveries


def _sales_figures(session) -> dict:
    today = local_day(utcnow(), shop_timezone(session))
    monday = today - day_date(today).weekday()
    return {"today": sales_totals(session, today, today), "week": sales_totals(session, monday, today),
            "last_week": sales_totals(session, monday - 7, today - 7)}


@bp.get("/signals")
@roles(*MANAGER)
def dashboard():
    """At a glance: the most urgent of each list (the full lists are the API's, and the request form's)."""
    session = db_session()
    computed = signals.compute(session)
    suggestions = restock.suggestions(session, computed=computed)
    running_out = sorted((s for s in computed if s.status in ("out", "low")),
                         key=lambda s: (s.status != "out", s.days_of_cover or 0.0, s.sku))
    not_selling = sorted((s for s in computed if s.status in signals.NOT_SELLING), key=lambda s: (-s.money_tied_up, s.sku))
    open_requests = [r for r in requests.list_requests(session, limit=200) if r.status in (*OPEN_STATUSES, "draft")]
    return render_template(
        "suppliers/dashboard.html", sales=_sales_figures(session), running_out=running_out[:DASHBOARD_ROWS],
        running_out_count=len(running_out), not_selling=not_selling[:DASHBOARD_ROWS], not_selling_count=len(not_selling),
        by_supplier=restock.by_supplier(suggestions), shown=DASHBOARD_ROWS, open_requests=open_requests,
        auto_on=auto.auto_enabled(session), reason=lambda s: s.reason.text(gettext) if s.reason else "",
        sync=sync_client.status(session, configured=bool(settings().hub_url) and settings().role == "shop"))


@bp.post("/signals/sync")
@roles(*MANAGER)
def sync_now():
    """One push-and-pull round now (the background loop keeps its own rhythm)."""
    s = settings()
    try:
        hub = sync_client.hub_from_settings(s)
        result = sync_client.sync_round(database(), hub, s.tz)
    except sync_client.SyncError as err:
        flash(gettext("Sync failed: %(error)s", error=gettext(str(err))), "error")
    else:
        flash(gettext("Synced: %(pushed)s events sent, %(pulled)s received from the hub.", pushed=result.pushed,
                      pulled=result.pulled), "ok")
    return redirect(url_for(".dashboard") + "#sync")


@bp.post("/signals/auto")
@roles(*MANAGER)
def toggle_auto():
    auto.set_auto(db_session(), request.form.get("auto") == "on")
    return redirect(url_for(".dashboard"))


@bp.get("/signals/products/<path:sku>")
@roles(*MANAGER)
def product_page(sku: str):
    session = db_session()
    product = get_product(session, sku)
    sig = next((s for s in signals.compute(session, product_ids=[product.id])), None)
    if sig is None:
        abort(404)
    today = local_day(utcnow(), shop_timezone(session))
    first = today - CHART_DAYS + 1
    sold = daily_totals(session, product.id, first, today)
    levels = levels_by_day(session, product.id, first, today)
    days = list(range(first, today + 1))
    chart = sales_and_stock_svg([day_date(d) for d in days], [sold.get(d, (Decimal(0), 0))[0] for d in days],
                                [levels[d] for d in days], sold_label=gettext("Sold per day"),
                                level_label=gettext("Stock at day end"))
    lines = (session.query(RestockRequestLine).join(RestockRequest)
             .filter(RestockRequestLine.product_id == product.id).order_by(RestockRequest.created_at.desc()).limit(20).all())
    return render_template("suppliers/product.html", product=product, sig=sig, chart=chart, lines=lines,
                           reason=sig.reason.text(gettext) if sig.reason else "")


@bp.get("/restock-requests")
@roles(*MANAGER)
def request_list():
    status = request.args.get("status") or None
    if status is not None and status not in REQUEST_STATUSES:
        status = None
    return render_template("suppliers/requests.html", items=requests.list_requests(db_session(), status=status),
                           status=status, statuses=REQUEST_STATUSES)


def _lines_from_form() -> list[dict]:
    lines = []
    for sku, qty in zip(request.form.getlist("sku"), request.form.getlist("qty")):
        sku, qty = sku.strip(), qty.strip().replace(",", ".")
        if not sku and not qty:
            continue
        try:
            parsed = parse_qty(qty)
        except QuantityError:
            raise Invalid("%(sku)s: %(qty)s is not a quantity.", sku=sku, qty=qty) from None
        if parsed:
            lines.append({"sku": sku, "qty": parsed})
    return lines


@bp.route("/restock-requests/new", methods=["GET", "POST"])
@roles(*MANAGER)
def new_request():
    """From the suggestions of one supplier: one click (`from=suggestions`), or edited before sending."""
    session = db_session()
    supplier = request.values.get("supplier", "")
    if session.get(Supplier, supplier) is None:
        abort(404)
    if request.method == "POST":
        try:
            lines = ([{"sku": s.sku, "qty": s.suggested_qty} for s in restock.suggestions(session, supplier=supplier)]
                     if request.form.get("from") == "suggestions" else _lines_from_form())
            req, _ = requests.create_request(session, request.form.get("id") or str(uuid.uuid4()), supplier, lines,
                                             note=request.form.get("note", "")[:500], user_id=current_user().id)
        except DomainError as err:
            session.rollback()
            flash(gettext(err.template, **err.params) if err.params else gettext(err.template), "error")
            return redirect(url_for(".new_request", supplier=supplier))
        flash(gettext("Restock request sent to %(supplier)s.", supplier=supplier), "ok")
        return redirect(url_for(".request_page", request_id=req.id))
    items = restock.suggestions(session, supplier=supplier)
    return render_template("suppliers/new_request.html", supplier=session.get(Supplier, supplier), items=items,
                           new_id=str(uuid.uuid4()), blanks=range(5))


def _request_or_404(request_id: str) -> RestockRequest:
    try:
        uuid.UUID(request_id)
    except ValueError:
        abort(404)
    return requests.get_request(db_session(), request_id)


@bp.get("/restock-requests/<request_id>")
@roles(*MANAGER)
def request_page(request_id: str):
    req = _request_or_404(request_id)
    return render_template("suppliers/request.html", req=req, supplier=db_session().get(Supplier, req.supplier_code),
                           cancellable=req.status in requests.CANCELLABLE)


@bp.post("/restock-requests/<request_id>/cancel")
@roles(*MANAGER)
def cancel_page(request_id: str):
    _request_or_404(request_id)
    try:
        requests.cancel_request(db_session(), request_id, request.form.get("reason", "").strip() or "-",
                                user_id=current_user().id)
    except DomainError as err:
        flash(gettext(err.template, **err.params) if err.params else gettext(err.template), "error")
    return redirect(url_for(".request_page", request_id=request_id))


@bp.get("/restock-requests/<request_id>.csv")
@roles(*MANAGER)
def request_csv(request_id: str):
    req = _request_or_404(request_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["request_id", "supplier", "status", "created_at", "sku", "name", "unit", "qty", "dispatched_qty",
                     "received_qty"])
    for ln in req.lines:
        writer.writerow([req.id, req.supplier_code, req.status, req.created_at.isoformat(), ln.sku, ln.product.name,
                         ln.product.unit, ln.qty, "" if ln.dispatched_qty is None else ln.dispatched_qty,
                         ln.received_qty])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="restock-{req.id[:8]}.csv"'})


@bp.app_template_filter("local_dt")
def _local_dt(at):
    """A stored UTC moment as the shop's local date and time."""
    return "" if at is None else at.astimezone(shop_timezone(db_session())).strftime("%d/%m/%Y %H:%M")
