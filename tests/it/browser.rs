//! The live lab in a real browser: Debian's Chromium driven through ChromeDriver (WebDriver,
//! from Rust with fantoccini), against `gdlab serve` on a loopback port. Every page is opened
//! and used as a learner would: play, wait until the loss readout falls below a stated value,
//! click or drag on the views, switch language, save a run and open it. No page may report
//! an error. A screenshot per page goes to target/browser/.
//!
//! Chromium and ChromeDriver are installed by scripts/test.sh (the README's test command);
//! without them this test fails and says so: it never skips.

use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How long any one WebDriver call may take: a hung Chromium or ChromeDriver fails the test in
/// bounded time, naming the call, instead of hanging CI.
const CALL: Duration = Duration::from_secs(60);

/// `call` within [`CALL`], or a panic that says which call hung or failed.
async fn bounded<T, E: std::fmt::Display>(what: &str, call: impl std::future::Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(CALL, call).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(_) => panic!("{what}: no answer from ChromeDriver in {} s", CALL.as_secs()),
    }
}

/// ChromeDriver on a port it picks itself (`--port=0`), read from its first lines: no port is
/// chosen here and then lost to another process before ChromeDriver binds it.
fn chromedriver() -> (Driver, u16) {
    use std::io::BufRead;
    let mut child = Command::new(CHROMEDRIVER).arg("--port=0").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let driver = Driver(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Reads to the end, so ChromeDriver never blocks on a full pipe.
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(port) = line.split("started successfully on port ").nth(1) {
                let _ = tx.send(port.trim_end_matches('.').trim().parse::<u16>().ok());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(port)) => (driver, port),
        other => panic!("ChromeDriver did not say its port within 30 s: {other:?}"),
    }
}

async fn browser() -> (Driver, Client) {
    for p in [CHROMIUM, CHROMEDRIVER] {
        assert!(std::path::Path::new(p).exists(), "{p} is missing: run scripts/test.sh, which installs chromium and chromium-driver");
    }
    let (driver, port) = chromedriver();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            // No network beyond loopback here: background services would only fail.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                     "--window-size=1400,1000", "--lang=ko-KR"]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    let client =
        bounded("starting Chromium through ChromeDriver", builder.capabilities(caps).connect(&format!("http://127.0.0.1:{port}"))).await;
    (driver, client)
}

/// The page under test.
struct Lab {
    c: Client,
    base: String,
    shots: std::path::PathBuf,
}

impl Lab {
    async fn js(&self, expr: &str) -> Value {
        bounded(expr, self.c.execute(&format!("return ({expr});"), vec![])).await
    }

