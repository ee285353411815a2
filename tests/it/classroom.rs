//! `gdlab serve --classroom` against the real binary on loopback: tokens and cookies, the Host
//! check, a refusal off loopback without `--classroom`, tokens kept out of everything after the
//! banner, the per-student and class limits (also under concurrent creation), a fair share
//! for a student's classmates, and the teacher's actions. Every wait is bounded and says what
//! it waited for.

use crate::common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// A classroom server and what its banner said.
pub struct Class {
    child: Child,
    /// host:port to connect to (loopback).
    pub addr: String,
    pub port: u16,
    /// Join links, as printed.
    pub joins: Vec<String>,
    pub join_token: String,
    pub teacher_link: String,
    pub teacher_token: String,
    /// Everything the server printed after its banner, collected until it ends.
    after: std::sync::mpsc::Receiver<String>,
    pub runs: tempfile::TempDir,
    stderr: std::path::PathBuf,
}

impl Drop for Class {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Class {
    pub fn start(extra: &[&str], env: &[(&str, &str)]) -> Self {
        let runs = tempfile::tempdir().unwrap();
        let stderr = runs.path().join("..").join(format!("{}.stderr", runs.path().file_name().unwrap().to_string_lossy()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(["serve", "--classroom", "--port", "0", "--output-dir", runs.path().to_str().unwrap()])
            .args(extra)
            .envs(env.iter().copied())
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (after_tx, after) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut banner = Vec::new();
            let mut lines = BufReader::new(out).lines().map_while(Result::ok);
            for line in lines.by_ref() {
                let end = line.starts_with("Ctrl-C stops");
                banner.push(line);
                if end {
                    break;
                }
            }
            let _ = tx.send(banner);
            let rest: Vec<String> = lines.collect();
            let _ = after_tx.send(rest.join("\n"));
        });
        let banner = rx.recv_timeout(WAIT).unwrap_or_else(|_| panic!("no banner within {WAIT:?}"));
        let first = banner.first().cloned().unwrap_or_default();
        let bound = first.strip_prefix("gdlab serve: http://").unwrap_or_else(|| panic!("first line: {first:?}")).trim_end_matches('/');
        let port: u16 = bound.rsplit(':').next().unwrap().parse().unwrap();
        let joins: Vec<String> = banner.iter().map(|l| l.trim()).filter(|l| l.contains("/?join=")).map(String::from).collect();
        let teacher_link = banner.iter().map(|l| l.trim()).find(|l| l.contains("/teacher?key=")).unwrap().to_string();
        let join_token = joins[0].split("join=").nth(1).unwrap().to_string();
        let teacher_token = teacher_link.split("key=").nth(1).unwrap().to_string();
        assert!(banner.iter().any(|l| l.contains('█') || l.contains('▀') || l.contains('▄')), "no QR code in the banner: {banner:#?}");
        Class { child, addr: format!("127.0.0.1:{port}"), port, joins, join_token, teacher_link, teacher_token, after, runs, stderr }
    }

    /// A new student's cookie header value (`gdlab_student=...`).
    pub fn join(&self) -> String {
        let r = request(&self.addr, "GET", &format!("/?join={}", self.join_token), "", &[]);
        assert_eq!(r.status, 303, "{r:?}");
        r.cookie().unwrap_or_else(|| panic!("no cookie: {r:?}"))
    }

    pub fn teacher(&self) -> String {
        let r = request(&self.addr, "GET", &format!("/teacher?key={}", self.teacher_token), "", &[]);
        assert_eq!(r.status, 303, "{r:?}");
        r.cookie().unwrap()
    }

