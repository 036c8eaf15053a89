"""Hub faults through the real `hf_hub_download`: a proxy on 127.0.0.1 in front of the olah mirror breaks
the weights download in one way at a time; each must end in the zoo's own error, and a retry after the
fault is gone must load the right weights."""
import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from conftest import run_python

FAULTS = ("half_body", "short_length", "stall", "close")
LOAD = "import zoo; m = zoo.load('mlp_mnist'); print('loaded', sum(p.numel() for p in m.parameters()))"
# huggingface_hub retries a broken download five times, a second apart: the same retries, without the waits
LOAD_WITHOUT_WAITS = "import time; time.sleep = lambda seconds: None; " + LOAD


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urlparse(upstream)
        self.fault = None
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._forward()

    def do_GET(self):
        self._forward()

    def _forward(self):
        server = self.server
        up = http.client.HTTPConnection(server.upstream.hostname, server.upstream.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding")}
        up.request(self.command, self.path, headers=headers)
        resp = up.getresponse()
        body = resp.read()
        up.close()
        fault = server.fault if self.command == "GET" and self.path.endswith("/model.safetensors") else None
        if fault == "close":  # the server dies before answering
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("transfer-encoding", "connection", "content-length"):
                continue
            if k.lower() == "location":
                v = v.replace(f"{server.upstream.hostname}:{server.upstream.port}", self.headers["Host"])
            self.send_header(k, v)
        length = resp.getheader("content-length") if self.command == "HEAD" else str(len(body))
        if fault == "short_length":  # announces and sends less than the whole file
            body = body[: len(body) // 2]
            length = str(len(body))
        if length is not None:
            self.send_header("Content-Length", length)
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault in ("half_body", "stall"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if fault == "stall":
                time.sleep(5)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def proxy(hub_mirror):
    server = FaultProxy(hub_mirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_download_is_the_zoos_error_and_a_retry_heals(fault, proxy, tmp_path):
    env = {"HF_ENDPOINT": proxy.url, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none"),
           "HF_HUB_DOWNLOAD_TIMEOUT": "1", "HF_HUB_ETAG_TIMEOUT": "5"}
    proxy.fault = fault
    try:
        r = run_python(LOAD_WITHOUT_WAITS, env)
    finally:
        proxy.fault = None
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("zoo.errors.DownloadError: could not download fdl-zoo/mlp_mnist/model.safetensors"), r.stderr
    assert "then try again" in last and "hf download fdl-zoo/mlp_mnist" in last
    r = run_python(LOAD, env)
    assert r.returncode == 0 and "loaded" in r.stdout, r.stderr


def test_an_endpoint_that_is_not_a_url_is_the_zoos_error(tmp_path):
    r = run_python(LOAD, {"HF_ENDPOINT": "not a url", "HF_HOME": str(tmp_path / "hf"),
                          "ZOO_WEIGHTS_DIR": str(tmp_path / "none"), "HF_HUB_ETAG_TIMEOUT": "2"})
    assert r.returncode != 0
    assert r.stderr.strip().splitlines()[-1].startswith("zoo.errors.DownloadError: could not download"), r.stderr


def test_the_cli_prints_one_line_for_a_download_failure(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    env = {"HF_ENDPOINT": "not a url", "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "n"),
           "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "predict", "mlp_mnist", str(REPO / "zoo/samples/mnist_9992_label9.png")],
                       cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("zoo: error: could not download fdl-zoo/mlp_mnist")
