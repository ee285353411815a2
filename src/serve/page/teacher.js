// gdlab live, the teacher's view: every live session of the class as a card (student, page,
// learning rate, step, loss and its curve, state), from /api/teacher/events twice a second;
// pause all, end a student's sessions, send a page and config to every student's page.

const $ = (id) => document.getElementById(id);
window.gdlabErrors = [];
window.addEventListener("error", (e) => window.gdlabErrors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.gdlabErrors.push(String(e.reason)));

const STATE = { playing: "학습 중 · playing", paused: "멈춤 · paused", ended: "끝남 · ended", diverged: "발산 · diverged" };

function say(text, error) {
  if (error) window.gdlabErrors.push(String(text));
  $("message").textContent = text || "";
  $("message").className = error ? "error" : "";
}

async function api(method, path, body) {
  const r = await fetch(path, { method, body, headers: body ? { "Content-Type": "application/json" } : {} });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!r.ok) throw new Error(json && json.error ? json.error : `${r.status} ${r.statusText}`);
  return json;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}

const num = (v) => (typeof v === "number" ? v : v === "inf" ? Infinity : v === "-inf" ? -Infinity : NaN);
const fmt = (v) => (!isFinite(v) ? String(v) : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(4))));

/// The loss curve as a polyline on a log scale (points that are not positive numbers left out).
function curve(svg, losses) {
  const ys = losses.map(num).map((v) => (v > 0 && isFinite(v) ? Math.log10(v) : NaN));
  const ok = ys.filter(isFinite);
  const lo = Math.min(...ok), hi = Math.max(...ok), span = hi - lo || 1;
  const pts = ys.map((y, i) => (isFinite(y) ? `${(i / Math.max(1, ys.length - 1)) * 200},${56 - ((y - lo) / span) * 52}` : null)).filter(Boolean);
  svg.firstChild.setAttribute("points", pts.join(" "));
}

const cards = new Map();

function card(s) {
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("viewBox", "0 0 200 60");
  svg.setAttribute("class", "curve");
  svg.append(document.createElementNS(svgNS, "polyline"));
  const node = el("article", { class: "card", "data-session": s.id },
    el("h2", {}, el("span", { class: "who" }), " ", el("small", { class: "page" })),
    el("p", { class: "numbers" }),
    svg,
    el("div", { class: "controls" },
      s.student ? el("button", { type: "button", class: "end", onclick: () => end(s.student) }, "이 학생의 세션 끝내기 · End this student's") : "",
      el("button", { type: "button", class: "send", onclick: () => send({ session: s.id }) }, "이 페이지를 모두에게 · Send to everyone")));
  return { node, svg };
}

function update(state) {
  const seen = new Set();
  for (const s of state.sessions) {
    seen.add(s.id);
    let c = cards.get(s.id);
    if (!c) { c = card(s); cards.set(s.id, c); $("cards").append(c.node); }
    c.node.className = `card state-${s.state}`;
    c.node.dataset.state = s.state;
    c.node.querySelector(".who").textContent = s.student && s.name !== s.student ? `${s.name} (${s.student})` : s.name;
    c.node.querySelector(".page").textContent = `#${s.page || "?"}`;
    c.node.querySelector(".numbers").textContent = `η = ${fmt(num(s.lr))} · 걸음 ${s.step} · 손실 C = ${fmt(num(s.loss))} · ${STATE[s.state] || s.state}`;
    curve(c.svg, s.curve);
  }
  for (const [id, c] of cards) if (!seen.has(id)) { c.node.remove(); cards.delete(id); }
  const cap = state.per_student ? `, 학생당 ${state.per_student}개 · ${state.per_student} per student` : "";
  $("summary").textContent = `학생 ${state.students}명 · 세션 ${state.sessions.length}/${state.max_sessions}${cap}`;
}

async function end(student) {
  try { const r = await api("POST", `/api/teacher/students/${student}/end`); say(`${student}: 세션 ${r.sessions}개를 끝냈습니다 · ended ${r.sessions}`); } catch (e) { say(e.message, true); }
}

async function send(body) {
  try { const r = await api("POST", "/api/teacher/send", JSON.stringify(body)); say(`#${r.page} 페이지를 모두에게 보냈습니다 · sent to everyone (${r.seq})`); } catch (e) { say(e.message, true); }
}

async function start() {
  $("pause-all").onclick = async () => {
    try { const r = await api("POST", "/api/teacher/pause"); say(`세션 ${r.sessions}개를 멈췄습니다 · paused ${r.sessions}`); } catch (e) { say(e.message, true); }
  };
  const experiments = (await api("GET", "/api/experiments")).experiments;
  $("send-config").replaceChildren(...experiments.map((e, i) => el("option", { value: i }, `${e.name} (${e.path})`)));
  $("send-lab").onclick = () => send({ page: "lab", config: experiments[Number($("send-config").value)].toml });
  const source = new EventSource("/api/teacher/events");
  source.onmessage = (m) => { try { update(JSON.parse(m.data)); window.gdlabUpdates = (window.gdlabUpdates || 0) + 1; } catch (e) { say(e.message, true); } };
  source.onerror = () => say("서버와 연결이 끊겼습니다. 다시 연결하는 중입니다 · reconnecting", false);
}

start().catch((e) => say(e.message, true));
