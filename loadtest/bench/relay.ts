/**
 * The relay: the least an HTTP gateway can do — take each request, send it to one upstream over a
 * keep-alive agent, and stream the answer back, parsing and changing nothing. In the gateway
 * benchmark it is the floor of what an extra hop costs on this machine (two more loopback
 * connections, one more process to wake, node:http at both ends), against which a gateway's own
 * work shows. Run as a child: `node relay.js --port=PORT --upstream=http://127.0.0.1:PORT`; prints
 * `relay listening on URL` once it serves.
 */
import { Agent, createServer, request } from "node:http"
import { parseArgs } from "node:util"

const { values } = parseArgs({ options: { port: { type: "string" }, upstream: { type: "string" } } })
if (values.port === undefined || values.upstream === undefined) {
  process.stderr.write("relay: --port=PORT and --upstream=URL are required\n")
  process.exit(2)
}
const upstream = new URL(values.upstream)
const agent = new Agent({ keepAlive: true, maxSockets: 256 })
/** Hop-by-hop headers (RFC 9110 §7.6.1) are the relay's own, not forwarded. */
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te"])
const forwardable = (h: NodeJS.Dict<string | string[]>) =>
  Object.fromEntries(Object.entries(h).filter(([k, v]) => v !== undefined && !HOP.has(k)))

const server = createServer((req, res) => {
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...forwardable(req.headers), host: upstream.host },
      agent,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, forwardable(up.headers))
      up.pipe(res)
    },
  )
  out.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" })
    res.end(`relay: upstream failed: ${e.message}`)
  })
  // A client that goes stops the upstream request too.
  res.on("close", () => {
    if (!res.writableFinished) out.destroy()
  })
  req.pipe(out)
})
server.keepAliveTimeout = 60_000
server.listen(Number(values.port), "127.0.0.1", () => {
  process.stdout.write(`relay listening on http://127.0.0.1:${values.port}\n`)
})
process.on("SIGTERM", () => server.close(() => process.exit(0)))
