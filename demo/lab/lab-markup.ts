// The lab's markup, inserted by lab.ts in demo builds only (the production build carries none of it).
export const LAB_HTML = `
<h2 id="lab-title">The proof: what the server sees</h2>
<p class="hint">This is <strong id="tab-name">this tab</strong>. Open the page in a second tab, then press
<em>Race</em>: every open tab fires at one moment, and the server's counters show what happened.</p>
<div class="buttons">
  <button id="race" type="button">Race: all tabs at one moment</button>
  <button id="reset-counters" type="button" class="secondary">Reset counters</button>
  <label class="switch"><input type="checkbox" id="side-by-side" /> Side by side with a classic interceptor</label>
</div>
<p id="race-status" role="status" aria-live="polite"></p>
<div id="race-outcome" hidden>
  <p id="race-outcome-broker"></p>
  <p id="race-outcome-classic"></p>
</div>
<div id="classic-panel" hidden>
  <h3>Classic interceptor in this tab</h3>
  <p class="hint">A queue and an <code>isRefreshing</code> flag per tab, tokens in localStorage, its own session
  on <code>/classic/*</code> (the broker never sees these requests).</p>
  <p>State: <strong id="classic-state">logged out</strong></p>
  <div class="buttons">
    <button id="classic-login" type="button">Log in (classic)</button>
    <button id="classic-call" type="button">GET /classic/me</button>
  </div>
</div>
<h3 id="timeline-title">Timeline</h3>
<div id="timeline" role="img" aria-label="Timeline"></div>
<p class="legend" aria-hidden="true">
  <span class="key band"></span> token lifetime <span class="key refresh"></span> refresh: P proactive, 401, E explicit
  <span class="key unauthorized"></span> 401 <span class="key replay"></span> replay
  <span class="key reuse"></span> reuse detected <span class="key outage"></span> outage / offline
</p>
<details id="timeline-details">
  <summary>Timeline as text</summary>
  <ol id="timeline-text"></ol>
</details>
<h3>Server counters</h3>
<div class="table-wrap">
  <table id="counters">
    <caption class="hint">Counted by the demo server since the last reset.</caption>
    <thead><tr><th scope="col">What the server saw</th><th scope="col">Broker</th><th scope="col" class="classic-col">Classic</th></tr></thead>
    <tbody></tbody>
  </table>
</div>
<fieldset id="faults">
  <legend>Fault toggles (demo server)</legend>
  <label><input type="checkbox" id="fault-refresh500" /> Refresh answers 500</label>
  <label><input type="checkbox" id="fault-slowRefresh" /> Slow refresh (3 s)</label>
  <label><input type="checkbox" id="fault-outage" /> Outage (the server drops every request)</label>
</fieldset>
`;
