// The analysts' console. It calls the same API as every other client, through the
// server's JSON gateway (/api/<service>/<method>, the proto3 JSON mapping), with the
// API key in the Authorization header. The key lives in this tab's session storage
// only. Everything from the server is put on the page as text, never as markup.

import { translate } from "./i18n.js";

const KEY_STORAGE = "alumni-match-key";
const LANGUAGE_STORAGE = "alumni-match-language";
const PACKAGE = "alumni.matching.v1";
const SERVICE_OF = {
  GetAlumnus: "AlumniService",
  GetOpportunity: "OpportunityService",
  ListOpportunities: "OpportunityService",
  Match: "MatchService",
  MatchForAlumnus: "MatchService",
  AssignMentors: "MatchService",
  Rescore: "MatchService",
  GetShortlist: "MatchService",
  GetFunnel: "OutcomeService",
};
const KINDS = ["REHIRE", "REFERRAL", "MENTORING", "PARTNERSHIP"];
const PAGE_SIZE = 20;

const state = {
  language: localStorage.getItem(LANGUAGE_STORAGE) || (navigator.language.startsWith("ja") ? "ja" : "en"),
  session: null,
};

const t = (key, values) => translate(state.language, key, values);

class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || "UNKNOWN";
    this.violations = error?.field_violations || [];
  }
}

function key() {
  return sessionStorage.getItem(KEY_STORAGE);
}

function headers() {
  return { "Content-Type": "application/json", Authorization: `Bearer ${key()}` };
}

function post(method, body) {
  return fetch(`/api/${PACKAGE}.${SERVICE_OF[method]}/${method}`, {
    method: "POST",
    headers: headers(),
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
}

async function api(method, body = {}) {
  const response = await post(method, body);
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401) signOut();
    throw new ApiError(response.status, payload.error);
  }
  return payload;
}

// A server-streaming call: one JSON message per line, `onMessage` for each.
async function stream(method, body, onMessage) {
  const response = await post(method, body);
  if (!response.ok) {
    const payload = await response.json().catch(() => ({}));
    throw new ApiError(response.status, payload.error);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (message.error) throw new ApiError(500, message.error);
      onMessage(message);
    }
    if (done) return;
  }
}

function may(method) {
  return Boolean(state.session?.methods.includes(method));
}

