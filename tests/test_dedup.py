import io
import random
import tokenize
from pathlib import Path

import pytest

import miner
from miner import dedup
from miner.dedup import DedupConfig, find_duplicates, normalized_tokens

ORIGINAL = '''\
def total(order, discount=None):
    """Return the order total."""
    subtotal = 0
    for line in order.lines:  # each line is (item, quantity)
        subtotal += line.item.price * line.quantity
    if discount is not None:
        subtotal -= discount.amount(subtotal)
    taxes = order.region.tax_rate * subtotal
    shipping = order.carrier.quote(order.weight, order.region)
    return round(subtotal + taxes + shipping, 2)
'''

# The same code in another hand: comments, docstring, spacing and indentation differ.
RESTYLED = '''\
def total(order, discount=None):
  # sums it all up
  subtotal = 0
  for line in order.lines:
      subtotal += line.item.price*line.quantity
  if discount is not None:
      subtotal -= discount.amount( subtotal )
  taxes = order.region.tax_rate * subtotal

  shipping = order.carrier.quote(order.weight, order.region)
  return round(subtotal + taxes + shipping, 2)
'''

# A near copy: one statement changed.
EDITED = ORIGINAL.replace("round(subtotal + taxes + shipping, 2)", "round(subtotal + taxes, 2)")

UNRELATED = '''\
def parse_header(line):
    """Split a header line into name and value."""
    name, _, value = line.partition(":")
    return name.strip().lower(), value.strip()
'''


