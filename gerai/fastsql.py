"""Core statements compiled once and run straight on the SQLite driver, for the few hot paths.

On SQLite a sale's statements cost a few microseconds each in the database, while SQLAlchemy's
per-execution machinery (execution context, parameter construction per row, result wrapping)
costs tens. `Prepared` keeps a statement a Core construct, so its SQL is SQLAlchemy's own for
the dialect, but compiles it once and runs it on the DBAPI cursor of the session's connection,
converting each value with its column type's own bind processor (quantities to thousandths,
UTC datetimes to SQLite's text). Inside the same transaction as everything else.

Any other dialect (PostgreSQL on the hub) takes the ordinary Core path, unchanged. Statements
given here must list every column they write: Python-side column defaults are not applied.
"""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa

Row = dict[str, Any]


class Prepared:
    """One Core statement; `execute`, `executemany` and `scalar` take plain dicts of parameters."""

    def __init__(self, stmt: sa.Executable) -> None:
        self.stmt = stmt
        self._results: tuple | None = None
        self._compiled: dict[tuple[str, ...], tuple[str, tuple[str, ...], tuple, tuple]] = {}

    def _sqlite(self, conn: sa.Connection, keys: Iterable[str]) -> tuple:
        """(sql, [(name, processor, from_row, literal)]) for this set of parameter names, compiled once."""
        key = tuple(keys)
        found = self._compiled.get(key)
        if found is None:
            dialect = conn.dialect
            compiled = self.stmt.compile(dialect=dialect, column_keys=list(key))
            slots = []
            for name in compiled.positiontup or ():
                bind = compiled.binds[name]
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                # a name the caller does not give is a literal the statement carries (`count + 1`)
                slots.append((name, processor, name in key, bind.value))
            found = self._compiled[key] = (compiled.string, tuple(slots))
        return found

    @staticmethod
    def _values(plan: tuple, rows: list[Row]) -> list[tuple]:
        """Each row's values in placeholder order, through their bind processors, column by
        column; a value every row shares (the sale's time) is converted once."""
        slots = plan[1]
        if not slots:
            return [()] * len(rows)
        columns = []
        for name, proc, from_row, literal in slots:
            column = [row[name] for row in rows] if from_row else [literal] * len(rows)
            if proc is not None:
                first = column[0]
                if first is not None and column.count(first) == len(column):  # a pure function of the value
                    column = [proc(first)] * len(column)
                else:
                    column = [None if v is None else proc(v) for v in column]
            columns.append(column)
        return list(zip(*columns))

    def execute(self, conn: sa.Connection, params: Row | None = None):
        """Run once; on SQLite returns the DBAPI cursor (fetch raw values from it)."""
        params = params or {}
        if conn.dialect.name != "sqlite":
            return conn.execute(self.stmt, params)
        plan = self._sqlite(conn, params.keys())
        values = self._values(plan, [params])[0]
        try:
            return conn.connection.driver_connection.cursor().execute(plan[0], values)
        except conn.dialect.loaded_dbapi.Error as err:
            raise _wrapped(conn, plan[0], values, err) from err

    def all(self, conn: sa.Connection, params: Row | None = None) -> list[tuple]:
        """A SELECT's rows as tuples, each value through its column type's result processor."""
        if conn.dialect.name != "sqlite":
            return [tuple(row) for row in conn.execute(self.stmt, params or {})]
        rows = self.execute(conn, params).fetchall()
        processors = self._result_processors(conn)
        if not rows or not any(processors):
            return rows
        columns = [list(c) if p is None else [None if v is None else p(v) for v in c]
                   for p, c in zip(processors, zip(*rows))]
        return list(zip(*columns))

    def _result_processors(self, conn: sa.Connection) -> tuple:
        if self._results is None:
            dialect = conn.dialect
            self._results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                                  for c in self.stmt.selected_columns)
        return self._results

    def scalar(self, conn: sa.Connection, params: Row | None = None) -> Any:
        """The first column of the first row (raw: use for integers and text)."""
        result = self.execute(conn, params)
        row = result.fetchone()
        return None if row is None else row[0]

    def executemany(self, conn: sa.Connection, rows: list[Row]) -> None:
        if not rows:
            return
        if conn.dialect.name != "sqlite":
            conn.execute(self.stmt, rows)
            return
        plan = self._sqlite(conn, rows[0].keys())
        values = self._values(plan, rows)
        try:
            conn.connection.driver_connection.cursor().executemany(plan[0], values)
        except conn.dialect.loaded_dbapi.Error as err:
            raise _wrapped(conn, plan[0], values, err) from err


def _wrapped(conn: sa.Connection, sql: str, params, err: Exception) -> sa.exc.DBAPIError:
    """The driver's error as the SQLAlchemy exception Core would have raised (IntegrityError...)."""
    return sa.exc.DBAPIError.instance(sql, params, err, conn.dialect.loaded_dbapi.Error)


def last_rowids(conn: sa.Connection, count: int) -> list[int]:
    """SQLite: the rowids of the last `count` rows one executemany inserted, in insertion order.

    Under the write lock (BEGIN IMMEDIATE) each new row gets the largest rowid plus one
    (sqlite.org/autoinc.html), so the rows of one executemany carry consecutive ids.
    """
    last = conn.connection.driver_connection.execute("SELECT last_insert_rowid()").fetchone()[0]
    return list(range(last - count + 1, last + 1))


class PreparedIn:
    """A family of `Prepared` statements with an `IN (...)` of n placeholders, one per n.

    `build(binds)` makes the statement for a list of n bind parameters named `in_0`...; `all`
    takes the values of the list and the other parameters.
    """

    def __init__(self, build) -> None:
        self.build = build
        self._by_count: dict[int, Prepared] = {}

    def all(self, conn: sa.Connection, values: list, params: Row | None = None) -> list[tuple]:
        prepared = self._by_count.get(len(values))
        if prepared is None:
            binds = [sa.bindparam(f"in_{i}") for i in range(len(values))]
            prepared = self._by_count[len(values)] = Prepared(self.build(binds))
        return prepared.all(conn, {**(params or {}), **{f"in_{i}": v for i, v in enumerate(values)}})