// Builds an element: el("td", {class: "x", dataset: {a: 1}}, "text", child…).
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    // Through the CSSOM: the page's CSP allows no style attributes.
    else if (name === "style") Object.assign(node.style, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function main(...children) {
  const root = document.getElementById("main");
  root.replaceChildren(...children);
  return root;
}

function showError(container, error) {
  const message = error instanceof ApiError && error.code === "PERMISSION_DENIED"
    ? t("error.forbidden")
    : t("error.generic", { message: error.message });
  const box = el("p", { class: "error", role: "alert" }, message);
  for (const violation of error.violations || []) {
    box.append(el("br"), `${violation.field}: ${violation.description}`);
  }
  container.append(box);
}

const kindName = (kind) => String(kind || "").replace("OPPORTUNITY_KIND_", "");
const statusName = (status) => String(status || "").replace("OPPORTUNITY_STATUS_", "");
const score = (value) => Number(value || 0).toFixed(3);

function translateStatic() {
  document.documentElement.lang = state.language;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.getElementById("language").value = state.language;
  const who = document.getElementById("who");
  who.textContent = state.session ? t("who", { tenant: state.session.tenant, role: state.session.role }) : "";
  const nav = document.getElementById("nav");
  nav.hidden = !state.session;
  for (const link of nav.querySelectorAll("[data-needs]")) link.hidden = !may(link.dataset.needs);
  document.getElementById("sign-out").hidden = !state.session;
}

// ---- sign-in ----

async function loadSession() {
  if (!key()) return false;
  const response = await fetch("/api/session", { headers: { Authorization: `Bearer ${key()}` }, cache: "no-store" });
  if (!response.ok) {
    sessionStorage.removeItem(KEY_STORAGE);
    return false;
  }
  state.session = await response.json();
  return true;
}

function signInPage(failed = false) {
  const input = el("input", { id: "api-key", type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const form = el(
    "form",
    { class: "card sign-in", id: "sign-in" },
    el("h2", {}, t("signIn.heading")),
    el("label", { for: "api-key" }, t("signIn.key")),
    input,
    el("p", { class: "hint" }, t("signIn.hint")),
    failed ? el("p", { class: "error", role: "alert" }, t("signIn.failed")) : null,
    el("button", { type: "submit" }, t("signIn.submit")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, input.value.trim());
    if (await loadSession()) {
      translateStatic();
      const target = may("ListOpportunities") ? "#/opportunities" : "#/alumnus";
      // A changed hash routes by itself (hashchange); an unchanged one does not.
      if (location.hash === target) route();
      else location.hash = target;
    } else {
      signInPage(true);
    }
  });
  main(form);
  input.focus();
}

function signOut() {
  sessionStorage.removeItem(KEY_STORAGE);
  state.session = null;
  translateStatic();
  location.hash = "";
  signInPage();
}

// ---- opportunities ----

async function opportunitiesPage() {
  const kind = el("select", { id: "filter-kind", "aria-label": t("filter.kind") },
    el("option", { value: "" }, t("filter.any")),
    KINDS.map((k) => el("option", { value: k }, t(`kind.${k}`))));
  const status = el("select", { id: "filter-status", "aria-label": t("filter.status") },
    el("option", { value: "OPEN" }, t("status.OPEN")),
    el("option", { value: "CLOSED" }, t("status.CLOSED")),
    el("option", { value: "" }, t("filter.any")));
  const text = el("input", { id: "filter-text", type: "search", placeholder: t("filter.text") });
  const body = el("tbody");
  const more = el("button", { type: "button", id: "more", hidden: true }, t("more"));
  const area = el("section", {},
    el("h2", {}, t("opportunities.heading")),
    el("div", { class: "filters" },
      el("label", {}, t("filter.kind"), " ", kind),
      el("label", {}, t("filter.status"), " ", status),
      text),
    el("table", { id: "opportunities" },
      el("thead", {}, el("tr", {}, ["col.id", "col.kind", "col.title", "col.status"].map((c) => el("th", {}, t(c))))),
      body),
    more);
  main(area);
  let loaded = [];
  let token = "";
  const render = () => {
    const needle = text.value.trim().toLowerCase();
    const rows = loaded.filter((o) => !needle || o.title.toLowerCase().includes(needle) || o.id.toLowerCase().includes(needle));
    body.replaceChildren(...rows.map((o) => el("tr", { dataset: { id: o.id } },
      el("td", {}, el("a", { href: `#/opportunity/${encodeURIComponent(o.id)}` }, o.id)),
      el("td", {}, t(`kind.${kindName(o.kind)}`)),
      el("td", {}, o.title),
      el("td", {}, t(`status.${statusName(o.status)}`)))));
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 4 }, t("none"))));
  };
  const load = async (reset) => {
    if (reset) { loaded = []; token = ""; }
    try {
      const page = await api("ListOpportunities", {
        kind: kind.value ? `OPPORTUNITY_KIND_${kind.value}` : "OPPORTUNITY_KIND_UNSPECIFIED",
        status: status.value ? `OPPORTUNITY_STATUS_${status.value}` : "OPPORTUNITY_STATUS_UNSPECIFIED",
        page_size: 200,
        page_token: token,
      });
      loaded = loaded.concat(page.opportunities);
      token = page.next_page_token;
      more.hidden = !token;
      render();
    } catch (error) {
      showError(area, error);
    }
  };
  kind.addEventListener("change", () => load(true));
  status.addEventListener("change", () => load(true));
  text.addEventListener("input", render);
  more.addEventListener("click", () => load(false));
  await load(true);
}

// ---- one opportunity: its shortlist, live ranking, re-score, mentors ----

