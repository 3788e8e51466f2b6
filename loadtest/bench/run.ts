/**
 * `npm run bench [-- NAME… --flag=value…]`: runs the benchmarks (the quick ones, or those named;
 * `gateway` runs only when named) and prints their numbers; flags go to the benchmarks.
 * Benchmarks report; they never assert. Record results in docs/benchmarks.md with the machine.
 */
import { cpus } from "node:os"
import { benchGateway } from "./gateway.bench.js"
import { benchRouting } from "./routing.bench.js"
import { benchRoutingAccuracy } from "./routing-accuracy.bench.js"

const BENCHES: Record<
  string,
  {
    about: string
    run: (argv: ReadonlyArray<string>) => Promise<Record<string, number>> | Record<string, number>
    /** Runs only when named (it takes minutes, or installs something). */
    onlyNamed?: boolean
  }
> = {
  routing: {
    about:
      "routing decision latency with the classifier, and rules only (target p99 < 50 µs); weights load time",
    run: () => benchRouting(),
  },
  "routing-accuracy": {
    about:
      "task and tier accuracy, rules vs rules + classifier: corpus held-out split, golden and held-out sets",
    run: () => benchRoutingAccuracy(),
  },
  gateway: {
    about: "OpenAI endpoint: added latency and req/s, Conductor against the Portkey gateway",
    run: (argv) => benchGateway(argv),
    onlyNamed: true,
  },
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2))

const main = async () => {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith("-"))
  const flags = process.argv.slice(2).filter((a) => a.startsWith("-"))
  const names = asked.length > 0 ? asked : Object.keys(BENCHES).filter((n) => BENCHES[n]?.onlyNamed !== true)
  const cpu = cpus()[0]?.model ?? "unknown cpu"
  process.stdout.write(`node ${process.version}, ${cpus().length} × ${cpu}\n`)
  for (const name of names) {
    const b = BENCHES[name]
    if (b === undefined) {
      process.stderr.write(`unknown benchmark '${name}' (known: ${Object.keys(BENCHES).join(", ")})\n`)
      process.exitCode = 2
      return
    }
    const result = await b.run(flags)
    process.stdout.write(`\n${name}: ${b.about}\n`)
    for (const [k, v] of Object.entries(result)) process.stdout.write(`  ${k.padEnd(24)} ${fmt(v)}\n`)
  }
}

await main()
