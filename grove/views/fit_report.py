"""``fit``: one line per gang — pack level, best domain, GPUs needed against free there, and the verdict."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from grove.simulate.fit import FitReport
from grove.simulate.gang_scheduler import DOES_NOT_FIT, FITS, FITS_MISSING_PREFERRED
from grove.views.fit import fitted_table

_VERDICT = {FITS: ("fits", "green"), FITS_MISSING_PREFERRED: ("fits, preferred pack missed", "yellow"),
            DOES_NOT_FIT: ("does not fit", "red")}  # fmt: skip


def render_fit(report: FitReport, width: int) -> RenderableType:
    headers = ["GANG", "KIND", "PODS", "LEVEL", "BEST DOMAIN", "GPUS NEEDED", "FREE THERE", "VERDICT"]
    rows = []
    for g in report.gangs:
        text, style = _VERDICT[g.fit.verdict]
        rows.append(
            [
                Text(g.gang),
                Text("base" if g.base else "scaled"),
                Text(str(g.pods)),
                Text(g.fit.level),
                Text(g.fit.best_domain or "-"),
                Text(f"{g.fit.needed}" + (f" {g.fit.product}" if g.fit.product else "")),
                Text(str(g.fit.free_there)),
                Text(text, style=style),
            ]
        )
    parts: list[RenderableType] = [fitted_table(headers, rows, width, drop_order=("KIND", "PODS", "FREE THERE"))]
    for g in report.gangs:
        if g.fit.message:
            parts.append(Text(f"{g.gang}: {g.fit.message}", style="red"))
    return Group(*parts)


def fit_document(report: FitReport) -> dict[str, Any]:
    return {
        "kind": "FitReport",
        "namespace": report.namespace,
        "podCliqueSet": report.pcs,
        "fits": report.fits,
        "gangs": [
            {
                "name": g.gang,
                "base": g.base,
                "pods": g.pods,
                "level": g.fit.level,
                "bestDomain": g.fit.best_domain,
                "gpusNeeded": g.fit.needed,
                "product": g.fit.product,
                "gpusFreeThere": g.fit.free_there,
                "verdict": g.fit.verdict,
                "message": g.fit.message,
            }
            for g in report.gangs
        ],
    }
