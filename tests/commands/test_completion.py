"""Completion: cobra's ``__complete`` protocol, derived from the parser; through the real kubectl and real bash."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grove.commands import complete as c
from grove.commands.complete import Candidate, ClusterValues, Completions, Typed, complete
from grove.commands.completion import SCRIPTS, script
from grove.commands.main import build_parser
from tests.support.kube_server import KubeServer, objects_from_recording, write_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KUBECTL = shutil.which("kubectl")
BASH = shutil.which("bash")
FISH = shutil.which("fish")
ZSH = shutil.which("zsh")
REPLAY = ROOT / "replays" / "disagg-fragmented.jsonl"


class FakeCluster(ClusterValues):
    """Records what each lookup was asked with."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str]]] = []

    def podcliquesets(self, typed: Typed) -> list[Candidate]:
        self.asked.append(("pcs", typed.values))
        return [Candidate("alpha", "namespace a"), Candidate("beta", "namespace b")]

    def namespaces(self, typed: Typed) -> list[Candidate]:
        return [Candidate("prod"), Candidate("staging")]

    def contexts(self, typed: Typed) -> list[Candidate]:
        return [Candidate("kind-a"), Candidate("prod-east")]

    def roles(self, typed: Typed) -> list[Candidate]:
        self.asked.append(("roles", typed.values))
        return [Candidate("decode"), Candidate("prefill")]


def values(result: Completions) -> list[str]:
    return [cand.value for cand in result.candidates]


def run(*words: str, cluster: ClusterValues | None = None) -> Completions:
    return complete(build_parser(), words, cluster or FakeCluster())


def test_subcommands_come_from_the_parser_including_one_added_later() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("frobnicate", help="a command this module never heard of")
    result = complete(parser, [""], FakeCluster())
    assert {"status", "topology", "health", "version", "completion", "frobnicate"} <= set(values(result))
    assert Candidate("frobnicate", "a command this module never heard of") in result.candidates
    assert result.directive == c.NO_FILE_COMP
    assert values(complete(parser, ["fro"], FakeCluster())) == ["frobnicate"]


def test_flags_of_the_chosen_command_with_their_help() -> None:
    result = run("status", "--")
    assert "--all-namespaces" in values(result) and "--replay" in values(result)
    assert "--width" not in values(result)  # argparse.SUPPRESS stays hidden
    assert "--level" not in values(result)  # topology's, not status'
    assert "--level" in values(run("topology", "--l"))
    assert Candidate("--watch", "keep watching and re-render on changes") in result.candidates
    # a flag given once is not offered again
    assert "--context" not in values(run("status", "--context", "x", "--c"))


def test_flag_values_choices_durations_kinds_and_recordings() -> None:
    assert values(run("status", "-o", "")) == ["json", "yaml", "wide"]
    assert values(run("status", "--output=y")) == ["--output=yaml"]
    assert values(run("completion", "")) == list(SCRIPTS)
    assert "30s" in values(run("status", "--request-timeout", ""))
    assert "5m" in values(run("record", "-o", "x.jsonl", "--duration", ""))
    kinds = run("record", "--kinds", "pcs,p")
    assert "pcs,pods" not in values(kinds) and "pcs,pclq" in values(kinds) and "pcs,pcs" not in values(kinds)
    assert kinds.directive == c.NO_SPACE | c.NO_FILE_COMP
    replay = run("topology", "--replay", "")
    assert values(replay) == ["jsonl", "jsonl.gz", "tgz"] and replay.directive == c.FILTER_FILE_EXT
    assert run("replay", "").directive == c.FILTER_FILE_EXT  # the positional FILE of `replay`
    assert run("record", "-o", "").directive == c.DEFAULT  # any file to write
    assert run("status", "--kubeconfig", "").directive == c.DEFAULT


