"""Crash drills: `gerai serve` killed with SIGKILL at random moments while tills sell and the manager
receives goods, then restarted on the same database, several rounds.

Promised (README, "Operations"): every sale and goods receipt the server answered with a 2xx is in
the database exactly once with its ledger entries; a sale or goods receipt sent but not answered
is retried with the same id and body after the restart and is then recorded once (200 if it had
been committed before the kill, 201 if not), never twice; receipt numbers stay gapless;
`gerai check-ledger` (database file and ledger) exits 0.

GERAI_DRILL_ROUNDS (default 3) sets the number of kills; GERAI_DRILL_SEED replays a run.
"""
from __future__ import annotations

import http.client
import os
import random
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field

from durability_helpers import CASHIERS, Http, free_port, gerai_cli, kill, once, sale_body, serve, set_up_shop, shop_env

ROUNDS = int(os.environ.get("GERAI_DRILL_ROUNDS", "3"))
SEED = int(os.environ.get("GERAI_DRILL_SEED", str(random.SystemRandom().randrange(10**6))))
def receipt_body(rng: random.Random) -> dict:
    return {"id": str(uuid.uuid4()), "supplier": "DR", "reference": f"DRILL-{uuid.uuid4().hex[:16]}",
            "lines": [{"sku": "DR-GULA", "qty": rng.randint(1, 20), "unit_cost": 9000},
                      {"sku": "DR-BERAS", "qty": "12.5", "unit_cost": 11000}]}


@dataclass
class Books:
    """What the clients were told, and what they sent without an answer."""
    sales: dict = field(default_factory=dict)  # id -> (number, total, line count)
    receipts: dict = field(default_factory=dict)  # reference -> (client id, line count)
    unanswered_sales: list = field(default_factory=list)  # (the till's token, body)
    unanswered_receipts: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def till(port: int, token: str, books: Books, seed: int, stop: threading.Event) -> None:
    rng, client = random.Random(seed), Http(port, token)
    try:
        while not stop.is_set():
            body = sale_body(rng)
            try:
                status, answer = client.call("POST", "/sales", body)
            except (OSError, http.client.HTTPException):
                with books.lock:
                    books.unanswered_sales.append((token, body))
                return
            with books.lock:
                if status in (200, 201):
                    books.sales[body["id"]] = (answer["number"], answer["total"], len(body["lines"]))
                elif status == 503:  # busy: nothing was done; the till sends it again later
                    books.unanswered_sales.append((token, body))
                else:
                    books.unexpected.append(("sale", status, answer))
    finally:
        client.close()


def receiver(port: int, token: str, books: Books, seed: int, stop: threading.Event) -> None:
    rng, client = random.Random(seed), Http(port, token)
    try:
        while not stop.is_set():
            body = receipt_body(rng)
            try:
                status, answer = client.call("POST", "/stock/receipts", body)
            except (OSError, http.client.HTTPException):
                with books.lock:
                    books.unanswered_receipts.append(body)
                return
            with books.lock:
                if status == 201:
                    books.receipts[body["reference"]] = (body["id"], len(body["lines"]))
                elif status == 503:
                    books.unanswered_receipts.append(body)
                else:
                    books.unexpected.append(("receipt", status, answer))
            time.sleep(rng.uniform(0, 0.05))  # deliveries come less often than sales
    finally:
        client.close()


def resend_unanswered(port: int, manager: str, books: Books) -> dict:
    """After a restart: every unanswered sale and receipt again, blindly, with the same id and body."""
    seen = {"committed_before_kill": 0, "recorded_on_retry": 0, "receipts_committed_before_kill": 0,
            "receipts_recorded_on_retry": 0}
    for token, body in books.unanswered_sales:  # by the till that sent it
        status, answer = once(port, "POST", "/sales", body, token)
        assert status in (200, 201), (status, answer)
        seen["committed_before_kill" if status == 200 else "recorded_on_retry"] += 1
        books.sales[body["id"]] = (answer["number"], answer["total"], len(body["lines"]))
    for body in books.unanswered_receipts:
        status, answer = once(port, "POST", "/stock/receipts", body, manager)
        assert status in (200, 201), (status, answer)
        assert (answer["client_id"], answer["reference"], len(answer["movements"])) == (
            body["id"], body["reference"], len(body["lines"])), answer
        seen["receipts_committed_before_kill" if status == 200 else "receipts_recorded_on_retry"] += 1
        books.receipts[body["reference"]] = (body["id"], len(body["lines"]))
    books.unanswered_sales.clear()
    books.unanswered_receipts.clear()
    return seen


