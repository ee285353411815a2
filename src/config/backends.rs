//! The backends gdlab knows, one row each: the cargo feature that builds it, how a device is
//! named, the dtypes it offers, and how training is laid out on it. Code that differs by
//! backend reads these facts from here instead of listing backends itself; adding a backend is
//! a row here, its `Target` variant (config/target.rs, which the compiler then asks to parse),
//! its `open` (backend/) and its cargo feature.

use super::BackendName;

/// How `backend.device` names a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSyntax {
    /// None to choose: the machine's CPU.
    Cpu,
    /// A wgpu adapter: "default", "discrete:N", "integrated:N" or "cpu" (Mesa's lavapipe).
    Adapter,
    /// An index: 0 is the first device.
    Index,
    /// The server's device by its place in the server's list; `backend.url` names the server.
    Served,
}

#[derive(Debug)]
pub struct BackendInfo {
    pub name: BackendName,
    /// The cargo feature that builds it (None: always built).
    pub feature: Option<&'static str>,
    /// Whether this binary was built with it.
    pub compiled: bool,
    pub device: DeviceSyntax,
    /// f64 offered as such (wgpu: only where the device's f64 passes a check when it opens, so
    /// not here).
    pub f64: bool,
    /// Its tensors live in this process on the CPU: no device to lose mid-run, so a panic there
    /// is a bug, not a lost device.
    pub host: bool,
    /// A device of its own (a GPU, or lavapipe standing in for one): each new shape is a kernel
    /// compile and each read a transfer, so tests give it fewer, fixed shapes.
    pub on_device: bool,
    /// Row shards on threads speed up a batch's forward/backward (`backend.shards`); the others
    /// run a batch in one kernel, or thread their own matmul.
    pub shards: bool,
    /// A full batch's X goes up feature-major (column-major), the layout its matmul reads
    /// fastest; the others want row-major.
    pub column_major: bool,
}

/// Every backend, in the order `gdlab devices` lists them.
pub static BACKENDS: [BackendInfo; 5] = [
    BackendInfo {
        name: BackendName::Flex,
        feature: None,
        compiled: true,
        device: DeviceSyntax::Cpu,
        f64: true,
        host: true,
        on_device: false,
        shards: true,
        column_major: true,
    },
    // ndarray threads its own matmul (shards competing with it made W1 seven times slower),
    // and copies a non-row-major operand into row-major order on every call.
    BackendInfo {
        name: BackendName::Ndarray,
        feature: None,
        compiled: true,
        device: DeviceSyntax::Cpu,
        f64: true,
        host: true,
        on_device: false,
        shards: false,
        column_major: false,
    },
    BackendInfo {
        name: BackendName::Wgpu,
        feature: Some("wgpu"),
        compiled: cfg!(feature = "wgpu"),
        device: DeviceSyntax::Adapter,
        f64: false,
        host: false,
        on_device: true,
        shards: false,
        column_major: false,
    },
    BackendInfo {
        name: BackendName::Cuda,
        feature: Some("cuda"),
        compiled: cfg!(feature = "cuda"),
        device: DeviceSyntax::Index,
        f64: true,
        host: false,
        on_device: true,
        shards: false,
        column_major: false,
    },
    BackendInfo {
        name: BackendName::Remote,
        feature: Some("remote"),
        compiled: cfg!(feature = "remote"),
        device: DeviceSyntax::Served,
        f64: true,
        host: false,
        on_device: false,
        shards: false,
        column_major: false,
    },
];

impl BackendName {
    /// This backend's row in `BACKENDS`.
    pub fn info(self) -> &'static BackendInfo {
        BACKENDS.iter().find(|b| b.name == self).expect("every backend has a row in BACKENDS")
    }
}

/// The backends this binary was built with that train in this process (remote needs a
/// `gdlab device-server` to talk to); tests iterate over them, so a backend added behind a
/// cargo feature is checked wherever it is compiled.
pub fn compiled_local() -> Vec<BackendName> {
    BACKENDS.iter().filter(|b| b.compiled && b.device != DeviceSyntax::Served).map(|b| b.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_backend_has_exactly_one_row() {
        for name in BackendName::value_variants() {
            assert_eq!(BACKENDS.iter().filter(|b| b.name == *name).count(), 1, "{name:?}");
        }
        assert_eq!(BACKENDS.len(), BackendName::value_variants().len());
    }

    #[test]
    fn the_cpu_backends_are_always_built_and_the_others_behind_their_feature() {
        for b in &BACKENDS {
            assert_eq!(b.feature.is_none(), b.host, "{:?}", b.name);
            assert!(b.feature.is_some() || b.compiled, "{:?}", b.name);
        }
        assert!(compiled_local().starts_with(&[BackendName::Flex, BackendName::Ndarray]));
        assert!(!compiled_local().contains(&BackendName::Remote));
    }
}
