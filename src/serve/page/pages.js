// gdlab live, the pages in lecture order. Each page mounts into #page and returns a function
// that closes its sessions when the user leaves it.
"use strict";

words({
  loss_curve: "업데이트 k에 따른 손실값 C (로그 눈금)",
  parabola_intro: "경사하강법으로 C(b) = (a − b)²의 최저점을 찾습니다. 곡선을 클릭하면 시작점 b₀가 바뀝니다. 꼭짓점의 왼쪽이든 오른쪽이든 괜찮습니다. 초록 선은 접선(기울기 ∂C/∂b)이고, 주황 화살표는 한 번의 업데이트 Δb = −η·∂C/∂b입니다. 학습률을 움직여 보세요. 학습률이 작으면 천천히 내려갑니다. 1/λ 근처에서 가장 빠릅니다. λ는 곡선이 휜 정도(2차 도함수)이고, 여기서는 λ = 2이므로 1/λ = 0.5입니다. 그보다 크면 지그재그로 움직이고, 1을 넘으면 발산합니다.",
  parabola_view: "C(b)와 반복점 b_k: 곡선을 클릭하면 시작점이 바뀝니다",
  parabola_trace: "업데이트 k에 따른 b_k (점선: 최저점 b* = a). b_k − b*의 부호가 바뀌면 지그재그입니다",
  sign_changes: "부호가 바뀐 횟수", slope_word: "기울기", step_word: "한 번의 업데이트",
  area_intro: "오차를 넓이로 봅니다. MSE(평균 제곱 오차)는 오차를 제곱한 값, 곧 정사각형 넓이의 평균입니다. MAE(평균 절대 오차)는 오차의 절댓값, 곧 막대 길이의 평균입니다. 점을 끌어 옮기거나, 빈 곳을 클릭해 점을 더하거나, ‘이상치 추가’를 눌러 보세요. 이상치는 다른 점들에서 멀리 떨어진 점입니다. 같은 데이터에 왼쪽은 MSE로, 오른쪽은 MAE로 직선을 맞춥니다.",
  area_mse: "MSE: 정사각형 넓이의 평균", area_mae: "MAE: 막대 길이의 평균", add_outlier: "이상치 추가", reset_points: "처음 점으로 되돌리기",
  total_sq: "평균 제곱 오차", total_abs: "평균 절대 오차",
  bias_intro: "편향 b는 시그모이드 곡선을 옆으로 옮깁니다. 편향이 없으면 σ(w·x)는 언제나 x = 0에서 0.5를 지납니다. 그래서 경계를 x ≈ 3(정답이 0인 점들)과 x ≈ 5(정답이 1인 점들) 사이로 옮길 수 없습니다. w를 줄여 곡선을 완만하게 만드는 것이 최선이고, 손실값은 0.66 근처에 머뭅니다. 편향이 있으면 곡선의 가파른 부분(σ′가 큰 곳)이 두 무리 사이로 옮겨 갑니다. 슬라이더로 w와 b를 바꾸며 σ와 σ′를 보세요. 재생하면 편향이 있는 뉴런과 없는 뉴런이 나란히 학습합니다.",
  bias_view: "데이터(0/1), 두 뉴런의 σ(z), 슬라이더 뉴런의 σ와 4·σ′(점선)", with_bias: "편향 있음", without_bias: "편향 없음", manual: "슬라이더",
  mean_slope: "입력값에서 σ′의 평균",
  ce_intro: "뉴런이 자신 있게 틀리는 곳(w = [−6, 6])에서 시작합니다. 시그모이드와 MSE를 함께 쓰면 기울기에 σ′ = a(1 − a)가 곱해집니다. 출력 a가 0이나 1에 바짝 붙는 포화 상태에서는 σ′가 거의 0이 되어 학습이 매우 느려집니다. 손실함수로 교차 엔트로피(BCE: Binary Cross-Entropy, 이진 교차 엔트로피)를 쓰면 이 인수가 약분되어 기울기가 오차 (a − y)에 비례합니다. 그래서 BCE가 훨씬 빨리 빠져나옵니다.",
  grad_curve: "업데이트 k에 따른 기울기의 크기 |∇C| (로그 눈금)", grad_axis: "|∇C| (로그)", ce_view: "데이터와 두 뉴런의 결정 경계 w·x + b = 0",
  surface_intro: "입력값이 둘인 시그모이드 뉴런(MSE, 편향 없음)의 손실함수 곡면 C(w₁, w₂)입니다. 색의 띠가 등고선입니다. 클릭하면 시작점이 바뀝니다. 노란 화살표는 −∇C, 곧 가장 가파르게 내려가는 방향입니다. 현재 점에서 끌면 ΔW 화살표가 생기고, 1차 Taylor 근사가 예측한 변화 ∇C·ΔW와 실제 변화 ΔC를 비교합니다. ΔW가 짧으면 둘이 거의 같고, 길어질수록 어긋납니다.",
  surface_view: "손실함수 곡면(색: log₁₀ C), 경로, −∇C, 끌어서 만든 ΔW", taylor_box: "ΔC ≈ ∇C·ΔW",
  predicted: "1차 근사 ∇C·ΔW", actual: "실제 ΔC", ratio: "비율", length: "|ΔW|", drag_hint: "빨간 현재 점에서 끌어 ΔW를 그리세요",
  perceptron_intro: "같은 데이터에서 퍼셉트론 규칙과 경사하강법을 나란히 봅니다. 퍼셉트론은 계단 함수(출력이 0 아니면 1)를 쓰고, 틀린 데이터마다 연결강도를 w ← w + η·(t − o)·x로 고칩니다. 강의에서 말로 쓴 규칙으로는 새 연결강도 = 현 연결강도 + 입력값 × 오차 × 학습률입니다. 경사하강법은 시그모이드 뉴런과 BCE를 쓰고, 매번 전체 데이터를 보고 업데이트합니다(전체 배치). 그래서 경사하강법의 한 번 업데이트와 퍼셉트론의 한 에폭은 둘 다 데이터를 한 번 훑습니다. XOR은 직선 하나로 나눌 수 없어서 둘 다 끝내 모두 맞히지는 못합니다.",
  perceptron_view: "데이터와 결정 경계: 퍼셉트론(점선), 경사하강법(실선)", perceptron_rule: "퍼셉트론 규칙", gd_rule: "경사하강법 (σ + BCE)",
  dataset: "데이터", epoch: "에폭", error_rate: "오분류율",
  mlp_intro: "TensorFlow Playground처럼 은닉층의 크기와 활성화 함수를 고르고 재생하세요. 모든 연결강도의 기울기는 역전파로 구합니다. 역전파는 출력 쪽의 오차를 입력 쪽으로 거꾸로 전하며 기울기를 계산하는 방법이고, 여기서는 burn의 자동 미분(autodiff)이 이 일을 합니다. 큰 그림은 출력(결정 경계)이고, 작은 그림은 은닉 뉴런 하나하나의 출력입니다. 선의 굵기는 연결강도의 크기이고, 색은 부호를 나타냅니다(파랑 +, 주황 −).",
  hidden: "은닉층 크기 (예: 4 또는 4,3)", activation: "활성화 함수", apply: "적용",
  mlp_view: "출력 σ(z)의 지도와 학습 데이터", net_view: "신경망: 은닉 뉴런의 지도와 연결강도",
  runs_intro: "--runs 폴더에 저장된 실행 목록입니다. 하나를 누르면 그 실행의 설정, 요약, 손실값 곡선을 봅니다. 여러 개를 체크하면 손실값 곡선을 겹쳐 봅니다.",
  runs_none: "아직 저장된 실행이 없습니다. 다른 페이지에서 ‘실행으로 저장’을 누르거나 gdlab train을 실행하세요.",
  overlay: "겹쳐 보기 (체크한 실행)", open_lab: "실험실에서 열기", refresh: "새로 고침",
  lab_intro: "아무 설정이나 골라 고친 뒤 실행합니다. 설정의 형식과 검사는 gdlab train과 같습니다.", experiment: "실험", start: "새 세션 시작",
  overlay_curve: "체크한 실행들의 손실값 곡선 (겹쳐 보기)",
}, {
  loss_curve: "Loss C (log scale) against step k",
  parabola_intro: "Gradient descent finds the minimum of C(b) = (a − b)². Click the curve to move the start b₀ (left or right of the vertex). The green line is the tangent (slope ∂C/∂b), the orange arrow one step Δb = −η·∂C/∂b. Move the learning rate: small is slow, near 1/λ (here 0.5) is fastest, above it zigzags, above 1 diverges.",
  parabola_view: "C(b) and the iterates b_k: click to move the start",
  parabola_trace: "b_k against step k (dotted: the minimum b* = a). A sign change of b_k − b* is a zigzag",
  sign_changes: "sign changes", slope_word: "slope", step_word: "step",
  area_intro: "Error as area: MSE is the mean of squared residuals (squares), MAE the mean of absolute residuals (bars). Drag points, click an empty spot to add one, or press “add outlier”. Left: a line fitted with MSE; right: with MAE, on the same points.",
  area_mse: "MSE: mean area of the squares", area_mae: "MAE: mean length of the bars", add_outlier: "Add outlier", reset_points: "Reset points",
  total_sq: "mean squared error", total_abs: "mean absolute error",
  bias_intro: "A bias b shifts the sigmoid sideways. Without one, σ(w·x) always crosses 0.5 at x = 0, so the boundary cannot move between x ≈ 3 (class 0) and x ≈ 5 (class 1): the best it can do is a flat curve (small w), and the loss stays near 0.66. With a bias the steep part of the curve (where σ′ is large) moves between the clusters. Use the sliders for w and b to see σ and σ′; play races the two neurons.",
  bias_view: "Data (0/1), both neurons' σ(z), the slider neuron's σ and 4·σ′ (dashed)", with_bias: "with bias", without_bias: "without bias", manual: "sliders",
  mean_slope: "mean σ′ at the inputs",
  ce_intro: "The neuron starts confidently wrong (w = [−6, 6]). With sigmoid + MSE the gradient carries the factor σ′ = a(1 − a), almost 0 when saturated; with cross-entropy (BCE) that factor cancels and the gradient is proportional to the error (a − y). So BCE escapes far sooner.",
  grad_curve: "|∇C| (log scale) against step k", grad_axis: "|∇C| (log)", ce_view: "Data and both neurons' boundaries w·x + b = 0",
  surface_intro: "The loss surface C(w₁, w₂) of a two-input sigmoid neuron (MSE, no bias). Colour bands are contours. Click to move the start. The yellow arrow is −∇C (steepest descent). Drag from the current point to draw ΔW and compare the first-order ∇C·ΔW with the actual change ΔC: nearly equal for a short ΔW, apart for a long one.",
  surface_view: "Loss surface (colour: log₁₀ C), the path, −∇C, a dragged ΔW", taylor_box: "ΔC ≈ ∇C·ΔW",
  predicted: "predicted ∇C·ΔW", actual: "actual ΔC", ratio: "ratio", length: "|ΔW|", drag_hint: "Drag from the current (red) point to draw ΔW",
  perceptron_intro: "On the same data: the perceptron rule (a step neuron, w ← w + η·(t − o)·x for each misclassified row) beside gradient descent (a sigmoid neuron with BCE, full batch). One gradient step and one perceptron epoch each pass over the data once. XOR cannot be split by one line: neither ever gets it right.",
  perceptron_view: "Data and decision lines: perceptron (dashed), gradient descent (solid)", perceptron_rule: "perceptron rule", gd_rule: "gradient descent (σ + BCE)",
  dataset: "Data", epoch: "epoch", error_rate: "error rate",
  mlp_intro: "Like TensorFlow Playground: choose the hidden layers and activation, then play. Backpropagation is burn's autodiff. The big map is the output (decision boundary), the small ones each hidden neuron's output, line thickness the weight's size (blue +, orange −).",
  hidden: "Hidden layers (e.g. 4 or 4,3)", activation: "Activation", apply: "Apply",
  mlp_view: "Map of the output σ(z) and the training data", net_view: "The network: hidden neurons' maps and weights",
  runs_intro: "Run folders (--runs). Click one for its config, summary and loss curve; tick several to overlay their loss curves.",
  runs_none: "No run folders yet: press “Save as run” on another page, or run gdlab train.",
  overlay: "Overlay (ticked runs)", open_lab: "Open in the lab", refresh: "Refresh",
  lab_intro: "Pick any config, edit it and run it (the same schema and checks as gdlab train).", experiment: "Experiment", start: "Start a new session",
  overlay_curve: "Loss curves of the ticked runs, overlaid",
});

