"""The site answers only to its own host names: links built from Host cannot point elsewhere."""

from __future__ import annotations

import pytest

from hexops.settings import Settings, SettingsError


@pytest.fixture
def client_for(tmp_path):
    from hexops.bootstrap import AppContext
    from hexops.dashboard import create_app

    def make(**settings):
        app = create_app(AppContext(Settings(state_dir=tmp_path, database_url="postgresql:///unused", **settings)))
        return app.server.test_client()

    return make


def test_a_forged_host_header_gets_400_and_no_link_to_it(client_for):
    client = client_for()
    assert client.get("/healthz").status_code == 200
    for path in ("/healthz", "/ogcapi/", "/login"):
        answer = client.get(path, headers={"Host": "evil.example"})
        assert answer.status_code == 400, path
        assert b"evil.example/" not in answer.data
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8050"}).status_code == 200


def test_a_deployment_names_its_hosts(client_for):
    client = client_for(trusted_hosts=("hexops.police.example",))
    assert client.get("/healthz", headers={"Host": "hexops.police.example"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 400


@pytest.mark.parametrize("raw", ["https://hexops.example", "a.example/path", " , ", "two words"])
def test_trusted_hosts_refuse_what_is_not_a_host_name(raw):
    with pytest.raises(SettingsError, match="HEXOPS_TRUSTED_HOSTS"):
        Settings.from_env({"HEXOPS_TRUSTED_HOSTS": raw})


def test_one_address_signing_in_too_often_gets_429_and_the_form_still_answers_others(client_for):
    client = client_for(sign_ins_per_minute=3)
    answers = [client.post("/auth/login", data={"username": "no\x01body", "password": "x"}) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [303, 303, 303]
    assert answers[3].status_code == 429 and "Retry-After" in answers[3].headers
    other = client.post("/auth/login", data={"username": "no\x01body", "password": "x"},
                        environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 303
    assert client.get("/healthz").status_code == 200  # only sign-in is counted
