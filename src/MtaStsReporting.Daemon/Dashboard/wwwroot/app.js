// The dashboard: a page over the daemon's HTTP/JSON API (the same calls as curl), with no
// library and no build step. Every figure shown comes from the API's answer; the trend charts
// are SVG drawn by the daemon (/dashboard/charts/trend.svg). Text is always set as text.

const view = document.getElementById("view");
const keyDialog = document.getElementById("key-dialog");
const numbers = new Intl.NumberFormat("en-US");
const DIRECTIONS = { DIRECTION_OUTBOUND: "outbound", DIRECTION_INBOUND: "inbound" };

// ---- small helpers -------------------------------------------------------------------------

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const count = (value) => numbers.format(Number(value || 0));
const percent = (rate) => `${(Number(rate || 0) * 100).toFixed(2)}%`;
const direction = (value) => DIRECTIONS[value] || "both";
const badge = (value) => h("span", { class: `badge ${direction(value)}` }, direction(value));

function table(headers, rows, numeric = []) {
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, headers.map((title, i) => h("th", { class: numeric.includes(i) ? "num" : null, scope: "col" }, title)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => h("td", { class: numeric.includes(i) ? "num" : null }, cell)))))));
}

function rateCell(rate) {
  const width = Math.min(100, Number(rate || 0) * 100);
  return h("span", { class: "rate" }, percent(rate), h("span", { class: "meter", "aria-hidden": "true" }, h("span", { style: `width:${width}%` })));
}

function notice(text, kind = "") {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

// ---- the address: #/path?from=…&to=… -------------------------------------------------------

function route() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  return { parts: (path || "/").split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || "") };
}

function go(parts, params) {
  const query = params.toString();
  location.hash = "#/" + parts.map(encodeURIComponent).join("/") + (query ? "?" + query : "");
}

function rangeParams(params) {
  const out = new URLSearchParams();
  if (params.get("from")) out.set("range.startDay", params.get("from"));
  if (params.get("to")) out.set("range.endDay", params.get("to"));
  return out;
}

function rangeText(params) {
  const from = params.get("from"), to = params.get("to");
  if (!from && !to) return "in the last 31 days";
  return `from ${from || "(30 days before)"} to ${to || "today"}`;
}

// ---- the API, with the reader key when the daemon asks for one ------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function askForKey(reason) {
  return new Promise((resolve) => {
    document.getElementById("key-reason").textContent = reason;
    const input = document.getElementById("key");
    input.value = "";
    keyDialog.addEventListener("close", () => resolve(input.value.trim()), { once: true });
    keyDialog.showModal();
  });
}

// The API answers errors as JSON ({"code":…,"message":…}); the chart route as plain text.
async function messageOf(response) {
  const text = await response.text();
  try { return (JSON.parse(text).message || text).trim(); } catch { return text.trim(); }
}

async function call(path, params, accept = "application/json") {
  for (;;) {
    const key = sessionStorage.getItem("mtasts-key");
    const headers = { Accept: accept };
    if (key) headers.Authorization = "Bearer " + key;
    const response = await fetch(path + (params && params.toString() ? "?" + params : ""), { headers });
    if (response.status === 401 || response.status === 403) {
      const reason = (await messageOf(response)) || "This daemon asks for an API key with the reader role.";
      const typed = await askForKey(response.status === 403 ? `${reason}. A key with the reader role is needed.` : reason);
      if (!typed) throw new ApiError(response.status, reason);
      sessionStorage.setItem("mtasts-key", typed);
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await messageOf(response));
    return accept === "application/json" ? response.json() : response.text();
  }
}

// ---- views ----------------------------------------------------------------------------------