const BLUE = "#1d6fb8", ORANGE = "#e76f51", RED = "#d62828", GREEN = "#2a9d8f", GREY = "#6c757d";
const sigmoid = (z) => 1 / (1 + Math.exp(-z));

function figure(w, h, key) {
  const canvas = el("canvas", { width: w, height: h, "data-view": key });
  return { canvas, node: el("figure", {}, canvas, el("figcaption", {}, tx(key))) };
}

function layout(root, intro, panel, ...views) {
  root.append(el("p", { class: "intro" }, tx(intro)), el("div", { class: "lab" }, panel, el("div", { class: "views" }, ...views)));
}

/// Coalesces redraws to one per animation frame.
function scheduler(draw) {
  let queued = false;
  const run = () => { queued = false; try { draw(); } catch (e) { say(e.message, true); } };
  return () => { if (!queued) { queued = true; requestAnimationFrame(run); } };
}

// 1. Parabola -------------------------------------------------------------------------------
PAGES.push({
  id: "parabola", ko: "포물선", en: "Parabola", report: [4, 5],
  async mount(root) {
    const toml = await shipped("lecture/parabola.toml");
    const live = new Live("C(b)", RED);
    const panel = controlPanel([live], { lrMin: -3, lrMax: 0.5 });
    const view = figure(640, 340, "parabola_view"), trace = figure(640, 220, "parabola_trace"), curve = figure(640, 180, "loss_curve");
    layout(root, "parabola_intro", panel.node, view.node, trace.node, curve.node);
    let surface = null, range = null, loading = false;
    const bstar = () => (live.data && live.data.y.length ? mean(live.data.y.map(num)) : 3);
    async function fetchSurface() {
      const bs = live.rows.map((r) => num(r.params[0])).filter((v) => isFinite(v) && Math.abs(v) < 1e6);
      const lo = Math.min(bstar(), ...bs), hi = Math.max(bstar(), ...bs), m = Math.max(2, (hi - lo) * 0.25);
      range = [lo - m, hi + m];
      loading = true;
      try { surface = await api("GET", `/api/sessions/${live.id}/surface?x=${range[0]}:${range[1]}&n=101`); } catch (e) { say(e.message, true); }
      loading = false;
      redraw();
    }
    function draw() {
      panel.update();
      const it = live.rows.filter((r) => r.params.length === 1);
      if (surface && range) {
        const ys = surface.loss.map(num).filter(isFinite);
        const p = new Plot(view.canvas, range, [0, Math.max(...ys)]);
        p.clear(); p.frame("b", "C(b)");
        p.line(surface.x.map((x, i) => [x, num(surface.loss[i])]), GREY, 2);
        p.line(it.map((r) => [num(r.params[0]), num(r.loss)]), "rgba(214,40,40,0.45)", 1);
        it.forEach((r, i) => p.dot(num(r.params[0]), num(r.loss), i === it.length - 1 ? RED : "rgba(214,40,40,0.55)", i === it.length - 1 ? 6 : 3));
        const last = it[it.length - 1];
        const legend = [["C(b)", GREY], ["b_k", RED]];
        if (last && isFinite(num(last.params[0]))) {
          const b = num(last.params[0]), c = num(last.loss);
          // The slope's size is the server's |∇C|; its sign is the side of the vertex.
          const slope = Math.sign(b - bstar()) * num(last.grad_norm), half = (range[1] - range[0]) / 8;
          p.line([[b - half, c - slope * half], [b + half, c + slope * half]], GREEN, 2);
          const next = b - last.lr * slope, y0 = p.pad.t + p.h - 8;
          arrow(p.ctx, p.X(b), y0, p.X(next), y0, ORANGE, 3);
          p.ctx.fillStyle = "#1d2433";
          p.ctx.fillText(`∂C/∂b = ${fmt(slope)}   Δb = −η·∂C/∂b = ${fmt(next - b)}   (η = ${fmt(last.lr)})`, p.pad.l + 8, p.pad.t + 16);
          legend.push([`${t("slope_word")} ∂C/∂b`, GREEN], [`${t("step_word")} Δb`, ORANGE]);
        }
        p.legend(legend);
      }
      const bs = it.map((r) => [r.step, num(r.params[0])]).filter(([, v]) => isFinite(v));
      if (bs.length) {
        const s = bstar(), vals = bs.map(([, v]) => v).concat([s]);
        const p = new Plot(trace.canvas, [0, Math.max(1, bs[bs.length - 1][0])], [Math.max(-1e6, Math.min(...vals)), Math.min(1e6, Math.max(...vals))]);
        p.clear(); p.frame(t("steps_axis"), "b_k");
        p.line([[0, s], [p.xr[1], s]], GREY, 1, [4, 4]);
        p.line(bs, RED, 2);
        bs.forEach(([k, v]) => p.dot(k, v, RED, 2.5));
        let changes = 0;
        for (let i = 1; i < bs.length; i++) if (Math.sign(bs[i][1] - s) * Math.sign(bs[i - 1][1] - s) < 0) changes++;
        p.ctx.fillStyle = "#1d2433"; p.ctx.fillText(`${t("sign_changes")} (b_k − b*): ${changes}`, p.pad.l + 8, p.pad.t + 16);
      }
      drawLossChart(curve.canvas, [live]);
    }
    const redraw = scheduler(draw);
    live.onrow = () => {
      const r = live.last();
      const out = r && range && isFinite(num(r.params[0])) && Math.abs(num(r.params[0])) < 1e6 && (num(r.params[0]) < range[0] || num(r.params[0]) > range[1]);
      if (!loading && live.rows.length && (!surface || out)) fetchSurface();
      redraw();
    };
    async function restart(sets) {
      surface = null; range = null;
      try { await live.start(toml, sets); panel.started(); } catch (e) { say(e.message, true); }
    }
    view.canvas.addEventListener("click", (ev) => {
      if (!range) return;
      const p = new Plot(view.canvas, range, [0, 1]);
      const b = p.invX(canvasPoint(view.canvas, ev)[0]);
      restart([`model.start.bias=${b.toFixed(3)}`]);
    });
    window.addEventListener("gdlab-language", redraw);
    await restart([]);
    return () => { live.close(); window.removeEventListener("gdlab-language", redraw); };
  },
});

