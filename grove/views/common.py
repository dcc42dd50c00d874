"""Small rendering pieces shared by the views: bars, badges, ages, styles."""

from __future__ import annotations

from rich.text import Text

GROVE_STYLE = "green"
OTHER_STYLE = "magenta"
FREE_STYLE = "grey50"
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY_ICON = {"error": "✖", "warning": "⚠", "info": "ℹ"}
STATE_STYLE = {
    "healthy": "green",
    "progressing": "cyan",
    "updating": "blue",
    "pending": "yellow",
    "degraded": "yellow",
    "at-risk": "bold red",
    "terminating": "bold red",
}
STATE_ICON = {
    "healthy": "✓",
    "progressing": "…",
    "updating": "↻",
    "pending": "⧗",
    "degraded": "⚠",
    "at-risk": "✖",
    "terminating": "✖",
}
ROLE_BADGES = {"prefill": "P", "decode": "D"}


def role_letter(role: str) -> str:
    """``prefill`` → P, ``decode`` → D, otherwise the first letter, upper-cased (``?`` when unknown)."""
    if not role or role == "?":
        return "?"
    return ROLE_BADGES.get(role.lower(), role[0].upper())


def badge(role: str) -> str:
    return f"[{role_letter(role)}]"


def role_legend(roles: list[str]) -> str:
    """``[P] prefill  [D] decode  [R] router`` — every role behind a letter, prefill and decode first."""
    by_letter: dict[str, list[str]] = {}
    for role in sorted(set(roles), key=role_order):
        names = by_letter.setdefault(role_letter(role), [])
        names.append(role or "unknown")
    return "  ".join(f"[{letter}] {', '.join(names)}" for letter, names in by_letter.items())


def role_order(role: str) -> tuple[int, str]:
    """Sort key: prefill roles, then decode roles, then the rest by name."""
    letter = role_letter(role)
    return ({"P": 0, "D": 1}.get(letter, 2), role)


def ratio_bar(value: float, total: float, width: int = 16) -> Text:
    """``[██████░░░░]`` for value/total, coloured green → yellow → red by how far from full."""
    fraction = 0.0 if total <= 0 else max(0.0, min(1.0, value / total))
    filled = round(fraction * width)
    style = "green" if fraction >= 0.999 else ("yellow" if fraction >= 0.5 else "red")
    text = Text("[")
    text.append("█" * filled, style=style)
    text.append("░" * (width - filled), style=FREE_STYLE)
    text.append("]")
    return text


def gpu_bar(grove: int, other: int, allocatable: int, width: int = 16) -> Text:
    """Three-way GPU bar: Grove █, Other ▒, Free ░ (cells are proportional to allocatable)."""
    total = max(allocatable, grove + other, 1)
    g = round(grove / total * width)
    o = round(other / total * width)
    if grove and not g:
        g = 1
    if other and not o:
        o = 1
    g = min(g, width)
    o = min(o, width - g)
    text = Text("[")
    text.append("█" * g, style=GROVE_STYLE)
    text.append("▒" * o, style=OTHER_STYLE)
    text.append("░" * (width - g - o), style=FREE_STYLE)
    text.append("]")
    return text


def gpu_legend() -> Text:
    text = Text("GPUs: ")
    text.append("█", style=GROVE_STYLE)
    text.append(" Grove  ")
    text.append("▒", style=OTHER_STYLE)
    text.append(" other workloads  ")
    text.append("░", style=FREE_STYLE)
    text.append(" free")
    return text


def age(now: float, since: float | None) -> str:
    """kubectl's age: 45s, 9m30s, 154m, 7h20m, 30h, 3d4h, 27d, 2y30d."""
    if since is None:
        return "-"
    return duration(max(0.0, now - since))


def duration(seconds: float) -> str:
    """A duration as kubectl prints ages (apimachinery's HumanDuration): at most five characters below two years."""
    s = round(seconds)
    sign = "-" if s < 0 else ""
    s = abs(s)
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 120:
        text = f"{s}s"
    elif minutes < 10:
        text = f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    elif minutes < 180:
        text = f"{minutes}m"
    elif hours < 8:
        text = f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    elif hours < 48:
        text = f"{hours}h"
    elif hours < 24 * 8:
        text = f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    elif days < 365 * 2:
        text = f"{days}d"
    elif days < 365 * 8:
        years = days // 365
        text = f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    else:
        text = f"{days // 365}y"
    return sign + text


def score_text(score: float | None) -> Text:
    if score is None:
        return Text("n/a", style="dim")
    style = "green" if score >= 0.9 else ("yellow" if score >= 0.7 else "red")
    return Text(f"{score:.2f}", style=style)


def state_text(state: str) -> Text:
    return Text(f"{STATE_ICON.get(state, '?')} {state}", style=STATE_STYLE.get(state, ""))


def rule(title: str, width: int) -> Text:
    return Text("━" * max(10, min(width, len(title) + 20)), style="dim")


def countdown_text(countdown: float) -> str:
    """``termination in 19m``, or, once terminationDelay has passed, how long ago (Grove is recreating it)."""
    if countdown > 0:
        return f"termination in {duration(countdown)}"
    return f"terminationDelay passed {duration(-countdown)} ago: being recreated"