    /// Stops the server (SIGTERM) and returns what it printed after the banner and on stderr.
    pub fn stop(mut self) -> (String, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < WAIT, "the server did not stop within {WAIT:?} of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = self.after.recv_timeout(WAIT).unwrap();
        (after, std::fs::read_to_string(&self.stderr).unwrap_or_default())
    }
}

pub fn request(addr: &str, method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> Answer {
    http(addr, method, path, body, headers, WAIT)
}

fn config(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// `POST /api/sessions` as `cookie`; the answer.
fn create(class: &Class, cookie: &str, toml: &str) -> Answer {
    request(&class.addr, "POST", "/api/sessions?page=lab&set=optimizer.steps%3D100000", toml, &[("Cookie", cookie)])
}

fn created(class: &Class, cookie: &str, toml: &str) -> String {
    let r = create(class, cookie, toml);
    assert_eq!(r.status, 201, "{r:?}");
    r.json()["id"].as_str().unwrap().to_string()
}

fn control(class: &Class, cookie: &str, id: &str, body: &str) {
    let r = request(&class.addr, "POST", &format!("/api/sessions/{id}/control"), body, &[("Cookie", cookie)]);
    assert_eq!(r.status, 204, "{r:?}");
}

/// The arrival times of a session's row events, read on a thread until `window` has passed.
fn rows_during(class: &Class, cookie: &str, id: &str, window: Duration) -> std::thread::JoinHandle<Vec<Instant>> {
    let (addr, cookie, id) = (class.addr.clone(), cookie.to_string(), id.to_string());
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        write!(s, "GET /api/sessions/{id}/events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let started = Instant::now();
        let mut at = Vec::new();
        let mut line = String::new();
        while started.elapsed() < window {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) if line.starts_with("data: ") && line.contains(r#""event":"row""#) => at.push(Instant::now()),
                _ => {}
            }
        }
        at
    })
}

const QUADRATIC: &str = "configs/quadratic.toml";

#[test]
fn a_classroom_admits_only_its_tokens_and_the_teacher_only_the_teachers() {
    let class = Class::start(&["--host", "127.0.0.1"], &[]);
    let a = &class.addr;
    // No cookie: the page says how to join; the API answers JSON.
    let r = request(a, "GET", "/", "", &[]);
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.body.contains("QR") && r.header("content-type").unwrap().starts_with("text/html"), "{r:?}");
    let r = request(a, "GET", "/api/experiments", "", &[]);
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.json()["error"].as_str().unwrap().contains("join link"), "{r:?}");
    // A wrong token, a made-up cookie.
    assert_eq!(request(a, "GET", "/?join=not-the-token", "", &[]).status, 401);
    assert_eq!(request(a, "GET", "/teacher?key=not-the-token", "", &[]).status, 401);
    assert_eq!(request(a, "GET", "/api/experiments", "", &[("Cookie", "gdlab_student=0123456789abcdef0123456789abcdef")]).status, 401);
    // The join link: a 303 to the page without the token, with an HttpOnly, SameSite=Strict cookie.
    let r = request(a, "GET", &format!("/?join={}", class.join_token), "", &[]);
    assert_eq!((r.status, r.header("location")), (303, Some("/")), "{r:?}");
    let set = r.header("set-cookie").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
    assert!(!set.contains(&class.join_token), "the cookie is not the token: {set}");
    let student = r.cookie().unwrap();
    for path in ["/", "/app.js", "/api/experiments", "/api/runs"] {
        let r = request(a, "GET", path, "", &[("Cookie", &student)]);
        assert_eq!(r.status, 200, "{path}: {r:?}");
    }
    let me = request(a, "GET", "/api/me", "", &[("Cookie", &student)]).json();
    assert_eq!((me["classroom"].as_bool(), me["student"].as_str(), me["teacher"].as_bool()), (Some(true), Some("s1"), Some(false)), "{me}");
    // The same browser joining again stays the same student.
    let again = request(a, "GET", &format!("/?join={}", class.join_token), "", &[("Cookie", &student)]);
    assert_eq!((again.status, again.cookie()), (303, None), "{again:?}");
    // A student's cookie does not open the teacher's view.
    for path in ["/teacher", "/teacher.js", "/api/teacher/state"] {
        assert_eq!(request(a, "GET", path, "", &[("Cookie", &student)]).status, 403, "{path}");
    }
    assert_eq!(request(a, "POST", "/api/teacher/pause", "", &[("Cookie", &student)]).status, 403);
    // The teacher's link does.
    let teacher = class.teacher();
    assert_eq!(request(a, "GET", "/teacher", "", &[("Cookie", &teacher)]).status, 200);
    let state = request(a, "GET", "/api/teacher/state", "", &[("Cookie", &teacher)]).json();
    assert_eq!((state["classroom"].as_bool(), state["students"].as_u64(), state["max_sessions"].as_u64()), (Some(true), Some(1), Some(64)));
}