// 2. Error as area ---------------------------------------------------------------------------
const AREA_POINTS = [[0.5, 1.6], [1, 2.3], [1.5, 3.7], [2, 4.4], [2.5, 5.3], [3, 6.8], [3.5, 7.4], [4, 8.6], [4.5, 9.3], [5, 10.7]];

PAGES.push({
  id: "area", ko: "오차의 넓이", en: "Error as area", report: [2],
  async mount(root) {
    let pts = AREA_POINTS.map((p) => p.slice());
    const mse = new Live("MSE", BLUE), mae = new Live("MAE", ORANGE);
    const panel = controlPanel([mse, mae], { lrMin: -3, lrMax: -0.5, speed: 60 });
    const left = figure(460, 380, "area_mse"), right = figure(460, 380, "area_mae");
    const buttons = el("div", { class: "controls" },
      el("button", { type: "button", id: "add-outlier", onclick: () => { pts.push([2.8, 25]); restart(); } }, tx("add_outlier")),
      el("button", { type: "button", onclick: () => { pts = AREA_POINTS.map((p) => p.slice()); restart(); } }, tx("reset_points")));
    layout(root, "area_intro", el("div", {}, panel.node, buttons), el("div", { class: "pair" }, left.node, right.node));
    const toml = (path, kind) => `[experiment]
name = "error_area_${kind}"
seed = 1
description = "Points placed on the live lab's error-as-area page: an identity neuron fitted with ${kind.toUpperCase()}."

[data]
source = "csv"
path = ${JSON.stringify(path)}
target = "y"

[model]
activation = "identity"

[model.start]
weights = [0.0]
bias = 0.0

[loss]
kind = "${kind}"

[optimizer]
lr = 0.02
steps = 20000
`;
    const plotFor = (canvas) => {
      const ys = pts.map((p) => p[1]);
      return new Plot(canvas, [0, 6], [Math.min(-1, ...ys) - 1, Math.max(12, ...ys) + 1]);
    };
    function drawOne(fig, live, squares) {
      const p = plotFor(fig.canvas), ctx = p.ctx;
      p.clear(); p.frame("x", "y");
      const r = live.last();
      const [w, b] = r && r.params.length === 2 ? [num(r.params[0]), num(r.params[1])] : [0, 0];
      let total = 0;
      ctx.save(); ctx.beginPath(); ctx.rect(p.pad.l, p.pad.t, p.w, p.h); ctx.clip();
      for (const [x, y] of pts) {
        const fit = w * x + b, res = y - fit;
        total += squares ? res * res : Math.abs(res);
        const px = p.X(x), py = p.Y(y), pf = p.Y(fit), side = Math.abs(pf - py);
        if (squares) {
          // The square on the residual: side |r| drawn in the y axis's pixels both ways.
          ctx.fillStyle = "rgba(29,111,184,0.18)"; ctx.strokeStyle = "rgba(29,111,184,0.7)"; ctx.lineWidth = 1;
          ctx.fillRect(px, Math.min(py, pf), side, side); ctx.strokeRect(px, Math.min(py, pf), side, side);
        } else {
          ctx.strokeStyle = "rgba(231,111,81,0.85)"; ctx.lineWidth = 5;
          ctx.beginPath(); ctx.moveTo(px, py); ctx.lineTo(px, pf); ctx.stroke();
        }
      }
      ctx.restore();
      p.line([[0, b], [6, 6 * w + b]], live.color, 2.5);
      pts.forEach(([x, y]) => p.dot(x, y, "#1d2433", 4.5));
      p.legend([[`ŷ = ${fmt(w)}·x + ${fmt(b)}`, live.color]]);
      // The totals sit above the plot, beside the legend, never over a point.
      const label = `${t(squares ? "total_sq" : "total_abs")} = ${fmt(total / pts.length)}   (C = ${r ? fmt(num(r.loss)) : "-"})`;
      ctx.fillStyle = "#1d2433";
      ctx.fillText(label, fig.canvas.width - p.pad.r - ctx.measureText(label).width, 16);
    }
    function draw() { panel.update(); drawOne(left, mse, true); drawOne(right, mae, false); }
    const redraw = scheduler(draw);
    mse.onrow = redraw; mae.onrow = redraw;
    let generation = 0;
    async function restart() {
      const mine = ++generation;
      try {
        const d = await api("POST", "/api/datasets", JSON.stringify({ columns: ["x", "y"], rows: pts }));
        if (mine !== generation) return;
        await Promise.all([mse.start(toml(d.path, "mse")), mae.start(toml(d.path, "mae"))]);
        panel.started();
      } catch (e) { say(e.message, true); }
      redraw();
    }
    // Drag a point; click an empty spot to add one.
    let dragging = -1, moved = false;
    for (const fig of [left, right]) {
      fig.canvas.addEventListener("mousedown", (ev) => {
        const p = plotFor(fig.canvas), [cx, cy] = canvasPoint(fig.canvas, ev);
        dragging = pts.findIndex(([x, y]) => Math.hypot(p.X(x) - cx, p.Y(y) - cy) < 9);
        moved = false;
        if (dragging < 0 && pts.length < 100) { pts.push([p.invX(cx), p.invY(cy)]); restart(); }
      });
      fig.canvas.addEventListener("mousemove", (ev) => {
        if (dragging < 0) return;
        const p = plotFor(fig.canvas), [cx, cy] = canvasPoint(fig.canvas, ev);
        pts[dragging] = [Math.max(0, Math.min(6, p.invX(cx))), p.invY(cy)];
        moved = true; redraw();
      });
    }
    const drop = () => { if (dragging >= 0 && moved) restart(); dragging = -1; };
    window.addEventListener("mouseup", drop);
    window.addEventListener("gdlab-language", redraw);
    await restart();
    return () => { mse.close(); mae.close(); window.removeEventListener("mouseup", drop); window.removeEventListener("gdlab-language", redraw); };
  },
});

