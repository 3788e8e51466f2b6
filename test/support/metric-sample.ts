/** One sample of a Prometheus metric in Conductor's registry: the first series matching `labels`. */
import type { makeMetrics } from "../../src/metrics/metrics.js"

export const sampleOf = async (
  metrics: ReturnType<typeof makeMetrics>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> => {
  const m = await metrics.registry.getSingleMetric(name)?.get()
  const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l))
  return v?.value
}
