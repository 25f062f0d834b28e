import pytest

from portal.cli import DEMO_PASSWORD


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def test_smoke(app, client):
    app.test_cli_runner().invoke(args=["demo"])
    client.post("/sign-in", data={"email": "admin@awarding-body.example", "password": DEMO_PASSWORD})
    r = client.get("/admin/")
    with open("/tmp/dash.html", "w") as f:
        f.write(r.get_data(as_text=True))
    assert r.status_code == 200
    for url in ("/admin/applications?due=soon", "/admin/invoices"):
        assert client.get(url).status_code == 200, url
