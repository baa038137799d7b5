"""hexops configuration, read once from the environment by the composition root.

Every setting has a sensible default so that ``make demo`` needs none.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Configuration of one hexops process.

    Attributes
    ----------
    state_dir : Path
        Where hexops keeps its private cluster, keys and demo credentials
        (``HEXOPS_STATE_DIR``, default ``<checkout>/.hexops``).
    database_url : str or None
        ``HEXOPS_DATABASE_URL``: an existing PostGIS server.  When unset,
        hexops runs its private cluster under ``state_dir/pg``.
    tile_url : str or None
        ``HEXOPS_TILE_URL``: an XYZ raster basemap template for deployments
        that have a tile server.  Unset, the map draws without a basemap.
    host, port : str, int
        Where ``hexops serve`` listens (``HEXOPS_HOST``, ``HEXOPS_PORT``).
    """

    state_dir: Path = PROJECT_ROOT / ".hexops"
    database_url: str | None = None
    tile_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        state_dir = Path(env.get("HEXOPS_STATE_DIR", str(PROJECT_ROOT / ".hexops"))).resolve()
        return cls(
            state_dir=state_dir,
            database_url=env.get("HEXOPS_DATABASE_URL") or None,
            tile_url=env.get("HEXOPS_TILE_URL") or None,
            host=env.get("HEXOPS_HOST", "127.0.0.1"),
            port=int(env.get("HEXOPS_PORT", "8050")),
            extra={k: v for k, v in env.items() if k.startswith("HEXOPS_")},
        )

    @property
    def cluster_dir(self) -> Path:
        return self.state_dir / "pg"

    def secret_key(self) -> str:
        """The Flask session key: ``HEXOPS_SECRET_KEY`` or one generated once into state_dir."""
        if "HEXOPS_SECRET_KEY" in self.extra:
            return self.extra["HEXOPS_SECRET_KEY"]
        path = self.state_dir / "secret_key"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()
