"""The browser fixtures of tests/e2e (live server, Chromium, axe-core) for the learner and catalogue pages."""
from tests.e2e.conftest import (  # noqa: F401 - re-exported fixtures
    app_overrides,
    axe,
    browser_context_args,
    browser_problems,
    browser_type_launch_args,
    context,
    live_server,
    new_browser_context,
    new_browser_page,
    page,
    server_socket,
    sign_in,
)
