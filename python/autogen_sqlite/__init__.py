"""autogen for Python projects: the ``autogen`` binary this wheel installs,
and pytest checks of a project's migrations (``autogen_sqlite.testing``)."""

import os
import shutil
import subprocess
import sys
import sysconfig

__all__ = ["binary", "run"]


def binary():
    """The ``autogen`` binary: ``$AUTOGEN_BIN``, else the one installed
    beside this Python (the wheel's), else the first on PATH."""
    named = os.environ.get("AUTOGEN_BIN")
    if named:
        return named
    exe = "autogen.exe" if sys.platform == "win32" else "autogen"
    beside = os.path.join(sysconfig.get_path("scripts"), exe)
    if os.path.exists(beside):
        return beside
    found = shutil.which("autogen")
    if found:
        return found
    raise FileNotFoundError(
        "the autogen binary is not installed here: `pip install autogen-sqlite`, or set AUTOGEN_BIN"
    )


def run(*args, cwd=None, env=None):
    """Runs ``autogen ARGS`` and returns the finished process (text output)."""
    return subprocess.run(
        [binary(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
