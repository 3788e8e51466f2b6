/**
 * The console's HTML page: the skeleton the script fills in (memory, models, ask, requests,
 * request detail, recent events, the token dialog), with its landmarks, headings and labels in
 * place so it reads right before the first event arrives. It holds no data: the page is served
 * without the token, the data comes over `/v1/status` and `/ws` with it.
 */

/**
 * The page, its assets named under `/ui/assets/<version>/` (so they can be cached forever).
 * `tokenRequired` lets the script ask for the token before its first call instead of after a 401.
 */
export const consolePage = (version: string, tokenRequired: boolean): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="conductor-token" content="${tokenRequired ? "required" : "none"}">
<title>Conductor console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/${version}/console.css">
<script type="module" src="/ui/assets/${version}/main.js"></script>
</head>
<body>
<a class="skip" href="#ask">Skip to the query box</a>
<header class="top">
  <h1>Conductor</h1>
  <p class="meta"><span id="backend">…</span> <span id="policy"></span></p>
  <p class="conn" id="connection" role="status" aria-live="polite">○ connecting…</p>
</header>
<noscript><p class="notice">The console needs JavaScript.</p></noscript>
<main>
  <section class="panel memory" aria-labelledby="memory-h" data-testid="vram">
    <h2 id="memory-h">GPU memory</h2>
    <div id="hosts"><p class="muted">waiting for the snapshot…</p></div>
  </section>

  <section class="panel models" aria-labelledby="models-h">
    <h2 id="models-h">Models</h2>
    <p id="admin-status" class="admin-status" role="status" aria-live="polite"></p>
    <div class="scroll">
      <table id="models">
        <caption class="sr-only">Registry models: residency, slots, queue, breaker, health, and actions</caption>
        <thead><tr>
          <th scope="col">Model</th><th scope="col">State</th><th scope="col">Busy / slots</th>
          <th scope="col">Queue</th><th scope="col">Breaker</th><th scope="col">Health</th>
          <th scope="col">Memory</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <section class="panel ask" aria-labelledby="ask-h" id="ask">
    <h2 id="ask-h">Ask</h2>
    <form id="query-form" novalidate>
      <label for="query-input">Query</label>
      <textarea id="query-input" data-testid="query-input" rows="3" required
        placeholder="e.g. Explain CRDTs briefly"></textarea>
      <div class="row">
        <label>Persona <input id="query-persona" list="personas" autocomplete="off" placeholder="none"></label>
        <datalist id="personas"></datalist>
        <label>Tier <select id="query-tier">
          <option value="">auto</option><option value="fast">fast</option>
          <option value="balanced">balanced</option><option value="quality">quality</option>
        </select></label>
        <button type="submit" id="query-submit" data-testid="query-submit">Ask</button>
        <button type="button" id="query-cancel" hidden>Cancel</button>
      </div>
    </form>
    <div id="query-out" class="query-out" hidden>
      <p id="query-status" class="query-status" role="status" aria-live="polite"></p>
      <dl id="query-decision" class="decision"></dl>
      <h3>Answer <span class="muted">from</span> <span data-testid="answer-model" id="answer-model">—</span></h3>
      <details id="query-thinking" hidden><summary>The model's reasoning</summary><pre class="answer" tabindex="0"></pre></details>
      <pre id="answer" data-testid="answer" class="answer" tabindex="0" aria-label="Answer"></pre>
      <p id="query-validation" class="validation"></p>
    </div>
  </section>

  <section class="panel requests" aria-labelledby="requests-h">
    <h2 id="requests-h">Requests <span id="requests-count" class="muted"></span></h2>
    <div class="scroll">
      <table id="requests">
        <caption class="sr-only">Requests, newest first; choose an id for its routing explanation</caption>
        <thead><tr>
          <th scope="col">Id</th><th scope="col">Client</th><th scope="col">Task, tier</th>
          <th scope="col">Model, reason</th><th scope="col">State</th><th scope="col">First token</th>
          <th scope="col">Fallbacks</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <section class="panel detail" aria-labelledby="detail-h" id="detail">
    <h2 id="detail-h" tabindex="-1">Request detail</h2>
    <div id="detail-body"><p class="muted">Choose a request to see how it was routed.</p></div>
  </section>

  <section class="panel events" aria-labelledby="events-h">
    <h2 id="events-h">Recent events</h2>
    <ol id="events" class="log" tabindex="0" aria-labelledby="events-h"></ol>
  </section>
</main>

<dialog id="token-dialog" aria-labelledby="token-h">
  <form id="token-form" method="dialog">
    <h2 id="token-h">Access token</h2>
    <p id="token-why">This server needs its token (CONDUCTOR_TOKEN). It is kept for this tab only.</p>
    <label for="token-input">Token</label>
    <input id="token-input" type="password" autocomplete="off" required>
    <button type="submit">Connect</button>
  </form>
</dialog>
</body>
</html>
`
