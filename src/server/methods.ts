/**
 * Which methods a path has routes for, so that a request with another method gets 405 and an
 * `Allow` header rather than 404 (a path no route has is 404 whatever the method).
 */
import { TrieRouter } from "hono/router/trie-router"

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const

/** From the app's routes (middleware, method `ALL`, does not count), a lookup of a path's methods. */
export const allowedMethods = (
  routes: ReadonlyArray<{ readonly method: string; readonly path: string }>,
): ((path: string) => ReadonlyArray<string>) => {
  const router = new TrieRouter<string>()
  for (const r of routes) if (r.method !== "ALL") router.add(r.method, r.path, r.method)
  return (path) => {
    const allowed: string[] = []
    for (const m of METHODS) {
      const [matches] = router.match(m, path)
      if (matches.length > 0) allowed.push(m)
    }
    // Hono answers HEAD on every GET route.
    if (allowed.includes("GET") && !allowed.includes("HEAD")) allowed.splice(1, 0, "HEAD")
    return allowed
  }
}
