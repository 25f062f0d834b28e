"""Screenshots of the two overviews (issue 12 §1) against the demo data, for docs/screens/ and the README.

    .venv/bin/python scripts/dashboard_screens.py [OUT_DIR]

Builds the demo (`flask demo`) in a throwaway SQLite database, serves it on a free local port, and has Debian's
Chromium (through Playwright) save the centre's overview (as Northgate's Quality contact) and the awarding body's
(as the admin holding every role) at 1280 px and 390 px wide, each the whole page. With Debian's `pngquant`
installed (`apt-get install pngquant`) each file is then reduced to 32 colours, about a fifth of its size (some 60 KB).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from portal import create_app  # noqa: E402
from portal.cli import DEMO_PASSWORD  # noqa: E402
from portal.config import DevelopmentConfig  # noqa: E402

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
PAGES = (("centre", "qc@northgate.example", "/c/northgate/staff/"),
         ("awarding-body", "admin@awarding-body.example", "/admin/"))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{work}/demo.sqlite3",
                         UPLOAD_DIR=f"{work}/uploads", JOBS_INLINE=True, REDIS_URL=None, RATELIMIT_ENABLED=False)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, (result.output, result.exception)
            # The demo admin signs in with a second factor: `flask demo` prints the key its codes come from.
            [key] = re.findall(r"add the key ([A-Z2-7]{32}) to an authenticator app", result.output)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
                for name, email, path in PAGES:  # signed in once each: a sign-in code is taken once
                    page = browser.new_page(viewport=WIDTHS["1280"], base_url=base)
                    page.goto("/sign-in")
                    page.get_by_label("Email address").fill(email)
                    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
                    page.get_by_role("button", name="Sign in", exact=True).click()
                    page.wait_for_url(f"{base}/**")
                    if page.url.endswith("/sign-in/code"):
                        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(key).now())
                        page.get_by_role("button", name="Continue").click()
                        page.wait_for_url(f"{base}/admin/**")
                    for width, viewport in WIDTHS.items():
                        page.set_viewport_size(viewport)
                        page.goto(path)
                        target = out / f"dashboard-{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        if shutil.which("pngquant"):
                            subprocess.run(["pngquant", "--force", "--skip-if-larger", "--output", str(target), "32",
                                            str(target)], check=True)
                        print(f"{target} ({target.stat().st_size // 1024} KB)")
                    page.close()
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screens")