async function domainsView(params) {
  const query = rangeParams(params);
  query.set("sort", params.get("sort") === "volume" ? "SORT_VOLUME" : "SORT_FAILURE_RATE");
  if (params.get("direction")) query.set("direction", params.get("direction") === "inbound" ? "DIRECTION_INBOUND" : "DIRECTION_OUTBOUND");
  query.set("pageSize", "1000");
  const answer = await call("/v1/domains", query);
  const domains = answer.domains || [];

  const choose = (name, value) => () => { const next = new URLSearchParams(params); value ? next.set(name, value) : next.delete(name); go([], next); };
  const toggle = (name, value, label, id) =>
    h("button", { type: "button", id, "aria-pressed": String((params.get(name) || "") === value), onclick: choose(name, value) }, label);
  const controls = h("p", { class: "controls" },
    "Sort: ", toggle("sort", "", "failure rate", "sort-rate"), " ", toggle("sort", "volume", "volume", "sort-volume"), " · Direction: ",
    toggle("direction", "", "both"), " ", toggle("direction", "outbound", "outbound"), " ", toggle("direction", "inbound", "inbound"));

  const parts = [h("h1", {}, "Domains ", h("span", { class: "muted" }, rangeText(params))), controls];
  if (domains.length === 0) {
    const empty = h("div", { class: "notice", id: "empty", role: "status" }, `No domain has data ${rangeText(params)}.`);
    if (answer.lastDataDay) {
      const show = new URLSearchParams(params);
      show.set("from", answer.firstDataDay);
      show.set("to", answer.lastDataDay);
      empty.append(" The data held runs from ", h("strong", {}, answer.firstDataDay), " to ", h("strong", {}, answer.lastDataDay), ". ",
        h("a", { href: "#/?" + show, id: "show-data" }, `Show ${answer.firstDataDay} to ${answer.lastDataDay}`));
    } else {
      empty.append(" The daemon holds no data yet: relays report over gRPC or datagrams, reports come by mail, file import or HTTPS.");
    }
    parts.push(empty);
  } else {
    parts.push(h("p", { class: "muted" }, "Outbound: what our relays saw delivering to these domains. Inbound: what reporters told us about our own domains."));
    parts.push(table(["Domain", "Direction", "Sessions", "Failures", "Failure rate"], domains.map((d) => [
      h("a", { href: `#/domain/${encodeURIComponent(d.domain)}?${params}` }, d.domain), badge(d.direction), count(d.sessions), count(d.failures), rateCell(d.failureRate),
    ]), [2, 3, 4]));
  }
  return parts;
}

function theme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen) return chosen;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

async function drawChart(container, domain, dir, params) {
  // Drawn at the width it is shown at, so that its text stays readable on a phone.
  const width = Math.round(container.clientWidth - 16) || 960;
  const query = new URLSearchParams({ domain, direction: dir, theme: theme(), width, height: width < 700 ? 300 : 320 });
  if (params.get("from")) query.set("start_day", params.get("from"));
  if (params.get("to")) query.set("end_day", params.get("to"));
  const svg = await call("/dashboard/charts/trend.svg", query, "image/svg+xml");
  container.innerHTML = svg; // drawn by the daemon from the API's figures; its text is XML-escaped
  const drawn = container.querySelector("svg");
  if (drawn) {
    drawn.setAttribute("role", "img");
    drawn.setAttribute("aria-label", `Daily sessions and failures by result type, ${dir}`);
  }
}