def _shingle_jaccard(a: str, b: str, n: int = 5) -> float:
    def grams(code):
        t = normalized_tokens(code)
        return {tuple(t[i : i + n]) for i in range(len(t) - n + 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def test_tokens_ignore_comments_docstrings_and_whitespace():
    assert normalized_tokens(ORIGINAL) == normalized_tokens(RESTYLED)
    assert normalized_tokens(ORIGINAL) != normalized_tokens(EDITED)
    assert '"""Return the order total."""' not in normalized_tokens(ORIGINAL)
    assert "# sums it all up" not in normalized_tokens(RESTYLED)


def test_tokens_keep_strings_that_are_values_and_the_block_structure():
    assert '"a"' in normalized_tokens('x = "a"\n')
    assert '"b"' in normalized_tokens('f("b")\n')
    nested = "if a:\n    b()\n    c()\n"
    flat = "if a:\n    b()\nc()\n"
    assert normalized_tokens(nested) != normalized_tokens(flat)


def test_tokens_fall_back_on_code_that_does_not_tokenize():
    broken = "def f(:\n    return (1,  # unclosed\n"
    assert normalized_tokens(broken) == ["def", "f", "(", ":", "return", "(", "1", ","]
    assert normalized_tokens("def f():\n        x = 1\n    y = 2\n")  # bad dedent
    assert normalized_tokens("") == []


def _tokenize_reference(code):
    """normalized_tokens as first written, on the tokenize module: what the scanner matches."""
    dropped = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
    markers = {tokenize.NEWLINE: "<nl>", tokenize.INDENT: "<in>", tokenize.DEDENT: "<de>"}
    try:
        stream = tokenize.generate_tokens(io.StringIO(code).readline)
        tokens = [t for t in stream if t.type not in dropped]
    except (tokenize.TokenError, SyntaxError):
        return None  # normalized_tokens falls back to a rough split
    out, i = [], 0
    while i < len(tokens):
        if tokens[i].type == tokenize.STRING and (i == 0 or tokens[i - 1].type in markers):
            j = i
            while j < len(tokens) and tokens[j].type == tokenize.STRING:
                j += 1
            if j == len(tokens) or tokens[j].type == tokenize.NEWLINE:
                i = j + 1
                continue
        out.append(markers.get(tokens[i].type, tokens[i].string))
        i += 1
    return out


SCANNED = {
    "prefixes and f-strings": r"""def f(x, width):
    a = rb'\x00' + Rb"" + BR'''q''' + u'é' + F"{x!r:>{width}}"
    b = fr'{x}\d' + rf'''{x}
''' + f'{a["k"]}' + bar'x' if x else ''
    return a, b
""",
    "triple quotes across lines": (
        "x = '''one\\\n'' ' \\''' still\n  two'''\n"
        'y = """a""" "b" \'\'\'it\'\'s\'\'\'\n'
    ),
    "numbers and operators": (
        "n = 1_000j + 0x_ff + 0o17 + 0b1_0 + 1e-5 + 1.5E+3J + .5 + 5. + 1..real + 09j\n"
        "n **= 2; n //= 3; n >>= 1; n @= m; n != 2; (k := 3)\n"
        "def g(*a, **k) -> None: ...\n"
    ),
    "brackets join lines": "call(a,  # comment\n\n      b,\n  [c\n, {d:\n e}]\n)\nafter = 1\n",
    "backslash continuations": (
        "if a and \\\n        b:\n    x = 1 + \\\n2\n  # odd comment\n    \\\n    y = 2\nz = 3\n"
    ),
    "tabs and deep dedents": (
        "if a:\n\tif b:\n\t    if c:\n\t\tx\ny\nclass C:\n  def m(self):\n      pass\n"
    ),
    "bare strings dropped or kept": (
        'def f():\n    """doc"""\n    # note\n    "a" "b"\n    "c" \\\n    "d"\n'
        '    ", ".join(x)\n    "e"; y\n    s = "f"\n    (\n        "g"\n    )\n    "last"'
    ),
    "no newline at the end": "def f():\n    return 1  # done",
    "trailing comment lines": "def f():\n    return 1\n        # later\n# end\n  ",
    "indented first line": "\n  # lead\n    def m(self):\n        return self.x   \n",
    "unicode names": "café = naïve² + 名前\n",
    "empty": "",
    "blank": "  \n\n\t\n",
    "a docstring alone": '"""Only this."""',
    "a string run at the very end": '"a" \\\n# c',
    "a last line that looks like a comment": "x = 1 + \\\n  # c",
    "a last line in a string that looks like a comment": 'x = """a\n# b"""',
}
# These go to tokenize, whatever it makes of them.
FALLBACK = {
    "carriage return": "x = 1  # a\rb\n",
    "form feed": "x = 1\n\x0cy = 2\n",
    "error token": "x = $y\n",
    "continued single-quoted string": "x = 'a\\\nb'\n",
    "not a string prefix": "x = ub'a'\n",
    "unterminated string": 'x = """abc"\n',
    "unbalanced bracket": "x = (1,\n",
    "stray closer": "x = 1)\n(\n",
    "bad dedent": "if a:\n        x\n    y\n",
    "backslash at the end": "x = 1 + \\\n",
}


@pytest.mark.parametrize("code", SCANNED.values(), ids=SCANNED.keys())
def test_scanner_gives_what_tokenize_gives(code):
    assert dedup._scanned_tokens(code) == _tokenize_reference(code)


@pytest.mark.parametrize("code", FALLBACK.values(), ids=FALLBACK.keys())
def test_what_the_scanner_leaves_goes_to_tokenize(code):
    with pytest.raises(dedup._NotScanned):
        dedup._scanned_tokens(code)
    expected = _tokenize_reference(code) or dedup._tokenized_tokens(code)
    assert normalized_tokens(code) == expected


def test_scanner_agrees_with_tokenize_on_this_package():
    for path in sorted(Path(miner.__file__).parent.glob("*.py")):
        code = path.read_text(encoding="utf-8")
        assert dedup._scanned_tokens(code) == _tokenize_reference(code), path.name


def test_exact_copy_keeps_the_lowest_sort_key_whatever_the_input_order():
    items = [
        (("repo-b", "orders.py", 3), RESTYLED),
        (("repo-c", "misc.py", 1), UNRELATED),
        (("repo-a", "billing/orders.py", 40), ORIGINAL),
    ]
    assert find_duplicates(items, DedupConfig()) == {0: ("duplicate", 2)}
    assert find_duplicates(items[::-1], DedupConfig()) == {2: ("duplicate", 0)}


def test_near_copy_across_repos():
    assert _shingle_jaccard(ORIGINAL, EDITED) >= 0.85
    items = [(("repo-b", "a.py", 1), EDITED), (("repo-a", "z.py", 99), ORIGINAL)]
    assert find_duplicates(items, DedupConfig()) == {0: ("near_duplicate", 1)}
    assert find_duplicates(items, DedupConfig(near=False)) == {}


def test_near_copies_are_confirmed_by_the_exact_jaccard():
    similarity = _shingle_jaccard(ORIGINAL, EDITED)
    items = [(("a",), ORIGINAL), (("b",), EDITED)]
    assert find_duplicates(items, DedupConfig(threshold=similarity + 0.01)) == {}
    assert find_duplicates(items, DedupConfig(threshold=similarity - 0.2)) == {
        1: ("near_duplicate", 0)
    }


def test_clusters_point_at_their_survivor():
    # EDITED_TWICE is near EDITED but further from ORIGINAL: one cluster all the same.
    edited_twice = EDITED.replace("subtotal = 0", "subtotal = 0.0")
    items = [
        (("r", "c.py", 1), edited_twice),
        (("r", "b.py", 1), EDITED),
        (("r", "a.py", 1), ORIGINAL),
        (("r", "d.py", 1), RESTYLED),  # exact copy of the survivor
        (("r", "e.py", 1), EDITED.replace("    ", "  ")),  # exact copy of a dropped one
        (("r", "f.py", 1), UNRELATED),
    ]
    dropped = find_duplicates(items, DedupConfig(threshold=0.8))
    assert dropped == {
        0: ("near_duplicate", 2),
        1: ("near_duplicate", 2),
        3: ("duplicate", 2),
        4: ("duplicate", 2),
    }


def test_result_does_not_depend_on_input_order():
    rng = random.Random(7)
    bodies = [ORIGINAL, RESTYLED, EDITED, UNRELATED, UNRELATED.replace("lower", "upper")]
    items = [((f"repo{i % 3}", f"m{i}.py", i), bodies[i % len(bodies)]) for i in range(40)]

    def by_key(result, items):
        return {items[i][0]: (reason, items[k][0]) for i, (reason, k) in result.items()}

    expected = by_key(find_duplicates(items, DedupConfig()), items)
    for _ in range(3):
        shuffled = items[:]
        rng.shuffle(shuffled)
        assert by_key(find_duplicates(shuffled, DedupConfig()), shuffled) == expected
    survivors = {key for key, _ in items} - set(expected)
    assert all(kept in survivors for _, kept in expected.values())
    assert len(survivors) == 3  # ORIGINAL (with RESTYLED and EDITED), and the two parsers


def test_ngram_size_is_configurable():
    variant = UNRELATED.replace("lower", "upper")
    items = [(("a",), UNRELATED), (("b",), variant)]
    assert _shingle_jaccard(UNRELATED, variant) < 0.85 <= _shingle_jaccard(UNRELATED, variant, 1)
    assert find_duplicates(items, DedupConfig()) == {}
    assert find_duplicates(items, DedupConfig(ngram=1)) == {1: ("near_duplicate", 0)}


def test_minhash_lsh_path_agrees_with_exact_pairs(monkeypatch):
    """Large inputs go through datasketch's LSH; on clear-cut data it finds the same pairs."""
    import miner.dedup

    rng = random.Random(7)
    words = [f"name_{k}" for k in range(400)]
    items = []
    for family in range(30):
        base = [rng.choice(words) for _ in range(60)]
        body = "\n    ".join(f"{base[k]} = {base[k + 1]}({base[k + 2]})" for k in range(0, 57, 3))
        items.append(((family, 0), f"def f{family}():\n    {body}\n"))
        near = body.replace(base[30], "changed_once", 1)
        items.append(((family, 1), f"def f{family}():\n    {near}\n"))
    exact = find_duplicates(items, DedupConfig())
    assert len(exact) == 30 and all(r == "near_duplicate" for r, _ in exact.values())
    monkeypatch.setattr(miner.dedup, "EXACT_PAIRS_LIMIT", 0)
    assert find_duplicates(items, DedupConfig()) == exact


_FEW_ITEMS_IN_A_FRESH_PROCESS = """
import sys
from miner.dedup import DedupConfig, find_duplicates
body = "\\n    ".join(f"total_{k} = compute_{k}(value_{k}, scale={k})" for k in range(30))
near = body.replace("scale=7", "scale=8")
items = [(("a",), f"def f():\\n    {body}\\n"), (("b",), f"def g():\\n    {near}\\n")]
assert find_duplicates(items, DedupConfig()) == {1: ("near_duplicate", 0)}
assert "numpy" not in sys.modules and "datasketch" not in sys.modules
"""


def test_few_items_are_compared_without_numpy():
    # Importing numpy alone costs more than comparing a nightly run's few new pairs.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _FEW_ITEMS_IN_A_FRESH_PROCESS], capture_output=True)
    assert run.returncode == 0, run.stderr.decode()[-400:]
