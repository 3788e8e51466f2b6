/** Domain types shared by every part of Conductor. No I/O lives here. */
export * from "./decision.js"
export * from "./errors.js"
export * from "./model-profile.js"
export * from "./persona.js"
export * from "./task.js"
export * from "./tier.js"
