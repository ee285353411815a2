//! Autodiff = formula = finite differences, f32 (flex and ndarray).
mod agreement;
use gdlab::config::DType;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn three_gradients_agree_in_f32(case in agreement::cases()) {
        agreement::check(&case, DType::F32);
    }

    #[test]
    fn backprop_autodiff_and_finite_differences_agree_for_mlps_in_f32(case in agreement::mlp_cases()) {
        agreement::check_mlp(&case, DType::F32);
    }
}

#[test]
fn saturated_sigmoid_bce_gradients_are_finite_and_exact_in_f32() {
    agreement::saturated_bce(DType::F32);
}

#[test]
fn worst_disagreement_over_400_seeded_cases_in_f32() {
    let worst = agreement::sweep(DType::F32);
    // Printed for the record (cargo test -- --nocapture); every case already passed its tolerance.
    for (backend, (formula, numeric)) in ["flex", "ndarray"].iter().zip(worst) {
        eprintln!("f32 {backend}: worst |autodiff - formula| = {formula:.3e}, worst |autodiff - finite differences| = {numeric:.3e}");
        assert!(formula.is_finite() && numeric.is_finite());
    }
}
