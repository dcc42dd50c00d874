"""The ``kubectl-grove`` program itself (the console script's entry)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_the_program_prints_everything_before_it_leaves() -> None:
    """``kubectl-grove`` leaves with os._exit (no teardown of the state): the output must be complete all the same."""
    replay = str(ROOT / "replays" / "multi-tenant.jsonl")
    program = "import sys; from grove.commands.main import entry; sys.argv[0] = 'kubectl-grove'; entry()"
    args = ["status", "-A", "--replay", replay, "-o", "json"]
    out = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, check=False, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    report = orjson.loads(out.stdout)
    assert report["kind"] == "StatusReport" and len(report["items"]) >= 2
    inline = subprocess.run(
        [sys.executable, "-c", "import sys; from grove.commands.main import main; sys.exit(main())", *args],
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    assert out.stdout == inline.stdout
    bad = subprocess.run([sys.executable, "-c", program, "status", "--replay", "/nonexistent"], capture_output=True)
    assert bad.returncode == 1 and bad.stderr.decode().startswith("error: ")


def test_the_program_still_runs_exit_handlers(tmp_path: Path) -> None:
    """The kubernetes package writes a kubeconfig's inline client key to a temporary file and removes it at exit."""
    import base64

    temp = tmp_path / "tmp"
    temp.mkdir()
    data = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n").decode()
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n"
        f"users: [{{name: u, user: {{client-certificate-data: {data}, client-key-data: {data}}}}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    program = "import sys; from grove.commands.main import entry; sys.argv[0] = 'kubectl-grove'; entry()"
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(temp), "HOME": str(tmp_path), "KUBECONFIG": str(config)}
    out = subprocess.run(
        [sys.executable, "-c", program, "status", "-A", "--request-timeout", "2s"],
        capture_output=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert out.returncode == 1, out.stderr
    assert out.stderr.decode().startswith("error: ")
    assert list(temp.iterdir()) == []