def test_cluster_values_see_what_was_typed() -> None:
    cluster = FakeCluster()
    assert values(run("topology", "-n", "prod", "--context", "kind-a", "", cluster=cluster)) == ["alpha", "beta"]
    assert cluster.asked[-1] == ("pcs", {"namespace": "prod", "context": "kind-a"})
    run("status", "-nstaging", "-A", "b", cluster=cluster)
    assert cluster.asked[-1] == ("pcs", {"namespace": "staging", "all_namespaces": "true"})
    assert values(run("status", "b", cluster=cluster)) == ["beta"]
    assert values(run("health", "--namespace", "st")) == ["staging"]
    assert values(run("status", "--context=prod")) == ["--context=prod-east"]
    # a second positional has nothing to complete
    assert values(run("status", "alpha", "")) == []


def test_roles_of_the_named_podcliqueset() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    scale = sub.add_parser("scale-like", help="a command with --role")
    scale.add_argument("name")
    scale.add_argument("--role")
    scale.add_argument("-n", "--namespace")
    cluster = FakeCluster()
    result = complete(parser, ["scale-like", "my-pcs", "-n", "prod", "--role", "p"], cluster)
    assert values(result) == ["prefill"]
    assert cluster.asked[-1] == ("roles", {"name": "my-pcs", "namespace": "prod"})


def test_unknown_words_offer_nothing_and_render_as_cobra_does() -> None:
    assert run("no-such-command", "").candidates == ()
    text = Completions((Candidate("a", "first"), Candidate("b")), c.NO_FILE_COMP).render()
    assert text == "a\tfirst\nb\n:4\n"


# ------------------------------------------------------------------------------------------------ real processes


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "HTTPS_PROXY", "https_proxy")}
    return {**clean, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}


@pytest.fixture
def server() -> Iterator[KubeServer]:
    with KubeServer() as srv:
        srv.seed_state(objects_from_recording(REPLAY))
        yield srv


def _proc(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False)


def test_kubectl_complete_grove_prints_nothing_on_stderr_without_a_kubeconfig(env: dict[str, str]) -> None:
    result = _proc([str(BIN / "kubectl_complete-grove"), "status", ""], env)
    assert result.returncode == 0
    assert (result.stdout, result.stderr) == (":4\n", "")


