"""What a training run leaves behind besides weights: training_summary.json, README.md, stdout.

Everything here is built from plain values (the config, the data counts, the trainer's log
history), so it is written by the main process only and never touches the model.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

from trainer.config import TrainConfig
from trainer.data import PreparedSplits


def loss_history(log_history: list[dict]) -> dict[str, list[dict]]:
    """Train and eval loss per logged step, from `Trainer.state.log_history`."""
    train = [
        {"step": e["step"], "epoch": e.get("epoch"), "loss": e["loss"]}
        for e in log_history
        if "loss" in e
    ]
    evals = [
        {"step": e["step"], "epoch": e.get("epoch"), "loss": e["eval_loss"]}
        for e in log_history
        if "eval_loss" in e
    ]
    return {"train": train, "eval": evals}


def build_summary(
    config: TrainConfig,
    resolved: dict[str, Any],
    splits: PreparedSplits,
    data_file: Path,
    state: Any,
    wall_time_s: float,
    merged_dir: Path | None,
) -> dict[str, Any]:
    """The JSON-ready record of a run. `state` is the Trainer's `TrainerState`."""
    runtime = next((e["train_runtime"] for e in state.log_history if "train_runtime" in e), None)
    # TRL's running token count restarts with each session (a --resume), as train_runtime does:
    # the last logged value pairs with this session's runtime.
    tokens = next((e["num_tokens"] for e in reversed(state.log_history) if "num_tokens" in e), 0)
    return {
        "base_model": config.model,
        "method": "full" if config.full else "lora",
        "output_dir": str(Path(config.output_dir).resolve()),
        "merged_dir": str(merged_dir) if merged_dir else None,
        "data": {
            "file": str(data_file.resolve()),
            "read": splits.read,
            "dropped_over_max_length": splits.dropped,
            "used": {"train": len(splits.train), "validation": len(splits.validation)},
            "tokens": splits.tokens,
        },
        "hyperparameters": {**asdict(config), **resolved},
        "steps": state.global_step,
        "epochs": state.epoch,
        "stopped_early": state.global_step < state.max_steps,
        "best_checkpoint": state.best_model_checkpoint,
        # Which weights sit at the top of output_dir: the best checkpoint's or the last step's.
        "weights": "best" if config.load_best and state.best_model_checkpoint else "last",
        "best_eval_loss": state.best_metric,
        "loss": loss_history(state.log_history),
        "train_runtime_s": runtime,
        "wall_time_s": round(wall_time_s, 3),
        "train_tokens": int(tokens),
        "tokens_per_second": round(tokens / runtime, 1) if runtime else None,
        "versions": {p: version(p) for p in ("torch", "transformers", "trl", "peft")},
    }


def write_summary(summary: dict[str, Any], output_dir: Path) -> Path:
    path = output_dir / "training_summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return path


def _first_last(points: list[dict]) -> str:
    if not points:
        return "n/a"
    return f"{points[0]['loss']:.4g} → {points[-1]['loss']:.4g}"