    /// Polls `expr` until it is truthy; fails after `secs` saying what it waited for.
    async fn until(&self, what: &str, expr: &str, secs: u64) -> Value {
        let started = Instant::now();
        loop {
            let v = self.js(expr).await;
            if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
                return v;
            }
            if started.elapsed() > Duration::from_secs(secs) {
                let errors = self.js("window.gdlabErrors").await;
                let readout = self.js("Array.from(document.querySelectorAll('table.readout')).map(t => t.innerText).join(' | ')").await;
                panic!("waited {secs} s for {what} ({expr}); errors: {errors}; readout: {readout}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn open(&self, page: &str) {
        bounded(&format!("opening page {page}"), self.c.goto(&format!("{}/?lang=ko#{page}", self.base))).await;
        self.until("the page", &format!("document.getElementById('page').dataset.page === '{page}'"), 10).await;
    }

    async fn click(&self, css: &str) {
        let element = bounded(&format!("finding {css}"), self.c.find(Locator::Css(css))).await;
        bounded(&format!("clicking {css}"), element.click()).await;
    }

    /// The loss readout of the `k`-th session on the page.
    fn loss(k: usize) -> String {
        format!("Number(document.querySelectorAll('.r-loss')[{k}]?.textContent)")
    }

    /// Sessions on the page are at their first row.
    async fn started(&self, sessions: usize) {
        let expr = format!(
            "document.querySelectorAll('.r-step').length === {sessions} && Array.from(document.querySelectorAll('.r-step')).every(e => e.textContent === '0')"
        );
        self.until("the sessions' first rows", &expr, 30).await;
    }

    /// The fastest speed, so waits stay short.
    async fn fast(&self) {
        self.js("(() => { const s = document.querySelector('input[aria-label=speed]'); s.value = 200; s.dispatchEvent(new Event('input')); return true; })()").await;
    }

    /// A mouse event on a canvas at canvas pixel (x, y).
    async fn mouse(&self, canvas: &str, kind: &str, x: f64, y: f64) {
        let script = format!(
            "(() => {{ const c = document.querySelector('canvas[data-view={canvas}]'); const r = c.getBoundingClientRect();
               const ev = new MouseEvent('{kind}', {{ bubbles: true, clientX: r.left + {x} * r.width / c.width, clientY: r.top + {y} * r.height / c.height }});
               c.dispatchEvent(ev); if ('{kind}' === 'mouseup') window.dispatchEvent(new MouseEvent('mouseup')); return true; }})()"
        );
        self.js(&script).await;
    }

    async fn no_errors(&self, page: &str) {
        let errors = self.js("window.gdlabErrors").await;
        assert_eq!(errors, json!([]), "{page}: the page reported errors");
    }

    async fn shot(&self, name: &str) {
        let png = bounded(&format!("screenshot of {name}"), self.c.screenshot()).await;
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_works_in_chromium() {
    let server = start_server(&[]);
    let (_driver, c) = browser().await;
    let shots = root().join("target").join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    let lab = Lab { c, base: format!("http://{}", server.addr), shots };

    // 1. Parabola: Korean by default here; play to the end; a click moves the start to the
    // right of the vertex; steps show the tangent and the step; save as run.
    lab.open("parabola").await;
    assert_eq!(lab.js("document.querySelector('header h1').textContent").await, "gdlab live: 경사하강법");
    lab.started(1).await;
    lab.fast().await;
    lab.click("#play").await;
    lab.until("C(b) below 1e-3", &format!("{} < 1e-3", Lab::loss(0)), 30).await;
    lab.until("the end of the run", "document.querySelector('.r-state').textContent.startsWith('끝남')", 30).await;
    lab.mouse("parabola_view", "click", 600.0, 150.0).await;
    let moved = lab.until("a start right of the vertex", "(() => { const m = /b = ([-0-9.e]+)/.exec(document.querySelector('.r-params')?.textContent || ''); return m && Number(m[1]) > 3 && document.querySelector('.r-step').textContent === '0' ? Number(m[1]) : null; })()", 30).await;
    assert!(moved.as_f64().unwrap() > 3.0, "{moved}");
    for _ in 0..4 {
        lab.click("#step").await;
    }
    lab.until("four steps", "document.querySelector('.r-step').textContent === '4'", 20).await;
    lab.click("button.save").await;
    lab.until("the saved run", "document.getElementById('message').textContent.startsWith('저장됨: parabola')", 30).await;
    lab.no_errors("parabola").await;
    lab.shot("parabola").await;

    // 2. Error as area: both fits fall; an outlier restarts both from the new points and
    // raises the starting MSE.
    lab.open("area").await;
    lab.started(2).await;
    let before = lab.js(&Lab::loss(0)).await.as_f64().unwrap();
    lab.fast().await;
    lab.click("#play").await;
    lab.until("MSE below 2", &format!("{} < 2", Lab::loss(0)), 40).await;
    lab.until("MAE below 1.5", &format!("{} < 1.5", Lab::loss(1)), 40).await;
    lab.click("#add-outlier").await;
    lab.started(2).await;
    let after = lab.js(&Lab::loss(0)).await.as_f64().unwrap();
    assert!(after > before, "an outlier at y = 25 raises the starting MSE: {before} -> {after}");
    lab.click("#play").await;
    lab.until("the fit with the outlier", &format!("{} < {}", Lab::loss(0), after / 2.0), 40).await;
    lab.no_errors("area").await;
    lab.shot("area").await;

    // 3. Bias: the race; with a bias the loss falls below 0.45 while without it stays above.
    lab.open("bias").await;
    lab.started(2).await;
    lab.fast().await;
    lab.click("#play").await;
    lab.until("with bias below 0.45", &format!("{} < 0.45", Lab::loss(0)), 40).await;
    let without = lab.js(&Lab::loss(1)).await.as_f64().unwrap();
    assert!(without > 0.6, "without a bias the loss stays near 0.66: {without}");
    lab.no_errors("bias").await;
    lab.shot("bias").await;

    // 4. Cross-entropy vs MSE from a saturated start: BCE escapes while MSE is still stuck.
    lab.open("cross-entropy").await;
    lab.started(2).await;
    // At the page's default speed (20 updates/s), not the fastest: BCE crosses 0.5 at update 29
    // and MSE leaves 0.8 only after about 175, so a second of lag on a loaded machine between
    // the crossing and the pause (at 200/s, 150 updates) cannot decide the reading.
    lab.click("#play").await;
    lab.until("BCE below 0.5", &format!("{} < 0.5", Lab::loss(0)), 40).await;
    // Paused, so MSE cannot leave its plateau between BCE's crossing and the reading.
    lab.click("#pause").await;
    let mse = lab.js(&Lab::loss(1)).await.as_f64().unwrap();
    assert!(mse > 0.8, "MSE is still on its plateau: {mse}");
    lab.no_errors("cross-entropy").await;
    lab.shot("cross-entropy").await;

    // 5. The surface: play down; drag a ΔW from the current point (the Taylor table fills
    // with the server's numbers); click elsewhere to move the start.
    lab.open("surface").await;
    lab.started(1).await;
    lab.fast().await;
    lab.click("#play").await;
    lab.until("C below 0.1", &format!("{} < 0.1", Lab::loss(0)), 40).await;
    lab.click("#pause").await;
    let point = lab.until("the current point drawn", "document.querySelector('canvas[data-view=surface_view]').dataset.point", 10).await;
    let (x, y) = point.as_str().unwrap().split_once(',').map(|(a, b)| (a.parse::<f64>().unwrap(), b.parse::<f64>().unwrap())).unwrap();
    lab.mouse("surface_view", "mousedown", x, y).await;
    lab.mouse("surface_view", "mousemove", x + 12.0, y - 8.0).await;
    lab.mouse("surface_view", "mouseup", x + 12.0, y - 8.0).await;
    let ratio = lab.until("the Taylor comparison", "(() => { const r = document.querySelectorAll('#taylor tr'); return r.length === 4 ? Number(r[3].querySelector('td').textContent) : null; })()", 20).await;
    assert!(ratio.as_f64().is_some_and(f64::is_finite), "{ratio}");
    lab.shot("surface").await;
    lab.mouse("surface_view", "mousedown", 150.0, 400.0).await;
    lab.mouse("surface_view", "mouseup", 150.0, 400.0).await;
    lab.until("a new start (both weights negative)", "(() => { const m = /w_x1 = ([-0-9.e]+), w_x2 = ([-0-9.e]+)/.exec(document.querySelector('.r-params')?.textContent || ''); return m && Number(m[1]) < 0 && Number(m[2]) < 0; })()", 30).await;
    lab.no_errors("surface").await;

    // 6. Perceptron vs gradient descent on OR: the rule converges; gradient descent falls.
    lab.open("perceptron").await;
    lab.started(1).await;
    let select = bounded("finding #dataset", lab.c.find(Locator::Css("#dataset"))).await;
    bounded("choosing OR", select.select_by_value("or")).await;
    lab.until(
        "OR loaded",
        "document.querySelector('.r-step').textContent === '0' && document.getElementById('rule-info')?.textContent.includes('수렴')",
        30,
    )
    .await;
    lab.fast().await;
    lab.click("#play").await;
    lab.until("gradient descent below 0.3", &format!("{} < 0.3", Lab::loss(0)), 40).await;
    lab.no_errors("perceptron").await;
    lab.shot("perceptron").await;

    // 7. Multi-layer: XOR with 4 tanh hidden units learns.
    lab.open("mlp").await;
    lab.started(1).await;
    lab.fast().await;
    lab.click("#play").await;
    lab.until("XOR below 0.3", &format!("{} < 0.3", Lab::loss(0)), 90).await;
    lab.no_errors("mlp").await;
    lab.shot("mlp").await;

    // 8. Runs: the run saved on page 1 is listed, opens, and overlays.
    lab.open("runs").await;
    lab.until("the saved run listed", "document.querySelector('#run-list a')", 20).await;
    lab.click("#run-list a").await;
    lab.until("the run's details", "document.querySelector('.run-detail h3')?.textContent.includes('parabola')", 20).await;
    lab.click("#run-list input[type=checkbox]").await;
    lab.no_errors("runs").await;
    lab.shot("runs").await;

    // 9. The lab: any config; then the language switch.
    lab.open("lab").await;
    lab.started(1).await;
    let first = lab.js(&Lab::loss(0)).await.as_f64().unwrap();
    lab.fast().await;
    lab.click("#play").await;
    lab.until("the loss halved", &format!("{} < {}", Lab::loss(0), first / 2.0), 40).await;
    lab.click("#lang").await;
    lab.until("English", "document.querySelector('header h1').textContent === 'gdlab live: gradient descent' && document.querySelector('#nav a').textContent === '1. Parabola'", 10).await;
    lab.no_errors("lab").await;
    lab.shot("lab-english").await;

    bounded("closing the browser", lab.c.close()).await;
}

/// The teacher's view in Chromium, with two students' pages open in their own browsers:
/// their sessions appear as cards and update, "pause all" stops them, and "send to everyone"
/// starts the chosen config in both students' labs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teacher_view_watches_pauses_and_sends_to_the_class_in_chromium() {
    let class = crate::classroom::Class::start(&["--host", "127.0.0.1"], &[]);
    let shots = root().join("target").join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    let base = format!("http://{}", class.addr);
    let join = format!("{base}/?join={}", class.join_token);
    let mut students = Vec::new();
    for k in 0..2 {
        let (driver, c) = browser().await;
        let s = Lab { c, base: base.clone(), shots: shots.clone() };
        bounded("following the join link", s.c.goto(&join)).await;
        s.until("the page after joining", "document.getElementById('page')?.dataset.page === 'parabola'", 20).await;
        s.open("lab").await;
        s.started(1).await;
        s.js(&format!("(() => {{ const n = document.getElementById('student-name'); n.value = '학생{k}'; n.dispatchEvent(new Event('change')); return true; }})()")).await;
        s.click("#play").await;
        students.push((driver, s));
    }
    let (_driver, c) = browser().await;
    let teacher = Lab { c, base: base.clone(), shots: shots.clone() };
    bounded("opening the teacher's link", teacher.c.goto(&class.teacher_link)).await;
    teacher.until("two cards", "document.querySelectorAll('.card').length === 2", 20).await;
    teacher
        .until(
            "the students' names",
            "Array.from(document.querySelectorAll('.card .who')).map(e => e.textContent).sort().join() === '학생0 (s1),학생1 (s2)'",
            20,
        )
        .await;
    let steps = "Array.from(document.querySelectorAll('.card .numbers')).map(e => Number(/업데이트 (\\d+)번/.exec(e.textContent)[1]))";
    let first = teacher.js(steps).await;
    teacher
        .until(
            "the cards updating",
            &format!("(() => {{ const now = {steps}, then = {first}; return now.every((s, i) => s > then[i] + 5); }})()"),
            20,
        )
        .await;
    teacher.shot("teacher").await;
    teacher.click("#pause-all").await;
    teacher.until("every card paused", "Array.from(document.querySelectorAll('.card')).every(c => c.dataset.state === 'paused')", 10).await;
    let paused = teacher.js(steps).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(teacher.js(steps).await, paused, "a paused session went on");
    // Send a config to everyone's lab: both students' labs start it.
    let pick = teacher
        .js("Array.from(document.querySelectorAll('#send-config option')).findIndex(o => o.textContent.startsWith('quadratic '))")
        .await;
    teacher.js(&format!("(() => {{ const s = document.getElementById('send-config'); s.value = '{pick}'; return true; }})()")).await;
    teacher.click("#send-lab").await;
    for (_, s) in &students {
        s.until("the config sent by the teacher", "document.getElementById('message').textContent === '선생님이 보낸 실험입니다.' && document.getElementById('config').value.includes('name = \"quadratic\"')", 20).await;
        s.started(1).await;
        s.no_errors("a student's lab").await;
    }
    students[0].1.shot("student-sent").await;
    teacher.no_errors("the teacher's view").await;
    bounded("closing the teacher's browser", teacher.c.close()).await;
    for (_, s) in students {
        bounded("closing a student's browser", s.c.close()).await;
    }
}
