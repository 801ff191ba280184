"""Refresh the vendored browser files (`make vendor`): htmx 2.x and its SSE extension for the web
UI, axe-core for the browser tests' accessibility checks.

Each package is fetched with `npm pack <name>@<version>` into a temporary folder, its minified
file is extracted and written into place, and `VENDORED.json` beside the files records name,
version, file and sha256 (a unit test checks the files against it). Nothing downloads at run
time: the files are committed. To move to a newer version, change PACKAGES and run it again.
htmx stays on 2.x: the registry's latest major changes the SSE extension's syntax.
"""

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB_VENDOR = ROOT / "src" / "testament" / "web" / "static" / "vendor"
BROWSER_VENDOR = ROOT / "tests" / "browser" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    member: str  # the file inside the package's tarball
    folder: Path
    file: str  # its name in the folder


PACKAGES = (
    Package("htmx.org", "2.0.11", "package/dist/htmx.min.js", WEB_VENDOR, "htmx.min.js"),
    Package("htmx-ext-sse", "2.2.4", "package/dist/sse.min.js", WEB_VENDOR, "sse.min.js"),
    Package("axe-core", "4.14.1", "package/axe.min.js", BROWSER_VENDOR, "axe.min.js"),
)


def fetch(package: Package, workdir: Path) -> bytes:
    """The package's file, from the npm registry through `npm pack`."""
    out = subprocess.run(
        ["npm", "pack", f"{package.name}@{package.version}", "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(package.member)
        if member is None:
            raise SystemExit(f"{package.name}@{package.version} has no {package.member}")
        return member.read()


def main() -> int:
    records: dict[Path, list[dict[str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            data = fetch(package, Path(tmp))
            package.folder.mkdir(parents=True, exist_ok=True)
            (package.folder / package.file).write_bytes(data)
            records.setdefault(package.folder, []).append(
                {
                    "name": package.name,
                    "version": package.version,
                    "file": package.file,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
            print(f"{package.name}@{package.version} -> {(package.folder / package.file).relative_to(ROOT)}")
    for folder, entries in records.items():
        (folder / "VENDORED.json").write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
