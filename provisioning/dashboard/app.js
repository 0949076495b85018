// The status page's script: reads GET /api/status, /api/cycles and /api/logs, and calls the
// on-demand and staged routes, with the function key in the x-functions-key header only.
// No framework, no build step; every value from the API is written with textContent.
"use strict";

(function () {
  const KEY_STORE = "goto-provisioning-key";
  const REFRESH_MS = 10000;
  const CSV_MAX_PAGES = 50; // 50,000 records at most in one export
  const COLUMNS = ["create", "update", "disable", "delete", "skip", "failure"];
  const $ = (id) => document.getElementById(id);
  const base = new URL("./", location.href); // the page is /api/dashboard: its API is /api/...
  let key = sessionStorage.getItem(KEY_STORE) || "";
  let logQuery = new URLSearchParams();
  let continuation = null;
  let dryRunFor = null;
  let staged = 0;
  let timer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    return node;
  }

  function when(iso) {
    if (!iso) return "–";
    const moment = new Date(iso);
    return isNaN(moment) ? String(iso) : moment.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function say(text) { $("message").textContent = text; }

  function fail(text) {
    const box = $("error");
    box.textContent = text;
    box.hidden = !text;
  }

  class ApiFailure extends Error {}

  async function api(path, options) {
    if (!key) throw new ApiFailure("Enter the function key first.");
    const opts = options || {};
    const response = await fetch(new URL(path, base), {
      method: opts.method || "GET",
      headers: Object.assign({ "x-functions-key": key, "Accept": opts.accept || "application/json" },
        opts.body ? { "Content-Type": "application/json" } : {}),
      body: opts.body,
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    if (response.status === 401 || response.status === 403) {
      throw new ApiFailure("The function key was refused (HTTP " + response.status + ").");
    }
    if (opts.raw) {
      if (!response.ok) throw new ApiFailure(path + ": HTTP " + response.status);
      return response;
    }
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const error = body && body.error;
      throw new ApiFailure(error ? error.message : path + ": HTTP " + response.status);
    }
    return body;
  }

  // state -----------------------------------------------------------------------------------------

  function renderStatus(status, history, retries) {
    $("enabled").textContent = (status.provisioningEnabled ? "on" : "off") + (status.dryRun ? " (dry run)" : "");
    $("next-run").textContent = when(status.nextScheduledRun);
    const last = status.lastCycle;
    $("last-cycle").textContent = last ? last.status + " (" + last.kind + "), ended " + when(last.ended || last.started) : "none yet";
    const q = status.quarantine;
    $("quarantine").textContent = q ? q.reason + (q.detail ? ": " + q.detail : "") + (q.nextAttempt ? " — next attempt " + when(q.nextAttempt) : "") : "no";

    const running = status.running;
    $("running").hidden = !running;
    if (running) {
      const seconds = Math.max(1, (Date.now() - new Date(running.started)) / 1000);
      const rate = running.operationsDone / seconds;
      const limit = history.gotoRateLimitPerSecond || 0;
      const bar = $("progress");
      bar.max = Math.max(1, running.objectsRead);
      bar.value = Math.min(running.operationsDone, bar.max);
      $("running-detail").textContent = running.pages + " pages read, " + running.objectsRead + " objects, " +
        running.operationsDone + " operations done; " + rate.toFixed(1) + " per second of GoTo's limit " + limit + ".";
    }

    const body = $("last-counts").tBodies[0];
    body.replaceChildren();
    const counts = last ? Object.entries(last.counts) : [];
    for (const [pair, n] of counts) {
      const [action, state] = pair.split("/");
      body.append(el("tr", { "data-count": pair }, el("td", {}, action), el("td", {}, state), el("td", {}, n)));
    }
    if (!counts.length) body.append(el("tr", {}, el("td", { colspan: "3" }, "no operations")));

    staged = status.stagedDeprovisions || 0;
    $("staged-count").textContent = staged;
    $("approve").disabled = $("reject").disabled = staged === 0;
    $("groups-managed").textContent = status.groups ? status.groups.managed : "–";

    const failed = retries.failedObjects || [];
    const rows = $("failed").tBodies[0];
    rows.replaceChildren();
    for (const f of failed) {
      rows.append(el("tr", {}, el("td", {}, f.id), el("td", {}, f.attempts), el("td", {}, f.error || ""),
        el("td", {}, f.givenUp ? "given up" : when(f.nextAttempt))));
    }
    $("failed").hidden = failed.length === 0;
    $("failed-empty").hidden = failed.length > 0;
  }

  // statistics ------------------------------------------------------------------------------------

  function renderHistory(history) {
    $("users-managed").textContent = history.managed ? history.managed.users : "–";
    $("cycles-total").textContent = history.totals.cycles;
    const days = history.perDay;
    const width = 600, height = 160, pad = 24;
    const top = Math.max(1, ...days.map((d) => COLUMNS.reduce((sum, c) => sum + d[c], 0)));
    const slot = (width - pad) / days.length;
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + (height + pad), role: "img", "aria-labelledby": "chart-title" });
    const title = svg("title", { id: "chart-title" });
    title.textContent = "Operations per day, last " + history.days + " days: " + COLUMNS.map((c) => history.totals[c] + " " + c).join(", ");
    chart.append(title);
    chart.append(svg("line", { x1: pad, y1: height, x2: width, y2: height, class: "axis" }));
    const scale = svg("text", { x: 0, y: 12, class: "tick" });
    scale.textContent = String(top);
    chart.append(scale);
    days.forEach((day, i) => {
      let y = height;
      for (const column of COLUMNS) {
        if (!day[column]) continue;
        const h = (day[column] / top) * (height - 8);
        y -= h;
        const bar = svg("rect", { x: pad + i * slot + 1, y: y, width: Math.max(1, slot - 2), height: h, class: "bar " + column });
        const tip = svg("title");
        tip.textContent = day.date + ": " + day[column] + " " + column;
        bar.append(tip);
        chart.append(bar);
      }
    });
    [0, days.length - 1].forEach((i) => {
      const label = svg("text", { x: i ? width : pad, y: height + 16, class: "tick", "text-anchor": i ? "end" : "start" });
      label.textContent = days[i].date.slice(5);
      chart.append(label);
    });
    $("chart").replaceChildren(chart);
    $("legend").replaceChildren(...COLUMNS.map((c) => el("span", { class: "key " + c }, c)));
    const rows = $("history").tBodies[0];
    rows.replaceChildren(...days.filter((d) => d.cycles).map((d) =>
      el("tr", {}, el("td", {}, d.date), el("td", {}, d.cycles), ...COLUMNS.map((c) => el("td", {}, d[c])))));
  }

  // log ---------------------------------------------------------------------------------------------

  function logParams(form) {
    const params = new URLSearchParams();
    for (const field of form.elements) {
      if (!field.name || !field.value.trim()) continue;
      let value = field.value.trim();
      if (field.type === "datetime-local") value = value + (value.length === 16 ? ":00" : "") + "Z";
      params.set(field.name, value);
    }
    return params;
  }

  function logRow(record) {
    const status = record.provisioningStatusInfo.status;
    const button = el("button", { type: "button", class: "link", "aria-haspopup": "dialog" }, "Steps");
    button.setAttribute("aria-label", "Steps of " + record.provisioningAction + " " + (record.sourceIdentity.displayName || record.sourceIdentity.id));
    button.addEventListener("click", () => openRecord(record, button));
    return el("tr", { "data-record": record.id },
      el("td", {}, when(record.activityDateTime)),
      el("td", {}, record.provisioningAction),
      el("td", { class: "status " + status }, status),
      el("td", {}, (record.sourceIdentity.displayName || "") + " ", el("small", {}, record.sourceIdentity.identityType + " " + record.sourceIdentity.id)),
      el("td", {}, record.targetIdentity.id || ""),
      el("td", {}, button));
  }

  async function loadLogs(append) {
    const params = new URLSearchParams(logQuery);
    params.set("top", "50");
    if (append && continuation) params.set("continuationToken", continuation);
    const page = await api("logs?" + params.toString());
    const body = $("logs").tBodies[0];
    if (!append) body.replaceChildren();
    body.append(...page.value.map(logRow));
    if (!body.rows.length) body.append(el("tr", {}, el("td", { colspan: "6" }, "no record matches")));
    continuation = page.continuationToken;
    $("more").hidden = !continuation;
    return page.value.length;
  }

  function stepsList(steps) {
    return el("ol", { class: "steps" }, steps.map((s) =>
      el("li", { class: "status " + s.status }, el("strong", {}, s.name), " (" + s.status + "): ", s.description)));
  }

  function propertiesTable(properties) {
    if (!properties.length) return el("p", {}, "No property changed.");
    return el("div", { class: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Property"), el("th", { scope: "col" }, "Old value"), el("th", { scope: "col" }, "New value"))),
      el("tbody", {}, properties.map((p) => el("tr", {}, el("td", {}, p.displayName), el("td", {}, p.oldValue ?? "(none)"), el("td", {}, p.newValue ?? "(none)"))))));
  }

  let opener = null;
  function openRecord(record, from) {
    opener = from;
    const info = record.provisioningStatusInfo;
    const error = info.errorInformation;
    $("record-title").textContent = record.provisioningAction + " " + (record.sourceIdentity.displayName || record.sourceIdentity.id) + ": " + info.status;
    $("record-body").replaceChildren(
      el("p", {}, "Cycle " + record.cycleId + ", " + when(record.activityDateTime) + (record.dryRun ? ", dry run" : "")),
      error ? el("p", { class: "error" }, (error.errorCode || "") + " " + (error.reason || "") + (error.recommendedAction ? " — " + error.recommendedAction : "")) : null,
      el("h3", {}, "Steps"), stepsList(record.provisioningSteps),
      el("h3", {}, "Modified properties"), propertiesTable(record.modifiedProperties));
    $("record").showModal();
    $("record-close").focus();
  }

  async function exportCsv() {
    // every page of the filtered log, following X-Continuation-Token; the header row once
    const parts = [];
    let token = null;
    for (let page = 0; page < CSV_MAX_PAGES; page++) {
      const params = new URLSearchParams(logQuery);
      params.set("format", "csv");
      params.set("top", "1000");
      if (token) params.set("continuationToken", token);
      const response = await api("logs?" + params.toString(), { raw: true, accept: "text/csv" });
      const text = await response.text();
      parts.push(page === 0 ? text : text.slice(text.indexOf("\r\n") + 2));
      token = response.headers.get("X-Continuation-Token");
      if (!token) break;
    }
    const blob = new Blob(parts, { type: "text/csv" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "provisioning-logs.csv", hidden: "" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    say("Exported the log as provisioning-logs.csv.");
  }

  // provision on demand -----------------------------------------------------------------------------

  function renderProvision(answer) {
    const results = answer.members ? answer.members : [answer];
    const out = [el("h3", {}, (answer.dryRun ? "Dry run" : "Provisioned") + " " + answer.entraId)];
    for (const r of results) {
      out.push(el("p", {}, "User " + r.entraId + ": " + r.action + " — " + r.status));
      out.push(stepsList(r.provisioningSteps || []));
      if (r.modifiedProperties && r.modifiedProperties.length) out.push(propertiesTable(r.modifiedProperties));
    }
    if (answer.group) {
      const group = answer.group;
      out.push(el("p", { class: "group-result" }, "Group " + answer.entraId + ": " + (group.action || "none") + " — " + group.status +
        (group.description ? ": " + group.description : "") + (group.members ? " (members " + group.members + ")" : "")));
      if (group.modifiedProperties && group.modifiedProperties.length) out.push(propertiesTable(group.modifiedProperties));
    }
    $("provision-result").replaceChildren(...out);
  }

  function provisionTarget() {
    return [$("provision-type").value, $("provision-id").value.trim().toLowerCase(), $("provision-members").value.trim()].join("/");
  }

  async function provision(dryRun) {
    const kind = $("provision-type").value;
    const id = $("provision-id").value.trim().toLowerCase();
    const members = $("provision-members").value.split(/[\s,]+/).filter(Boolean).map((m) => m.toLowerCase());
    const body = kind === "groups" && members.length ? JSON.stringify({ memberIds: members }) : undefined;
    $("provision-result").replaceChildren(el("p", {}, (dryRun ? "Dry run of " : "Provisioning ") + id + " …"));
    let answer;
    try {
      answer = await api("provision/" + kind + "/" + encodeURIComponent(id) + (dryRun ? "?dryRun=true" : ""), { method: "POST", body: body });
    } catch (e) {
      $("provision-result").replaceChildren();
      throw e;
    }
    renderProvision(answer);
    dryRunFor = dryRun ? provisionTarget() : null;
    $("provision-now").disabled = !dryRun;
    if (!dryRun) await refresh();
  }

  // staged deprovisions -----------------------------------------------------------------------------

  async function settle(approve) {
    const verb = approve ? "Approve" : "Reject";
    const what = approve ? "They are applied by the next timer cycle." : "The accounts stay as they are.";
    if (!confirm(verb + " " + staged + " staged deprovision" + (staged === 1 ? "" : "s") + "? " + what)) return;
    const answer = await api("staged/" + (approve ? "approve" : "reject"), { method: "POST" });
    say(approve ? (answer.detail || "Approval recorded.") : "Rejected " + (answer.settled ?? staged) + " staged deprovisions.");
    await refresh();
  }

  // wiring ------------------------------------------------------------------------------------------

  async function refresh() {
    const [status, history, retries] = await Promise.all([api("status"), api("cycles"), api("retries")]);
    renderStatus(status, history, retries);
    renderHistory(history);
  }

  function guard(action) {
    return async (event) => {
      if (event) event.preventDefault();
      fail("");
      try { await action(event); } catch (e) {
        if (!(e instanceof ApiFailure)) console.warn(e);
        fail(e.message);
      }
    };
  }

  async function connect() {
    await refresh();
    await loadLogs(false);
    say("Connected.");
    document.body.dataset.loaded = "true";
    if (timer) clearInterval(timer);
    timer = setInterval(guard(refresh), REFRESH_MS);
  }

  function takeKeyFromAddress() {
    // the key the page was opened with: ?code= (the Functions host needs it to serve the page, so it
    // stays for a reload) or #key=, dropped at once. Its own calls send it as a header, never in a URL.
    const query = new URLSearchParams(location.search);
    const fragment = new URLSearchParams(location.hash.slice(1));
    const given = fragment.get("key") || query.get("code");
    if (!given) return;
    key = given;
    sessionStorage.setItem(KEY_STORE, key);
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  document.addEventListener("DOMContentLoaded", () => {
    takeKeyFromAddress();
    $("key-form").addEventListener("submit", guard(async () => {
      key = $("key").value.trim();
      sessionStorage.setItem(KEY_STORE, key);
      $("key").value = "";
      await connect();
    }));
    $("log-form").addEventListener("submit", guard(async () => {
      logQuery = logParams($("log-form"));
      const n = await loadLogs(false);
      say(n + " records shown.");
    }));
    $("more").addEventListener("click", guard(() => loadLogs(true)));
    $("export").addEventListener("click", guard(exportCsv));
    $("provision-form").addEventListener("submit", guard(() => provision(true)));
    $("provision-now").addEventListener("click", guard(() => provision(false)));
    for (const field of ["provision-id", "provision-type", "provision-members"]) {
      $(field).addEventListener("input", () => {
        const current = provisionTarget();
        $("provision-now").disabled = current !== dryRunFor;
      });
    }
    $("approve").addEventListener("click", guard(() => settle(true)));
    $("reject").addEventListener("click", guard(() => settle(false)));
    $("record-close").addEventListener("click", () => $("record").close());
    $("record").addEventListener("close", () => { if (opener) opener.focus(); });
    if (key) guard(connect)();
  });
})();
