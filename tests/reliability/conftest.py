"""Fault-injection tests (issue 10 §1, docs/reliability.md): the complaint fixtures, shared from tests/complaints."""
from tests.complaints.conftest import complain, policy_centre  # noqa: F401 - fixtures
