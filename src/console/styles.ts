/**
 * The console's stylesheet, served as `/ui/assets/<version>/console.css`. System fonts only (it
 * ships offline), light and dark schemes, a visible focus ring, and colour only ever doubling
 * text or an icon (a state reads the same in grey), with WCAG AA contrast in both schemes (the
 * tests run axe-core on the page). Tables use fixed layout so streaming cells
 * do not re-flow the page.
 */
export const CONSOLE_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --fg: #1b1f24; --muted: #5b6573; --line: #d6dae0;
  --accent: #1f5fbf; --on-accent: #fff; --ok: #116329; --warn: #9a6700; --bad: #c21f2f; --busy: #6639ba;
  /* Memory segments: light tones under dark text, in both schemes. */
  --seg-a: #9ecae9; --seg-b: #ffbf79; --seg-c: #88d27a; --seg-d: #d6a5c9; --seg-e: #83bcb6; --seg-f: #d8b5a5;
  --seg-other: #c9ced6;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif;
  color: var(--fg); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #111418; --panel: #1a1e24; --fg: #e6e9ee; --muted: #9aa4b2; --line: #333a44;
    --accent: #7aa7ff; --on-accent: #0b1220; --ok: #4ac26b; --warn: #d29922; --bad: #ff6b6b; --busy: #b48ef7; }
}
* { box-sizing: border-box; }
body { margin: 0; }
h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
h3 { font-size: .95rem; margin: .75rem 0 .25rem; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: .5rem; top: .5rem; background: var(--panel); padding: .25rem .5rem; z-index: 10; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: var(--muted); font-weight: normal; }
.top { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; padding: .6rem 1rem;
  background: var(--panel); border-bottom: 1px solid var(--line); }
.top .meta { margin: 0; color: var(--muted); }
.top .conn { margin: 0 0 0 auto; }
.conn.up { color: var(--ok); } .conn.down { color: var(--bad); }
main { display: grid; gap: .75rem; padding: .75rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
  grid-template-areas: "memory memory" "models models" "ask detail" "requests requests" "events events"; }
@media (min-width: 1400px) {
  main { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
    grid-template-areas: "memory events" "models models" "ask detail" "requests detail"; }
  .events .log { max-height: 9rem; }
}
@media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr);
  grid-template-areas: "memory" "models" "ask" "requests" "detail" "events"; } }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .75rem; min-width: 0; }
.memory { grid-area: memory; } .models { grid-area: models; } .ask { grid-area: ask; }
.requests { grid-area: requests; } .detail { grid-area: detail; } .events { grid-area: events; }
.scroll { overflow: auto; max-height: 32rem; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow: hidden; text-overflow: ellipsis; }
th { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: var(--panel); }
#models { min-width: 60rem; }
#models th:nth-child(1) { width: 15%; } #models th:nth-child(2) { width: 19%; } #models th:nth-child(3) { width: 7%; }
#models th:nth-child(4) { width: 11%; } #models th:nth-child(5) { width: 9%; } #models th:nth-child(6) { width: 13%; }
#models th:nth-child(7) { width: 7%; } #models th:nth-child(8) { width: 14.5rem; }
#requests { min-width: 48rem; }
#requests th:nth-child(1) { width: 14%; } #requests th:nth-child(2) { width: 9%; } #requests th:nth-child(3) { width: 14%; }
#requests th:nth-child(4) { width: 19%; } #requests th:nth-child(5) { width: 21%; } #requests th:nth-child(6) { width: 8%; }
#requests td .muted { font-size: .8rem; }
td.num { font-variant-numeric: tabular-nums; }
button { font: inherit; padding: .2rem .6rem; border: 1px solid var(--line); border-radius: 4px;
  background: var(--bg); color: var(--fg); cursor: pointer; }
