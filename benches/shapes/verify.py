#!/usr/bin/env python3
"""Check a generated shape: app.db opens, model.sql loads, and the expected changes are there.

Usage:
    python3 benches/shapes/verify.py --kind sqlalchemy|django|corpus [--changed C] OUT_DIR

Independent of the generators: it reads OUT_DIR/app.db (also through the sqlite3 CLI,
if it is installed) and loads OUT_DIR/model.sql into a fresh in-memory database (with
the CLI too), then diffs the two schemas with SQLite's own PRAGMAs:
columns added, declared types changed, indexes added / dropped, and CREATE TABLE text
changed. Expectations:
    sqlalchemy  exactly C tables change: + column c8, c1 TEXT -> VARCHAR(100),
                + index ix_tI_c8, - index ix_tI_p; every other table's stored SQL is identical
    django      exactly C tables change: + column c8, c1 text -> varchar(100),
                + one index on c8, - index ix_tI_p; every other table's stored SQL is identical
    corpus      every table: + column extra_note, + one index on its first column,
                at most one type change, at most one index dropped
Also checks that every REFERENCES target exists (for corpus: in the same _kN copy)
and runs PRAGMA integrity_check / foreign_key_check on app.db. Exit status 1 on failure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time


def schema(conn):
    tables = {}
    for (name, sql) in conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type='table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ):
        q = '"' + name.replace('"', '""') + '"'
        cols = {r[1]: r[2] for r in conn.execute(f"PRAGMA table_info({q})")}
        idx = {}
        for r in conn.execute(f"PRAGMA index_list({q})"):
            if r[3] == "c":  # created by CREATE INDEX (not pk/unique autoindex)
                iq = '"' + r[1].replace('"', '""') + '"'
                idx[r[1]] = tuple(c[2] for c in conn.execute(f"PRAGMA index_info({iq})"))
        fks = [(r[2], r[3], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list({q})")]
        tables[name] = {"sql": sql, "cols": cols, "idx": idx, "fks": fks}
    return tables


def cli_check(args_list, stdin=None):
    exe = shutil.which("sqlite3")
    if not exe:
        return "sqlite3 CLI not found (skipped)"
    p = subprocess.run([exe, *args_list], input=stdin, capture_output=True, text=True)
    if p.returncode != 0 or p.stderr.strip():
        raise SystemExit(f"sqlite3 CLI failed: {p.stderr.strip()[:500]}")
    return p.stdout.strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=("sqlalchemy", "django", "corpus"), required=True)
    ap.add_argument("--changed", type=int, help="C given to the generator (sqlalchemy/django)")
    ap.add_argument("out_dir")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    db_path = os.path.join(args.out_dir, "app.db")
    model_path = os.path.join(args.out_dir, "model.sql")
    failures = []

    # app.db through the CLI and through Python
    out = cli_check([db_path, "PRAGMA integrity_check; SELECT count(*) FROM sqlite_schema;"])
    print(f"sqlite3 CLI app.db: {out.replace(chr(10), ' / ')}")
    app = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    if app.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        failures.append("integrity_check on app.db")
    fk_bad = app.execute("PRAGMA foreign_key_check").fetchall()
    if fk_bad:
        failures.append(f"foreign_key_check on app.db: {fk_bad[:3]}")
    n_rows = 0
    before = schema(app)
    if "alembic_version" in before:
        # `alembic revision --autogenerate` creates (and commits) this empty table
        print("note: app.db has an alembic_version table (left by alembic); ignored")
        del before["alembic_version"]
    for name in before:
        q = '"' + name.replace('"', '""') + '"'
        n_rows += app.execute(f"SELECT count(*) FROM {q}").fetchone()[0]
    app.close()

    # model.sql into fresh in-memory databases (CLI and Python)
    with open(model_path, encoding="utf-8") as f:
        model_sql = f.read()
    out = cli_check([":memory:"], stdin=model_sql + "\nSELECT count(*) FROM sqlite_schema;\n")
    print(f"sqlite3 CLI :memory: < model.sql: {out} schema entries")
    mem = sqlite3.connect(":memory:")
    mem.executescript(model_sql)
    after = schema(mem)
    mem.close()
    n_stmts = sum(1 for s in model_sql.split(";\n") if s.strip())

    if set(before) != set(after):
        failures.append(
            f"table sets differ: only in app.db {sorted(set(before) - set(after))[:5]}, "
            f"only in model.sql {sorted(set(after) - set(before))[:5]}"
        )

    # referential closure
    for label, sch in (("app.db", before), ("model.sql", after)):
        lower = {n.lower() for n in sch}
        for name, t in sch.items():
            for target, _from, _to in t["fks"]:
                if target.lower() not in lower:
                    failures.append(f"{label}: {name} references missing table {target}")
                elif args.kind == "corpus":
                    m1, m2 = re.search(r"_k\d+$", name), re.search(r"_k\d+$", target)
                    if not (m1 and m2 and m1.group() == m2.group()):
                        failures.append(f"{label}: {name} references {target} in another copy")

    # diff
    changed_tables = 0
    counts = {"col+": 0, "col-": 0, "type": 0, "idx+": 0, "idx-": 0, "sql": 0}
    for name in sorted(set(before) & set(after)):
        b, a = before[name], after[name]
        col_add = sorted(set(a["cols"]) - set(b["cols"]))
        col_del = sorted(set(b["cols"]) - set(a["cols"]))
        types = sorted(
            (c, b["cols"][c], a["cols"][c])
            for c in set(a["cols"]) & set(b["cols"])
            if a["cols"][c] != b["cols"][c]
        )
        idx_add = sorted(set(a["idx"]) - set(b["idx"]))
        idx_del = sorted(set(b["idx"]) - set(a["idx"]))
        sql_changed = a["sql"] != b["sql"]
        counts["col+"] += len(col_add)
        counts["col-"] += len(col_del)
        counts["type"] += len(types)
        counts["idx+"] += len(idx_add)
        counts["idx-"] += len(idx_del)
        counts["sql"] += sql_changed
        changed = bool(col_add or col_del or types or idx_add or idx_del or sql_changed)
        changed_tables += changed

        def bad(msg):
            failures.append(f"{name}: {msg} (cols+ {col_add}, cols- {col_del}, types {types}, "
                            f"idx+ {idx_add}, idx- {idx_del}, sql changed {sql_changed})")

        if args.kind in ("sqlalchemy", "django"):
            m = re.search(r"t(\d+)$", name)
            i = int(m.group(1))
            if i < args.changed:
                ok = (
                    col_add == ["c8"] and not col_del
                    and [(c, x.upper(), y.upper()) for c, x, y in types]
                    == [("c1", "TEXT", "VARCHAR(100)")]
                    and len(idx_add) == 1 and a["idx"][idx_add[0]] == ("c8",)
                    and idx_del == [f"ix_t{i}_p"]
                )
                if args.kind == "sqlalchemy" and idx_add != [f"ix_t{i}_c8"]:
                    ok = False
                if not ok:
                    bad("expected the four changes")
            elif changed:
                bad("expected no change")
        else:
            ok = (
                col_add == ["extra_note"] and not col_del
                and len(types) <= 1
                and len(idx_add) == 1
                and a["idx"][idx_add[0]] == (list(b["cols"])[0],)
                and len(idx_del) <= 1
            )
            if not ok:
                bad("expected + extra_note, + index on first column, <= 1 type change, <= 1 index dropped")

    # examples of what changed
    if failures:
        print(f"FAILED ({len(failures)}):")
        for f in failures[:20]:
            print("  " + f)
        return 1
    print(
        f"verify {args.kind}: OK in {time.perf_counter() - t0:.2f}s: {len(before)} tables, "
        f"{n_rows} rows in app.db; model.sql {n_stmts} statements; {changed_tables} tables "
        f"changed: +{counts['col+']} columns, {counts['type']} type changes, "
        f"+{counts['idx+']} / -{counts['idx-']} indexes, {counts['sql']} CREATE TABLE texts differ"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
