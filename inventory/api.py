"""Catalog and stock endpoints (API.md: Catalog, Stock). Parse, call one service, dump."""
from __future__ import annotations

from flask import jsonify
from flask.views import MethodView

from gerai.api import API_PREFIX, ApiBlueprint
from gerai.auth import ANY_ROLE, MANAGER
from gerai.extensions import db_session
from gerai.guard import current_user, roles
from inventory import catalog, queries, signals, stock
from inventory.empties import empties_on_hand, takes_empties
from inventory.models import Supplier
from inventory.schemas import (CountInSchema, DocumentSchema, MovementQuerySchema, MovementSchema, ProductInSchema,
                               ProductPatchSchema, ProductQuerySchema, ProductSchema, ReceiptInSchema,
                               StockQuerySchema, StockRowSchema, SupplierPatchSchema, SupplierSchema,
                               WriteOffInSchema, product_json, stock_row_json)

products_blp = ApiBlueprint("products", __name__, url_prefix=f"{API_PREFIX}/products", description="Catalog")
suppliers_blp = ApiBlueprint("suppliers", __name__, url_prefix=f"{API_PREFIX}/suppliers", description="Suppliers")
stock_blp = ApiBlueprint("stock", __name__, url_prefix=f"{API_PREFIX}/stock", description="Stock ledger")
BLUEPRINTS = (products_blp, suppliers_blp, stock_blp)


def _user_id() -> int | None:
    user = current_user()
    return user.id if user else None


