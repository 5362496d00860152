"""The deployment's nginx configuration and the messages of ``python -m deploy.run`` (no process started)."""

from __future__ import annotations

import re
import socket

import pytest

from deploy import run


def test_configuration_upgrades_websockets_and_routes_by_the_affinity_cookie(tmp_path):
    conf = run.render_config(tmp_path, "127.0.0.1:8080", [8501, 8502])
    assert not re.search(r"@@[A-Z]+@@", conf), "every field of the template is filled"
    assert "listen 127.0.0.1:8080;" in conf
    assert "server 127.0.0.1:8501" in conf and "server 127.0.0.1:8502" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "hash $dashboard_affinity consistent;" in conf
    assert "add_header Set-Cookie $dashboard_set_cookie always;" in conf
    # nginx writes only in its run folder: pid, logs and temporary files.
    for directive in ("pid", "error_log", "access_log", "client_body_temp_path", "proxy_temp_path"):
        (line,) = [x.strip() for x in conf.splitlines() if x.strip().startswith(directive + " ")]
        assert line.split()[1].startswith(str(tmp_path)), line


def test_missing_nginx_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(run, "find_nginx", lambda: None)
    with pytest.raises(run.DeploymentError, match=r"apt-get install nginx"):
        run.Deployment("sqlite:///unused.sqlite").start()


def test_a_port_in_use_is_named_and_nothing_is_started(monkeypatch, tmp_path):
    monkeypatch.setattr(run, "find_nginx", lambda: "/usr/sbin/nginx")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        deployment = run.Deployment("sqlite:///unused.sqlite", processes=2, listen="127.0.0.1:0", first_port=port,
                                    run_dir=tmp_path / "run")  # fmt: skip
        with pytest.raises(run.DeploymentError, match=rf"port\(s\) {port} already in use"):
            deployment.start()
    assert deployment.apps == [] and deployment.nginx is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"processes": 0}, "--processes: between 1 and 16"),
    ({"listen": "8080"}, "give host:port"),
])  # fmt: skip
def test_bad_options_are_explained(kwargs, message):
    with pytest.raises(run.DeploymentError, match=message):
        run.Deployment("sqlite:///unused.sqlite", **kwargs)


def test_the_command_needs_a_database_for_the_dashboard(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit):
        run.main([])
    assert "give --db or set DATABASE_URL" in capsys.readouterr().err
