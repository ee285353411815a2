//! Backends swapped from the config, through the real binary: what every build says about the
//! backends it lacks, and, where compiled, wgpu (Mesa's lavapipe in CI) and the remote backend
//! through a `gdlab device-server` on a loopback port, each against flex.

use crate::common::*;

fn code(o: &std::process::Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn devices_lists_every_backend_and_says_how_to_build_the_missing_ones() {
    let o = gdlab(&["devices"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for name in ["flex", "ndarray", "wgpu", "cuda", "remote"] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing in:\n{text}");
    }
    let o = gdlab(&["devices", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let compiled =
        |name: &str| v["backends"].as_array().unwrap().iter().find(|b| b["name"] == name).unwrap()["compiled"].as_bool().unwrap();
    assert!(compiled("flex") && compiled("ndarray"));
    assert_eq!(compiled("wgpu"), cfg!(feature = "wgpu"));
    assert_eq!(compiled("remote"), cfg!(feature = "remote"));
    assert_eq!(compiled("cuda"), cfg!(feature = "cuda"));
    if !cfg!(feature = "wgpu") {
        assert!(text.contains("--features wgpu"), "{text}");
    }
}

/// A backend this binary was built without: exit 2, naming the feature to build with, and no
/// run folder left behind.
#[test]
fn a_backend_not_built_is_refused_naming_its_feature() {
    let dir = tempfile::tempdir().unwrap();
    let mut missing = Vec::new();
    if !cfg!(feature = "wgpu") {
        missing.push(("wgpu", vec!["backend.name=\"wgpu\""]));
    }
    if !cfg!(feature = "cuda") {
        missing.push(("cuda", vec!["backend.name=\"cuda\""]));
    }
    if !cfg!(feature = "remote") {
        missing.push(("remote", vec!["backend.name=\"remote\"", "backend.url=\"ws://127.0.0.1:9\""]));
    }
    for (feature, sets) in missing {
        let out = dir.path().join(feature);
        let o = train("configs/linear_regression.toml", &out, &sets);
        let e = stderr(&o);
        assert_eq!(code(&o), Some(2), "{feature}: {e}");
        assert!(e.contains(&format!("--features {feature}")), "{feature}: {e}");
        assert!(!out.exists(), "{feature}: a refused run must not leave a folder");
    }
    if !cfg!(feature = "remote") {
        let o = gdlab(&["device-server", "--port", "0", "--no-auth"]);
        assert_eq!(code(&o), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--features remote"), "{}", stderr(&o));
    }
}

/// The backend keys are checked together, each error naming its key and the fix.
#[test]
fn backend_keys_are_checked_with_their_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["backend.url=\"ws://127.0.0.1:3000\""], "backend.url"),
        (&["backend.device=\"discrete:0\""], "backend.device"),
        (&["backend.name=\"wgpu\"", "backend.device=\"gpu7\""], "backend.device"),
        (&["backend.name=\"remote\""], "backend.url"),
        (&["backend.name=\"remote\"", "backend.url=\"https://gpu:3000\""], "backend.url"),
        (&["backend.name=\"wgpu\"", "backend.shards=4"], "backend.shards"),
    ];
    for (k, (sets, key)) in cases.iter().enumerate() {
        let out = dir.path().join(k.to_string());
        let o = train("configs/linear_regression.toml", &out, sets);
        let e = stderr(&o);
        assert_eq!(code(&o), Some(2), "{sets:?}: {e}");
        assert!(e.contains(key) && e.contains("hint"), "{sets:?}: {e}");
        assert!(!out.exists());
    }
    let o = gdlab(&["bench", "--workload", "W1", "--backend", "tpu"]);
    assert_eq!(code(&o), Some(2));
    assert!(stderr(&o).contains("possible values: flex, ndarray, wgpu, cuda, remote"), "{}", stderr(&o));
}

/// Largest relative difference between two loss curves (same steps).
#[cfg(any(feature = "wgpu", feature = "remote"))]
fn curve_gap(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "same number of rows");
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / x.abs().max(1e-3)).fold(0.0, f64::max)
}