// 3. Bias ---------------------------------------------------------------------------------------
PAGES.push({
  id: "bias", ko: "편향", en: "Bias", report: [1],
  async mount(root) {
    const toml = await shipped("lecture/bias_sigmoid.toml");
    const withB = new Live(t("with_bias"), BLUE), without = new Live(t("without_bias"), ORANGE);
    const panel = controlPanel([withB, without], { lrMin: -2, lrMax: 1 });
    const w = el("input", { type: "range", min: -6, max: 6, step: 0.05, value: 2, "aria-label": "w" });
    const b = el("input", { type: "range", min: -30, max: 30, step: 0.1, value: -8, "aria-label": "b" });
    const wOut = el("output", {}, "2"), bOut = el("output", {}, "-8");
    const slopes = el("table", { class: "readout", id: "slopes" });
    const sliders = el("div", { class: "panel" }, el("label", {}, el("span", {}, "w = ", wOut), w), el("label", {}, el("span", {}, "b = ", bOut), b), slopes);
    const view = figure(640, 340, "bias_view"), curve = figure(640, 200, "loss_curve");
    layout(root, "bias_intro", el("div", {}, panel.node, sliders), view.node, curve.node);
    function draw() {
      panel.update();
      withB.label = t("with_bias"); without.label = t("without_bias");
      wOut.textContent = w.value; bOut.textContent = b.value;
      const xs = withB.data ? withB.data.x.map((r) => num(r[0])) : [0, 8];
      const lo = Math.min(...xs) - 1, hi = Math.max(...xs) + 1;
      const p = new Plot(view.canvas, [lo, hi], [-0.08, 1.08]);
      p.clear(); p.frame("x", "σ(z)");
      const grid = Array.from({ length: 200 }, (_, k) => lo + ((hi - lo) * k) / 199);
      const slopeAt = (f) => mean(xs.map((x) => { const a = f(x); return a * (1 - a); }));
      const legend = [];
      const neuron = (live) => {
        const r = live.last();
        if (!r) return null;
        const wv = num(r.params[0]), bv = r.params.length > 1 ? num(r.params[1]) : 0;
        return (x) => sigmoid(wv * x + bv);
      };
      const mw = Number(w.value), mb = Number(b.value), manual = (x) => sigmoid(mw * x + mb);
      p.line(grid.map((x) => [x, manual(x)]), GREY, 2, [6, 4]);
      p.line(grid.map((x) => { const a = manual(x); return [x, 4 * a * (1 - a)]; }), GREEN, 2, [2, 3]);
      xs.forEach((x) => { const a = manual(x); p.dot(x, 4 * a * (1 - a), GREEN, 2); });
      legend.push([`${t("manual")} σ`, GREY, [6, 4]], [`${t("manual")} 4·σ′`, GREEN, [2, 3]]);
      const lines = [];
      for (const live of [withB, without]) {
        const f = neuron(live);
        if (!f) continue;
        p.line(grid.map((x) => [x, f(x)]), live.color, 2.5);
        legend.push([live.label, live.color]);
        lines.push(`${live.label}: ${t("mean_slope")} = ${fmt(slopeAt(f))}`);
      }
      if (withB.data) withB.data.x.forEach((r, i) => p.dot(num(r[0]), num(withB.data.y[i]) + (i % 7 - 3) * 0.008, "rgba(29,36,51,0.55)", 2.5));
      lines.push(`${t("manual")}: ${t("mean_slope")} = ${fmt(slopeAt(manual))}`);
      p.legend(legend);
      slopes.replaceChildren(...lines.map((s) => el("tr", {}, el("td", {}, s))));
      drawLossChart(curve.canvas, [withB, without]);
    }
    const redraw = scheduler(draw);
    withB.onrow = redraw; without.onrow = redraw; w.oninput = redraw; b.oninput = redraw;
    window.addEventListener("gdlab-language", redraw);
    try {
      await Promise.all([withB.start(toml, ["model.bias=true"]), without.start(toml, ["model.bias=false"])]);
      panel.started();
    } catch (e) { say(e.message, true); }
    redraw();
    return () => { withB.close(); without.close(); window.removeEventListener("gdlab-language", redraw); };
  },
});

