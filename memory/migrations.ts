/**
 * Schema of the swarm file, as @effect/sql migrations. Applied in order on open; a migration already
 * recorded in `reelswarm_memory_migrations` is never re-run. Append new ones, never edit old ones.
 */
import * as Migrator from "@effect/sql/Migrator"
import { SqlClient } from "@effect/sql/SqlClient"
import { Effect } from "effect"

const statements = (...ddl: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient, (sql) => Effect.forEach(ddl, (statement) => sql.unsafe(statement), { discard: true }))

const migrations = {
  "1_memory": statements(
    `CREATE TABLE memory (
      namespace TEXT NOT NULL,
      key TEXT NOT NULL,
      value BLOB NOT NULL,
      size INTEGER NOT NULL,
      expires_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      last_access INTEGER NOT NULL,
      lru INTEGER NOT NULL,
      reads INTEGER NOT NULL DEFAULT 0,
      writes INTEGER NOT NULL DEFAULT 1,
      PRIMARY KEY (namespace, key)
    )`,
    "CREATE INDEX memory_lru ON memory (lru)",
    "CREATE INDEX memory_expires ON memory (expires_at) WHERE expires_at IS NOT NULL",
    "CREATE TABLE memory_namespaces (namespace TEXT PRIMARY KEY NOT NULL, pinned INTEGER NOT NULL DEFAULT 0)",
    `CREATE TABLE memory_totals (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      entries INTEGER NOT NULL,
      bytes INTEGER NOT NULL
    )`,
    "INSERT INTO memory_totals (id, entries, bytes) VALUES (1, 0, 0)",
    // Totals kept by triggers stay right whichever process writes, and cost one row update per write.
    `CREATE TRIGGER memory_totals_insert AFTER INSERT ON memory BEGIN
      UPDATE memory_totals SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 1;
    END`,
    `CREATE TRIGGER memory_totals_delete AFTER DELETE ON memory BEGIN
      UPDATE memory_totals SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 1;
    END`,
    `CREATE TRIGGER memory_totals_update AFTER UPDATE OF size ON memory BEGIN
      UPDATE memory_totals SET bytes = bytes + NEW.size - OLD.size WHERE id = 1;
    END`
  ),
  "2_events": statements(
    // AUTOINCREMENT: ids are never reused, even after retention empties the table, so a reader's
    // "after id N" cursor stays meaningful forever.
    `CREATE TABLE events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ts INTEGER NOT NULL,
      type TEXT NOT NULL,
      agent TEXT,
      job TEXT,
      data BLOB
    )`,
    "CREATE INDEX events_ts ON events (ts)",
    "CREATE INDEX events_type ON events (type)",
    "CREATE INDEX events_agent ON events (agent) WHERE agent IS NOT NULL",
    "CREATE INDEX events_job ON events (job) WHERE job IS NOT NULL"
  ),
  "3_agents": statements(
    `CREATE TABLE agents (
      name TEXT PRIMARY KEY NOT NULL,
      node TEXT,
      state TEXT NOT NULL,
      restarts INTEGER NOT NULL DEFAULT 0,
      dead_letters INTEGER NOT NULL DEFAULT 0,
      last_heartbeat INTEGER,
      updated_at INTEGER NOT NULL,
      last_event_id INTEGER NOT NULL
    )`
  )
}

export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "reelswarm_memory_migrations"
})
