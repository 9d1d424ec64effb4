"""The deployment lock (requirements/deploy.txt, made by pip-compile from setup.cfg) and the
vulnerability audit of it (.ci/audit, pip-audit)."""
import configparser
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from . import services
from .loopback import LoopbackServer, QuietHandler

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "deploy.txt"
AUDIT = ROOT / ".ci" / "audit"


def install_requires():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [Requirement(line) for line in config["options"]["install_requires"].strip().splitlines()]


def locked():
    """``{name: (version, hashes)}`` of the lock file."""
    pins = {}
    for block in re.split(r"\n(?=[a-zA-Z0-9])", LOCK.read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\]+)", block)
        if match:
            pins[canonicalize_name(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def test_the_lock_pins_every_dependency_within_setup_cfgs_ranges_with_hashes():
    pins = locked()
    for requirement in install_requires():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is in setup.cfg but not locked: run pip-compile (docs/operators.md, Dependencies)"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), f"{name}=={pins[name][0]} outside {requirement}"
        for extra in requirement.extras:  # redis[hiredis], psycopg[binary]: what the extra adds is locked too
            added = [
                r for r in map(Requirement, metadata.requires(requirement.name) or [])
                if r.marker and "extra" in str(r.marker) and r.marker.evaluate({"extra": extra})
            ]
            assert added and all(canonicalize_name(r.name) in pins for r in added), f"{requirement}: {added}"
    assert all(hashes for _version, hashes in pins.values()), "every pin carries its hashes (pip --require-hashes)"


class OsvHandler(QuietHandler):
    """OSV's query API (POST /v1/query): pip 20.0 has its real vulnerability; ``vulnerable``
    (``{name: id}``) others."""

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name, version = query["package"]["name"], query["version"]
        vulnerable = {"pip": "GHSA-5xp3-jfq3-5q8x", **self.server.vulnerable}
        if name in vulnerable and (name != "pip" or version == "20.0"):
            answer = {"vulns": [{
                "id": vulnerable[name], "summary": f"A test vulnerability in {name}", "aliases": [],
                "affected": [{"package": {"name": name, "ecosystem": "PyPI"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}]}],
            }]}
        else:
            answer = {}
        self.send_body(200, json.dumps(answer).encode(), "application/json")


def audit(*args, **env):
    """Run .ci/audit with every outside address unreachable (a proxy on a closed port)."""
    proxy = f"http://127.0.0.1:{services.free_port()}"
    environ = {**os.environ, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "NO_PROXY": "127.0.0.1", **env}
    return subprocess.run([sys.executable, str(AUDIT), *args], capture_output=True, text=True, env=environ, timeout=300)


def test_without_a_vulnerability_service_the_audit_says_it_did_not_run():
    run = audit()
    assert run.returncode == 0 and "DEPENDENCY AUDIT NOT RUN" in run.stdout, run.stdout + run.stderr
    required = audit(AUDIT_REQUIRED="1")
    assert required.returncode == 1 and "DEPENDENCY AUDIT NOT RUN" in required.stdout


def test_a_known_vulnerability_fails_the_audit_until_accepted_with_a_reason(tmp_path):
    osv = LoopbackServer(OsvHandler)
    osv.vulnerable = {"flask": "GHSA-test-flask-0001"}
    url = f"{osv.url}/v1/query"
    try:
        clean = tmp_path / "none.txt"
        clean.write_text("# nothing accepted\n")
        found = audit("--osv-url", url, "--ignore-file", str(clean))
        assert found.returncode == 1 and "GHSA-test-flask-0001" in found.stdout, found.stdout + found.stderr
        bare = tmp_path / "bare.txt"
        bare.write_text("GHSA-test-flask-0001\n")
        refused = audit("--osv-url", url, "--ignore-file", str(bare))
        assert refused.returncode != 0 and "GHSA-test-flask-0001 is accepted without a reason" in refused.stderr
        reasoned = tmp_path / "reasoned.txt"
        reasoned.write_text("GHSA-test-flask-0001  only in a feature the service never uses (reviewed 2026-12-03)\n")
        accepted = audit("--osv-url", url, "--ignore-file", str(reasoned))
        assert accepted.returncode == 0, accepted.stdout + accepted.stderr
        osv.vulnerable = {}
        assert audit("--osv-url", url).returncode == 0  # with the shipped list, nothing known: passes
    finally:
        osv.stop()
