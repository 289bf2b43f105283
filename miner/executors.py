"""Which process mines which repository: the executors behind `miner mine --executor`.

Both run the same per-repository steps of `miner.pipeline` (mirror sync, its own state file,
parse, verdicts) and yield each repository's result in config order; the pipeline then dedups
across repositories and writes the outputs, whichever executor ran.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from miner.config import MineConfig, RepoSpec
from miner.parallel import FilePool, default_jobs
from miner.pipeline import RepoResult, start_repo
from miner.remote import sync_mirror
from miner.rules import RulePack
from miner.source import SourceError
from miner.state import RepoState

Mined = Iterator[tuple[str, RepoResult | SourceError]]


def mine_repos(config: MineConfig, pack: RulePack, state_dir: Path | None, slim: bool) -> Mined:
    """Each repository's result (or error) in config order, from `config.executor`."""
    if config.executor == "ray":
        from miner.ray_executor import mine_on_ray  # imports ray: only for this executor

        return mine_on_ray(config, pack, state_dir)
    return mine_local(config, pack, state_dir, slim)


def start_one(
    spec: RepoSpec,
    config: MineConfig,
    pack: RulePack,
    state_dir: Path | None,
    pool: FilePool,
    judge_jobs: int = 1,
    damaged_before: bool = False,
) -> Callable[[], RepoResult]:
    """`start_repo` with the repository's mirror synced and its own state opened (and closed
    once the step returned has run). A state found damaged on the way is discarded and the
    repository mined again from nothing, once."""
    if spec.url and state_dir is not None:
        sync_mirror(spec.url, Path(config.source_path(spec)))
    if state_dir is None:
        return start_repo(spec, config, pack, None, pool, judge_jobs)
    state = RepoState(state_dir / f"{spec.name}.sqlite")

    def again(err: sqlite3.DatabaseError) -> Callable[[], RepoResult]:
        if damaged_before:
            state.close()
            raise err
        state.discard(err)
        return start_one(spec, config, pack, state_dir, pool, judge_jobs, damaged_before=True)

    try:
        finish = start_repo(spec, config, pack, state, pool, judge_jobs)
    except sqlite3.DatabaseError as err:
        return again(err)
    except BaseException:
        state.close()
        raise

    def finish_and_close() -> RepoResult:
        try:
            return finish()
        except sqlite3.DatabaseError as err:
            return again(err)()
        finally:
            state.close()

    return finish_and_close


def mine_local(config: MineConfig, pack: RulePack, state_dir: Path | None, slim: bool) -> Mined:
    """Each repository's result (or error) in config order. With several jobs, a few
    repositories are queued ahead of the one being finished, so that small repositories keep
    every worker busy too."""
    jobs = config.jobs or default_jobs()
    ahead = 2 * jobs if jobs > 1 else 0
    judge_jobs = jobs if slim else 1  # parallel judging returns only the kept functions
    window: deque[tuple[str, Callable[[], RepoResult] | SourceError]] = deque()
    # What the state holds, and all that a writing run judges: usages of documented functions.
    with FilePool(jobs, config.exclusions, pack, all_usages=state_dir is None) as pool:
        for spec in config.repos:
            try:
                step = start_one(spec, config, pack, state_dir, pool, judge_jobs)
                window.append((spec.name, step))
            except SourceError as err:
                window.append((spec.name, err))
            while len(window) > ahead:
                yield finish_one(*window.popleft(), slim)
        while window:
            yield finish_one(*window.popleft(), slim)


def finish_one(
    name: str, step: Callable[[], RepoResult] | SourceError, slim: bool
) -> tuple[str, RepoResult | SourceError]:
    """Run a started repository's last step; `slim` keeps only what a writing run needs."""
    if isinstance(step, SourceError):
        return name, step
    try:
        result = step()
    except SourceError as err:
        return name, err
    return name, result.slim() if slim else result
