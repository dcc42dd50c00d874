"""``k9s/plugins.yaml``: valid for k9s, and every command line it runs is one our parser accepts."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from grove.commands.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = yaml.safe_load((ROOT / "k9s" / "plugins.yaml").read_text())["plugins"]
SCHEMA = json.loads((Path(__file__).with_name("k9s_plugins.schema.json")).read_text())
ROW = {"NAME": "my-inference", "NAMESPACE": "prod", "CONTEXT": "kind-grove"}
# k9s's own substitution (internal/view/env.go): $KEY or ${KEY}, looked up upper-cased; unknown keys stay as written
K9S_VARIABLE = re.compile(r"\$(!?)([\w\-]+)|\$\{(!?)([\w\-%/: ]+)\}")


def substitute(arg: str) -> str:
    return K9S_VARIABLE.sub(lambda m: ROW.get((m.group(2) or m.group(4)).upper(), m.group(0)), arg)


def grove_argv(plugin: dict[str, Any]) -> list[str]:
    """The ``kubectl grove …`` words a plugin runs, after k9s substituted the row's values."""
    args = [substitute(str(a)) for a in plugin.get("args", ())]
    if plugin["command"] == "kubectl":
        words = args
    else:
        assert plugin["command"] in ("sh", "bash") and args[0] == "-c", plugin
        lexer = shlex.shlex(args[1], posix=True, punctuation_chars=True)
        tokens = list(lexer)
        start = tokens.index("kubectl") + 1
        end = next((i for i in range(start, len(tokens)) if tokens[i] in (";", "&&", "||", "|")), len(tokens))
        words = tokens[start:end]
    assert words[0] == "grove", words
    return words[1:]


def test_the_file_follows_k9s_plugin_schema() -> None:
    document = yaml.safe_load((ROOT / "k9s" / "plugins.yaml").read_text())
    jsonschema.validate(document, SCHEMA)
    scopes = {scope for plugin in PLUGINS.values() for scope in plugin["scopes"]}
    assert {"podcliquesets", "podcliques", "pods"} <= scopes


def test_no_two_plugins_share_a_key_in_one_view() -> None:
    seen: dict[tuple[str, str], str] = {}
    for name, plugin in PLUGINS.items():
        for scope in plugin["scopes"]:
            key = (scope, plugin["shortCut"])
            assert key not in seen, f"{name} and {seen.get(key)} both use {plugin['shortCut']} on {scope}"
            seen[key] = name


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_each_command_line_parses_and_passes_the_row_through(name: str) -> None:
    plugin = PLUGINS[name]
    args = build_parser().parse_args(grove_argv(plugin))  # exits (a failed test) on a usage error
    assert args.run, name
    assert (args.namespace, args.context) == ("prod", "kind-grove")
    if plugin["scopes"] == ["podcliquesets"]:
        assert args.name == "my-inference"  # about the selected PodCliqueSet
    elif hasattr(args, "name"):
        assert args.name is None  # a PodClique's or pod's name is no PodCliqueSet name


def test_the_substitution_is_k9s_own() -> None:
    assert substitute('-n "$NAMESPACE" ${CONTEXT} $name $HOME') == '-n "prod" kind-grove my-inference $HOME'
