import base64
import json
import sysconfig
from pathlib import Path

import pytest

from miner.secrets import _DETECTORS, mask_secret, scan_secrets

# Fake credentials, assembled so that this file holds none literally.
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITLAB = "glpat-" + "x7Yz9AbCdEfGhIjKlMnO"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T0A1B2C3D/B4E5F6G7H/q8R9s0T1u2V3w4X5y6Z7a8B9"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
JWT = ".".join(
    base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
    for part in ({"alg": "HS256", "typ": "JWT"}, {"sub": "1234567890", "name": "Alice"})
) + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
PASSWORD = "hunter2" + "-Orders!"
BASIC_PASSWORD = "Sup3r" + "S3cret"
KEY_BODY = "MIIEowIBAAKCAQEA7bq98gFzyPq+" + "Zz8r4tqMwBk9Xc2Nn3Yy0aHV5ZSFbXs"
HEX_TOKEN = "9f8a" + "c41d7e2b6f03a5d8e1c9b47f20a6d3e8c5b1f4a2"  # 44 hex characters


@pytest.mark.parametrize(
    ("line", "secret", "detector"),
    [
        (f'key_id = "{AWS_KEY_ID}"', AWS_KEY_ID, "AWS Access Key"),
        (f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET, "AWS Access Key"),
        (f'token = "{GITHUB}"', GITHUB, "GitHub Token"),
        (f'token = "{GITLAB}"', GITLAB, "GitLab Token"),
        (f'client = Slack("{SLACK}")', SLACK, "Slack Token"),
        (f'CLIENT = SLACK("{SLACK.upper()}")', SLACK.upper(), "Slack Token"),
        (f'post("{SLACK_HOOK}", text)', SLACK_HOOK, "Slack Token"),
        (f'stripe.api_key = "{STRIPE}"', STRIPE, "Stripe Access Key"),
        (f'headers = {{"Authorization": "Bearer {JWT}"}}', JWT, "JSON Web Token"),
        (f'password = "{PASSWORD}"', PASSWORD, "Secret Keyword"),
        (f'DB_PASSWORD = "{PASSWORD}"', PASSWORD, "Secret Keyword"),
        (f'config = {{"api_key": "{PASSWORD}"}}', PASSWORD, "Secret Keyword"),
        (f'if "{PASSWORD}" == user_password:', PASSWORD, "Secret Keyword"),
        (
            f'engine = connect("postgres://admin:{BASIC_PASSWORD}@db.internal/orders")',
            BASIC_PASSWORD,
            "Basic Auth Credentials",
        ),
        (f'token = "{HEX_TOKEN}"', HEX_TOKEN, "Hex High Entropy String"),
        (f'blob = "{AWS_SECRET}"', AWS_SECRET, "Base64 High Entropy String"),
    ],
)
def test_planted_secret_is_found_and_masked(line, secret, detector):
    code = f'def connect():\n    """Open the connection."""\n    {line}\n    return 1\n'
    findings = scan_secrets(code, first_line=40)
    assert detector in {f.detector for f in findings}
    assert {f.line for f in findings} == {42}
    for finding in findings:
        assert "*" in finding.masked
        # at most four characters of the secret show
        assert not any(secret[i : i + 5] in finding.masked for i in range(len(secret) - 4))
    assert secret not in repr(findings)


# One planted secret per detector, unquoted where the detector allows (a quoted base64 run
# passes the screen for the entropy detectors), so that only its own detector's entry in the
# screen lets the function through to the scan; Azure's "AccountKey" is a keyword as well.
AZURE_KEY = "Ab3dEf9h" * 10 + "Ab3dEf=="
NPM_TOKEN = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
OPENAI_KEY = "sk-" + "a1B2c3D4e5F6g7H8i9J0" + "T3BlbkFJ" + "k1L2m3N4o5P6q7R8s9T0"
PYPI_TOKEN = "pypi-" + "AgEIcHlwaS5vcmc" + "x1Y2z3W4v5" * 8
SENDGRID_KEY = "SG." + "a1B2c3D4e5F6g7H8i9J0k1" + ".L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2g"
ONE_LINE_PER_DETECTOR = {
    "AWS Access Key": f"# {AWS_KEY_ID}",
    "Azure Storage Account access key": f"# AccountName=orders;AccountKey={AZURE_KEY}",
    "Base64 High Entropy String": f"blob = '{AWS_SECRET}'",
    "Basic Auth Credentials": f"# postgres://admin:{BASIC_PASSWORD}@db.internal/orders",
    "GitHub Token": f"# {GITHUB}",
    "GitLab Token": f"# {GITLAB}",
    "Hex High Entropy String": f"token = '{HEX_TOKEN}'",
    "JSON Web Token": f"# Bearer {JWT}",
    "NPM tokens": f"# //registry.npmjs.org/:_authToken={NPM_TOKEN}",
    "OpenAI Token": f"# {OPENAI_KEY}",
    "Private Key": "# PuTTY-User-Key-File-2: ssh-rsa",
    "PyPI Token": f"# {PYPI_TOKEN}",
    "Secret Keyword": f'PASSWORD = "{PASSWORD}"',
    "SendGrid API Key": f"# {SENDGRID_KEY}",
    "Slack Token": f"# {SLACK.upper()}",
    "Stripe Access Key": f"# {STRIPE}",
}