button:hover:not([aria-disabled="true"]) { border-color: var(--accent); }
button[aria-disabled="true"] { opacity: .5; cursor: not-allowed; }
button[aria-pressed="true"] { background: var(--accent); color: var(--on-accent); border-color: var(--accent); }
button[type="submit"] { background: var(--accent); color: var(--on-accent); border-color: var(--accent); }
.actions { display: flex; gap: .3rem; flex-wrap: wrap; }
.state { white-space: nowrap; }
.s-resident { color: var(--ok); } .s-loading, .s-queued { color: var(--warn); } .s-draining, .s-unloading { color: var(--warn); }
.s-busy, .s-streaming { color: var(--busy); } .s-failed, .b-open { color: var(--bad); } .b-half_open { color: var(--warn); }
.s-completed, .b-closed { color: var(--ok); } .s-cancelled, .s-lost, .s-unloaded { color: var(--muted); }
.badge { display: inline-block; font-size: .75rem; padding: 0 .35rem; border: 1px solid currentColor; border-radius: 3px; margin-left: .3rem; }
progress { width: 5rem; height: .6rem; vertical-align: middle; }
.host + .host { margin-top: .75rem; }
.host-summary { margin: 0 0 .35rem; }
.bar { position: relative; display: flex; height: 1.6rem; border: 1px solid var(--line); border-radius: 4px;
  background: repeating-linear-gradient(45deg, transparent 0 6px, color-mix(in srgb, var(--line) 35%, transparent) 6px 12px); overflow: hidden; }
.seg { height: 100%; min-width: 2px; border-right: 1px solid var(--panel); color: #111; font-size: .75rem;
  overflow: hidden; white-space: nowrap; padding: .2rem .3rem; text-overflow: ellipsis; }
.seg.loading { background-image: repeating-linear-gradient(-45deg, transparent 0 5px, rgba(255,255,255,.55) 5px 10px); }
.budget-mark { position: absolute; top: -2px; bottom: -2px; width: 0; border-left: 2px dashed var(--fg); }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: .35rem 0 0; font-size: .85rem; }
.legend .sw { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: -1px; margin-right: .25rem; }
form label { display: inline-flex; gap: .35rem; align-items: center; }
form > label { display: block; margin-bottom: .2rem; font-weight: 600; }
textarea { width: 100%; font: inherit; padding: .4rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
input, select { font: inherit; padding: .15rem .3rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
.row { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; margin-top: .4rem; }
.query-out { margin-top: .6rem; }
.query-status { margin: .2rem 0; font-weight: 600; }
.decision { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem; margin: .25rem 0; }
.decision dt { color: var(--muted); } .decision dd { margin: 0; }
.answer { white-space: pre-wrap; word-break: break-word; background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; padding: .5rem; min-height: 3rem; max-height: 20rem; overflow: auto; margin: 0; font: inherit; }
.validation.ok { color: var(--ok); } .validation.bad { color: var(--bad); }
#requests tbody tr { cursor: pointer; }
#requests tbody tr[aria-selected="true"] td { background: color-mix(in srgb, var(--accent) 14%, transparent); }
#requests td button.link { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline;
  font-family: ui-monospace, monospace; font-size: .85rem; max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
.mine { font-size: .7rem; }
.detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem; margin: .25rem 0 .5rem; }
.detail dt { color: var(--muted); } .detail dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.detail table { font-size: .85rem; margin-bottom: .5rem; }
.detail ul { margin: .2rem 0; padding-left: 1.2rem; }
.dims { display: grid; grid-template-columns: 6.5rem 1fr 2.5rem; gap: .15rem .5rem; align-items: center; margin: .25rem 0 .5rem; }
.dims meter { width: 100%; }
.log { list-style: none; margin: 0; padding: 0; max-height: 18rem; overflow: auto; font-size: .85rem; }
.log li { padding: .15rem 0; border-bottom: 1px solid var(--line); }
.log time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .5rem; }
.log .warn { color: var(--warn); } .log .error { color: var(--bad); }
.admin-status { min-height: 1.2em; margin: 0 0 .3rem; }
.admin-status.bad { color: var(--bad); }
dialog { border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--fg); max-width: 26rem; }
dialog::backdrop { background: rgba(0,0,0,.45); }
dialog input { width: 100%; margin: .3rem 0 .6rem; }
.notice { padding: 1rem; }
`
