// gdlab live, the common part: words in two languages, the API, a live session, the shared
// control panel, charts, and the page switcher. Every number drawn comes from the server
// (burn's autodiff and gdlab's Trainer); the page only draws it.
"use strict";

const TEXT = {
  ko: {
    title: "gdlab live: 경사하강법", lang: "English",
    play: "재생", pause: "일시정지", step: "한 번 업데이트", reset: "처음으로", lr: "학습률 η", speed: "속도 (업데이트/초)",
    step_n: "업데이트", loss: "손실값 C", grad: "|∇C|", params: "연결강도·편향", state: "상태",
    save: "실행으로 저장", saved: "저장됨: ", show_config: "설정 보기 (gdlab train이 실행할 TOML)",
    running: "학습 중", paused: "멈춤", ended: "끝남",
    completed: "완료", converged: "수렴", diverged: "발산", interrupted: "중단",
    steps_axis: "업데이트 k", loss_axis: "손실값 C (로그)",
    name: "이름", name_hint: "선생님께 보일 이름", sent_lab: "선생님이 보낸 실험입니다.", sent_page: "선생님이 이 페이지를 보냈습니다.",
    report: "강의 보고서에서 더 읽기", report_section: "{n}절",
  },
  en: {
    title: "gdlab live: gradient descent", lang: "한국어",
    play: "Play", pause: "Pause", step: "Step", reset: "Reset", lr: "Learning rate η", speed: "Speed (steps/s)",
    step_n: "Step", loss: "Loss C", grad: "|∇C|", params: "Weights and bias", state: "State",
    save: "Save as run", saved: "saved: ", show_config: "Show config (the TOML gdlab train would run)",
    running: "training", paused: "paused", ended: "ended",
    completed: "completed", converged: "converged", diverged: "diverged", interrupted: "interrupted",
    steps_axis: "step k", loss_axis: "loss C (log)",
    name: "Name", name_hint: "the name your teacher sees", sent_lab: "Your teacher sent this experiment.", sent_page: "Your teacher sent this page.",
    report: "Read more in the lecture report", report_section: "section {n}",
  },
};
let lang = (new URLSearchParams(location.search).get("lang") || navigator.language || "ko").toLowerCase().startsWith("ko") ? "ko" : "en";
const $ = (id) => document.getElementById(id);
/// A word in the current language; pages add their own with `words`.
const t = (k) => (TEXT[lang] && TEXT[lang][k]) || TEXT.en[k] || k;
function words(ko, en) { Object.assign(TEXT.ko, ko); Object.assign(TEXT.en, en); }

/// `el("div", {class: "x"}, child...)`; a child is a node or text.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}
/// A text node that follows the language switch.
function tx(key) { return el("span", { "data-t": key }, t(key)); }

/// Errors the page met (shown to the user, and read by the browser tests).
window.gdlabErrors = [];
window.addEventListener("error", (e) => window.gdlabErrors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.gdlabErrors.push(String(e.reason)));

function say(text, error) {
  if (error) window.gdlabErrors.push(String(text));
  $("message").textContent = text || "";
  $("message").className = error ? "error" : "";
}

async function api(method, path, body) {
  const headers = body && typeof body === "string" && body.startsWith("{") ? { "Content-Type": "application/json" } : {};
  const r = await fetch(path, { method, body, headers });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!r.ok) throw new Error(json && json.error ? json.error : `${r.status} ${r.statusText}`);
  return json;
}

