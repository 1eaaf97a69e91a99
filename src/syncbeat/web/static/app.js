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

  // Error and Missed say why; Killed says who or what killed it, and when.
  const REASONED = new Set(["error", "missed", "killed"]);
  function reason(task) {
    if (!task.message) return "";
    return task.status === "killed" && task.finished_at
      ? `${task.message} · ${when(task.finished_at)}` : task.message;
  }

  function update(root, task) {
    const p = task.progress;
    root.dataset.status = task.status;
    root.querySelectorAll('[data-field="status"]').forEach((el) => {
      el.className = `badge st-${task.status}`;
      el.textContent = task.status.charAt(0).toUpperCase() + task.status.slice(1);
    });
    const why = reason(task);
    root.querySelectorAll('[data-field="message"]').forEach((el) => {
      const show = Boolean(task.message) && REASONED.has(task.status);
      el.hidden = !show;
      el.textContent = show ? why : "";
      el.title = show ? why : "";
    });
    setText(root, '[data-field="message-text"]', why || "—");
    const counts = { ...p, done: p.total - p.pending - p.cancelled };
    root.querySelectorAll('[data-field="cancelled-text"]').forEach((el) => { el.hidden = !p.cancelled; });
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
  // The Task Manager's grid also gains the tasks created since it was loaded (by the CLI, a
  // schedule, another user) and loses the deleted ones: the same page, fetched again, gives
  // the rows of the current sort, filters and page.
  const grid = document.querySelector("table[data-live-list]");
  const LIST_MS = 3000;
  let listAt = 0;
  function rowIds(body) {
    return Array.from(body.querySelectorAll("tr[data-live-task]")).map((r) => r.dataset.liveTask).join(",");
  }
  async function refreshList() {
    if (!grid || document.hidden || Date.now() - listAt < LIST_MS) return;
    listAt = Date.now();
    if (document.querySelector(".progress.open")) return;  // not under a reader's tooltip
    try {
      const res = await fetch(grid.dataset.liveList, { credentials: "same-origin" });
      if (!res.ok || !res.url.includes("/tasks")) return;
      const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
      const body = fresh.querySelector("table[data-live-list] tbody");
      const current = grid.querySelector("tbody");
      if (!body || rowIds(body) === rowIds(current)) return;
      const checked = new Set(boxes().filter((b) => b.checked).map((b) => b.value));
      current.replaceWith(document.importNode(body, true));
      boxes().forEach((b) => { b.checked = checked.has(b.value); });
      const count = fresh.querySelector("#tasks-head .count");
      if (count) document.querySelector("#tasks-head .count").textContent = count.textContent;
      syncBulk();
    } catch (_) { /* the server restarts: try again later */ }
  }

  async function loop() {
    const more = await poll();
    await refreshList();
    if (more || grid) setTimeout(loop, POLL_MS);
  }
  if (document.querySelector("[data-live-task]") || grid) setTimeout(loop, POLL_MS);

  // The counts of a progress bar: on hover, on keyboard focus and on tap, placed in the
  // window (never clipped by the table's scrolling box), upward when there is no room below.
  function place(progress) {
    const tip = progress.querySelector(".tip");
    if (!tip) return;
    tip.classList.add("placed");
    tip.classList.remove("above");
    tip.style.display = "block";
    const box = progress.getBoundingClientRect();
    const w = tip.offsetWidth, h = tip.offsetHeight;
    const below = box.bottom + 6 + h <= window.innerHeight;
    const top = below ? box.bottom + 6 : Math.max(4, box.top - 6 - h);
    const left = Math.max(4, Math.min(box.left, window.innerWidth - w - 4));
    tip.classList.toggle("above", !below);
    tip.style.top = `${top}px`;
    tip.style.left = `${left}px`;
    tip.style.setProperty("--arrow-left", `${Math.max(8, Math.min(w - 18, box.left - left + 16))}px`);
    tip.style.display = "";
  }
  function closeTips(except) {
    document.querySelectorAll(".progress.open").forEach((el) => { if (el !== except) el.classList.remove("open"); });
  }
  document.addEventListener("mouseover", (e) => {
    const progress = e.target.closest?.(".progress");
    if (progress && !progress.contains(e.relatedTarget)) place(progress);
  });
  document.addEventListener("focusin", (e) => {
    const progress = e.target.closest?.(".progress");
    if (progress) { closeTips(progress); place(progress); progress.classList.add("open"); }
  });
  document.addEventListener("focusout", (e) => {
    const progress = e.target.closest?.(".progress");
    if (progress && !progress.contains(e.relatedTarget)) progress.classList.remove("open");
  });
  document.addEventListener("click", (e) => {
    const progress = e.target.closest?.(".progress");
    closeTips(progress);
    if (progress) { place(progress); progress.classList.add("open"); }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeTips(null); });
  window.addEventListener("scroll", () => document.querySelectorAll(".progress.open").forEach(place), true);
  window.addEventListener("resize", () => document.querySelectorAll(".progress.open").forEach(place));

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
