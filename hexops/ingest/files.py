"""Backfills from files: JSON Lines, CSV and Parquet, streamed in bounded chunks.

Each reader yields ``(first_row, frame)`` chunks of at most ``chunk_rows``
events, so memory stays bounded whatever the file size; ``first_row`` is
the 1-based data row (JSON Lines: line; CSV: row after the header) of the
chunk's first event, which quarantine records so a reason can be traced
back to its line.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from hexops.ingest.errors import SourceError
from hexops.ingest.schema import COLUMNS, flatten_event

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
             ".pq": "parquet"}

#: Flat JSON Lines with exactly the schema's types: the C++ fast path.
_FLAT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("camera_id", pa.string()), ("window_start", pa.string()),
    ("window_end", pa.string()), ("people", pa.int64()), ("vehicles", pa.int64()),
    ("water_state", pa.string()), ("water_confidence", pa.float64()), ("saturated", pa.bool_()),
    ("model_name", pa.string()), ("model_version", pa.string()),
])

Progress = Callable[[int], None]


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The file's format: ``fmt`` if given, else from its suffix."""
    if fmt:
        if fmt not in FORMATS:
            raise SourceError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise SourceError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
                          f"pass --format ({', '.join(FORMATS)})")
    return found


def _jsonl_chunk(lines: list[bytes]) -> pd.DataFrame:
    body = b"\n".join(lines)
    try:
        table = pajson.read_json(
            io.BytesIO(body),
            read_options=pajson.ReadOptions(block_size=max(len(body) + 64, 1 << 20)),
            parse_options=pajson.ParseOptions(explicit_schema=_FLAT_SCHEMA, unexpected_field_behavior="ignore"),
        )
        if table.num_rows == len(lines):
            return table.to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # The per-line path: each line becomes a row, or a row marking why not.
    rows = []
    for line in lines:
        try:
            rows.append(flatten_event(orjson.loads(line)))
        except orjson.JSONDecodeError:
            rows.append({"_raw": line.decode("utf-8", "replace"), "_bad_json": True})
    return pd.DataFrame.from_records(rows)


def read_jsonl(path: Path, chunk_rows: int, progress: Progress | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks of a JSON Lines file (one event per line; blank lines are skipped)."""
    with open(path, "rb") as handle:
        lines: list[bytes] = []
        first = 1
        line_no = 0
        for raw in handle:
            line_no += 1
            if progress:
                progress(len(raw))
            stripped = raw.strip()
            if not stripped:
                if not lines:
                    first = line_no + 1
                continue
            lines.append(stripped)
            if len(lines) >= chunk_rows:
                yield first, _jsonl_chunk(lines)
                lines, first = [], line_no + 1
        if lines:
            yield first, _jsonl_chunk(lines)


_NUMERIC = ("people", "vehicles", "water_confidence")


def _coerce_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Give CSV text its schema types; a value that does not convert stays text (and is rejected).

    Empty cells become missing values.
    """
    out = frame.replace("", None)
    for name in _NUMERIC:
        if name in out.columns:
            text = out[name]
            numbers = pd.to_numeric(text, errors="coerce")
            if numbers.notna().sum() == text.notna().sum():
                out[name] = numbers
            else:
                mixed = text.to_numpy(dtype=object).copy()
                good = numbers.notna().to_numpy()
                mixed[good] = numbers.to_numpy()[good]
                out[name] = mixed
    if "saturated" in out.columns:
        lowered = out["saturated"].str.lower()
        flags = lowered.map({"true": True, "false": False})
        values = out["saturated"].to_numpy(dtype=object).copy()
        known = flags.notna().to_numpy()
        values[known] = flags.to_numpy()[known]
        out["saturated"] = values
    return out


def read_csv(path: Path, chunk_rows: int, progress: Progress | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks of a CSV file with a header row naming the schema's columns."""
    with open(path, "rb") as handle:
        try:
            reader = pd.read_csv(handle, dtype=str, keep_default_na=False, chunksize=chunk_rows)
            first = 1
            done = 0
            for chunk in reader:
                yield first, _coerce_csv(chunk)
                first += len(chunk)
                if progress:
                    position = handle.tell()
                    progress(max(position - done, 0))
                    done = max(position, done)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path}: not readable as CSV near data row {first} ({exc})") from exc


def read_parquet(path: Path, chunk_rows: int, progress: Progress | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks of a Parquet file, by record batch."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"{path}: not readable as Parquet ({exc})") from exc
    first = 1
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        yield first, frame
        first += len(frame)
        if progress:
            progress(len(frame))


def total_for_progress(path: Path, fmt: str) -> tuple[int, str]:
    """(total, unit) for a progress bar: bytes for text files, rows for Parquet."""
    if fmt == "parquet":
        return pq.ParquetFile(path).metadata.num_rows, "rows"
    return path.stat().st_size, "B"


def read_chunks(path: Path, fmt: str, chunk_rows: int, progress: Progress | None = None):
    """Dispatch to the reader of ``fmt``."""
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    reader = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}[fmt]
    return reader(path, chunk_rows, progress)


def write_events(path: Path, frame: pd.DataFrame, fmt: str) -> None:
    """Write flat events in ``fmt`` (tests, examples and the benchmark use it)."""
    frame = frame[[c for c in COLUMNS if c in frame.columns]]
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "csv":
        frame.assign(saturated=np.where(frame["saturated"], "true", "false")).to_csv(path, index=False)
    else:
        with open(path, "wb") as handle:
            for row in frame.to_dict("records"):
                handle.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
