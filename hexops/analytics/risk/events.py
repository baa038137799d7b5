"""Incident tables from files: column mapping, validation with reasons, and H3 cells.

Used by the CSV backtest (no database) and by the incidents loader in
geodata/, so both accept exactly the same files and reject the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from hexops.analytics.risk.errors import RiskInputError
from hexops.city import HONG_KONG

SOURCES = ("public", "patrol")
#: A generous box around Hong Kong's HK1980 Grid (EPSG:2326) extent, in metres.
HK1980_BOUNDS = (780_000.0, 800_000.0, 870_000.0, 850_000.0)


@dataclass(frozen=True)
class ColumnMapping:
    """Which file columns hold each incident field.

    Either ``lat``/``lon`` (WGS84, EPSG:4326, degrees) or ``x``/``y`` (HK1980
    Grid, EPSG:2326, metres) must be given.  ``source`` values must be
    ``public`` or ``patrol``; without the column every row is ``public``.
    ``tz`` is the zone of times written without an offset.
    """

    time: str = "time"
    lat: str | None = "latitude"
    lon: str | None = "longitude"
    x: str | None = None
    y: str | None = None
    type: str | None = None
    source: str | None = None
    external_id: str | None = None
    tz: str = HONG_KONG.time_zone
    default_type: str = "unspecified"

    def required(self) -> list[str]:
        cols = [self.time]
        if self.x and self.y:
            cols += [self.x, self.y]
        elif self.lat and self.lon:
            cols += [self.lat, self.lon]
        else:
            raise RiskInputError("give either latitude/longitude columns or HK1980 x/y columns")
        cols += [c for c in (self.type, self.source, self.external_id) if c]
        return cols


@dataclass
class PreparedEvents:
    """Valid incidents and the reasons the others were refused.

    Attributes
    ----------
    events : pandas.DataFrame
        ``row`` (1-based line in the file, header = line 1), ``time`` (UTC),
        ``lat``, ``lon`` (EPSG:4326), ``cell`` (int64 H3 at ``resolution``),
        ``type``, ``source``, ``external_id`` (or None).
    problems : list of str
        ``"row 7, field 'latitude': ..."`` for every refused row.
    """

    events: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    resolution: int = 9


def points_to_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cells (int64) of WGS84 points (EPSG:4326, degrees) at ``resolution``."""
    convert = h3i.latlng_to_cell
    return np.fromiter(
        (convert(a, b, resolution) for a, b in zip(lat.tolist(), lon.tolist())), dtype=np.int64, count=len(lat)
    )


#: An explicit UTC offset (or Z) at the end of a time string.
_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"


def _parse_times(raw: pd.Series, tz: str) -> pd.Series:
    """UTC times; strings with an offset keep it, the others are local to ``tz``."""
    text = raw.str.strip()
    has_offset = text.str.contains(_OFFSET, regex=True, na=False)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(text[has_offset], errors="coerce", utc=True, format="mixed")
    naive = ~has_offset
    if naive.any():
        local = pd.to_datetime(text[naive], errors="coerce", format="mixed")
        # Clock times in the skipped DST hour move forward; repeated ones are read
        # as the first (summer-time) occurrence, so no real incident is refused.
        summer = np.ones(len(local), dtype=bool)
        out[naive] = local.dt.tz_localize(tz, ambiguous=summer, nonexistent="shift_forward").dt.tz_convert("UTC")
    return out


def prepare_events(frame: pd.DataFrame, mapping: ColumnMapping, resolution: int = 9) -> PreparedEvents:
    """Validate and convert an incident table; refused rows are listed, not dropped silently.

    Parameters
    ----------
    frame : pandas.DataFrame
        The file as read (all columns as strings is fine).
    mapping : ColumnMapping
    resolution : int
        H3 resolution of ``cell`` (8, 9 or 10).
    """
    missing = [c for c in mapping.required() if c not in frame.columns]
    if missing:
        raise RiskInputError(f"missing column(s) {missing}; the file has {list(frame.columns)}")
    rows = np.arange(len(frame)) + 2
    bad = pd.Series("", index=frame.index)

    def refuse(mask: pd.Series, field_name: str, reason: str) -> None:
        fresh = mask & (bad == "")
        bad[fresh] = f"field {field_name!r}: {reason}"

    times = _parse_times(frame[mapping.time].astype("string"), mapping.tz)
    refuse(times.isna(), mapping.time, "not a date and time")
    if mapping.x and mapping.y:
        x = pd.to_numeric(frame[mapping.x], errors="coerce")
        y = pd.to_numeric(frame[mapping.y], errors="coerce")
        x0, y0, x1, y1 = HK1980_BOUNDS
        refuse(x.isna() | (x < x0) | (x > x1), mapping.x, f"missing or not an HK1980 easting in {x0:.0f}..{x1:.0f} m")
        refuse(y.isna() | (y < y0) | (y > y1), mapping.y, f"missing or not an HK1980 northing in {y0:.0f}..{y1:.0f} m")
        from pyproj import Transformer

        to_wgs84 = Transformer.from_crs(HONG_KONG.metric_crs, "EPSG:4326", always_xy=True)
        lon_v, lat_v = to_wgs84.transform(x.fillna(x0).to_numpy(), y.fillna(y0).to_numpy())
        lat = pd.Series(lat_v, index=frame.index)
        lon = pd.Series(lon_v, index=frame.index)
    else:
        lat = pd.to_numeric(frame[mapping.lat], errors="coerce")
        lon = pd.to_numeric(frame[mapping.lon], errors="coerce")
        refuse(lat.isna() | (lat.abs() > 90), mapping.lat, "missing or not a latitude in -90..90")
        refuse(lon.isna() | (lon.abs() > 180), mapping.lon, "missing or not a longitude in -180..180")
        refuse((lat == 0) & (lon == 0), mapping.lat, "0,0 is a missing position, not a place")
    if mapping.type:
        kind = frame[mapping.type].astype("string").str.strip()
        refuse(kind.isna() | (kind == ""), mapping.type, "empty incident type")
    else:
        kind = pd.Series(mapping.default_type, index=frame.index)
    if mapping.source:
        source = frame[mapping.source].astype("string").str.strip().str.lower()
        refuse(~source.isin(SOURCES), mapping.source, f"source must be one of {SOURCES}")
    else:
        source = pd.Series("public", index=frame.index)
    if mapping.external_id:
        ext = frame[mapping.external_id].astype("string").str.strip()
        refuse(ext.isna() | (ext == ""), mapping.external_id, "empty id")
        refuse(ext.duplicated(keep="first") & ext.notna(), mapping.external_id, "repeats an earlier row's id")
    else:
        ext = pd.Series([None] * len(frame), index=frame.index, dtype=object)

    ok = (bad == "").to_numpy()
    problems = [f"row {r}, {reason}" for r, reason in zip(rows[~ok].tolist(), bad[~ok].tolist())]
    events = pd.DataFrame(
        {
            "row": rows[ok],
            "time": times[ok].to_numpy(),
            "lat": lat[ok].to_numpy(dtype=float),
            "lon": lon[ok].to_numpy(dtype=float),
            "type": kind[ok].astype(str).to_numpy(),
            "source": source[ok].astype(str).to_numpy(),
            "external_id": ext[ok].to_numpy(dtype=object),
        }
    )
    events["time"] = pd.to_datetime(events["time"], utc=True)
    events["cell"] = points_to_cells(events["lat"].to_numpy(), events["lon"].to_numpy(), resolution)
    return PreparedEvents(events, problems, resolution)
