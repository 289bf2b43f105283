"""Find credentials in a function's source with detect-secrets' plugins, plus PEM key blocks.

The scan runs on every documented function, so no plugin sees a line before a cheap trigger
found it: triggers run over the whole text at C speed (literal prefixes, no case folding), and
each must hit every line its plugin can report, i.e. be a superset of the plugin's patterns.
A text that no trigger matches at all (nearly every function) is ruled out before any line work.

Nothing here returns or logs a secret: a `Finding` holds the detector, the line number and the
line with every secret on it masked.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from detect_secrets.filters import heuristic
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
    HighEntropyStringsPlugin,
)
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import DENYLIST_REGEX, KeywordDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.stripe import StripeDetector

from miner.records import Finding

# Shorter quoted strings are identifiers, format strings and test data far more often than keys.
_MIN_ENTROPY_STRING = 20
_KEEP_CHARS = 4
_MASKED_MAX = 160  # characters of a masked line worth showing in logs
# md5, sha1, sha224, sha256, sha384, sha512 digests as hex.
_HASH_HEX_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_HASH_WORD = re.compile(r"sha|md5|hash|digest|checksum|etag", re.IGNORECASE)
_HASH_CONTEXT_LINES = 1  # the hash word may sit on the line above the value
_PEM_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY((?: BLOCK)?)-----"
    r"(?P<body>.*?)(?:-----END \1PRIVATE KEY\2-----|\Z)",
    re.DOTALL,
)
_PEM_DETECTOR = "Private Key"
_PEM_NEEDLE = "PRIVATE KEY"
_TOKEN_CHAR = re.compile(r"[\w.+=-]")
_TOKEN_TAIL = re.compile(r"[\w.+=-]*")

# A quoted run of base64 characters: covers both entropy plugins and AWS' 40-character secret.
# One pattern per opening quote, as a literal first character is found five times faster than
# a class; both find a run on the same lines as the one pattern `['"]...` would.
_QUOTED_RUNS = tuple(
    re.compile(rf"""{quote}[\w+/=\\-]{{{_MIN_ENTROPY_STRING},}}['"]""") for quote in "'\""
)


@dataclass(frozen=True, slots=True)
class _Detector:
    plugin: BasePlugin
    needles: tuple[str, ...]  # a trigger can only match where one of these occurs; () = any
    triggers: tuple[re.Pattern[str], ...]
    lowercase: bool = False  # needles and triggers look at the lowercased text


def _own(plugin: RegexBasedDetector, *needles: str, lowercase: bool = False) -> _Detector:
    """A regex plugin triggered by its own patterns (which must ignore case if `lowercase`)."""
    return _Detector(plugin, needles, tuple(plugin.denylist), lowercase)


def _detectors() -> tuple[_Detector, ...]:
    aws = AWSKeyDetector()
    return (
        _own(AzureStorageKeyDetector(), "AccountKey="),
        _own(BasicAuthDetector(), "://"),
        _own(GitHubTokenDetector(), "gh"),
        _own(GitLabTokenDetector(), "gl", "GR1348941"),
        _own(JwtTokenDetector(), "eyJ"),
        _own(NpmDetector(), "_authToken"),
        _own(OpenAIDetector(), "T3BlbkFJ"),
        _own(PrivateKeyDetector(), "PRIVATE KEY", "PuTTY-User-Key-File"),
        _own(PypiTokenDetector(), "pypi-"),
        _own(SendGridDetector(), "SG."),
        _own(SlackDetector(), "xox", "hooks.slack.com", lowercase=True),
        _own(StripeDetector(), "k_live_"),
        _Detector(aws, (), (aws.denylist[0], *_QUOTED_RUNS)),
        # detect-secrets keeps its keyword list lowercase, so it matches the lowercased text
        # without a case-insensitive scan (twenty times slower).
        _Detector(
            KeywordDetector(),
            ("key", "pass", "pwd", "secret", "contrase"),
            (re.compile(DENYLIST_REGEX),),
            lowercase=True,
        ),
        _Detector(Base64HighEntropyString(limit=4.5), (), _QUOTED_RUNS),
        _Detector(HexHighEntropyString(limit=3.0), (), _QUOTED_RUNS),
    )


_DETECTORS = _detectors()


def _screen() -> tuple[tuple[tuple[str, ...], bool, tuple[re.Pattern[str], ...]], ...]:
    """(needles, lowercase, triggers): a text can hold a finding only where one of these
    triggers matches it (lowercased if `lowercase`) and holds one of the needles ("" always)."""
    screen: dict[tuple[tuple[str, ...], bool], dict[re.Pattern[str], None]] = {}
    for det in _DETECTORS:
        triggers = screen.setdefault((det.needles or ("",), det.lowercase), {})
        triggers.update(dict.fromkeys(det.triggers))
    screen[(_PEM_NEEDLE,), False] = {_PEM_BLOCK: None}
    return tuple((needles, low, tuple(triggers)) for (needles, low), triggers in screen.items())


_SCREEN = _screen()


