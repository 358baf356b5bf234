"""Real servers for the HTTP benchmarks: `gerai serve` and the floor app, each a waitress subprocess.

Timed requests go over one kept-alive `http.client` connection per server, so a figure is the
server's work plus one loopback round trip, the same for the app and for its floor.
"""
from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Callable

from bench.common import BENCH_PASSWORD, ROOT, Row, ScratchShop

THREADS = 8  # `gerai serve`'s default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A subprocess serving HTTP on 127.0.0.1:port; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, name: str, argv: list[str], port: int, log: Path, env: dict[str, str] | None = None,
                 ready_path: str = "/"):
        self.name, self.argv, self.port, self.log_path = name, argv, port, log
        self.env, self.ready_path = env, ready_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.base}{self.ready_path}", timeout=2) as res:
                    if res.status < 500:
                        return self
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.name} did not start; its log:\n{self.log_path.read_text(errors='replace')}")

    def __exit__(self, *_exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (/proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM = peak RSS) of the server process, in MB, from /proc/<pid>/status."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]


def gerai_server(shop: ScratchShop, secret: str = "bench-secret-key-not-for-production") -> Server:
    """`gerai serve` on the scratch shop (the console script beside this Python, else the click group)."""
    script = Path(sys.executable).with_name("gerai")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from gerai.cli import main; main()"]
    port = free_port()
    env = {**os.environ, "GERAI_INSTANCE": str(shop.instance), "GERAI_SECRET_KEY": secret, "GERAI_PRINTER": "none"}
    env.pop("GERAI_DATABASE_URL", None)
    return Server("gerai serve", [*cmd, "serve", "--port", str(port), "--threads", str(THREADS)], port,
                  shop.root / "gerai-serve.log", env)


def floor_server(shop: ScratchShop) -> Server:
    port = free_port()
    argv = [sys.executable, str(ROOT / "bench" / "floor_app.py"), "--db", str(shop.path), "--port", str(port),
            "--threads", str(THREADS)]
    return Server("floor app", argv, port, shop.root / "floor-app.log", ready_path="/noop")


def with_server_cpu(app: Server, floor: Server, timed: Callable[[], Row], calls: int) -> Row:
    """Run `timed` (one `pair`, `calls` requests to each server with its warm-up) and put each server's mean
    CPU per request in the row's cpu columns: the client's own CPU says nothing about the server."""
    app0, floor0 = app.cpu_seconds(), floor.cpu_seconds()
    row = timed()
    return replace(row, cpu_ms=(app.cpu_seconds() - app0) * 1000 / calls,
                   floor_cpu_ms=(floor.cpu_seconds() - floor0) * 1000 / calls)


class Client:
    """GET over one kept-alive connection; any answer but 200 stops the benchmark."""

    def __init__(self, server: Server, headers: dict[str, str] | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        self.headers = headers or {}

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path, headers=self.headers)
        res = self.conn.getresponse()
        body = res.read()
        if res.status != 200:
            raise RuntimeError(f"GET {path} answered {res.status}: {body[:300]!r}")
        return body

    def close(self) -> None:
        self.conn.close()


def api_token(server: Server, username: str) -> str:
    req = urllib.request.Request(f"{server.base}/api/v1/auth/token", method="POST",
                                 data=json.dumps({"username": username, "password": BENCH_PASSWORD}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.load(res)["token"]


def sign_in_cookie(server: Server, username: str) -> str:
    """Sign in through the /login form (csrf token from the form, cookie jar) and return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{server.base}/login", timeout=30) as res:
        form = res.read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrf_token": csrf, "username": username, "password": BENCH_PASSWORD}).encode()
    with opener.open(f"{server.base}/login", data=data, timeout=30) as res:
        if not res.url.endswith("/stock") or res.status != 200:
            raise RuntimeError(f"signing in through /login ended at {res.url} ({res.status})")
    return "; ".join(f"{c.name}={c.value}" for c in jar)

