// syncbeat admin: confirmations, live progress of running tasks, small form helpers.
// Plain JavaScript, no build step, nothing loaded from elsewhere.
"use strict";

(function () {
  const csrf = (document.querySelector("main[data-csrf]") || {}).dataset?.csrf || "";
  const ACTIVE = new Set(["pending", "running"]);
  const POLL_MS = 1000;

  // Forms that destroy something ask first.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // Bulk selection on the Task Manager.
  const all = document.getElementById("check-all");
  const bulk = document.getElementById("bulk-delete");
  function boxes() { return Array.from(document.querySelectorAll('input[name="ids"][form="bulk"]')); }
  function syncBulk() {
    if (!bulk) return;
    const n = boxes().filter((b) => b.checked).length;
    bulk.disabled = n === 0;
    bulk.textContent = n ? `Delete selected (${n})` : "Delete selected";
  }
  if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); syncBulk(); });
  document.addEventListener("change", (e) => { if (e.target.matches('input[name="ids"]')) syncBulk(); });

  // ---- live refresh of pending and running tasks, without a reload
  const fmt = (n) => Number(n).toLocaleString("en-US");
  const pad = (n) => String(n).padStart(2, "0");
  function when(iso) {
    if (!iso) return "";
    const zone = document.body.dataset.tz;
    const d = new Date(iso);
    try {
      const parts = new Intl.DateTimeFormat("en-CA", {
        timeZone: zone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      }).formatToParts(d);
      const get = (t) => (parts.find((p) => p.type === t) || {}).value;
      return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
    } catch (_) {
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    }
  }
  function duration(s) {
    if (s === null || s === undefined) return "";
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    if (s < 60) return `${s.toFixed(1)} s`;
    const m = Math.floor(s / 60), sec = Math.floor(s % 60);
    if (m < 60) return `${m} min ${pad(sec)} s`;
    return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
  }
  function setText(root, selector, text) {
    root.querySelectorAll(selector).forEach((el) => { el.textContent = text; });
  }

  function update(root, task) {
    const p = task.progress;
    root.dataset.status = task.status;
    root.querySelectorAll('[data-field="status"]').forEach((el) => {
      el.className = `badge st-${task.status}`;
      el.textContent = task.status.charAt(0).toUpperCase() + task.status.slice(1);
    });
    root.querySelectorAll('[data-field="message"]').forEach((el) => {
      const show = task.message && (task.status === "error" || task.status === "missed");
      el.hidden = !show;
      el.textContent = show ? task.message : "";
      el.title = show ? task.message : "";
    });
    setText(root, '[data-field="message-text"]', task.message || "—");
    const counts = { ...p, done: p.total - p.pending };
    for (const [name, value] of Object.entries(counts)) setText(root, `[data-count="${name}"]`, fmt(value));
    for (const name of ["processed", "skipped", "error", "cancelled"]) {
      root.querySelectorAll(`.seg-${name}`).forEach((el) => {
        if (el.classList.contains("seg")) el.style.width = p.total ? `${(100 * p[name]) / p.total}%` : "0";
      });
    }
    root.querySelectorAll(".progress .bar").forEach((bar) => {
      if (!bar.querySelector(".seg")) {
        for (const name of ["processed", "skipped", "error", "cancelled"]) {
          const seg = document.createElement("span");
          seg.className = `seg seg-${name}`;
          seg.style.width = p.total ? `${(100 * p[name]) / p.total}%` : "0";
          bar.appendChild(seg);
        }
      }
    });
    setText(root, '[data-field="started_at"]', when(task.started_at));
    setText(root, '[data-field="finished_at"]', when(task.finished_at));
    setText(root, '[data-field="duration"]', duration(task.duration_seconds));
    const active = ACTIVE.has(task.status);
    root.querySelectorAll('[data-field="kill"]').forEach((el) => { el.hidden = !active; });
    root.querySelectorAll('[data-field="export"]').forEach((el) => {
      el.classList.toggle("disabled", task.status !== "completed");
    });
  }

  async function poll() {
    const rows = Array.from(document.querySelectorAll("[data-live-task]"))
      .filter((el) => ACTIVE.has(el.dataset.status));
    if (!rows.length || document.hidden) return rows.length > 0;
    const ids = [...new Set(rows.map((el) => el.dataset.liveTask))].join(",");
    try {
      const res = await fetch(`/api/tasks/live?ids=${ids}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!res.ok) return true;
      const data = await res.json();
      const byId = new Map(data.tasks.map((t) => [String(t.id), t]));
      rows.forEach((el) => { const t = byId.get(el.dataset.liveTask); if (t) update(el, t); });
    } catch (_) { /* the server restarts: try again at the next beat */ }
    return true;
  }
  async function loop() {
    const more = await poll();
    if (more) setTimeout(loop, POLL_MS);
  }
  if (document.querySelector("[data-live-task]")) setTimeout(loop, POLL_MS);

  // The tail of a log reads from its end.
  document.querySelectorAll("pre.log").forEach((log) => { log.scrollTop = log.scrollHeight; });

  // ---- the profile form: rows of the mapping, the cron field's next runs
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    button.addEventListener("click", () => {
      const body = document.querySelector(`#${button.dataset.addRow} tbody`);
      const last = body.querySelector("tr:last-child");
      const row = last.cloneNode(true);
      row.className = "";
      row.querySelectorAll("input").forEach((i) => { i.value = ""; });
      row.querySelectorAll(".field-error").forEach((e) => e.remove());
      body.appendChild(row);
      row.querySelector("input").focus();
    });
  });

  const cron = document.getElementById("schedule");
  const zone = document.getElementById("timezone");
  const runs = document.getElementById("cron-runs");
  const words = document.getElementById("cron-words");
  let timer = null;
  async function checkCron() {
    const expr = cron.value.trim();
    if (!expr) { runs.innerHTML = ""; words.textContent = "By hand only: no schedule."; words.className = "cron-words"; return; }
    const q = new URLSearchParams({ cron: expr, timezone: zone.value.trim() || "UTC" });
    try {
      const res = await fetch(`/api/schedule?${q}`, { credentials: "same-origin" });
      const data = await res.json();
      runs.innerHTML = "";
      if (!res.ok) { words.textContent = data.message; words.className = "cron-words bad"; return; }
      words.textContent = data.words;
      words.className = "cron-words";
      for (const at of data.next_runs_local) {
        const li = document.createElement("li");
        li.textContent = at;
        runs.appendChild(li);
      }
    } catch (_) { /* offline: the server checks it on save */ }
  }
  if (cron && zone && runs) {
    const later = () => { clearTimeout(timer); timer = setTimeout(checkCron, 300); };
    cron.addEventListener("input", later);
    zone.addEventListener("input", later);
  }

  window.syncbeat = { csrf };
})();
