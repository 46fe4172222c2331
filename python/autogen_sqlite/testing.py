"""pytest checks of a project's migrations, after pytest-alembic's four
built-in tests. Import them into a test file:

    from autogen_sqlite.testing import (  # noqa: F401
        test_model_matches, test_single_head, test_up_down_consistency, test_upgrade,
    )

They find ``autogen.yaml`` from pytest's rootdir (or ``$AUTOGEN_CONFIG``),
honour its ``exclude:``, never touch the project's database (each works on a
scratch database or in memory), and fail with autogen's own report: the SQL
and what differs, not Python reprs.
"""

import os

try:
    import pytest
except ImportError as e:  # pragma: no cover
    raise ImportError("autogen_sqlite.testing holds pytest tests: install pytest (pip install pytest)") from e

from . import run

__all__ = ["test_single_head", "test_upgrade", "test_model_matches", "test_up_down_consistency"]


def _config(pytestconfig):
    named = os.environ.get("AUTOGEN_CONFIG")
    if named:
        return os.path.abspath(named)
    root = str(pytestconfig.rootpath)
    path = os.path.join(root, "autogen.yaml")
    if not os.path.exists(path):
        pytest.fail(
            "no autogen.yaml in pytest's rootdir (%s): set AUTOGEN_CONFIG to the project's config" % root,
            pytrace=False,
        )
    return path


def _autogen(pytestconfig, *args, database=None):
    config = _config(pytestconfig)
    words = ["--config", config]
    if database is not None:
        words += ["--database", str(database)]
    return run(*words, *args, cwd=os.path.dirname(config))


def _fail(what, done):
    report = (done.stdout + done.stderr).strip()
    pytest.fail("%s\n\n%s" % (what, report), pytrace=False)


def test_single_head(pytestconfig):
    """The revisions have one head: a new revision has one place to go."""
    done = _autogen(pytestconfig, "heads")
    heads = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(heads) > 1:
        _fail("the revisions have %d heads: merge them (`autogen merge -m MESSAGE heads`)" % len(heads), done)


def test_upgrade(pytestconfig, tmp_path):
    """Every revision runs from base to head on a new database."""
    done = _autogen(pytestconfig, "upgrade", "head", database=tmp_path / "scratch.db")
    if done.returncode != 0:
        _fail("`autogen upgrade head` failed on a new database", done)


def test_model_matches(pytestconfig, tmp_path):
    """After `upgrade head` the database is the model: no revision is missing."""
    scratch = tmp_path / "scratch.db"
    done = _autogen(pytestconfig, "upgrade", "head", database=scratch)
    if done.returncode != 0:
        _fail("`autogen upgrade head` failed on a new database", done)
    done = _autogen(pytestconfig, "check", database=scratch)
    if done.returncode != 0:
        _fail("the model has changes no revision makes: run `autogen revision --autogenerate -m MESSAGE`", done)


def test_up_down_consistency(pytestconfig):
    """Each revision runs up, down and up again, leaving what it found: a
    revision that cannot go down is named."""
    done = _autogen(pytestconfig, "check", "--replay", "--stairway")
    # Exit 1 also says the model has changes no revision makes: that is
    # test_model_matches's finding, not this one's.
    stairway_failed = "The stairway" in done.stdout or "error[AG501]" in done.stdout
    if done.returncode not in (0, 1) or stairway_failed:
        _fail("a revision does not go down to where it started", done)
