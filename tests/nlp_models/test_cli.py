"""`trialmatch parse-text` and `trialmatch parse` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trialmatch.cli import app

runner = CliRunner()


def test_parse_text_from_stdin(pipeline) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["parse-text"], input="Exclusion Criteria:\n* Pregnant women\n")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["source"] == "-"
    assert document["criteria"][0]["rule"] == {
        "field": "pregnancy", "states": ["pregnant"], "negated": False
    }  # fmt: skip


def test_parse_text_many_files_keep_order_and_exact_offsets(  # type: ignore[no-untyped-def]
    pipeline,
    tmp_path: Path,
    nct05935553_text: str,
) -> None:
    first = tmp_path / "nct.txt"
    first.write_text(nct05935553_text, encoding="utf-8", newline="")
    second = tmp_path / "crlf.txt"
    second.write_bytes(b"Inclusion Criteria:\r\n* Age 18-65 years\r\n")
    result = runner.invoke(app, ["parse-text", str(first), str(second)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(first), str(second)]
    for line in lines:
        with open(line["source"], encoding="utf-8", newline="") as handle:
            text = handle.read()
        assert line["criteria"]
        for criterion in line["criteria"]:
            assert text[criterion["start"] : criterion["end"]] == criterion["text"]
    assert lines[1]["criteria"][0]["rule"]["min"] == 18


def test_parse_text_reports_bad_input(pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = tmp_path / "garbage.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    result = runner.invoke(app, ["parse-text", str(binary)])
    assert result.exit_code == 1
    assert "not UTF-8" in json.loads(result.stdout)["error"]
    missing = runner.invoke(app, ["parse-text", str(tmp_path / "missing.txt")])
    assert missing.exit_code == 2


def test_help_has_examples() -> None:
    for command in ("parse-text", "parse"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example: trialmatch" in result.stdout


def _fixture_texts() -> list[str]:
    texts = []
    for path in sorted(
        (Path(__file__).resolve().parent.parent / "fixtures" / "ctgov").glob("*.json")
    ):
        data = json.loads(path.read_text(encoding="utf-8"))
        for study in data if isinstance(data, list) else data.get("studies", [data]):
            module = study.get("protocolSection", {}).get("eligibilityModule", {})
            if module.get("eligibilityCriteria"):
                texts.append(module["eligibilityCriteria"])
    return texts


def test_parse_text_with_workers_writes_what_one_process_writes(  # type: ignore[no-untyped-def]
    pipeline, tmp_path: Path
) -> None:
    real = _fixture_texts()
    assert len(real) >= 5
    paths = []
    for number in range(90):  # enough for the worker processes to be used
        path = tmp_path / f"{number:03d}.txt"
        text = real[number % len(real)] + f"\n* Age {18 + number % 50} years or older\n"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(str(path))
    (tmp_path / "045.txt").write_bytes(b"\xff\xfe not utf-8 \x00" * 20)  # one bad input, mid-way
    one = runner.invoke(app, ["parse-text", "--workers", "1", *paths])
    two = runner.invoke(app, ["parse-text", "--workers", "2", *paths])
    assert one.exit_code == two.exit_code == 1  # the bad input is reported, the rest parsed
    assert two.stdout == one.stdout
    lines = [json.loads(line) for line in two.stdout.splitlines()]
    assert [line["source"] for line in lines] == paths
    assert "not UTF-8" in lines[45]["error"]
    assert all(line["criteria"] for number, line in enumerate(lines) if number != 45)
    assert lines[7]["criteria"] != lines[8]["criteria"]
