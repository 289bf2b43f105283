"""Two-process data-parallel training on CPU (torchrun, gloo), through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.trainer_fixtures import build_fixture_model, make_pairs, write_pairs


def test_torchrun_two_processes_train_and_only_rank0_writes(tmp_path):
    pairs = make_pairs(validation=2)
    data = write_pairs(tmp_path / "mined", pairs).parent
    model = build_fixture_model(tmp_path / "tiny", pairs)
    out = tmp_path / "out"
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "trainer.cli", "train",
         "--data", str(data), "--model", str(model), "--output-dir", str(out),
         "--use-cpu", "--max-steps", "3", "--batch-size", "2", "--learning-rate", "1e-2"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("trainer: done") == 1  # the summary comes from rank 0 only
    summary = json.loads((out / "training_summary.json").read_text())
    assert summary["hyperparameters"]["world_size"] == 2 and summary["steps"] == 3
    # Each rank reads half of the 10 pairs, 3 batches of ≤ 2: 3 steps make one epoch (one
    # process alone would need 5).
    assert summary["epochs"] == 1.0
    assert (out / "adapter_model.safetensors").is_file() and (out / "README.md").is_file()
