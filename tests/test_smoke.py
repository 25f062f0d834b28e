def test_home(client):
    assert client.get("/").status_code == 200


def test_centre_fixture(centre, other_centre, auth, client, mailbox):
    from tests.conftest import quality_contact_of

    qc = quality_contact_of(centre)
    r = auth.sign_in(qc)
    assert r.status_code == 303, r.data
    assert client.get(f"/c/{centre.slug}/staff/").status_code == 200
    assert client.get(f"/c/{other_centre.slug}/staff/").status_code == 404
    assert mailbox.to(qc.email)