const num = (v) => (typeof v === "number" ? v : v === "inf" ? Infinity : v === "-inf" ? -Infinity : NaN);
const fmt = (v) => {
  if (v === null || v === undefined) return "-";
  if (typeof v === "string") return v;
  if (!isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/// Shipped configs by path ("lecture/parabola.toml" -> TOML text), fetched once.
let shippedCache = null;
async function shipped(path) {
  if (!shippedCache) shippedCache = (await api("GET", "/api/experiments")).experiments;
  if (!path) return shippedCache;
  const e = shippedCache.find((x) => x.path.endsWith(path));
  if (!e) throw new Error(`no shipped config ${path}`);
  return e.toml;
}

/// One live session on the server: a config trained step by step, its rows streamed in.
class Live {
  constructor(label, color) {
    Object.assign(this, { label, color, id: null, params: [], data: null, config: "", rows: [], ended: null, playing: false, source: null, onrow: null, lr: null });
  }
  /// Starts (or restarts) the session on `toml` with `set=KEY=VALUE` overrides.
  async start(toml, sets) {
    this.close();
    Object.assign(this, { rows: [], ended: null, playing: false });
    // The page that opens the session, for the teacher's view.
    const q = [`page=${current ? current.page.id : ""}`].concat((sets || []).map((s) => "set=" + encodeURIComponent(s))).join("&");
    const s = await api("POST", "/api/sessions?" + q, toml);
    Object.assign(this, { id: s.id, params: s.params, data: s.data, config: s.config });
    this.lr = Number((s.config.match(/^lr = (.*)$/m) || [])[1]);
    const src = new EventSource(`/api/sessions/${this.id}/events`);
    this.source = src;
    src.onmessage = (m) => {
      const e = JSON.parse(m.data);
      if (e.event === "row") this.rows.push(e);
      else if (e.event === "reset") { this.rows = []; this.ended = null; }
      else if (e.event === "end") { this.ended = e.stop; this.playing = false; }
      if (this.onrow) this.onrow(e);
    };
    return this;
  }
  last() { return this.rows[this.rows.length - 1]; }
  async control(body) {
    if (!this.id) return;
    if (body.action === "play") this.playing = true;
    if (body.action === "pause" || body.action === "step" || body.action === "reset") this.playing = false;
    if (body.lr) this.lr = body.lr;
    try { await api("POST", `/api/sessions/${this.id}/control`, JSON.stringify(body)); } catch (e) { say(e.message, true); }
  }
  close() {
    if (this.source) this.source.close();
    if (this.id) api("DELETE", `/api/sessions/${this.id}`).catch(() => {});
    this.id = null;
    this.source = null;
  }
  state() {
    if (this.ended) return `${t("ended")} (${t(this.ended)})`;
    return this.id ? (this.playing ? t("running") : t("paused")) : "-";
  }
}

/// Play / pause / step / reset, learning rate and speed for one or more sessions (a race
/// drives them together), a readout per session, "show config" and "save as run".
function controlPanel(lives, opts) {
  opts = opts || {};
  const lr = el("input", { type: "range", min: opts.lrMin ?? -3, max: opts.lrMax ?? 1, step: 0.01, value: -1, "aria-label": "lr" });
  const lrOut = el("output", {}, "");
  const speed = el("input", { type: "range", min: 1, max: 200, step: 1, value: opts.speed || 20, "aria-label": "speed" });
  const speedOut = el("output", {}, speed.value);
  const lrValue = () => Math.pow(10, Number(lr.value));
  const all = (body) => lives.forEach((l) => l.control(body));
  const readout = el("table", { class: "readout" });
  const configs = el("pre", { class: "config" });
  const panel = el("div", { class: "panel" },
    el("div", { class: "controls" },
      el("button", { type: "button", id: "play", onclick: () => all({ action: "play" }) }, tx("play")),
      el("button", { type: "button", id: "pause", onclick: () => all({ action: "pause" }) }, tx("pause")),
      el("button", { type: "button", id: "step", onclick: () => all({ action: "step" }) }, tx("step")),
      el("button", { type: "button", id: "reset", onclick: () => all({ action: "reset", lr: lrValue() }) }, tx("reset"))),
    opts.noLr ? null : el("label", {}, el("span", {}, tx("lr"), " ", lrOut), lr),
    el("label", {}, el("span", {}, tx("speed"), " ", speedOut), speed),
    readout,
    el("details", {}, el("summary", {}, tx("show_config")), configs),
    el("div", { class: "controls" }, lives.map((l) => el("button", {
      type: "button", class: "save", onclick: async () => {
        if (!l.id) return;
        try { const r = await api("POST", `/api/sessions/${l.id}/save`); say(t("saved") + r.run); } catch (e) { say(e.message, true); }
      },
    }, tx("save"), lives.length > 1 ? ` (${l.label})` : ""))));
  lr.oninput = () => { lrOut.textContent = fmt(lrValue()); all({ lr: lrValue() }); };
  speed.oninput = () => { speedOut.textContent = speed.value; all({ speed: Number(speed.value) }); };
  return {
    node: panel,
    /// After (re)starting the sessions: the slider shows the config's learning rate.
    started() {
      const l = lives.find((x) => x.lr > 0);
      if (l) { lr.value = Math.log10(l.lr); lrOut.textContent = fmt(l.lr); }
      lives.forEach((x) => x.control({ speed: Number(speed.value) }));
      configs.textContent = lives.filter((x) => x.id).map((x) => (lives.length > 1 ? `# ${x.label}\n` : "") + x.config).join("\n");
      this.update();
    },
    update() {
      const rows = [el("tr", {}, el("th", {}, ""), el("th", {}, tx("step_n")), el("th", {}, tx("loss")), el("th", {}, tx("grad")), el("th", {}, tx("state")))];
      for (const l of lives) {
        const r = l.last();
        rows.push(el("tr", {}, el("th", { style: `color:${l.color || "inherit"}` }, l.label || ""),
          el("td", { class: "r-step" }, r ? r.step : "-"), el("td", { class: "r-loss" }, r ? fmt(num(r.loss)) : "-"),
          el("td", {}, r ? fmt(num(r.grad_norm)) : "-"), el("td", { class: "r-state" }, l.state())));
        if (r && r.params.length && lives.length === 1) {
          rows.push(el("tr", {}, el("td", { colspan: 5, class: "r-params" }, l.params.map((n, i) => `${n} = ${fmt(num(r.params[i]))}`).join(", "))));
        }
      }
      readout.replaceChildren(...rows);
    },
  };
}

// --- drawing ---------------------------------------------------------------------------

/// A plot box in a canvas with linear or log axes, ticks and axis names.
class Plot {
  constructor(canvas, xr, yr, o) {
    o = o || {};
    this.c = canvas; this.ctx = canvas.getContext("2d");
    this.pad = { l: 58, r: o.right || 14, t: o.top || 26, b: 38 };
    this.logY = !!o.logY;
    this.xr = xr; this.yr = this.logY ? [Math.log10(yr[0]), Math.log10(yr[1])] : yr;
    if (this.yr[1] - this.yr[0] < 1e-12) this.yr = [this.yr[0] - 1, this.yr[1] + 1];
    if (this.xr[1] - this.xr[0] < 1e-12) this.xr = [this.xr[0] - 1, this.xr[1] + 1];
    this.w = canvas.width - this.pad.l - this.pad.r; this.h = canvas.height - this.pad.t - this.pad.b;
  }
  X(v) { return this.pad.l + ((v - this.xr[0]) / (this.xr[1] - this.xr[0])) * this.w; }
  Y(v) { const u = this.logY ? Math.log10(v) : v; return this.pad.t + this.h - ((u - this.yr[0]) / (this.yr[1] - this.yr[0])) * this.h; }
  invX(px) { return this.xr[0] + ((px - this.pad.l) / this.w) * (this.xr[1] - this.xr[0]); }
  invY(py) { const u = this.yr[0] + ((this.pad.t + this.h - py) / this.h) * (this.yr[1] - this.yr[0]); return this.logY ? Math.pow(10, u) : u; }
  clear() { this.ctx.clearRect(0, 0, this.c.width, this.c.height); }
  frame(xname, yname) {
    const ctx = this.ctx;
    ctx.strokeStyle = "#8a93a6"; ctx.lineWidth = 1; ctx.strokeRect(this.pad.l, this.pad.t, this.w, this.h);
    ctx.fillStyle = "#1d2433"; ctx.font = "12px system-ui, 'Noto Sans CJK KR', sans-serif";
    ctx.textAlign = "center";
    for (const v of ticks(this.xr[0], this.xr[1], 6)) {
      const x = this.X(v); ctx.fillText(fmt(v), x, this.pad.t + this.h + 14);
      ctx.beginPath(); ctx.moveTo(x, this.pad.t + this.h); ctx.lineTo(x, this.pad.t + this.h + 4); ctx.stroke();
    }
    ctx.textAlign = "right";
    for (const u of ticks(this.yr[0], this.yr[1], 5, this.logY)) {
      const v = this.logY ? Math.pow(10, u) : u, y = this.Y(v);
      ctx.fillText(fmt(v), this.pad.l - 6, y + 4);
      ctx.beginPath(); ctx.moveTo(this.pad.l - 4, y); ctx.lineTo(this.pad.l, y); ctx.stroke();
    }
    ctx.textAlign = "center";
    if (xname) ctx.fillText(xname, this.pad.l + this.w / 2, this.c.height - 6);
    if (yname) { ctx.save(); ctx.translate(12, this.pad.t + this.h / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(yname, 0, 0); ctx.restore(); }
    ctx.textAlign = "left";
  }
  line(pts, color, width, dash) {
    const ctx = this.ctx; ctx.save();
    ctx.beginPath(); ctx.rect(this.pad.l, this.pad.t, this.w, this.h); ctx.clip();
    ctx.strokeStyle = color; ctx.lineWidth = width || 2; ctx.setLineDash(dash || []);
    ctx.beginPath();
    let on = false;
    for (const [x, y] of pts) {
      if (!isFinite(x) || !isFinite(y) || (this.logY && y <= 0)) { on = false; continue; }
      const px = this.X(x), py = Math.max(-1e4, Math.min(1e4, this.Y(y)));
      on ? ctx.lineTo(px, py) : ctx.moveTo(px, py); on = true;
    }
    ctx.stroke(); ctx.restore();
  }
  dot(x, y, color, r) {
    if (!isFinite(x) || !isFinite(y)) return;
    const ctx = this.ctx; ctx.fillStyle = color; ctx.beginPath(); ctx.arc(this.X(x), this.Y(y), r || 4, 0, 7); ctx.fill();
  }
  /// Names and colours above the plot, never over the data.
  legend(items) {
    const ctx = this.ctx; ctx.font = "12px system-ui, 'Noto Sans CJK KR', sans-serif";
    let x = this.pad.l;
    for (const [name, color, dash] of items) {
      ctx.strokeStyle = color; ctx.lineWidth = 3; ctx.setLineDash(dash || []);
      ctx.beginPath(); ctx.moveTo(x, 12); ctx.lineTo(x + 18, 12); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = "#1d2433"; ctx.fillText(name, x + 22, 16);
      x += 30 + ctx.measureText(name).width;
    }
  }
}

/// About `n` round tick values in [a, b] (on a log axis: whole powers of ten).
function ticks(a, b, n, log) {
  if (log) {
    // Whole decades; within a narrow span, 1-2-5 steps as well, so an axis is never bare.
    const lo = Math.ceil(a), hi = Math.floor(b), stride = Math.max(1, Math.ceil((hi - lo + 1) / n));
    const out = []; for (let u = lo; u <= hi; u += stride) out.push(u);
    if (b - a < 2) {
      for (let k = Math.floor(a); k <= Math.ceil(b); k++) for (const m of [2, 5]) { const u = k + Math.log10(m); if (u >= a && u <= b) out.push(u); }
      out.sort((x, y) => x - y);
    }
    return out;
  }
  const raw = (b - a) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const stride = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = []; for (let v = Math.ceil(a / stride) * stride; v <= b + stride * 1e-9; v += stride) out.push(Math.abs(v) < stride * 1e-9 ? 0 : v);
  return out;
}

/// Loss (log) against steps for several sessions, one colour each.
function drawLossChart(canvas, lives, key, yname) {
  key = key || "loss";
  const series = lives.map((l) => l.rows.map((r) => [r.step, num(r[key])]).filter(([, y]) => isFinite(y) && y > 0));
  const ys = series.flat().map(([, y]) => y), xs = series.flat().map(([x]) => x);
  const p = new Plot(canvas, [0, Math.max(1, ...xs)], ys.length ? [Math.min(...ys), Math.max(...ys)] : [1e-3, 1], { logY: true });
  p.clear(); p.frame(t("steps_axis"), yname || t("loss_axis"));
  series.forEach((s, i) => p.line(s, lives[i].color || "#1d6fb8"));
  if (lives.length > 1) p.legend(lives.map((l) => [l.label, l.color]));
  return p;
}

/// The colour of a value u in [0, 1] (dark blue low, yellow high), in `bands` steps so equal
/// colours read as contour bands.
function heat(u, bands) {
  if (!isFinite(u)) return "#9aa0a6";
  u = Math.max(0, Math.min(1, u));
  if (bands) u = Math.floor(u * bands) / bands;
  return `hsl(${250 - 200 * u}, 70%, ${22 + 48 * u}%)`;
}

/// A grid z[j][i] over xs × ys drawn as cells, with a colour bar at the right.
function heatMap(p, xs, ys, z, o) {
  o = o || {};
  const f = o.log ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
  const vals = z.flat().map(num).map(f).filter(isFinite);
  const lo = o.lo ?? Math.min(...vals), hi = o.hi ?? Math.max(...vals);
  const ctx = p.ctx, cw = Math.abs(p.X(xs[1]) - p.X(xs[0])) + 1, ch = Math.abs(p.Y(ys[1]) - p.Y(ys[0])) + 1;
  ctx.save(); ctx.beginPath(); ctx.rect(p.pad.l, p.pad.t, p.w, p.h); ctx.clip();
  z.forEach((row, j) => row.forEach((v, i) => {
    ctx.fillStyle = (o.color || ((u) => heat(u, o.bands)))((f(num(v)) - lo) / (hi - lo || 1));
    ctx.fillRect(p.X(xs[i]) - cw / 2, p.Y(ys[j]) - ch / 2, cw, ch);
  }));
  ctx.restore();
  if (o.bar !== false) {
    const x = p.pad.l + p.w + 10, h = p.h;
    for (let k = 0; k < h; k++) { ctx.fillStyle = (o.color || ((u) => heat(u, o.bands)))(1 - k / h); ctx.fillRect(x, p.pad.t + k, 14, 1.5); }
    ctx.fillStyle = "#1d2433"; ctx.font = "11px system-ui, sans-serif";
    const lab = (u) => (o.log ? `1e${u.toFixed(1)}` : fmt(u));
    ctx.fillText(lab(hi), x - 2, p.pad.t - 4); ctx.fillText(lab(lo), x - 2, p.pad.t + h + 12);
    if (o.barName) { ctx.save(); ctx.translate(x + 26, p.pad.t + h / 2); ctx.rotate(Math.PI / 2); ctx.textAlign = "center"; ctx.fillText(o.barName, 0, 0); ctx.restore(); }
  }
}

function arrow(ctx, x0, y0, x1, y1, color, width) {
  const a = Math.atan2(y1 - y0, x1 - x0), L = Math.hypot(x1 - x0, y1 - y0);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = width || 2;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  if (L < 3) return;
  const h = Math.min(10, L / 2);
  ctx.beginPath(); ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - h * Math.cos(a - 0.4), y1 - h * Math.sin(a - 0.4)); ctx.lineTo(x1 - h * Math.cos(a + 0.4), y1 - h * Math.sin(a + 0.4));
  ctx.closePath(); ctx.fill();
}

/// Canvas coordinates of a mouse event.
function canvasPoint(canvas, ev) {
  const r = canvas.getBoundingClientRect();
  return [((ev.clientX - r.left) / r.width) * canvas.width, ((ev.clientY - r.top) / r.height) * canvas.height];
}

/// Calls `f` at most once per `ms` (the last call wins).
function throttle(f, ms) {
  let due = 0, timer = null, args = null;
  return (...a) => {
    args = a;
    if (timer) return;
    const wait = Math.max(0, due - Date.now());
    timer = setTimeout(() => { timer = null; due = Date.now() + ms; f(...args); }, wait);
  };
}

// --- pages -----------------------------------------------------------------------------

/// Pages register here (pages.js): {id, ko, en, report: [the report's sections], mount(root)
/// -> unmount}.
const PAGES = [];
let current = null;

function showPage() {
  const id = location.hash.slice(1) || PAGES[0].id;
  const page = PAGES.find((p) => p.id === id) || PAGES[0];
  if (current && current.unmount) current.unmount();
  say("");
  const root = $("page");
  root.replaceChildren();
  root.dataset.page = page.id;
  if (page.report) root.append(reportLinks(page.report));
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === page.id));
  current = { page, unmount: null };
  Promise.resolve(page.mount(root)).then((u) => { if (current && current.page === page) current.unmount = u; else if (u) u(); })
    .catch((e) => say(e.message, true));
}

