import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { createConductor } from "../../src/conductor.js"
import { loadConfig } from "../../src/config/load.js"
import {
  classifierFor,
  featureFingerprint,
  loadClassifier,
  shippedWeightsPath,
} from "../../src/routing/weights.js"

const dir = mkdtempSync(join(tmpdir(), "conductor-weights-"))
const shipped = readFileSync(shippedWeightsPath(), "utf8")
const write = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const edited = (name: string, edit: (json: Record<string, unknown>) => void) => {
  const json = JSON.parse(shipped) as Record<string, unknown>
  edit(json)
  return write(name, JSON.stringify(json))
}
const failure = (path: string) => {
  const r = loadClassifier(path)
  if (Result.isSuccess(r)) throw new Error(`${path} loaded`)
  return r.failure
}

describe("routing/weights", () => {
  it("loads the shipped weights, trained on the current rule features", () => {
    const r = Result.getOrThrow(loadClassifier(shippedWeightsPath()))
    expect(r.stale).toBeUndefined()
    expect(JSON.parse(shipped).fingerprint).toBe(featureFingerprint())
  })

  it("names the file and the problem when the weights are missing", () => {
    const path = join(dir, "nowhere.json")
    expect(failure(path)).toBe(`${path}: routing classifier weights not found`)
  })

  it("refuses a file that is not JSON", () => {
    const path = write("truncated.json", shipped.slice(0, 1000))
    expect(failure(path)).toMatch(new RegExp(`^${path}: routing classifier weights are not valid JSON`))
  })

  it("refuses a corrupted table (checksum), a wrong size, a wrong format and bad numbers", () => {
    const flipped = edited("flipped.json", (j) => {
      const bytes = Buffer.from(j.sparse as string, "base64")
      bytes[12345] = (bytes[12345] as number) ^ 0x55
      j.sparse = bytes.toString("base64")
    })
    expect(failure(flipped)).toBe(
      `${flipped}: routing classifier weights: sparse: checksum mismatch (the file is corrupt or was edited)`,
    )
    const short = edited("short.json", (j) => {
      j.sparse = Buffer.from(j.sparse as string, "base64")
        .subarray(0, 100)
        .toString("base64")
    })
    expect(failure(short)).toMatch(/sparse: decodes to 100 bytes, expected \d+/)
    const format = edited("format.json", (j) => {
      j.format = "something-else"
    })
    expect(failure(format)).toMatch(/format: expected 'conductor-routing-classifier'/)
    const temperature = edited("temperature.json", (j) => {
      j.taskTemperature = -1
    })
    expect(failure(temperature)).toMatch(/taskTemperature: expected a positive number/)
    const thresholds = edited("thresholds.json", (j) => {
      j.thresholds = [1, 0]
    })
    expect(failure(thresholds)).toMatch(/thresholds: expected two increasing numbers/)
    const dense = edited("dense.json", (j) => {
      ;(j.dense as number[][]).pop()
    })
    expect(failure(dense)).toMatch(/dense: expected \d+ rows of \d+ numbers/)
    const out = edited("out.json", (j) => {
      ;(j.out as number[][])[0]?.pop()
    })
    expect(failure(out)).toMatch(/out: expected \d+ rows of 10 numbers/)
    const version = edited("version.json", (j) => {
      j.featureVersion = 999
    })
    expect(failure(version)).toMatch(/featureVersion: trained on features v999.*retrain/)
  })

  it("refuses a corrupted or misshapen linear section, and an older format version", () => {
    expect(JSON.parse(shipped).linear).toBeDefined()
    const flipped = edited("linear-flipped.json", (j) => {
      const l = j.linear as Record<string, unknown>
      const bytes = Buffer.from(l.sparse as string, "base64")
      bytes[4321] = (bytes[4321] as number) ^ 0x55
      l.sparse = bytes.toString("base64")
    })
    expect(failure(flipped)).toBe(
      `${flipped}: routing classifier weights: linear.sparse: checksum mismatch (the file is corrupt or was edited)`,
    )
    const scales = edited("linear-scales.json", (j) => {
      ;(j.linear as Record<string, unknown>).scales = [1, 2]
    })
    expect(failure(scales)).toMatch(/linear\.scales: expected 10 non-negative numbers/)
    const dense = edited("linear-dense.json", (j) => {
      ;((j.linear as Record<string, unknown>).dense as number[][])[3]?.push(1)
    })
    expect(failure(dense)).toMatch(/linear\.dense: expected \d+ rows of 10 numbers/)
    const old = edited("v2.json", (j) => {
      j.version = 2
    })
    expect(failure(old)).toMatch(/version: this Conductor reads version 3, the file is 2/)
  })

  it("loads but flags weights trained on other rule features", () => {
    const path = edited("stale.json", (j) => {
      j.fingerprint = "0000000000000000"
    })
    const r = Result.getOrThrow(loadClassifier(path))
    expect(r.stale).toMatch(/trained on other rule features.*npm run train:router/)
  })

  it("routing.classifier: default shipped, `off` for none, relative paths from the config directory", () => {
    const config = (classifier?: string) =>
      Result.getOrThrow(
        loadConfig({
          dir,
          env: {},
          ...(classifier !== undefined ? { overrides: { routing: { classifier } } } : {}),
        }),
      )
    expect(Result.getOrThrow(classifierFor(config()))?.classifier.source).toBe(shippedWeightsPath())
    expect(Result.getOrThrow(classifierFor(config("off")))).toBeUndefined()
    const copy = write("mine.json", shipped)
    expect(Result.getOrThrow(classifierFor(config("mine.json")))?.classifier.source).toBe(copy)
    const missing = classifierFor(config("missing.json"))
    expect(Result.isFailure(missing) && missing.failure.message).toBe(
      `conductor.yaml: routing.classifier: ${join(dir, "missing.json")}: routing classifier weights not found`.replace(
        "conductor.yaml",
        config().sources.conductor,
      ),
    )
  })

  it("createConductor fails at start on missing weights, naming the file", async () => {
    const path = join(dir, "absent.json")
    await expect(
      createConductor({ backend: "sim", env: {}, config: { routing: { classifier: path } } }),
    ).rejects.toThrow(`routing.classifier: ${path}: routing classifier weights not found`)
  })
})
