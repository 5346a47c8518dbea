"""Access and refresh tokens: what they are, when to refresh, and where they are kept.

Data flow: the token endpoint's ``data`` block → :class:`Token` → a JSON file readable only by
its owner (mode 0600 in a 0700 folder) under the quickturn home folder:
``$QUICKTURN_HOME`` if set, else ``$XDG_CONFIG_HOME/quickturn``, else ``~/.config/quickturn``.
Tokens are kept out of the database on purpose: a database file is often copied or shared
with a team, a token file is not.  Tokens never appear in a ``repr``, a log line or an error
message (:func:`redact`).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

TOKEN_FILE = "tiktok_tokens.json"
REDACTED = "<redacted>"


def quickturn_home(env: Mapping[str, str] | None = None) -> Path:
    """The folder for per-user quickturn files (tokens, webhook spool)."""
    env = os.environ if env is None else env
    if env.get("QUICKTURN_HOME"):
        return Path(env["QUICKTURN_HOME"]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]).expanduser() / "quickturn"
    return Path.home() / ".config" / "quickturn"


@dataclass(frozen=True)
class Token:
    """An authorisation of one seller for one app.  Times are Unix seconds (UTC)."""

    access_token: str = field(repr=False)
    access_token_expires_at: int
    refresh_token: str = field(repr=False)
    refresh_token_expires_at: int
    open_id: str = ""
    seller_name: str = ""
    seller_base_region: str = ""
    granted_scopes: tuple[str, ...] = ()
    obtained_at: int = 0

    def __repr__(self) -> str:  # never print the secrets
        return (
            f"Token(access_token={REDACTED}, access_token_expires_at={self.access_token_expires_at}, "
            f"refresh_token={REDACTED}, refresh_token_expires_at={self.refresh_token_expires_at}, "
            f"seller_name={self.seller_name!r}, open_id={self.open_id!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_api(cls, data: Mapping[str, Any], now: int) -> Token:
        """Build from the ``data`` of ``/api/v2/token/get`` or ``/refresh``.

        ``access_token_expire_in`` / ``refresh_token_expire_in`` are absolute Unix times in the
        Partner API (despite the name); small values (< 10⁹) are read as seconds from now.
        """

        def absolute(v: Any) -> int:
            n = int(v or 0)
            return n if n >= 1_000_000_000 else now + n

        return cls(
            access_token=str(data["access_token"]),
            access_token_expires_at=absolute(data.get("access_token_expire_in")),
            refresh_token=str(data.get("refresh_token", "")),
            refresh_token_expires_at=absolute(data.get("refresh_token_expire_in")),
            open_id=str(data.get("open_id", "")),
            seller_name=str(data.get("seller_name", "")),
            seller_base_region=str(data.get("seller_base_region", "")),
            granted_scopes=tuple(str(s) for s in data.get("granted_scopes") or ()),
            obtained_at=now,
        )

    def needs_refresh(self, now: float, margin_seconds: float = 3600.0) -> bool:
        """True when the access token expires within ``margin_seconds``."""
        return now + margin_seconds >= self.access_token_expires_at

    def refresh_expired(self, now: float) -> bool:
        return bool(self.refresh_token_expires_at) and now >= self.refresh_token_expires_at

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["granted_scopes"] = list(self.granted_scopes)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Token:
        return cls(
            access_token=str(d["access_token"]),
            access_token_expires_at=int(d["access_token_expires_at"]),
            refresh_token=str(d["refresh_token"]),
            refresh_token_expires_at=int(d["refresh_token_expires_at"]),
            open_id=str(d.get("open_id", "")),
            seller_name=str(d.get("seller_name", "")),
            seller_base_region=str(d.get("seller_base_region", "")),
            granted_scopes=tuple(d.get("granted_scopes") or ()),
            obtained_at=int(d.get("obtained_at", 0)),
        )

    def with_times(self, **kw: int) -> Token:
        return replace(self, **kw)


def redact(text: str, *secrets: str) -> str:
    """``text`` with every non-empty secret replaced by ``<redacted>``."""
    for s in secrets:
        if s:
            text = text.replace(s, REDACTED)
    return text


class TokenStore:
    """Tokens per app key in one owner-only JSON file.

    The file is written atomically (temporary file created with mode 0600, then renamed);
    a file found with group/other permission bits is tightened back to 0600 when read.
    """

    def __init__(self, home: Path | None = None) -> None:
        self.home = home if home is not None else quickturn_home()
        self.path = self.home / TOKEN_FILE

    def __repr__(self) -> str:
        return f"TokenStore(path={str(self.path)!r})"

    def _read_all(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            os.chmod(self.path, 0o600)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, app_key: str) -> Token | None:
        entry = self._read_all().get(app_key)
        if not isinstance(entry, dict):
            return None
        try:
            return Token.from_json(entry)
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, app_key: str, token: Token) -> None:
        data = self._read_all()
        data[app_key] = token.to_json()
        self._write(data)

    def delete(self, app_key: str) -> bool:
        data = self._read_all()
        if app_key not in data:
            return False
        del data[app_key]
        self._write(data)
        return True

    def _write(self, data: dict[str, Any]) -> None:
        created = not self.home.exists()
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        if created:
            os.chmod(self.home, 0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self.home)  # mkstemp: mode 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        os.chmod(self.path, 0o600)
