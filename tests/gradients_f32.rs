//! Autodiff = formula = finite differences, f32, on every compiled backend (flex and ndarray;
//! wgpu and cuda where built with them).
mod agreement;
mod seeded;

agreement::agreement_tests!(gdlab::config::DType::F32, "f32");

/// The same properties and seeded sweeps on the device backends, with fewer cases (see
/// `agreement::on_device`); scripts/test.sh runs them with the wgpu feature.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod on_device {
    use super::{agreement, seeded::config};
    use gdlab::config::DType;
    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(config(8))]
        #[test]
        fn three_gradients_agree_on_devices(case in agreement::cases(agreement::split(DType::F32, true)).prop_map(agreement::device_shape)) {
            agreement::check(&case, DType::F32);
        }
    }

    proptest::proptest! {
        // One random case, about 20 s on lavapipe (kernels compile per process and shape): the
        // seeded device sweep below checks mlps on every device too (agreement::DEVICE_SWEEP).
        #![proptest_config(config(1))]
        #[test]
        fn backprop_autodiff_and_finite_differences_agree_for_mlps_on_devices(case in agreement::mlp_cases(agreement::split(DType::F32, true)).prop_map(agreement::device_mlp_shape)) {
            agreement::check_mlp(&case, DType::F32);
        }
    }

    #[test]
    fn worst_disagreement_over_seeded_device_cases_is_within_the_stated_bounds() {
        agreement::sweeps_within_bounds(DType::F32, "f32", true);
    }
}