#[cfg(any(feature = "wgpu", feature = "remote"))]
fn losses(run: &std::path::Path) -> Vec<f64> {
    column(run, "loss")
}

#[cfg(feature = "wgpu")]
mod wgpu {
    use super::*;
    use std::path::Path;

    /// Lavapipe (or whatever adapter wgpu picks) against flex, f32, on the shipped configs: the
    /// same data, start and steps, so the loss curves differ only by rounding (the device sums in
    /// another order and its exp/log differ by an ulp or so). Bound 1e-4 relative, per row:
    /// measured on lavapipe, xor_mlp differs by 4.3e-7 over 300 steps (3.2e-5 over all 3000),
    /// while a wrong kernel or a lost update is off by percents.
    #[test]
    fn wgpu_f32_follows_flex_f32_on_the_shipped_configs() {
        let dir = tempfile::tempdir().unwrap();
        for (config, steps) in
            // Short runs: lavapipe takes about 55 ms per step here (11 s for 200 linear_regression
            // steps, 29 s for 200 xor_mlp steps), and a curve's drift shows within these.
            [("configs/linear_regression.toml", 60), ("configs/logistic_regression.toml", 60), ("configs/xor_mlp.toml", 100)]
        {
            let stem = Path::new(config).file_stem().unwrap().to_str().unwrap().to_string();
            let steps = format!("optimizer.steps={steps}");
            let flex = dir.path().join(format!("{stem}-flex"));
            let gpu = dir.path().join(format!("{stem}-wgpu"));
            train_ok(config, &flex, &[&steps]);
            let s = train_ok(config, &gpu, &[&steps, "backend.name=\"wgpu\""]);
            assert_eq!(s["backend"], "wgpu");
            let gap = curve_gap(&losses(&flex), &losses(&gpu));
            eprintln!("{stem}: wgpu vs flex, largest relative loss difference {gap:.2e}");
            assert!(gap < 1e-4, "{stem}: wgpu and flex loss curves differ by {gap:.2e}");
        }
    }

    /// f64 on wgpu: refused with exit 2 unless the device's f64 passes the agreement check, in
    /// which case the run must match flex f64 closely (1e-9 relative).
    #[test]
    fn wgpu_f64_is_refused_unless_the_device_agrees_with_flex() {
        let dir = tempfile::tempdir().unwrap();
        let gpu = dir.path().join("gpu");
        let o = train("configs/linear_regression.toml", &gpu, &["backend.name=\"wgpu\"", "backend.dtype=\"f64\"", "optimizer.steps=50"]);
        if o.status.success() {
            let flex = dir.path().join("flex");
            train_ok("configs/linear_regression.toml", &flex, &["backend.dtype=\"f64\"", "optimizer.steps=50"]);
            let gap = curve_gap(&losses(&flex), &losses(&gpu));
            assert!(gap < 1e-9, "wgpu f64 accepted but differs from flex f64 by {gap:.2e}");
        } else {
            let e = stderr(&o);
            assert_eq!(code(&o), Some(2), "{e}");
            assert!(e.contains("F64") && e.contains("hint"), "{e}");
            assert!(!gpu.exists());
        }
    }

