//! `gdlab serve`: the lecture live in a browser. Each session is an ordinary config trained by
//! the same `Trainer` as `gdlab train` on its own thread; the page (HTML, CSS and JS of our own,
//! embedded in the binary) draws what the session reports and sends it controls.
//!
//! Safety on the user's machine: loopback by default, and beyond it only as a classroom
//! (`classroom`: every request needs the class's or the teacher's token); requests whose Host
//! is not this server's or whose Origin is another site's are refused (a web page, or a
//! DNS-rebinding one, cannot drive it); bodies are limited to 1 MiB; at most `max_sessions`
//! live sessions, each with a step budget and a speed cap, dropped when no page has watched
//! them for a while (in a classroom also a few per student, each student a fair share of the
//! machine: `fair`); posted configs may read data only from the shipped data and the runs
//! folder; run paths cannot leave the runs folder.

mod api;
pub mod classroom;
mod fair;
mod guard;
mod report;
pub mod session;
mod teacher;
mod views;

use crate::error::GdlabError;
use session::Session;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

pub struct ServeOptions {
    pub host: IpAddr,
    pub port: u16,
    /// Run folders listed and written by the page.
    pub runs: PathBuf,
    /// A folder of the user's own CSV files posted configs may read (`--data`); without it,
    /// only the embedded data sets and the runs folder.
    pub data: Option<PathBuf>,
    pub max_sessions: usize,
    /// A session with no open event stream for this long is dropped.
    pub idle_seconds: u64,
    /// Classroom mode (`--classroom`); `None` is the single user on loopback.
    pub classroom: Option<classroom::ClassOptions>,
}

/// What the server tells its starter once it listens: the address, and in a classroom the
/// links to print (the only place the tokens ever appear).
pub struct Ready {
    pub addr: SocketAddr,
    /// Join links, one per address students can reach (loopback last).
    pub join: Vec<String>,
    /// The teacher's link.
    pub teacher: Option<String>,
}

/// Live sessions at most, unless `--max-sessions` says otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = 8;
/// Largest request body (a config, a control).
pub const MAX_BODY: usize = 1 << 20;
/// Most updates a live session may make.
pub const MAX_SESSION_STEPS: usize = 1_000_000;
/// A session with no open event stream for this long is dropped, unless `--idle-seconds` says
/// otherwise.
pub const IDLE_SECONDS: u64 = 60;

/// Computations (surfaces, probes, a session's data, the perceptron rule) run at once, and how
/// long a request waits for its turn before a 503.
pub const HEAVY_AT_ONCE: usize = 2;
pub const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

pub(crate) struct App {
    sessions: Mutex<HashMap<u64, Arc<Session>>>,
    next_id: AtomicU64,
    /// Canonical folders: posted configs resolve data paths against `configs` and may read
    /// only under `data` or `runs`.
    /// Canonical folders: posted configs resolve relative data paths against `base` (the
    /// `--data` folder, else the runs folder) and may read only under `data` or `runs`.
    base: PathBuf,
    data: Option<PathBuf>,
    runs: PathBuf,
    max_sessions: usize,
    idle: std::time::Duration,
    /// Names (lower case, IPv6 in brackets) a request's Host or Origin may carry, on `port`.
    names: Vec<String>,
    port: u16,
    /// Permits for computations (`api::blocking`).
    heavy: Arc<tokio::sync::Semaphore>,
    classroom: Option<classroom::Classroom>,
    /// Each student's share of the machine (in a classroom).
    fair: Option<Arc<fair::Fairness>>,
    /// The teacher's latest "send to everyone".
    sent: tokio::sync::watch::Sender<Option<teacher::Sent>>,
    /// Set when the server stops: a "save as run" under way stops too (an interrupted run).
    stopping: std::sync::atomic::AtomicBool,
}

/// Open connections (event streams never end by themselves) get this long after Ctrl-C.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Binds, calls `ready` with the address (the CLI prints it as its first line), and serves
/// until Ctrl-C or SIGTERM: then it stops accepting, gives open requests `DRAIN` to finish,
/// ends every session and returns (live sessions are not runs: nothing is left half-written,
/// since "save as run" writes its folder as `gdlab train` does).
pub fn serve(o: ServeOptions, ready: impl FnOnce(&Ready)) -> Result<(), GdlabError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(GdlabError::io("cannot start the server's runtime"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((o.host, o.port)).await.map_err(|e| {
            GdlabError::Input(format!("--host {} --port {}: cannot listen: {e}\n  hint: --port 0 picks a free port", o.host, o.port))
        })?;
        let addr = listener.local_addr().map_err(GdlabError::io("cannot read the bound address"))?;
        let app = Arc::new(App::new(&o, addr)?);
        // Listening for the signals before the address is announced: one sent as soon as it is
        // printed stops the server as cleanly as any later one.
        let stop = stop_signal().map_err(GdlabError::io("cannot listen for Ctrl-C and SIGTERM"))?;
        ready(&app.ready(addr));
        tokio::spawn(api::reap_idle(Arc::clone(&app)));
        accept_until(listener, api::router(Arc::clone(&app)), stop).await;
        app.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut all) = app.sessions.lock() {
            all.clear();
        }
        Ok(())
    })
}

