//! burn's remote backend: a client device whose tensor ops run on a `gdlab device-server`
//! (autodiff stays here, the server only executes ops), and that server.
//!
//! The token travels in the environment, never in a config or a run folder. WebSocket traffic
//! is unencrypted: the server binds loopback unless told otherwise, and says so when told.

use super::BackendError;
use crate::config::DType;
use crate::config::target::{RemoteTarget, Target};
use crate::error::GdlabError;
use burn::tensor::Device;

/// Connects to the server's device (once per process: burn hands back the same session).
#[cfg(feature = "remote")]
pub fn open(r: &RemoteTarget) -> Result<Device, BackendError> {
    use burn::remote::{ConnectError, RemoteHost};
    let token = std::env::var(&r.token_env).ok().filter(|t| !t.is_empty());
    let mut host = RemoteHost::websocket(&r.url);
    if let Some(token) = &token {
        host = host.with_credential(token.as_str());
    }
    let env = &r.token_env;
    Device::remote_options(&host).device_index(r.index).init().map_err(|e| match e {
        ConnectError::Unauthorized => BackendError::Refused {
            url: r.url.clone(),
            what: match token {
                Some(_) => format!("the token in ${env}"),
                None => format!("a connection without a token (${env} is not set)"),
            },
            hint: format!("set ${env} to the token the server was started with (its --token-env variable)"),
        },
        ConnectError::NoSuchDevice { device_count } => BackendError::NoDevice {
            what: format!("no device {} on the server at {}", r.index, r.url),
            detail: format!("it serves {device_count}"),
            hint: "set backend.device to 0 (a gdlab device-server serves one device)".into(),
        },
        ConnectError::IncompatibleProtocol { .. } => BackendError::Refused {
            url: r.url.clone(),
            what: format!("this client: {e}"),
            hint: "run the same gdlab version (the same burn release) on both machines".into(),
        },
        other => BackendError::Unreachable { url: r.url.clone(), reason: other.to_string() },
    })
}

#[cfg(not(feature = "remote"))]
pub fn open(_: &RemoteTarget) -> Result<Device, BackendError> {
    Err(BackendError::NotBuilt { backend: "remote", feature: "remote" })
}

/// `gdlab device-server`'s settings.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The device served: flex, wgpu or cuda (a remote device cannot be served again).
    pub target: Target,
    pub dtype: DType,
    pub host: String,
    /// 0 picks a free port (printed on the first line).
    pub port: u16,
    pub token_env: String,
    /// Serve without a token: loopback only.
    pub no_auth: bool,
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost" || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks the options and opens the device: everything that can refuse happens before binding.
pub fn prepare(o: &ServeOptions) -> Result<(Device, Option<String>), GdlabError> {
    if !crate::backend::REMOTE_COMPILED {
        return Err(BackendError::NotBuilt { backend: "remote", feature: "remote" }.into());
    }
    let token = check(o)?;
    let device = super::base_device(&o.target, o.dtype)?;
    Ok((device, token))
}

/// The served backend and the token rule: a token from `--token-env`, or none on loopback with
/// `--no-auth`.
fn check(o: &ServeOptions) -> Result<Option<String>, GdlabError> {
    if matches!(o.target, Target::Remote(_) | Target::Ndarray) {
        return Err(GdlabError::Input(format!(
            "gdlab device-server: --backend {}: a server serves flex, wgpu or cuda\n  hint: use --backend flex (CPU) or a GPU backend",
            crate::config::name(&o.target.name())
        )));
    }
    match (std::env::var(&o.token_env).ok().filter(|t| !t.is_empty()), o.no_auth) {
        (Some(token), false) => Ok(Some(token)),
        (_, true) if is_loopback(&o.host) => Ok(None),
        (_, true) => Err(GdlabError::Input(format!(
            "gdlab device-server: --no-auth with --host {}: a server without a token is allowed on loopback only\n  hint: set ${} to a secret and leave out --no-auth",
            o.host, o.token_env
        ))),
        (None, false) => Err(GdlabError::Input(format!(
            "gdlab device-server: ${} is not set: clients prove themselves with a token\n  hint: export {}=\"$(openssl rand -hex 16)\" here and on the client (or --no-auth on loopback)",
            o.token_env, o.token_env
        ))),
    }
}

/// What a device server tells its starter once it listens (the CLI prints it).
pub struct Listening {
    /// The address to put in `backend.url` (the first line on stdout).
    pub url: String,
    /// Said when it listens beyond this machine.
    pub warning: Option<String>,
    /// What it serves, and how.
    pub serving: String,
}

