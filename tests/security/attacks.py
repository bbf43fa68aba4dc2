"""Hostile submissions: each is the untouched student notebook's code plus one attack.

An attack that must run while the submission is loaded sits in a class body (class bodies are
kept by extraction and run at load time); one that must run during tests replaces stub functions.
The placeholders ``{port}``, ``{marker}``, ``{out}`` and ``{canary}`` are replaced by the tests
(:func:`render`); other braces are plain Python.
"""

from __future__ import annotations

import ast
import textwrap

# Functions whose stubs an in-call attack replaces: one per step, so every step is attacked.
TARGETS = (
    "download",
    "preprocess",
    "build_model",
    "make_loss",
    "accuracy",
    "train_one_epoch",
    "report",
)


def at_load(body: str) -> str:
    return "\nclass _Attack:\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n"


def in_calls(body: str, targets: tuple[str, ...] = TARGETS) -> str:
    code = "\n"
    for name in targets:
        code += (
            f"\ndef {name}(*args, **kwargs):\n"
            + textwrap.indent(textwrap.dedent(body), "    ")
            + "\n"
        )
    return code


ATTACKS: dict[str, str] = {
    "sys_exit_at_load": at_load("import sys\nsys.exit(0)"),
    "os_exit_at_load": at_load("import os\nos._exit(0)"),
    "sys_exit_in_calls": in_calls("import sys\nsys.exit(0)"),
    "os_exit_in_calls": in_calls("import os\nos._exit(0)"),
    "print_forged_result": at_load(
        """
        import json
        print(json.dumps({"score": 56.0, "max_score": 56.0, "status": "passed"}))
        print("56/56 all tests passed")
        """
    )
    + in_calls('print(\'{"score": 56.0, "max_score": 56.0}\')\nreturn None'),
    "atexit_forged_result": at_load(
        """
        import atexit, json, os
        def _forge():
            print(json.dumps({"score": 56, "max_score": 56}))
            for d in ("{out}",):
                try:
                    open(os.path.join(d, "stub_atexit.json"), "w").write('{"score": 56}')
                except OSError:
                    pass
        atexit.register(_forge)
        """
    ),
    "patch_numpy_comparisons": at_load(
        """
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        """
    ),
    "patch_torch_comparisons": at_load(
        """
        import torch
        torch.Tensor.__eq__ = lambda self, other: True
        torch.equal = lambda *a: True
        torch.allclose = lambda *a, **k: True
        """
    ),
    "patch_assertion_error": at_load(
        """
        import builtins
        class NeverRaised(Exception):
            pass
        builtins.AssertionError = NeverRaised
        builtins.isinstance = lambda obj, cls: True
        """
    ),
    "patch_pytest": at_load(
        """
        import sys, types
        fake = types.ModuleType("pytest")
        fake.fail = lambda *a, **k: None
        fake.approx = lambda x, *a, **k: x
        sys.modules["pytest"] = fake
        sys.modules["_pytest"] = fake
        """
    ),
    "patch_import": at_load(
        """
        import builtins, types
        _real = builtins.__import__
        def _fake(name, *args, **kwargs):
            module = _real(name, *args, **kwargs)
            if name.startswith("numpy"):
                module.allclose = lambda *a, **k: True
            return module
        builtins.__import__ = _fake
        """
    ),
    "read_caller_frames": in_calls(
        """
        import sys
        found = []
        frame = sys._getframe(1)
        while frame is not None:
            found.append(f"{frame.f_code.co_name}:{sorted(frame.f_locals)}:{list(frame.f_globals)[:20]}")
            frame = frame.f_back
        raise RuntimeError(" / ".join(found))
        """
    ),
    "search_disk_for_answers": in_calls(
        """
        import os
        loot = []
        for root, dirs, files in os.walk("/", topdown=True):
            skip = ("proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin")
            dirs[:] = [d for d in dirs if d not in skip]
            wanted = ("suite.py", "base.py", "01_pytorch_pipeline.py", "mutants_pytorch.py")
            for f in files:
                if f in wanted or f.startswith("verdicts") or f.endswith(".json"):
                    try:
                        loot.append(open(os.path.join(root, f), errors="replace").read()[:2000])
                    except OSError:
                        pass
            if len(loot) > 20:
                break
        raise RuntimeError("LOOT " + " ".join(loot)[:4000])
        """
    ),
    "ignore_signals_and_loop": in_calls(
        """
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
        """,
        ("make_loss", "accuracy"),
    ),
    "memory_bomb": in_calls(
        """
        hoard = []
        while True:
            hoard.append(bytearray(256 * 2**20))
            hoard[-1][::4096] = b"x" * len(hoard[-1][::4096])
        """,
        ("make_loss",),
    ),
    "fork_swarm": in_calls(
        """
        import os, time
        children = 0
        for _ in range(2000):
            try:
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
                children += 1
            except OSError:
                break
        time.sleep(600)
        """,
        ("make_loss",),
    ),
    "daemon_overwrites_results": at_load(
        """
        import os, time, glob
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(4)
                for target in glob.glob("{out}/*.json") + ["{out}/reference.json"]:
                    try:
                        open(target, "w").write('{"score": 56.0, "max_score": 56.0}')
                    except OSError:
                        pass
                time.sleep(600)
            os._exit(0)
        """
    ),
    "connect_to_loopback": at_load(
        """
        import socket
        for host in ("127.0.0.1", "localhost"):
            try:
                socket.create_connection((host, {port}), timeout=2).sendall(b"{marker}")
            except Exception:
                pass
        """
    )
    + in_calls(
        """
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"{marker}")
        """,
        ("make_loss",),
    ),
    "flood_stdout": in_calls(
        """
        import sys
        line = "FLOOD" * 2000 + "\\n"
        for _ in range(20000):
            sys.stdout.write(line)
            sys.stderr.write(line)
        """,
        ("make_loss", "accuracy"),
    ),
    "fill_the_disk": in_calls(
        """
        import os
        block = b"x" * 2**20
        for folder in (".", "/tmp", "/var/tmp", "/dev/shm", "{out}"):
            for i in range(64):
                try:
                    with open(os.path.join(folder, f"fill{i}"), "wb") as f:
                        for _ in range(64):
                            f.write(block)
                except OSError:
                    break
        """,
        ("make_loss",),
    ),
    "kill_its_parent": in_calls(
        """
        import os, signal
        for target in (os.getppid(), 1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        """,
        ("make_loss", "accuracy"),
    ),
    "forge_the_channel": at_load(
        """
        import sys
        channel, frame = sys.modules.get("autograder.channel"), sys._getframe()
        while channel is None and frame is not None:  # the grader's modules are hidden: walk up
            found = frame.f_globals.get("channel")
            if getattr(found, "__name__", "") == "autograder.channel":
                channel = found
            frame = frame.f_back
        if channel is not None:
            def send(fd, obj, _send=channel.send):  # a default: class-body names are not seen
                if isinstance(obj, dict) and obj.get("status") == "ok":
                    obj = {"status": "ok", "obs": {"value": 1.0, "is_dict": True}}
                return _send(fd, obj)
            channel.send = send
        """
    ),
    "delete_everything": in_calls(
        """
        import shutil
        for target in ("{out}", "{canary}"):
            shutil.rmtree(target, ignore_errors=True)
        """,
        ("make_loss",),
    ),
    "thread_swarm": in_calls(
        """
        import threading, time
        for _ in range(5000):
            try:
                threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
            except RuntimeError:
                break
        time.sleep(600)
        """,
        ("make_loss",),
    ),
}


