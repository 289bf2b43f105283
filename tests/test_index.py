"""The repository index answers from the modules a question reaches, decoding no others."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from miner.index import RepoIndex
from miner.parse import summarize
from miner.records import ModuleSummary

SOURCES = {
    "pkg/__init__.py": b"from pkg.errors import ShopError\n",
    "pkg/errors.py": b"class ShopError(ValueError):\n    pass\n\n\nclass Sold(ShopError): ...\n",
    "pkg/api.py": b"from .errors import Sold as SoldOut\n\n\ndef buy(x):\n    raise SoldOut(x)\n",
    "other.py": b"class Unrelated(KeyError):\n    pass\n\n\nAlias = Unrelated\n",
}


class CountingSummaries(Mapping[str, ModuleSummary]):
    """Summaries by path that remember which paths were looked up."""

    def __init__(self) -> None:
        self.summaries = {path: summarize(source) for path, source in SOURCES.items()}
        self.looked_up: set[str] = set()

    def __getitem__(self, path: str) -> ModuleSummary:
        self.looked_up.add(path)
        return self.summaries[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.summaries)

    def __len__(self) -> int:
        return len(self.summaries)


def test_a_question_decodes_only_the_modules_it_reaches():
    summaries = CountingSummaries()
    index = RepoIndex(summaries)
    assert summaries.looked_up == set()
    assert index.canonical(index.resolve("pkg.api", "SoldOut")) == "pkg.errors.Sold"
    assert index.is_repo_exception("pkg.errors.Sold")
    assert summaries.looked_up == {"pkg/api.py", "pkg/errors.py"}


def test_on_demand_answers_equal_those_of_a_fully_built_index():
    lazy, built = RepoIndex(CountingSummaries()), RepoIndex(CountingSummaries())
    built.build_all()
    for index in (lazy, built):
        assert index.exception_classes() == [
            "other.Unrelated", "pkg.errors.ShopError", "pkg.errors.Sold"
        ]
        assert index.bindings("pkg") == {"ShopError": "pkg.errors.ShopError"}
        assert index.canonical(index.resolve("pkg", "ShopError")) == "pkg.errors.ShopError"
        assert index.canonical("other.Alias") == "other.Unrelated"
        assert index.bindings("not.in.repo") == {}
