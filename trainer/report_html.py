"""Render an evaluation report (the dict `trainer.evaluate` writes as JSON) as one HTML page.

The page is self-contained — inline CSS and inline SVG, no script, no external resource — so it
can be attached to a review or opened offline. Every string from the report is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from trainer.eval_score import SCALAR_METRICS
from trainer.eval_table import LABELS, format_delta, format_value

# Fixed per model label so base and tuned keep their colour in every chart and badge.
_COLOURS = {"base": "#9aa5b1", "tuned": "#2f6fdf"}
_FALLBACK_COLOUR = "#7b4fd0"
_CHART_NOTE = (
    '<p class="meta">Per require rule: of the examples whose reference matched the rule, the '
    "share whose generation matched it too. Last group: generations that parse, match every "
    "rule their reference matched and no forbid rule.</p>"
)
_BLANK_RUN = 4  # blank lines in a row shown as one marker line
_NO_RULE = '<span class="badge">no require rule</span>'

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;
  max-width:1400px;padding:0 16px;color:#1d2430;background:#f6f7f9}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:#5b6573;margin:0 0 16px}.meta code{background:#e9ecf1;padding:0 4px;border-radius:3px}
table.agg{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0001}
table.agg th,table.agg td{padding:6px 14px;border-bottom:1px solid #e3e6eb;text-align:right}
table.agg th:first-child,table.agg td:first-child{text-align:left}
table.agg thead th{background:#eef1f5}
.pos{color:#137333}.neg{color:#b3261e}
.chart{background:#fff;box-shadow:0 1px 2px #0001;padding:8px;display:inline-block}
.legend span{display:inline-block;margin-right:14px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;
  margin-right:4px}
.ex{background:#fff;box-shadow:0 1px 2px #0001;border-radius:6px;padding:12px 14px;
  margin:0 0 18px}
.ex h3{font-size:15px;margin:0 0 2px;font-family:ui-monospace,Menlo,Consolas,monospace}
.where{color:#5b6573;font-size:12px;margin-bottom:8px}
.cols{display:grid;column-gap:10px;row-gap:4px;align-items:start}
.cols h4{margin:6px 0 0;font-size:13px}
pre{background:#f3f4f6;border:1px solid #e3e6eb;border-radius:4px;padding:8px;margin:0;
  font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;
  overflow-wrap:anywhere;max-height:36em;overflow:auto}
pre.none,.gap{color:#5b6573;font-style:italic}
pre.prompt{background:#fbf8ef;margin-bottom:6px}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:9px;margin:4px 4px 0 0;
  background:#e9ecf1;color:#1d2430}
.ok{background:#dcf3e3;color:#0d5c2b}.bad{background:#fbe0de;color:#8c1d18}
.scores{font-size:12px;color:#5b6573;margin-top:4px}
"""


def _fmt_delta(metric: str, value: float) -> str:
    cls = "pos" if value > 0 else "neg" if value < 0 else ""
    return f'<span class="{cls}">{escape(format_delta(metric, value))}</span>'


def _aggregates_table(report: dict[str, Any]) -> str:
    models = report["models"]
    delta = report.get("delta")
    head = "".join(f"<th>{escape(label)}</th>" for label in models)
    head += "<th>tuned − base</th>" if delta else ""
    rows = []
    for metric in SCALAR_METRICS:
        cells = "".join(
            f"<td>{format_value(metric, m['aggregates'][metric])}</td>" for m in models.values()
        )
        if delta:
            cells += f"<td>{_fmt_delta(metric, delta[metric])}</td>"
        rows.append(f"<tr><td>{escape(LABELS[metric])}</td>{cells}</tr>")
    rules = sorted({rule for m in models.values() for rule in m["aggregates"]["per_rule"]})
    for rule in rules:
        cells = "".join(
            f"<td>{format_value('rate', m['aggregates']['per_rule'].get(rule, 0.0))}</td>"
            for m in models.values()
        )
        if delta:
            cells += f"<td>{_fmt_delta('rate', delta['per_rule'].get(rule, 0.0))}</td>"
        rows.append(f"<tr><td>rule <code>{escape(rule)}</code></td>{cells}</tr>")
    counts = "".join(f"<td>{m['aggregates']['n']}</td>" for m in models.values())
    rows.append(f"<tr><td>examples</td>{counts}{'<td></td>' if delta else ''}</tr>")
    return (
        f'<table class="agg"><thead><tr><th>metric</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _rule_chart(report: dict[str, Any]) -> str:
    """Grouped horizontal bars: per require rule, and overall house style, one bar per model."""
    models = report["models"]
    rules = sorted({rule for m in models.values() for rule in m["aggregates"]["per_rule"]})
    groups = [(f"rule {rule}", "per_rule", rule) for rule in rules]
    groups.append(("house style (all)", "house_style_rate", None))
    label_w, bar_w, bar_h, gap = 190, 420, 16, 14
    group_h = bar_h * len(models) + gap
    height = group_h * len(groups) + 26
    width = label_w + bar_w + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="house-style rate per rule">'
    ]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + bar_w * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#e3e6eb"/>'
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11" fill="#5b6573" '
            f'text-anchor="middle">{tick}%</text>'
        )
    for g, (label, key, rule) in enumerate(groups):
        top = g * group_h + 4
        mid = top + bar_h * len(models) / 2 + 4
        parts.append(
            f'<text x="{label_w - 8}" y="{mid:.1f}" font-size="12" text-anchor="end" '
            f'fill="#1d2430">{escape(label)}</text>'
        )
        for i, (name, model) in enumerate(models.items()):
            aggregates = model["aggregates"]
            value = aggregates[key] if rule is None else aggregates[key].get(rule, 0.0)
            y = top + i * bar_h
            colour = _COLOURS.get(name, _FALLBACK_COLOUR)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{bar_w * value:.1f}" height="{bar_h - 3}" '
                f'fill="{colour}"><title>{escape(name)}: {100 * value:.1f}%</title></rect>'
                f'<text x="{label_w + bar_w * value + 4:.1f}" y="{y + bar_h - 5}" font-size="11" '
                f'fill="#1d2430">{100 * value:.0f}%</text>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i class="swatch" style="background:{_COLOURS.get(name, _FALLBACK_COLOUR)}">'
        f"</i>{escape(name)}</span>"
        for name in models
    )
    return f'<div class="chart"><div class="legend">{legend}</div>{"".join(parts)}</div>'


