"""bench/gpu_train.py: the default model is ~0.5B parameters, and `--smoke` runs on CPU."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

import tests.trainer_fixtures  # noqa: F401  (keeps the Hub offline)

BENCH = Path(__file__).resolve().parents[1] / "bench" / "gpu_train.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gpu_train", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_train"] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


def test_default_model_is_qwen2_half_billion(bench):
    model = bench._model(bench.BenchConfig(), torch.float32, "meta")  # shapes only, no memory
    n_params = sum(p.numel() for p in model.parameters())
    assert 480e6 < n_params < 510e6  # Qwen2.5-0.5B: 494M with tied embeddings


def test_smoke_run_reports_every_case(bench, tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("--smoke on a GPU machine measures the GPU; this test pins the CPU path")
    out = tmp_path / "bench.json"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    cases = {(r["method"], r["packing"]): r for r in report["results"]}
    assert set(cases) == {("lora", False), ("lora", True), ("full", False), ("full", True)}
    for r in cases.values():
        assert r["tokens"] > 0 and r["tokens_per_s"] > 0 and r["seconds"] > 0
        assert r["mfu"] is None and r["peak_memory_gib"] is None  # no GPU, no peak to compare
    lora, full = cases[("lora", False)], cases[("full", False)]
    assert 0 < lora["trainable_params"] < lora["params"] == full["trainable_params"]
    # A packed row holds several examples, so the same steps see more real tokens.
    assert cases[("full", True)]["tokens"] > full["tokens"]
    assert "| lora | yes |" in capsys.readouterr().out
