//! Autodiff = formula = finite differences, f64, on every compiled backend that offers f64.
mod agreement;
mod seeded;

agreement::agreement_tests!(gdlab::config::DType::F64, "f64");

/// The check that lets a wgpu device run f64 passes on a device whose f64 is the CPU's own:
/// so a GPU that fails it is refused for its functions, not for a check that fails everything.
#[test]
fn flex_f64_passes_the_device_f64_agreement_check() {
    let device = gdlab::backend::base_device(&gdlab::config::target::Target::Flex, gdlab::config::DType::F64).unwrap();
    gdlab::backend::f64_agreement(&device).unwrap();
}

/// The seeded sweeps on the device backends that offer f64 (cuda; wgpu on lavapipe has no f64).
#[cfg(feature = "cuda")]
#[test]
fn worst_disagreement_over_seeded_device_cases_is_within_the_stated_bounds() {
    agreement::sweeps_within_bounds(gdlab::config::DType::F64, "f64", true);
}
