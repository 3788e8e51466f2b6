/**
 * The outcome store's schema, as numbered migrations applied in order, each in its own
 * transaction with its row in `schema_version`. A database is brought from whatever version it
 * holds (none, for a new file) to the latest; one written by a newer Conductor is refused rather
 * than guessed at. Never edit a released migration: add the next one.
 */
import type { Database } from "better-sqlite3"

export interface Migration {
  readonly version: number
  readonly description: string
  readonly sql: string
}

export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    description: "outcomes: one row per attempt of a request on a model",
    sql: `
      CREATE TABLE outcomes (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,  -- epoch ms the attempt ended
        request_id    TEXT    NOT NULL,
        attempt       INTEGER NOT NULL,  -- 1 for the first model tried
        task          TEXT    NOT NULL,
        band          TEXT    NOT NULL,  -- complexity band: low | mid | high
        complexity    REAL    NOT NULL,
        tier          TEXT    NOT NULL,  -- the tier of the model tried
        persona       TEXT,
        model         TEXT    NOT NULL,
        outcome       TEXT    NOT NULL,  -- completed | failed | cancelled
        reason        TEXT,              -- the failure's reason (Timeout, ValidationFailed, ...)
        validation    TEXT,              -- passed | failed | NULL when not validated
        quality       REAL,              -- implicit quality 0-1; NULL when it says nothing of the model
        ttft_ms       REAL,              -- attempt start to first token (waiting included)
        total_ms      REAL    NOT NULL,  -- attempt start to end
        queue_ms      REAL    NOT NULL,
        load_ms       REAL    NOT NULL,
        slot_ms       REAL    NOT NULL,  -- time holding the model's slot (generation)
        prompt_tokens INTEGER,
        eval_tokens   INTEGER NOT NULL,
        gpu_seconds   REAL    NOT NULL   -- slot seconds x the slot's share of the GPU budget
      );
      -- Rows arrive in time order, so this index only grows at its end. Every query filters on
      -- time; no index on request_id, whose random values made each insert several times dearer
      -- (feedback finds its row by rowid, see store.ts).
      CREATE INDEX outcomes_at ON outcomes (at);
    `,
  },
  {
    version: 2,
    description: "tenants, feedback scores and the learner's choice",
    sql: `
      ALTER TABLE outcomes ADD COLUMN tenant TEXT;
      ALTER TABLE outcomes ADD COLUMN feedback REAL;        -- explicit score 0-1, when given
      ALTER TABLE outcomes ADD COLUMN feedback_at INTEGER;
      ALTER TABLE outcomes ADD COLUMN rules_model TEXT;     -- what the rules chose
      ALTER TABLE outcomes ADD COLUMN learned_model TEXT;   -- what the learner chose (served in mode on)
      ALTER TABLE outcomes ADD COLUMN explored INTEGER NOT NULL DEFAULT 0;
    `,
  },
]

export const LATEST_VERSION = (MIGRATIONS.at(-1) as Migration).version

/** The version a database holds (0 when it has no schema yet). */
export const schemaVersion = (db: Database): number => {
  const table = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get()
  if (table === undefined) return 0
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as { v: number | null }
  return row.v ?? 0
}

/**
 * Apply the migrations after the database's version, up to `target` (default the latest).
 * Returns the versions applied. Throws when the database is newer than this code.
 */
export const migrate = (db: Database, now: number, target = LATEST_VERSION): ReadonlyArray<number> => {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
  )`)
  const current = schemaVersion(db)
  if (current > LATEST_VERSION) {
    throw new Error(
      `schema version ${current} is newer than this Conductor knows (${LATEST_VERSION}): upgrade Conductor or use another learning.store`,
    )
  }
  const applied: number[] = []
  const record = db.prepare("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.version, m.description, now)
    })()
    applied.push(m.version)
  }
  return applied
}
