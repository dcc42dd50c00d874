"""Shell completion in cobra's ``__complete`` protocol, derived from the argparse parser ``main`` builds.

kubectl (1.26 and later) runs ``kubectl_complete-grove ARG… CURRENT`` for ``kubectl grove ARG… CURRENT<TAB>`` and
reads one candidate a line (``value`` or ``value<TAB>description``), then ``:<directive>`` (cobra's
``ShellCompDirective`` bits). The scripts of ``kubectl grove completion SHELL`` ask ``kubectl-grove __complete …``
the same way. Subcommands, flags and choices come from the parser, so a new command completes without being listed
here; values that live in the cluster (namespaces, PodCliqueSets, roles) are looked up by ``complete_cluster`` only
when the word being completed needs them. Nothing is ever written to stderr: kubectl passes it to the user's prompt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

# cobra's ShellCompDirective bits
ERROR = 1
NO_SPACE = 2
NO_FILE_COMP = 4
FILTER_FILE_EXT = 8
FILTER_DIRS = 16
KEEP_ORDER = 32
DEFAULT = 0  # the shell's own file completion

RECORDING_EXTENSIONS = ("jsonl", "jsonl.gz", "tgz")
DURATIONS = ("10s", "30s", "1m", "5m", "10m", "30m", "1h")


@attrs.frozen
class Candidate:
    value: str
    description: str = ""


@attrs.frozen
class Completions:
    candidates: tuple[Candidate, ...]
    directive: int

    def render(self) -> str:
        lines = [f"{c.value}\t{c.description}" if c.description else c.value for c in self.candidates]
        return "".join(f"{line}\n" for line in lines) + f":{self.directive}\n"


@attrs.frozen
class Typed:
    """What has been typed before the current word: the flag values and positionals, by argparse ``dest``."""

    values: dict[str, str]

    def get(self, dest: str) -> str | None:
        return self.values.get(dest)

    @property
    def all_namespaces(self) -> bool:
        return self.values.get("all_namespaces") == "true"


class ClusterValues:
    """Values that come from the kubeconfig or the cluster (the real one is ``complete_cluster.Lookup``)."""

    def contexts(self, typed: Typed) -> list[Candidate]:
        return []

    def namespaces(self, typed: Typed) -> list[Candidate]:
        return []

    def podcliquesets(self, typed: Typed) -> list[Candidate]:
        return []

    def roles(self, typed: Typed) -> list[Candidate]:
        return []


def _short_description(text: str | None) -> str:
    if not text or text == argparse.SUPPRESS:
        return ""
    return text.split("; ")[0].strip()


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any] | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not a.option_strings and not isinstance(a, argparse._SubParsersAction)]


def _visible_options(parser: argparse.ArgumentParser) -> Iterable[argparse.Action]:
    return (a for a in parser._actions if a.option_strings and a.help != argparse.SUPPRESS)


def _matching(prefix: str, candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    seen: set[str] = set()
    out: list[Candidate] = []
    for c in candidates:
        if c.value.startswith(prefix) and c.value not in seen:
            seen.add(c.value)
            out.append(c)
    return tuple(out)


def _comma_list(current: str, names: Sequence[Candidate]) -> Completions:
    """``--kinds pcs,po<TAB>``: complete the last element, keep what is before it, no space (more may follow)."""
    head, _, last = current.rpartition(",")
    done = set(head.split(",")) if head else set()
    prefix = f"{head}," if head else ""
    items = [Candidate(prefix + c.value, c.description) for c in names if c.value not in done]
    return Completions(_matching(prefix + last, items), NO_SPACE | NO_FILE_COMP)


def _kind_names() -> list[Candidate]:
    from grove.commands.record import SHORT_NAMES
    from grove.events.kinds import KINDS

    return [Candidate(SHORT_NAMES[kind][0], info.plural) for kind, info in KINDS.items() if kind in SHORT_NAMES]


ValueCompleter = Callable[[str, Typed, ClusterValues], Completions]


def _cluster(method: str) -> ValueCompleter:
    """Values from ``ClusterValues.<method>`` (looked up on the instance given, so a subclass answers)."""

    def complete(current: str, typed: Typed, cluster: ClusterValues) -> Completions:
        pick: Callable[[Typed], list[Candidate]] = getattr(cluster, method)
        return Completions(_matching(current, pick(typed)), NO_FILE_COMP)

    return complete


def _fixed(values: Sequence[str], directive: int = NO_FILE_COMP) -> ValueCompleter:
    def complete(current: str, typed: Typed, cluster: ClusterValues) -> Completions:
        return Completions(_matching(current, (Candidate(v) for v in values)), directive)

    return complete


def _recordings(current: str, typed: Typed, cluster: ClusterValues) -> Completions:
    return Completions(tuple(Candidate(ext) for ext in RECORDING_EXTENSIONS), FILTER_FILE_EXT)


def _kinds(current: str, typed: Typed, cluster: ClusterValues) -> Completions:
    return _comma_list(current, _kind_names())


# By argparse ``dest``: the conventions every command shares (``name`` is the PodCliqueSet a command is about).
BY_DEST: dict[str, ValueCompleter] = {
    "name": _cluster("podcliquesets"),
    "pcs": _cluster("podcliquesets"),
    "namespace": _cluster("namespaces"),
    "operator_namespace": _cluster("namespaces"),
    "context": _cluster("contexts"),
    "role": _cluster("roles"),
    "replay": _recordings,
    "kinds": _kinds,
}
# By metavar, for values without a dest of their own above.
BY_METAVAR: dict[str, ValueCompleter] = {
    "DURATION": _fixed(DURATIONS),
    "D": _fixed(DURATIONS),
    "OFFSET": _fixed(DURATIONS),
    "FILE": _fixed((), DEFAULT),
    "DIR": _fixed((), FILTER_DIRS),
}


def _values(action: argparse.Action, current: str, typed: Typed, cluster: ClusterValues) -> Completions:
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        return _fixed([str(c) for c in action.choices])(current, typed, cluster)
    completer = BY_DEST.get(action.dest)
    if completer is None and isinstance(action.metavar, str):
        completer = BY_METAVAR.get(action.metavar)
    if completer is None:
        if action.dest in ("kubeconfig", "log_file"):
            return Completions((), DEFAULT)
        if action.dest in ("request_timeout", "since", "duration", "at"):
            return _fixed(DURATIONS)(current, typed, cluster)
        return Completions((), NO_FILE_COMP)
    return completer(current, typed, cluster)


def _flags(parser: argparse.ArgumentParser, current: str, used: set[str]) -> Completions:
    candidates: list[Candidate] = []
    for action in _visible_options(parser):
        if action.dest in used and not isinstance(action, argparse._AppendAction):
            continue
        description = _short_description(action.help)
        longs = [o for o in action.option_strings if o.startswith("--")]
        shown = action.option_strings if current.startswith("-") and not current.startswith("--") else longs
        for option in shown or action.option_strings:
            candidates.append(Candidate(option, description))
    return Completions(_matching(current, candidates), NO_FILE_COMP)


def complete(
    parser: argparse.ArgumentParser, words: Sequence[str], cluster: ClusterValues | None = None
) -> Completions:
    """Candidates for the last of ``words`` (the words after the program name; the last may be ``""``)."""
    cluster = cluster or ClusterValues()
    *before, current = list(words) or [""]
    values: dict[str, str] = {}
    used: set[str] = set()
    command_chosen = False
    positional_index = 0
    pending: argparse.Action | None = None
    only_positionals = False

    for word in before:
        if pending is not None:
            values[pending.dest] = word
            pending = None
            continue
        if word == "--" and not only_positionals:
            only_positionals = True
            continue
        if word.startswith("-") and len(word) > 1 and not only_positionals:
            flag, eq, inline = word.partition("=")
            action = parser._option_string_actions.get(flag)
            if action is None and not word.startswith("--") and len(word) > 2:
                action = parser._option_string_actions.get(word[:2])  # -nprod
                flag, eq, inline = word[:2], "=", word[2:]
            if action is None:
                continue
            used.add(action.dest)
            if not _takes_value(action):
                values[action.dest] = "true"
            elif eq:
                values[action.dest] = inline
            else:
                pending = action
            continue
        sub = _subcommands(parser)
        if sub is not None and not command_chosen:
            chosen = sub.choices.get(word)
            if chosen is None:
                return Completions((), NO_FILE_COMP)  # an unknown command: nothing sensible to offer
            parser, command_chosen, positional_index, used = chosen, True, 0, set()
            continue
        positionals = _positionals(parser)
        if positional_index < len(positionals):
            values[positionals[positional_index].dest] = word
            positional_index += 1
    typed = Typed(values)

    if pending is not None:
        return _values(pending, current, typed, cluster)
    if current.startswith("--") and "=" in current:
        flag, _, partial = current.partition("=")
        action = parser._option_string_actions.get(flag)
        if action is None or not _takes_value(action):
            return Completions((), NO_FILE_COMP)
        found = _values(action, partial, typed, cluster)
        prefixed = tuple(Candidate(f"{flag}={c.value}", c.description) for c in found.candidates)
        return Completions(prefixed, found.directive)
    if current.startswith("-") and not only_positionals:
        return _flags(parser, current, used)
    sub = _subcommands(parser)
    if sub is not None and not command_chosen:
        helps = {a.dest: a.help for a in sub._choices_actions}
        commands = (
            Candidate(name, _short_description(helps.get(name)))
            for name in sub.choices
            if helps.get(name) != argparse.SUPPRESS
        )
        return Completions(_matching(current, commands), NO_FILE_COMP)
    positionals = _positionals(parser)
    if positional_index < len(positionals):
        return _values(positionals[positional_index], current, typed, cluster)
    return Completions((), NO_FILE_COMP)


def _answer(words: Sequence[str]) -> str:
    """The whole answer, never an exception: a completion that fails offers nothing (cobra's ``:1``)."""
    try:
        from grove.commands.complete_cluster import Lookup
        from grove.commands.main import build_parser

        return complete(build_parser(), words, Lookup()).render()
    except Exception:
        return Completions((), ERROR).render()


def run_complete(words: Sequence[str]) -> int:
    """``kubectl-grove __complete ARG… CURRENT`` (the form the shell scripts use)."""
    sys.stdout.write(_answer(words))
    sys.stdout.flush()
    return 0


def kubectl_main() -> int:
    """The ``kubectl_complete-grove`` executable: kubectl passes the words after ``grove`` (no ``__complete``)."""
    try:
        return run_complete(sys.argv[1:])
    except BaseException:  # a closed pipe or Ctrl+C at a prompt: never a traceback there
        return 0
