"""axe-core for the accessibility checks: the npm package's ``axe.min.js``, fetched once per
test session from the npm registry (pinned version, checked against the registry's sha512)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import httpx

AXE_VERSION = "4.10.2"
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_SHA512 = (
    "RE3mdQ7P3FRSe7eqCWoeQ/Z9QXrtniSjp1wUjt5nRC3WIpz5rSCve6o3fsZ2aCpJtrZjSZgjwXAoTO5k4tEI0w=="
)
"""``dist.integrity`` of the pinned version (``npm view axe-core@4.10.2 dist.integrity``)."""


def axe_source(cache: Path) -> str:
    """The text of axe.min.js, downloaded into ``cache`` unless already there."""
    target = cache / f"axe-core-{AXE_VERSION}.min.js"
    if not target.exists():
        tarball = (
            httpx.get(AXE_TARBALL, timeout=60, follow_redirects=True).raise_for_status().content
        )
        digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        if digest != AXE_SHA512:
            raise AssertionError(f"axe-core {AXE_VERSION} tarball does not match its sha512")
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            target.write_bytes(member.read())
    return target.read_text()


def serious_violations(page, source: str) -> list[dict]:
    """axe-core run on the page as it is now: violations of serious or critical impact."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    # govern: an inline <script> tag (add_script_tag) would be blocked by script-src 'self'.
    page.evaluate(source + "\n;0")
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
