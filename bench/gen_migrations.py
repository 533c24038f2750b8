#!/usr/bin/env python3
"""Generate N realistic PostgreSQL migrations in the layout of every tool the benchmark compares.

    bench/gen_migrations.py N OUTDIR

OUTDIR/<tool>/ then holds the same SQL, file for file, in each tool's own layout:

    sql/                 V<n>__<desc>.sql: the plain files (psql's driver script includes them)
    schemagate/          V<n>__<desc>.sql
    psql/apply.sql       BEGIN; \\ir file; COMMIT; per file, in one session (the physical limit)
    dbmate/              db/migrations/<version>_<desc>.sql with "-- migrate:up"
    node-pg-migrate/     migrations/<prefix>_<desc>.sql with "-- Up Migration"
    postgrator/          migrations/<version>.do.<desc>.sql
    liquibase/           changelog.xml: one changeSet per file, each an <sqlFile>
    alembic/             alembic.ini, env.py, versions/v<n>.py calling op.execute(file text)
    sqitch/              sqitch.conf, sqitch.plan, deploy/ revert/ verify/

The SQL is a mix a real service accumulates: a shared enum and trigger function, then per table
a CREATE TABLE with a trigger, its indexes, an enum of its own plus ALTERs adding columns and a
foreign key, a small multi-row INSERT, and an UPDATE + ALTER + view. Every file runs in one
transaction; none needs the schema name (schema-per-service uses the same files). The text holds
no ':' '%' or '?' so no tool's driver mistakes it for a bind parameter.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STEPS = ("create_table", "add_indexes", "alter_columns", "insert_rows", "update_and_view")


def migration(i: int) -> tuple[str, str]:
    """(description, sql) of migration i (1-based)."""
    if i == 1:
        return (
            "shared_types",
            "CREATE TYPE item_status AS ENUM ('new', 'active', 'archived');\n"
            "\n"
            "CREATE FUNCTION touch_updated_at() RETURNS trigger\n"
            "LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "    NEW.updated_at := now();\n"
            "    RETURN NEW;\n"
            "END\n"
            "$$;\n",
        )
    j = i - 2
    k = j // len(STEPS) + 1  # table number
    step = STEPS[j % len(STEPS)]
    t = f"item_{k}"
    if step == "create_table":
        sql = (
            f"CREATE TABLE {t} (\n"
            "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            "    name text NOT NULL,\n"
            "    status item_status NOT NULL DEFAULT 'new',\n"
            "    qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),\n"
            "    price numeric(12, 2) NOT NULL DEFAULT 0,\n"
            "    created_at timestamptz NOT NULL DEFAULT now(),\n"
            "    updated_at timestamptz NOT NULL DEFAULT now()\n"
            ");\n"
            "\n"
            f"CREATE TRIGGER {t}_touch BEFORE UPDATE ON {t}\n"
            "    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();\n"
            "\n"
            f"COMMENT ON TABLE {t} IS 'generated table {k}';\n"
        )
    elif step == "add_indexes":
        sql = (
            f"CREATE INDEX {t}_name_idx ON {t} (name);\n"
            f"CREATE INDEX {t}_live_idx ON {t} (status, created_at) WHERE status <> 'archived';\n"
        )
    elif step == "alter_columns":
        parent = (
            f",\n    ADD COLUMN parent_id bigint REFERENCES item_{k - 1} (id) ON DELETE SET NULL"
            if k > 1
            else ""
        )
        sql = (
            f"CREATE TYPE {t}_kind AS ENUM ('small', 'medium', 'large');\n"
            "\n"
            f"ALTER TABLE {t}\n"
            f"    ADD COLUMN kind {t}_kind NOT NULL DEFAULT 'small',\n"
            "    ADD COLUMN note text" + parent + ";\n"
        )
    elif step == "insert_rows":
        rows = ",\n".join(
            f"    ('{t} row {r}', '{('new', 'active', 'archived')[r % 3]}', {r}, {r}.50, "
            f"'{('small', 'medium', 'large')[r % 3]}')"
            for r in range(1, 21)
        )
        sql = f"INSERT INTO {t} (name, status, qty, price, kind) VALUES\n{rows};\n"
    else:  # update_and_view
        sql = (
            f"UPDATE {t} SET qty = qty + 1, note = 'restocked' WHERE status = 'active';\n"
            "\n"
            f"ALTER TABLE {t} ALTER COLUMN note SET DEFAULT '';\n"
            "\n"
            f"CREATE VIEW {t}_active AS\n"
            f"    SELECT id, name, qty, price FROM {t} WHERE status = 'active';\n"
        )
    return f"{step}_{k}", sql


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(n: int, out: Path) -> None:
    files = []  # (i, desc, sql, plain file name)
    for i in range(1, n + 1):
        desc, sql = migration(i)
        files.append((i, desc, sql, f"V{i}__{desc}.sql"))

    for i, desc, sql, name in files:
        write(out / "sql" / name, sql)
        write(out / "schemagate" / name, sql)

    # psql: one session, one transaction per file, stop at the first error.
    lines = ["\\set ON_ERROR_STOP on"]
    for i, desc, sql, name in files:
        lines += ["BEGIN;", f"\\ir ../sql/{name}", "COMMIT;"]
    write(out / "psql" / "apply.sql", "\n".join(lines) + "\n")

    for i, desc, sql, name in files:
        write(
            out / "dbmate" / "db" / "migrations" / f"{i:06d}_{desc}.sql",
            f"-- migrate:up\n{sql}\n-- migrate:down\n",
        )
        write(
            out / "node-pg-migrate" / "migrations" / f"{i:06d}_{desc}.sql",
            f"-- Up Migration\n{sql}\n-- Down Migration\n",
        )
        write(out / "postgrator" / "migrations" / f"{i:06d}.do.{desc}.sql", sql)

    # Liquibase: the files themselves, one changeSet each, sent whole (the JDBC driver splits).
    changesets = "\n".join(
        f'    <changeSet id="{i}" author="bench">\n'
        f'        <sqlFile path="../sql/{name}" relativeToChangelogFile="true"'
        f' splitStatements="false" stripComments="false"/>\n'
        f"    </changeSet>"
        for i, desc, sql, name in files
    )
    write(
        out / "liquibase" / "changelog.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"\n'
        '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog'
        ' http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n'
        f"{changesets}\n"
        "</databaseChangeLog>\n",
    )

    # Alembic: a linear chain of revisions, one transaction per migration.
    write(
        out / "alembic" / "alembic.ini",
        "[alembic]\nscript_location = %(here)s\n\n"
        "[loggers]\nkeys = root\n\n[handlers]\nkeys = console\n\n[formatters]\nkeys = generic\n\n"
        "[logger_root]\nlevel = WARN\nhandlers = console\n\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\n"
        "formatter = generic\n\n[formatter_generic]\nformat = %%(levelname)s %%(message)s\n",
    )
    write(
        out / "alembic" / "env.py",
        "import os\n\n"
        "from alembic import context\n"
        "from sqlalchemy import create_engine\n\n"
        "engine = create_engine(os.environ['BENCH_SQLALCHEMY_URL'])\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection, transaction_per_migration=True)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n",
    )
    for i, desc, sql, name in files:
        down = f'"v{i - 1:06d}"' if i > 1 else "None"
        write(
            out / "alembic" / "versions" / f"v{i:06d}_{desc}.py",
            f'"""{desc}"""\n'
            "from pathlib import Path\n\n"
            "from alembic import op\n\n"
            f'revision = "v{i:06d}"\n'
            f"down_revision = {down}\n"
            "branch_labels = None\n"
            "depends_on = None\n\n\n"
            "def upgrade():\n"
            f'    op.execute((Path(__file__).parent.parent.parent / "sql" / "{name}").read_text())\n\n\n'
            "def downgrade():\n"
            "    pass\n",
        )

    # Sqitch: each deploy script wraps itself in a transaction (sqitch's own convention).
    write(
        out / "sqitch" / "sqitch.conf",
        "[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n",
    )
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for i, desc, sql, name in files:
        change = f"v{i:06d}_{desc}"
        plan.append(f"{change} 2024-01-01T00:00:00Z Bench <bench@example.invalid> # {desc}")
        write(out / "sqitch" / "deploy" / f"{change}.sql", f"BEGIN;\n\n{sql}\nCOMMIT;\n")
        write(out / "sqitch" / "revert" / f"{change}.sql", "-- not used by the benchmark\n")
        write(out / "sqitch" / "verify" / f"{change}.sql", "-- not used by the benchmark\n")
    write(out / "sqitch" / "sqitch.plan", "\n".join(plan) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not argv[1].isdigit() or int(argv[1]) < 1:
        print("usage: gen_migrations.py N OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[2])
    if out.exists() and any(out.iterdir()):
        print(f"{out}: not empty", file=sys.stderr)
        return 2
    generate(int(argv[1]), out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
