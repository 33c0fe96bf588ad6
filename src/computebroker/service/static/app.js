// The dashboard talks only to the API, with the team's token kept in this browser's session.
"use strict";
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem("cb-token");

async function api(path, body) {
  const init = { headers: { Authorization: "Bearer " + token() } };
  if (body !== undefined) { init.method = "POST"; init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const r = await fetch(path, init);
  if (r.status === 422) { const e = new Error("invalid"); e.detail = (await r.json()).detail; throw e; }
  if (r.status === 401) { logout(); throw new Error("unauthorised"); }
  if (!r.ok) {
    let msg = path + ": HTTP " + r.status;
    try { const d = (await r.json()).detail; if (typeof d === "string") msg += " — " + d; } catch (_) { /* not JSON */ }
    $("api-error").textContent = msg;
    throw new Error(msg);
  }
  return r.json();
}

async function cancelJob(id) {
  await api("/v1/jobs/" + id + "/cancel", {});
  await loadJobs();
}

async function openPlan(job) {
  const doc = await api("/v1/plans/" + job.id);
  const p = job.params || {};
  plans.push({ label: (p.scenario || "plan") + (p.version ? " v" + p.version : "") + " (" + job.id.slice(0, 8) + ")", doc: doc, job: job.id });
  renderCompare();
}

async function loadJobs() {
  const jobs = await api("/v1/jobs?limit=50");
  $("job-list").querySelector("tbody").replaceChildren(...jobs.map((j) => {
    const tr = document.createElement("tr");
    const p = j.params || {};
    const what = j.kind === "plan" ? (p.scenario || "") + (p.version ? " v" + p.version : "") : (p.plan_job ? "plan " + p.plan_job.slice(0, 8) : p.fleet || "");
    for (const v of [(j.created_at || "").replace("T", " ").slice(0, 19), j.kind, what, j.status + (j.status === "running" ? " " + Math.round(100 * j.progress) + "%" : ""), j.error || ""]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    const td = document.createElement("td");
    if (j.status === "queued" || j.status === "running") {
      const b = document.createElement("button"); b.type = "button"; b.textContent = "Cancel";
      b.addEventListener("click", () => cancelJob(j.id)); td.appendChild(b);
    } else if (j.status === "done" && j.kind === "plan") {
      const b = document.createElement("button"); b.type = "button"; b.textContent = "Compare";
      b.addEventListener("click", () => openPlan(j)); td.appendChild(b);
    }
    tr.appendChild(td);
    return tr;
  }));
}

function show(loggedIn) {
  $("login").hidden = loggedIn;
  $("catalog").hidden = !loggedIn;
  $("plans").hidden = !loggedIn;
  $("price").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
}

function logout() { sessionStorage.removeItem("cb-token"); show(false); $("token").focus(); }

async function loadCatalog(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams({ limit: "100" });
  if ($("acc").value) q.set("accelerator", $("acc").value.trim());
  if ($("cloud").value) q.set("provider", $("cloud").value.trim());
  if ($("region").value) q.set("region", $("region").value.trim());
  q.set("contract", $("contract").value);
  q.set("sort", $("sort").value);
  const rows = await api("/v1/catalog/offerings?" + q.toString());
  const body = $("offers").querySelector("tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const v of [r.id, r.provider, r.accelerator, r.price_chip_hour == null ? "—" : "$" + r.price_chip_hour.toFixed(3),
      r.price_pflop_hour == null ? "—" : "$" + r.price_pflop_hour.toFixed(3), r.as_of]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    return tr;
  }));
  const best = {};
  for (const r of rows) if (r.price_chip_hour != null && (!(r.provider in best) || r.price_chip_hour < best[r.provider])) best[r.provider] = r.price_chip_hour;
  const clouds = Object.keys(best).sort((a, b) => best[a] - best[b]);
  Plotly.react("price-chart", [{ type: "bar", x: clouds, y: clouds.map((c) => best[c]) }],
    { title: { text: "Cheapest " + $("contract").value + " price by cloud (USD per chip-hour)" }, xaxis: { title: { text: "cloud" } }, yaxis: { title: { text: "USD per chip-hour" } }, margin: { t: 40, l: 60, r: 10, b: 60 }, height: 320 },
    { displaylogo: false, responsive: true });
}

