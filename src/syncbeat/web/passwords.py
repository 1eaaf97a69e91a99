"""Moved to syncbeat.engine.passwords (issue 14: accounts and tokens are use cases every face calls,
not the web's). This old name is the same module object, so code and tests written against it
(and their monkeypatches) still reach the real one."""

import sys

from syncbeat.engine import passwords as _moved

sys.modules[__name__] = _moved
