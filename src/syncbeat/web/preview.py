"""Moved to syncbeat.engine.preview (issue 14: previewing a profile is a use case every face
calls). This old name is the same module object, so code and tests written against it still
reach the real one."""

import sys

from syncbeat.engine import preview as _moved

sys.modules[__name__] = _moved