/// Serves connections from `listener` until `stop`, then asks each to finish (idle keep-alive
/// connections close, event streams end with their sessions) and gives them `DRAIN`. Each
/// connection must send a request's head within `HEADER_TIMEOUT`: one that never finishes its
/// headers is closed, not held forever (axum::serve sets no such timer).
async fn accept_until(listener: tokio::net::TcpListener, router: axum::Router, stop: impl std::future::Future<Output = ()>) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors and the like: wait a moment rather than spin.
                Err(_) => { tokio::time::sleep(std::time::Duration::from_millis(50)).await; continue; }
            },
        };
        let (stream, peer) = stream;
        // Beyond the cap a connection is closed at once: open streams are bounded, and with
        // them this process's descriptors.
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else { continue };
        let _ = stream.set_nodelay(true);
        let router = router.clone().layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let service = hyper_util::service::TowerToHyperService::new(router);
        let mut closed = closed.clone();
        tasks.spawn(async move {
            let _open = permit;
            // HTTP/1 only: the auto builder's version sniffing runs before any timer, so a
            // client that never sends a byte would be held forever.
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
            builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closed.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        // Finished connections' entries are dropped as we go.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    let _ = tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} }).await;
}

/// Connections open at once (event streams included).
pub const MAX_CONNECTIONS: usize = 512;

/// A request's head must arrive within this long of the connection (or of the previous
/// response on a kept-alive one).
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Ctrl-C or SIGTERM: the handlers are installed when this is called, not when the future is
/// first polled.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut int, mut term) = (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?);
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

impl App {
    fn new(o: &ServeOptions, addr: SocketAddr) -> Result<Self, GdlabError> {
        std::fs::create_dir_all(&o.runs).map_err(GdlabError::io(format!("cannot create the runs folder {}", o.runs.display())))?;
        let canon = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
        let names = match &o.classroom {
            Some(c) => classroom::own_names(addr, &c.allow_hosts),
            None => {
                let mut names = vec![classroom::host_form(addr.ip())];
                if addr.ip().is_loopback() {
                    names.extend(["localhost".to_string(), "127.0.0.1".to_string(), "[::1]".to_string()]);
                }
                names
            }
        };
        let classroom = o.classroom.as_ref().map(|c| classroom::Classroom::new(c, addr.port())).transpose()?;
        Ok(Self {
            sessions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            base: canon(o.data.clone().unwrap_or_else(|| o.runs.clone())),
            data: o.data.clone().map(canon),
            runs: canon(o.runs.clone()),
            max_sessions: o.max_sessions.max(1),
            idle: std::time::Duration::from_secs(o.idle_seconds),
            names,
            port: addr.port(),
            heavy: Arc::new(tokio::sync::Semaphore::new(HEAVY_AT_ONCE)),
            fair: classroom.as_ref().map(|_| fair::Fairness::new()),
            classroom,
            sent: tokio::sync::watch::Sender::new(None),
            stopping: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn ready(&self, addr: SocketAddr) -> Ready {
        let Some(class) = &self.classroom else { return Ready { addr, join: Vec::new(), teacher: None } };
        let (join, teacher) = class.tokens();
        let port = addr.port();
        let hosts = classroom::join_hosts(addr);
        let teacher_host = hosts.iter().find(|h| *h == "127.0.0.1").or(hosts.first()).cloned().unwrap_or_default();
        Ready {
            addr,
            join: hosts.iter().map(|h| format!("http://{h}:{port}/?join={join}")).collect(),
            teacher: Some(format!("http://{teacher_host}:{port}/teacher?key={teacher}")),
        }
    }

    /// Whether a Host header (`name`, `name:port`, `[v6]:port`) names this server.
    fn accepts_host(&self, host: &str) -> bool {
        classroom::split_host(host)
            .is_some_and(|(name, port)| port.unwrap_or(80) == self.port && self.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }
}
