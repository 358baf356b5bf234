"""The ledger invariant as a property, on SQLite and PostgreSQL.

Any sequence of receipts, counts and write-offs (several lines each, some of which must be refused:
more written off than is on hand, fractional cylinders, zero or negative quantities, a product counted
twice), some of them sent two at a time from two threads, leaves every stock level equal to the sum of
its movements and never below zero; what the services accept matches a plain-Python model of the
rules, and a refused document changes nothing at all.
"""
from __future__ import annotations

import threading
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import factories as f
from gerai.errors import DomainError
from inventory import stock
from inventory.ledger import ledger_differences

UNITS = ("kg", "kg", "tabung")  # the example's products, by index: two weighed, one sold whole
LEDGER_TABLES = ("stock_levels", "stock_movements", "stock_documents", "stock_document_lines")

small = st.integers(min_value=1, max_value=6).map(Decimal)
whole = st.integers(min_value=1, max_value=25).map(Decimal)
thousandths = st.integers(min_value=1, max_value=25_000).map(lambda m: Decimal(m).scaleb(-3))
zero_or_negative = st.integers(min_value=-2, max_value=0).map(Decimal)
quantity = st.one_of(small, whole, thousandths, zero_or_negative)  # mostly fine, often refused
lines = st.lists(st.tuples(st.integers(min_value=0, max_value=len(UNITS) - 1), quantity), min_size=1, max_size=2)
document = st.tuples(st.sampled_from(("receipt", "write_off", "count")), lines)
step = st.one_of(document, document, document, st.tuples(st.just("together"), st.tuples(document, document)))
steps = st.lists(step, min_size=1, max_size=10)


def model_apply(levels: tuple[Decimal, ...], doc) -> tuple[str | None, tuple[Decimal, ...]]:
    """What the rules say: (refusal reason or None, levels after)."""
    kind, doc_lines = doc
    for i, qty in doc_lines:
        if qty < 0 or (qty == 0 and kind != "count") or (UNITS[i] == "tabung" and qty != qty.to_integral_value()):
            return "invalid", levels
    if kind == "count" and len({i for i, _ in doc_lines}) != len(doc_lines):
        return "invalid", levels
    after = list(levels)
    for i, qty in doc_lines:
        after[i] = qty if kind == "count" else after[i] + (qty if kind == "receipt" else -qty)
        if after[i] < 0:
            return "insufficient_stock", levels
    return None, tuple(after)


def post(db, skus: list[str], doc) -> str | None:
    """Send one document through the services in a session of its own: None, or the refusal's reason."""
    kind, doc_lines = doc
    session = db.session()
    try:
        if kind == "receipt":
            stock.receive_goods(session, "BULOG", "SJ-PROP", [{"sku": skus[i], "qty": q, "unit_cost": 9000}
                                                              for i, q in doc_lines])
        elif kind == "write_off":
            stock.write_off(session, "damaged", [{"sku": skus[i], "qty": q} for i, q in doc_lines])
        else:
            stock.count_stock(session, [{"sku": skus[i], "counted": q} for i, q in doc_lines])
    except DomainError as err:
        return err.reason
    finally:
        session.close()
    return None


def post_together(db, skus: list[str], docs) -> list[str | None]:
    """Both documents at the same moment from two threads, each with its own session."""
    barrier, results, errors = threading.Barrier(2), [None, None], []

    def worker(k: int) -> None:
        try:
            barrier.wait()
            results[k] = post(db, skus, docs[k])
        except BaseException as exc:  # noqa: BLE001 (reported on the main thread below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def levels_of(db, products) -> tuple[Decimal, ...]:
    by_sql = f.ledger_by_sql(db)
    return tuple(Decimal(by_sql[p.id][0]).scaleb(-3) for p in products)


def assert_invariant(db, products) -> None:
    f.assert_ledger_sound(db, {p.id for p in products})  # plain SQL
    with db.read_session() as s:
        assert [d for d in ledger_differences(s) if d[0] in {p.sku for p in products}] == []


# Safe with the function-scoped `any_db`: each example makes products of its own and checks only those
# (earlier examples' products were checked after each of their own steps), so examples cannot leak into
# each other's verdict, and a failure shrinks to the example that caused it.
@settings(max_examples=60, deadline=None, database=None, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=steps)
def test_any_sequence_of_documents_keeps_every_level_equal_to_its_ledger(any_db, plan):
    db = any_db
    with db.session() as s:
        products = [f.product(s, unit=u, category="lpg" if u == "tabung" else "sembako") for u in UNITS]
    skus = [p.sku for p in products]
    model = tuple(Decimal(0) for _ in UNITS)
    for kind, payload in plan:
        before = f.db_digest(db, LEDGER_TABLES)
        if kind == "together":
            got = post_together(db, skus, payload)
            levels = levels_of(db, products)
            serial_orders = []
            for order in ((0, 1), (1, 0)):
                reasons, state = [None, None], model
                for k in order:
                    reasons[k], state = model_apply(state, payload[k])
                serial_orders.append((reasons, state))
            assert (got, levels) in [(r, s) for r, s in serial_orders], (payload, got, levels, serial_orders)
            event(f"together: {payload[0][0]} {got[0] or 'ok'} + {payload[1][0]} {got[1] or 'ok'}")
            model = levels
            if all(r is not None for r in got):
                assert f.db_digest(db, LEDGER_TABLES) == before
        else:
            expected, after = model_apply(model, (kind, payload))
            assert post(db, skus, (kind, payload)) == expected, (kind, payload, model)
            event(f"{kind}: {expected or 'ok'}")
            if expected is not None:
                assert f.db_digest(db, LEDGER_TABLES) == before, "a refused document changed the ledger"
            model = after
            assert levels_of(db, products) == model
        assert_invariant(db, products)


def test_the_model_itself_refuses_what_the_rules_refuse():
    """Guards the oracle: a model that refused nothing would make the property vacuous."""
    start = (Decimal(2), Decimal(0), Decimal(3))
    assert model_apply(start, ("write_off", [(0, Decimal("2.001"))]))[0] == "insufficient_stock"
    assert model_apply(start, ("receipt", [(2, Decimal("0.5"))]))[0] == "invalid"
    assert model_apply(start, ("count", [(1, Decimal(1)), (1, Decimal(2))]))[0] == "invalid"
    assert model_apply(start, ("write_off", [(0, Decimal(1)), (0, Decimal("1.5"))]))[0] == "insufficient_stock"
    assert model_apply(start, ("count", [(0, Decimal("0.5")), (2, Decimal(0))])) == (
        None, (Decimal("0.5"), Decimal(0), Decimal(0)))
