"""Repository-wide name resolution, built from the module summaries of one commit.

Answers the two questions rules ask that one file cannot: what does a name used in module M
refer to (through imports, relative imports, re-exports and module-level aliases), and which
classes are the repository's own exceptions (bases followed through repository classes until a
built-in exception is reached).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from functools import cache

from miner.records import ClassDef, ImportBinding, ModuleSummary

_MAX_HOPS = 32


@cache
def builtin_exceptions() -> frozenset[str]:
    return frozenset(
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    )


def module_names(paths: Iterable[str]) -> dict[str, str]:
    """Dotted module name per .py path: packages are found by their `__init__.py` files.

    Paths are git's (normalized, "/"-separated), so plain string splits do what PurePosixPath
    would at a tenth of the cost: every run names every file.
    """
    path_set = set(paths)
    names: dict[str, str] = {}
    for path in sorted(path_set):
        directory, _, name = path.rpartition("/")
        parts = [] if name == "__init__.py" else [_stem(name)]
        while directory and f"{directory}/__init__.py" in path_set:
            directory, _, package = directory.rpartition("/")
            parts.insert(0, package)
        if not parts:  # a top-level __init__.py (the repo root is a package)
            parts = [path.rpartition("/")[0].rpartition("/")[2] or "__init__"]
        names[path] = ".".join(parts)
    return names


def _stem(name: str) -> str:
    """PurePosixPath(name).stem: the name without its last suffix ('.py' stays '.py')."""
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def absolute_module(module: str, binding: ImportBinding, is_package: bool) -> str:
    """The absolute module an import binding refers to, relative imports resolved."""
    if binding.level == 0:
        return binding.module
    package = module.split(".") if is_package else module.split(".")[:-1]
    keep = len(package) - (binding.level - 1)
    base = package[: max(keep, 0)]
    return ".".join([*base, binding.module] if binding.module else base)


def binding_target(module: str, binding: ImportBinding, is_package: bool) -> str:
    target = absolute_module(module, binding, is_package)
    if binding.name is None:
        # `import a.b.c` binds `a`; `import a.b as x` binds x to a.b.
        return target if binding.local != target.split(".")[0] else binding.local
    return f"{target}.{binding.name}" if target else binding.name


class RepoIndex:
    """Name resolution over one repository at one commit.

    A module's summary, bindings and classes are looked at only when a question reaches that
    module, so `summaries` may decode each file on first use (`RepoScan.module_facts`): a
    nightly rerun judges a few files, whose names lead to a few modules, not to all of them.
    """

    def __init__(self, summaries: Mapping[str, ModuleSummary]):
        self.module_of_path = module_names(summaries)
        self._summaries = summaries
        self._path_of_module: dict[str, str] = {}
        self.packages: set[str] = set()
        for path in sorted(self.module_of_path):
            module = self.module_of_path[path]
            if module in self._path_of_module:
                continue  # two files claim one module name: the first path wins
            self._path_of_module[module] = path
            if path.endswith("__init__.py"):
                self.packages.add(module)
        self._bindings: dict[str, dict[str, str]] = {}
        self._classes: dict[str, dict[str, ClassDef]] = {}
        self._exception_memo: dict[str, bool] = {}

    def bindings(self, module: str) -> dict[str, str]:
        """What each top-level name of a repository module is bound to (none for others)."""
        found = self._bindings.get(module)
        if found is None:
            path = self._path_of_module.get(module)
            found = {} if path is None else self._module_bindings(module, self._summaries[path])
            self._bindings[module] = found
        return found

    def _classes_of(self, module: str) -> dict[str, ClassDef]:
        classes = self._classes.get(module)
        if classes is None:
            path = self._path_of_module[module]
            classes = {c.qualname: c for c in self._summaries[path].classes}
            self._classes[module] = classes
        return classes

    def build_all(self) -> None:
        """Decode every module and build its bindings and classes now."""
        for module in self._path_of_module:
            self.bindings(module)
            self._classes_of(module)

    def _module_bindings(self, module: str, summary: ModuleSummary) -> dict[str, str]:
        bindings = self.import_bindings(module, summary.imports)
        for cls in summary.classes:
            if "." not in cls.qualname:
                bindings[cls.qualname] = f"{module}.{cls.qualname}"
        for name, target in summary.aliases.items():
            head, _, rest = target.partition(".")
            if name != head:  # `X = X.attr` would loop
                resolved = bindings.get(head)
                bindings[name] = f"{resolved}.{rest}".rstrip(".") if resolved else target
        return bindings

    def import_bindings(self, module: str, imports: Iterable[ImportBinding]) -> dict[str, str]:
        is_package = module in self.packages
        return {b.local: binding_target(module, b, is_package) for b in imports}

    def resolve(self, module: str, name: str, local: Mapping[str, str] | None = None) -> str:
        """Qualified name for a dotted `name` used in `module` (local imports first)."""
        head, _, rest = name.partition(".")
        target = (local or {}).get(head) or self.bindings(module).get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def canonical(self, qualified: str) -> str:
        """Follow re-exports and aliases until the name is where it is defined."""
        for _ in range(_MAX_HOPS):
            module, remainder = self._split_module(qualified)
            if module is None or not remainder:
                return qualified
            head, _, rest = remainder.partition(".")
            if head in self._classes_of(module):
                return qualified
            target = self.bindings(module).get(head)
            if target is None or target == f"{module}.{head}":
                return qualified
            qualified = f"{target}.{rest}" if rest else target
        return qualified

    def _split_module(self, qualified: str) -> tuple[str | None, str]:
        """The longest dotted prefix that is a module of the repository, and the rest."""
        candidate = qualified
        while True:
            if candidate in self._path_of_module:
                return candidate, qualified[len(candidate) + 1 :]
            candidate, dot, _ = candidate.rpartition(".")
            if not dot:
                return None, qualified

    def is_repo_exception(self, qualified: str) -> bool:
        """True for a repository class whose bases reach a built-in exception."""
        return self._is_exception(self.canonical(qualified), set())

    def _is_exception(self, qualified: str, visiting: set[str]) -> bool:
        if qualified in self._exception_memo:
            return self._exception_memo[qualified]
        module, class_name = self._split_module(qualified)
        cls = self._classes_of(module).get(class_name) if module else None
        if cls is None or qualified in visiting:
            return False
        visiting.add(qualified)
        result = False
        for base in cls.bases:
            target = self.canonical(self.resolve(module, base))
            if target in builtin_exceptions() and target == base:
                result = True  # the base is the builtin itself, not shadowed by a binding
            elif self._is_exception(target, visiting):
                result = True
            if result:
                break
        self._exception_memo[qualified] = result
        return result

    def exception_classes(self) -> list[str]:
        """Every repository exception class (this one looks at every module)."""
        found = [f"{m}.{name}" for m in self._path_of_module for name in self._classes_of(m)]
        return sorted(q for q in found if self.is_repo_exception(q))
