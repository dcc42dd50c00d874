"""Every key of the app, in one place: the screens bind these, the help screen lists them, the footer hints at them."""

from __future__ import annotations

from textual.binding import Binding

GLOBAL = [
    Binding("q", "app.quit", "quit", key_display="q"),
    Binding("ctrl+q", "app.quit", "quit (also from an overlay)", key_display="Ctrl+Q", show=False, priority=True),
    Binding("question_mark", "app.help", "help", key_display="?"),
    Binding("exclamation_mark", "app.problems", "source problems", key_display="!"),
]

REPLAY = [
    Binding("space", "app.toggle_play", "pause / resume", key_display="space"),
    Binding("plus,equals_sign", "app.faster", "faster (up to 64×)", key_display="+"),
    Binding("minus", "app.slower", "slower (down to 0.5×)", key_display="-"),
    Binding("right", "app.step(1)", "step one event forward (pauses)", key_display="→", priority=True),
    Binding("left", "app.step(-1)", "step one event back (pauses)", key_display="←", priority=True),
    Binding("g", "app.goto", "go to an offset (e.g. 90s, 2m30s)", key_display="g"),
    Binding("G,shift+g", "app.end", "go to the end", key_display="G"),
]

FOREST = [
    Binding("enter", "open", "drill in (a pod: its YAML)", key_display="Enter", show=False),
    Binding("escape,backspace", "back", "back up (clears the filter first)", key_display="Esc/⌫"),
    Binding("t", "topology", "topology view of the selected PodCliqueSet", key_display="t"),
    Binding("y", "yaml", "YAML of the selected object", key_display="y"),
    Binding("l", "logs", "logs of the selected pod (live only)", key_display="l"),
    Binding("slash", "filter", "filter the list as you type", key_display="/"),
    Binding("e", "events_mode", "events: Warnings first ↔ all by time", key_display="e"),
    Binding("m", "metrics", "metrics of the selected PodCliqueSet per role", key_display="m", show=False),
    Binding("s", "scale", "scale the PodCliqueSet, scaling group or standalone clique (previewed)", key_display="s"),
    Binding(
        "R,shift+r", "restart", "rolling restart of the PodCliqueSet (a clique: its role), previewed", key_display="R"
    ),
]

TOPOLOGY = [
    Binding("enter", "open", "drill into the domain", key_display="Enter", show=False),
    Binding("escape,backspace", "back", "up one level (at the top: back to the forest)", key_display="Esc/⌫"),
    Binding("t", "close", "back to the forest", key_display="t"),
    Binding("a", "show_all", "all domains ↔ only the workload's", key_display="a"),
    Binding("y", "yaml", "YAML of the selected node or pod", key_display="y"),
    Binding("l", "logs", "logs of the selected pod (live only)", key_display="l"),
    Binding("slash", "filter", "filter the list as you type", key_display="/"),
]

TABLE = [
    ("↑/↓ PgUp/PgDn Home/End", "move the cursor"),
    ("Tab / Shift+Tab", "switch focus between panes"),
]

YAML = [
    Binding("escape,q,y", "close", "close", key_display="Esc"),
    Binding("slash", "search", "search", key_display="/"),
    Binding("n", "next_match", "next match", key_display="n"),
    Binding("N,shift+n", "previous_match", "previous match", key_display="N"),
]

LOGS = [
    Binding("escape,q,l", "close", "close", key_display="Esc"),
    Binding("f", "follow", "follow on/off", key_display="f"),
    Binding("c", "container", "next container", key_display="c"),
    Binding("w", "wrap", "wrap on/off", key_display="w"),
]

OVERLAY = [Binding("escape,q", "close", "close", key_display="Esc")]

HELP_SECTIONS: list[tuple[str, list[Binding] | list[tuple[str, str]]]] = [
    ("Everywhere", GLOBAL),
    ("Tables", TABLE),
    ("Forest (resources and events)", FOREST),
    ("Topology", TOPOLOGY),
    ("Replay (kubectl grove replay / tui --replay)", REPLAY),
    ("YAML overlay", YAML),
    ("Logs overlay (live only)", LOGS),
]