// 4. Cross-entropy vs MSE ------------------------------------------------------------------
/// The data's two classes and each live neuron's line w·x + b = 0 (2-D inputs).
function drawBoundaries(canvas, data, lines) {
  const xs = data.x.map((r) => num(r[0])), ys = data.x.map((r) => num(r[1]));
  const p = new Plot(canvas, [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5], [Math.min(...ys) - 0.5, Math.max(...ys) + 0.5]);
  p.clear(); p.frame(data.features[0], data.features[1]);
  data.x.forEach((r, i) => p.dot(num(r[0]), num(r[1]), num(data.y[i]) > 0.5 ? "rgba(29,111,184,0.7)" : "rgba(231,111,81,0.7)", 3.5));
  for (const [w1, w2, b, color, dash] of lines) {
    if (!isFinite(w1) || !isFinite(w2)) continue;
    // w1·x + w2·y + b = 0, drawn across the box.
    const pts = Math.abs(w2) > Math.abs(w1)
      ? [p.xr[0], p.xr[1]].map((x) => [x, -(w1 * x + b) / w2])
      : [p.yr[0], p.yr[1]].map((y) => [-(w2 * y + b) / w1, y]);
    p.line(pts, color, 3, dash);
  }
  return p;
}

PAGES.push({
  id: "cross-entropy", ko: "교차 엔트로피와 MSE", en: "Cross-entropy vs MSE", report: [3],
  async mount(root) {
    const toml = await shipped("lecture/saturated_start.toml");
    const bce = new Live("BCE", BLUE), mse = new Live("MSE", ORANGE);
    const panel = controlPanel([bce, mse], { lrMin: -2, lrMax: 1 });
    const loss = figure(640, 200, "loss_curve"), grad = figure(640, 200, "grad_curve"), view = figure(640, 300, "ce_view");
    layout(root, "ce_intro", panel.node, loss.node, grad.node, view.node);
    function draw() {
      panel.update();
      drawLossChart(loss.canvas, [bce, mse]);
      drawLossChart(grad.canvas, [bce, mse], "grad_norm", t("grad_axis"));
      if (!bce.data) return;
      const line = (l, dash) => { const r = l.last(); return r ? [num(r.params[0]), num(r.params[1]), num(r.params[2] ?? 0), l.color, dash] : [NaN, NaN, 0]; };
      const p = drawBoundaries(view.canvas, bce.data, [line(bce), line(mse, [6, 4])]);
      p.legend([["BCE", BLUE], ["MSE", ORANGE, [6, 4]]]);
    }
    const redraw = scheduler(draw);
    bce.onrow = redraw; mse.onrow = redraw;
    try {
      await Promise.all([bce.start(toml, ['loss.kind="bce"']), mse.start(toml, ['loss.kind="mse"'])]);
      panel.started();
    } catch (e) { say(e.message, true); }
    redraw();
    return () => { bce.close(); mse.close(); };
  },
});

