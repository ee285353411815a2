//! GPU devices: wgpu adapters and CUDA devices, opened so that a missing GPU is an error with
//! a hint, never cubecl's panic ("Unable to acquire wgpu device").

use super::BackendError;
use crate::config::target::Adapter;
use burn::tensor::Device;

#[cfg(feature = "wgpu")]
pub fn open_wgpu(adapter: Adapter) -> Result<Device, BackendError> {
    use burn::tensor::DeviceKind;
    use std::sync::Mutex;
    // A wgpu runtime is initialised once per adapter and process; later opens reuse it.
    static OPENED: Mutex<Vec<(Adapter, Device)>> = Mutex::new(Vec::new());
    let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, device)) = opened.iter().find(|(a, _)| *a == adapter) {
        return Ok(device.clone());
    }
    let kind = match adapter {
        Adapter::Default => DeviceKind::DefaultDevice,
        Adapter::Discrete(i) => DeviceKind::DiscreteGpu(i),
        Adapter::Integrated(i) => DeviceKind::IntegratedGpu(i),
        Adapter::Cpu => DeviceKind::Cpu,
    };
    let device = match Device::wgpu_options().device_kind(kind.clone()).init() {
        // burn opened this adapter's runtime itself: it loads an optimiser record (momentum) onto
        // `Device::default()`, which a wgpu build makes the default GPU. Reuse that runtime.
        Err(burn::tensor::wgpu::WgpuInitError::Registration { .. }) => Ok(Device::wgpu(kind)),
        other => other,
    };
    let device = device.map_err(|e| BackendError::NoDevice {
        what: format!("no wgpu adapter for device = \"{}\"", adapter.describe()),
        detail: e.to_string(),
        hint: "install the GPU's Vulkan driver and check `gdlab devices`; a machine without a GPU can run wgpu on its CPU with Mesa's software adapter (Debian: apt install mesa-vulkan-drivers) and device = \"cpu\"".into(),
    })?;
    opened.push((adapter, device.clone()));
    Ok(device)
}

#[cfg(not(feature = "wgpu"))]
pub fn open_wgpu(_: Adapter) -> Result<Device, BackendError> {
    Err(BackendError::NotBuilt { backend: "wgpu", feature: "wgpu" })
}

#[cfg(feature = "cuda")]
pub fn open_cuda(index: usize) -> Result<Device, BackendError> {
    // Listing loads libcuda at run time and opens nothing; no driver lists no device.
    let found = Device::enumerate(burn::tensor::DeviceType::Cuda).into_iter().count();
    require(index, found, "CUDA", "install NVIDIA's driver (libcuda); `nvidia-smi` lists the GPUs")?;
    Ok(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
pub fn open_cuda(_: usize) -> Result<Device, BackendError> {
    Err(BackendError::NotBuilt { backend: "cuda", feature: "cuda" })
}

/// The wgpu adapters this machine offers, as burn lists them (nothing is opened).
pub fn list_wgpu() -> Vec<String> {
    #[cfg(feature = "wgpu")]
    return Device::enumerate(burn::tensor::DeviceType::Wgpu).into_iter().map(|d| format!("{d:?}")).collect();
    #[cfg(not(feature = "wgpu"))]
    Vec::new()
}

/// The CUDA devices this machine offers (none without NVIDIA's driver).
pub fn list_cuda() -> Vec<String> {
    #[cfg(feature = "cuda")]
    return Device::enumerate(burn::tensor::DeviceType::Cuda).into_iter().map(|d| format!("{d:?}")).collect();
    #[cfg(not(feature = "cuda"))]
    Vec::new()
}

/// Device `index` of `found`, or an error naming how many there are.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
fn require(index: usize, found: usize, kind: &str, hint: &str) -> Result<(), BackendError> {
    if index < found {
        return Ok(());
    }
    Err(BackendError::NoDevice {
        what: format!("no {kind} device {index}"),
        detail: match found {
            0 => format!("this machine has no {kind} device, or its driver could not be loaded"),
            n => format!("this machine has {n} (devices 0 to {})", n - 1),
        },
        hint: hint.into(),
    })
}

/// Largest relative error an f64 device may show on `exp`, `ln`, `sigmoid` and `tanh` against
/// the host's f64: 1e-12 is thousands of f64 ulps (a correct implementation is within a few),
/// and a million times below f32's 1e-7, which is what a device computing f64 through 32-bit
/// functions shows (cubecl issues #1316 and #1446 report worse: wrong values on Mesa).
pub const F64_AGREEMENT: f64 = 1e-12;

/// Refuses an f64 device whose transcendental functions do not agree with the host's f64.
/// Runs on any device (flex passes); training on wgpu in f64 needs it.
pub fn f64_agreement(device: &Device) -> Result<(), BackendError> {
    use burn::tensor::{Tensor, TensorData, activation};
    let xs: Vec<f64> = (0..=120).map(|i| -30.0 + 0.5 * i as f64).collect();
    let n = xs.len();
    let t = Tensor::<1>::from_data(TensorData::new(xs.clone(), [n]), device);
    let positive: Vec<f64> = xs.iter().map(|x| x.abs() + 1e-3).collect();
    let p = Tensor::<1>::from_data(TensorData::new(positive.clone(), [n]), device);
    type Host = fn(f64) -> f64;
    let checks: [(&str, Tensor<1>, &[f64], Host); 4] = [
        ("exp", t.clone().exp(), &xs, f64::exp),
        ("ln", p.log(), &positive, f64::ln),
        ("sigmoid", activation::sigmoid(t.clone()), &xs, |x| 1.0 / (1.0 + (-x).exp())),
        ("tanh", t.tanh(), &xs, f64::tanh),
    ];
    for (name, on_device, inputs, host) in checks {
        let values = on_device.try_into_vec_as::<f64>().unwrap_or_default();
        let worst =
            inputs.iter().zip(&values).map(|(x, v)| (v - host(*x)).abs() / host(*x).abs().max(f64::MIN_POSITIVE)).fold(0.0, f64::max);
        if values.len() != n || !worst.is_finite() || worst > F64_AGREEMENT {
            return Err(BackendError::Unsupported {
                backend: "wgpu".into(),
                wanted: burn::tensor::FloatDType::F64,
                message: format!(
                    "its f64 `{name}` differs from the CPU's by {worst:.1e} (relative; at most {F64_AGREEMENT:.0e} is accepted): some drivers compute f64 through 32-bit functions (cubecl issues #1316, #1446)"
                ),
                hint: "set backend.dtype = \"f32\", or use flex for f64".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_devices_name_the_range() {
        assert!(require(0, 1, "CUDA", "h").is_ok());
        let e = require(2, 2, "CUDA", "h").unwrap_err().to_string();
        assert!(e.contains("no CUDA device 2") && e.contains("devices 0 to 1"), "{e}");
        assert!(require(0, 0, "CUDA", "h").unwrap_err().to_string().contains("no CUDA device"));
    }

    #[test]
    fn a_device_computing_in_f32_is_refused() {
        // Unit tests run flex in f32 (the f64 pass is checked in tests/gradients_f64.rs).
        let device = super::super::base_device(&crate::config::target::Target::Flex, crate::config::DType::F32).unwrap();
        let e = f64_agreement(&device).unwrap_err().to_string();
        assert!(e.contains("differs from the CPU's") && e.contains("f32"), "{e}");
    }
}
