// gdlab live, the teacher's view: every live session of the class as a card (student, page,
// learning rate, step, loss and its curve, state), from /api/teacher/events twice a second;
// pause all, end a student's sessions, send a page and config to every student's page.

const $ = (id) => document.getElementById(id);
window.gdlabErrors = [];
window.addEventListener("error", (e) => window.gdlabErrors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.gdlabErrors.push(String(e.reason)));

const STATE = { playing: "학습 중 (playing)", paused: "멈춤 (paused)", ended: "끝남 (ended)", diverged: "발산 (diverged)" };
/// The pages' names as the student's menu shows them.
const PAGE = {
  parabola: "포물선", area: "오차의 넓이", bias: "편향", "cross-entropy": "교차 엔트로피와 MSE", surface: "손실 곡면과 Taylor 근사",
  perceptron: "퍼셉트론과 경사하강법", mlp: "다층 신경망", runs: "실행 기록", lab: "실험실",
};
const pageName = (id) => PAGE[id] || (id ? id : "페이지 정보 없음");
/// The student's name and id, or 교사 for the teacher's own sessions.
const who = (s) => (!s.student ? "교사 (teacher)" : s.name !== s.student ? `${s.name} (${s.student})` : s.student);

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
  if (!r.ok) throw Object.assign(new Error(json && json.error ? json.error : `${r.status} ${r.statusText}`), { status: r.status });
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
      s.student ? el("button", { type: "button", class: "end", onclick: () => end(s.student, c.name) }, "이 학생의 세션 모두 끝내기 · End all of this student's sessions") : "",
      el("button", { type: "button", class: "send", onclick: () => send({ session: s.id }) }, "이 페이지를 모두에게 보내기 · Send this page to everyone")));
  const c = { node, svg, name: who(s) };
  return c;
}

function update(state) {
  const seen = new Set();
  for (const s of state.sessions) {
    seen.add(s.id);
    let c = cards.get(s.id);
    if (!c) { c = card(s); cards.set(s.id, c); $("cards").append(c.node); }
    c.node.className = `card state-${s.state}`;
    c.node.dataset.state = s.state;
    c.name = who(s);
    c.node.querySelector(".who").textContent = c.name;
    c.node.querySelector(".page").textContent = pageName(s.page);
    const loss = s.state === "diverged" ? "손실값 C: 발산" : `손실값 C = ${fmt(num(s.loss))}`;
    c.node.querySelector(".numbers").textContent = `학습률 η = ${fmt(num(s.lr))} · 업데이트 ${s.step}번 · ${loss} · ${STATE[s.state] || s.state}`;
    curve(c.svg, s.curve);
  }
  for (const [id, c] of cards) if (!seen.has(id)) { c.node.remove(); cards.delete(id); }
  const n = state.sessions.length, per = state.per_student;
  const ko = `들어온 학생 ${state.students}명 · 세션 ${n}개 (전체 최대 ${state.max_sessions}개${per ? `, 학생당 최대 ${per}개` : ""})`;
  const en = `${state.students} students, ${n}/${state.max_sessions} sessions${per ? `, ${per} per student` : ""}`;
  $("summary").textContent = `${ko} · ${en}`;
}

async function end(student, name) {
  try {
    const r = await api("POST", `/api/teacher/students/${student}/end`);
    say(`${name} 학생의 세션 ${r.sessions}개를 끝냈습니다. · Ended ${r.sessions} of ${name}'s sessions.`);
  } catch (e) {
    say(e.status === 404 ? "이 학생은 열어 둔 세션이 없습니다. · This student has no live session." : e.message, e.status !== 404);
  }
}

async function send(body) {
  try {
    const r = await api("POST", "/api/teacher/send", JSON.stringify(body));
    say(`'${pageName(r.page)}' 페이지를 학생 모두에게 보냈습니다. · Sent the page to everyone.`);
  } catch (e) { say(e.message, true); }
}

async function start() {
  $("pause-all").onclick = async () => {
    try {
      const r = await api("POST", "/api/teacher/pause");
      say(r.sessions ? `모든 세션(${r.sessions}개)을 일시정지했습니다. · Paused all ${r.sessions} sessions.` : "열려 있는 세션이 없습니다. · No live session.");
    } catch (e) { say(e.message, true); }
  };
  const experiments = (await api("GET", "/api/experiments")).experiments;
  $("send-config").replaceChildren(...experiments.map((e, i) => el("option", { value: i }, `${e.name} (${e.path})`)));
  $("send-lab").onclick = () => send({ page: "lab", config: experiments[Number($("send-config").value)].toml });
  const source = new EventSource("/api/teacher/events");
  source.onmessage = (m) => { try { update(JSON.parse(m.data)); window.gdlabUpdates = (window.gdlabUpdates || 0) + 1; } catch (e) { say(e.message, true); } };
  source.onerror = () => say("서버와 연결이 끊겼습니다. 다시 연결하는 중입니다. · Reconnecting to the server.", false);
}

start().catch((e) => say(e.message, true));
