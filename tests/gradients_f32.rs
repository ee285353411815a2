//! Autodiff = formula = finite differences, f32 (flex and ndarray).
mod agreement;

agreement::agreement_tests!(gdlab::config::DType::F32, "f32");
