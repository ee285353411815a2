//! Config backend name + dtype -> a burn `Device` with autodiff.
//!
//! burn 0.22 fixes a device's float dtype once per process (at the first tensor made on it),
//! so a process runs every experiment of one backend in one dtype. The binary runs one
//! experiment per process; tests that need both dtypes run the binary or separate test files.

#[cfg(feature = "remote")]
mod gate;
mod gpu;
pub mod remote;

pub use gpu::{F64_AGREEMENT, f64_agreement};

use crate::config::backends::DeviceSyntax;
use crate::config::target::Target;
use crate::config::{BackendName, DType};
use burn::tensor::{Device, FloatDType};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BackendError {
    #[error(
        "backend `{backend}` is already set to {current:?} in this process, cannot switch to {wanted:?}\n  hint: run experiments with different dtypes in separate gdlab processes"
    )]
    DtypeLocked { backend: String, current: FloatDType, wanted: FloatDType },
    #[error("backend `{backend}` cannot use {wanted:?}: {message}\n  hint: {hint}")]
    Unsupported { backend: String, wanted: FloatDType, message: String, hint: String },
    #[error(
        "backend `{backend}` is not in this build of gdlab\n  hint: build with `cargo build --release --features {feature}` (see docs/backends.md), or use backend.name = \"flex\""
    )]
    NotBuilt { backend: &'static str, feature: &'static str },
    #[error("{what}: {detail}\n  hint: {hint}")]
    NoDevice { what: String, detail: String, hint: String },
    /// The server did not answer: it may on a later try (exit 1, not a mistake in the input).
    #[error(
        "cannot reach the gdlab device-server at {url}: {reason}\n  hint: start it there (`gdlab device-server --port PORT`) and check the address, then run again"
    )]
    Unreachable { url: String, reason: String },
    #[error("the device-server at {url} refused {what}\n  hint: {hint}")]
    Refused { url: String, what: String, hint: String },
}

impl BackendError {
    /// 1 for a server that may answer on a later try, 2 for everything the user must change.
    pub fn exit_code(&self) -> i32 {
        match self {
            BackendError::Unreachable { .. } => 1,
            _ => 2,
        }
    }
}

/// The backends this binary was built with that train in this process (see
/// `config::backends`).
pub fn compiled() -> Vec<BackendName> {
    crate::config::backends::compiled_local()
}

/// Whether this binary can talk to a `gdlab device-server` (and be one).
pub const REMOTE_COMPILED: bool = cfg!(feature = "remote");

/// The dtypes `name` offers: wgpu is f32 unless its f64 passes `gpu::f64_agreement` on the
/// device (it does not on Mesa's lavapipe, which has no f64 shaders).
pub fn offers_f64(name: BackendName) -> bool {
    name.info().f64
}

pub fn float_dtype(dtype: DType) -> FloatDType {
    match dtype {
        DType::F32 => FloatDType::F32,
        DType::F64 => FloatDType::F64,
    }
}

/// The device `target` names, not yet configured: a clear error instead of a panic when the
/// binary lacks the backend or the machine lacks the device.
fn open(target: &Target) -> Result<Device, BackendError> {
    match target {
        Target::Flex => Ok(Device::flex()),
        #[allow(deprecated)] // burn marks ndarray deprecated; it is one of our two CPU backends.
        Target::Ndarray => Ok(Device::ndarray()),
        Target::Wgpu(adapter) => gpu::open_wgpu(*adapter),
        Target::Cuda(index) => gpu::open_cuda(*index),
        Target::Remote(r) => remote::open(r),
    }
}

/// The base (non-autodiff) device for `target`, configured to `dtype`.
pub fn base_device(target: &Target, dtype: DType) -> Result<Device, BackendError> {
    let mut device = open(target)?;
    let wanted = float_dtype(dtype);
    let backend = crate::config::name(&target.name());
    if device.configure(wanted).is_err() {
        // Already initialised in this process (fine when it has the dtype we want), or the device
        // does not offer the dtype.
        let current = device.settings().float_dtype;
        if current != wanted {
            return Err(match target {
                Target::Remote(r) => BackendError::Unsupported {
                    backend,
                    wanted,
                    message: format!("the server at {} serves {current:?}", r.url),
                    hint: format!(
                        "start the server with `gdlab device-server --dtype {}`, or set backend.dtype to match it",
                        crate::config::name(&dtype)
                    ),
                },
                Target::Wgpu(_) | Target::Cuda(_) => BackendError::Unsupported {
                    backend,
                    wanted,
                    message: format!("the device does not offer it (it runs {current:?})"),
                    hint: "set backend.dtype = \"f32\", or use flex for f64".into(),
                },
                _ => BackendError::DtypeLocked { backend, current, wanted },
            });
        }
    }
    let current = device.settings().float_dtype;
    if current != wanted {
        return Err(BackendError::Unsupported {
            backend,
            wanted,
            message: format!("the device reports {current:?}"),
            hint: "set backend.dtype to what the device offers".into(),
        });
    }
    if let (Target::Wgpu(_), DType::F64) = (target, dtype) {
        gpu::f64_agreement(&device)?;
    }
    Ok(device)
}

