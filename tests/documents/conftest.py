"""Every test of this folder runs twice: with the compiled fast path (portal/documents/_fastcount.c) and with the
pure-Python walker it must match (PORTAL_PURE_PYTHON_WORDCOUNT=1).

The compiled run fails, rather than skips, when the extension is not built: `make install` builds it. It also
records each time the compiled scanner handed a document back to the reference walker (`fallbacks`), so a test
can insist that the compiled path really counted (see `compiled_counts`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from portal.documents import wordcount


@dataclass
class Implementation:
    name: str
    fallbacks: list[str] = field(default_factory=list)

    @property
    def compiled(self) -> bool:
        return self.name == "compiled"


def pytest_generate_tests(metafunc):
    """Each test twice, except in modules that compare the two implementations themselves (BOTH_AT_ONCE)."""
    if "implementation" in metafunc.fixturenames and not getattr(metafunc.module, "BOTH_AT_ONCE", False):
        metafunc.parametrize("implementation", ["compiled", "reference"], indirect=True)


@pytest.fixture(autouse=True)
def implementation(request, monkeypatch) -> Implementation | None:
    if not hasattr(request, "param"):
        return None
    chosen = Implementation(request.param)
    if chosen.compiled:
        assert wordcount._fastcount is not None, "the compiled word counter is not built: run `make install`"
        monkeypatch.delenv(wordcount.PURE_PYTHON_SWITCH, raising=False)
        count_docx = wordcount.count_docx

        def recording(stream, limits, fast):
            try:
                return count_docx(stream, limits, fast)
            except wordcount._fastcount.Unsupported as handed_back:
                chosen.fallbacks.append(str(handed_back))
                raise

        monkeypatch.setattr(wordcount, "count_docx", recording)
    else:
        monkeypatch.setenv(wordcount.PURE_PYTHON_SWITCH, "1")
    return chosen


@pytest.fixture
def compiled_counts(implementation):
    """For tests of well-formed documents: the compiled run must count them itself, never hand them back."""
    yield
    assert not implementation.fallbacks, f"the compiled scanner handed back: {implementation.fallbacks}"
