#!/usr/bin/env python3
"""Write the hand-made seeds of fuzz/corpus/ (the ones not copied from testdata/).

Run from anywhere: `python3 fuzz/tools/make_seeds.py`. Deterministic: the same files each run.
"""
import base64
import io
import json
import os
import zipfile

FUZZ = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(FUZZ)
CORPUS = os.path.join(FUZZ, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- config: chainward.toml ---------------------------------------------------------------
write("config", "heuristics.toml", """fail-on = "medium"
deny = ["yanked", "notice"]
[heuristics]
registry = false
cooldown-days = 7
window-days = 90
[heuristics.rules]
fresh-release = false
maintainer-change = "high"
ownership-change = true
""")
write("config", "ignore-dates.toml", """[[ignore]]
id = "GHSA-xxxx-yyyy-zzzz"
package = "a@1.0.0"
reason = "r"
until = 2024-02-29
[[ignore]]
id = "X"
reason = "y"
until = "2023-02-29"
""")
write("config", "empty.toml", "")

# --- version: selector byte (ecosystem index), then up to three NUL-separated versions ------
ECOSYSTEMS = ["Cargo", "Npm", "PyPI", "Go", "RubyGems", "Packagist", "Maven"]
VERSIONS = {
    "Cargo": ["1.2.3", "1.2.3-alpha.1+build", "0.0.0-0"],
    "Npm": ["v1.2.3", "=1.0.0-rc.1", "1.0.0"],
    "PyPI": ["1!2.0.post1.dev3", "1.0a1", "1.0+local.7"],
    "Go": ["v0.0.0-20191109021931-daa7c04131f5", "v2.0.0+incompatible", "v1.2.3"],
    "RubyGems": ["1.0.a", "1.0", "1.0.0.b.1"],
    "Packagist": ["v1.2.3-RC1", "1.2.3-beta2", "2.0.0-p1"],
    "Maven": ["1.0-alpha-1", "1.0.0.Final", "1-sp", "1.0-SNAPSHOT"],
}
for i, eco in enumerate(ECOSYSTEMS):
    write("version", eco.lower(), bytes([i]) + b"\0".join(v.encode() for v in VERSIONS[eco][:3]))

# --- purl: a purl, NUL, a crate name, NUL, a version ----------------------------------------
for i, (purl, name, version) in enumerate([
    ("pkg:cargo/serde@1.0.0", "serde", "1.0.0"),
    ("pkg:npm/%40scope/name@1.0.0", "my crate", "1.0.0+build.1"),
    ("pkg:maven/org.apache/commons@1.2?type=jar", "a/b", "1.0@x"),
    ("pkg:golang/github.com/o/r@v1.0.0#sub/path", "Ünï", "v1"),
    ("pkg:cargo/x@1?repository_url=https://example.com", "x", "1"),
    ("pkg:pypi/Django_Rest@1.0", "", "%20"),
]):
    write("purl", f"purl-{i}", f"{purl}\0{name}\0{version}")

# --- sanitize: a limit byte, then text ------------------------------------------------------
for i, text in enumerate([
    "plain ü ✓ 漢字",
    "a\x1b[31mred\n::add-mask::x\r\0\u202eevil\u2066\u200b\u2028\x9b\ufeff\U000e0041z",
    json.dumps({"name": "a\u202eb\x9bc\x7f\U000e0041\u2028", "ok": "é漢"}, ensure_ascii=False),
    '{"a": ["\\u202e", 1.5e300, -0, true, null]}',
]):
    write("sanitize", f"text-{i}", bytes([40 if i % 2 else 255]) + text.encode())

# --- npm: an attestations document (the provenance payload is base64 JSON) ------------------
statement = json.dumps({
    "predicateType": "https://slsa.dev/provenance/v1",
    "predicate": {"buildDefinition": {"externalParameters": {"workflow": {
        "ref": "refs/tags/v1.0.1", "repository": "https://github.com/o/r",
        "path": ".github/workflows/npm-publish.yml"}}}},
})
v02 = json.dumps({"predicate": {"invocation": {"configSource": {
    "uri": "git+https://gitlab.com/o/r@refs/heads/main", "entryPoint": "deploy"}}}})
for name, st in [("attestations-v1.json", statement), ("attestations-v0.2.json", v02)]:
    write("npm_response", name, json.dumps({"attestations": [
        {"predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
         "bundle": {"dsseEnvelope": {"payload": "e30="}}},
        {"predicateType": "https://slsa.dev/provenance/v1",
         "bundle": {"dsseEnvelope": {"payload": base64.b64encode(st.encode()).decode(),
                                     "payloadType": "application/vnd.in-toto+json"}}},
    ]}))
write("npm_response", "packument-unpublished.json", json.dumps({
    "name": "gone", "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2021-01-01T00:00:00Z",
                              "1.0.0": "2020-01-01T00:00:00.000Z",
                              "unpublished": {"time": "2021-01-01T00:00:00Z", "versions": ["1.0.0"]}}}))

# --- osv_zip: small zips of the repository's own OSV records ---------------------------------
def zip_of(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


adv = os.path.join(ROOT, "testdata", "advisories", "diff")
records = sorted(os.listdir(adv))
records = [(r, open(os.path.join(adv, r), "rb").read()) for r in records if r.endswith(".json")]
write("osv_zip", "three-records.zip", zip_of(records))
write("osv_zip", "odd-entries.zip", zip_of([("../escape.json", b"{}"), ("dir/", b""), ("x.JSON", b"{\"id\":1}"),
                                            ("not-json.txt", b"x"), ("bad.json", b"{")]))

# --- rustsec_advisory: advisory files (TOML front matter in Markdown) -----------------------
VULN = '''```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "demo"
date = "2099-01-01"
url = "https://example.com/advisory"
categories = ["code-execution", "memory-corruption"]
keywords = ["rce"]
aliases = ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]
related = ["RUSTSEC-2098-0001"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

[affected]
arch = ["x86"]
os = ["windows"]
functions = { "demo::run" = ["< 1.2.0"] }

[versions]
patched = [">= 1.2.0", "^1.1.5"]
unaffected = ["< 0.5.0"]
```

# Remote code execution in demo

Details here.
'''
write("rustsec_advisory", "vulnerability.md", VULN)
write("rustsec_advisory", "unmaintained.md", VULN.replace('cvss = ', 'informational = "unmaintained"\n# cvss = '))
write("rustsec_advisory", "withdrawn-other-registry.md",
      VULN.replace('date = ', 'withdrawn = "2099-02-01"\nsource = "https://example.com/index"\ndate = '))
# The `rustsec` crate's known panic: a multi-byte character at byte 20 (contained).
write("rustsec_advisory", "multibyte-at-20.md", "x" * 19 + "\u00e9 and more text")
