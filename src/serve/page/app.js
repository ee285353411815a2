// gdlab live: draws what a server-side session (burn's autodiff, gdlab's Trainer) reports.
"use strict";

const TEXT = {
  ko: {
    title: "gdlab live: 경사하강법", experiment: "실험", show_config: "설정 보기 (TOML)", start: "새 세션 시작",
    play: "재생", pause: "일시정지", step: "한 걸음", reset: "처음으로", lr: "학습률 η", speed: "속도 (걸음/초)",
    step_n: "걸음", loss: "손실 C", grad: "|∇C|", taylor: "∇C·ΔW / ΔC", params: "연결강도·편향", state: "상태",
    save: "실행으로 저장", view_caption: "손실 곡면 위의 경사하강: 클릭하면 시작점이 바뀝니다",
    curve_caption: "손실 C (로그 눈금) 대 걸음", lang: "English", running: "학습 중", paused: "멈춤",
    ended: "끝남", saved: "저장됨: ", no_view: "매개변수가 셋 이상이면 손실 곡선만 그립니다",
    completed: "완료", converged: "수렴", diverged: "발산", interrupted: "중단",
  },
  en: {
    title: "gdlab live: gradient descent", experiment: "Experiment", show_config: "Show config (TOML)", start: "Start a new session",
    play: "Play", pause: "Pause", step: "Step", reset: "Reset", lr: "Learning rate η", speed: "Speed (steps/s)",
    step_n: "Step", loss: "Loss C", grad: "|∇C|", taylor: "∇C·ΔW / ΔC", params: "Weights and bias", state: "State",
    save: "Save as run", view_caption: "Gradient descent on the loss surface: click to move the start",
    curve_caption: "Loss C (log scale) against steps", lang: "한국어", running: "training", paused: "paused",
    ended: "ended", saved: "saved: ", no_view: "With more than two parameters only the loss curve is drawn",
    completed: "completed", converged: "converged", diverged: "diverged", interrupted: "interrupted",
  },
};
let lang = (navigator.language || "ko").toLowerCase().startsWith("ko") ? "ko" : "en";
const $ = (id) => document.getElementById(id);
const t = (k) => TEXT[lang][k] || k;

const state = { id: null, source: null, params: [], rows: [], surface: null, range: null, ended: null, playing: false, overrides: [] };

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang").textContent = t("lang");
  readout();
}

function say(text, error) {
  $("message").textContent = text || "";
  $("message").className = error ? "error" : "";
}

async function api(method, path, body) {
  const r = await fetch(path, { method, body, headers: body && typeof body === "string" && body.startsWith("{") ? { "Content-Type": "application/json" } : {} });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(json && json.error ? json.error : r.statusText);
  return json;
}

const fmt = (v) => (v === null || v === undefined ? "-" : typeof v === "string" ? v : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(5));

function readout() {
  const r = state.rows[state.rows.length - 1];
  $("r-step").textContent = r ? r.step : "-";
  $("r-loss").textContent = r ? fmt(r.loss) : "-";
  $("r-grad").textContent = r ? fmt(r.grad_norm) : "-";
  $("r-taylor").textContent = r && r.predicted_dc !== null && r.actual_dc ? fmt(r.predicted_dc / r.actual_dc) : "-";
  $("r-params").textContent = r && r.params.length ? state.params.map((n, i) => `${n} = ${fmt(r.params[i])}`).join(", ") : "-";
  $("r-state").textContent = state.ended ? `${t("ended")} (${t(state.ended)})` : state.id ? (state.playing ? t("running") : t("paused")) : "-";
}

function lrValue() { return Math.pow(10, Number($("lr").value)); }