def test_a_hanging_server_gives_no_candidates(env: dict[str, str], tmp_path: Path) -> None:
    with KubeServer() as srv:
        srv.path_delays["/apis/grove.io"] = 20.0
        config = write_kubeconfig(tmp_path / "kubeconfig", srv.url, namespace="prod")
        result = _proc([str(BIN / "kubectl_complete-grove"), "status", ""], {**env, "KUBECONFIG": str(config)})
    assert (result.returncode, result.stdout, result.stderr) == (0, ":4\n", "")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_through_kubectl_pcs_names_subcommands_and_contexts(
    env: dict[str, str], server: KubeServer, tmp_path: Path
) -> None:
    assert KUBECTL is not None
    config = write_kubeconfig(tmp_path / "kubeconfig", server.url, namespace="prod")
    env = {**env, "KUBECONFIG": str(config)}
    result = _proc([KUBECTL, "__complete", "grove", "topology", ""], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["my-inference\tnamespace prod", ":4"]
    other = _proc([KUBECTL, "__complete", "grove", "topology", "-n", "default", ""], env)
    assert other.stdout.splitlines() == [":4"]  # -n honoured: nothing there
    commands = _proc([KUBECTL, "__complete", "grove", ""], env)
    assert {"status", "topology", "health", "version", "completion"} <= {
        line.split("\t")[0] for line in commands.stdout.splitlines()
    }
    contexts = _proc([KUBECTL, "__complete", "grove", "status", "--context", ""], env)
    assert contexts.stdout.splitlines()[0].split("\t")[0] == "loopback"
    replay = _proc([KUBECTL, "__complete", "grove", "status", "--replay", ""], env)
    assert replay.stdout.splitlines() == ["jsonl", "jsonl.gz", "tgz", ":8"]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_the_bash_script_completes_through_kubectl_grove(env: dict[str, str], tmp_path: Path) -> None:
    assert BASH is not None
    (tmp_path / "rec.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "sub").mkdir()
    program = """
source <(kubectl-grove completion bash)
complete -p kubectl-grove
ask() { COMP_LINE="$1"; COMP_POINT=${#1}; COMPREPLY=(); _kubectl_grove; printf '%s|' "${COMPREPLY[@]}"; echo; }
ask 'kubectl-grove sta'
ask 'kubectl-grove status --output=y'
ask 'kubectl-grove status --replay '
ask 'kubectl-grove record --kinds pcs,pcl'
"""
    result = subprocess.run(
        [BASH, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "complete -F _kubectl_grove kubectl-grove"
    assert lines[1] == "status|"
    assert lines[2] == "yaml|"  # bash replaces the text after '='
    assert sorted(lines[3].strip("|").split("|")) == ["rec.jsonl", "sub"]
    assert lines[4] == "pcs,pclq|"


@pytest.mark.skipif(FISH is None, reason="fish is not installed")
def test_the_fish_script_completes_through_kubectl_grove(env: dict[str, str], tmp_path: Path) -> None:
    assert FISH is not None
    for name in ("rec.jsonl", "bundle.tgz", "notes.txt"):
        (tmp_path / name).write_text("")
    program = (
        "kubectl-grove completion fish | source; complete -C 'kubectl-grove sta'; echo ==; "
        "complete -C 'kubectl-grove status --output='; echo ==; complete -C 'kubectl-grove health --replay '"
    )
    result = subprocess.run(
        [FISH, "--no-config", "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    commands, outputs, replays = result.stdout.split("==\n")
    assert commands.splitlines()[0].startswith("status\t")
    assert outputs.splitlines() == ["--output=json", "--output=wide", "--output=yaml"]
    assert sorted(replays.splitlines()) == ["bundle.tgz", "rec.jsonl"]


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed")
def test_the_zsh_script_registers_and_turns_the_protocol_into_zsh_candidates(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Real zsh runs the script against the real ``kubectl-grove __complete``; zsh's own ``_describe`` and
    ``_files`` (which need a live completion widget) are replaced by functions that print what they were given."""
    assert ZSH is not None
    program = """
autoload -U compinit; compinit -u -D
source <(kubectl-grove completion zsh)
print -r -- "registered: ${_comps[kubectl-grove]}"
_describe() { local name=$4; print -rl -- "${(@P)name}" "${@:5}"; }
_files() { print -r -- "files: $*"; }
ask() { words=("$@"); CURRENT=$#; _kubectl_grove; print -r -- "--"; }
ask kubectl-grove sta
ask kubectl-grove status --output=y
ask kubectl-grove health --replay ""
ask kubectl-grove record --kinds pcs,pcl
"""
    result = subprocess.run(
        [ZSH, "-f", "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    commands, outputs, replays, kinds = result.stdout.split("--\n")[:4]
    registered, status = commands.splitlines()[:2]
    assert registered == "registered: _kubectl_grove"
    assert status.startswith("status:")  # value:description, as _describe takes it
    assert outputs.splitlines() == ["--output=yaml"]
    assert replays.splitlines() == ["files: -g (*.jsonl|*.jsonl.gz|*.tgz)"]
    assert kinds.splitlines() == ["pcs,pclq:podcliques", "-S"]  # -S '': no space after a kind, more may follow


def test_every_shell_script_is_printed_and_bash_parses_it() -> None:
    for shell in SCRIPTS:
        text = script(shell)
        assert "__complete" in text and "kubectl-grove" in text
    if BASH is not None:
        check = subprocess.run([BASH, "-n"], input=script("bash"), capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr


def test_listing_subcommands_imports_no_heavy_module() -> None:
    code = (
        "import sys, io, contextlib\nfrom grove.commands.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['__complete', 'st'])\n"
        "print(sorted(m for m in ('kubernetes', 'textual', 'rich', 'structlog') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.stdout.strip() == "[]", result.stderr