function breakdown(candidate) {
  const components = candidate.components || [];
  const sum = components.reduce((total, c) => total + c.contribution, 0);
  const total = Math.max(candidate.score, 1e-9);
  const bar = el("div", { class: "bar", role: "img", "aria-label": t("explain.sum", { sum: score(sum), score: score(candidate.score) }) },
    // Coloured by the component's place in the list, as its swatch in the table is.
    components.map((c, i) => [c, i]).filter(([c]) => c.contribution > 0).map(([c, i]) => el("span", {
      class: `segment c${i % 8}`,
      style: { width: `${(100 * c.contribution / total).toFixed(2)}%` },
      title: `${c.name}: ${score(c.contribution)}`,
    })));
  const table = el("table", { class: "components" },
    el("thead", {}, el("tr", {}, ["col.component", "col.value", "col.weight", "col.contribution"].map((c) => el("th", {}, t(c))))),
    el("tbody", {}, components.map((c, i) => el("tr", { class: "component", dataset: { name: c.name, contribution: c.contribution } },
      el("td", {}, el("span", { class: `swatch c${i % 8}` }), c.name),
      el("td", { class: "number" }, score(c.value)),
      el("td", { class: "number" }, score(c.weight)),
      el("td", { class: "number" }, score(c.contribution))))));
  const skills = (label, list, cls) => list?.length
    ? el("p", { class: cls }, `${t(label)}: `, list.join(", "))
    : null;
  return el("div", { class: "explanation" },
    bar,
    el("p", { class: "sum", dataset: { sum, score: candidate.score } }, t("explain.sum", { sum: score(sum), score: score(candidate.score) })),
    table,
    skills("explain.matched", candidate.matched_skills, "matched"),
    skills("explain.missing", candidate.missing_required_skills, "missing"));
}

function candidateRows(candidates) {
  return candidates.flatMap((c) => {
    const details = el("tr", { class: "details", hidden: true }, el("td", { colspan: 5 }, breakdown(c)));
    const toggle = el("button", { type: "button", class: "toggle", "aria-expanded": "false", "aria-label": c.display_name }, "▸");
    toggle.addEventListener("click", () => {
      details.hidden = !details.hidden;
      toggle.textContent = details.hidden ? "▸" : "▾";
      toggle.setAttribute("aria-expanded", String(!details.hidden));
    });
    return [
      el("tr", { class: "candidate", dataset: { alumnus: c.alumnus_id, score: c.score } },
        el("td", {}, toggle),
        el("td", { class: "number" }, c.rank),
        el("td", {}, c.display_name, c.held_back ? el("span", { class: "held-back", title: t("heldBack.hint") }, t("heldBack")) : null),
        el("td", { class: "number" }, score(c.score)),
        el("td", { class: "reason" }, c.reason)),
      details,
    ];
  });
}

function candidatesTable(candidates) {
  return el("table", { id: "candidates" },
    el("thead", {}, el("tr", {}, el("th", {}), ["col.rank", "col.name", "col.score", "col.reason"].map((c) => el("th", {}, t(c))))),
    el("tbody", {}, candidates.length ? candidateRows(candidates) : el("tr", {}, el("td", { colspan: 5 }, t("none")))));
}

