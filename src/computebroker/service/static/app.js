// The dashboard talks only to the API, with the team's token kept in this browser's session.
"use strict";
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem("cb-token");

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  if (r.status === 401) { logout(); throw new Error("unauthorised"); }
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
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
  const rows = await api("/v1/catalog/offerings?" + q.toString());
  const body = $("offers").querySelector("tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const v of [r.id, r.provider, r.accelerator, r.price_chip_hour == null ? "—" : "$" + r.price_chip_hour.toFixed(3), r.as_of]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    return tr;
  }));
  const best = {};
  for (const r of rows) if (r.price_chip_hour != null && (!(r.provider in best) || r.price_chip_hour < best[r.provider])) best[r.provider] = r.price_chip_hour;
  const clouds = Object.keys(best).sort((a, b) => best[a] - best[b]);
  Plotly.react("price-chart", [{ type: "bar", x: clouds, y: clouds.map((c) => best[c]) }],
    { title: "Cheapest $ per chip-hour by cloud", margin: { t: 40, l: 50, r: 10, b: 60 }, height: 320 },
    { displaylogo: false, responsive: true });
}

async function loadScenarios() {
  const rows = await api("/v1/scenarios");
  $("scenario-list").replaceChildren(...rows.map((r) => {
    const li = document.createElement("li"); li.textContent = r.name + " (version " + r.version + ")"; return li;
  }));
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
    { title: "USD per million tokens trained", margin: { t: 40, l: 50, r: 10, b: 60 }, height: 320 },
    { displaylogo: false, responsive: true });
}

async function start() {
  show(true);
  await Promise.all([loadCatalog(), loadScenarios(), loadModels()]);
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  sessionStorage.setItem("cb-token", $("token").value.trim());
  try { await api("/v1/catalog/accelerators"); $("login-error").textContent = ""; await start(); }
  catch (e) { $("login-error").textContent = "That token is not valid."; }
});
$("catalog-form").addEventListener("submit", loadCatalog);
$("price-form").addEventListener("submit", priceWorkload);
$("logout").addEventListener("click", logout);
if (token()) start().catch(() => logout()); else show(false);
