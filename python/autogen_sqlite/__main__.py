"""``python -m autogen_sqlite ARGS``: the same as ``autogen ARGS``."""

import subprocess
import sys

from . import binary

sys.exit(subprocess.call([binary(), *sys.argv[1:]]))