// The CSV analysts open in a spreadsheet: UTF-8 with a byte-order mark (so Japanese
// shows), one row per candidate, one column per component's contribution.
function toCsv(candidates) {
  const names = candidates[0]?.components?.map((c) => c.name) || [];
  const quote = (value) => {
    const text = String(value ?? "");
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = ["rank", "alumnus_id", "display_name", "score", "reason", "matched_skills", "missing_required_skills",
    ...names.map((n) => `${n}_contribution`)];
  const rows = candidates.map((c) => [c.rank, c.alumnus_id, c.display_name, Number(c.score).toFixed(6), c.reason,
    (c.matched_skills || []).join("; "), (c.missing_required_skills || []).join("; "),
    ...names.map((n) => Number(c.components.find((x) => x.name === n)?.contribution || 0).toFixed(6))]);
  return "\ufeff" + [header, ...rows].map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}

function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function allCandidates(mode, id) {
  let token = "";
  let all = [];
  do {
    const page = mode === "stored"
      ? await api("GetShortlist", { opportunity_id: id, page_size: 1000, page_token: token })
      : await api("Match", { opportunity_id: id, limit: 1000, explain: true, page_token: token });
    all = all.concat(page.candidates);
    token = page.next_page_token;
  } while (token);
  return all;
}

function progressView() {
  const bar = el("progress", { max: 1, value: 0 });
  const text = el("span", { class: "progress-text", "aria-live": "polite" });
  const view = el("div", { class: "progress", id: "rescore-progress" }, bar, text);
  const update = (p) => {
    bar.max = Math.max(p.total, 1);
    bar.value = p.completed;
    text.textContent = p.done
      ? t("rescore.done", { written: p.written, skipped: p.skipped, elapsed: Number(p.elapsed_seconds).toFixed(1) })
      : t("rescore.progress", { completed: p.completed, total: p.total, rate: Number(p.rate_per_second).toFixed(1), eta: Number(p.eta_seconds).toFixed(0) });
    view.dataset.done = String(Boolean(p.done));
  };
  return { view, update };
}

async function runRescore(container, request, onDone) {
  const { view, update } = progressView();
  container.append(view);
  try {
    let last = null;
    await stream("Rescore", request, (message) => { last = message.progress; update(last); });
    if (last?.done && onDone) onDone(last);
  } catch (error) {
    showError(container, error);
  }
}

async function opportunityPage(id) {
  const area = el("section", { id: "opportunity" });
  main(area);
  let opportunity = { id, kind: "", title: id };
  if (may("GetOpportunity")) {
    try {
      opportunity = (await api("GetOpportunity", { id })).opportunity;
    } catch (error) {
      showError(area, error);
      return;
    }
  }
  const heading = el("div", { class: "opportunity-head" },
    el("h2", {}, opportunity.title),
    el("p", { class: "meta" }, `${opportunity.id} · ${opportunity.kind ? t(`kind.${kindName(opportunity.kind)}`) : ""}`
      + (opportunity.required_skills?.length ? ` · ${opportunity.required_skills.join(", ")}` : "")));
  const tabs = el("div", { class: "tabs", role: "tablist" });
  const tools = el("div", { class: "tools" });
  const summary = el("p", { class: "summary" });
  const listing = el("div", { class: "listing" });
  const pager = el("div", { class: "pager" });
  const side = el("div", { class: "side" });
  area.append(heading, tabs, tools, summary, listing, pager, side);

  let mode = may("GetShortlist") ? "stored" : "live";
  const tokens = [""];
  let page = 0;
  const modes = [["stored", "shortlist.stored", "GetShortlist"], ["live", "shortlist.live", "Match"]];
  const renderTabs = () => tabs.replaceChildren(...modes.filter(([, , m]) => may(m)).map(([name, label]) =>
    el("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-selected": String(name === mode),
      onclick: () => { mode = name; tokens.length = 1; page = 0; renderTabs(); show(); } }, t(label))));

  const show = async () => {
    listing.replaceChildren(el("p", {}, t("loading")));
    pager.replaceChildren();
    summary.textContent = "";
    try {
      const response = mode === "stored"
        ? await api("GetShortlist", { opportunity_id: id, page_size: PAGE_SIZE, page_token: tokens[page] })
        : await api("Match", { opportunity_id: id, limit: PAGE_SIZE, explain: true, page_token: tokens[page] });
      if (mode === "stored") {
        const computed = response.computed_at ? new Date(response.computed_at).toLocaleString(state.language) : "";
        summary.textContent = `${t("shortlist.total", { total: response.total })} · ${t("shortlist.computed", { time: computed })}`
          + (response.stale ? ` · ${t("shortlist.stale")}` : "");
      } else {
        summary.textContent = t("shortlist.eligible", { eligible: response.total_eligible, matched: response.total_matched });
      }
      listing.replaceChildren(candidatesTable(response.candidates));
      tokens[page + 1] = response.next_page_token;
      if (page > 0) pager.append(el("button", { type: "button", id: "previous", onclick: () => { page -= 1; show(); } }, t("previous")));
      pager.append(el("span", { class: "page" }, String(page + 1)));
      if (response.next_page_token) pager.append(el("button", { type: "button", id: "next", onclick: () => { page += 1; show(); } }, t("next")));
    } catch (error) {
      listing.replaceChildren();
      if (error.code === "NOT_FOUND" && mode === "stored") listing.append(el("p", { class: "notice" }, t("shortlist.missing")));
      else showError(listing, error);
    }
  };

  tools.append(el("button", { type: "button", id: "download-csv", onclick: async () => {
    try {
      download(`shortlist-${id}-${mode}.csv`, toCsv(await allCandidates(mode, id)));
    } catch (error) {
      showError(tools, error);
    }
  } }, t("shortlist.csv")));
  if (may("Rescore")) {
    tools.append(el("button", { type: "button", id: "rescore-one", onclick: () => {
      tools.querySelector("#rescore-progress")?.remove();
      runRescore(tools, { opportunity_ids: [id], shortlist_size: 100 }, () => { if (mode === "stored") show(); });
    } }, t("shortlist.rescore")));
  }
  if (may("AssignMentors") && kindName(opportunity.kind) === "MENTORING") {
    tools.append(el("button", { type: "button", id: "assign-mentors", onclick: () => mentors(side, id) }, t("shortlist.mentors")));
  }
  renderTabs();
  await show();
}