async function domainView(domain, params) {
  const range = rangeParams(params);
  const summary = await call(`/v1/domains/${encodeURIComponent(domain)}`, range);
  const directions = (summary.totals || []).filter((t) => Number(t.sessions || 0) > 0 || t.lastSeenDay);
  const parts = [h("h1", {}, domain), h("p", { class: "muted" }, `Figures ${rangeText(params)}. `,
    h("a", { href: `#/reports?domain=${encodeURIComponent(domain)}&${params}` }, "Stored reports about this domain"))];

  const shown = directions.length > 0 ? directions : summary.totals || [];
  parts.push(h("div", { class: "cards" }, shown.map((t) => h("div", { class: "card", "data-direction": direction(t.direction) },
    badge(t.direction),
    h("div", { class: "figure", "data-figure": "sessions" }, count(t.sessions)), h("div", { class: "muted" }, "sessions"),
    h("div", {}, h("span", { "data-figure": "failures" }, count(t.failures)), " failures · ", h("span", { "data-figure": "rate" }, percent(t.failureRate))),
    h("div", { class: "muted" }, t.lastSeenDay ? `last seen ${t.lastSeenDay}` : "no data")))));

  if (directions.length === 0) {
    parts.push(notice(`No sessions ${rangeText(params)}. Choose another range: the domain list says which days hold data.`));
  }

  const charts = [];
  for (const t of directions) {
    const dir = direction(t.direction);
    const container = h("div", { class: "chart", id: `chart-${dir}`, "data-direction": dir }, h("span", { class: "muted" }, "Drawing…"));
    parts.push(h("h2", {}, `Daily trend, ${dir}`), container);
    charts.push([container, dir]);
  }

  const breakdowns = h("div", { class: "grid2", id: "breakdowns" });
  parts.push(h("h2", {}, "Failures by …"), breakdowns);
  const history = h("div", { id: "history" }, h("span", { class: "muted" }, "Loading…"));
  parts.push(h("h2", {}, "Policy history"), history);
  const readiness = h("div", { id: "readiness" }, h("span", { class: "muted" }, "Evaluating (a live check: DNS, the policy file, the MX hosts)…"));
  parts.push(h("h2", {}, "Readiness for enforce"), readiness);

  // Filled in once the page is in the document (the charts are drawn at their column's
  // width): each part on its own, an error stays in its part.
  setTimeout(async () => {
    await Promise.all([
      ...charts.map(([container, dir]) => drawChart(container, domain, dir, params).catch((e) => container.replaceChildren(notice(e.message, "error")))),
      fillBreakdowns(breakdowns, domain, directions, range),
      fillHistory(history, domain, range).catch((e) => history.replaceChildren(notice(e.message, "error"))),
      fillReadiness(readiness, domain).catch((e) => readiness.replaceChildren(notice(e.message, "error"))),
    ]);
    if (readiness.isConnected) document.body.dataset.loaded = "domain"; // unless the user went elsewhere meanwhile
  });
  return parts;
}

const DIMENSIONS = [
  ["DIMENSION_RESULT_TYPE", "result type"],
  ["DIMENSION_RECEIVING_MX", "receiving MX"],
  ["DIMENSION_REPORTING_ORGANIZATION", "reporter"],
  ["DIMENSION_SENDING_MTA_IP", "sending IP"],
];

async function fillBreakdowns(container, domain, directions, range) {
  for (const t of directions) {
    for (const [dimension, title] of DIMENSIONS) {
      if (dimension === "DIMENSION_REPORTING_ORGANIZATION" && t.direction !== "DIRECTION_INBOUND") continue;
      const query = new URLSearchParams(range);
      query.set("direction", t.direction);
      const box = h("section", { "data-breakdown": `${direction(t.direction)}/${title}` }, h("h3", {}, `${title} `, badge(t.direction)));
      container.append(box);
      try {
        const answer = await call(`/v1/domains/${encodeURIComponent(domain)}/failures/${dimension}`, query);
        const rows = answer.rows || [];
        box.append(rows.length === 0 ? h("p", { class: "muted" }, "No failures.")
          : table([title, "Failures"], rows.map((r) => [r.key || "(not given)", count(r.failures)]), [1]));
      } catch (e) {
        box.append(notice(e.message, "error"));
      }
    }
  }
}

