"""housestyle miner: docstring→code pairs in a team's house style, mined from git."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("housestyle")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
