# What autogen's dumpers share (prepended to each): how they fail, and
# where in the app an exception came from.
import os
import sys
import traceback


def fail(message, code=3):
    """One `autogen: ` line autogen puts at the head of its error, then exit."""
    sys.stderr.write("autogen: " + message + "\n")
    sys.exit(code)


def failed(what, e):
    """The app's exception `e` while doing `what`, from inside its `except`:
    the traceback, then the summary line with the exception and the app's
    file:line."""
    traceback.print_exc()
    fail("%s failed: %s: %s%s" % (what, type(e).__name__, e, where(e.__traceback__)))


def where(tb):
    """The innermost frame of the app's own code (else the innermost):
    the file and line that a user fixes."""
    frames = traceback.extract_tb(tb)
    here = os.getcwd() + os.sep
    own = [f for f in frames if f.filename.startswith(here) and "site-packages" not in f.filename]
    frame = (own or frames or [None])[-1]
    if frame is None:
        return ""
    name = frame.filename[len(here):] if frame.filename.startswith(here) else frame.filename
    return " (at %s:%d)" % (name, frame.lineno)
