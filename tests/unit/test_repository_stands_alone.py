"""A clone runs its own tests: nothing under src/, tests/, bench/ or examples/ reads a folder
beside the repository (a sibling `shared/`) or an absolute path of a developer's machine.

System paths (a browser's executable, /tmp, /dev/null) are fine; home and work folders are not.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "tests", "bench", "examples")
SUFFIXES = {".py", ".yaml", ".yml", ".json", ".md", ".toml", ".cfg", ".ini", ".sh", ".txt", ".jsonc"}

# Built from pieces so that this file does not match itself.
_SIBLING = "sha" + "red"
OUTSIDE = re.compile(
    rf"""(\.\./+{_SIBLING}\b)"""  # the sibling folder, relative
    rf"""|(/{_SIBLING}/(specs|seeds|design|checks|hooks)\b)"""  # one of its folders, by any path
    rf"""|(["']{_SIBLING}["']\s*[,)/])"""  # its name as a part joined into a path
    r"""|((?<![\w.:/-])/(home|root|Users|work|workspace|mnt|media)/)"""  # a developer's machine
    r"""|([A-Za-z]:\\\\?Users\\\\?)""",  # C:\Users\…
)


def offending_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


def repository_files() -> list[Path]:
    me = Path(__file__).resolve()
    return [
        path
        for folder in SCANNED
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file()
        and path.suffix in SUFFIXES
        and path.resolve() != me
        and "__pycache__" not in path.parts
    ]


def test_no_file_reads_a_folder_outside_the_repository() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for path in repository_files()
        if (lines := offending_lines(path.read_text(errors="replace")))
    }
    assert found == {}, f"these files read outside the repository: {found}"


def test_the_scan_covers_the_tests_and_the_sources() -> None:
    names = {str(p.relative_to(ROOT)) for p in repository_files()}
    assert "src/testament/config.py" in names
    assert "tests/conftest.py" in names
    assert any(name.startswith("bench/") for name in names)


@pytest.mark.parametrize(
    "line",
    [
        'EXAMPLES = Path("/work/' + _SIBLING + '/specs/connect-examples")',
        'EXAMPLES = Path(__file__).parents[3] / "' + _SIBLING + '" / "specs"',
        "open('../" + _SIBLING + "/seeds/000.txt')",
        'DATA = "/home/alice/project/fixtures"',
        'DATA = "/root/.cache/x"',
        'DATA = r"C:\\Users\\bob\\x.json"',
    ],
)
def test_the_scan_finds_paths_outside_the_repository(line: str) -> None:
    assert offending_lines(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        'executable_path="/usr/bin/chromium"',
        'path = "/tmp/testament-pg"',
        'client.get("/api/v1/test-cases")',
        "the vocabulary shared by the flow interpreter",
        'url = "http://127.0.0.1:8000/work/items"',
    ],
)
def test_the_scan_allows_system_paths_and_urls(line: str) -> None:
    assert offending_lines(line) == []