let accelerators = [];

async function compareChips(ev) {
  if (ev) ev.preventDefault();
  if (!accelerators.length) accelerators = await api("/v1/catalog/accelerators");
  const want = $("compare-chips").value.split(",").map((x) => x.trim().toLowerCase()).filter(Boolean);
  const chosen = want.map((w) => accelerators.find((a) => a.id === w)).filter(Boolean);
  const head = $("accelerators").querySelector("thead tr");
  head.replaceChildren(...["spec", ...chosen.map((a) => a.id)].map((t) => { const th = document.createElement("th"); th.scope = "col"; th.textContent = t; return th; }));
  const specs = [["vendor", (a) => a.vendor], ["bf16 TFLOP/s (dense)", (a) => a.bf16_tflops == null ? "—" : Math.round(a.bf16_tflops)],
    ["HBM GiB", (a) => a.hbm_gib == null ? "—" : a.hbm_gib]];
  $("accelerators").querySelector("tbody").replaceChildren(...specs.map(([name, f]) => {
    const tr = document.createElement("tr");
    for (const v of [name, ...chosen.map(f)]) { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); }
    return tr;
  }));
}

// every stored version of each scenario, newest named first; a version's button opens it
async function loadScenarios() {
  const rows = await api("/v1/scenarios");
  const byName = new Map();
  for (const r of rows) { if (!byName.has(r.name)) byName.set(r.name, []); byName.get(r.name).push(r); }
  $("scenario-list").replaceChildren(...[...byName].map(([name, versions]) => {
    versions.sort((a, b) => a.version - b.version);
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = name + " (version " + versions[versions.length - 1].version + ")";
    li.appendChild(label);
    for (const v of versions) {
      const b = document.createElement("button"); b.type = "button"; b.className = "version";
      b.textContent = "v" + v.version;
      b.title = "Open " + name + " version " + v.version + " (stored " + (v.created_at || "").replace("T", " ").slice(0, 19) + ")";
      b.setAttribute("aria-label", b.title);
      b.addEventListener("click", () => openScenario(name, v.version));
      li.appendChild(b);
    }
    return li;
  }));
}

async function openScenario(name, version) {
  const sc = await api("/v1/scenarios/" + encodeURIComponent(name) + "?version=" + version);
  $("scenario-name").value = sc.name;
  $("scenario-text").value = sc.yaml;
  showIssues([]);
  $("plan-status").textContent = "Opened " + sc.name + " version " + sc.version + ".";
  $("scenario-text").focus();
}

async function loadModels() {
  const names = await api("/v1/models");
  $("model").replaceChildren(...names.map((n) => { const o = document.createElement("option"); o.value = n; o.textContent = n; return o; }));
  if (names.includes("llama3.1-8b")) $("model").value = "llama3.1-8b";
}

