/** Where the routing corpus, its split and the trained weights live in the repository. */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { packageRoot } from "../../src/config/paths.js"

export const DATA_DIR = join(packageRoot(), "data", "routing")
export const CORPUS_DIR = join(DATA_DIR, "corpus")
export const CORPUS_FILES = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith(".jsonl"))
  .sort()
  .map((f) => join(CORPUS_DIR, f))
export const FIXES_FILE = join(DATA_DIR, "label-fixes.json")
export const TIER_VOTES_FILE = join(DATA_DIR, "tier-votes.jsonl")
export const SPLIT_FILE = join(DATA_DIR, "split.json")
export const MODEL_FILE = join(DATA_DIR, "model.json")
export const REPORT_FILE = join(DATA_DIR, "training-report.md")
