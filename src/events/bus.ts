/**
 * The event bus: one in-process fan-out for every ConductorEvent. Listeners are called
 * synchronously in publish order (cheap: token events flow through here); a listener that
 * throws is isolated from the others. Async iteration (`stream`) buffers per subscriber.
 */
import { type ConductorEvent, type Topic, topicOf } from "../domain/events.js"

export type Listener = (event: ConductorEvent) => void

export interface EventBusShape {
  publish(event: ConductorEvent): void
  /** Listen to every event (or those of some topics); returns the unsubscribe function. */
  subscribe(listener: Listener, topics?: ReadonlyArray<Topic>): () => void
  /** Listen to the events of one request. */
  subscribeRequest(id: string, listener: Listener): () => void
}

export const makeEventBus = (now: () => number = Date.now): EventBusShape => {
  // Invariant: a listener is in exactly one of these sets while subscribed.
  const all = new Set<Listener>()
  const byTopic = new Map<Topic, Set<Listener>>()
  const byRequest = new Map<string, Set<Listener>>()
  const safe = (l: Listener, e: ConductorEvent) => {
    try {
      l(e)
    } catch {
      // A faulty subscriber must not break publishing to the others.
    }
  }
  return {
    publish(event) {
      const e = event.at === undefined ? { ...event, at: now() } : event
      for (const l of all) safe(l, e)
      const topical = byTopic.get(topicOf(e))
      if (topical !== undefined) for (const l of topical) safe(l, e)
      if ("id" in e) {
        const mine = byRequest.get(e.id)
        if (mine !== undefined) for (const l of mine) safe(l, e)
      }
    },
    subscribe(listener, topics) {
      if (topics === undefined) {
        all.add(listener)
        return () => all.delete(listener)
      }
      for (const t of topics) {
        let set = byTopic.get(t)
        if (set === undefined) {
          set = new Set()
          byTopic.set(t, set)
        }
        set.add(listener)
      }
      return () => {
        for (const t of topics) byTopic.get(t)?.delete(listener)
      }
    },
    subscribeRequest(id, listener) {
      let set = byRequest.get(id)
      if (set === undefined) {
        set = new Set()
        byRequest.set(id, set)
      }
      set.add(listener)
      return () => {
        const s = byRequest.get(id)
        s?.delete(listener)
        if (s?.size === 0) byRequest.delete(id)
      }
    },
  }
}
