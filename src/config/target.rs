//! Where a run's tensors live: `backend.name` plus `backend.device`, `backend.url` and
//! `backend.token_env`, checked together into one `Target`. Configs and `gdlab bench` both
//! come through `Target::parse`, so the keys mean the same everywhere. Whether this binary was
//! built with the backend, and whether the device exists, is `backend::base_device`'s to say.

use super::{BackendName, DeviceField};

/// The environment variable a remote run reads its token from unless `backend.token_env` names
/// another one.
pub const DEFAULT_TOKEN_ENV: &str = "GDLAB_REMOTE_TOKEN";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Flex,
    Ndarray,
    Wgpu(Adapter),
    /// A CUDA device by index.
    Cuda(usize),
    Remote(RemoteTarget),
}

/// A wgpu adapter, as `backend.device` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Adapter {
    /// wgpu's choice: a discrete GPU first.
    Default,
    Discrete(usize),
    Integrated(usize),
    /// A software adapter (Mesa's lavapipe): the GPU code path on a CPU.
    Cpu,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteTarget {
    /// `ws://host:port`.
    pub url: String,
    /// The environment variable holding the token (its value is read when connecting).
    pub token_env: String,
    /// The server's device, by its position in the server's list.
    pub index: usize,
}

/// A refused combination: the key to blame, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub message: String,
    pub hint: String,
}

fn refuse(key: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Refusal {
    Refusal { key, message: message.into(), hint: hint.into() }
}

impl Target {
    /// The target of a local backend on its default device (None for remote, which needs a URL).
    pub fn local(name: BackendName) -> Option<Target> {
        match name {
            BackendName::Flex => Some(Target::Flex),
            BackendName::Ndarray => Some(Target::Ndarray),
            BackendName::Wgpu => Some(Target::Wgpu(Adapter::Default)),
            BackendName::Cuda => Some(Target::Cuda(0)),
            BackendName::Remote => None,
        }
    }

    pub fn name(&self) -> BackendName {
        match self {
            Target::Flex => BackendName::Flex,
            Target::Ndarray => BackendName::Ndarray,
            Target::Wgpu(_) => BackendName::Wgpu,
            Target::Cuda(_) => BackendName::Cuda,
            Target::Remote(_) => BackendName::Remote,
        }
    }

    /// Checks the backend keys together.
    pub fn parse(name: BackendName, device: Option<&DeviceField>, url: Option<&str>, token_env: Option<&str>) -> Result<Target, Refusal> {
        let backend = super::name(&name);
        if name != BackendName::Remote {
            if url.is_some() {
                return Err(refuse(
                    "backend.url",
                    format!("only the remote backend has a URL, this config uses `{backend}`"),
                    "remove backend.url, or set backend.name = \"remote\"",
                ));
            }
            if token_env.is_some() {
                return Err(refuse(
                    "backend.token_env",
                    format!("only the remote backend has a token, this config uses `{backend}`"),
                    "remove backend.token_env, or set backend.name = \"remote\"",
                ));
            }
        }
        match name {
            BackendName::Flex | BackendName::Ndarray => match device {
                None => Ok(Target::local(name).expect("a local backend")),
                Some(d) => Err(refuse(
                    "backend.device",
                    format!("`{backend}` runs on this machine's CPU and has no device to choose (got `{d}`)"),
                    "remove backend.device",
                )),
            },
            BackendName::Wgpu => Ok(Target::Wgpu(match device {
                None => Adapter::Default,
                Some(d) => adapter(d)?,
            })),
            BackendName::Cuda => Ok(Target::Cuda(match device {
                None => 0,
                Some(d) => index(d, "a CUDA device is chosen by its index: device = 0 is the first GPU")?,
            })),
            BackendName::Remote => {
                let url = url.ok_or_else(|| {
                    refuse(
                        "backend.url",
                        "the remote backend needs the server's address",
                        "add url = \"ws://HOST:PORT\", the address `gdlab device-server` prints on its first line",
                    )
                })?;
                check_url(url)?;
                let token_env = token_env.unwrap_or(DEFAULT_TOKEN_ENV);
                let valid = token_env.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && token_env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return Err(refuse(
                        "backend.token_env",
                        format!("`{token_env}` is not an environment variable name"),
                        format!(
                            "name the variable that holds the token (letters, digits and `_`), e.g. token_env = \"{DEFAULT_TOKEN_ENV}\""
                        ),
                    ));
                }
                let index = match device {
                    None => 0,
                    Some(d) => index(d, "a remote device is chosen by its position in the server's list: device = 0 is the first")?,
                };
                Ok(Target::Remote(RemoteTarget { url: url.to_string(), token_env: token_env.to_string(), index }))
            }
        }
    }

    /// How the target is written in messages and run summaries: `wgpu:discrete:0`,
    /// `remote:ws://gpu:3000#0` (never the token).
    pub fn describe(&self) -> String {
        match self {
            Target::Flex => "flex".into(),
            Target::Ndarray => "ndarray".into(),
            Target::Wgpu(a) => format!("wgpu:{}", a.describe()),
            Target::Cuda(i) => format!("cuda:{i}"),
            Target::Remote(r) => format!("remote:{}#{}", r.url, r.index),
        }
    }
}

impl Adapter {
    pub fn describe(&self) -> String {
        match self {
            Adapter::Default => "default".into(),
            Adapter::Discrete(i) => format!("discrete:{i}"),
            Adapter::Integrated(i) => format!("integrated:{i}"),
            Adapter::Cpu => "cpu".into(),
        }
    }
}