/// Serves `device` until Ctrl-C or SIGTERM, calling `ready` once it listens. After `ready`,
/// stdout is stderr: stdout carries the address line alone.
#[cfg(feature = "remote")]
pub fn serve(o: &ServeOptions, device: Device, token: Option<String>, ready: impl FnOnce(&Listening)) -> Result<(), GdlabError> {
    use burn::server::{AllowAll, RemoteServer, TokenAuthorizer, WebSocketTransport};
    let listener = std::net::TcpListener::bind((o.host.as_str(), o.port)).map_err(|e| {
        GdlabError::Runtime(format!(
            "gdlab device-server: cannot listen on {}:{}: {e}\n  hint: pick another --port (0 picks a free one)",
            o.host, o.port
        ))
    })?;
    let port = listener.local_addr().map_err(GdlabError::io("cannot read the bound port"))?.port();
    let shown = if o.host.contains(':') && !o.host.starts_with('[') { format!("[{}]", o.host) } else { o.host.clone() };
    ready(&Listening {
        url: format!("ws://{shown}:{port}"),
        warning: (!is_loopback(&o.host)).then(|| {
            format!(
                "serving on {} beyond this machine; WebSocket traffic (tensors and the token) is unencrypted, use it on a trusted network only",
                o.host
            )
        }),
        serving: format!(
            "serving {} ({}, {}); Ctrl-C stops it",
            o.target.describe(),
            crate::config::name(&o.dtype),
            if token.is_some() { format!("token from ${}", o.token_env) } else { "no token: loopback only".into() }
        ),
    });
    // stdout carried the address line; burn's server logs go to stderr, so a reader that
    // closes stdout after the address (a script, `| head -1`) does not take the server down.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: dup2 on the process's own standard descriptors; nothing else holds them here.
    unsafe {
        libc::dup2(2, 1);
    }
    let server = RemoteServer::new([device]);
    let server = match token {
        Some(t) => server.with_authorizer(TokenAuthorizer::new(t).map_err(|e| GdlabError::Input(format!("gdlab device-server: {e}")))?),
        None => server.with_authorizer(AllowAll),
    };
    // burn reads messages of up to 1 GiB and finds the token inside the first one; the gate
    // on the public port lets a peer send only a bounded head and first message before burn,
    // on loopback behind it, has checked the token.
    let inner = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(GdlabError::io("gdlab device-server: cannot listen on loopback"))?;
    let inner_addr = inner.local_addr().map_err(GdlabError::io("cannot read the bound port"))?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gate = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("device-server-gate".into())
            .spawn(move || super::gate::run(listener, inner_addr, super::gate::GateLimits::default(), &stop))
            .map_err(GdlabError::io("gdlab device-server: cannot start"))?
    };
    let served = server.serve(WebSocketTransport::from_listener(inner));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = gate.join();
    served.map_err(|e| GdlabError::Runtime(format!("gdlab device-server: {e}")))?;
    Ok(())
}

#[cfg(not(feature = "remote"))]
pub fn serve(_: &ServeOptions, _: Device, _: Option<String>, _: impl FnOnce(&Listening)) -> Result<(), GdlabError> {
    Err(BackendError::NotBuilt { backend: "remote", feature: "remote" }.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names() {
        for h in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["0.0.0.0", "192.168.1.4", "gpu-box", "::"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    fn options(host: &str, token_env: &str, no_auth: bool) -> ServeOptions {
        ServeOptions { target: Target::Flex, dtype: DType::F32, host: host.into(), port: 0, token_env: token_env.into(), no_auth }
    }

    #[test]
    fn a_server_needs_a_token_unless_on_loopback_with_no_auth() {
        let unset = "GDLAB_TEST_TOKEN_THAT_IS_NOT_SET";
        let e = check(&options("127.0.0.1", unset, false)).unwrap_err().to_string();
        assert!(e.contains("is not set"), "{e}");
        let e = check(&options("0.0.0.0", unset, true)).unwrap_err().to_string();
        assert!(e.contains("loopback only"), "{e}");
        assert_eq!(check(&options("::1", unset, true)).unwrap(), None);
        let mut o = options("127.0.0.1", unset, true);
        o.target = Target::Ndarray;
        assert!(check(&o).unwrap_err().to_string().contains("serves flex, wgpu or cuda"));
    }
}
