//! Config backend name + dtype -> a burn `Device` with autodiff.
//!
//! burn 0.22 fixes a device's float dtype once per process (at the first tensor made on it),
//! so a process runs every experiment of one backend in one dtype. The binary runs one
//! experiment per process; tests that need both dtypes run the binary or separate test files.

use crate::config::{BackendName, DType};
use burn::tensor::{Device, FloatDType};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BackendError {
    #[error(
        "backend `{backend}` is already set to {current:?} in this process, cannot switch to {wanted:?}\n  hint: run experiments with different dtypes in separate gdlab processes"
    )]
    DtypeLocked { backend: String, current: FloatDType, wanted: FloatDType },
    #[error("backend `{backend}` cannot use {wanted:?}: {message}")]
    Unsupported { backend: String, wanted: FloatDType, message: String },
}

/// The backends this binary was built with; tests iterate over it, so a backend added behind a
/// cargo feature is checked wherever it is compiled.
pub const COMPILED: &[BackendName] = &[BackendName::Flex, BackendName::Ndarray];

pub fn float_dtype(dtype: DType) -> FloatDType {
    match dtype {
        DType::F32 => FloatDType::F32,
        DType::F64 => FloatDType::F64,
    }
}

/// The base (non-autodiff) device for `name`, configured to `dtype`.
pub fn base_device(name: BackendName, dtype: DType) -> Result<Device, BackendError> {
    #[allow(deprecated)] // burn marks ndarray deprecated; it is one of our two CPU backends.
    let mut device = match name {
        BackendName::Flex => Device::flex(),
        BackendName::Ndarray => Device::ndarray(),
    };
    let wanted = float_dtype(dtype);
    let backend = crate::config::name(&name);
    if device.configure(wanted).is_err() {
        // Already initialised in this process: fine when it already has the dtype we want.
        let current = device.settings().float_dtype;
        if current != wanted {
            return Err(BackendError::DtypeLocked { backend, current, wanted });
        }
    }
    let current = device.settings().float_dtype;
    if current != wanted {
        return Err(BackendError::Unsupported { backend, wanted, message: format!("the device reports {current:?}") });
    }
    Ok(device)
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
pub fn device(name: BackendName, dtype: DType) -> Result<Device, BackendError> {
    Ok(base_device(name, dtype)?.autodiff())
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
