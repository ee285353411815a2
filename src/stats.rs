//! Summary statistics of measured numbers.

/// The median of the finite values (the upper one of an even count); NaN when there are none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_skips_non_finite_values() {
        assert_eq!(super::median(vec![3.0, f64::NAN, 1.0, 2.0, f64::INFINITY]), 2.0);
        assert_eq!(super::median(vec![4.0, 1.0]), 4.0);
        assert!(super::median(vec![f64::NAN]).is_nan());
    }
}