def render_model_card(summary: dict[str, Any]) -> str:
    hp = summary["hyperparameters"]
    lora = summary["method"] == "lora"
    data = summary["data"]
    loss = summary["loss"]
    best = summary["best_eval_loss"]
    load = (
        "from peft import AutoPeftModelForCausalLM\n"
        "model = AutoPeftModelForCausalLM.from_pretrained(MODEL_DIR)"
        if lora
        else "from transformers import AutoModelForCausalLM\n"
        "model = AutoModelForCausalLM.from_pretrained(MODEL_DIR)"
    )
    method = (
        f"LoRA adapter (r={hp['lora_r']}, alpha={hp['lora_alpha']}, dropout={hp['lora_dropout']}, "
        f"target modules {hp['lora_target_modules']})"
        if lora
        else "full fine-tune"
    )
    early = ", stopped early" if summary["stopped_early"] else ""
    return f"""---
base_model: {summary["base_model"]}
library_name: {"peft" if lora else "transformers"}
tags: [housestyle, trl, sft, code]
---

# House-style code model

{method} of `{summary["base_model"]}`, trained with TRL's `SFTTrainer` on docstring→code pairs
mined from the team's own repositories by `miner`. It writes a function body from its docstring
and the imports in scope, the way the team writes it.

## Training data

- pairs file: `{data["file"]}`
- train pairs: {data["used"]["train"]} of {data["read"]["train"]} \
({data["dropped_over_max_length"]["train"]} dropped as longer than {hp["max_length"]} tokens)
- validation pairs: {data["used"]["validation"]} of {data["read"]["validation"]} \
({data["dropped_over_max_length"]["validation"]} dropped)
- train tokens (prompt + completion + EOS): {data["tokens"]["train"]}

## Training

- epochs {hp["epochs"]}, learning rate {hp["learning_rate"]}, {hp["lr_scheduler_type"]} schedule
- batch {hp["batch_size"]} per device × {hp["gradient_accumulation_steps"]} accumulation \
× {hp["world_size"]} processes, packing {"on" if hp["packing"] else "off"}
- precision {"bf16 mixed" if hp["bf16"] else "fp32"}, completion-only loss, EOS trained
- {summary["steps"]} steps ({summary["epochs"]:.3g} epochs){early}, \
{summary["train_runtime_s"]} s, {summary["tokens_per_second"]} tokens/s

## Results

- train loss: {_first_last(loss["train"])}
- eval loss: {_first_last(loss["eval"])}; best {f"{best:.4g}" if best is not None else "n/a"}

## Use

Build prompts with the template the model was trained on (`trainer.data.format_prompt`):

```python
{load}
from trainer.data import format_prompt
prompt = format_prompt(pair, {hp["prompt_template"]!r})
```

Generate greedily and stop at the tokenizer's EOS token.

## Limitations

The model learned only what the mined pairs show. Check generated code like any other code;
`trainer eval` measures how often it follows the house rules.
"""


def write_model_card(summary: dict[str, Any], output_dir: Path) -> Path:
    path = output_dir / "README.md"
    path.write_text(render_model_card(summary), encoding="utf-8")
    return path


def render_screen(summary: dict[str, Any]) -> str:
    """The one-screen report printed at the end of `trainer train`."""
    data, loss, hp = summary["data"], summary["loss"], summary["hyperparameters"]
    used, dropped = data["used"], data["dropped_over_max_length"]
    best = summary["best_eval_loss"]
    what = (
        f"LoRA adapter (r={hp['lora_r']}, alpha={hp['lora_alpha']})"
        if summary["method"] == "lora"
        else "full fine-tune"
    )
    lines = [
        f"trainer: done in {summary['wall_time_s']:.1f} s",
        f"  model    {what} of {summary['base_model']}",
        f"  data     {used['train']} train / {used['validation']} validation pairs "
        f"({dropped['train']} / {dropped['validation']} dropped: "
        f"longer than {hp['max_length']} tokens)",
        f"  steps    {summary['steps']} ({summary['epochs']:.3g} epochs"
        f"{', stopped early' if summary['stopped_early'] else ''}), "
        f"{summary['train_tokens']} tokens at {summary['tokens_per_second']} tokens/s",
        f"  loss     train {_first_last(loss['train'])}; eval {_first_last(loss['eval'])}"
        + (f", best {best:.4g}" if best is not None else ""),
        f"  output   {summary['output_dir']}",
    ]
    if summary["best_checkpoint"]:
        saved = "saved as the output" if summary["weights"] == "best" else "output is the last step"
        lines.append(f"  best     {summary['best_checkpoint']} ({saved})")
    if summary["merged_dir"]:
        lines.append(f"  merged   {summary['merged_dir']}")
    lines.append(f"  summary  {Path(summary['output_dir']) / 'training_summary.json'}")
    return "\n".join(lines)