async function fillHistory(container, domain, range) {
  const history = await call(`/v1/domains/${encodeURIComponent(domain)}/policies`, range);
  const policies = history.policies || [];
  const fetches = history.fetches || [];
  container.replaceChildren(
    policies.length === 0 ? h("p", { class: "muted" }, "No policy seen in this range.")
      : table(["Direction", "Type", "Mode", "MX", "TXT id", "First day", "Last day", "Sessions"], policies.map((p) => [
        badge(p.direction), p.policyType, p.mode || "", (p.mxHost || []).join(" "), p.txtId || "", p.firstDay, p.lastDay, count(p.sessions),
      ]), [7]),
    fetches.length === 0 ? "" : h("h3", {}, "Policy fetches by our relays"),
    fetches.length === 0 ? "" : table(["Day", "Result", "TXT id", "Mode", "HTTP", "Reason", "Count"], fetches.map((f) => [
      f.day, f.result, f.txtId || "", f.mode || "", f.httpStatus ? String(f.httpStatus) : "", f.failureReason || "", count(f.count),
    ]), [6]));
}

async function fillReadiness(container, domain) {
  const verdict = await call(`/v1/domains/${encodeURIComponent(domain)}/readiness`);
  const name = (verdict.verdict || "").replace("READINESS_OUTCOME_", "");
  const parts = [h("p", {}, "Verdict: ", h("span", { class: `verdict ${name}`, id: "verdict" }, name),
    verdict.mode ? ` · live policy mode: ${verdict.mode}` : "", verdict.evaluatedAt ? ` · evaluated ${verdict.evaluatedAt}` : "")];
  const reasons = verdict.reasons || [];
  if (reasons.length > 0) {
    parts.push(table(["Severity", "Reason", "Message"], reasons.map((r) => [(r.severity || "").replace("FINDING_SEVERITY_", "").toLowerCase(), r.code, r.message])));
  }
  if (verdict.nextPolicyText) {
    parts.push(h("h3", {}, "Next policy"), h("p", {}, "Publish ", h("code", {}, `_mta-sts.${domain} TXT "v=STSv1; id=${verdict.nextId}"`), " with it:"),
      h("pre", { class: "policy", id: "next-policy" }, verdict.nextPolicyText));
  }
  container.replaceChildren(...parts);
}

async function reportsView(params) {
  const query = rangeParams(params);
  if (params.get("domain")) query.set("domain", params.get("domain"));
  query.set("pageSize", "200");
  const answer = await call("/v1/reports", query);
  const reports = answer.reports || [];
  const title = params.get("domain") ? `Reports about ${params.get("domain")}` : "Reports";
  const parts = [h("h1", {}, title, " ", h("span", { class: "muted" }, rangeText(params)))];
  if (reports.length === 0) {
    parts.push(notice(`No stored report ${rangeText(params)}.`));
    return parts;
  }
  parts.push(table(["#", "Day", "Reporter", "Domains", "Sessions", "Failures", "DKIM", "Flags"], reports.map((r) => [
    h("a", { href: `#/report/${r.id}` }, String(r.id)), (r.start || "").slice(0, 10), r.organization, (r.policyDomains || []).join(" "),
    count(Number(r.successCount || 0) + Number(r.failureCount || 0)), count(r.failureCount), r.dkimResult || "",
    [...new Set((r.flags || []).map((f) => f.split(":")[0]))].join(" "), // each kind once; the report shows where
  ]), [4, 5]));
  if (answer.nextPageToken) parts.push(h("p", { class: "muted" }, "Only the newest 200 are shown: choose a shorter range."));
  return parts;
}

