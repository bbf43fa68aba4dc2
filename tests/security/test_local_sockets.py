"""Unix-domain sockets work inside a worker with its own network and mount namespaces (PyTorch
DataLoader workers pass tensors through them), and reach nothing outside it: does correct code
with ``num_workers=2`` keep full marks, warm and cold, while a connection to a socket the
grader's machine listens on never arrives?"""

from __future__ import annotations

import re
import socket
import threading
import uuid

import pytest

from autograder.grade import grade_file
from autograder.pool import WarmPool
from tests.conftest import reference_code_of

pytestmark = pytest.mark.torch


def test_dataloader_workers_run_in_the_sandbox(tmp_path):
    code = re.sub(
        r"DataLoader\(", "DataLoader(num_workers=2, dataset=", reference_code_of("pytorch")
    )
    assert code.count("num_workers=2") == 2
    path = tmp_path / "workers.py"
    path.write_text(code, encoding="utf-8")
    cold = grade_file(path, "pytorch")
    with WarmPool() as pool:
        warm = grade_file(path, "pytorch", pool=pool)
    for result in (cold, warm):
        assert result.score == result.max_score, [
            t.message for t in result.tests if t.score < t.max_score
        ]


def test_a_unix_socket_outside_the_worker_is_out_of_reach(tmp_path):
    name = f"\0dlcourse-test-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(name)
    listener.listen(1)
    listener.settimeout(1.0)
    received: list[bytes] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            received.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    reach = (
        "\n\nclass _Reach:\n"
        "    import socket as _s\n"
        "    _c = _s.socket(_s.AF_UNIX, _s.SOCK_STREAM)\n"
        "    try:\n"
        f"        _c.settimeout(2); _c.connect({name!r}); _c.sendall(b'reached')\n"
        "    except OSError:\n"
        "        pass\n"
    )
    path = tmp_path / "reach.py"
    path.write_text(reference_code_of("pytorch") + reach, encoding="utf-8")
    result = grade_file(path, "pytorch")
    done.set()
    thread.join(timeout=5)
    listener.close()
    assert received == []
    assert result.score == result.max_score