def verify(db_file, books: Books) -> None:
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        stored = {sid: (number, total) for sid, number, total in con.execute("SELECT id, number, total FROM sales")}
        assert set(stored) == set(books.sales), "a sale is missing, or one nobody was told about is there"
        for sid, (number, total, lines) in books.sales.items():
            assert stored[sid] == (number, total), sid
        lines = dict(con.execute("SELECT sale_id, count(*) FROM sale_lines GROUP BY sale_id").fetchall())
        moves = dict(con.execute("SELECT source_id, count(*) FROM stock_movements WHERE kind = 'sale' "
                                 "GROUP BY source_id").fetchall())
        for sid, (_, _, n) in books.sales.items():
            assert lines.get(sid) == n and moves.get(sid) == n, f"sale {sid}: {lines.get(sid)} lines, {moves.get(sid)} movements"
        assert set(moves) == set(books.sales)
        numbers = [n for (n,) in con.execute("SELECT number FROM sales ORDER BY number")]
        assert numbers == list(range(1, len(numbers) + 1))  # gapless across every kill
        docs = {ref: (client_id, n) for client_id, ref, n in con.execute(
            "SELECT d.client_id, d.reference, (SELECT count(*) FROM stock_movements m WHERE m.kind = 'receipt' "
            "AND m.source_type = 'stock_document' AND m.source_id = CAST(d.id AS TEXT)) FROM stock_documents d "
            "WHERE d.kind = 'receipt' AND d.reference LIKE 'DRILL-%'")}
        refs = [ref for (ref,) in con.execute("SELECT reference FROM stock_documents WHERE reference LIKE 'DRILL-%'")]
        assert len(refs) == len(set(refs)), "a receipt was recorded twice"
        assert set(docs) == set(books.receipts)
        for ref, (client_id, n) in books.receipts.items():
            assert docs[ref] == (client_id, n), f"receipt {ref}: {docs[ref]}, sent as {client_id} with {n} lines"
    finally:
        con.close()


def test_sigkill_at_random_moments_loses_no_acknowledged_write(tmp_path):
    rng = random.Random(SEED)
    instance = tmp_path / "instance"
    env, port, log = shop_env(instance), free_port(), tmp_path / "server.log"
    db_file = instance / "gerai.db"
    tokens, manager, server = set_up_shop(env, port, log)
    kill(server)
    books, totals = Books(), {"kills": 0, "committed_before_kill": 0, "recorded_on_retry": 0,
                              "receipts_committed_before_kill": 0, "receipts_recorded_on_retry": 0}
    for _ in range(ROUNDS):
        server = serve(env, port, log)
        try:
            for key, n in resend_unanswered(port, manager, books).items():
                totals[key] += n
            stop = threading.Event()
            workers = [threading.Thread(target=till, args=(port, tokens[name], books, rng.randrange(10**9), stop))
                       for name in CASHIERS for _ in range(2)]
            workers.append(threading.Thread(target=receiver, args=(port, manager, books, rng.randrange(10**9), stop)))
            for w in workers:
                w.start()
            time.sleep(rng.uniform(0.3, 2.0))  # a random moment of selling and receiving
            kill(server)
            totals["kills"] += 1
            stop.set()
            for w in workers:
                w.join(30)
        finally:
            kill(server)
    server = serve(env, port, log)  # the last restart: resend what the last kill left unanswered
    try:
        for key, n in resend_unanswered(port, manager, books).items():
            totals[key] += n
    finally:
        kill(server, sig=15)
    assert not books.unexpected, books.unexpected[:5]
    verify(db_file, books)
    check = gerai_cli(env, "check-ledger", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert len(books.sales) >= ROUNDS and books.receipts
    print(f"\ncrash drill (seed {SEED}): {totals['kills']} SIGKILLs; {len(books.sales)} sales and {len(books.receipts)} "
          f"receipts acknowledged and verified exactly once; unanswered sales resent with the same id: "
          f"{totals['committed_before_kill']} had been committed (200), {totals['recorded_on_retry']} recorded on retry "
          f"(201); unanswered receipts resent with the same id: {totals['receipts_committed_before_kill']} had been committed "
          f"(200), {totals['receipts_recorded_on_retry']} recorded on retry (201)")