/// Links to the page's sections of the lecture report (served at /report/, in this language).
function reportLinks(sections) {
  const p = document.createElement("p");
  p.className = "report-link";
  const fill = () => {
    p.replaceChildren(`${t("report")}: `);
    sections.forEach((n, k) => {
      const a = document.createElement("a");
      a.href = `/report/#${lang}-${n}`;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = t("report_section").replace("{n}", n);
      p.append(...(k ? [", ", a] : [a]));
    });
  };
  fill();
  p.fill = fill; // applyLanguage refills it
  return p;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((e) => { e.textContent = t(e.dataset.t); });
  $("lang").textContent = t("lang");
  PAGES.forEach((p, k) => { const a = document.querySelector(`#nav a[data-page="${p.id}"]`); if (a) a.textContent = `${k + 1}. ${p[lang]}`; });
  document.querySelectorAll(".report-link").forEach((p) => p.fill());
  window.dispatchEvent(new Event("gdlab-language"));
}

/// In a classroom: the student's name field, and the teacher's "send to everyone" followed
/// (the lab page starts the config sent; the lecture pages have their own).
async function joinClass() {
  const me = await api("GET", "/api/me");
  if (!me.classroom) return;
  if (me.student) {
    const name = el("input", { id: "student-name", maxlength: 40, size: 18, placeholder: t("name_hint"), value: me.name || "" });
    window.addEventListener("gdlab-language", () => { name.placeholder = t("name_hint"); });
    name.onchange = () => api("POST", "/api/me", JSON.stringify({ name: name.value })).catch((e) => say(e.message, true));
    $("lang").before(el("label", { class: "inline" }, tx("name"), name));
  }
  const sent = new EventSource("/api/class/events");
  sent.onmessage = (m) => {
    const s = JSON.parse(m.data);
    const lab = s.config && s.page === "lab";
    if (lab) sessionStorage.setItem("gdlab-config", s.config);
    if (location.hash === `#${s.page}`) showPage(); else location.hash = s.page;
    setTimeout(() => say(t(lab ? "sent_lab" : "sent_page")), 0);
  };
}

function startApp() {
  $("nav").replaceChildren(...PAGES.map((p) => el("a", { href: `#${p.id}`, "data-page": p.id }, p[lang])));
  $("lang").onclick = () => { lang = lang === "ko" ? "en" : "ko"; applyLanguage(); };
  window.addEventListener("hashchange", showPage);
  window.addEventListener("beforeunload", () => { if (current && current.unmount) current.unmount(); });
  applyLanguage();
  showPage();
  joinClass().catch((e) => say(e.message, true));
}