async function priceWorkload(ev) {
  if (ev) ev.preventDefault();
  $("price-status").textContent = "pricing every chip...";
  const q = new URLSearchParams({ model: $("model").value, tokens: $("tokens").value, chips: $("chips").value });
  let rows;
  try { rows = await api("/v1/estimate/train?" + q.toString()); }
  catch (e) { $("price-status").textContent = "Check the model, tokens and chips."; return; }
  const ok = rows.filter((r) => r.feasible && r.usd_per_million_tokens != null);
  $("price-status").textContent = ok.length + " chips can run it; cheapest first.";
  const body = $("perf").querySelector("tbody");
  body.replaceChildren(...ok.map((r) => {
    const tr = document.createElement("tr");
    const cells = [r.accelerator, "$" + r.usd_per_million_tokens.toFixed(3), r.time_to_train_days == null ? "—" : r.time_to_train_days.toFixed(1),
      (100 * r.mfu).toFixed(1) + "%", r.layout, r.cheapest_provider + " " + r.cheapest_contract];
    for (const v of cells) { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); }
    return tr;
  }));
  Plotly.react("perf-chart", [{ type: "bar", x: ok.map((r) => r.accelerator), y: ok.map((r) => r.usd_per_million_tokens),
    text: ok.map((r) => r.layout), hovertemplate: "%{x}: $%{y:.3f} per M tokens<br>%{text}<extra></extra>" }],
    { title: { text: "Training cost by chip (USD per million tokens)" }, xaxis: { title: { text: "accelerator" } }, yaxis: { title: { text: "USD per million tokens" } }, margin: { t: 40, l: 60, r: 10, b: 60 }, height: 320 },
    { displaylogo: false, responsive: true });
}

let checkTimer = null;
const plans = [];

function showIssues(detail) {
  $("scenario-issues").replaceChildren(...(detail || []).map((d) => {
    const li = document.createElement("li");
    li.textContent = (d.line ? "line " + d.line + ": " : "") + (d.loc && d.loc[0] ? d.loc[0] + ": " : "") + d.msg;
    return li;
  }));
}

function checkScenario() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(async () => {
    const text = $("scenario-text").value;
    if (!text.trim()) { showIssues([]); return; }
    const r = await api("/v1/scenarios/validate", { name: $("scenario-name").value, yaml: text });
    if (r.ok) { showIssues([]); $("plan-status").textContent = "The scenario is valid."; }
    else { showIssues(r.detail); $("plan-status").textContent = ""; }
  }, 400);
}

function renderCompare() {
  const figures = [["expected cost", (m) => "$" + Math.round(m.expected_cost_usd).toLocaleString()],
    ["CVaR", (m) => "$" + Math.round(m.cvar_usd).toLocaleString()],
    ["P(shortfall)", (m) => (100 * m.p_shortfall).toFixed(1) + "%"],
    ["utilisation", (m) => (100 * m.utilisation).toFixed(0) + "%"],
    ["committed spend", (m) => "$" + Math.round(m.committed_spend_usd).toLocaleString()]];
  const head = $("plan-compare").querySelector("thead tr");
  head.replaceChildren(...[["figure"], ...plans.map((p) => [p.label])].map(([t]) => { const th = document.createElement("th"); th.scope = "col"; th.textContent = t; return th; }));
  const chipsBy = (doc) => { const m = {}; for (const c of doc.commitments) m[c.offer] = (m[c.offer] || 0) + c.chips; return m; };
  const offers = [...new Set(plans.flatMap((p) => Object.keys(chipsBy(p.doc))))].sort();
  const rows = figures.map(([name, f]) => [name, ...plans.map((p) => f(p.doc.metrics))])
    .concat(offers.map((o) => ["chips committed: " + o, ...plans.map((p) => (chipsBy(p.doc)[o] || 0).toLocaleString())]));
  $("plan-compare").querySelector("tbody").replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const v of cells) { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); }
    return tr;
  }));
  $("plan-actions").hidden = plans.length === 0;
}

