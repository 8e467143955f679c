"""Registry import: records/s of each source's parser, and peak memory importing big exports.

Usage:
    .venv/bin/python bench/import.py     # parsers on ~2,000 records each; 20,000-record imports
    .venv/bin/python bench/import.py --records 20000 --parsers-only

1. Parser throughput: each source reads real saved records (shared/data),
   multiplied to about ``--parse-records`` records, from bytes in memory (no
   database): records per second.
2. Import memory: a WHO ICTRP XML export and an ANZCTR bulk zip of
   ``--records`` records (real records, renumbered) are imported into a new
   SQLite file by ``trialmatch import``'s code, each in a fresh process, whose
   peak resident memory is printed — and the same for a tenth of the records,
   so "flat" can be read off: the two peaks should be close. (The peak is
   the process's VmHWM: ru_maxrss would carry this process's over.)
"""

from __future__ import annotations

import argparse
import io
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from shared_data import SHARED

from crawler.sources import get_source
from trialmatch.core.errors import SourceParseError

RAW = SHARED / "data" / "registries_raw"
CONVERTED = SHARED / "data" / "registries"
REPO = Path(__file__).resolve().parent.parent


def _who_xml(records: int) -> bytes:
    """The old-layout WHO export's <Trial> records, renumbered, repeated to *records*."""
    data = (RAW / "who_ictrp/ICTRP-Results_18Mar2020_covid19.xml").read_bytes()
    start = data.index(b"<Trial>")
    end = data.rindex(b"</Trial>") + len(b"</Trial>")
    trials = re.findall(rb"<Trial>.*?</Trial>", data[start:end], re.S)
    out = [data[:start]]
    for number in range(records):
        trial = trials[number % len(trials)]
        out.append(
            re.sub(rb"<TrialID>[^<]*</TrialID>", b"<TrialID>ChiCTR%010d</TrialID>" % number, trial)
        )
        out.append(b"\n  ")
    out.append(data[end:])
    return b"".join(out)


def _anzctr_files() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted((RAW / "anzctr").glob("ACTRN*.xml"))]


def _anzctr_zip(records: int, path: Path) -> None:
    files = _anzctr_files()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(records):
            _, data = files[number % len(files)]
            number_id = b"ACTRN%014d" % (12600000000000 + number)
            renumbered = re.sub(
                rb"<actrnumber>[^<]*</actrnumber>",
                b"<actrnumber>" + number_id + b"</actrnumber>",
                data,
            )
            archive.writestr(f"{number_id.decode()}.xml", renumbered)


def _parser_inputs(target: int) -> dict[str, list[tuple[bytes, str]]]:
    """Per source: a list of (bytes, name) whose records add up to about *target*."""

    def times(data: bytes, name: str, per_copy: int) -> list[tuple[bytes, str]]:
        return [(data, name)] * max(1, target // per_copy)

    anzctr = [(data, name) for name, data in _anzctr_files()]
    return {
        "ctgov": times(
            (
                SHARED / "data/ctgov_v2/exports/dgg32_clinical-trials-public__ctg-studies(5).json"
            ).read_bytes(),
            "export.json",
            50,
        ),
        "ctis": times((CONVERTED / "ctrdata_demo/ctis_records.json").read_bytes(), "ctis.json", 4),
        "euctr (download)": times(
            (CONVERTED / "euctr/euctr_fulltext_download_2_trials.txt").read_bytes(), "full.txt", 10
        ),
        "euctr (page)": times(
            (RAW / "euctr/euctr_trial_2015-000590-12_DE.html").read_bytes(), "trial.html", 1
        ),
        "isrctn": times(
            (RAW / "isrctn/isrctn_api_allTrials_query_5trials.xml").read_bytes(), "all.xml", 5
        ),
        "anzctr": anzctr * max(1, target // len(anzctr)),
        "who-ictrp (XML)": [(_who_xml(target), "export.xml")],
        "who-ictrp (CSV)": times(
            (CONVERTED / "who_ictrp/ntd_ictrp_extract.csv").read_bytes(), "export.csv", 315
        ),
    }


def bench_parsers(target: int) -> None:
    print(f"parser throughput (records from bytes in memory, no database; ~{target:,} records)")
    print(f"{'source':<18}{'records':>9}{'seconds':>9}{'records/s':>11}")
    for label, inputs in _parser_inputs(target).items():
        source = get_source(label.split(" ")[0])
        records = failures = 0
        started = time.perf_counter()
        for data, name in inputs:
            for outcome in source.read_records(io.BufferedReader(io.BytesIO(data)), name):
                if isinstance(outcome, SourceParseError):
                    failures += 1
                else:
                    records += 1
        seconds = time.perf_counter() - started
        note = f"  ({failures} refused)" if failures else ""
        print(f"{label:<18}{records:>9,}{seconds:>9.2f}{records / seconds:>11,.0f}{note}")


_CHILD = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from crawler.importer import import_files
from crawler.sources import get_source
from db import open_database
started = time.perf_counter()
with open_database(Path({db!r})) as database:
    report = import_files(database, get_source({source!r}), [Path({path!r})])
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
status = Path("/proc/self/status").read_text()
peak = int(status.split("VmHWM:", 1)[1].split()[0]) / 1024
print(report.records, len(report.refused), f"{{seconds:.1f}}", f"{{peak:.0f}}")
"""


def _import_in_child(source: str, path: Path, db: Path) -> tuple[int, int, float, float]:
    code = _CHILD.format(repo=str(REPO), db=str(db), source=source, path=str(path))
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(output[0]), int(output[1]), float(output[2]), float(output[3])


def bench_imports(records: int) -> None:
    print()
    print("import into a new SQLite file, one fresh process each (peak RSS of that process)")
    print(
        f"{'export':<34}{'records':>9}{'refused':>9}{'seconds':>9}{'records/s':>11}{'peak MB':>9}"
    )
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        for count in (records // 10, records):
            who = base / f"who_{count}.xml"
            who.write_bytes(_who_xml(count))
            anzctr = base / f"anzctr_{count}.zip"
            _anzctr_zip(count, anzctr)
            for label, source, path in (
                (f"WHO ICTRP XML ({who.stat().st_size / 1e6:.0f} MB)", "who-ictrp", who),
                (f"ANZCTR zip ({anzctr.stat().st_size / 1e6:.0f} MB)", "anzctr", anzctr),
            ):
                done, refused, seconds, peak = _import_in_child(
                    source, path, base / f"{source}_{count}.db"
                )
                print(
                    f"{label:<34}{done:>9,}{refused:>9}{seconds:>9.1f}"
                    f"{done / seconds:>11,.0f}{peak:>9.0f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=20_000, help="records of the big exports")
    parser.add_argument("--parse-records", type=int, default=2_000, help="records per parser")
    parser.add_argument("--parsers-only", action="store_true")
    arguments = parser.parse_args()
    bench_parsers(arguments.parse_records)
    if not arguments.parsers_only:
        bench_imports(arguments.records)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nthis process (it builds the exports in memory): peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