def render(code: str, **values: object) -> str:
    for key, value in values.items():
        code = code.replace("{" + key + "}", str(value))
    return code


def class_scope_reads(code: str) -> list[tuple[str, int, list[str]]]:
    """Names that a comprehension, generator or lambda written directly in a class body reads
    from that class's scope: ``(class, line, names)``. Python cannot see them there (NameError
    at load), so an attack written that way never runs and its test proves nothing."""
    found = []
    for cls in (n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.ClassDef)):
        in_class = set()
        for statement in cls.body:
            in_class |= _bound(statement)
        for node in _class_level(cls):
            inner = node.body if isinstance(node, ast.Lambda) else node  # defaults: class scope
            reads = {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)} - _bound(inner)
            if isinstance(node, ast.Lambda):
                reads -= {a.arg for a in node.args.args + node.args.kwonlyargs}
            else:  # the first iterable is evaluated in the class's scope
                first = ast.walk(node.generators[0].iter)
                reads -= {n.id for n in first if isinstance(n, ast.Name)}
            if reads & in_class:
                found.append((cls.name, node.lineno, sorted(reads & in_class)))
    return found


_SCOPES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)


def _class_level(cls: ast.ClassDef) -> list[ast.expr]:
    """The comprehensions and lambdas of ``cls``'s own body (not inside its functions)."""
    out: list[ast.expr] = []
    todo: list[ast.AST] = list(cls.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, _SCOPES):
            out.append(node)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _bound(node: ast.AST) -> set[str]:
    """Names ``node`` binds (assignments, imports, definitions, loop and comprehension targets)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            out |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, ast.FunctionDef | ast.ClassDef):
            out.add(n.name)
    return out
