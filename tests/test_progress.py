"""The progress bar shows on a terminal only, and never changes what is mined."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios


def _mine_with_stderr_on(stderr, repo, out, *flags):
    command = [sys.executable, "-m", "miner.cli", "mine", str(repo), "--out", str(out), *flags]
    return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=stderr, check=False)


def test_a_terminal_gets_a_bar_and_a_pipe_does_not(make_repo, tmp_path):
    repo = make_repo("repo", {f"pkg/m{k}.py": f"def f{k}():\n    return {k}\n" for k in range(3)})
    primary, secondary = os.openpty()
    # A new pseudo-terminal is 0 columns wide, where tqdm draws an empty bar.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        run = _mine_with_stderr_on(secondary, repo.path, tmp_path / "tty")
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(primary)
    assert run.returncode == 0
    assert b"100%" in shown and b"repo" in shown  # tqdm's bar, named after the repository

    piped = _mine_with_stderr_on(subprocess.PIPE, repo.path, tmp_path / "pipe")
    assert piped.returncode == 0 and b"100%" not in piped.stderr
    quiet = _mine_with_stderr_on(subprocess.PIPE, repo.path, tmp_path / "quiet", "--no-progress")
    assert b"100%" not in quiet.stderr
    tty_pairs = (tmp_path / "tty" / "pairs.jsonl").read_bytes()
    assert tty_pairs == (tmp_path / "pipe" / "pairs.jsonl").read_bytes()