/// Runs `f` (training on `target`), turning a panic from a device that stopped answering (a
/// remote server gone, a GPU lost: burn's clients panic then) into an error. CPU backends are
/// not guarded: a panic there is a bug and should say so loudly.
pub fn guard<T>(target: &Target, f: impl FnOnce() -> Result<T, crate::error::GdlabError>) -> Result<T, crate::error::GdlabError> {
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::Mutex;
    if target.name().info().host {
        return f();
    }
    // The panic's text goes into the error instead of a backtrace notice on stderr.
    static MESSAGE: Mutex<Option<String>> = Mutex::new(None);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into());
        let mut slot = MESSAGE.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(text);
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    result.unwrap_or_else(|_| {
        let message = MESSAGE.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
        Err(crate::error::GdlabError::DeviceLost { device: target.describe(), message })
    })
}

/// What `gdlab devices` prints: the backends compiled in and the devices they list here.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Inventory {
    pub burn_version: String,
    pub backends: Vec<BackendEntry>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BackendEntry {
    pub name: String,
    pub compiled: bool,
    /// The cargo feature that builds it (None: always built).
    pub feature: Option<String>,
    /// Devices found on this machine (listing opens none); empty when not compiled.
    pub devices: Vec<String>,
}

pub fn inventory() -> Inventory {
    let backends = crate::config::backends::BACKENDS
        .iter()
        .map(|b| BackendEntry {
            name: crate::config::name(&b.name),
            compiled: b.compiled,
            feature: b.feature.map(Into::into),
            devices: match b.device {
                DeviceSyntax::Cpu => vec!["cpu".into()],
                DeviceSyntax::Adapter => gpu::list_wgpu(),
                DeviceSyntax::Index => gpu::list_cuda(),
                DeviceSyntax::Served => vec!["a `gdlab device-server` at backend.url".into()],
            },
        })
        .collect();
    Inventory { burn_version: BURN_VERSION.into(), backends }
}

impl std::fmt::Display for Inventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "burn {}", self.burn_version)?;
        for b in &self.backends {
            match (&b.feature, b.compiled) {
                (_, true) if b.devices.is_empty() => writeln!(f, "{:<8} built; no device found on this machine", b.name)?,
                (_, true) => writeln!(f, "{:<8} built; {}", b.name, b.devices.join("; "))?,
                (Some(feature), false) => writeln!(f, "{:<8} not built (cargo build --release --features {feature})", b.name)?,
                (None, false) => writeln!(f, "{:<8} not built", b.name)?,
            }
        }
        Ok(())
    }
}

/// The precision computations really run at: burn's ndarray evaluates `sigmoid` in f32 even on
/// an f64 device, so a sigmoid model there is only as precise as f32 (measured: ~1e-8 relative
/// error in gradients). Checks pick their finite-difference step and tolerances from this.
pub fn effective_precision(name: BackendName, dtype: DType, model: &crate::config::spec::ModelSpec) -> DType {
    use crate::config::Activation::Sigmoid;
    let sigmoid = model.output() == Sigmoid || model.hidden() == Sigmoid;
    match (name, dtype, sigmoid) {
        (BackendName::Ndarray, DType::F64, true) => DType::F32,
        _ => dtype,
    }
}

/// The autodiff device that training runs on.
pub fn device(target: &Target, dtype: DType) -> Result<Device, BackendError> {
    Ok(base_device(target, dtype)?.autodiff())
}

/// The autodiff device of a local backend on its default device (tests and checks).
pub fn local_device(name: BackendName, dtype: DType) -> Result<Device, BackendError> {
    let target = Target::local(name).ok_or(BackendError::NoDevice {
        what: "the remote backend".into(),
        detail: "it needs a server address".into(),
        hint: "set backend.url".into(),
    })?;
    device(&target, dtype)
}

/// Uploads host values (row-major, `shape`) to `device` in its float dtype, converting on the
/// host first: an f32 device gets an f32 buffer, not a copy of the f64 one (half the memory).
pub fn upload<const D: usize>(values: &[f64], shape: [usize; D], device: &Device) -> burn::tensor::Tensor<D> {
    use burn::tensor::{Tensor, TensorData};
    let data = match device.settings().float_dtype {
        FloatDType::F64 => TensorData::new(values.to_vec(), shape),
        _ => TensorData::new(values.iter().map(|v| *v as f32).collect::<Vec<f32>>(), shape),
    };
    Tensor::from_data(data, device)
}

/// Uploads row-major host values (`[rows, cols]`) in column-major order and returns the
/// `[rows, cols]` view of them (a transpose, no copy on the device). The host buffer is built
/// in the device's dtype directly.
pub fn upload_column_major(values: &[f64], [rows, cols]: [usize; 2], device: &Device) -> burn::tensor::Tensor<2> {
    use burn::tensor::{Tensor, TensorData};
    fn columns<T: Copy + Default>(values: &[f64], rows: usize, cols: usize, cast: impl Fn(f64) -> T) -> Vec<T> {
        let mut t = vec![T::default(); rows * cols];
        for (i, row) in values.chunks(cols.max(1)).enumerate() {
            for (j, v) in row.iter().enumerate() {
                t[j * rows + i] = cast(*v);
            }
        }
        t
    }
    let data = match device.settings().float_dtype {
        FloatDType::F64 => TensorData::new(columns(values, rows, cols, |v| v), [cols, rows]),
        _ => TensorData::new(columns(values, rows, cols, |v| v as f32), [cols, rows]),
    };
    Tensor::<2>::from_data(data, device).transpose()
}

/// Version of the burn crate this binary was built with (from Cargo.lock at build time).
pub const BURN_VERSION: &str = env!("GDLAB_BURN_VERSION");
