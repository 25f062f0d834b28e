"""What `count_words` says of a file with one implementation only: for the tests that compare the compiled fast
path (and its fallback) with the pure-Python walker on the same bytes."""
from __future__ import annotations

import io
import os
from unittest import mock

from portal.documents import RefusedDocument, SafetyLimits, count_words, ooxml, wordcount


def outcome(data: bytes, *, compiled: bool, limits: SafetyLimits = ooxml.DEFAULT_LIMITS):
    """The full result as a dict, or the refusal's (code, reason): with the compiled path (`compiled`), or with the
    pure-Python walker only (PORTAL_PURE_PYTHON_WORDCOUNT=1)."""
    with mock.patch.dict(os.environ):
        if compiled:
            os.environ.pop(wordcount.PURE_PYTHON_SWITCH, None)
        else:
            os.environ[wordcount.PURE_PYTHON_SWITCH] = "1"
        try:
            return count_words(io.BytesIO(data), limits=limits).as_dict()
        except RefusedDocument as refusal:
            return refusal.code, refusal.reason
