#!/usr/bin/env python3
"""Benchmark shape: K self-contained copies of the real Chinook and Northwind schemas.

Usage:
    target/bench-venv/bin/python benches/shapes/corpus_scaled.py --copies K [--rows] OUT_DIR

Reads /work/shared/corpus/chinook.sql and /work/shared/corpus/northwind.sql (override
with --corpus-dir), loads each into an in-memory SQLite database and takes the stored
CREATE TABLE / CREATE INDEX text from sqlite_schema (views and sqlite_sequence are left
out). Copy N of table T is named T_kN; inside a copy, the table name, every REFERENCES
target and every index name (and its ON table) are renamed to the same copy, keeping
the original quoting style ([Album] -> [Album_k3]), so each copy is self-contained.

Writes:
    OUT_DIR/app.db     every copy's CREATE statements (verbatim apart from the
                       renames); with --rows, the corpus rows copied into every copy.
    OUT_DIR/model.sql  the same schema after four changes to every table, applied to
                       a scratch in-memory copy and dumped from sqlite_schema:
                         1. ALTER TABLE ... ADD COLUMN extra_note TEXT
                         2. CREATE INDEX "ix_<table>_<first column>" on the first column
                         3. type change of one non-key, non-FK TEXT/VARCHAR/NVARCHAR column
                            (TEXT -> VARCHAR(500), anything else -> TEXT), done SQLite's way:
                            drop the table, create it from the edited CREATE text,
                            re-create its indexes
                         4. DROP INDEX of one existing (non-automatic) index, if any
                       Tables without a candidate column (all-key tables such as
                       PlaylistTrack) or without an index skip change 3 or 4.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import time

DEFAULT_CORPUS_DIR = "/work/shared/corpus"
CORPUS_FILES = ("chinook.sql", "northwind.sql")

# --------------------------------------------------------------------------------------
# A small SQLite tokenizer: enough to find identifiers reliably (strings, comments and
# all four identifier quoting styles are recognised, so nothing inside them is touched).

_TOKEN_RE = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^']|'')*')
    | (?P<dquote>"(?:[^"]|"")*")
    | (?P<bracket>\[[^\]]*\])
    | (?P<backtick>`(?:[^`]|``)*`)
    | (?P<word>[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Tok:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    @property
    def is_ident(self):
        # In DDL SQLite also accepts a 'string' where a name is expected.
        return self.kind in ("word", "dquote", "bracket", "backtick", "string")

    @property
    def value(self):
        """The identifier's name, unquoted."""
        t = self.text
        if self.kind == "word":
            return t
        if self.kind == "bracket":
            return t[1:-1]
        q = t[0]
        return t[1:-1].replace(q + q, q)

    def kw(self, *words):
        return self.kind == "word" and self.text.upper() in words


def tokenize(sql):
    """Significant tokens (no whitespace or comments), with their source offsets."""
    out = []
    for m in _TOKEN_RE.finditer(sql):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        out.append(Tok(kind, m.group(), m.start(), m.end()))
    return out


def requote(tok, new_name):
    """new_name, quoted the way tok was quoted."""
    k = tok.kind
    if k == "bracket":
        return f"[{new_name}]"
    if k in ("dquote", "backtick", "string"):
        q = tok.text[0]
        return q + new_name.replace(q, q + q) + q
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", new_name):
        return new_name
    return '"' + new_name.replace('"', '""') + '"'


def dq(name):
    return '"' + name.replace('"', '""') + '"'


def apply_edits(sql, edits):
    """edits: [(start, end, replacement)], non-overlapping."""
    for start, end, rep in sorted(edits, key=lambda e: e[0], reverse=True):
        sql = sql[:start] + rep + sql[end:]
    return sql


def _skip_if_not_exists(toks, i):
    if i + 2 < len(toks) and toks[i].kw("IF") and toks[i + 1].kw("NOT") and toks[i + 2].kw("EXISTS"):
        return i + 3
    return i


