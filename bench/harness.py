#!/usr/bin/env python3
"""The benchmark harness: starts a throwaway PostgreSQL, runs the parts, prints markdown tables.

Called by bench/run, which builds schemagate, the Beast baseline and installs the peers first.
Every process is timed from fork to exit (time.perf_counter) and its peak RSS is ru_maxrss of
wait4() -- the number `/usr/bin/time -v` reports as "Maximum resident set size", for the process
and the children it waited for. Runs of different tools are interleaved, so a noisy moment hits
all of them. Only 127.0.0.1 is used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_SERVER = ROOT / "tests" / "pg" / "server"
# Peers, generated migrations and scratch files: a cache outside the repository (bench/run sets it).
WORK = Path(os.environ.get("BENCH_CACHE") or
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "schemagate-bench")
sys.path.insert(0, str(BENCH))
import gen_migrations  # noqa: E402

PEERS = ["dbmate", "node-pg-migrate", "postgrator", "liquibase", "alembic", "sqitch"]
ALL_TOOLS = ["psql", "schemagate"] + PEERS


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    """Something is broken (not a missed target): the run exits non-zero."""


# ---------------------------------------------------------------------------------------------
# processes


@dataclass
class Run:
    wall: float  # seconds
    rss_kib: int
    rc: int


def measure(cmd, env=None, cwd=None, out=None, timeout=600.0) -> Run:
    """Run cmd to completion: wall time (fork to exit) and peak RSS of its process tree.

    The RSS comes from GNU time (`/usr/bin/time -f %M`, what `time -v` prints as "Maximum resident
    set size"): a child forked straight from this Python process would report Python's own RSS
    as its floor, because Linux carries the parent's high-water mark across fork and exec. The
    wrapper costs about a millisecond, the same for every tool; the no-op part, where that
    matters, times with hyperfine instead."""
    fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.Popen(
        ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file, *cmd], env=env, cwd=cwd,
        stdin=subprocess.DEVNULL, stdout=out if out is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    # A blocking wait: Popen.wait(timeout) polls with sleeps of up to 50 ms, which would round
    # every wall time up to the next 50 ms step. A timer kills the process group instead.
    expired = threading.Event()

    def kill():
        expired.set()
        os.killpg(p.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        p.wait()
    finally:
        timer.cancel()
    wall = time.perf_counter() - t0
    if expired.is_set():
        os.unlink(rss_file)
        raise BenchError(f"{cmd[0]} did not finish within {timeout:.0f} s")
    try:
        text = Path(rss_file).read_text().split()
        rss = int(text[-1]) if text and text[-1].isdigit() else 0
    finally:
        os.unlink(rss_file)
    return Run(wall, rss, p.returncode)


def free_port() -> int:
    """A port free on 127.0.0.1 now, below the kernel's ephemeral range when there is room: a
    port from that range (what bind(0) returns) can be taken by any outgoing connection -- the
    harness's own psql, a sidecar's -- before the process meant to listen on it binds."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    rng = random.Random()
    for _ in range(200 if low > 11000 else 0):
        port = rng.randrange(10000, low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path)
        status = c.getresponse().status
        c.close()
        return status
    except OSError:
        return None


def wait_until(pred, timeout: float, interval: float = 0.001, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")


def stop_process(p: subprocess.Popen, timeout: float = 10.0) -> int:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
            raise BenchError(f"pid {p.pid} ({p.args[0]}) ignored SIGTERM for {timeout:.0f}s")
    return p.returncode


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------------------------
# PostgreSQL


class Postgres:
    """A throwaway cluster from tests/pg/server (fsync off, 127.0.0.1 only, password auth), with
    connection logging, epoch-millisecond log timestamps and pg_stat_statements added."""

    def __init__(self, name: str, max_connections: int = 300):
        self.name = name
        self.max_connections = max_connections
        self.state: Path | None = None
        self.port = 0
        self.password = ""
        self.log = Path("/nonexistent")
        self.running = False
        self._starting: subprocess.Popen | None = None

    def _server(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        cmd = [str(PG_SERVER)] + (["--state", str(self.state)] if self.state else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=timeout)
        if check and r.returncode != 0:
            raise BenchError(f"tests/pg/server {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def init(self) -> None:
        """Create and start the server, then add the benchmark's settings (one restart)."""
        out = self._server("start")
        exports = dict(re.findall(r"^export (\w+)='([^']*)'$", out, re.M))
        self.state = Path(exports["SCHEMAGATE_TEST_PGSTATE"])
        self.port = int(exports["SCHEMAGATE_TEST_PGPORT"])
        self.log = Path(exports["SCHEMAGATE_TEST_PGLOG"])
        self.password = re.match(r"postgresql://postgres:([^@]+)@",
                                 exports["SCHEMAGATE_TEST_ADMIN_URL"]).group(1)
        self.running = True
        settings = {
            "max_connections": str(self.max_connections),
            "shared_preload_libraries": "pg_stat_statements",
            "log_line_prefix": "%n [%p] ",
            "log_connections": "on",
            "log_disconnections": "on",
        }
        for k, v in settings.items():
            self.sql(f"ALTER SYSTEM SET {k} = {self.literal(v)}")
        self._server("restart")
        self.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    @staticmethod
    def literal(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"

    def start(self, wait: bool = True) -> None:
        """Start the stopped server; without wait, return at once (the server comes up alone)."""
        if wait:
            self._server("start")
        else:
            cmd = [str(PG_SERVER), "--state", str(self.state), "start"]
            self._starting = subprocess.Popen(cmd, env=clean_env(), stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
        self.running = True

    def _reap(self) -> None:
        if self._starting is not None:
            try:
                self._starting.wait(90)
            except subprocess.TimeoutExpired:
                self._starting.kill()
                self._starting.wait(5)
            self._starting = None

    def stop(self) -> None:
        self._reap()
        if self.running:
            self._server("stop", check=False)
            self.running = False

    def destroy(self) -> None:
        self._reap()
        if self.state:
            self._server("destroy", check=False)
            self.running = False

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def url(self, db: str, user: str = "postgres", password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"postgresql://{user}:{pw}@127.0.0.1:{self.port}/{db}"

    def psql_env(self, **extra: str) -> dict[str, str]:
        return clean_env(PGPASSWORD=self.password, **extra)

    def sql(self, query: str, db: str = "postgres") -> str:
        r = subprocess.run(
            ["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", db, "-c", query],
            capture_output=True, text=True, env=self.psql_env(), timeout=300,
        )
        if r.returncode != 0:
            raise BenchError(f"psql failed on {query[:200]!r}: {r.stderr.strip()}")
        return r.stdout.strip()

    def create_db(self, db: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {db}")
        self.sql(f"CREATE DATABASE {db} TEMPLATE template0")

    def drop_db(self, db: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


class ActivityPoller:
    """Counts client backends in pg_stat_activity every `interval` seconds from one psql session
    (its own backend excluded), in a thread: the peak concurrent connections, by application_name
    prefix. The server log's connection/disconnection lines catch what polling misses."""

    def __init__(self, pg: Postgres, db: str, prefix: str, interval: float = 0.02):
        self.query = ("SELECT count(*), count(*) FILTER (WHERE application_name LIKE "
                      f"{Postgres.literal(prefix + '%')}) FROM pg_stat_activity WHERE "
                      "backend_type = 'client backend' AND pid <> pg_backend_pid();\n")
        self.p = subprocess.Popen(
            ["psql", "-X", "-qAt", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d",
             db], env=pg.psql_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.interval = interval
        self.peak_all = self.peak_prefix = self.samples = 0
        self._stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 900
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                self.p.stdin.write(self.query)
                self.p.stdin.flush()
                line = self.p.stdout.readline()
            except (OSError, ValueError):
                return
            if not line:
                return
            a, b = (int(x) for x in line.strip().split("|"))
            self.peak_all, self.peak_prefix = max(self.peak_all, a), max(self.peak_prefix, b)
            self.samples += 1
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self.t.join(5)
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without libpq/schemagate settings that would change a tool."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PG") or k.startswith("SCHEMAGATE_") or k.startswith("DB_INIT_")
                   or k in ("DATABASE_URL", "LOG_LEVEL"))}
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------
# tools


@dataclass
class Tools:
    schemagate: Path
    npm_bin: Path  # $BENCH_CACHE/npm/node_modules
    beast: Path

    def dbmate_bin(self) -> Path:
        return self.npm_bin / "@dbmate" / "linux-x64" / "bin" / "dbmate"

    def liquibase_bin(self) -> Path:
        return self.npm_bin / "liquibase" / "dist" / "liquibase" / "liquibase"


def gen(n: int) -> Path:
    """The generated migrations for N (regenerated when the generator changes)."""
    stamp = str(Path(gen_migrations.__file__).stat().st_mtime_ns)
    out = WORK / "gen" / str(n)
    if not (out / ".stamp").exists() or (out / ".stamp").read_text() != stamp:
        shutil.rmtree(out, ignore_errors=True)
        gen_migrations.generate(n, out)
        (out / ".stamp").write_text(stamp)
    return out


def expected_objects(n: int) -> tuple[int, int]:
    """(tables, views) the first n migrations create."""
    tables = views = 0
    for i in range(2, n + 1):
        step = gen_migrations.STEPS[(i - 2) % len(gen_migrations.STEPS)]
        tables += step == "create_table"
        views += step == "update_and_view"
    return tables, views


def tool_command(tool: str, tools: Tools, pg: Postgres, db: str, d: Path,
                 schemagate_cmd: str = "migrate"):
    """(argv, env, cwd) that applies the migrations in d (a gen() dir) to db."""
    host, port, pw = "127.0.0.1", str(pg.port), pg.password
    if tool == "schemagate":
        return ([str(tools.schemagate), schemagate_cmd],
                clean_env(DATABASE_URL=pg.url(db), SCHEMAGATE_SERVICE="bench",
                          SCHEMAGATE_MIGRATIONS=str(d / "schemagate")), None)
    if tool == "psql":
        return (["psql", "-X", "-q", "-h", host, "-p", port, "-U", "postgres", "-d", db,
                 "-f", str(d / "psql" / "apply.sql")], pg.psql_env(), None)
    if tool == "dbmate":
        return ([str(tools.dbmate_bin()), "--url",
                 f"postgres://postgres:{pw}@{host}:{port}/{db}?sslmode=disable",
                 "--migrations-dir", str(d / "dbmate" / "db" / "migrations"), "--no-dump-schema",
                 "migrate"], clean_env(), None)
    if tool == "node-pg-migrate":
        return ([str(tools.npm_bin / ".bin" / "node-pg-migrate"), "up", "--no-single-transaction",
                 "--no-verbose", "-m", str(d / "node-pg-migrate" / "migrations")],
                clean_env(DATABASE_URL=pg.url(db)), None)
    if tool == "postgrator":
        return ([str(tools.npm_bin / ".bin" / "postgrator"), "--no-config", "--host", host,
                 "--port", port, "--database", db, "--username", "postgres", "--password", pw,
                 "-m", str(d / "postgrator" / "migrations" / "*")], clean_env(), None)
    if tool == "liquibase":
        return ([str(tools.liquibase_bin()), "--show-banner=false", "--log-level=WARNING",
                 "--changelog-file=changelog.xml",
                 f"--url=jdbc:postgresql://{host}:{port}/{db}", "--username=postgres",
                 f"--password={pw}", "update"],
                clean_env(LIQUIBASE_ANALYTICS_ENABLED="false"), d / "liquibase")
    if tool == "alembic":
        return (["/usr/bin/alembic", "-c", str(d / "alembic" / "alembic.ini"), "upgrade", "head"],
                clean_env(BENCH_SQLALCHEMY_URL=(
                    f"postgresql+psycopg2://postgres:{pw}@{host}:{port}/{db}")),
                None)
    if tool == "sqitch":
        return (["sqitch", "deploy", "--target", f"db:pg://postgres@{host}:{port}/{db}"],
                pg.psql_env(SQITCH_FULLNAME="Bench", SQITCH_EMAIL="bench@example.invalid",
                          SQITCH_USER_CONFIG="/dev/null"), d / "sqitch")
    raise ValueError(tool)


def run_tool(tool, tools, pg, db, d, logdir: Path, label: str, timeout=900.0, **kw) -> Run:
    cmd, env, cwd = tool_command(tool, tools, pg, db, d, **kw)
    logdir.mkdir(parents=True, exist_ok=True)
    logfile = logdir / f"{label}.log"
    with open(logfile, "wb") as out:
        r = measure(cmd, env=env, cwd=cwd, out=out, timeout=timeout)
    if r.rc != 0:
        tail = logfile.read_text(errors="replace")[-2000:]
        raise BenchError(f"{tool} exited {r.rc} ({label}); log {logfile}:\n{tail}")
    return r


def check_applied(pg: Postgres, db: str, n: int, tool: str, schema: str = "public") -> None:
    tables, views = expected_objects(n)
    got = pg.sql(
        "SELECT count(*) FILTER (WHERE c.relkind = 'r'), count(*) FILTER (WHERE c.relkind = 'v') "
        "FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
        f"WHERE s.nspname = '{schema}' AND c.relname LIKE 'item\\_%'", db)
    if got != f"{tables}|{views}":
        raise BenchError(f"{tool}: expected {tables} tables|{views} views in {db}.{schema}, got {got}")


# ---------------------------------------------------------------------------------------------
# statistics and tables


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_s(x: float) -> str:
    if x != x:
        return "–"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x * 1000:.0f} ms" if x >= 0.1 else f"{x * 1000:.1f} ms"


def fmt_range(xs, f=fmt_s) -> str:
    return f"{f(min(xs))} – {f(max(xs))}" if xs else "–"


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f} ×" if b and a == a and b == b else "–"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


@dataclass
class Section:
    title: str
    body: str
    data: dict = field(default_factory=dict)

    def markdown(self) -> str:
        return f"### {self.title}\n\n{self.body}\n"


# ---------------------------------------------------------------------------------------------
# 1. cold apply


def part_cold(ctx) -> Section:
    pg, tools, runs = ctx.pg, ctx.tools, ctx.runs
    tool_list = ctx.tools_for("cold")
    rows, data = [], {}
    note_load = [loadavg()]
    for n in ctx.cold_ns:
        d = gen(n)
        samples: dict[str, list[Run]] = {t: [] for t in tool_list}
        for r in range(runs):
            order = tool_list[r % len(tool_list):] + tool_list[:r % len(tool_list)]
            for tool in order:
                db = f"cold_{tool.replace('-', '_')}_{n}"
                pg.create_db(db)
                run = run_tool(tool, tools, pg, db, d, ctx.logdir / "cold", f"{tool}-{n}-{r}")
                check_applied(pg, db, n, tool)
                pg.drop_db(db)
                samples[tool].append(run)
                log(f"cold N={n} run {r + 1}/{runs} {tool}: {fmt_s(run.wall)} {mib(run.rss_kib)}")
        base = samples["psql"]
        bw, br = med([x.wall for x in base]), med([x.rss_kib for x in base])
        ordered = sorted(tool_list, key=lambda t: med([x.wall for x in samples[t]]))
        for tool in ordered:
            w = [x.wall for x in samples[tool]]
            rss = [x.rss_kib for x in samples[tool]]
            rows.append([str(n), f"**{tool}**" if tool == "schemagate" else tool, fmt_s(med(w)),
                         fmt_range(w), fmt_ratio(med(w), bw), mib(med(rss)),
                         fmt_ratio(med(rss), br), str(len(w))])
            data[f"{n}/{tool}"] = {"wall": w, "rss_kib": rss}
    note_load.append(loadavg())
    body = table(["N", "tool", "wall (median)", "min – max", "× psql", "peak RSS (median)",
                  "RSS × psql", "runs"], rows)
    body += (f"\n\nFresh database per run; every tool's result checked (tables and views created). "
             f"Load average at start/end: {note_load[0]} / {note_load[1]}.")
    return Section("1. Cold apply (fresh database)", body, data)


# ---------------------------------------------------------------------------------------------
# 2. no-op restart


NOOP_TOOLS = ("schemagate", "dbmate")  # the others take seconds to find nothing to do


def part_noop(ctx) -> Section:
    """Whole-process no-op times with hyperfine (-N: no shell), in rounds that rotate the order,
    against one `psql -c 'select 1'` process; peak RSS from one GNU-time run each."""
    pg, tools = ctx.pg, ctx.tools
    n = ctx.noop_n
    d = gen(n)
    tool_list = [t for t in ctx.tools_for("noop") if t in NOOP_TOOLS]
    dbs = {}
    for tool in tool_list:
        db = f"noop_{tool.replace('-', '_')}"
        pg.create_db(db)
        run_tool(tool, tools, pg, db, d, ctx.logdir / "noop", f"{tool}-setup")
        check_applied(pg, db, n, tool)
        dbs[tool] = db
    base_name = "psql -c 'select 1'"
    commands = {base_name: (["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U",
                             "postgres", "-d", "postgres", "-c", "select 1"], pg.psql_env())}
    for tool in tool_list:
        cmd, env, _ = tool_command(tool, tools, pg, dbs[tool], d)
        commands[tool] = (cmd, env)
    names = list(commands)
    total_runs = max(ctx.runs, ctx.noop_runs)
    rounds = 1 if total_runs < 10 else 3
    per_round = max(1, -(-total_runs // rounds))  # at least total_runs in all
    walls: dict[str, list[float]] = {t: [] for t in names}
    la = loadavg()
    (ctx.logdir / "noop").mkdir(parents=True, exist_ok=True)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            cmd, env = commands[name]
            out = ctx.logdir / "noop" / f"hyperfine-{r}-{name.split()[0]}.json"
            hf = ["hyperfine", "-N", "--style", "none", "--warmup", "2" if not ctx.smoke else "0",
                  "--runs", str(per_round), "--export-json", str(out),
                  " ".join(shell_quote(x) for x in cmd)]
            res = subprocess.run(hf, env=env, capture_output=True, text=True, timeout=600)
            if res.returncode != 0:
                raise BenchError(
                    f"hyperfine {name} failed: {res.stdout[-1000:]}{res.stderr[-1000:]}")
            walls[name] += json.loads(out.read_text())["results"][0]["times"]
    rss: dict[str, int] = {}
    for name in names:
        cmd, env = commands[name]
        run = measure(cmd, env=env)
        if run.rc != 0:
            raise BenchError(f"{name} exited {run.rc} (no-op RSS run)")
        rss[name] = run.rss_kib
    for tool in tool_list:
        check_applied(pg, dbs[tool], n, tool)
        pg.drop_db(dbs[tool])
    base = med(walls[base_name])
    rows = []
    for name in sorted(names, key=lambda t: med(walls[t])):
        w = walls[name]
        rows.append([f"**{name}**" if name == "schemagate" else name, fmt_s(med(w)), fmt_range(w),
                     fmt_ratio(med(w), base), mib(rss[name]), fmt_ratio(rss[name], rss[base_name]),
                     str(len(w))])
    body = table(["process", "wall (median)", "min – max", "× psql -c 'select 1'",
                  "peak RSS", "RSS × psql", "runs"], rows)
    body += (f"\n\nN = {n} migrations already applied; the whole process from exec to exit, timed "
             f"with `hyperfine -N` ({rounds} round(s) of {per_round}, order rotated, 2 warm-up "
             "runs each). schemagate: `schemagate migrate`; dbmate: `dbmate --no-dump-schema migrate`. "
             f"Load average at start/end: {la} / {loadavg()}.")
    return Section(f"2. No-op restart (N = {n} applied)", body, {"walls": walls, "rss_kib": rss})


def shell_quote(x: str) -> str:
    return x if re.fullmatch(r"[\w@%+=:,./-]+", x) else "'" + x.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------------------------------------
# 3. readiness latency


READY_RE = re.compile(r"^(\d+\.\d+) \[\d+\] LOG:  database system is ready to accept connections",
                      re.M)


def part_ready(ctx) -> Section:
    tools = ctx.tools
    n = 10
    d = gen(n)
    pg = Postgres("ready", max_connections=20)
    rows, data = [], {}
    try:
        pg.init()
        pg.create_db("ready")
        run_tool("schemagate", tools, pg, "ready", d, ctx.logdir / "ready", "schemagate-setup")
        use_dbmate = "dbmate" in ctx.tools_for("ready")
        if use_dbmate:
            pg.create_db("ready_dbmate")
            run_tool("dbmate", tools, pg, "ready_dbmate", d, ctx.logdir / "ready", "dbmate-setup")
        pg.stop()
        for down in ctx.ready_down:
            lat: dict[str, list[float]] = {"schemagate": [], "dbmate": []}
            split: list[tuple[float, float]] = []
            for r in range(ctx.runs):
                total, parts = ready_once_schemagate(ctx, pg, d, down, r)
                lat["schemagate"].append(total)
                if parts:
                    split.append(parts)
                if use_dbmate:
                    lat["dbmate"].append(ready_once_dbmate(ctx, pg, d, down, r))
                log(f"ready down={down}s run {r + 1}/{ctx.runs}: schemagate "
                    f"{lat['schemagate'][-1] * 1000:.0f} ms"
                    + (f", dbmate {lat['dbmate'][-1] * 1000:.0f} ms" if use_dbmate else ""))
            for tool, xs in lat.items():
                if not xs:
                    continue
                what = ("`run`: accepting → /readyz 200" if tool == "schemagate"
                        else "`dbmate --wait migrate`: accepting → exit 0")
                where = "–"
                if tool == "schemagate" and split:
                    where = (f"{med([a for a, _ in split]) * 1000:.0f} ms to connected, "
                             f"{med([b for _, b in split]) * 1000:.0f} ms connected → ready")
                rows.append([f"{down:g} s", what, f"{med(xs) * 1000:.0f} ms",
                             f"{min(xs) * 1000:.0f} – {max(xs) * 1000:.0f} ms", where,
                             str(len(xs))])
                data[f"{down}/{tool}"] = xs
                if tool == "schemagate":
                    data[f"{down}/schemagate-split"] = split
    finally:
        pg.destroy()
    body = table(["server down for", "what", "latency (median)", "min – max",
                  "where (medians, from the sidecar's log)", "runs"], rows)
    body += ("\n\nThe client starts first, with nothing to apply (N = 10 already applied); the "
             "server starts after the given time. Latency is from the server's own log line "
             "\"ready to accept connections\" (ms timestamps) to the first 200 from /readyz, "
             "polled every 1 ms on fresh connections. The split uses the sidecar's "
             "\"connected to the database\" and \"ready\" log lines (same clock, ms). "
             "Target: ≤ 100 ms median.")
    return Section("3. Readiness latency", body, data)


def accepted_at(pg: Postgres, offset: int) -> float:
    text = wait_until(lambda: (lambda t: t if READY_RE.search(t) else None)(pg.log_since(offset)),
                      30, 0.01, "the server's ready line")
    return float(READY_RE.findall(text)[-1])


def ready_once_schemagate(ctx, pg: Postgres, d: Path, down: float, r: int) -> float:
    hport = free_port()
    cmd, env, _ = tool_command("schemagate", ctx.tools, pg, "ready", d, schemagate_cmd="run")
    env["SCHEMAGATE_LISTEN"] = f"127.0.0.1:{hport}"
    logdir = ctx.logdir / "ready"
    with open(logdir / f"schemagate-run-{down}-{r}.log", "wb") as out:
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: http_status(hport, "/livez") == 200, 10, 0.005, "/livez")
        time.sleep(down)
        if http_status(hport, "/readyz") == 200:
            raise BenchError("/readyz was 200 while the server was down")
        offset = pg.log_size()
        pg.start(wait=False)
        wait_until(lambda: http_status(hport, "/readyz", 0.5) == 200, 60, 0.001, "/readyz 200")
        t_ready = time.time()
        t_accept = accepted_at(pg, offset)
    finally:
        rc = stop_process(p)
        pg.stop()
    if rc != 0:
        raise BenchError(f"schemagate run exited {rc} on SIGTERM")
    text = (logdir / f"schemagate-run-{down}-{r}.log").read_text(errors="replace")
    t_conn = log_time(text, "connected to the database")
    t_logready = log_time(text, "ready service=")
    parts = (t_conn - t_accept, t_logready - t_conn) if t_conn and t_logready else None
    return t_ready - t_accept, parts


def log_time(text: str, needle: str) -> float | None:
    """Epoch seconds of the last sidecar log line (text format, UTC ms) containing needle."""
    found = None
    for line in text.splitlines():
        if needle in line:
            m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z", line)
            if m:
                found = datetime.datetime.fromisoformat(m.group(1)).replace(
                    tzinfo=datetime.timezone.utc).timestamp()
    return found


def ready_once_dbmate(ctx, pg: Postgres, d: Path, down: float, r: int) -> float:
    cmd, env, _ = tool_command("dbmate", ctx.tools, pg, "ready_dbmate", d)
    cmd = cmd[:-1] + ["--wait", "--wait-timeout", "60s", "migrate"]
    with open(ctx.logdir / "ready" / f"dbmate-{down}-{r}.log", "wb") as out:
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
    try:
        time.sleep(down)
        if p.poll() is not None:
            raise BenchError(f"dbmate --wait exited {p.returncode} while the server was down")
        offset = pg.log_size()
        pg.start(wait=False)
        p.wait(90)
        t_done = time.time()
        t_accept = accepted_at(pg, offset)
    finally:
        if p.poll() is None:
            p.kill()
        pg.stop()
    if p.returncode != 0:
        raise BenchError(f"dbmate --wait migrate exited {p.returncode}")
    return t_done - t_accept


# ---------------------------------------------------------------------------------------------
# 4. /readyz throughput


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_ERR = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")


def wrk(port: int, path: str, conns: int, seconds: float) -> tuple[float, float, str]:
    r = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", "--timeout", "2s",
                        f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                       timeout=seconds + 30)
    rps, p99 = WRK_RPS.search(r.stdout), WRK_P99.search(r.stdout)
    if r.returncode != 0 or not rps or not p99:
        raise BenchError(f"wrk failed: {r.stdout}{r.stderr}")
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0}[p99.group(2)]
    errors = "; ".join(m.group(0) for m in WRK_ERR.finditer(r.stdout))
    return float(rps.group(1)), float(p99.group(1)) * unit, errors


def start_schemagate_run(ctx, pg: Postgres, db: str, d: Path, label: str, **env_extra):
    hport = free_port()
    cmd, env, _ = tool_command("schemagate", ctx.tools, pg, db, d, schemagate_cmd="run")
    env["SCHEMAGATE_LISTEN"] = f"127.0.0.1:{hport}"
    env.update(env_extra)
    (ctx.logdir / "run").mkdir(parents=True, exist_ok=True)
    out = open(ctx.logdir / "run" / f"{label}.log", "wb")
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    try:
        wait_until(lambda: p.poll() is not None or http_status(hport, "/readyz") == 200, 120, 0.01,
                   "schemagate run to be ready")
    except BenchError:
        stop_process(p)
        raise
    if p.poll() is not None:
        raise BenchError(f"schemagate run exited {p.returncode}; see {ctx.logdir / 'run' / label}.log")
    return p, hport


def start_beast(ctx):
    p = subprocess.Popen([str(ctx.tools.beast), "127.0.0.1", "0"], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.match(r"listening on (\d+)", line)
    if not m:
        p.kill()
        raise BenchError(f"beast baseline did not start: {line!r}")
    return p, int(m.group(1))


def part_http(ctx) -> Section:
    pg = ctx.pg
    d = gen(10)
    pg.create_db("http")
    sg, sport = start_schemagate_run(ctx, pg, "http", d, "http")
    bb, bport = start_beast(ctx)
    rows, data = [], {}
    try:
        for conns in ctx.http_conns:
            res = {"schemagate": [], "beast": []}
            errs = []
            for r in range(ctx.runs):
                for name, port in ([("schemagate", sport), ("beast", bport)] if r % 2 == 0
                                   else [("beast", bport), ("schemagate", sport)]):
                    rps, p99, err = wrk(port, "/readyz", conns, ctx.http_seconds)
                    res[name].append((rps, p99))
                    if err:
                        errs.append(f"{name}: {err}")
            base = med([x[0] for x in res["beast"]])
            for name in ("schemagate", "beast"):
                rps = [x[0] for x in res[name]]
                p99 = [x[1] for x in res[name]]
                rows.append([str(conns), "**schemagate `/readyz`**" if name == "schemagate"
                             else "Beast baseline", f"{med(rps):,.0f}",
                             f"{min(rps):,.0f} – {max(rps):,.0f}", fmt_ratio(med(rps), base),
                             f"{med(p99) * 1000:.2f} ms", f"{max(p99) * 1000:.2f} ms",
                             str(len(rps))])
                data[f"{conns}/{name}"] = res[name]
            if errs:
                rows.append([str(conns), "errors", "; ".join(errs), "", "", "", "", ""])
        idle_after = rss_kib(sg.pid)
    finally:
        rc = stop_process(sg)
        stop_process(bb)
        pg.drop_db("http")
    if rc != 0:
        raise BenchError(f"schemagate run exited {rc} on SIGTERM")
    body = table(["connections", "server", "requests/s (median)", "min – max", "× baseline",
                  "p99 (median)", "p99 (worst)", "runs"], rows)
    body += (f"\n\n`wrk -t1 -c<connections> -d{ctx.http_seconds:g}s --latency`, keep-alive, "
             f"alternating servers run by run; both servers, wrk and the load share 2 cores. "
             f"schemagate RSS after the load: {mib(idle_after)}.")
    abuse_body, data["abuse"] = abuse(ctx)
    body += "\n\n" + abuse_body
    return Section("4. /readyz on keep-alive connections", body, data)


def abuse(ctx) -> tuple[str, list[dict]]:
    """tests/fault/http_abuse.py, ctx.runs times: a probe's latency while 500 slow clients,
    oversized headers and a wrk flood hit `run` at once (target: p99 < 10 ms)."""
    script = ROOT / "tests" / "fault" / "http_abuse.py"
    seconds = 3 if ctx.smoke else 8
    runs = []
    for r in range(ctx.runs):
        # Its own process group: on a timeout the sidecar and wrk it started go with it.
        p = subprocess.Popen([sys.executable, str(script), "--json", "--seconds", str(seconds),
                              "--p99-ms", "1000000", str(ctx.tools.schemagate)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise BenchError(f"http_abuse.py run {r + 1} did not finish in {seconds + 120} s")
        last = out.strip().splitlines()[-1:] or [""]
        try:
            res = json.loads(last[0])
        except ValueError:
            raise BenchError(f"http_abuse.py run {r + 1} gave no figures: {out}{err}")
        if res["failures"]:
            raise BenchError(f"http_abuse.py run {r + 1}: {'; '.join(res['failures'])}")
        runs.append(res)
    p99 = [x["p99_ms"] for x in runs]
    p50 = [x["p50_ms"] for x in runs]
    rows = [["probe p50", f"{med(p50):.2f} ms", f"{min(p50):.2f} – {max(p50):.2f} ms", ""],
            ["probe p99", f"{med(p99):.2f} ms", f"{min(p99):.2f} – {max(p99):.2f} ms", "< 10 ms"],
            ["probes answered / failed", f"{med([x['probes'] for x in runs]):.0f} / "
             f"{sum(x['errors'] for x in runs)}", "", "all answered"],
            ["peak RSS", mib(med([x['peak_rss_kib'] for x in runs])),
             f"{mib(min(x['peak_rss_kib'] for x in runs))} – "
             f"{mib(max(x['peak_rss_kib'] for x in runs))}", "bounded"]]
    text = ("Under abuse (`tests/fault/http_abuse.py`): 500 slow clients (a byte every 200 ms), a "
            "stream of 16 KiB headers and `wrk -c50` at once for "
            f"{seconds} s, while a probe opens a new connection every 20 ms; {len(runs)} runs.\n\n")
    return text + table(["", "median", "min – max", "target"], rows), runs


# ---------------------------------------------------------------------------------------------
# 5. footprint


def part_footprint(ctx) -> Section:
    pg = ctx.pg
    d = gen(10)
    pg.create_db("footprint")
    rows = []
    rss_sg, rss_bb, parts = [], [], []
    for r in range(ctx.runs):
        sg, _ = start_schemagate_run(ctx, pg, "footprint", d, f"footprint-{r}")
        bb, _ = start_beast(ctx)
        try:
            time.sleep(ctx.idle_seconds)
            rss_sg.append(rss_kib(sg.pid))
            rss_bb.append(rss_kib(bb.pid))
            parts.append(memory_parts(sg.pid))
        finally:
            rc = stop_process(sg)
            stop_process(bb)
        if rc != 0:
            raise BenchError(f"schemagate run exited {rc} on SIGTERM")
    pg.drop_db("footprint")
    rows.append(["idle RSS of `schemagate run` (VmRSS, ready, "
                 f"{ctx.idle_seconds:g} s idle, environment as in the image)", mib(med(rss_sg)),
                 fmt_range(rss_sg, mib), "≤ 8 MiB", f"Beast baseline: {mib(med(rss_bb))}"])
    for key, what in (("anon", "of it anonymous (heap, stacks, relocated library data): the "
                               "process's own"),
                      ("file", "of it file-backed (binary and shared-library pages, shared with "
                               "every process that maps them)"),
                      ("pss", "PSS (shared pages divided among the processes mapping them)")):
        xs = [x[key] for x in parts]
        rows.append([what, mib(med(xs)), fmt_range(xs, mib), "", ""])
    binary = ctx.tools.schemagate
    size = binary.stat().st_size
    stripped = WORK / "schemagate.stripped"
    subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(binary)], check=True)
    rows.append(["binary (as built)", mib(size / 1024), "", "", ""])
    rows.append(["binary, stripped (what the image ships)", mib(stripped.stat().st_size / 1024),
                 "", "", ""])
    libs = shared_libs(stripped)
    libs_size = sum(p.stat().st_size for p in libs)
    rows.append([f"shared libraries it loads ({len(libs)} files, ldd)", mib(libs_size / 1024), "",
                 "", ""])
    image = image_size()
    if image:
        rows.append([f"image `{image[0]}` (docker image inspect)", mib(image[1] / 1024), "", "", ""])
    else:
        certs = Path("/etc/ssl/certs/ca-certificates.crt")
        est = stripped.stat().st_size + libs_size + (certs.stat().st_size if certs.exists() else 0)
        rows.append(["image (no image built here: binary + ldd libraries + CA bundle, the file "
                     "set docker/Dockerfile copies)", mib(est / 1024), "", "", ""])
    body = table(["what", "value (median)", "min – max", "target", "reference"], rows)
    return Section("5. Footprint", body, {"rss_kib": rss_sg, "beast_rss_kib": rss_bb})


def memory_parts(pid: int) -> dict[str, int]:
    """RssAnon and RssFile (/proc/PID/status) and Pss (/proc/PID/smaps_rollup), KiB."""
    out = {"anon": 0, "file": 0, "pss": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                out["anon"] = int(line.split()[1])
            elif line.startswith("RssFile:"):
                out["file"] = int(line.split()[1])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                out["pss"] = int(line.split()[1])
    return out


def shared_libs(binary: Path) -> list[Path]:
    r = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True)
    libs = set()
    for line in r.stdout.splitlines():
        m = re.search(r"=> (/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            libs.add(Path(m.group(1)).resolve())
    return sorted(libs)


def image_size():
    name = os.environ.get("SCHEMAGATE_IMAGE", "schemagate:local")
    if not shutil.which("docker"):
        return None
    try:
        r = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", name],
                           capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0 or not r.stdout.strip().isdigit():
        return None
    return name, int(r.stdout.strip())


# ---------------------------------------------------------------------------------------------
# 6. fleet


CONN_RE = re.compile(r"^(\d+\.\d+) \[(\d+)\] LOG:  connection authorized: user=(\S+) database=(\S+)"
                     r"(?: application_name=(\S+))?", re.M)
DISC_RE = re.compile(r"^(\d+\.\d+) \[(\d+)\] LOG:  disconnection:", re.M)


def peak_connections(text: str, users: set[str]) -> tuple[int, int, int]:
    """(peak concurrent connections of these users, peak of any one user, total connections)."""
    events, who = [], {}
    for m in CONN_RE.finditer(text):
        app = m.group(5) or ""
        if m.group(3) in users or app.startswith("schemagate-svc"):
            # a sidecar's connections all carry application_name=schemagate-<service>
            who[m.group(2)] = app[len("schemagate-"):] if app.startswith("schemagate-") else m.group(3)
            events.append((float(m.group(1)), 1, m.group(2)))
    for m in DISC_RE.finditer(text):
        if m.group(2) in who:
            events.append((float(m.group(1)), -1, m.group(2)))
    events.sort(key=lambda e: (e[0], e[1]))
    cur = peak = 0
    per: dict[str, int] = {}
    per_peak = 0
    for _, delta, pid in events:
        cur += delta
        peak = max(peak, cur)
        u = who[pid]
        per[u] = per.get(u, 0) + delta
        per_peak = max(per_peak, per[u])
    return peak, per_peak, len(who)


def part_fleet(ctx) -> Section:
    pg = ctx.pg
    k, n = ctx.fleet_sidecars, ctx.fleet_n
    d = gen(n)
    rows, data = [], {}
    walls, peaks, per_peaks, totals, errors = [], [], [], [], []
    pwalls, ppeaks, polled_peaks = [], [], []
    for r in range(ctx.runs):
        db = "fleet"
        pg.create_db(db)
        w, peak, per_peak, total, err, polled = fleet_once(ctx, pg, db, d, k, n, r)
        polled_peaks.append(polled)
        pg.drop_db(db)
        walls.append(w), peaks.append(peak), per_peaks.append(per_peak), totals.append(total)
        errors.append(err)
        log(f"fleet run {r + 1}/{ctx.runs}: {fmt_s(w)}, peak conns {peak}, per sidecar {per_peak}, "
            f"errors {err}")
        pg.create_db(db)
        pw, ppeak = fleet_psql_once(ctx, pg, db, d, k, n, r)
        pg.drop_db(db)
        pwalls.append(pw), ppeaks.append(ppeak)
        log(f"fleet psql run {r + 1}/{ctx.runs}: {fmt_s(pw)}, peak conns {ppeak}")
    rows.append([f"**{k} × `schemagate run`** (provision role + schema, migrate, serve)",
                 fmt_s(med(walls)), fmt_range(walls), fmt_ratio(med(walls), med(pwalls)),
                 str(max(peaks)), str(max(polled_peaks)), str(max(per_peaks)),
                 f"{med(totals) / k:.1f}", str(sum(errors))])
    rows.append([f"{k} × psql (schemas made beforehand, one session each)", fmt_s(med(pwalls)),
                 fmt_range(pwalls), "1.00 ×", str(max(ppeaks)), "", "1", "1", "0"])
    data.update(walls=walls, peaks=peaks, polled_peaks=polled_peaks, per_peaks=per_peaks,
                totals=totals, errors=errors, psql_walls=pwalls)
    body = table(["fleet", "wall to all ready (median)", "min – max", "× psql", "peak server "
                  "connections (log)", "peak (pg_stat_activity, 20 ms poll)", "peak per sidecar",
                  "connections opened per sidecar", "errors"], rows)
    body += (f"\n\n{k} processes started at once, {n} migrations each, schema-per-service in one "
             "database (`SCHEMAGATE_ISOLATION=schema`, admin URL for provisioning). Wall time from "
             "the first spawn to the last /readyz 200 (polled every 10 ms). Peak connections from the "
             "server's connection/disconnection log (exact) and from polling pg_stat_activity. Errors: non-zero exits on SIGTERM plus "
             "error lines in the sidecars' logs.")
    return Section(f"6. Fleet ({k} sidecars × {n} migrations)", body, data)


FLEET_PASSWORD = "fleet-bench-pw"


def fleet_once(ctx, pg, db, d, k, n, r):
    logdir = ctx.logdir / "fleet" / str(r)
    logdir.mkdir(parents=True, exist_ok=True)
    offset = pg.log_size()
    ports: list[int] = []
    while len(ports) < k:  # distinct: a port is only tested, not held, until its sidecar binds
        port = free_port()
        if port not in ports:
            ports.append(port)
    procs = []
    poller = ActivityPoller(pg, db, "schemagate-svc")
    t0 = time.perf_counter()
    try:
        for i in range(k):
            svc = f"svc{i}"
            env = clean_env(
                DATABASE_URL=pg.url(db, svc, FLEET_PASSWORD), SCHEMAGATE_ROLE_PASSWORD=FLEET_PASSWORD,
                SCHEMAGATE_ADMIN_URL=pg.url(db),
                SCHEMAGATE_SERVICE=svc, SCHEMAGATE_ISOLATION="schema",
                SCHEMAGATE_MIGRATIONS=str(d / "schemagate"),
                SCHEMAGATE_LISTEN=f"127.0.0.1:{ports[i]}")
            with open(logdir / f"{svc}.log", "wb") as out:
                procs.append(subprocess.Popen([str(ctx.tools.schemagate), "run"], env=env,
                                              stdin=subprocess.DEVNULL, stdout=out,
                                              stderr=subprocess.STDOUT))
        pending = set(range(k))
        deadline = time.monotonic() + 300
        while pending and time.monotonic() < deadline:
            for i in list(pending):
                if procs[i].poll() is not None:
                    raise BenchError(f"sidecar svc{i} exited {procs[i].returncode}; "
                                     f"see {logdir}/svc{i}.log")
                if http_status(ports[i], "/readyz", 0.5) == 200:
                    pending.discard(i)
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        if pending:
            raise BenchError(f"{len(pending)} sidecars not ready after 300 s; see {logdir}")
    finally:
        rcs = [stop_process(p) for p in procs]
        poller.stop()
    for i in range(k):
        check_applied(pg, db, n, f"svc{i}", schema=f"svc{i}")
    err = sum(rc != 0 for rc in rcs)
    for i in range(k):
        text = (logdir / f"svc{i}.log").read_text(errors="replace")
        err += len(re.findall(r"\berror\b|\"level\":\"(error|critical)\"|\bcritical\b", text,
                              re.I))
    time.sleep(0.2)  # let the server log the last disconnections
    peak, per_peak, total = peak_connections(pg.log_since(offset), {f"svc{i}" for i in range(k)})
    return wall, peak, per_peak, total, err, poller.peak_prefix


def fleet_psql_once(ctx, pg, db, d, k, n, r):
    pg.sql("; ".join(f"CREATE SCHEMA svc{i}" for i in range(k)), db)
    offset = pg.log_size()
    logdir = ctx.logdir / "fleet-psql" / str(r)
    logdir.mkdir(parents=True, exist_ok=True)
    procs = []
    t0 = time.perf_counter()
    for i in range(k):
        env = pg.psql_env(PGOPTIONS=f"-c search_path=svc{i}", PGAPPNAME=f"psql-svc{i}")
        with open(logdir / f"svc{i}.log", "wb") as out:
            procs.append(subprocess.Popen(
                ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                 "-d", db, "-f", str(d / "psql" / "apply.sql")], env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT))
    for p in procs:
        p.wait(300)
    wall = time.perf_counter() - t0
    if any(p.returncode != 0 for p in procs):
        raise BenchError(f"psql fleet: a psql failed; see {logdir}")
    for i in range(k):
        check_applied(pg, db, n, f"psql svc{i}", schema=f"svc{i}")
    time.sleep(0.2)
    text = pg.log_since(offset)
    events = []
    for m in CONN_RE.finditer(text):
        if (m.group(5) or "").startswith("psql-svc"):
            events.append((float(m.group(1)), 1, m.group(2)))
    pids = {e[2] for e in events}
    events += [(float(m.group(1)), -1, m.group(2)) for m in DISC_RE.finditer(text)
               if m.group(2) in pids]
    cur = peak = 0
    for _, delta, _ in sorted(events, key=lambda e: (e[0], e[1])):
        cur += delta
        peak = max(peak, cur)
    return wall, peak


def part_lint(ctx) -> Section:
    """The cost of the lock-aware lint: `schemagate plan --offline` (scan, lint of every file as
    pending, output) against `schemagate validate --offline` with SCHEMAGATE_LINT=off (the same
    scan without lint) and `psql -c 'select 1'`, whole processes timed with hyperfine."""
    n = ctx.noop_n
    d = gen(n)
    env = clean_env(SCHEMAGATE_SERVICE="bench", SCHEMAGATE_MIGRATIONS=str(d / "schemagate"))
    exe = str(ctx.tools.schemagate)
    commands = {
        "psql -c 'select 1'": (["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(ctx.pg.port),
                                "-U", "postgres", "-d", "postgres", "-c", "select 1"],
                               ctx.pg.psql_env()),
        "validate --offline, lint off": ([exe, "validate", "--offline"],
                                         {**env, "SCHEMAGATE_LINT": "off"}),
        "plan --offline (lint of every file)": ([exe, "plan", "--offline"], env),
    }
    (ctx.logdir / "lint").mkdir(parents=True, exist_ok=True)
    walls: dict[str, list[float]] = {}
    runs = max(ctx.runs, 5 if not ctx.smoke else 1)
    for i, (name, (cmd, cenv)) in enumerate(commands.items()):
        out = ctx.logdir / "lint" / f"hyperfine-{i}.json"
        hf = ["hyperfine", "-N", "--style", "none", "--warmup", "1" if not ctx.smoke else "0",
              "--runs", str(runs), "--export-json", str(out),
              " ".join(shell_quote(x) for x in cmd)]
        res = subprocess.run(hf, env=cenv, capture_output=True, text=True, timeout=600)
        if res.returncode != 0:
            raise BenchError(f"hyperfine {name} failed: {res.stdout[-1000:]}{res.stderr[-1000:]}")
        walls[name] = json.loads(out.read_text())["results"][0]["times"]
    base = med(walls["psql -c 'select 1'"])
    scan = med(walls["validate --offline, lint off"])
    rows = [[name, fmt_s(med(w)), fmt_range(w), fmt_ratio(med(w), base), str(len(w))]
            for name, w in walls.items()]
    body = table(["process", "wall (median)", "min – max", "× psql -c 'select 1'", "runs"], rows)
    lint_ms = (med(walls["plan --offline (lint of every file)"]) - scan) * 1000
    body += (f"\n\nN = {n} generated migrations. Lint (and plan's output) costs the difference: "
             f"{lint_ms:.1f} ms (target: at most 50 ms). A no-op restart lints nothing: lint "
             "runs only when there is work, so the no-op figure is unchanged by it.")
    return Section(f"7. Lint of N = {n} migrations", body, {"walls": walls, "lint_ms": lint_ms})


# ---------------------------------------------------------------------------------------------
# driver


PARTS = {
    "cold": part_cold,
    "noop": part_noop,
    "ready": part_ready,
    "http": part_http,
    "footprint": part_footprint,
    "fleet": part_fleet,
    "lint": part_lint,
}


@dataclass
class Context:
    pg: Postgres
    tools: Tools
    runs: int
    tool_names: list[str]
    logdir: Path
    cold_ns: list[int]
    noop_n: int
    noop_runs: int
    ready_down: list[float]
    http_conns: list[int]
    http_seconds: float
    idle_seconds: float
    fleet_sidecars: int
    fleet_n: int
    smoke: bool = False

    def tools_for(self, part: str) -> list[str]:
        return [t for t in ALL_TOOLS if t in self.tool_names]


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    osname = "?"
    if Path("/etc/os-release").exists():
        m = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
        osname = m.group(1) if m else osname
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {osname}, Linux {platform.release()}"


def versions(tools: Tools, names: list[str]) -> str:
    def first(cmd, env=None, cwd=None, n=1):
        """The first n non-empty lines the command prints, joined with " — "."""
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, cwd=cwd)
            text = (r.stdout + r.stderr).strip()
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            return " — ".join(lines[:n]) if lines else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    def npm_version(pkg):
        try:
            return json.loads((tools.npm_bin / pkg / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return "?"

    # Two lines: the version and how libpq came into the binary.
    out = [f"schemagate: `{first([str(tools.schemagate), 'version'], n=2)}`",
           f"PostgreSQL: `{first(['postgres', '--version'])}`, psql `{first(['psql', '--version'])}`"]
    if "dbmate" in names:
        out.append(f"dbmate {npm_version('dbmate')}")
    if "node-pg-migrate" in names:
        out.append(f"node-pg-migrate {npm_version('node-pg-migrate')} (node {first(['node', '--version'])})")
    if "postgrator" in names:
        out.append(f"postgrator-cli {npm_version('postgrator-cli')} (postgrator {npm_version('postgrator')})")
    if "liquibase" in names:
        out.append(f"Liquibase {npm_version('liquibase')} npm package (its bundled CLI, "
                   f"`{first(['java', '-version'])}`)")
    if "alembic" in names:
        out.append(f"`{first(['/usr/bin/alembic', '--version'])}`")
    if "sqitch" in names:
        out.append(f"`{first(['sqitch', '--version'])}`")
    return "; ".join(out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("parts", nargs="*", default=list(PARTS))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--schemagate", required=True)
    ap.add_argument("--beast", required=True)
    ap.add_argument("--npm", default=str(WORK / "npm" / "node_modules"))
    ap.add_argument("--out", required=True, help="markdown results file")
    ap.add_argument("--deadline", type=float,
                    help="fail if the whole run takes longer (seconds; smoke default 120)")
    a = ap.parse_args(argv)
    for p in a.parts:
        if p not in PARTS:
            ap.error(f"unknown part {p!r}; one of {', '.join(PARTS)}")
    names = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in names:
        if t not in ALL_TOOLS:
            ap.error(f"unknown tool {t!r}")
    if "psql" not in names:
        names.insert(0, "psql")
    if "schemagate" not in names:
        names.insert(1, "schemagate")

    env = os.environ.get
    smoke = a.smoke
    runs = a.runs or (1 if smoke else 5)
    logdir = BENCH / "results" / "raw" / time.strftime("%Y%m%d-%H%M%S")
    pg = Postgres("main")
    ctx = Context(
        pg=pg,
        tools=Tools(Path(a.schemagate).resolve(), Path(a.npm), Path(a.beast).resolve()),
        runs=runs, tool_names=names, logdir=logdir,
        cold_ns=[int(x) for x in env("BENCH_COLD_N", "10" if smoke else "200,1000").split(",")],
        noop_n=int(env("BENCH_NOOP_N", "10" if smoke else "1000")),
        noop_runs=int(env("BENCH_NOOP_RUNS", "1" if smoke else "20")),
        ready_down=[float(x) for x in env("BENCH_READY_DOWN", "0.2" if smoke else "1,5").split(",")],
        http_conns=[int(x) for x in env("BENCH_HTTP_CONNS", "1,50").split(",")],
        http_seconds=float(env("BENCH_HTTP_SECONDS", "1" if smoke else "5")),
        idle_seconds=float(env("BENCH_IDLE_SECONDS", "0.5" if smoke else "3")),
        fleet_sidecars=int(env("BENCH_FLEET_SIDECARS", "5" if smoke else "50")),
        fleet_n=int(env("BENCH_FLEET_N", "5" if smoke else "50")),
        smoke=smoke,
    )
    deadline = a.deadline or (120 if smoke else 0)
    if deadline:
        def too_long(_sig, _frame):
            raise BenchError(f"the run took longer than {deadline:g} s (something hangs)")
        signal.signal(signal.SIGALRM, too_long)
        signal.alarm(int(deadline))
    sections = []
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    failed = None
    try:
        pg.init()
        for part in a.parts:
            log(f"part {part} ({'smoke' if smoke else f'{runs} runs'})")
            tp = time.monotonic()
            sections.append(PARTS[part](ctx))
            log(f"part {part} took {time.monotonic() - tp:.0f} s")
    except BenchError as e:
        failed = str(e)
    finally:
        signal.alarm(0)
        pg.destroy()
    header = [
        f"## Results {started:%Y-%m-%d %H:%M} UTC{' (smoke: tiny sizes, 1 run — not results)' if smoke else ''}",
        "",
        f"- machine: {machine()}",
        f"- commit: `{git_rev()}`; {runs} run(s) per measurement, medians with min – max, "
        "ratios against the baseline measured in the same run",
        f"- {versions(ctx.tools, names)}",
        f"- wall time of the whole benchmark: {time.monotonic() - t0:.0f} s",
        "",
    ]
    text = "\n".join(header) + "\n".join(s.markdown() for s in sections)
    if failed:
        # Paths relative to the repository: the results are committed.
        text += f"\n**FAILED:** {failed.replace(str(ROOT) + '/', '')}\n"
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(text)
    logdir.mkdir(parents=True, exist_ok=True)
    (logdir / "data.json").write_text(json.dumps({s.title: s.data for s in sections}, indent=1))
    print(text)
    if failed:
        log(f"FAILED: {failed}")
        return 1
    return 0


def git_rev() -> str:
    r = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                       capture_output=True, text=True)
    if os.environ.get("BENCH_SCHEMAGATE"):
        # A binary built elsewhere: its own `version` line (in the list below) names its commit.
        return (r.stdout.strip() or "?") + " (bench/ scripts; schemagate binary given, see below)"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "sidecar"],
                           capture_output=True, text=True).stdout.strip()
    return (r.stdout.strip() or "?") + (" + uncommitted sidecar changes" if dirty else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
