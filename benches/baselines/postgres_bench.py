#!/usr/bin/env python3
"""PostgreSQL full-text baseline for alumni-match (see README.md).

    postgres_bench.py --docs docs.tsv --queries-file queries.tsv --topk-out topk.jsonl
                      [--queries N] [--concurrency C] [--k 50] [--max-terms 64] [--warmup 50]
                      [--dsn DSN | --pg-bin DIR] [--keep-cluster]

Without --dsn it creates its own cluster (initdb in a temporary directory, run as the
`postgres` user when started as root), starts it on 127.0.0.1 on a free port with pg_ctl,
and stops and removes it at the end. With --dsn it uses that database (the table
`alumni_bl` is dropped and recreated).

Table: id, gate columns, the text, and a stored generated tsvector column
to_tsvector('simple', text); a GIN index on it. Import = CREATE TABLE, COPY (which
computes the tsvector), CREATE INDEX, ANALYZE, each committed (fsync on). Queries: the
distinct lexemes of to_tsvector('simple', opportunity text), first --max-terms by position,
OR-ed into a tsquery; gates in WHERE; ORDER BY ts_rank_cd(tsv, q) DESC, id LIMIT k.
One connection per client thread.
"""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import psycopg

import benchlib

QUERY_SQL = """
WITH q AS (
  SELECT coalesce(string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''',
                             ' | ' ORDER BY first_pos), '')::tsquery AS q
  FROM (SELECT lexeme, positions[1] AS first_pos
        FROM unnest(to_tsvector('simple', %(text)s))
        ORDER BY positions[1]
        LIMIT %(max_terms)s) AS t
)
SELECT a.id
FROM alumni_bl a, q
WHERE a.tsv @@ q.q
  AND a.contact_allowed
  AND %(kind)s = ANY (a.open_to)
  AND (%(kind)s <> 'rehire' OR a.rehire_eligible)
ORDER BY ts_rank_cd(a.tsv, q.q) DESC, a.id
LIMIT %(k)s
"""


def find_pg_bin(explicit):
    if explicit:
        return explicit
    on_path = shutil.which("pg_ctl")
    if on_path:
        return os.path.dirname(os.path.realpath(on_path))
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        versions = sorted((v for v in os.listdir(base) if v.isdigit()), key=int)
        if versions:
            return os.path.join(base, versions[-1], "bin")
    raise SystemExit("PostgreSQL binaries not found (apt-get install postgresql, or pass --pg-bin)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throw-away cluster on loopback, run as `postgres` when we are root."""

    def __init__(self, pg_bin):
        self.pg_bin = pg_bin
        self.root = tempfile.mkdtemp(prefix="alumni-bl-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.as_user = []
        self.user = pwd.getpwuid(os.getuid()).pw_name
        if os.getuid() == 0:
            self.user = "postgres"
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", self.user, "--"]
        self.log = os.path.join(self.root, "server.log")

    def run(self, *cmd):
        subprocess.run(self.as_user + list(cmd), check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)

    def start(self):
        self.run(os.path.join(self.pg_bin, "initdb"), "-D", self.data, "-U", self.user, "--auth=trust",
                 "--encoding=UTF8", "--locale=C", "--no-sync")
        options = " ".join([
            "-c listen_addresses=127.0.0.1", f"-c port={self.port}", f"-c unix_socket_directories={self.root}",
            "-c shared_buffers=512MB", "-c maintenance_work_mem=512MB", "-c work_mem=32MB",
            "-c max_wal_size=4GB", "-c max_connections=50", "-c fsync=on", "-c synchronous_commit=on",
        ])
        self.run(os.path.join(self.pg_bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", options,
                 "-w", "-t", "60", "start")

    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"

    def stop(self):
        try:
            self.run(os.path.join(self.pg_bin, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def version(conn):
    return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def main():
    ap = benchlib.arg_parser(__doc__)
    ap.add_argument("--dsn", help="use this database instead of a throw-away cluster")
    ap.add_argument("--pg-bin", help="directory with initdb and pg_ctl")
    ap.add_argument("--keep-cluster", action="store_true", help="leave the throw-away cluster running")
    args = ap.parse_args()

    docs = benchlib.read_docs(args.docs)
    queries = benchlib.read_queries(args.queries_file, args.queries)
    for q in queries:
        if q[1] not in benchlib.KINDS:
            raise SystemExit(f"unknown kind {q[1]!r}")

    cluster = None
    dsn = args.dsn
    if not dsn:
        cluster = Cluster(find_pg_bin(args.pg_bin))
        cluster.start()
        dsn = cluster.dsn()
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS alumni_bl")
            server_version = version(conn)
            start = time.perf_counter()
            conn.execute("""CREATE TABLE alumni_bl (
                id text PRIMARY KEY,
                contact_allowed boolean NOT NULL,
                rehire_eligible boolean NOT NULL,
                open_to text[] NOT NULL,
                text text NOT NULL,
                tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED)""")
            with conn.cursor() as cur:
                with cur.copy("COPY alumni_bl (id, contact_allowed, rehire_eligible, open_to, text) FROM STDIN") as copy:
                    for d in docs:
                        copy.write_row((d[0], d[1], d[2], d[3], d[4]))
            conn.execute("CREATE INDEX alumni_bl_tsv ON alumni_bl USING gin (tsv)")
            conn.execute("ANALYZE alumni_bl")
            import_seconds = time.perf_counter() - start
            total_bytes, gin_bytes = conn.execute(
                "SELECT pg_total_relation_size('alumni_bl'), pg_relation_size('alumni_bl_tsv')").fetchone()

        def make_client():
            conn = psycopg.connect(dsn, autocommit=True)
            conn.execute("PREPARE bl_topk AS SELECT 1")  # connection is live before timing

            def search(q):
                qid, kind, text = q
                rows = conn.execute(QUERY_SQL, {"text": text, "kind": kind, "k": args.k,
                                                "max_terms": args.max_terms if args.max_terms > 0 else None},
                                    prepare=True).fetchall()
                return [r[0] for r in rows]

            return search, conn.close

        results, wall = benchlib.run_queries(queries, args.concurrency, make_client, args.warmup)
    finally:
        if cluster and not args.keep_cluster:
            cluster.stop()
        elif cluster:
            print(f"cluster left running: {cluster.dsn()} (data {cluster.data})", file=sys.stderr)
    benchlib.write_topk(args.topk_out, results)
    benchlib.report(f"postgresql-{server_version} tsvector 'simple' + GIN, ts_rank_cd", len(docs),
                    import_seconds, int(total_bytes), results, wall, args.concurrency, args,
                    gin_index_bytes=int(gin_bytes))


if __name__ == "__main__":
    main()
