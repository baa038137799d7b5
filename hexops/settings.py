"""hexops configuration: every ``HEXOPS_*`` variable, typed and checked once at start-up.

:meth:`Settings.from_env` is called by the composition root only.  A value
that cannot be used stops start-up with :class:`SettingsError` naming the
variable; no module reads the environment for itself.  Every setting has a
default that ``make demo`` runs with.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

from hexops.city import CITIES, HONG_KONG, City
from hexops.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(InputError):
    """A ``HEXOPS_*`` variable holds a value hexops cannot use; ``field`` names it."""


def _text(raw: str, name: str) -> str | None:
    # An empty text or path setting means "not set", as in most shells' configs.
    return raw or None


def _path(raw: str, name: str) -> Path | None:
    return Path(raw).expanduser().resolve() if raw else None


def _int(low: int, high: int | None = None) -> Callable[[str, str], int]:
    def parse(raw: str, name: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name}: expected a whole number, got {raw!r}", field=name) from None
        if value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f"at least {low}"
            raise SettingsError(f"{name}: expected {span}, got {value}", field=name)
        return value
    return parse


def _positive(unit: str) -> Callable[[str, str], float]:
    def parse(raw: str, name: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise SettingsError(f"{name}: expected a number of {unit} above 0, got {raw!r}", field=name)
        return value
    return parse


def _host_names(raw: str, name: str) -> tuple[str, ...]:
    names = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    bad = [n for n in names if "/" in n or " " in n]
    if not names or bad:
        raise SettingsError(f"{name}: expected host names separated by commas (no scheme, port or path), "
                            f"got {raw!r}", field=name)
    return names


def _thresholds(raw: str, name: str) -> tuple[float, ...]:
    try:
        values = tuple(sorted({float(part) for part in raw.split(",") if part.strip()}))
    except ValueError:
        values = ()
    if not values or values[0] <= 0:
        raise SettingsError(f"{name}: expected people/m2 above 0 separated by commas, got {raw!r}", field=name)
    return values


def _city(raw: str, name: str) -> City:
    try:
        return CITIES[raw]
    except KeyError:
        raise SettingsError(f"{name}: unknown city {raw!r}; known: {', '.join(sorted(CITIES))}", field=name) from None


def _env(name: str, parse: Callable[[str, str], Any] = _text, **kw: Any) -> Any:
    """A dataclass field read from ``name`` by ``parse`` (``metadata`` keeps both)."""
    return field(metadata={"env": name, "parse": parse}, **kw)


@dataclass(frozen=True)
class Settings:
    """Configuration of one hexops process (web server, worker or command).

    Attributes
    ----------
    state_dir : Path
        ``HEXOPS_STATE_DIR``: the private cluster, keys and demo credentials
        (default ``<checkout>/.hexops``).
    database_url : str or None
        ``HEXOPS_DATABASE_URL``: an existing PostGIS server, as the role the
        application connects as; unset, hexops runs its private cluster under
        ``state_dir/pg``.
    database_owner_url : str or None
        ``HEXOPS_DATABASE_OWNER_URL``: the same database as the role that owns
        the schema, for migrations (unset: migrations use ``database_url``).
    city : City
        ``HEXOPS_CITY``: the city served (time zone, bounds, metric CRS, H3
        resolutions); ``hong_kong``.
    tile_url : str or None
        ``HEXOPS_TILE_URL``: an XYZ raster basemap template for deployments
        that have a tile server (drawn instead of the offline land layer; the
        Content-Security-Policy lets images come from its origin only).
    tile_attribution : str or None
        ``HEXOPS_TILE_ATTRIBUTION``: the credit the tile provider requires,
        shown on the map (default: "Map tiles: <host>").
    host, port : str, int
        ``HEXOPS_HOST``, ``HEXOPS_PORT``: where ``hexops serve`` listens.
    secret_key : str or None
        ``HEXOPS_SECRET_KEY``: the session-cookie key; unset, one is generated
        once into ``state_dir``.
    session_hours, lockout_failures, lockout_minutes : float, int, float
        Password sessions' lifetime (hours), failed logins before lock-out and
        how long it lasts (minutes).
    k_anonymity : int
        ``HEXOPS_K_ANONYMITY``: counts below k are withheld from partners.
    tile_window_minutes : float
        ``HEXOPS_TILE_WINDOW_MINUTES``: the time window a tile aggregates.
    ingest_max_body_bytes, ingest_max_events : int
        Largest HTTP detection batch accepted, in bytes and in events.
    crowd_thresholds : tuple of float or None
        ``HEXOPS_CROWD_THRESHOLDS``: crowd alert levels in people/m2 (None:
        the crowd analytics' defaults).
    crowd_horizon_min, crowd_clear_after_min : float or None
        Crowd alerts' look-ahead and how long a level must be gone before it
        clears, in minutes (None: the crowd analytics' defaults).
    vault_dir : Path or None
        ``HEXOPS_VAULT_DIR``: where encrypted clips live (default
        ``state_dir/vault/clips``).
    vault_kek, vault_kek_file, vault_signing_key : str, Path, str or None
        The vault's key-encryption key (hex or a file) and receipt-signing key.
    models_dir : Path or None
        ``HEXOPS_MODELS_DIR``: where detector model files are looked up.
    vault_keystore_dir : Path or None
        ``HEXOPS_VAULT_KEYSTORE_DIR``: the period keys under which the vault's
        data keys are wrapped, one file each, destroyed at expiry (default
        ``state_dir/vault/keystore``; keep it out of long-lived backups).
    audit_key : str or None
        ``HEXOPS_AUDIT_KEY``: 64 hex characters, the key sealing audit rows
        (default: generated once into ``state_dir/vault/audit_key``).
    audit_checkpoint_file : Path or None
        ``HEXOPS_AUDIT_CHECKPOINT_FILE``: where audit checkpoints are appended
        (default ``state_dir/audit/checkpoints.jsonl``).
    shared_query_timeout_s : float
        ``HEXOPS_SHARED_QUERY_TIMEOUT_S``: longest a shared-layer query (OGC
        API, tiles) may run before it is cancelled, in seconds (5).
    shared_concurrency : int
        ``HEXOPS_SHARED_CONCURRENCY``: how many shared-layer queries (OGC API
        items, tiles) one caller may have running at once in a web process
        (2); more get 429 with ``Retry-After``.
    sign_ins_per_minute : int
        ``HEXOPS_SIGN_INS_PER_MINUTE``: sign-in attempts one client address
        may make per minute in a web process (30); more get 429.
    nats_url : str or None
        ``HEXOPS_NATS_URL``: the detection stream's NATS server(s), comma
        separated; when set, ``/readyz`` checks that it answers.
    trusted_hosts : tuple of str or None
        ``HEXOPS_TRUSTED_HOSTS``: the host names this site answers to, comma
        separated (``hexops.police.hk``); a request naming any other ``Host``
        gets 400, so links the API builds from the request (OGC API, TileJSON)
        can never point elsewhere. Unset: the loopback names and ``HEXOPS_HOST``.
    metrics_dir : Path or None
        ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable): where
        the web server's processes share their metrics; set by ``hexops serve``.
    replica_url : str or None
        ``HEXOPS_REPLICA_URL``: a PostgreSQL streaming replica of the
        database; the dashboard's reads go there while it is reachable and
        caught up, ingestion and jobs always use the primary.
    replica_max_lag_s : float
        ``HEXOPS_REPLICA_MAX_LAG_S``: a replica further behind than this many
        seconds is not read from (default 30).
    demo_cameras, demo_seed : int
        ``HEXOPS_DEMO_CAMERAS``, ``HEXOPS_DEMO_SEED``: the size (default 5,200
        cameras, at least 100) and seed (default 7) of the city ``hexops
        demo`` loads.
    """

    state_dir: Path = _env("HEXOPS_STATE_DIR", _path, default=PROJECT_ROOT / ".hexops")
    database_url: str | None = _env("HEXOPS_DATABASE_URL", default=None)
    database_owner_url: str | None = _env("HEXOPS_DATABASE_OWNER_URL", default=None)
    city: City = _env("HEXOPS_CITY", _city, default=HONG_KONG)
    tile_url: str | None = _env("HEXOPS_TILE_URL", default=None)
    tile_attribution: str | None = _env("HEXOPS_TILE_ATTRIBUTION", default=None)
    host: str = _env("HEXOPS_HOST", default="127.0.0.1")
    trusted_hosts: tuple[str, ...] | None = _env("HEXOPS_TRUSTED_HOSTS", _host_names, default=None)
    port: int = _env("HEXOPS_PORT", _int(1, 65535), default=8050)
    secret_key: str | None = _env("HEXOPS_SECRET_KEY", default=None)
    session_hours: float = _env("HEXOPS_SESSION_HOURS", _positive("hours"), default=8.0)
    lockout_failures: int = _env("HEXOPS_LOCKOUT_FAILURES", _int(1), default=5)
    lockout_minutes: float = _env("HEXOPS_LOCKOUT_MINUTES", _positive("minutes"), default=15.0)
    k_anonymity: int = _env("HEXOPS_K_ANONYMITY", _int(1), default=5)
    tile_window_minutes: float = _env("HEXOPS_TILE_WINDOW_MINUTES", _positive("minutes"), default=60.0)
    ingest_max_body_bytes: int = _env("HEXOPS_INGEST_MAX_BODY_BYTES", _int(1), default=8 * 1024 * 1024)
    ingest_max_events: int = _env("HEXOPS_INGEST_MAX_EVENTS", _int(1), default=10_000)
    crowd_thresholds: tuple[float, ...] | None = _env("HEXOPS_CROWD_THRESHOLDS", _thresholds, default=None)
    crowd_horizon_min: float | None = _env("HEXOPS_CROWD_HORIZON_MIN", _positive("minutes"), default=None)
    crowd_clear_after_min: float | None = _env("HEXOPS_CROWD_CLEAR_AFTER_MIN", _positive("minutes"), default=None)
    vault_dir: Path | None = _env("HEXOPS_VAULT_DIR", _path, default=None)
    vault_kek: str | None = _env("HEXOPS_VAULT_KEK", default=None)
    vault_kek_file: Path | None = _env("HEXOPS_VAULT_KEK_FILE", _path, default=None)
    vault_signing_key: str | None = _env("HEXOPS_VAULT_SIGNING_KEY", default=None)
    models_dir: Path | None = _env("HEXOPS_MODELS_DIR", _path, default=None)
    vault_keystore_dir: Path | None = _env("HEXOPS_VAULT_KEYSTORE_DIR", _path, default=None)
    audit_key: str | None = _env("HEXOPS_AUDIT_KEY", default=None)
    audit_checkpoint_file: Path | None = _env("HEXOPS_AUDIT_CHECKPOINT_FILE", _path, default=None)
    shared_query_timeout_s: float = _env("HEXOPS_SHARED_QUERY_TIMEOUT_S", _positive("seconds"), default=5.0)
    shared_concurrency: int = _env("HEXOPS_SHARED_CONCURRENCY", _int(1, 64), default=2)
    sign_ins_per_minute: int = _env("HEXOPS_SIGN_INS_PER_MINUTE", _int(1, 100_000), default=30)
    nats_url: str | None = _env("HEXOPS_NATS_URL", default=None)
    metrics_dir: Path | None = _env("PROMETHEUS_MULTIPROC_DIR", _path, default=None)
    replica_url: str | None = _env("HEXOPS_REPLICA_URL", default=None)
    replica_max_lag_s: float = _env("HEXOPS_REPLICA_MAX_LAG_S", _positive("seconds"), default=30.0)
    demo_cameras: int = _env("HEXOPS_DEMO_CAMERAS", _int(100, 200_000), default=5200)
    demo_seed: int = _env("HEXOPS_DEMO_SEED", _int(0), default=7)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, warn=None) -> "Settings":
        """Read and check every ``HEXOPS_*`` variable.

        Parameters
        ----------
        environ : mapping, optional
            Defaults to ``os.environ``.
        warn : callable, optional
            Told about ``HEXOPS_*`` variables hexops does not know (a typo
            would otherwise be ignored in silence); defaults to stderr.

        Raises
        ------
        SettingsError
            Naming the first variable whose value cannot be used.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        known = set(PASSED_THROUGH)
        for f in fields(cls):
            name = f.metadata["env"]
            known.add(name)
            raw = env.get(name)
            if raw is None:
                continue
            value = f.metadata["parse"](raw, name)
            if value is not None:
                values[f.name] = value
        unknown = sorted(k for k in env if k.startswith("HEXOPS_") and k not in known)
        if unknown:
            (warn or (lambda text: print(text, file=sys.stderr)))(
                f"hexops: ignoring unknown setting(s) {', '.join(unknown)}")
        return cls(**values)

    @property
    def cluster_dir(self) -> Path:
        """The private PostgreSQL cluster's directory."""
        return self.state_dir / "pg"

    def answered_hosts(self) -> list[str]:
        """Host names the web server answers to (Flask's ``TRUSTED_HOSTS``)."""
        if self.trusted_hosts is not None:
            return list(self.trusted_hosts)
        names = ["localhost", "127.0.0.1", "::1"]
        if self.host not in ("0.0.0.0", "::", "") and self.host not in names:
            names.append(self.host)
        return names

    def session_key(self) -> str:
        """The Flask session key: :attr:`secret_key` or one generated once into ``state_dir``."""
        if self.secret_key:
            return self.secret_key
        path = self.state_dir / "secret_key"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


#: Variables read by a command's own options rather than by the settings
#: (``--user`` of the vault commands).
PASSED_THROUGH: tuple[str, ...] = ("HEXOPS_USER",)


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a child process hexops starts (the supervisor's): this process's own,
    with ``extra`` variables set.  The one place outside :meth:`Settings.from_env` that reads it."""
    return {**os.environ, **extra}