// 5. The loss surface and Taylor ----------------------------------------------------------------
PAGES.push({
  id: "surface", ko: "손실 곡면과 Taylor 근사", en: "Loss surface and Taylor", report: [6, 7],
  async mount(root) {
    const toml = await shipped("lecture/sigmoid_surface.toml");
    const live = new Live("C(w₁, w₂)", RED);
    const panel = controlPanel([live], { lrMin: -2, lrMax: 1.5 });
    const taylor = el("table", { class: "readout", id: "taylor" });
    const view = figure(640, 480, "surface_view"), curve = figure(640, 180, "loss_curve");
    layout(root, "surface_intro", el("div", {}, panel.node, el("h3", {}, tx("taylor_box")), taylor), view.node, curve.node);
    const range = [[-8, 8], [-8, 8]];
    let surface = null, grad = null, gradAt = null, drag = null, probe = null;
    const plot = () => new Plot(view.canvas, range[0], range[1], { right: 60 });
    function draw() {
      panel.update();
      const p = plot();
      p.clear();
      if (surface) heatMap(p, surface.x, surface.y, surface.loss, { log: true, bands: 14, barName: "log₁₀ C" });
      p.frame(live.params[0] || "w₁", live.params[1] || "w₂");
      const it = live.rows.filter((r) => r.params.length === 2).map((r) => [num(r.params[0]), num(r.params[1])]);
      p.line(it, "#1d2433", 4);
      p.line(it, "#ffffff", 2);
      const last = it[it.length - 1];
      if (last) {
        p.dot(it[0][0], it[0][1], "#ffffff", 5);
        p.dot(last[0], last[1], RED, 7);
        // Where the current point is on the canvas (for the browser tests' drag).
        view.canvas.dataset.point = `${p.X(last[0]).toFixed(1)},${p.Y(last[1]).toFixed(1)}`;
        if (grad && gradAt && gradAt[0] === last[0] && gradAt[1] === last[1]) {
          // −∇C, scaled to a fixed length on screen: its direction is the point.
          const gx = -grad[0], gy = -grad[1], n = Math.hypot(p.X(gx) - p.X(0), p.Y(gy) - p.Y(0));
          if (n > 0) { const s = 60 / n; arrow(p.ctx, p.X(last[0]), p.Y(last[1]), p.X(last[0] + gx * s), p.Y(last[1] + gy * s), "#ffd166", 3); }
        }
        if (drag) arrow(p.ctx, p.X(last[0]), p.Y(last[1]), p.X(last[0] + drag[0]), p.Y(last[1] + drag[1]), ORANGE, 3);
      }
      p.legend([["W_k", "#1d2433"], ["−∇C", "#ffd166"], ["ΔW", ORANGE]]);
      const rows = probe
        ? [[t("length"), fmt(Math.hypot(...drag))], [t("predicted"), fmt(num(probe.predicted_dc))], [t("actual"), fmt(num(probe.actual_dc))],
          [`${t("ratio")} ΔC / ∇C·ΔW`, fmt(num(probe.actual_dc) / num(probe.predicted_dc))]]
        : [[t("drag_hint"), ""]];
      taylor.replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
      drawLossChart(curve.canvas, [live]);
    }
    const redraw = scheduler(draw);
    const fetchGrad = throttle(async () => {
      const r = live.last();
      if (!r || r.params.length !== 2 || !live.id) return;
      const at = r.params.map(num);
      try { const g = await api("GET", `/api/sessions/${live.id}/probe?at=${at.join(",")}`); grad = g.gradient.map(num); gradAt = at; } catch (_) { /* the session may be gone */ }
      redraw();
    }, 150);
    const fetchProbe = throttle(async () => {
      const r = live.last();
      if (!r || !drag || !live.id) return;
      try { probe = await api("GET", `/api/sessions/${live.id}/probe?at=${r.params.map(num).join(",")}&dw=${drag.join(",")}`); } catch (e) { say(e.message, true); }
      redraw();
    }, 100);
    live.onrow = () => { fetchGrad(); redraw(); };
    async function restart(sets) {
      drag = null; probe = null; grad = null;
      try {
        await live.start(toml, sets);
        panel.started();
        if (!surface) surface = await api("GET", `/api/sessions/${live.id}/surface?x=${range[0][0]}:${range[0][1]}&y=${range[1][0]}:${range[1][1]}&n=61`);
      } catch (e) { say(e.message, true); }
      redraw();
    }
    // Down on the current point: drag a ΔW. Down elsewhere: a click moves the start.
    let mode = null;
    view.canvas.addEventListener("mousedown", (ev) => {
      const p = plot(), [cx, cy] = canvasPoint(view.canvas, ev), r = live.last();
      if (r && Math.hypot(p.X(num(r.params[0])) - cx, p.Y(num(r.params[1])) - cy) < 14) { mode = "drag"; drag = [0, 0]; } else mode = "click";
    });
    view.canvas.addEventListener("mousemove", (ev) => {
      if (mode !== "drag") return;
      const p = plot(), [cx, cy] = canvasPoint(view.canvas, ev), r = live.last();
      drag = [p.invX(cx) - num(r.params[0]), p.invY(cy) - num(r.params[1])];
      fetchProbe(); redraw();
    });
    view.canvas.addEventListener("mouseup", (ev) => {
      if (mode === "click") {
        const p = plot(), [cx, cy] = canvasPoint(view.canvas, ev);
        restart([`model.start.weights=[${p.invX(cx).toFixed(3)},${p.invY(cy).toFixed(3)}]`]);
      }
      mode = null;
    });
    window.addEventListener("gdlab-language", redraw);
    await restart([]);
    return () => { live.close(); window.removeEventListener("gdlab-language", redraw); };
  },
});

// 6. Perceptron rule vs gradient descent -----------------------------------------------------
const PERCEPTRON_DATA = {
  and: ["lecture/gates.toml", ['data.gate="and"']], or: ["lecture/gates.toml", ['data.gate="or"']],
  xor: ["lecture/gates.toml", ['data.gate="xor"']], blobs: ["lecture/noisy_blobs.toml", []],
};

PAGES.push({
  id: "perceptron", ko: "퍼셉트론과 경사하강법", en: "Perceptron vs gradient descent", report: [8],
  async mount(root) {
    const gd = new Live(t("gd_rule"), BLUE);
    const panel = controlPanel([gd], { lrMin: -2, lrMax: 1 });
    const pick = el("select", { id: "dataset", "aria-label": "dataset" }, Object.keys(PERCEPTRON_DATA).map((k) => el("option", { value: k }, k.toUpperCase())));
    const info = el("table", { class: "readout", id: "rule-info" });
    const view = figure(560, 460, "perceptron_view"), curve = figure(560, 180, "loss_curve");
    layout(root, "perceptron_intro", el("div", {}, el("label", {}, tx("dataset"), pick), panel.node, info), view.node, curve.node);
    let rule = null;
    function draw() {
      panel.update();
      gd.label = t("gd_rule");
      const r = gd.last();
      if (!gd.data || !rule) return;
      // One gradient step and one perceptron epoch are both one pass over the data.
      const k = r ? r.step : 0;
      const frame = rule.records[Math.min(rule.records.length - 1, k)];
      const pw = frame.params.map(num);
      const lines = [[pw[0], pw[1], pw[2] ?? 0, ORANGE, [6, 4]]];
      if (r) lines.push([num(r.params[0]), num(r.params[1]), num(r.params[2] ?? 0), BLUE]);
      const p = drawBoundaries(view.canvas, gd.data, lines);
      p.legend([[t("perceptron_rule"), ORANGE, [6, 4]], [t("gd_rule"), BLUE]]);
      info.replaceChildren(
        el("tr", {}, el("th", {}, t("perceptron_rule")), el("td", {}, `${t("epoch")} ${frame.epoch} / ${rule.records[rule.records.length - 1].epoch} (${t(rule.stop)}), ${t("error_rate")} ${fmt(num(frame.error_rate))}`)),
        el("tr", {}, el("th", {}, t("gd_rule")), el("td", {}, r ? `${t("step_n")} ${r.step}, C = ${fmt(num(r.loss))}, ${t("error_rate")} ${r.accuracy === null ? "-" : fmt(1 - num(r.accuracy))}` : "-")));
      drawLossChart(curve.canvas, [gd]);
    }
    const redraw = scheduler(draw);
    gd.onrow = redraw;
    async function load() {
      const [path, sets] = PERCEPTRON_DATA[pick.value];
      try {
        const toml = await shipped(path);
        const q = sets.map((s) => "set=" + encodeURIComponent(s)).join("&");
        rule = await api("POST", "/api/perceptron" + (q ? "?" + q : ""), toml);
        await gd.start(toml, sets.concat(['model.activation="sigmoid"', 'loss.kind="bce"']));
        panel.started();
      } catch (e) { say(e.message, true); }
      redraw();
    }
    pick.onchange = load;
    window.addEventListener("gdlab-language", redraw);
    await load();
    return () => { gd.close(); window.removeEventListener("gdlab-language", redraw); };
  },
});