#[test]
fn the_host_check_accepts_this_machine_and_allowed_names_only() {
    let class = Class::start(&["--host", "0.0.0.0", "--allow-host", "lab.example"], &[]);
    let student = class.join();
    let port = class.port;
    let ok = |host: &str| request(&class.addr, "GET", "/api/experiments", "", &[("Host", host), ("Cookie", &student)]).status;
    // Every join link's host: this machine's addresses and name (bound to 0.0.0.0, each
    // reaches this server; the request goes over loopback with that Host).
    assert!(class.joins.len() >= 2, "{:?}", class.joins);
    for link in &class.joins {
        let host = link.strip_prefix("http://").unwrap().split('/').next().unwrap();
        assert_eq!(ok(host), 200, "{link}");
    }
    assert_eq!(ok(&format!("127.0.0.1:{port}")), 200);
    assert_eq!(ok(&format!("localhost:{port}")), 200);
    assert_eq!(ok(&format!("LAB.example:{port}")), 200);
    // Foreign names, another port, no Host: refused (DNS rebinding stays closed).
    assert_eq!(ok(&format!("evil.example:{port}")), 403);
    assert_eq!(ok(&format!("127.0.0.1:{}", port.wrapping_add(1))), 403);
    assert_eq!(ok(""), 403);
    let cross =
        request(&class.addr, "POST", "/api/sessions", &config(QUADRATIC), &[("Cookie", &student), ("Origin", "http://evil.example")]);
    assert_eq!(cross.status, 403, "{cross:?}");
}

#[test]
fn beyond_loopback_without_classroom_is_refused() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_gdlab")).args(["serve", "--host", "0.0.0.0", "--port", "0"]).current_dir(root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--host 0.0.0.0") && err.contains("add --classroom"), "{err}");
    assert!(out.stdout.is_empty(), "it must not have started: {}", String::from_utf8_lossy(&out.stdout));
    // The teacher's own token must be good enough to be a token.
    let out = Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["serve", "--classroom", "--port", "0", "--token-env", "CLASS_TOKEN"])
        .env("CLASS_TOKEN", "short")
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--token-env CLASS_TOKEN") && !err.contains("short"), "the error names the variable, not its value: {err}");
}

#[test]
fn tokens_never_leave_the_banner_and_a_students_run_goes_to_their_folder() {
    let chosen = "spring-class-2026";
    let class = Class::start(&["--host", "127.0.0.1", "--token-env", "CLASS_TOKEN"], &[("CLASS_TOKEN", chosen)]);
    assert_eq!(class.join_token, chosen);
    let student = class.join();
    let named =
        request(&class.addr, "POST", "/api/me", r#"{"name": "김민수"}"#, &[("Cookie", &student), ("Content-Type", "application/json")]);
    assert_eq!(named.status, 200, "{named:?}");
    let r = request(&class.addr, "POST", "/api/sessions?page=lab", &config(QUADRATIC), &[("Cookie", &student)]);
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.json()["id"].as_str().unwrap().to_string();
    let saved = request(&class.addr, "POST", &format!("/api/sessions/{id}/save"), "", &[("Cookie", &student)]);
    assert_eq!(saved.status, 201, "{saved:?}");
    let run = saved.json()["run"].as_str().unwrap().to_string();
    assert!(run.starts_with("class/s1/quadratic/"), "{run}");
    let folder = class.runs.path().join(&run);
    assert!(folder.join("config.toml").is_file() && folder.join("metrics.csv").is_file(), "{}", folder.display());
    let who: Value = serde_json::from_str(&std::fs::read_to_string(class.runs.path().join("class/s1/student.json")).unwrap()).unwrap();
    assert_eq!((who["student"].as_str(), who["name"].as_str()), (Some("s1"), Some("김민수")));
    // The student lists their own runs, by paths inside their folder.
    let listed = request(&class.addr, "GET", "/api/runs", "", &[("Cookie", &student)]).json();
    assert_eq!(listed["runs"].as_array().unwrap().len(), 1, "{listed}");
    // A classmate cannot read that run as data, by a relative or an absolute path.
    let other = class.join();
    // (Relative paths resolve in the classmate's own folder, class/s2/.)
    for path in [format!("../{}/metrics.csv", run.strip_prefix("class/").unwrap()), folder.join("metrics.csv").display().to_string()] {
        let toml = format!(
            "[experiment]\nname = \"peek\"\n[data]\nsource = \"csv\"\npath = {:?}\ntarget = \"loss\"\nfeatures = [\"step\"]\n[model]\n[loss]\nkind = \"mse\"\n[optimizer]\nlr = 0.1\nsteps = 10\n",
            path
        );
        let r = request(&class.addr, "POST", "/api/sessions", &toml, &[("Cookie", &other)]);
        assert_eq!(r.status, 400, "{path}: {r:?}");
        assert!(r.json()["error"].as_str().unwrap().contains("outside the folders"), "{r:?}");
        assert!(!r.body.contains("25"), "{r:?}");
    }
    // Wrong tokens tried, the teacher's view used: none of it is logged.
    let _ = request(&class.addr, "GET", &format!("/?join={}x", class.join_token), "", &[]);
    let teacher = class.teacher();
    let _ = request(&class.addr, "GET", "/api/teacher/state", "", &[("Cookie", &teacher)]);
    let (join, key) = (class.join_token.clone(), class.teacher_token.clone());
    let runs = class.runs.path().to_path_buf();
    let keep = tempfile::tempdir().unwrap();
    let copy = keep.path().join("runs");
    assert!(Command::new("cp").arg("-r").arg(&runs).arg(&copy).status().unwrap().success());
    let (after, stderr) = class.stop();
    for token in [&join, &key] {
        assert!(!after.contains(token.as_str()), "a token on stdout after the banner: {after}");
        assert!(!stderr.contains(token.as_str()), "a token on stderr: {stderr}");
    }
    let mut files = vec![copy];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&join) && !text.contains(&key), "a token in {}", p.display());
        }
    }
}