    /// A wgpu adapter that does not exist: exit 2 with a hint, never cubecl's panic.
    #[test]
    fn a_missing_adapter_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let o = train("configs/linear_regression.toml", &out, &["backend.name=\"wgpu\"", "backend.device=\"discrete:99\""]);
        let e = stderr(&o);
        assert_eq!(code(&o), Some(2), "{e}");
        assert!(e.contains("no wgpu adapter") && e.contains("hint") && !e.contains("panicked"), "{e}");
        assert!(!out.exists());
    }

    /// burn loads an optimiser record (a resumed run's momentum) onto `Device::default()`, which
    /// a wgpu build makes the default GPU, registering its runtime before gdlab opens it. A wgpu
    /// run later in the same process (the live lab, the library) must still open. In-process,
    /// and the only test of this binary that touches wgpu in-process, so nothing opened it first.
    #[test]
    fn wgpu_opens_after_burn_opened_the_default_device_for_a_resume() {
        let run = |backend: &str, momentum: &str| {
            let sets = [format!("backend.name=\"{backend}\""), format!("optimizer.momentum={momentum}"), "optimizer.steps=4".into()];
            let loaded = gdlab::config::load(&root().join("configs/linear_regression.toml"), &sets).unwrap();
            let exp = gdlab::train::experiment::prepare(loaded).unwrap();
            let mut t = exp.trainer();
            t.step(false);
            let c = t.checkpoint().unwrap();
            let mut resumed = exp.trainer();
            resumed.restore(&c).unwrap();
            resumed.step(false);
        };
        run("flex", "0.9");
        run("wgpu", "0.9");
    }

    #[test]
    fn gradcheck_eval_and_bench_run_on_wgpu() {
        // A neuron: the command on the device. The mlp's gradients there are the agreement
        // tests' (tests/gradients_f32.rs, on_device); xor_mlp here took 25 s on lavapipe.
        let o = gdlab(&["gradcheck", "configs/logistic_regression.toml", "--set", "backend.name=\"wgpu\""]);
        assert_eq!(code(&o), Some(0), "{}{}", stdout(&o), stderr(&o));
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        train_ok("configs/logistic_regression.toml", &run, &["backend.name=\"wgpu\"", "optimizer.steps=50"]);
        let o = gdlab(&["eval", run.to_str().unwrap()]);
        assert_eq!(code(&o), Some(0), "{}", stderr(&o));
        let o = gdlab(&["bench", "--workload", "W1", "--backend", "wgpu", "--rows", "2048", "--repeat", "1", "--json"]);
        assert_eq!(code(&o), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["W1"]["steps_per_s"].as_f64().unwrap() > 0.0);
        assert!(v["W1"]["backend"].as_str().unwrap().starts_with("wgpu"));
    }
}

