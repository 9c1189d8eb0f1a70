"""``sweep.html``: a sortable table of trials and a coherence-vs-outliers Pareto scatter."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

from topics.evaluate.metrics import METRIC_NAMES
from topics.report.page import script_json
from topics.sweep.spec import SweepSpec

#: Metrics shown per trial: every manifest metric but the per-assigned-document agreement
#: (``nmi_all``/``ari_all`` already score every document) and the label share.
_COLUMNS = [
    name
    for name in METRIC_NAMES
    if name not in {"nmi_assigned", "ari_assigned", "generic_label_share"}
]


def _number(value: Any) -> float:
    """A metric as a float; a missing one (no topics: no NPMI) is NaN."""
    return float("nan") if value is None else float(value)


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """Which points are not dominated (higher coherence and lower outlier share are better).

    A point with a missing value (NaN: a trial that found no topic has no coherence) is never
    on the front.
    """
    front = []
    for i, (coherence, outliers) in enumerate(points):
        if math.isnan(coherence) or math.isnan(outliers):
            front.append(False)
            continue
        dominated = any(
            c >= coherence and o <= outliers and (c > coherence or o < outliers)
            for j, (c, o) in enumerate(points)
            if j != i
        )
        front.append(not dominated)
    return front


def write_sweep_page(path: Path, spec: SweepSpec, trials: list[dict[str, Any]]) -> None:
    """Write the sweep page (self-contained: plotly.js inlined, no network)."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    metrics = [c for c in _COLUMNS if any(c in t["metrics"] for t in trials)]
    keys = list(spec.grid)
    points = [
        (_number(t["metrics"].get("npmi")), _number(t["metrics"].get("outlier_share")))
        for t in trials
    ]
    front = pareto_front(points)
    hover = [
        html.escape(f"{t['trial']}: " + ", ".join(f"{k}={v}" for k, v in t["settings"].items()))
        for t in trials
    ]
    figure = go.Figure()
    for on_front, colour, name in ((True, "#d62728", "Pareto front"), (False, "#7f7f7f", "other")):
        rows = [i for i, f in enumerate(front) if f == on_front]
        figure.add_trace(
            go.Scatter(
                x=[points[i][1] for i in rows],
                y=[points[i][0] for i in rows],
                mode="markers",
                name=name,
                marker={"size": 11, "color": colour},
                text=[hover[i] for i in rows],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    figure.update_layout(
        xaxis_title="outlier share (lower is better)",
        yaxis_title="NPMI coherence (higher is better)",
        height=420,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    rows = [
        {
            "rank": t["rank"],
            "trial": t["trial"],
            "ok": t["meets_constraints"],
            "link": f"{t['trial']}/index.html" if t.get("report") else f"{t['trial']}/topics.csv",
            **{k: t["settings"].get(k) for k in keys},
            **{m: t["metrics"].get(m) for m in metrics},
            "seconds": t.get("seconds"),
        }
        for t in trials
    ]
    columns = ["rank", "trial", "ok", *keys, *metrics, "seconds"]
    objective = spec.objective
    title = html.escape(f"Sweep {spec.name}")
    page = _TEMPLATE.format(
        title=title,
        plotly=get_plotlyjs(),
        figure=script_json(json.loads(figure.to_json())),
        rows=script_json(rows),
        columns=script_json(columns),
        objective=html.escape(
            f"{objective.direction} {objective.metric}; constraints: "
            + ", ".join(
                f"{k} {v.model_dump(exclude_none=True)}" for k, v in objective.constraints.items()
            )
        ),
        count=len(trials),
    )
    path.write_text(page, encoding="utf-8")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", sans-serif;
       margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }}
th {{ cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }}
tr.best td {{ background: #fff7d6; }}
td.bad {{ color: #999; }}
</style>
<script>{plotly}</script></head>
<body>
<h1>{title}</h1>
<p>{count} trials. Objective: {objective}. Best: first row (constraints met first).
Click a column header to sort; <code>best.yaml</code> holds the winning config.</p>
<div id="pareto"></div>
<table id="trials"><thead></thead><tbody></tbody></table>
<script type="application/json" id="figure-data">{figure}</script>
<script type="application/json" id="rows-data">{rows}</script>
<script type="application/json" id="columns-data">{columns}</script>
<script>
(function () {{
  var read = function (id) {{ return JSON.parse(document.getElementById(id).textContent); }};
  var fig = read("figure-data"), rows = read("rows-data"), columns = read("columns-data");
  Plotly.newPlot("pareto", fig.data, fig.layout, {{displaylogo: false, responsive: true}});
  var table = document.getElementById("trials"), sortKey = "rank", ascending = true;
  function cell(value) {{
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(3);
    return value === null || value === undefined ? "" : String(value);
  }}
  function render() {{
    var head = document.createElement("tr");
    columns.forEach(function (c) {{
      var th = document.createElement("th"); th.textContent = c + (c === sortKey ? (ascending ? " ▲" : " ▼") : "");
      th.addEventListener("click", function () {{ ascending = sortKey === c ? !ascending : true; sortKey = c; render(); }});
      head.appendChild(th);
    }});
    table.tHead.replaceChildren(head);
    var sorted = rows.slice().sort(function (a, b) {{
      var x = a[sortKey], y = b[sortKey];
      if (x === y) return 0; if (x === null || x === undefined) return 1; if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    }});
    var body = document.createElement("tbody");
    sorted.forEach(function (r) {{
      var tr = document.createElement("tr"); if (r.rank === 1) tr.className = "best";
      columns.forEach(function (c) {{
        var td = document.createElement("td");
        if (c === "trial") {{ var a = document.createElement("a"); a.href = r.link; a.textContent = r.trial; td.appendChild(a); }}
        else td.textContent = cell(r[c]);
        if (!r.ok) td.classList.add("bad");
        tr.appendChild(td);
      }});
      body.appendChild(tr);
    }});
    table.tBodies[0].replaceWith(body);
  }}
  render();
}})();
</script>
</body></html>
"""