def rename_in_ddl(sql, table_map, index_map):
    """Rename the object being created, REFERENCES targets and an index's ON table.

    Maps are keyed by lower-cased original name (SQLite names are case-insensitive).
    """
    toks = tokenize(sql)
    edits = []

    def rename(tok, mapping):
        new = mapping.get(tok.value.lower())
        if new is not None:
            edits.append((tok.start, tok.end, requote(tok, new)))

    if not toks or not toks[0].kw("CREATE"):
        raise ValueError(f"not a CREATE statement: {sql[:60]!r}")
    i = 1
    if toks[i].kw("TEMP", "TEMPORARY"):
        i += 1
    if toks[i].kw("TABLE"):
        i = _skip_if_not_exists(toks, i + 1)
        rename(toks[i], table_map)
        for j in range(i + 1, len(toks) - 1):
            if toks[j].kw("REFERENCES") and toks[j + 1].is_ident:
                rename(toks[j + 1], table_map)
    else:
        if toks[i].kw("UNIQUE"):
            i += 1
        if not toks[i].kw("INDEX"):
            raise ValueError(f"unsupported statement: {sql[:60]!r}")
        i = _skip_if_not_exists(toks, i + 1)
        rename(toks[i], index_map)
        if not toks[i + 1].kw("ON"):
            raise ValueError(f"cannot parse index: {sql[:60]!r}")
        rename(toks[i + 2], table_map)
    return apply_edits(sql, edits)


# Words that end a column's type name in a column definition.
_COLUMN_CONSTRAINT_WORDS = {
    "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
    "COLLATE", "REFERENCES", "GENERATED", "AS",
}
_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "FOREIGN", "UNIQUE", "CHECK"}


def column_type_spans(sql):
    """{column name lower: (start, end) of its declared type in sql} for a CREATE TABLE."""
    toks = tokenize(sql)
    # the column list is the first parenthesis
    i = next(k for k, t in enumerate(toks) if t.text == "(")
    depth = 0
    segments, cur = [], []
    for t in toks[i:]:
        if t.text == "(":
            depth += 1
            if depth == 1:
                continue
        elif t.text == ")":
            depth -= 1
            if depth == 0:
                segments.append(cur)
                break
        elif t.text == "," and depth == 1:
            segments.append(cur)
            cur = []
            continue
        cur.append(t)
    spans = {}
    for seg in segments:
        if not seg or (seg[0].kind == "word" and seg[0].text.upper() in _TABLE_CONSTRAINT_WORDS):
            continue
        name = seg[0].value.lower()
        j, start, end = 1, None, None
        while j < len(seg):
            t = seg[j]
            if t.kind == "word" and t.text.upper() not in _COLUMN_CONSTRAINT_WORDS:
                start = t.start if start is None else start
                end = t.end
                j += 1
            elif t.text == "(" and start is not None:
                d = 0  # type arguments, e.g. NUMERIC(10,2)
                while j < len(seg):
                    d += {"(": 1, ")": -1}.get(seg[j].text, 0)
                    if d == 0:
                        break
                    j += 1
                end = seg[j].end
                j += 1
                break
            else:
                break
        if start is not None:
            spans[name] = (start, end)
    return spans


# --------------------------------------------------------------------------------------


def load_corpus(corpus_dir):
    """[(corpus file, tables, indexes, memdb)]; tables/indexes are [(name, sql)]."""
    out = []
    for fname in CORPUS_FILES:
        path = os.path.join(corpus_dir, fname)
        with open(path, encoding="utf-8") as f:
            script = f.read()
        db = sqlite3.connect(":memory:")
        db.executescript(script)
        rows = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema "
            "WHERE type IN ('table', 'index') AND sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
        ).fetchall()
        tables = [(name, sql) for typ, name, _tbl, sql in rows if typ == "table"]
        indexes = [(name, sql) for typ, name, _tbl, sql in rows if typ == "index"]
        out.append((fname, tables, indexes, db))
    # copies are only self-contained if no two corpus files share a name
    seen = {}
    for fname, tables, indexes, _db in out:
        for name, _sql in tables + indexes:
            other = seen.setdefault(name.lower(), fname)
            if other != fname:
                raise SystemExit(f"name {name!r} is in both {other} and {fname}")
    return out