async function savePlan(ev) {
  ev.preventDefault();
  const name = $("scenario-name").value.trim();
  let stored;
  try { stored = await api("/v1/scenarios", { name: name, yaml: $("scenario-text").value }); }
  catch (e) { if (e.detail) showIssues(e.detail); return; }
  const job = await api("/v1/plans", { scenario: name, version: stored.version });
  $("plan-progress").hidden = false;
  $("plan-cancel").hidden = false;
  $("plan-cancel").onclick = () => cancelJob(job.id);
  await loadJobs();
  for (;;) {
    const st = await api("/v1/jobs/" + job.id);
    $("plan-progress").value = st.progress;
    $("plan-status").textContent = "Plan " + st.status + " " + Math.round(100 * st.progress) + "% " + (st.message || "");
    if (["done", "failed", "cancelled"].includes(st.status)) {
      if (st.status === "done") {
        const doc = await api("/v1/plans/" + job.id);
        plans.push({ label: name + " v" + stored.version, doc: doc, job: job.id });
        renderCompare();
      } else { $("plan-status").textContent = "Plan " + st.status + ": " + (st.error || ""); }
      $("plan-cancel").hidden = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await Promise.all([loadScenarios(), loadJobs()]);
}

function exportPlan() {
  const last = plans[plans.length - 1];
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(last.doc, null, 2)], { type: "application/json" }));
  a.download = last.label.replace(/\s+/g, "-") + ".plan.json";
  a.click();
}

async function embedReport(jobId, frameId) {
  const r = await fetch("/v1/reports/" + jobId + ".html", { headers: { Authorization: "Bearer " + token() } });
  const frame = $(frameId);
  frame.src = URL.createObjectURL(new Blob([await r.text()], { type: "text/html" }));
  frame.hidden = false;
  return new Promise((resolve) => { frame.onload = resolve; });
}

function exportCsv() {
  const rows = plans[plans.length - 1].doc.commitments;
  const cols = ["start", "offer", "provider", "accelerator", "contract", "chips", "term_periods", "price_chip_hour", "obligation_usd"];
  const text = [cols.join(","), ...rows.map((r) => cols.map((c) => String(r[c]).includes(",") ? '"' + r[c] + '"' : r[c]).join(","))].join("\n") + "\n";
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  a.download = "commitments.csv";
  a.click();
}

async function simulateLast() {
  const last = plans[plans.length - 1];
  // no trace or generated jobs: the planned fleet runs the demand the plan was made for
  const job = await api("/v1/simulations", { plan_job: last.job, policy: "min-cost" });
  for (;;) {
    const st = await api("/v1/jobs/" + job.id);
    $("sim-status").textContent = "Simulation " + st.status + (st.error ? ": " + st.error : "");
    if (["done", "failed", "cancelled"].includes(st.status)) {
      if (st.status === "done") {
        const a = (await api("/v1/simulations/" + job.id)).against_plan;
        // both figures on the plan's terms: busy chip-hours over the chip-hours paid for
        $("sim-status").textContent = "Simulation done (" + a.jobs + "): " + (100 * a.simulated_utilisation_of_paid_capacity).toFixed(1) +
          "% of the capacity paid for was busy; the plan expects " + (100 * a.plan_utilisation).toFixed(1) + "%.";
        await embedReport(job.id, "sim-report");
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function start() {
  show(true);
  await Promise.all([loadCatalog(), loadScenarios(), loadModels(), compareChips(), loadJobs()]);
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  sessionStorage.setItem("cb-token", $("token").value.trim());
  try { await api("/v1/catalog/accelerators"); $("login-error").textContent = ""; await start(); }
  catch (e) { $("login-error").textContent = "That token is not valid."; }
});
$("catalog-form").addEventListener("submit", loadCatalog);
$("compare-form").addEventListener("submit", compareChips);
$("price-form").addEventListener("submit", priceWorkload);
$("scenario-text").addEventListener("input", checkScenario);
$("scenario-form").addEventListener("submit", savePlan);
$("plan-export").addEventListener("click", exportPlan);
$("plan-csv").addEventListener("click", exportCsv);
$("plan-view").addEventListener("click", () => embedReport(plans[plans.length - 1].job, "plan-report"));
$("plan-simulate").addEventListener("click", simulateLast);
$("scenario-file").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (!f) return;
  $("scenario-text").value = await f.text();
  $("scenario-name").value = f.name.replace(/\.ya?ml$/, "").replace(/[^A-Za-z0-9_.-]/g, "-");
  checkScenario();
});
$("logout").addEventListener("click", logout);
if (token()) start().catch(() => logout()); else show(false);