async function mentors(container, id) {
  container.replaceChildren(el("h3", {}, t("mentors.heading")), el("p", {}, t("loading")));
  try {
    const plan = await api("AssignMentors", { opportunity_ids: [id] });
    const fill = plan.fills.find((f) => f.opportunity_id === id) || { capacity: 0, assigned: 0 };
    container.replaceChildren(
      el("h3", {}, t("mentors.heading")),
      el("p", {}, t("mentors.total", { total: score(plan.total_score), assigned: fill.assigned, capacity: fill.capacity })),
      el("table", { id: "mentors" },
        el("thead", {}, el("tr", {}, ["col.mentor", "col.score", "col.reason"].map((c) => el("th", {}, t(c))))),
        el("tbody", {}, plan.assignments.map((a) => el("tr", {},
          el("td", {}, a.mentor.display_name),
          el("td", { class: "number" }, score(a.mentor.score)),
          el("td", {}, a.mentor.reason))))));
  } catch (error) {
    container.replaceChildren();
    showError(container, error);
  }
}

// ---- one alumnus: the opportunities that fit them ----

function alumnusPage() {
  const input = el("input", { id: "alumnus-id", required: true, autocomplete: "off" });
  const results = el("div", { class: "results" });
  const form = el("form", { class: "inline", id: "alumnus-form" },
    el("label", { for: "alumnus-id" }, t("alumnus.id")), input,
    el("button", { type: "submit" }, t("alumnus.submit")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    results.replaceChildren(el("p", {}, t("loading")));
    try {
      const response = await api("MatchForAlumnus", { alumnus_id: input.value.trim(), limit: 20, explain: true });
      const rows = response.matches.flatMap((m) => {
        const details = el("tr", { class: "details", hidden: true }, el("td", { colspan: 5 }, breakdown(m)));
        const toggle = el("button", { type: "button", class: "toggle", onclick: () => { details.hidden = !details.hidden; } }, "▸");
        return [el("tr", { class: "match" },
          el("td", {}, toggle),
          el("td", { class: "number" }, m.rank),
          el("td", {}, el("a", { href: `#/opportunity/${encodeURIComponent(m.opportunity_id)}` }, m.title)),
          el("td", { class: "number" }, score(m.score)),
          el("td", {}, m.reason)), details];
      });
      results.replaceChildren(el("table", { id: "fits" },
        el("thead", {}, el("tr", {}, el("th", {}), ["col.rank", "col.opportunity", "col.score", "col.reason"].map((c) => el("th", {}, t(c))))),
        el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: 5 }, t("none"))))));
    } catch (error) {
      results.replaceChildren();
      showError(results, error);
    }
  });
  main(el("section", {}, el("h2", {}, t("alumnus.heading")), form, results));
}

// ---- re-score everything ----

function rescorePage() {
  const onlyStale = el("input", { type: "checkbox", id: "only-stale" });
  const start = el("button", { type: "button", id: "rescore-all" }, t("rescore.start"));
  const area = el("section", {}, el("h2", {}, t("rescore.heading")),
    el("p", {}, t("rescore.all")),
    el("label", {}, onlyStale, " ", t("rescore.onlyStale")),
    el("p", {}, start));
  start.addEventListener("click", async () => {
    start.disabled = true;
    area.querySelector("#rescore-progress")?.remove();
    await runRescore(area, { opportunity_ids: [], shortlist_size: 100, only_stale: onlyStale.checked });
    start.disabled = false;
  });
  main(area);
}