def slug(name):
    return re.sub(r"[^A-Za-z0-9_]+", "_", name)


def apply_changes(tables, indexes):
    """Apply the four changes to one copy in a scratch in-memory database.

    tables: [(name, sql)], indexes: [(name, table, sql)] of one self-contained copy.
    Returns (CREATE TABLE statements, CREATE INDEX statements, n type changes,
    n indexes dropped), read back from the scratch database's sqlite_schema.
    """
    scratch = sqlite3.connect(":memory:", isolation_level=None)
    scratch.execute("BEGIN")
    for _name, sql in tables:
        scratch.execute(sql)
    for _name, _tbl, sql in indexes:
        scratch.execute(sql)
    idx_by_table = {}
    for name, tbl, sql in indexes:
        idx_by_table.setdefault(tbl, []).append((name, sql))

    n_type = n_dropped = 0
    for name, sql in tables:
        qname = dq(name)
        info = scratch.execute(f"PRAGMA table_info({qname})").fetchall()  # cid,name,type,nn,dflt,pk
        fk_cols = {r[3].lower() for r in scratch.execute(f"PRAGMA foreign_key_list({qname})")}
        own_indexes = idx_by_table.get(name, [])

        # 4. drop one existing index (dropped first, so the rebuild below skips it)
        if own_indexes:
            scratch.execute(f"DROP INDEX {dq(own_indexes[0][0])}")
            own_indexes = own_indexes[1:]
            n_dropped += 1

        # 3. type change of one non-key TEXT/VARCHAR/NVARCHAR column
        first_col = info[0][1]
        candidates = [
            r for r in info[1:]
            if r[5] == 0
            and r[1].lower() not in fk_cols
            and re.match(r"(N?VARCHAR|TEXT)\b", r[2].upper())
        ]
        if candidates:
            col, old_type = candidates[0][1], candidates[0][2]
            new_type = "VARCHAR(500)" if old_type.upper() == "TEXT" else "TEXT"
            start, end = column_type_spans(sql)[col.lower()]
            new_sql = sql[:start] + new_type + sql[end:]
            # SQLite has no ALTER COLUMN TYPE: rebuild (no rows here, FK checks off)
            scratch.execute(f"DROP TABLE {qname}")
            scratch.execute(new_sql)
            for _iname, isql in own_indexes:
                scratch.execute(isql)
            got = [r[2] for r in scratch.execute(f"PRAGMA table_info({qname})") if r[1] == col]
            assert got == [new_type], (name, col, got, new_type)
            n_type += 1

        # 1. new nullable column
        scratch.execute(f"ALTER TABLE {qname} ADD COLUMN extra_note TEXT")
        # 2. new index on the first column
        scratch.execute(
            f"CREATE INDEX {dq(f'ix_{slug(name)}_{slug(first_col)}')} ON {qname} ({dq(first_col)})"
        )
    scratch.execute("COMMIT")

    # Tables in their BEFORE order (rebuilt ones moved to the end of sqlite_schema).
    position = {name: i for i, (name, _sql) in enumerate(tables)}
    stored = scratch.execute(
        "SELECT type, tbl_name, rowid, sql FROM sqlite_schema WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    scratch.close()
    stored.sort(key=lambda r: (position[r[1]], r[2]))
    table_sql = [r[3] for r in stored if r[0] == "table"]
    index_sql = [r[3] for r in stored if r[0] == "index"]
    return table_sql, index_sql, n_type, n_dropped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, required=True, help="number of copies K")
    ap.add_argument("--rows", action="store_true", help="copy the corpus rows into every copy")
    ap.add_argument("--corpus-dir", default=DEFAULT_CORPUS_DIR)
    ap.add_argument("out_dir")
    args = ap.parse_args(argv)
    if args.copies < 1:
        ap.error("--copies must be >= 1")
    t_start = time.perf_counter()

    corpus = load_corpus(args.corpus_dir)

    # ---- the BEFORE statements of every copy ------------------------------------------
    before_tables = []  # (table name, create sql)
    before_indexes = []  # (index name, table name, create sql)
    copy_of = {}  # copied table name -> (memdb, original name)
    for k in range(args.copies):
        sfx = f"_k{k}"
        for _fname, tables, indexes, db in corpus:
            tmap = {name.lower(): name + sfx for name, _ in tables}
            imap = {name.lower(): name + sfx for name, _ in indexes}
            for name, sql in tables:
                before_tables.append((name + sfx, rename_in_ddl(sql, tmap, imap)))
                copy_of[name + sfx] = (db, name)
            for name, sql in indexes:
                tbl = db.execute("SELECT tbl_name FROM sqlite_schema WHERE name=?", (name,)).fetchone()[0]
                before_indexes.append((name + sfx, tbl + sfx, rename_in_ddl(sql, tmap, imap)))

    # ---- app.db -----------------------------------------------------------------------------
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    db_path = os.path.join(out_dir, "app.db")
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    app = sqlite3.connect(db_path, isolation_level=None)
    app.execute("PRAGMA synchronous=OFF")  # throwaway benchmark data; not persisted
    app.execute("PRAGMA journal_mode=MEMORY")
    app.execute("PRAGMA cache_size=-1000000")  # every CREATE re-scans sqlite_schema
    app.execute("BEGIN")
    for _name, sql in before_tables:
        app.execute(sql)
    for _name, _tbl, sql in before_indexes:
        app.execute(sql)
    n_rows = 0
    if args.rows:
        cache = {}
        for name, _sql in before_tables:
            src_db, orig = copy_of[name]
            key = (id(src_db), orig)
            if key not in cache:
                cache[key] = src_db.execute(f"SELECT * FROM {dq(orig)}").fetchall()
            rows = cache[key]
            if rows:
                marks = ",".join("?" * len(rows[0]))
                app.executemany(f"INSERT INTO {dq(name)} VALUES ({marks})", rows)
                n_rows += len(rows)
    app.execute("COMMIT")
    bad = app.execute("PRAGMA foreign_key_check").fetchall()
    app.close()
    if bad:
        raise SystemExit(f"foreign_key_check failed in app.db: {bad[:5]}")
    t_db = time.perf_counter()

    # ---- model.sql: apply the changes to scratch in-memory copies --------------------
    # One scratch database per _kN copy (each copy is self-contained): SQLite re-parses
    # the whole schema on every ALTER TABLE, so one big scratch database would make
    # this quadratic in K.
    table_stmts, index_stmts = [], []
    n_type = n_dropped = 0
    per_copy = len(before_tables) // args.copies
    per_copy_idx = len(before_indexes) // args.copies
    for k in range(args.copies):
        tables = before_tables[k * per_copy:(k + 1) * per_copy]
        indexes = before_indexes[k * per_copy_idx:(k + 1) * per_copy_idx]
        t_sql, i_sql, nt, nd = apply_changes(tables, indexes)
        table_stmts += t_sql
        index_stmts += i_sql
        n_type += nt
        n_dropped += nd
    statements = table_stmts + index_stmts
    with open(os.path.join(out_dir, "model.sql"), "w", encoding="utf-8") as f:
        for stmt in statements:
            f.write(stmt.rstrip().rstrip(";") + ";\n\n")
    t_end = time.perf_counter()

    n_tables = len(before_tables)
    print(
        f"corpus_scaled: wrote {out_dir}/app.db ({args.copies} copies, {n_tables} tables, "
        f"{len(before_indexes)} indexes, {n_rows} rows), model.sql ({len(statements)} "
        f"statements; type changed in {n_type}/{n_tables} tables, index dropped in "
        f"{n_dropped}/{n_tables}) in {t_end - t_start:.2f}s (db {t_db - t_start:.2f}s, "
        f"model.sql {t_end - t_db:.2f}s)"
    )


if __name__ == "__main__":
    sys.exit(main())