def _badge(ok: bool, text: str) -> str:
    return f'<span class="badge {"ok" if ok else "bad"}">{escape(text)}</span>'


def _verdicts(score: dict[str, Any]) -> str:
    reasons = ", ".join(score["reasons"])
    badges = [
        _badge(score["syntax_ok"], "parses ✓" if score["syntax_ok"] else "parses ✗"),
        _badge(
            score["house_style"],
            "house style ✓" if score["house_style"] else f"house style ✗ {reasons}",
        ),
        _badge(score["stopped"], "stopped ✓" if score["stopped"] else "hit max tokens"),
    ]
    if score["exact_match"]:
        badges.append(_badge(True, "exact match"))
    scores = (
        f'<div class="scores">edit similarity {score["edit_similarity"]:.2f} · '
        f"chrF {score['chrf']:.1f} · {score['new_tokens']} tokens</div>"
    )
    return "".join(badges) + scores


def _collapse_blank_runs(escaped: str) -> str:
    """Show a long run of blank lines as one marked line, so the code around it stays in view."""
    out: list[str] = []
    run: list[str] = []
    for line in [*escaped.split("\n"), None]:
        if line is not None and not line.strip():
            run.append(line)
            continue
        if len(run) >= _BLANK_RUN:
            out.append(f'<span class="gap">⋯ {len(run)} blank lines ⋯</span>')
        else:
            out.extend(run)
        run = []
        if line is not None:
            out.append(line)
    return "\n".join(out)


def _code(text: str) -> str:
    if not text.strip():  # an empty or blank block would look like a rendering fault
        shown = "(no output)" if not text else f"(only whitespace: {len(text)} characters)"
        return f'<pre class="none">{shown}</pre>'
    return f"<pre>{_collapse_blank_runs(escape(text))}</pre>"


def _example(example: dict[str, Any]) -> str:
    rules = "".join(f'<span class="badge">{escape(r)}</span>' for r in example["reference_rules"])
    # Cells go row by row (titles, verdicts, code) so every row lines up across the columns.
    titles = ["<h4>reference</h4>"] + [f"<h4>{escape(n)}</h4>" for n in example["generations"]]
    verdicts = [f"<div>{rules or '<span class=badge>no require rule</span>'}</div>"]
    verdicts += [f"<div>{_verdicts(s)}</div>" for s in example["generations"].values()]
    code = [_code(example["reference"])] + [
        _code(s["text"]) for s in example["generations"].values()
    ]
    return (
        f'<section class="ex" id="ex-{escape(example["id"])}">'
        f"<h3>{escape(example['qualname'])}</h3>"
        f'<div class="where">{escape(example["repo"])} · {escape(example["path"])} · '
        f"{escape(example['module'])}</div>"
        f'<pre class="prompt">{escape(example["prompt"])}</pre>'
        f'<div class="cols" style="grid-template-columns:repeat({len(titles)},minmax(0,1fr))">'
        f"{''.join(titles + verdicts + code)}</div></section>"
    )


def render(report: dict[str, Any]) -> str:
    """The whole page for `report`."""
    config = report["config"]
    described = " · ".join(
        f"{escape(name)}: <code>{escape(m['model'])}</code>"
        + (f" + adapter <code>{escape(m['adapter'])}</code>" if m.get("adapter") else "")
        for name, m in report["models"].items()
    )
    examples = "".join(_example(example) for example in report["examples"])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>housestyle evaluation</title>"
        f"<style>{_CSS}</style></head><body>"
        "<h1>Does the model write in the house style?</h1>"
        f'<p class="meta">{described}<br>data <code>{escape(str(config["data"]))}</code> · '
        f"split <code>{escape(config['split'])}</code> · "
        f"max {config['max_new_tokens']} new tokens</p>"
        f"<h2>Aggregates</h2>{_aggregates_table(report)}"
        f"<h2>House style per rule</h2>{_CHART_NOTE}{_rule_chart(report)}"
        f"<h2>Examples ({len(report['examples'])})</h2>{examples}"
        "</body></html>\n"
    )


def write_html(report: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report), encoding="utf-8")
    return path