async function startSession() {
  if (state.source) state.source.close();
  if (state.id) api("DELETE", `/api/sessions/${state.id}`).catch(() => {});
  Object.assign(state, { id: null, rows: [], surface: null, range: null, ended: null, playing: false });
  say("");
  try {
    const q = state.overrides.map((s) => "set=" + encodeURIComponent(s)).join("&");
    const s = await api("POST", "/api/sessions" + (q ? "?" + q : ""), $("config").value);
    state.id = s.id;
    state.params = s.params;
    const lr = Number((s.config.match(/^lr = (.*)$/m) || [])[1]);
    if (lr > 0) { $("lr").value = Math.log10(lr); $("lr-value").textContent = fmt(lr); }
    await api("POST", `/api/sessions/${state.id}/control`, JSON.stringify({ speed: Number($("speed").value) }));
    listen();
  } catch (e) { say(e.message, true); }
  readout();
}

function listen() {
  const src = new EventSource(`/api/sessions/${state.id}/events`);
  state.source = src;
  src.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.event === "row") state.rows.push(e);
    else if (e.event === "reset") { state.rows = []; state.ended = null; }
    else if (e.event === "end") { state.ended = e.stop; state.playing = false; }
    if (state.rows.length && state.params.length <= 2 && state.rows[0].params.length && state.surface !== "loading" && (!state.surface || outside())) fetchSurface();
    readout();
    draw();
  };
}

async function fetchSurface() {
  // Around the start and every iterate so far, with room on both sides.
  const span = (i) => {
    const vs = state.rows.map((r) => r.params[i]).filter(isFinite);
    const lo = Math.min(...vs), hi = Math.max(...vs), w = Math.max(6, 2 * Math.max(Math.abs(lo), Math.abs(hi)), hi - lo);
    const mid = (lo + hi) / 2;
    return [mid - w, mid + w];
  };
  const p = state.rows[0].params;
  const xr = span(0);
  state.range = { x: xr, y: p.length > 1 ? span(1) : null };
  state.surface = "loading";
  try {
    const q = `x=${xr[0]}:${xr[1]}` + (state.range.y ? `&y=${state.range.y[0]}:${state.range.y[1]}&n=41` : "&n=101");
    state.surface = await api("GET", `/api/sessions/${state.id}/surface?${q}`);
  } catch (e) { state.surface = null; say(e.message, true); }
  draw();
}

// Whether the last iterate left the drawn range (then the surface is fetched again).
function outside() {
  const r = state.rows[state.rows.length - 1];
  if (!state.range || !r || !r.params.length) return false;
  const out = (v, [lo, hi]) => isFinite(v) && (v < lo || v > hi) && Math.abs(v) < 1e6;
  return out(r.params[0], state.range.x) || (state.range.y && r.params.length > 1 && out(r.params[1], state.range.y));
}

// --- drawing ---------------------------------------------------------------------------
const num = (v) => (typeof v === "number" ? v : v === "inf" ? Infinity : NaN);

function axes(ctx, w, h, pad) {
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = "#8a93a6";
  ctx.strokeRect(pad, pad / 2, w - pad * 1.5, h - pad * 1.5);
}

