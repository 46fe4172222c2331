"""Print a SQLAlchemy model's schema as SQLite CREATE statements, for
autogen's `schema: model.sql`.

    python ddl.py myapp.models:Base > model.sql

No database is touched: SQLAlchemy's mock engine hands each statement to
`dump`, compiled for SQLite.
"""
import importlib
import sys

from sqlalchemy import create_mock_engine


def main(target: str) -> None:
    module, _, name = target.partition(":")
    base = getattr(importlib.import_module(module), name or "Base")
    metadata = getattr(base, "metadata", base)
    engine = None

    def dump(sql, *multiparams, **params):
        print(str(sql.compile(dialect=engine.dialect)).strip() + ";\n")

    engine = create_mock_engine("sqlite://", dump)
    metadata.create_all(engine, checkfirst=False)


if __name__ == "__main__":
    sys.path.insert(0, ".")
    main(sys.argv[1] if len(sys.argv) > 1 else "models:Base")
