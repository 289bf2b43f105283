"""Module summaries as bytes: what workers send back, and what the state stores per blob.

A summary is dozens of small objects per function. Pickled with each record reduced to its
class and field values, it encodes and decodes several times faster than JSON of positional
rows did (every stdlib summary takes ~0.10 s each way), and the bytes a worker made are the
bytes the state stores: the parent never encodes a summary again. Decoding only ever builds
the record classes (the documented "restricting globals" recipe), so a tampered state file can
hold wrong facts but can never run code.

The module facts (what `RepoIndex` reads of a file) stay JSON: they are small, and their text
goes into the fingerprint of the index.
"""

from __future__ import annotations

import copyreg
import dataclasses
import gc
import io
import json
import operator
import pickle

from miner.records import ClassDef, Finding, FunctionRecord, ImportBinding, ModuleSummary, Usage

Outcome = ModuleSummary | str  # a summary, or why the read blob was dropped
Encoded = tuple[bytes, str]  # (`encode_outcome`, `encode_facts`) of one outcome

_RECORDS = (ModuleSummary, FunctionRecord, ImportBinding, ClassDef, Usage, Finding)
_BY_NAME = {(cls.__module__, cls.__qualname__): cls for cls in _RECORDS}


def _by_fields(cls: type):
    # attrgetter of several names returns their values as a tuple, in C (every record has
    # at least two fields).
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))
    return lambda obj: (cls, values(obj))


# Rebuilding a record through __init__ from its field tuple is cheaper than the __setstate__
# calls that slotted dataclasses pickle to by default.
_REDUCERS = copyreg.dispatch_table | {cls: _by_fields(cls) for cls in _RECORDS}


class _RecordUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> type:
        cls = _BY_NAME.get((module, name))
        if cls is None:
            raise pickle.UnpicklingError(f"{module}.{name}: not a miner record")
        return cls


def encode_outcome(outcome: Outcome) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(outcome)
    return buffer.getvalue()


def decode_outcome(data: bytes) -> Outcome:
    """The outcome `encode_outcome` made; pickle.UnpicklingError for anything else."""
    # Decoding builds ~100 small objects per function; the collector would otherwise scan the
    # young generation again and again for cycles that cannot exist here.
    collecting = gc.isenabled()
    gc.disable()
    try:
        outcome = _RecordUnpickler(io.BytesIO(data)).load()
    finally:
        if collecting:
            gc.enable()
    if not isinstance(outcome, ModuleSummary | str):
        raise pickle.UnpicklingError(f"not a module summary: {type(outcome).__name__}")
    return outcome


def encode(outcome: Outcome) -> Encoded:
    return encode_outcome(outcome), encode_facts(outcome)


def encode_facts(outcome: Outcome) -> str:
    """What `RepoIndex` reads of a file (imports, classes, aliases; no lines, no functions),
    positional and compact; a dropped blob's facts are its drop reason."""
    if isinstance(outcome, str):
        return json.dumps(outcome)
    imports = [(b.local, b.module, b.name, b.level) for b in outcome.imports]
    classes = [(c.qualname, c.bases) for c in outcome.classes]
    data = (imports, classes, outcome.aliases)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_facts(text: str) -> Outcome:
    """A summary without functions (enough for `RepoIndex`), or the drop reason."""
    data = json.loads(text)
    if isinstance(data, str):
        return data
    imports, classes, aliases = data
    return ModuleSummary(
        imports=[ImportBinding(local, module, name, level, 0, "")
                 for local, module, name, level in imports],
        classes=[ClassDef(qualname, bases, 0) for qualname, bases in classes],
        aliases=aliases,
        functions=[],
    )
