"""`miner mine --executor ray`: one Ray task per repository, on an existing cluster.

A task does for its repository exactly what the local executor does (mirror sync, its own
state file, parse, verdicts) and sends back only what the driver needs: the functions the
filters kept and the counts. The driver merges in config order, dedups across repositories and
writes the outputs, so the result is byte-identical to the local executor's. Repository paths,
the state dir and the cache dir must be the same paths on every node (a shared filesystem), as
each repository's state file is read and written by whichever node runs its task.
"""

from __future__ import annotations

from pathlib import Path

from miner.config import ConfigError, MineConfig, RepoSpec
from miner.executors import Mined, finish_one, start_one
from miner.parallel import FilePool
from miner.pipeline import RepoResult
from miner.rules import RulePack
from miner.source import SourceError

INSTALL_HINT = "pip install 'housestyle[ray]'"


def _mine_task(
    spec: RepoSpec, config: MineConfig, pack: RulePack, state_dir: Path | None
) -> RepoResult | SourceError:
    # One core per task: Ray's scheduler, not a pool inside the task, spreads the work.
    with FilePool(1, config.exclusions, pack, all_usages=state_dir is None) as pool:
        try:
            step = start_one(spec, config, pack, state_dir, pool)
        except SourceError as err:
            return err
        return finish_one(spec.name, step, slim=True)[1]


def mine_on_ray(config: MineConfig, pack: RulePack, state_dir: Path | None) -> Mined:
    """Each repository's result (or error) in config order, mined as Ray tasks.

    Joins `config.ray_address` (or RAY_ADDRESS, else starts a local instance) unless this
    process is already connected, and disconnects only from what it connected to itself.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError(f"executor: ray is not installed ({INSTALL_HINT})") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=config.ray_address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(_mine_task)
        # The pack and settings go to the object store once, not once per task.
        config_ref, pack_ref = ray.put(config), ray.put(pack)
        refs = [(spec.name, task.remote(spec, config_ref, pack_ref, state_dir))
                for spec in config.repos]
        for name, ref in refs:
            yield name, ray.get(ref)
    finally:
        if started:
            ray.shutdown()
