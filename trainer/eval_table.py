"""How aggregates are named and formatted, and the one-screen table `trainer eval` prints."""

from __future__ import annotations

from typing import Any

from trainer.eval_score import SCALAR_METRICS

LABELS = {
    "syntax_rate": "syntax ok",
    "house_style_rate": "house style",
    "exact_match": "exact match",
    "edit_similarity": "edit similarity",
    "chrf": "chrF",
    "stop_rate": "stopped on EOS",
}


def format_value(metric: str, value: float) -> str:
    """chrF is on sacrebleu's 0-100 scale already; every other aggregate is a rate in [0, 1]."""
    return f"{value:.1f}" if metric == "chrf" else f"{100 * value:.1f}%"


def format_delta(metric: str, value: float) -> str:
    return f"{value:+.1f}" if metric == "chrf" else f"{100 * value:+.1f} pt"


def _rows(report: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(label, metric for formatting, key path into aggregates) in display order."""
    rows: list[tuple[str, str, Any]] = [(LABELS[m], m, (m,)) for m in SCALAR_METRICS]
    rules = sorted({r for m in report["models"].values() for r in m["aggregates"]["per_rule"]})
    rows += [(f"rule {rule}", "rate", ("per_rule", rule)) for rule in rules]
    return rows


def _lookup(values: dict[str, Any], path: tuple[str, ...]) -> float:
    for key in path[:-1]:
        values = values[key]
    return float(values.get(path[-1], 0.0))


def render_table(report: dict[str, Any]) -> str:
    """Aggregates per model (base, tuned) and tuned − base, sized for one terminal screen."""
    models = report["models"]
    delta = report.get("delta")
    headers = ["metric", *models, *(["tuned − base"] if delta else [])]
    lines = []
    for label, metric, path in _rows(report):
        cells = [label]
        cells += [format_value(metric, _lookup(m["aggregates"], path)) for m in models.values()]
        if delta:
            cells.append(format_delta(metric, _lookup(delta, path)))
        lines.append(cells)
    lines.append(["examples", *(str(m["aggregates"]["n"]) for m in models.values())])
    widths = [
        max(len(row[i]) for row in [headers, *lines] if i < len(row)) for i in range(len(headers))
    ]
    out = [
        "  ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in [headers, *lines]
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    for name, model in models.items():
        timing = model.get("timing")
        if timing:
            out.append(
                f"{name}: {timing['generated_tokens']} tokens in {timing['generate_s']:.1f} s "
                f"({timing['tokens_per_second']:.0f} tokens/s) on {timing['device']}"
            )
    return "\n".join(out)