#[cfg(feature = "remote")]
mod remote {
    use super::*;
    use std::io::BufRead;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};

    const TOKEN_ENV: &str = "GDLAB_TEST_REMOTE_TOKEN";
    const TOKEN: &str = "a-test-token-7f3a";

    /// A `gdlab device-server` on loopback; killed when dropped.
    struct DeviceServer {
        child: Child,
        url: String,
    }

    impl Drop for DeviceServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn device_server(port: u16, extra: &[&str]) -> DeviceServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(["device-server", "--port", &port.to_string(), "--token-env", TOKEN_ENV])
            .args(extra)
            .env(TOKEN_ENV, TOKEN)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("gdlab device-server: ").unwrap_or_else(|| panic!("first line: {line:?}")).to_string();
        assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
        DeviceServer { child, url }
    }

    fn rss_kib(pid: u32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// A peer without the token gets a bounded head and first message only: three connections
    /// that each declare a 1 GiB first frame and stream 8 MiB of it are closed, and the server
    /// holds a few MiB more at most (it took 780 MiB before the gate).
    #[test]
    fn an_unauthenticated_peer_cannot_make_the_server_buffer_a_large_message() {
        use std::io::{Read, Write};
        let server = device_server(0, &[]);
        let addr = server.url.strip_prefix("ws://").unwrap().to_string();
        // The first connection also starts the server's own machinery (its runtime's threads,
        // the route): memory is measured from after it.
        let mut before = 0;
        for k in 0..4 {
            if k == 1 {
                before = rss_kib(server.child.id());
            }
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
            s.set_write_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
            write!(
                s,
                "GET /session HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            .unwrap();
            let mut head = [0u8; 12];
            s.read_exact(&mut head).unwrap();
            assert_eq!(&head, b"HTTP/1.1 101", "the upgrade itself is served");
            let mut frame = vec![0x82, 0xFF];
            frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
            frame.extend_from_slice(&[1, 2, 3, 4]);
            s.write_all(&frame).unwrap();
            let chunk = vec![0u8; 1 << 16];
            let sent = (0..128).take_while(|_| s.write_all(&chunk).is_ok()).count();
            assert!(sent < 128, "the server read all 8 MiB of an unauthenticated first message");
        }
        let grown = rss_kib(server.child.id()).saturating_sub(before);
        assert!(grown < 8 * 1024, "the server grew by {grown} KiB for three unauthenticated peers");
    }

    /// `gdlab train` with the remote backend at `url`, the token in the environment.
    fn train_remote(config: &str, out: &Path, url: &str, token: Option<&str>, sets: &[&str]) -> Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gdlab"));
        cmd.args(["train", config, "--quiet", "--out", out.to_str().unwrap()])
            .args([
                "--set",
                "backend.name=\"remote\"",
                "--set",
                &format!("backend.url=\"{url}\""),
                "--set",
                &format!("backend.token_env=\"{TOKEN_ENV}\""),
            ])
            .current_dir(root())
            .env_remove(TOKEN_ENV)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for s in sets {
            cmd.args(["--set", s]);
        }
        if let Some(t) = token {
            cmd.env(TOKEN_ENV, t);
        }
        cmd.spawn().unwrap()
    }

    /// burn's remote backend runs flex's ops on the server. Locally flex gets X column-major
    /// (`train::shard::column_major`), the remote device row-major, so sums run in another order:
    /// the curves agree to f32 rounding, not bit for bit (measured: 2.5e-6 relative over 500
    /// linear-regression steps). Bound 1e-4. The token is never written into the run folder.
    #[test]
    fn a_run_through_a_device_server_follows_flex_and_keeps_no_token() {
        let server = device_server(0, &[]);
        let dir = tempfile::tempdir().unwrap();
        for config in ["configs/linear_regression.toml", "configs/xor_mlp.toml"] {
            let stem = Path::new(config).file_stem().unwrap().to_str().unwrap().to_string();
            let flex = dir.path().join(format!("{stem}-flex"));
            let remote = dir.path().join(format!("{stem}-remote"));
            train_ok(config, &flex, &["optimizer.steps=100"]);
            let o = train_remote(config, &remote, &server.url, Some(TOKEN), &["optimizer.steps=100"]).wait_with_output().unwrap();
            assert!(o.status.success(), "{stem}: {}", stderr(&o));
            let gap = super::curve_gap(&losses(&flex), &losses(&remote));
            eprintln!("{stem}: remote vs flex, largest relative loss difference {gap:.2e}");
            assert!(gap < 1e-4, "{stem}: remote differs from flex by {gap:.2e}");
            assert_eq!(summary(&remote)["backend"], "remote");
            for entry in std::fs::read_dir(&remote).unwrap() {
                let path = entry.unwrap().path();
                if let Ok(text) = std::fs::read_to_string(&path) {
                    assert!(!text.contains(TOKEN), "{} holds the token", path.display());
                }
            }
        }
    }

    #[test]
    fn a_wrong_or_missing_token_is_refused_and_no_server_is_exit_1() {
        let server = device_server(0, &[]);
        let dir = tempfile::tempdir().unwrap();
        for (k, token) in [Some("wrong"), None].into_iter().enumerate() {
            let out = dir.path().join(k.to_string());
            let o = train_remote("configs/linear_regression.toml", &out, &server.url, token, &[]).wait_with_output().unwrap();
            let e = stderr(&o);
            assert_eq!(code(&o), Some(2), "{token:?}: {e}");
            assert!(e.contains("refused") && e.contains(TOKEN_ENV), "{token:?}: {e}");
            assert!(!out.exists());
        }
        let url = server.url.clone();
        drop(server);
        let out = dir.path().join("gone");
        let o = train_remote("configs/linear_regression.toml", &out, &url, Some(TOKEN), &[]).wait_with_output().unwrap();
        let e = stderr(&o);
        assert_eq!(code(&o), Some(1), "{e}");
        assert!(e.contains("cannot reach") && e.contains("device-server"), "{e}");
        assert!(!out.exists());
    }

    #[test]
    fn a_device_server_needs_a_token_or_loopback_no_auth() {
        let o = Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(["device-server", "--port", "0", "--token-env", "GDLAB_TEST_UNSET_TOKEN"])
            .output()
            .unwrap();
        assert_eq!(code(&o), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("GDLAB_TEST_UNSET_TOKEN is not set"), "{}", stderr(&o));
        let o = Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(["device-server", "--port", "0", "--no-auth", "--host", "0.0.0.0"])
            .output()
            .unwrap();
        assert_eq!(code(&o), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("loopback only"), "{}", stderr(&o));
        // --no-auth on loopback serves clients without a token; Ctrl-C stops it with exit 0.
        let mut server = device_server(0, &["--no-auth"]);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let o =
            train_remote("configs/linear_regression.toml", &out, &server.url, None, &["optimizer.steps=20"]).wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        unsafe { libc::kill(server.child.id() as i32, libc::SIGINT) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let status = loop {
            if let Some(s) = server.child.try_wait().unwrap() {
                break s;
            }
            assert!(std::time::Instant::now() < deadline, "the device-server did not stop on Ctrl-C");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(0));
    }

    /// The server dies mid-run: the client stops with exit 1 and a message that says how to go
    /// on; the folder is readable and `--resume` finishes it once a server is back on the same
    /// address, bit for bit where an uninterrupted remote run ends.
    #[test]
    fn a_server_killed_mid_run_leaves_a_resumable_folder() {
        let server = device_server(0, &[]);
        let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        // A remote step is a round trip (about 130 a second here): 800 of them, killed at a quarter.
        let sets = ["optimizer.steps=800", "output.checkpoint_every=50"];
        let mut client = train_remote("configs/linear_regression.toml", &run, &server.url, Some(TOKEN), &sets);
        // Kill the server once the run has checkpointed a few times.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::fs::read_to_string(run.join("metrics.csv")).map_or(0, |t| t.lines().count()) < 200 {
            assert!(std::time::Instant::now() < deadline, "the remote run made no progress");
            assert!(client.try_wait().unwrap().is_none(), "the run ended before the server was killed");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(server);
        let o = client.wait_with_output().unwrap();
        let e = stderr(&o);
        assert_eq!(code(&o), Some(1), "{e}");
        assert!(e.contains("stopped answering") && e.contains("--resume"), "{e}");
        assert!(!run.join("summary.json").exists());
        let cmp = dir.path().join("compare");
        let o = gdlab(&["compare", run.to_str().unwrap(), "--out", cmp.to_str().unwrap()]);
        assert!(o.status.success(), "compare reads the stopped run: {}", stderr(&o));

        let again = device_server(port, &[]);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gdlab"));
        let o =
            cmd.args(["train", "--resume", run.to_str().unwrap(), "--quiet"]).env(TOKEN_ENV, TOKEN).current_dir(root()).output().unwrap();
        assert!(o.status.success(), "resume: {}", stderr(&o));
        let whole = dir.path().join("whole");
        let o = train_remote("configs/linear_regression.toml", &whole, &again.url, Some(TOKEN), &sets).wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let (resumed, uninterrupted) = (metrics(&run).1, metrics(&whole).1);
        assert_eq!(resumed.len(), 801);
        assert_eq!(resumed, uninterrupted, "the resumed remote run differs from an uninterrupted one");
    }
}