async function reportView(id) {
  const report = await call(`/v1/reports/${encodeURIComponent(id)}`);
  const header = report.header || {};
  const download = async () => {
    const full = await call(`/v1/reports/${encodeURIComponent(id)}`, new URLSearchParams({ includeOriginal: "true" }));
    const bytes = Uint8Array.from(atob(full.original || ""), (c) => c.charCodeAt(0));
    const type = full.originalMediaType || "application/octet-stream";
    const extension = type.includes("rfc822") ? "eml" : type.includes("gzip") ? "json.gz" : type.includes("zip") ? "zip" : "json";
    const link = h("a", { href: URL.createObjectURL(new Blob([bytes], { type })), download: `report-${id}.${extension}` });
    document.body.append(link);
    link.click();
    link.remove();
  };
  const details = (report.policies || []).flatMap((p) => (p.failureDetails || []).map((d) => [p.policyDomain, d]));
  return [
    h("h1", {}, `Report ${header.reportId || id}`),
    table(["Field", "Value"], [
      ["Reporter", header.organization], ["Contact", report.contactInfo || ""], ["Covers", `${header.start} to ${header.end}`],
      ["Received", `${header.receivedAt || ""} (${header.sourceKind || ""} ${header.sourceName || ""})`],
      ["DKIM", header.dkimDomain ? `${header.dkimResult} (${header.dkimDomain})` : header.dkimResult || ""], ["Flags", (header.flags || []).length === 0 ? "none" : h("ul", {}, header.flags.map((f) => h("li", {}, f)))],
    ]),
    h("p", {}, h("button", { type: "button", id: "original", onclick: download }, "Download the original"), " ",
      h("span", { class: "muted" }, "the mail or file exactly as received")),
    h("h2", {}, "Policies"),
    table(["Domain", "Type", "Successes", "Failures", "Policy"], (report.policies || []).map((p) => [
      p.policyDomain, p.policyType, count(p.successCount), count(p.failureCount), (p.policyString || []).join("; "),
    ]), [2, 3]),
    details.length === 0 ? "" : h("h2", {}, "Failure details"),
    details.length === 0 ? "" : table(["Domain", "Result type", "Sessions", "Receiving MX", "Receiving IP", "Sending IP", "Reason"], details.map(([domain, d]) => [
      domain, d.resultType, count(d.failedSessionCount), d.receivingMxHostname || "", d.receivingIp || "", d.sendingMtaIp || "", d.failureReasonCode || "",
    ]), [2]),
  ];
}

// ---- the frame ------------------------------------------------------------------------------

async function render() {
  const { parts, params } = route();
  document.getElementById("from").value = params.get("from") || "";
  document.getElementById("to").value = params.get("to") || "";
  const page = parts[0] || "domains";
  for (const link of document.querySelectorAll("[data-nav]")) link.classList.toggle("active", link.dataset.nav === (page === "report" ? "reports" : page === "domain" ? "domains" : page));
  delete document.body.dataset.loaded;
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    const content = page === "domain" ? await domainView(parts[1], params)
      : page === "reports" ? await reportsView(params)
      : page === "report" ? await reportView(parts[1])
      : await domainsView(params);
    view.replaceChildren(...content);
    if (page !== "domain") document.body.dataset.loaded = page;
  } catch (e) {
    view.replaceChildren(notice(e.status === 404 ? `Not found: ${e.message}` : e.message, "error"));
    document.body.dataset.loaded = "error";
  }
}

document.getElementById("range").addEventListener("submit", (event) => {
  event.preventDefault();
  const { parts, params } = route();
  const next = new URLSearchParams(params);
  for (const name of ["from", "to"]) {
    const value = document.getElementById(name).value;
    value ? next.set(name, value) : next.delete(name);
  }
  go(parts, next);
});

document.getElementById("preset").addEventListener("change", (event) => {
  const days = Number(event.target.value);
  event.target.value = "";
  if (!days) return;
  const { parts, params } = route();
  const next = new URLSearchParams(params);
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86400000);
  next.set("from", from.toISOString().slice(0, 10));
  next.set("to", to.toISOString().slice(0, 10));
  go(parts, next);
});

const themes = ["auto", "light", "dark"];
function applyTheme(name) {
  if (name === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = name;
  document.getElementById("theme").textContent = `Theme: ${name}`;
}
document.getElementById("theme").addEventListener("click", () => {
  const current = localStorage.getItem("mtasts-theme") || "auto";
  const next = themes[(themes.indexOf(current) + 1) % themes.length];
  localStorage.setItem("mtasts-theme", next);
  applyTheme(next);
  render();
});
applyTheme(localStorage.getItem("mtasts-theme") || "auto");

window.addEventListener("hashchange", render);
render();
