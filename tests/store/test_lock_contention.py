"""A DuckDB file shared by ``quickturn serve`` and a writing command (issue 17, item 5.2).

Real files and real processes: a serve-like reader (the dashboard's
:class:`quickturn.web.data.Database`, short read-only connections held while a page is
computed) runs in one process and ``quickturn import`` in another.  The import waits for
the lock with backoff and succeeds; when the file stays held it fails with a message that
names the holder and says what to do, and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quickturn.store import open_store
from quickturn.store.duckdb import WAITING_SUFFIX, DatabaseLocked, writer_waiting

ROOT = Path(__file__).resolve().parents[2]

#: the dashboard computing page after page: each read holds a connection for 0.3 s
SERVE_LIKE = """
import sys, time
from quickturn.web.data import Database
db = Database(sys.argv[1])
end = time.monotonic() + float(sys.argv[2])
print("reading", flush=True)
reads = 0
while time.monotonic() < end:
    try:
        with db.read() as store:
            store.query("SELECT count(*) FROM skus")
            time.sleep(0.3)
        reads += 1
    except Exception as exc:  # DatabaseBusy while the import writes
        pass
    time.sleep(0.02)
print(reads, flush=True)
"""

#: a page that never finishes: one read-only connection held for the whole time
STUCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT 1")
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURN_")}
    env.update(extra)
    return env


def _start(script: str, db: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "reading"
    return proc


def _import(db: Path, csv: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quickturn", "import", "skus", str(csv), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(**env),
        timeout=120,
    )


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    open_store(path).close()
    return path


def _skus(tmp_path: Path, n: int) -> Path:
    csv = tmp_path / "skus.csv"
    rows = "".join(f"LOCK-{i:03d},Mug {i},2.5\n" for i in range(n))
    csv.write_text("sku_id,title,unit_cost\n" + rows, encoding="utf-8")
    return csv


def _sku_ids(db: Path) -> list[str]:
    store = open_store(db, read_only=True)
    try:
        return sorted(store.table("skus")["sku_id"].to_list())
    finally:
        store.close()


def test_import_while_the_dashboard_reads(db: Path, tmp_path: Path) -> None:
    reader = _start(SERVE_LIKE, db, 120)  # killed below; outlives the imports
    try:
        time.sleep(0.5)
        for n in (5, 8):  # twice: the reader has taken the file back in between
            res = _import(db, _skus(tmp_path, n))
            assert res.returncode == 0, res.stdout + res.stderr
            assert json.loads(res.stdout)["written"] is True
            assert "lock" not in res.stderr.lower()
        assert reader.poll() is None  # the dashboard kept serving
    finally:
        reader.kill()
        reader.wait(10)
    assert _sku_ids(db) == [f"LOCK-{i:03d}" for i in range(8)]
    assert not Path(f"{db}{WAITING_SUFFIX}").exists()


def test_held_file_gives_a_clear_message_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    holder = _start(STUCK, db, 20)
    try:
        t0 = time.monotonic()
        res = _import(db, _skus(tmp_path, 3), QUICKTURN_DB_LOCK_WAIT="1.5")
        waited = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait(10)
    assert res.returncode != 0
    error = json.loads(res.stdout)["error"]
    assert f"the database {db} is in use by" in error
    assert f"PID {holder.pid}" in error and "-c" in error  # the holder's command line
    assert "stop `quickturn serve`" in error and "QUICKTURN_DB_LOCK_WAIT" in error
    assert "Conflicting lock" not in error and "IO Error" not in error
    assert "Traceback" not in res.stderr
    assert waited >= 1.5
    assert _sku_ids(db) == []
    assert not Path(f"{db}{WAITING_SUFFIX}").exists()


def test_a_waiting_writer_keeps_new_readers_out(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quickturn.web import data
    from quickturn.web.data import Database, DatabaseBusy

    monkeypatch.setattr(data, "BUSY_WAIT_SECONDS", 0.2)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    marker = Path(f"{db}{WAITING_SUFFIX}")
    try:
        marker.write_text(str(other.pid), encoding="ascii")
        assert writer_waiting(db)
        with pytest.raises(DatabaseBusy), Database(str(db)).read():
            pass
    finally:
        other.kill()
        other.wait(10)
    # the writer is gone: its marker is stale, removed, and reads go ahead
    assert not writer_waiting(db) and not marker.exists()
    with Database(str(db)).read() as store:
        assert store.table("skus").height == 0
    # this process's own marker never blocks it
    marker.write_text(str(os.getpid()), encoding="ascii")
    assert not writer_waiting(db)


def test_in_process_lock_error_is_wrapped(db: Path) -> None:
    holder = _start(STUCK, db, 20)
    try:
        with pytest.raises(DatabaseLocked, match="is in use by"):
            open_store(db, lock_wait=0.2)
        open_store(db, read_only=True, lock_wait=0).close()  # readers share the file
    finally:
        holder.kill()
        holder.wait(10)
