"""Serve the dashboard as several processes on one database behind nginx, on this machine.

    python -m deploy.run --db postgresql+psycopg://user@host/db [--processes 2]
        [--listen 127.0.0.1:8080] [--first-port 8501] [--run-dir DIR] [--app serve.py]

It starts ``--processes`` copies of ``streamlit run serve.py`` on ``127.0.0.1`` (ports ``--first-port``,
``--first-port + 1``, ...), each with ``DATABASE_URL`` set to ``--db`` (default: the environment's
``DATABASE_URL``), waits until each answers its health check, then writes ``deploy/nginx.conf`` with
those ports into the run folder and starts nginx in front of them, listening on ``--listen``. nginx runs
as a child of this command (``daemon off``) with its pid file, logs and temporary files in the run
folder: it never touches the system service or ``/etc/nginx``.

Ctrl-C or SIGTERM stops nginx (graceful: open websockets are closed), then the app processes, and
removes the run folder unless ``--run-dir`` named it; nothing is left running. If an app process or
nginx dies, the others are stopped and the command exits 1, so a supervisor (systemd) can restart the
whole set. ``--app`` serves another script the same way (the benchmarks' floor app).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
TEMPLATE = DEPLOY / "nginx.conf"
APP = ROOT / "serve.py"
STOP_SECONDS = 10


class DeploymentError(RuntimeError):
    """The stack could not start; the message says what to do."""


def find_nginx() -> str | None:
    """The nginx binary (Debian installs it in /usr/sbin, which a user's PATH may lack), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def render_config(run_dir: Path, listen: str, ports: list[int], template: Path = TEMPLATE) -> str:
    """``deploy/nginx.conf`` with its run folder, listening address and app ports filled in."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in ports)
    text = template.read_text(encoding="utf-8")
    return text.replace("@@RUN@@", str(run_dir)).replace("@@LISTEN@@", listen).replace("@@SERVERS@@", servers)


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (connections closing there, in TIME_WAIT, do not
    count: nginx and the app servers bind with SO_REUSEADDR too)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float) -> bool:
    """True once ``url``/_stcore/health answers 200; False if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Send ``sig``, wait up to ``STOP_SECONDS``, then kill: the process is gone when this returns."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_SECONDS)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


class Deployment:
    """N app processes on one database and nginx in front, all on this machine.

    Use as a context manager (``with Deployment(url) as d: ... d.url``) or call :meth:`start` and
    :meth:`stop`. ``listen`` is nginx's address (``host:port``; port 0 picks a free one);
    ``first_port`` 0 gives the app processes free ports.
    """

    def __init__(
        self,
        db_url: str | None,
        processes: int = 2,
        listen: str = "127.0.0.1:8080",
        first_port: int = 8501,
        run_dir: Path | None = None,
        app: Path = APP,
        start_seconds: float = 120,
    ) -> None:
        if not 1 <= processes <= 16:
            raise DeploymentError("--processes: between 1 and 16 (at most one per core is useful)")
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise DeploymentError(f"--listen {listen!r}: give host:port, e.g. 127.0.0.1:8080")
        self.db_url = db_url
        self.count = processes
        self.host, self.port = host, int(port)
        self.first_port = first_port
        self.app = Path(app).resolve()
        self.start_seconds = start_seconds
        self._given_run_dir = run_dir
        self.run_dir: Path | None = None
        self.ports: list[int] = []
        self.apps: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        self._logs: list = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def app_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def pids(self) -> list[int]:
        """The app processes' ids (for ``ps``: memory per process)."""
        return [p.pid for p in self.apps]

    def _choose_ports(self) -> None:
        if self.port == 0:
            self.port = _free_port(self.host)
        wanted = (
            [_free_port("127.0.0.1") for _ in range(self.count)]
            if self.first_port == 0
            else list(range(self.first_port, self.first_port + self.count))
        )
        busy = [p for p in wanted if not port_is_free("127.0.0.1", p)]
        if not port_is_free(self.host, self.port):
            busy.insert(0, self.port)
        if busy:
            raise DeploymentError(
                f"port(s) {', '.join(map(str, busy))} already in use: stop what listens there, or choose "
                "--listen / --first-port"
            )
        self.ports = wanted

    def start(self) -> Deployment:
        nginx = find_nginx()
        if nginx is None:
            raise DeploymentError("nginx is not installed: apt-get install nginx (Debian's package)")
        if not self.app.exists():
            raise DeploymentError(f"no app script at {self.app}")
        self._choose_ports()
        if self._given_run_dir is not None:
            self.run_dir = Path(self._given_run_dir).resolve()
            self.run_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.run_dir = Path(tempfile.mkdtemp(prefix="dashboard-deploy-"))
            # nginx workers run as an unprivileged user when it is started as root; they only need
            # to read the folder (nothing secret is written here: the cookie secret is in the
            # processes' environment).
            self.run_dir.chmod(0o755)
        try:
            self._start_apps()
            self._start_nginx(nginx)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_apps(self) -> None:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if self.db_url:
            env["DATABASE_URL"] = self.db_url
        # One secret for all processes, so a cookie Streamlit signs in one is valid in another
        # should a reader's requests ever move (a process restarted).
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_hex(32)
        for port in self.ports:
            log = open(self.run_dir / f"app-{port}.log", "w")  # noqa: SIM115 - closed in stop()
            self._logs.append(log)
            command = [sys.executable, "-m", "streamlit", "run", str(self.app), "--server.port", str(port),
                       "--server.address", "127.0.0.1", "--server.headless", "true",
                       "--browser.gatherUsageStats", "false"]  # fmt: skip
            self.apps.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        for port, proc, url in zip(self.ports, self.apps, self.app_urls, strict=True):
            if not wait_healthy(url, proc, self.start_seconds):
                raise DeploymentError(
                    f"the app process on port {port} did not start:\n{_tail(self.run_dir / f'app-{port}.log')}"
                )

    def _nginx_command(self, nginx: str, *extra: str) -> list[str]:
        conf = self.run_dir / "nginx.conf"
        return [nginx, "-p", str(self.run_dir), "-c", str(conf), "-e", str(self.run_dir / "error.log"), *extra]

    def _start_nginx(self, nginx: str) -> None:
        (self.run_dir / "nginx.conf").write_text(
            render_config(self.run_dir, f"{self.host}:{self.port}", self.ports), encoding="utf-8"
        )
        checked = subprocess.run(self._nginx_command(nginx, "-t", "-q"), capture_output=True, text=True)
        if checked.returncode != 0:
            raise DeploymentError(f"nginx refused the configuration:\n{checked.stderr.strip()}")
        log = open(self.run_dir / "nginx.out", "w")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        self.nginx = subprocess.Popen(
            self._nginx_command(nginx, "-g", "daemon off;"), stdout=log, stderr=subprocess.STDOUT
        )
        if not wait_healthy(self.url, self.nginx, 30):
            raise DeploymentError(
                f"nginx did not answer on {self.url}:\n{_tail(self.run_dir / 'error.log')}"
                f"{_tail(self.run_dir / 'nginx.out')}"
            )

    def failed(self) -> str:
        """Which process has exited (empty while all run)."""
        if self.nginx is not None and self.nginx.poll() is not None:
            return f"nginx exited ({self.nginx.returncode}): see {self.run_dir / 'error.log'}"
        for port, proc in zip(self.ports, self.apps, strict=False):
            if proc.poll() is not None:
                return f"the app process on port {port} exited ({proc.returncode}): see {self.run_dir}/app-{port}.log"
        return ""

    def stop(self) -> None:
        """nginx first (SIGQUIT: graceful), then every app process; each is waited for."""
        if self.nginx is not None:
            stop_process(self.nginx, signal.SIGQUIT)
        for proc in self.apps:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.apps:
            stop_process(proc)
        for log in self._logs:
            log.close()
        self._logs.clear()
        if self._given_run_dir is None and self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.run", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"), help="database URL (default: DATABASE_URL)")
    parser.add_argument("--processes", type=int, default=2, help="app processes (at most one per core)")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx's address, host:port")
    parser.add_argument("--first-port", type=int, default=8501, help="the first app process's port on 127.0.0.1")
    parser.add_argument("--run-dir", type=Path, help="folder for nginx.conf, logs and pid (kept); default temporary")
    parser.add_argument("--app", type=Path, default=APP, help="the script to serve (default serve.py)")
    args = parser.parse_args(argv)
    if not args.db and args.app.resolve() == APP:
        parser.error("give --db or set DATABASE_URL: every process must read the same database (PostgreSQL)")
    deployment = Deployment(args.db, args.processes, args.listen, args.first_port, args.run_dir, args.app)

    def _terminate(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        deployment.start()
    except DeploymentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(
        f"serving {deployment.url} ({deployment.count} app process(es) on ports "
        f"{', '.join(map(str, deployment.ports))}, pids {', '.join(map(str, deployment.pids()))}; "
        f"nginx pid {deployment.nginx.pid}; logs in {deployment.run_dir}). Ctrl-C stops it.",
        flush=True,
    )
    status = 0
    try:
        while not (problem := deployment.failed()):
            time.sleep(1)
        print(f"error: {problem}; stopping the others", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not interrupt the stop
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        deployment.stop()
    print("stopped", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