#[test]
fn a_students_third_session_is_429_and_the_class_cap_holds_under_concurrent_creation() {
    let class = Class::start(&["--host", "127.0.0.1", "--max-sessions", "4"], &[]);
    let toml = config(QUADRATIC);
    let one = class.join();
    created(&class, &one, &toml);
    created(&class, &one, &toml);
    let third = create(&class, &one, &toml);
    assert_eq!(third.status, 429, "{third:?}");
    assert!(third.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{third:?}");
    assert!(third.json()["error"].as_str().unwrap().contains("2 live sessions"), "{third:?}");
    // Four more students at once, two sessions each, for the two places left: exactly two admitted.
    let cookies: Vec<String> = (0..4).map(|_| class.join()).collect();
    let handles: Vec<_> = cookies
        .iter()
        .flat_map(|c| [c.clone(), c.clone()])
        .map(|c| {
            let (addr, toml) = (class.addr.clone(), toml.clone());
            std::thread::spawn(move || {
                request(&addr, "POST", "/api/sessions?set=optimizer.steps%3D100000", &toml, &[("Cookie", &c)]).status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 2, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 429), "{statuses:?}");
    let teacher = class.teacher();
    let state = request(&class.addr, "GET", "/api/teacher/state", "", &[("Cookie", &teacher)]).json();
    assert_eq!(state["sessions"].as_array().unwrap().len(), 4, "{state}");
}

#[test]
fn a_student_at_full_speed_on_a_heavy_model_does_not_stall_a_classmates_stream() {
    let class = Class::start(&["--host", "127.0.0.1"], &[]);
    // Student one: two wide networks at the top speed.
    let heavy = config("configs/xor_mlp.toml");
    let one = class.join();
    // A network past the classroom's size, and data past it, are refused before any is built.
    for set in ["model.layers%3D%5B2%2C600%2C600%2C1%5D", "data.n%3D2000000"] {
        let r = request(&class.addr, "POST", &format!("/api/sessions?set={set}"), &heavy, &[("Cookie", &one)]);
        assert_eq!(r.status, 400, "{set}: {r:?}");
        assert!(r.json()["error"].as_str().unwrap().contains("a classroom session"), "{r:?}");
    }
    for _ in 0..2 {
        let r = request(
            &class.addr,
            "POST",
            "/api/sessions?set=optimizer.steps%3D100000&set=model.layers%3D%5B2%2C400%2C400%2C1%5D",
            &heavy,
            &[("Cookie", &one)],
        );
        assert_eq!(r.status, 201, "{r:?}");
        control(&class, &one, r.json()["id"].as_str().unwrap(), r#"{"action": "play", "speed": 200}"#);
    }
    // Student two: one small model at the page's default speed.
    let two = class.join();
    let id = created(&class, &two, &config(QUADRATIC));
    let reader = rows_during(&class, &two, &id, Duration::from_secs(4));
    control(&class, &two, &id, r#"{"action": "play", "speed": 20}"#);
    let at = reader.join().unwrap();
    // The first second is the stream starting; gaps after it.
    let mut gaps: Vec<f64> = at.windows(2).skip(20).map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1e3).collect();
    assert!(gaps.len() >= 30, "{} rows in 4 s at 20 per second", at.len());
    gaps.sort_by(f64::total_cmp);
    let p95 = gaps[(gaps.len() - 1) * 95 / 100];
    assert!(p95 < 250.0, "the classmate's stream: p95 gap {p95:.0} ms (bound 250 ms); gaps {gaps:?}");
}

#[test]
fn the_teacher_pauses_all_ends_a_students_sessions_and_sends_a_page_to_everyone() {
    let class = Class::start(&["--host", "127.0.0.1"], &[]);
    let toml = config(QUADRATIC);
    let (one, two) = (class.join(), class.join());
    let a = created(&class, &one, &toml);
    let b = created(&class, &two, &toml);
    control(&class, &one, &a, r#"{"action": "play", "speed": 50}"#);
    control(&class, &two, &b, r#"{"action": "play", "speed": 50}"#);
    // A student sees only their own sessions.
    assert_eq!(request(&class.addr, "GET", &format!("/api/sessions/{b}"), "", &[("Cookie", &one)]).status, 404);
    assert_eq!(
        request(&class.addr, "POST", &format!("/api/sessions/{b}/control"), r#"{"action": "pause"}"#, &[("Cookie", &one)]).status,
        404
    );
    let teacher = class.teacher();
    let state = || request(&class.addr, "GET", "/api/teacher/state", "", &[("Cookie", &teacher)]).json();
    let started = Instant::now();
    while state()["sessions"].as_array().unwrap().iter().any(|s| s["step"].as_u64().unwrap() < 5 || s["state"] != "playing") {
        assert!(started.elapsed() < WAIT, "both sessions playing past step 5: {}", state());
        std::thread::sleep(Duration::from_millis(50));
    }
    let paused = request(&class.addr, "POST", "/api/teacher/pause", "", &[("Cookie", &teacher)]);
    assert_eq!((paused.status, paused.json()["sessions"].as_u64()), (200, Some(2)), "{paused:?}");
    std::thread::sleep(Duration::from_millis(300));
    let before = state();
    std::thread::sleep(Duration::from_millis(500));
    let after = state();
    for (x, y) in before["sessions"].as_array().unwrap().iter().zip(after["sessions"].as_array().unwrap()) {
        assert_eq!((x["step"].clone(), y["state"].as_str()), (y["step"].clone(), Some("paused")), "{before} {after}");
        assert!(x["curve"].as_array().unwrap().len() >= 2, "{x}");
    }
    // Send to everyone: a student's class stream gets the page and the config.
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let (addr, cookie) = (class.addr.clone(), two.clone());
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(&addr).unwrap();
            write!(s, "GET /api/class/events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n").unwrap();
            let mut lines = BufReader::new(s).lines().map_while(Result::ok);
            let _ = tx.send(String::new());
            if let Some(l) = lines.find(|l| l.starts_with("data: ")) {
                let _ = tx.send(l);
            }
        });
    }
    rx.recv_timeout(WAIT).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let sent = request(
        &class.addr,
        "POST",
        "/api/teacher/send",
        &serde_json::json!({ "session": a }).to_string(),
        &[("Cookie", &teacher), ("Content-Type", "application/json")],
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let got = rx.recv_timeout(WAIT).unwrap_or_else(|_| panic!("the student's page got nothing within {WAIT:?}"));
    let got: Value = serde_json::from_str(got.strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(got["page"], "lab");
    assert!(got["config"].as_str().unwrap().contains("name = \"quadratic\""), "{got}");
    let bad = request(&class.addr, "POST", "/api/teacher/send", r#"{"page": "../etc"}"#, &[("Cookie", &teacher)]);
    assert_eq!(bad.status, 400, "{bad:?}");
    // End one student's sessions: theirs go, the other's stay.
    let ended = request(&class.addr, "POST", "/api/teacher/students/s1/end", "", &[("Cookie", &teacher)]);
    assert_eq!((ended.status, ended.json()["sessions"].as_u64()), (200, Some(1)), "{ended:?}");
    assert_eq!(request(&class.addr, "GET", &format!("/api/sessions/{a}"), "", &[("Cookie", &one)]).status, 404);
    assert_eq!(request(&class.addr, "GET", &format!("/api/sessions/{b}"), "", &[("Cookie", &two)]).status, 200);
    assert_eq!(request(&class.addr, "POST", "/api/teacher/students/s1/end", "", &[("Cookie", &teacher)]).status, 404);
}
