"""Assembling one self-contained HTML page: Plotly's JavaScript inlined, figures as embedded JSON.

Each chart is a ``<div id=…>`` plus a ``<script type="application/json" class="figure-data">`` holding its
figure; one small script draws them all. Nothing is fetched from the network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly
from plotly.offline import get_plotlyjs

from megacluster.report.layout import Chart

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1rem 1.5rem 3rem; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
.meta { color: #555; }
table.figures { border-collapse: collapse; margin: 0.5rem 0; display: block; max-width: 100%;
  overflow-x: auto; }
table.figures th, table.figures td { padding: 0.2rem 0.8rem; border-bottom: 1px solid #eee;
  text-align: left; }
table.figures td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figure-tables { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
.table-scroll { overflow-x: auto; max-width: 100%; }
.story { background: #f7f9fb; border-left: 4px solid #1f77b4; padding: 0.6rem 1rem; margin: 1rem 0; }
.story h3 { margin: 0.4rem 0 0.2rem; font-size: 1rem; }
.story ul { margin: 0.2rem 0 0.6rem; padding-left: 1.2rem; }
.outcome { font-size: 1.1rem; font-weight: 600; }
ul.timeline { list-style: none; padding-left: 0; font-size: 0.9rem; }
ul.timeline li { padding: 0.1rem 0; } ul.timeline time { display: inline-block; min-width: 8.5rem;
  font-variant-numeric: tabular-nums; color: #555; }
.chart { min-height: 400px; } .caption { color: #555; font-size: 0.9rem; margin: 0 0 1.2rem; }
p.chart-note { color: #555; font-style: italic; border: 1px dashed #ccc; padding: 0.5rem 0.8rem; }
details pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
details.sources-group { margin: 0.2rem 0; } details.sources-group summary { cursor: pointer; }
ul.sources { font-size: 0.85rem; color: #444; }
@media (max-width: 700px) { body { padding: 0.5rem 0.6rem 2rem; } .chart { min-height: 440px; } }
"""

DRAW = """
(function () {
  // Charts whose layout.meta.zoom_detail_days is set show the traces with meta 'detail' (hourly) when zoomed
  // in to that many days or less, else those with meta 'overview' (daily).
  function swapDetail(div, days) {
    var span = Infinity, xa = div._fullLayout && div._fullLayout.xaxis;
    if (xa && xa.range) { span = (new Date(xa.range[1]) - new Date(xa.range[0])) / 86400000; }
    var detail = span <= days, show = [], idx = [];
    div.data.forEach(function (t, i) {
      if (t.meta === 'detail' || t.meta === 'overview') {
        idx.push(i); show.push((t.meta === 'detail') === detail);
      }
    });
    var now = idx.map(function (i) { return div.data[i].visible !== false; });
    if (JSON.stringify(now) !== JSON.stringify(show)) { Plotly.restyle(div, {visible: show}, idx); }
  }
  var blocks = document.querySelectorAll('script.figure-data');
  for (var i = 0; i < blocks.length; i++) {
    var fig = JSON.parse(blocks[i].textContent);
    var axis = blocks[i].getAttribute('data-time');
    if (axis) {
      var times = JSON.parse(document.getElementById(axis).textContent);
      fig.data.forEach(function (trace) { if (trace._x === 'time') { trace.x = times; delete trace._x; } });
    }
    var target = document.getElementById(blocks[i].getAttribute('data-target'));
    if (target.clientWidth < 600) {  // a phone: taller, narrower margins (the legend wraps below the plot)
      fig.layout.height = Math.max(fig.layout.height || 400, 480);
      fig.layout.margin = Object.assign({}, fig.layout.margin, {l: 48, r: 48});
    }
    Plotly.newPlot(target, fig.data, fig.layout, {responsive: true, displaylogo: false});
    var days = fig.layout.meta && fig.layout.meta.zoom_detail_days;
    if (days) {
      (function (div, d) { div.on('plotly_relayout', function () { swapDetail(div, d); }); })(target, days);
    }
  }
  document.body.setAttribute('data-charts-drawn', String(blocks.length));
})();
"""


def _script_safe(text: str) -> str:
    """Text that cannot close the ``<script>`` element it sits in."""
    return text.replace("</", "<\\/")


@cache
def plotly_js() -> str:
    """Plotly's JavaScript bundle from the installed plotly package, safe to inline."""
    return _script_safe(get_plotlyjs())


def time_labels(times: Any) -> list[str]:
    """Times as compact ISO text (``YYYY-MM-DD HH:MM``) for a shared time axis."""
    return [str(t) for t in pd.to_datetime(pd.Series(times)).dt.strftime("%Y-%m-%d %H:%M")]


def time_axis_block(axis_id: str, times: Any) -> str:
    """An embedded JSON list of times that charts refer to instead of repeating it in every trace."""
    text = _script_safe(json.dumps(time_labels(times), separators=(",", ":")))
    return f'<script type="application/json" id="{html.escape(axis_id)}">{text}</script>\n'


def figure_dict(figure: go.Figure, shared_time: Any = None) -> dict[str, Any]:
    """A figure as a plain dict; traces whose x is exactly ``shared_time`` get ``_x: "time"`` instead."""
    data = figure.to_plotly_json()
    if shared_time is not None:
        ref = np.asarray(pd.to_datetime(pd.Series(shared_time)).to_numpy(dtype="datetime64[s]"))
        for trace in data.get("data", []):
            x = trace.get("x")
            same = isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.datetime64) and len(x) == len(ref)
            if same and np.array_equal(x.astype("datetime64[s]"), ref):
                del trace["x"]
                trace["_x"] = "time"
    return data


def figure_json(figure: go.Figure, shared_time: Any = None) -> str:
    """A figure as JSON for embedding (Plotly's encoder: arrays as base64 typed arrays)."""
    return _script_safe(to_json_plotly(figure_dict(figure, shared_time)))


def chart_block(chart: Chart, time_axis: tuple[str, Any] | None = None) -> str:
    """The HTML of one chart: its div, caption and embedded figure (x from the shared axis if given); a chart
    without a figure is its one line saying why."""
    cid = html.escape(chart.id)
    if chart.figure is None:
        return f'<p class="chart-note" id="{cid}">{html.escape(chart.caption)}</p>\n'
    axis_attr = f' data-time="{html.escape(time_axis[0])}"' if time_axis else ""
    body = figure_json(chart.figure, time_axis[1] if time_axis else None)
    return (
        f'<div class="chart" id="{cid}"></div>\n'
        f'<p class="caption">{html.escape(chart.caption)}</p>\n'
        f'<script type="application/json" class="figure-data" data-target="{cid}"{axis_attr}>'
        f"{body}</script>\n"
    )


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], table_id: str, numeric: Sequence[int] = ()
) -> str:
    """An HTML table; columns listed in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>' if i in numeric else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="figures" id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def page(title: str, body: str) -> str:
    """A whole HTML document with Plotly inlined in the head and the charts drawn at the end."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n"
        f"<script>{plotly_js()}</script>\n</head>\n<body>\n{body}\n<script>{DRAW}</script>\n</body>\n</html>\n"
    )