// 7. Multi-layer nets ----------------------------------------------------------------------------
const MLP_DATA = {
  xor: '[data]\nsource = "gates"\ngate = "xor"\nn = 200\nnoise = 0.15\n',
  blobs: '[data]\nsource = "blobs"\nn = 200\ndims = 2\noffset = 0.0\nnoise = 0.6\n',
  logistic: '[data]\nsource = "logistic"\nn = 200\ndims = 2\nnoise = 0.3\ntrue_weights = [2.0, -1.0]\ntrue_bias = 0.0\n',
};

PAGES.push({
  id: "mlp", ko: "다층 신경망", en: "Multi-layer nets", report: [9],
  async mount(root) {
    const live = new Live("mlp", BLUE);
    const panel = controlPanel([live], { lrMin: -2, lrMax: 1, speed: 60 });
    const pick = el("select", { id: "mlp-data", "aria-label": "data" }, Object.keys(MLP_DATA).map((k) => el("option", { value: k }, k.toUpperCase())));
    const hidden = el("input", { id: "hidden", value: "4", size: 8, "aria-label": "hidden" });
    const act = el("select", { id: "activation", "aria-label": "activation" }, ["tanh", "sigmoid", "relu"].map((a) => el("option", { value: a }, a)));
    const setup = el("div", { class: "panel" },
      el("label", {}, tx("dataset"), pick), el("label", {}, tx("hidden"), hidden), el("label", {}, tx("activation"), act),
      el("button", { type: "button", id: "apply", onclick: () => restart() }, tx("apply")));
    const view = figure(460, 420, "mlp_view"), net = figure(620, 420, "net_view"), curve = figure(620, 180, "loss_curve");
    layout(root, "mlp_intro", el("div", {}, setup, panel.node), el("div", { class: "pair" }, view.node, net.node), curve.node);
    let map = null, busy = false;
    const toml = () => {
      const sizes = hidden.value.split(",").map((s) => parseInt(s.trim(), 10)).filter((n) => n > 0 && n <= 8).slice(0, 3);
      const layers = [2, ...(sizes.length ? sizes : [4]), 1];
      return `[experiment]
name = "playground_${pick.value}"
seed = 1
description = "The live lab's multi-layer page: ${pick.value} data, layers ${layers.join("-")}, ${act.value} hidden units, sigmoid output, BCE."

${MLP_DATA[pick.value]}
[model]
kind = "mlp"
layers = [${layers.join(", ")}]
activation = "${act.value}"
output_activation = "sigmoid"
init = "xavier"

[loss]
kind = "bce"

[optimizer]
lr = 0.3
steps = 50000
`;
    };
    const blueOrange = (u) => (isFinite(u) ? `hsl(${u > 0.5 ? 210 : 20}, 70%, ${95 - 50 * Math.abs(u - 0.5) * 2}%)` : "#9aa0a6");
    function draw() {
      panel.update();
      if (!map || !live.data) return;
      const p = new Plot(view.canvas, [map.x[0], map.x[map.x.length - 1]], [map.y[0], map.y[map.y.length - 1]], { right: 50 });
      p.clear();
      heatMap(p, map.x, map.y, map.output, { lo: 0, hi: 1, color: blueOrange, barName: "σ(z)" });
      p.frame(live.data.features[0], live.data.features[1]);
      live.data.x.forEach((r, i) => {
        p.ctx.strokeStyle = "#fff"; p.ctx.lineWidth = 1;
        p.dot(num(r[0]), num(r[1]), num(live.data.y[i]) > 0.5 ? "#1d6fb8" : "#e76f51", 3.5);
      });
      drawNet(net.canvas, map, blueOrange);
      drawLossChart(curve.canvas, [live]);
    }
    const redraw = scheduler(draw);
    async function fetchMap() {
      if (busy || !live.id) return;
      busy = true;
      try { map = await api("GET", `/api/sessions/${live.id}/boundary?n=41`); } catch (_) { /* the session may be gone */ }
      busy = false;
      redraw();
    }
    const poll = throttle(fetchMap, 120);
    live.onrow = () => { poll(); redraw(); };
    async function restart() {
      map = null;
      try { await live.start(toml()); panel.started(); await fetchMap(); } catch (e) { say(e.message, true); }
      redraw();
    }
    pick.onchange = restart; act.onchange = restart;
    await restart();
    return () => live.close();
  },
});

