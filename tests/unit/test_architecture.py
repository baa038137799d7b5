"""The rooms depend downwards only, and only the dashboard speaks Flask and Dash (import-linter contracts)."""

from __future__ import annotations

import re
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_linter_contract_in_pyproject_is_kept(capsys):
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == 0, report
    assert "BROKEN" not in report and "4 kept" in report


def test_the_city_time_zone_bounds_and_metric_crs_are_spelled_in_one_module_only():
    literals = re.compile(r"\"Asia/Hong_Kong\"|'Asia/Hong_Kong'|\"EPSG:2326\"|'EPSG:2326'|113\.80, 22\.13")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "hexops").rglob("*.py")
                 if path.name != "city.py" and literals.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_module_reads_the_environment_but_the_settings():
    reads = re.compile(r"os\.environ(?!\[\"HEXOPS_DATABASE_URL\"\] =)|os\.getenv\(")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "hexops").rglob("*.py")
                 if path.name != "settings.py" and reads.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