// ---- the funnel: shown → contacted → replied → interviewed → hired ----

const STAGES = ["shown", "contacted", "replied", "interviewed", "hired"];

function funnelCells(stages) {
  const shown = Number(stages.shown || 0);
  const percent = (n) => (shown ? ` (${Math.round((100 * Number(n || 0)) / shown)}%)` : "");
  const days = (d) => (d === undefined || d === null ? "–" : Number(d).toFixed(1));
  return [
    ...STAGES.map((stage) => el("td", { class: "number", dataset: { stage } }, `${Number(stages[stage] || 0)}${stage === "shown" ? "" : percent(stages[stage])}`)),
    el("td", { class: "number", dataset: { stage: "declined" } }, Number(stages.declined || 0)),
    el("td", { class: "number" }, days(stages.median_days_to_reply)),
    el("td", { class: "number" }, days(stages.median_days_to_hire)),
  ];
}

function funnelHead(first) {
  return el("thead", {}, el("tr", {}, el("th", {}, t(first)),
    [...STAGES.map((s) => `funnel.${s}`), "funnel.declined", "funnel.daysToReply", "funnel.daysToHire"].map((c) => el("th", {}, t(c)))));
}

async function funnelPage() {
  const kind = el("select", { id: "funnel-kind", "aria-label": t("filter.kind") },
    el("option", { value: "" }, t("filter.any")),
    KINDS.map((k) => el("option", { value: k }, t(`kind.${k}`))));
  const results = el("div", { class: "results" });
  const area = el("section", {}, el("h2", {}, t("funnel.heading")), el("p", { class: "hint" }, t("funnel.hint")),
    el("div", { class: "filters" }, el("label", {}, t("filter.kind"), " ", kind)), results);
  main(area);
  const load = async () => {
    results.replaceChildren(el("p", {}, t("loading")));
    try {
      const funnel = await api("GetFunnel", { kind: kind.value ? `OPPORTUNITY_KIND_${kind.value}` : "OPPORTUNITY_KIND_UNSPECIFIED" });
      const byKind = [
        el("tr", { class: "total" }, el("td", {}, t("funnel.all")), funnelCells(funnel.total || {})),
        ...(funnel.by_kind || []).map((k) => el("tr", { dataset: { kind: kindName(k.kind) } },
          el("td", {}, t(`kind.${kindName(k.kind)}`)), funnelCells(k.stages || {}))),
      ];
      const byOpportunity = (funnel.by_opportunity || []).map((o) => el("tr", { dataset: { id: o.opportunity_id } },
        el("td", {}, el("a", { href: `#/opportunity/${encodeURIComponent(o.opportunity_id)}` }, o.opportunity_id)),
        funnelCells(o.stages || {})));
      results.replaceChildren(
        el("table", { id: "funnel-kinds" }, funnelHead("col.kind"), el("tbody", {}, byKind)),
        el("h3", {}, t("funnel.byOpportunity")),
        el("table", { id: "funnel-opportunities" }, funnelHead("col.opportunity"),
          el("tbody", {}, byOpportunity.length ? byOpportunity : el("tr", {}, el("td", { colspan: 9 }, t("none"))))));
    } catch (error) {
      results.replaceChildren();
      showError(results, error);
    }
  };
  kind.addEventListener("change", load);
  await load();
}

// ---- routing ----

async function route() {
  if (!state.session && !(await loadSession())) {
    translateStatic();
    signInPage();
    return;
  }
  translateStatic();
  const [, page, argument] = (location.hash || "#/opportunities").split("/");
  if (page === "opportunity" && argument) return opportunityPage(decodeURIComponent(argument));
  if (page === "alumnus" && may("MatchForAlumnus")) return alumnusPage();
  if (page === "rescore" && may("Rescore")) return rescorePage();
  if (page === "funnel" && may("GetFunnel")) return funnelPage();
  if (may("ListOpportunities")) return opportunitiesPage();
  return alumnusPage();
}

document.getElementById("language").addEventListener("change", (event) => {
  state.language = event.target.value;
  localStorage.setItem(LANGUAGE_STORAGE, state.language);
  route();
});
document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
route();