/// Columns of neurons (inputs, hidden layers, output); a hidden or output neuron is its own
/// small map; a weight is a line, thick when large, blue positive, orange negative.
function drawNet(canvas, map, color) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const widths = [map.layers[0].d_in, ...map.layers.map((l) => l.d_out)];
  const cols = widths.length, size = 44;
  const pos = widths.map((n, c) => Array.from({ length: n }, (_, j) => [30 + (c * (canvas.width - 60 - size)) / (cols - 1), 20 + ((j + 0.5) * (canvas.height - 40)) / n - size / 2]));
  const maxW = Math.max(1e-9, ...map.layers.flatMap((l) => l.weights.map((w) => Math.abs(num(w)))));
  map.layers.forEach((l, li) => {
    for (let i = 0; i < l.d_in; i++) for (let j = 0; j < l.d_out; j++) {
      const w = num(l.weights[i * l.d_out + j]);
      const [x0, y0] = pos[li][i], [x1, y1] = pos[li + 1][j];
      ctx.strokeStyle = w >= 0 ? "rgba(29,111,184,0.75)" : "rgba(231,111,81,0.75)";
      ctx.lineWidth = 0.5 + 7 * Math.abs(w) / maxW;
      ctx.beginPath(); ctx.moveTo(x0 + size, y0 + size / 2); ctx.lineTo(x1, y1 + size / 2); ctx.stroke();
    }
  });
  const n = map.x.length;
  const unit = (grid, x, y, lo, hi) => {
    const cell = size / n;
    grid.forEach((row, r) => row.forEach((v, c) => { ctx.fillStyle = color((num(v) - lo) / (hi - lo)); ctx.fillRect(x + c * cell, y + size - (r + 1) * cell, cell + 0.5, cell + 0.5); }));
    ctx.strokeStyle = "#1d2433"; ctx.lineWidth = 1; ctx.strokeRect(x, y, size, size);
  };
  pos[0].forEach(([x, y], i) => {
    ctx.fillStyle = "#e9ecf2"; ctx.fillRect(x, y, size, size); ctx.strokeStyle = "#1d2433"; ctx.strokeRect(x, y, size, size);
    ctx.fillStyle = "#1d2433"; ctx.font = "12px sans-serif"; ctx.fillText(`x${i + 1}`, x + 14, y + 26);
  });
  // tanh spans −1…1, the others 0…1 (relu is clipped at its largest value on the plane).
  map.hidden.forEach((layer, li) => layer.forEach((grid, j) => {
    const vals = grid.flat().map(num).filter(isFinite);
    unit(grid, pos[li + 1][j][0], pos[li + 1][j][1], Math.min(0, ...vals), Math.max(1e-9, ...vals));
  }));
  const out = pos[pos.length - 1][0];
  unit(map.output, out[0], out[1], 0, 1);
}

// 8. Runs ---------------------------------------------------------------------------------------
/// A run's loss curve ([step, loss] pairs from the runs API) as chart rows.
const curveRows = (pairs) => (pairs || []).map(([step, loss]) => ({ step, loss }));

PAGES.push({
  id: "runs", ko: "실행 기록", en: "Runs",
  async mount(root) {
    const list = el("table", { class: "runs", id: "run-list" });
    const detail = el("div", { class: "run-detail" });
    const overlay = figure(640, 260, "overlay_curve");
    layout(root, "runs_intro", el("div", {}, el("button", { type: "button", onclick: () => refresh() }, tx("refresh")), list), overlay.node, detail);
    const ticked = new Map();
    const colours = [BLUE, ORANGE, GREEN, RED, "#7b2cbf", "#f4a261", "#264653", "#e9c46a"];
    function drawOverlay() {
      const runs = [...ticked.values()];
      const lives = runs.map((r, k) => ({ label: `${r.experiment}/${r.run_id}`, color: colours[k % colours.length], rows: curveRows(r.loss) }));
      drawLossChart(overlay.canvas, lives);
    }
    async function open(r) {
      try {
        const run = await api("GET", `/api/runs/${encodeURIComponent(r.experiment)}/${encodeURIComponent(r.run_id)}`);
        const s = run.summary || {};
        const c = figure(640, 220, "loss_curve");
        detail.replaceChildren(el("h3", {}, `${run.experiment}/${run.run_id}: ${run.state}`),
          el("table", { class: "readout" }, ["stop_reason", "steps", "final_loss", "final_val_loss", "final_accuracy", "seconds"].filter((k) => s[k] !== undefined && s[k] !== null)
            .map((k) => el("tr", {}, el("th", {}, k), el("td", {}, fmt(s[k]))))),
          c.node,
          el("button", { type: "button", onclick: () => { sessionStorage.setItem("gdlab-config", run.config); location.hash = "#lab"; } }, tx("open_lab")),
          el("pre", { class: "config" }, run.config));
        drawLossChart(c.canvas, [{ color: BLUE, rows: curveRows(run.loss) }]);
        return run;
      } catch (e) { say(e.message, true); return null; }
    }
    async function refresh() {
      const { runs } = await api("GET", "/api/runs");
      if (!runs.length) { list.replaceChildren(el("tr", {}, el("td", {}, tx("runs_none")))); return; }
      list.replaceChildren(...runs.map((r) => {
        const box = el("input", { type: "checkbox", "aria-label": "overlay" });
        box.onchange = async () => {
          const key = `${r.experiment}/${r.run_id}`;
          if (box.checked) { const run = await api("GET", `/api/runs/${encodeURIComponent(r.experiment)}/${encodeURIComponent(r.run_id)}`); ticked.set(key, run); } else ticked.delete(key);
          drawOverlay();
        };
        return el("tr", {}, el("td", {}, box), el("td", {}, el("a", { href: "#runs", onclick: (ev) => { ev.preventDefault(); open(r); } }, `${r.experiment}/${r.run_id}`)), el("td", {}, r.state));
      }));
    }
    await refresh();
    drawOverlay();
    return null;
  },
});

// 9. The lab: any config -------------------------------------------------------------------------
PAGES.push({
  id: "lab", ko: "실험실", en: "Lab",
  async mount(root) {
    const live = new Live("", BLUE);
    const panel = controlPanel([live], { lrMin: -4, lrMax: 1 });
    const experiments = await shipped();
    const pick = el("select", { id: "experiment", "aria-label": "experiment" }, experiments.map((e, i) => el("option", { value: i }, `${e.name} (${e.path})`)));
    const text = el("textarea", { id: "config", rows: 16, spellcheck: "false" });
    const curve = figure(640, 260, "loss_curve");
    layout(root, "lab_intro", el("div", {}, el("label", {}, tx("experiment"), pick), text,
      el("button", { type: "button", id: "start", onclick: () => start() }, tx("start")), panel.node), curve.node);
    const redraw = scheduler(() => { panel.update(); drawLossChart(curve.canvas, [live]); });
    live.onrow = redraw;
    async function start() { try { await live.start(text.value); panel.started(); } catch (e) { say(e.message, true); } redraw(); }
    pick.onchange = () => { text.value = experiments[Number(pick.value)].toml; start(); };
    const handed = sessionStorage.getItem("gdlab-config");
    sessionStorage.removeItem("gdlab-config");
    text.value = handed || experiments[0].toml;
    const same = experiments.findIndex((e) => e.toml === text.value);
    if (same >= 0) pick.value = same;
    await start();
    return () => live.close();
  },
});

startApp();