@products_blp.route("")
class Products(MethodView):
    @roles(*ANY_ROLE)
    @products_blp.arguments(ProductQuerySchema, location="query")
    @products_blp.response(200, ProductSchema(many=True))
    @products_blp.paginate(page_size=50, max_page_size=queries.MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """Search products by name, SKU or barcode"""
        items, total = queries.search_products(db_session(), args["q"], args.get("category"),
                                               page=pagination_parameters.page,
                                               page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return jsonify([product_json(p) for p in items])  # plain rows in ProductSchema's shape: a scan is the till's

    @roles(*MANAGER)
    @products_blp.arguments(ProductInSchema)
    @products_blp.response(201, ProductSchema)
    @products_blp.alt_response(409, description="Duplicate SKU or barcode, or price above HET")
    def post(self, data):
        """Add a product"""
        return catalog.create_product(db_session(), data, _user_id())


@products_blp.route("/<path:sku>")  # SKUs may hold "/" (PUPUK/UREA-50)
class ProductItem(MethodView):
    @roles(*ANY_ROLE)
    @products_blp.response(200, ProductSchema)
    def get(self, sku):
        """One product"""
        return catalog.get_product(db_session(), sku)

    @roles(*MANAGER)
    @products_blp.arguments(ProductPatchSchema)
    @products_blp.response(200, ProductSchema)
    def patch(self, changes, sku):
        """Change a product (any field but the SKU); a new HET is kept in the HET history"""
        return catalog.update_product(db_session(), sku, changes, _user_id())


@suppliers_blp.route("")
class Suppliers(MethodView):
    @roles(*ANY_ROLE)
    @suppliers_blp.response(200, SupplierSchema(many=True))
    def get(self):
        """All suppliers"""
        return db_session().query(Supplier).order_by(Supplier.code).all()

    @roles(*MANAGER)
    @suppliers_blp.arguments(SupplierSchema)
    @suppliers_blp.response(201, SupplierSchema)
    @suppliers_blp.alt_response(409, description="Duplicate code")
    def post(self, data):
        """Add a supplier"""
        return catalog.create_supplier(db_session(), data)


@suppliers_blp.route("/<code>")
class SupplierItem(MethodView):
    @roles(*ANY_ROLE)
    @suppliers_blp.response(200, SupplierSchema)
    def get(self, code):
        """One supplier"""
        return catalog.get_supplier(db_session(), code)

    @roles(*MANAGER)
    @suppliers_blp.arguments(SupplierPatchSchema)
    @suppliers_blp.response(200, SupplierSchema)
    def patch(self, changes, code):
        """Change a supplier (any field but the code)"""
        return catalog.update_supplier(db_session(), code, changes)


@stock_blp.route("")
class StockList(MethodView):
    @roles(*ANY_ROLE)
    @stock_blp.arguments(StockQuerySchema, location="query")
    @stock_blp.response(200, StockRowSchema(many=True))
    def get(self, args):
        """Stock on hand per product, with its status"""
        session = db_session()
        rows = signals.compute(session, category=args.get("category"), reasons=False)
        if args.get("status"):
            rows = [r for r in rows if r.status == args["status"]]
        empties = empties_on_hand(session)  # LPG: empty cylinders beside the full ones
        return jsonify([stock_row_json(r, empties.get(r.product_id, 0) if takes_empties(r.category, r.unit) else None)
                        for r in rows])  # StockRowSchema's shape, without its per-field cost


@stock_blp.route("/<path:sku>/movements")
class Movements(MethodView):
    @roles(*MANAGER)
    @stock_blp.arguments(MovementQuerySchema, location="query")
    @stock_blp.response(200, MovementSchema(many=True))
    @stock_blp.paginate(page_size=50, max_page_size=queries.MAX_PAGE_SIZE)
    def get(self, args, sku, pagination_parameters):
        """A product's ledger, newest first, with the balance after each movement"""
        rows, total = queries.movement_history(db_session(), sku, **args, page=pagination_parameters.page,
                                               page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return rows


def _document_answer(doc):
    """The document with its movements: 201 when recorded now, 200 when a retry found it recorded."""
    doc.movements = queries.movements_by_ids(db_session(), [ln.movement_id for ln in doc.lines if ln.movement_id])
    return doc, 201 if doc.created else 200


def _client_id(data) -> str | None:
    return str(data["id"]) if data["id"] else None


RETRY = "A retry (same `id`, same body) of a recorded document: the stored document; nothing changed"
ID_REUSED = "document_id_reused: the `id` was used for a document with different content"


@stock_blp.route("/receipts")
class Receipts(MethodView):
    @roles(*MANAGER)
    @stock_blp.arguments(ReceiptInSchema)
    @stock_blp.response(201, DocumentSchema)
    @stock_blp.alt_response(200, schema=DocumentSchema, description=RETRY)
    @stock_blp.alt_response(409, description=ID_REUSED + "; insufficient_empties")
    def post(self, data):
        """Receive goods from a supplier; a retry with the same id and body answers the stored receipt"""
        request_id = data["restock_request_id"]
        doc = stock.receive_goods(db_session(), data["supplier"], data["reference"], data["lines"], note=data["note"],
                                  user_id=_user_id(), restock_request_id=str(request_id) if request_id else None,
                                  empties_returned=data["empties_returned"], client_id=_client_id(data))
        return _document_answer(doc)


@stock_blp.route("/counts")
class Counts(MethodView):
    @roles(*MANAGER)
    @stock_blp.arguments(CountInSchema)
    @stock_blp.response(201, DocumentSchema)
    @stock_blp.alt_response(200, schema=DocumentSchema, description=RETRY)
    @stock_blp.alt_response(409, description="count_below_zero: since the sheet's book quantity, more went out "
                                             "than the count leaves; " + ID_REUSED)
    def post(self, data):
        """Record a stock count (opname): one adjustment per product whose count differs

        The shop may keep selling while people count. A line's `book` is the quantity the count sheet
        showed (the count page sends it): the adjustment is then `counted - book`, applied to the stock
        as it is when the count is saved, so the sales made since the sheet are kept. Without `book`
        the counted quantity replaces the current stock. Each line's `expected` is the book quantity used.
        """
        return _document_answer(stock.count_stock(db_session(), data["lines"], note=data["note"], user_id=_user_id(),
                                                  client_id=_client_id(data)))


@stock_blp.route("/write-offs")
class WriteOffs(MethodView):
    @roles(*MANAGER)
    @stock_blp.arguments(WriteOffInSchema)
    @stock_blp.response(201, DocumentSchema)
    @stock_blp.alt_response(200, schema=DocumentSchema, description=RETRY)
    @stock_blp.alt_response(409, description="insufficient_stock; " + ID_REUSED)
    def post(self, data):
        """Write off damaged, expired or lost stock; a retry with the same id and body answers the stored write-off"""
        return _document_answer(stock.write_off(db_session(), data["reason"], data["lines"], note=data["note"],
                                                user_id=_user_id(), client_id=_client_id(data)))
