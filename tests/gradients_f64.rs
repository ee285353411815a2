//! Autodiff = formula = finite differences, f64 (flex and ndarray).
mod agreement;
use gdlab::config::DType;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn three_gradients_agree_in_f64(case in agreement::cases()) {
        agreement::check(&case, DType::F64);
    }

    #[test]
    fn backprop_autodiff_and_finite_differences_agree_for_mlps_in_f64(case in agreement::mlp_cases()) {
        agreement::check_mlp(&case, DType::F64);
    }
}

#[test]
fn saturated_sigmoid_bce_gradients_are_finite_and_exact_in_f64() {
    agreement::saturated_bce(DType::F64);
}

#[test]
fn worst_disagreement_over_400_seeded_cases_in_f64() {
    let worst = agreement::sweep(DType::F64);
    // Printed for the record (cargo test -- --nocapture); every case already passed its tolerance.
    for (backend, (formula, numeric)) in ["flex", "ndarray"].iter().zip(worst) {
        eprintln!("f64 {backend}: worst |autodiff - formula| = {formula:.3e}, worst |autodiff - finite differences| = {numeric:.3e}");
        assert!(formula.is_finite() && numeric.is_finite());
    }
}