def test_every_detector_has_a_planted_secret():
    assert set(ONE_LINE_PER_DETECTOR) == {d.plugin.secret_type for d in _DETECTORS}


@pytest.mark.parametrize(("detector", "line"), ONE_LINE_PER_DETECTOR.items())
def test_every_detector_is_let_through_the_screen(detector, line):
    code = f'def connect():\n    """Open the connection."""\n    {line}\n    return 1\n'
    assert detector in {f.detector for f in scan_secrets(code, first_line=40)}


def test_private_key_block_spanning_lines():
    code = (
        "def key():\n"
        '    pem = """-----BEGIN RSA PRIVATE KEY-----\n'
        f"{KEY_BODY}\n"
        f"{KEY_BODY[::-1]}\n"
        '-----END RSA PRIVATE KEY-----"""\n'
        "    return pem\n"
    )
    findings = scan_secrets(code, first_line=7)
    assert [(f.detector, f.line) for f in findings] == [("Private Key", 8)]
    assert findings[0].masked == 'pem = """-----BEGIN RSA PRIVATE KEY-----'
    assert KEY_BODY[:20] not in repr(findings)


@pytest.mark.parametrize("kind", ["EC ", "OPENSSH ", "", "ENCRYPTED "])
def test_private_key_in_one_escaped_string(kind):
    begin, end = f"-----BEGIN {kind}PRIVATE KEY-----", f"-----END {kind}PRIVATE KEY-----"
    line = f'pem = "{begin}\\n{KEY_BODY}\\n{end}"'
    findings = scan_secrets(f"def key():\n    {line}\n")
    assert [(f.detector, f.line) for f in findings] == [("Private Key", 2)]
    assert KEY_BODY[4:] not in findings[0].masked
    assert findings[0].masked.startswith(f'pem = "-----BEGIN {kind}PRIVATE KEY-----')


@pytest.mark.parametrize(
    "code",
    [
        # hex digests next to a hash word are checksums, not credentials
        'expected_sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"',
        'if md5(data).hexdigest() != "9e107d9d372bb6826bd81d3542a419d6":',
        '# the digest of the empty string\n'
        'EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
        'headers["ETag"] = "686897696a7c876b7e9a9c1b3f0d4e2a"',
        'assert checksum(blob) == "0cc175b9c0f1b6a831c399e269772661"',
        # keywords without a literal value
        "password = get_password()",
        'password = os.environ["DB_PASSWORD"]',
        'password = ""',
        'password = "{password}"',
        # ordinary code
        'url = "https://example.com/orders?page=2"',
        'message = "The order total must be positive and below the limit."',
        'ids = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"',
        'request_id = "2c9f4a1e-7b3d-4e8a-9f10-6a5b4c3d2e1f"',
    ],
)
def test_not_secrets(code):
    assert scan_secrets(f"def f():\n    {code}\n") == []


def test_hash_word_must_be_near():
    far = 'h = "sha256"\n' + "x = 1\n" * 3 + 'value = "da39a3ee5e6b4b0d3255bfef95601890afd80709"\n'
    assert [f.line for f in scan_secrets(far)] == [5]


def test_two_secrets_on_one_line_are_both_masked_in_every_finding():
    line = f'login(password="{PASSWORD}", key_id="{AWS_KEY_ID}")'
    findings = scan_secrets(line)
    assert {f.detector for f in findings} >= {"Secret Keyword", "AWS Access Key"}
    for finding in findings:
        assert PASSWORD not in finding.masked and AWS_KEY_ID not in finding.masked


def test_line_numbers_count_only_newlines():
    # A form feed is a line break to str.splitlines(), not to Python's parser.
    code = "def f():\n    x = 1\x0c\n    y = 2\n" + f'    token = "{GITHUB}"\n'
    assert {f.line for f in scan_secrets(code, first_line=10)} == {13}


def test_mask_keeps_at_most_four_characters_and_a_quarter():
    assert mask_secret(AWS_KEY_ID) == "AKIA" + "*" * 16
    assert mask_secret("hunter2") == "h******"
    assert mask_secret("abc") == "***"


@pytest.mark.parametrize("module", ["argparse.py", "textwrap.py", "json/encoder.py", "difflib.py"])
def test_stdlib_modules_are_clean(module):
    source = Path(sysconfig.get_paths()["stdlib"], module).read_text(encoding="utf-8")
    assert scan_secrets(source) == []


def test_masked_line_is_cut_after_masking():
    line = "x = [" + "1, " * 200 + f'"{GITHUB}"]'
    (finding, *_) = scan_secrets(line)
    assert len(finding.masked) <= 160 and finding.masked.endswith("…")
    assert GITHUB[4:] not in finding.masked


_SCAN_IN_FRESH_PROCESS = f"""
import sys
from miner.parse import summarize
from miner.scan import withhold_secrets
summary = summarize(b'def f():\\n    "Connect."\\n    key = "{AWS_SECRET}"\\n')
withhold_secrets(summary)
assert summary.functions[0].secrets, "the planted key was not found"
assert "urllib3" not in sys.modules, "requests was imported for real"
import requests
assert requests.codes.ok == 200 and "urllib3" in sys.modules
"""


def test_the_scan_never_loads_requests_yet_requests_still_works():
    # detect-secrets imports requests only to verify keys online; the miner defers it.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _SCAN_IN_FRESH_PROCESS], capture_output=True)
    assert run.returncode == 0, run.stderr.decode()[-400:]