def scan_secrets(text: str, first_line: int = 1) -> list[Finding]:
    """Secrets in `text`, one finding per (line, detector), sorted; `line` is absolute.

    Lines are split on "\\n" only, as Python's parser counts them.
    """
    lowered = _lower(text)
    # Almost no function holds anything a trigger matches; ruling that out first, one search
    # per needle and trigger, costs a fraction of finding each detector's lines.
    if not _may_hold_secrets(text, lowered):
        return []
    lines: list[str] = []
    starts: list[int] = []
    triggered: dict[tuple[re.Pattern[str], bool], set[int]] = {}  # -> line indices hit
    hits: dict[int, dict[str, set[str]]] = {}  # line index -> detector -> values to mask

    def line_of(offset: int) -> int:
        if not lines:
            lines.extend(text.split("\n"))
            starts.extend(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        return bisect_right(starts, offset) - 1

    def add(index: int, detector: str, value: str) -> None:
        values = hits.setdefault(index, {}).setdefault(detector, set())
        if value:
            values.add(value)

    for det in _DETECTORS:
        source = lowered if det.lowercase else text
        if det.needles and not _contains_any(source, det.needles):
            continue
        candidates: set[int] = set()
        for pattern in det.triggers:
            key = (pattern, det.lowercase)
            if key not in triggered:
                triggered[key] = {line_of(m.start()) for m in pattern.finditer(source)}
            candidates |= triggered[key]
        for index in sorted(candidates):
            for value in _plugin_values(det.plugin, index, lines):
                # This plugin's match is the block header, which is no secret to mask.
                marker = isinstance(det.plugin, PrivateKeyDetector)
                add(index, det.plugin.secret_type, "" if marker else value)

    if _PEM_NEEDLE in text:
        for block in _PEM_BLOCK.finditer(text):
            # The key body goes on with the header's line when the block is one escaped string.
            body = block.group("body").split("\n")[0].strip()
            add(line_of(block.start()), _PEM_DETECTOR, body)

    findings = []
    for index in sorted(hits):
        values = {v for per_detector in hits[index].values() for v in per_detector}
        masked = _mask(lines[index], values)
        findings += [Finding(d, first_line + index, masked) for d in sorted(hits[index])]
    return findings


def _may_hold_secrets(text: str, lowered: str) -> bool:
    for needles, lowercase, triggers in _SCREEN:
        source = lowered if lowercase else text
        if _contains_any(source, needles):
            for trigger in triggers:
                if trigger.search(source):
                    return True
    return False


def mask_secret(value: str) -> str:
    """At most four leading characters, and never more than a quarter of the value."""
    keep = min(_KEEP_CHARS, len(value) // 4)
    return value[:keep] + "*" * (len(value) - keep)


def _plugin_values(plugin: BasePlugin, index: int, lines: list[str]) -> Iterator[str]:
    """What to mask for each true finding of `plugin` on line `index`."""
    line = lines[index]
    if isinstance(plugin, RegexBasedDetector):
        # Mask the whole match: some plugins report only a capture group, which may be just
        # the token's prefix ("ghp"); and some matches stop inside the token (a JWT's lazy
        # signature), so a match that ends mid-token is extended to the token's end.
        for pattern in plugin.denylist:
            for m in pattern.finditer(line):
                found = plugin.analyze_string(m.group(0))
                if any(not _is_false_positive(v, index, lines, plugin) for v in found):
                    end = m.end()
                    if end and _TOKEN_CHAR.fullmatch(line[end - 1]):
                        end = _TOKEN_TAIL.match(line, end).end()
                    yield line[m.start() : end]
        return
    for value in plugin.analyze_string(line):
        if isinstance(plugin, HighEntropyStringsPlugin) and (
            len(value) < _MIN_ENTROPY_STRING
            or plugin.calculate_shannon_entropy(value) <= plugin.entropy_limit
        ):
            continue
        if not _is_false_positive(value, index, lines, plugin):
            yield value


def _is_false_positive(value: str, index: int, lines: list[str], plugin: BasePlugin) -> bool:
    line = lines[index]
    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_likely_id_string(value, line, plugin)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_not_alphanumeric_string(value)
        or _is_hash_digest(value, index, lines)
    )


def _is_hash_digest(value: str, index: int, lines: list[str]) -> bool:
    if len(value) not in _HASH_HEX_LENGTHS or not all(c in string.hexdigits for c in value):
        return False
    context = lines[max(0, index - _HASH_CONTEXT_LINES) : index + 1]
    return any(_HASH_WORD.search(line) for line in context)


def _mask(line: str, values: set[str]) -> str:
    # Longest first, so that a value containing another is masked whole.
    for value in sorted(values, key=len, reverse=True):
        line = line.replace(value, mask_secret(value))
    line = line.strip()
    # Cut only after masking, so that a cut can never expose a secret's tail.
    return line if len(line) <= _MASKED_MAX else line[: _MASKED_MAX - 1] + "…"


def _contains_any(text: str, needles: tuple[str, ...]) -> bool:
    # A plain loop: this runs a dozen times per function, where any() and a generator cost
    # more than the substring searches themselves.
    for needle in needles:
        if needle in text:
            return True
    return False


def _lower(text: str) -> str:
    """`text.lower()` with offsets kept: "İ" is the one character whose lowercase is longer."""
    return text.replace("\u0130", "I").lower()
