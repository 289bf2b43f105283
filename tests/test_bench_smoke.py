"""`bench/mine_bench.py --quick` runs end to end and writes every figure the README quotes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRICS = {
    "throughput_ratio", "noop_rerun_ratio", "incremental_ratio", "parallel_speedup",
    "peak_rss_mb", "machine_two_process_speedup", "miner_mb_s", "parse_only_mb_s",
    "functions_per_s", "pairs_per_s",
    "ast_baseline_mb_s", "miner_vs_ast_baseline",
}


def test_quick_bench_writes_valid_results(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mine_bench.py"), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(out.read_text())
    assert results["metrics"].keys() == METRICS
    for name, metric in results["metrics"].items():
        assert metric["value"] > 0, name
        assert metric["pass"] in (True, False, None)
    assert {"cores", "cpu_model", "python"} <= results["machine"].keys()
    assert results["outputs_identical_1_vs_2_jobs"] is True
    assert results["corpus"]["files_changed_per_edit"] > 0
    runs = results["runs"]
    assert runs["noop_rerun"]["files_parsed"] == 0
    assert 0 < runs["incremental_0"]["files_parsed"] < runs["full_1_job"]["files_parsed"]
    # Each ratio's figures come in pairs measured side by side.
    assert len(results["attempts"]) == results["repeat"]
    assert all(a["noop_rerun_s"] < a["full_1_job_s"] for a in results["attempts"])
    assert len(results["edits"]) == results["corpus"]["edit_rounds"] == 1
    assert "| parallel_speedup |" in run.stdout
