//! What people look at: charts (`plot`, plotters with an embedded font).

pub mod plot;

/// The one way gdlab prints a measured quantity of unknown scale (a loss, a parameter): six
/// significant digits, as a plain decimal from 0.001 up to 999999 and in scientific form
/// outside, so a column reads one way: 0.00985156, 1.99743, 1.28757e4.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    let exponent = x.abs().log10().floor() as i32;
    if (-3..6).contains(&exponent) {
        let decimals = (5 - exponent).max(0) as usize;
        let text = format!("{x:.decimals$}");
        // Rounding can carry into a new digit (999999.5 -> 1000000): then the next form.
        if text.trim_start_matches('-').split('.').next().is_some_and(|i| i.len() <= 6) {
            return text;
        }
    }
    format!("{x:.5e}")
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_have_six_significant_digits_in_one_form_per_scale() {
        assert_eq!(number(0.009851561), "0.00985156");
        assert_eq!(number(1.997431), "1.99743");
        assert_eq!(number(-3.011292), "-3.01129");
        assert_eq!(number(12875.74), "12875.7");
        assert_eq!(number(1.287574e7), "1.28757e7");
        assert_eq!(number(4.2e-5), "4.20000e-5");
        assert_eq!(number(999999.7), "1.00000e6");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::INFINITY), "inf");
        assert_eq!(number(f64::NAN), "NaN");
    }
}