function drawCurve() {
  const c = $("curve"), ctx = c.getContext("2d"), w = c.width, h = c.height, pad = 40;
  axes(ctx, w, h, pad);
  const pts = state.rows.filter((r) => num(r.loss) > 0 && isFinite(num(r.loss)));
  if (!pts.length) return;
  const maxStep = Math.max(1, pts[pts.length - 1].step);
  const ls = pts.map((r) => Math.log10(num(r.loss)));
  let lo = Math.min(...ls), hi = Math.max(...ls);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const X = (s) => pad + (s / maxStep) * (w - pad * 1.5), Y = (l) => h - pad + ((lo - l) / (hi - lo)) * (h - pad * 1.5);
  ctx.strokeStyle = "#1d6fb8"; ctx.lineWidth = 2; ctx.beginPath();
  pts.forEach((r, i) => { const x = X(r.step), y = Y(ls[i]); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
  ctx.stroke();
  ctx.fillStyle = "#1d2433"; ctx.font = "12px sans-serif";
  ctx.fillText(`1e${hi.toFixed(1)}`, 2, pad / 2 + 10); ctx.fillText(`1e${lo.toFixed(1)}`, 2, h - pad);
  ctx.fillText("0", pad, h - pad / 2); ctx.fillText(String(maxStep), w - pad, h - pad / 2);
}

function drawView() {
  const c = $("view"), ctx = c.getContext("2d"), w = c.width, h = c.height, pad = 40;
  axes(ctx, w, h, pad);
  const s = state.surface;
  ctx.fillStyle = "#1d2433"; ctx.font = "13px sans-serif";
  if (state.params.length > 2) { ctx.fillText(t("no_view"), pad + 8, h / 2); return; }
  if (!s || s === "loading" || !state.range) return;
  const [x0, x1] = state.range.x;
  const X = (v) => pad + ((v - x0) / (x1 - x0)) * (w - pad * 1.5);
  ctx.fillText(`${state.params[0]}: ${fmt(x0)} … ${fmt(x1)}`, pad, h - 8);
  if (!state.range.y) {
    // One parameter: the curve C(b), the iterates on it, the tangent and the step at the last.
    const ys = s.loss.map(num).filter(isFinite);
    const top = Math.max(...ys), bottom = Math.min(...ys);
    const Y = (v) => h - pad - ((v - bottom) / (top - bottom || 1)) * (h - pad * 1.5);
    ctx.strokeStyle = "#6c757d"; ctx.lineWidth = 2; ctx.beginPath();
    s.x.forEach((x, i) => { const y = Y(num(s.loss[i])); i ? ctx.lineTo(X(x), y) : ctx.moveTo(X(x), y); });
    ctx.stroke();
    const it = state.rows.filter((r) => r.params.length === 1);
    ctx.strokeStyle = "rgba(214, 40, 40, 0.5)"; ctx.lineWidth = 1; ctx.beginPath();
    it.forEach((r, i) => { const x = X(r.params[0]), y = Y(num(r.loss)); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.stroke();
    it.forEach((r, i) => { ctx.fillStyle = i === it.length - 1 ? "#d62828" : "rgba(214, 40, 40, 0.6)"; ctx.beginPath(); ctx.arc(X(r.params[0]), Y(num(r.loss)), i === it.length - 1 ? 6 : 3, 0, 7); ctx.fill(); });
    const last = it[it.length - 1];
    if (last) {
      // Slope of C at the iterate, from the drawn curve (central difference on the grid).
      const b = last.params[0], dx = (x1 - x0) / (s.x.length - 1), k = Math.min(s.x.length - 2, Math.max(1, Math.round((b - x0) / dx)));
      const slope = (num(s.loss[k + 1]) - num(s.loss[k - 1])) / (2 * dx);
      const half = (x1 - x0) / 8;
      ctx.strokeStyle = "#2a9d8f"; ctx.lineWidth = 2; ctx.beginPath();
      ctx.moveTo(X(b - half), Y(num(last.loss) - slope * half)); ctx.lineTo(X(b + half), Y(num(last.loss) + slope * half)); ctx.stroke();
      // The step ΔW = −η ∇C along the axis.
      const next = b - last.lr * slope;
      ctx.strokeStyle = "#e76f51"; ctx.beginPath(); ctx.moveTo(X(b), h - pad - 4); ctx.lineTo(X(next), h - pad - 4); ctx.stroke();
      ctx.fillStyle = "#1d2433";
      ctx.fillText(`∂C/∂${state.params[0]} ≈ ${fmt(slope)}   ΔW = −η∇C ≈ ${fmt(next - b)}`, pad + 8, pad / 2 + 16);
    }
    return;
  }
  // Two parameters: the loss as a heat map (log), the path, the current point.
  const [y0, y1] = state.range.y;
  const Y = (v) => h - pad - ((v - y0) / (y1 - y0)) * (h - pad * 1.5);
  const z = s.loss.map((row) => row.map(num));
  const flat = z.flat().filter((v) => isFinite(v) && v > 0).map(Math.log10);
  const lo = Math.min(...flat), hi = Math.max(...flat);
  const n = s.x.length, cw = (w - pad * 1.5) / n + 1, ch = (h - pad * 1.5) / s.y.length + 1;
  z.forEach((row, j) => row.forEach((v, i) => {
    const u = isFinite(v) && v > 0 ? (Math.log10(v) - lo) / (hi - lo || 1) : 1;
    ctx.fillStyle = `hsl(${240 - 200 * u}, 70%, ${30 + 40 * u}%)`;
    ctx.fillRect(X(s.x[i]) - cw / 2, Y(s.y[j]) - ch / 2, cw, ch);
  }));
  ctx.fillStyle = "#1d2433";
  ctx.save(); ctx.translate(12, h / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(`${state.params[1]}: ${fmt(y0)} … ${fmt(y1)}`, -60, 0); ctx.restore();
  const it = state.rows.filter((r) => r.params.length === 2);
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.beginPath();
  it.forEach((r, i) => { const x = X(r.params[0]), y = Y(r.params[1]); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
  ctx.stroke();
  const last = it[it.length - 1];
  if (last) { ctx.fillStyle = "#d62828"; ctx.beginPath(); ctx.arc(X(last.params[0]), Y(last.params[1]), 6, 0, 7); ctx.fill(); }
}

function draw() { drawCurve(); drawView(); }

// A click on the view moves the start: the session starts again from there.
$("view").addEventListener("click", (ev) => {
  if (!state.range || state.params.length > 2) return;
  const c = $("view"), rect = c.getBoundingClientRect(), pad = 40;
  const px = ((ev.clientX - rect.left) / rect.width) * c.width, py = ((ev.clientY - rect.top) / rect.height) * c.height;
  const [x0, x1] = state.range.x;
  const x = x0 + ((px - pad) / (c.width - pad * 1.5)) * (x1 - x0);
  const values = [x];
  if (state.range.y) { const [y0, y1] = state.range.y; values.push(y0 + ((c.height - pad - py) / (c.height - pad * 1.5)) * (y1 - y0)); }
  const weights = [], sets = [];
  state.params.forEach((name, i) => { if (name === "b") sets.push(`model.start.bias=${values[i]}`); else weights.push(values[i]); });
  if (weights.length) sets.push(`model.start.weights=[${weights.join(",")}]`);
  state.overrides = sets;
  startSession();
});

async function control(body) {
  if (!state.id) return;
  try { await api("POST", `/api/sessions/${state.id}/control`, JSON.stringify(body)); } catch (e) { say(e.message, true); }
}

$("play").onclick = () => { state.playing = true; control({ action: "play" }); readout(); };
$("pause").onclick = () => { state.playing = false; control({ action: "pause" }); readout(); };
$("step").onclick = () => { state.playing = false; control({ action: "step" }); };
$("reset").onclick = () => { state.playing = false; control({ action: "reset", lr: lrValue() }); };
$("lr").oninput = () => { $("lr-value").textContent = fmt(lrValue()); control({ lr: lrValue() }); };
$("speed").oninput = () => { $("speed-value").textContent = $("speed").value; control({ speed: Number($("speed").value) }); };
$("start").onclick = () => { state.overrides = []; startSession(); };
$("lang").onclick = () => { lang = lang === "ko" ? "en" : "ko"; applyLanguage(); draw(); };
$("save").onclick = async () => {
  if (!state.id) return;
  try { const r = await api("POST", `/api/sessions/${state.id}/save`); say(t("saved") + r.run); } catch (e) { say(e.message, true); }
};

async function init() {
  applyLanguage();
  const { experiments } = await api("GET", "/api/experiments");
  const sel = $("experiment");
  experiments.forEach((e, i) => { const o = document.createElement("option"); o.value = i; o.textContent = `${e.name} (${e.path})`; sel.appendChild(o); });
  const pick = () => { const e = experiments[Number(sel.value)]; $("config").value = e.toml; $("description").textContent = e.description; state.overrides = []; startSession(); };
  sel.onchange = pick;
  const first = experiments.findIndex((e) => e.path.endsWith("lecture/parabola.toml"));
  sel.value = String(Math.max(0, first));
  pick();
}
init().catch((e) => say(e.message, true));
