/**
 * Scripts the console's browser tests install in the page before its own (`addInitScript`), as
 * source text since they run in the browser, not in Node: they record what the page draws —
 * every `data-state` each model row shows, every length the answer shows — and the main thread's
 * long tasks, input delays and frame gaps, so a test can ask afterwards what happened between its
 * polls.
 */
import type { Page } from "playwright-core"

const RECORDERS = `
(() => {
  const states = {}
  const lengths = []
  const longTasks = []
  const inputs = []
  Object.assign(window, { __states: states, __lengths: lengths, __longTasks: longTasks, __inputs: inputs })
  const noteRow = (el) => {
    const m = el.getAttribute("data-model")
    const s = el.getAttribute("data-state")
    if (m === null || s === null) return
    const seen = states[m] ?? (states[m] = [])
    if (seen[seen.length - 1] !== s) seen.push(s)
  }
  const isRow = (n) => n instanceof Element && n.matches('[data-testid="model-row"]')
  const start = () => {
    new MutationObserver((records) => {
      for (const r of records) {
        if (isRow(r.target)) noteRow(r.target)
        for (const n of r.addedNodes) if (isRow(n)) noteRow(n)
        const answer = document.querySelector('[data-testid="answer"]')
        if (answer !== null && (r.target === answer || answer.contains(r.target))) {
          const n = (answer.textContent ?? "").length
          if (lengths[lengths.length - 1] !== n) lengths.push(n)
        }
      }
    }).observe(document.documentElement, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["data-state"],
    })
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start)
  else start()
  // Keys: the delay before the first handler ran, and the time until the next frame began.
  const keys = []
  const frames = []
  Object.assign(window, { __keys: keys, __frames: frames })
  document.addEventListener("keydown", (e) => {
    const handled = performance.now()
    requestAnimationFrame(() => keys.push({ delay: handled - e.timeStamp, toFrame: performance.now() - e.timeStamp }))
  }, true)
  // Frame gaps, once asked for (a frame loop of its own costs little, but only the load test needs it).
  window.__startFrames = () => {
    let last
    const loop = (t) => {
      if (last !== undefined) frames.push(t - last)
      last = t
      if (!window.__stopFrames) requestAnimationFrame(loop)
    }
    requestAnimationFrame(loop)
  }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration })
    }).observe({ type: "longtask", buffered: true })
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        inputs.push({ name: e.name, duration: e.duration, delay: e.processingStart - e.startTime })
    }).observe({ type: "event", durationThreshold: 16, buffered: true })
  } catch {}
})()
`

export const installRecorders = async (page: Page): Promise<void> => {
  await page.addInitScript(RECORDERS)
}

/** Every `data-state` the row of `model` has shown, in order. */
export const statesShown = (page: Page, model: string): Promise<string[]> =>
  page.evaluate(`window.__states[${JSON.stringify(model)}] ?? []`)

/** Every length the answer has shown, in order. */
export const answerLengths = (page: Page): Promise<number[]> => page.evaluate("window.__lengths.slice()")

export interface LongTask {
  readonly start: number
  readonly duration: number
}

/** Main-thread tasks over 50 ms since the page loaded. */
export const longTasks = (page: Page): Promise<LongTask[]> => page.evaluate("window.__longTasks.slice()")

/** Key presses: the delay before the page's first handler ran, and until the next frame began, ms. */
export const keyLatencies = (page: Page): Promise<Array<{ delay: number; toFrame: number }>> =>
  page.evaluate("window.__keys.slice()")

/** Start recording the gaps between animation frames. */
export const startFrames = (page: Page): Promise<void> => page.evaluate("window.__startFrames()")

/** The gaps between animation frames since `startFrames`, ms; stops recording. */
export const frameGaps = (page: Page): Promise<number[]> =>
  page.evaluate("(window.__stopFrames = true, window.__frames.slice())")

/** Input events over 16 ms: their total duration and the delay before their handlers ran. */
export const slowInputs = (page: Page): Promise<Array<{ name: string; duration: number; delay: number }>> =>
  page.evaluate("window.__inputs.slice()")
