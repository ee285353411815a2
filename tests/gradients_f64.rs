//! Autodiff = formula = finite differences, f64 (flex and ndarray).
mod agreement;

agreement::agreement_tests!(gdlab::config::DType::F64, "f64");