const ADAPTER_HINT: &str =
    "use device = \"default\", \"discrete:0\", \"integrated:0\" or \"cpu\" (a software adapter such as Mesa's lavapipe)";

fn adapter(d: &DeviceField) -> Result<Adapter, Refusal> {
    let DeviceField::Name(s) = d else {
        return Err(refuse("backend.device", format!("`{d}` does not name a wgpu adapter"), ADAPTER_HINT));
    };
    let numbered = |rest: &str| rest.parse::<usize>().ok();
    let parsed = match s.split_once(':') {
        None if s == "default" => Some(Adapter::Default),
        None if s == "cpu" => Some(Adapter::Cpu),
        Some(("discrete", n)) => numbered(n).map(Adapter::Discrete),
        Some(("integrated", n)) => numbered(n).map(Adapter::Integrated),
        _ => None,
    };
    parsed.ok_or_else(|| refuse("backend.device", format!("`{s}` does not name a wgpu adapter"), ADAPTER_HINT))
}

fn index(d: &DeviceField, hint: &str) -> Result<usize, Refusal> {
    let parsed = match d {
        DeviceField::Index(i) => usize::try_from(*i).ok(),
        DeviceField::Name(s) => s.parse::<usize>().ok(),
    };
    parsed.filter(|i| *i < 1 << 16).ok_or_else(|| refuse("backend.device", format!("`{d}` is not a device index"), hint))
}

/// `ws://host:port` with a host and a port number: what burn's WebSocket client dials.
fn check_url(url: &str) -> Result<(), Refusal> {
    let bad = |why: &str| {
        refuse(
            "backend.url",
            format!("`{url}` {why}"),
            "write the address `gdlab device-server` prints, e.g. url = \"ws://127.0.0.1:3000\"",
        )
    };
    let Some(rest) = url.strip_prefix("ws://") else {
        return Err(bad(if url.starts_with("wss://") {
            "uses TLS, which burn's WebSocket transport does not speak"
        } else {
            "is not a ws:// address"
        }));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = authority.rsplit_once(':').ok_or_else(|| bad("has no port"))?;
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad("has no host name"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(bad("has no valid port (1 to 65535)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DeviceField {
        DeviceField::Name(s.into())
    }

    #[test]
    fn wgpu_adapters_are_named() {
        let p = |d: Option<DeviceField>| Target::parse(BackendName::Wgpu, d.as_ref(), None, None);
        assert_eq!(p(None), Ok(Target::Wgpu(Adapter::Default)));
        assert_eq!(p(Some(name("discrete:1"))), Ok(Target::Wgpu(Adapter::Discrete(1))));
        assert_eq!(p(Some(name("integrated:0"))), Ok(Target::Wgpu(Adapter::Integrated(0))));
        assert_eq!(p(Some(name("cpu"))), Ok(Target::Wgpu(Adapter::Cpu)));
        for bad in [name("gpu"), name("discrete:"), name("discrete:x"), DeviceField::Index(0)] {
            assert_eq!(p(Some(bad)).unwrap_err().key, "backend.device");
        }
    }

    #[test]
    fn cuda_and_remote_take_an_index() {
        assert_eq!(Target::parse(BackendName::Cuda, Some(&DeviceField::Index(2)), None, None), Ok(Target::Cuda(2)));
        assert_eq!(Target::parse(BackendName::Cuda, Some(&name("1")), None, None), Ok(Target::Cuda(1)));
        assert!(Target::parse(BackendName::Cuda, Some(&name("discrete:0")), None, None).is_err());
        let r = Target::parse(BackendName::Remote, Some(&DeviceField::Index(1)), Some("ws://gpu-box:3000"), None).unwrap();
        assert_eq!(r, Target::Remote(RemoteTarget { url: "ws://gpu-box:3000".into(), token_env: DEFAULT_TOKEN_ENV.into(), index: 1 }));
        assert_eq!(r.describe(), "remote:ws://gpu-box:3000#1");
    }

    #[test]
    fn remote_needs_a_ws_url_and_a_variable_name() {
        let p = |url: Option<&str>, env: Option<&str>| Target::parse(BackendName::Remote, None, url, env);
        assert_eq!(p(None, None).unwrap_err().key, "backend.url");
        for url in ["http://a:1", "wss://a:1", "ws://a", "ws://:3000", "ws://a:0", "ws://a:70000", "ws://a/b:1"] {
            assert_eq!(p(Some(url), None).unwrap_err().key, "backend.url", "{url}");
        }
        assert!(p(Some("ws://127.0.0.1:3000/"), None).is_ok());
        assert!(p(Some("ws://[::1]:3000"), Some("MY_TOKEN")).is_ok());
        for env in ["", "1X", "A-B", "A B"] {
            assert_eq!(p(Some("ws://a:1"), Some(env)).unwrap_err().key, "backend.token_env", "{env:?}");
        }
    }

    #[test]
    fn local_backends_refuse_remote_keys_and_devices() {
        assert_eq!(Target::parse(BackendName::Flex, None, Some("ws://a:1"), None).unwrap_err().key, "backend.url");
        assert_eq!(Target::parse(BackendName::Wgpu, None, None, Some("T")).unwrap_err().key, "backend.token_env");
        assert_eq!(Target::parse(BackendName::Ndarray, Some(&DeviceField::Index(0)), None, None).unwrap_err().key, "backend.device");
    }
}
