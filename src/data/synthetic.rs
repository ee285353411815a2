//! Seeded synthetic data, generated on the host so every backend and dtype sees the same numbers.

use super::{DataError, Dataset};
use crate::config::{self, Gate, Source};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub fn generate(cfg: &config::Data, seed: u64) -> Result<Dataset, DataError> {
    let n = cfg.n.expect("resolved");
    let d = cfg.dims.expect("resolved");
    let noise = cfg.noise.expect("resolved");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = |rng: &mut ChaCha8Rng| -> f64 { StandardNormal.sample(rng) };
    let names: Vec<String> = (1..=d).map(|i| format!("x{i}")).collect();

    // The hidden line for linear/logistic: given, or drawn from the seed.
    let truth = |rng: &mut ChaCha8Rng| -> Result<(Vec<f64>, f64), DataError> {
        let w = match &cfg.true_weights {
            Some(w) if w.len() != d => {
                return Err(DataError::Invalid {
                    what: format!("data.true_weights has {} values but dims = {d}", w.len()),
                    hint: "give one weight per input feature".into(),
                });
            }
            Some(w) => w.clone(),
            None => (0..d).map(|_| rng.random_range(-2.0..2.0)).collect(),
        };
        let b = cfg.true_bias.unwrap_or_else(|| rng.random_range(-1.0..1.0));
        Ok((w, b))
    };

    let (x, y, target): (Vec<f64>, Vec<f64>, &str) = match cfg.source {
        Source::Csv => unreachable!("csv is not synthetic"),
        Source::Linear | Source::Logistic => {
            let (w, b) = truth(&mut rng)?;
            let mut x = Vec::with_capacity(n * d);
            let mut y = Vec::with_capacity(n);
            for _ in 0..n {
                let row: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
                let z = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b + noise * normal(&mut rng);
                y.push(if cfg.source == Source::Linear { z } else { f64::from(u8::from(z > 0.0)) });
                x.extend(row);
            }
            if let Some(k) = cfg.outliers.filter(|k| *k > 0) {
                // Spread the outliers evenly over the rows.
                let shift = cfg.outlier_shift.unwrap_or(20.0);
                for j in 0..k {
                    y[j * n / k] += shift;
                }
            }
            (x, y, "y")
        }
        Source::Blobs => {
            // Class 0 around (offset - 1), class 1 around (offset + 1) in every dimension.
            let offset = cfg.offset.expect("resolved");
            let mut x = Vec::with_capacity(n * d);
            let mut y = Vec::with_capacity(n);
            for i in 0..n {
                let class = (i % 2) as f64;
                let centre = offset + 2.0 * class - 1.0;
                x.extend((0..d).map(|_| centre + noise * normal(&mut rng)));
                y.push(class);
            }
            (x, y, "class")
        }
        Source::Gates => {
            let gate = cfg.gate.expect("resolved");
            let mut x = Vec::with_capacity(n * 2);
            let mut y = Vec::with_capacity(n);
            for i in 0..n {
                let (a, b) = ((i >> 1) & 1, i & 1);
                let out = match gate {
                    Gate::And => a & b,
                    Gate::Or => a | b,
                    Gate::Nand => 1 - (a & b),
                    Gate::Xor => a ^ b,
                };
                x.push(a as f64 + noise * normal(&mut rng));
                x.push(b as f64 + noise * normal(&mut rng));
                y.push(out as f64);
            }
            (x, y, "out")
        }
        Source::Constant => {
            let a = cfg.value.expect("resolved");
            (Vec::new(), (0..n).map(|_| a + noise * normal(&mut rng)).collect(), "a")
        }
    };
    Ok(Dataset {
        feature_names: names,
        target_names: vec![target.into()],
        x,
        y,
        origin: (1..=n).map(|i| format!("row {i}")).collect(),
        name: format!("{:?} generator", cfg.source).to_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> config::Data {
        crate::config::from_text(text, "t", ".".into(), &[]).unwrap().config.data
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let c = cfg("[data]\nsource = \"linear\"\ndims = 3\n");
        assert_eq!(generate(&c, 1).unwrap(), generate(&c, 1).unwrap());
        assert_ne!(generate(&c, 1).unwrap().x, generate(&c, 2).unwrap().x);
    }

    #[test]
    fn noiseless_linear_data_lies_on_the_given_line() {
        let c = cfg("[data]\nsource = \"linear\"\ndims = 2\nnoise = 0.0\ntrue_weights = [2.0, -1.0]\ntrue_bias = 0.5\n");
        let d = generate(&c, 3).unwrap();
        for i in 0..d.len() {
            let r = d.row(i);
            assert!((d.y[i] - (2.0 * r[0] - r[1] + 0.5)).abs() < 1e-12);
        }
    }

    #[test]
    fn gates_give_truth_tables() {
        let d = generate(&cfg("[data]\nsource = \"gates\"\ngate = \"xor\"\n"), 0).unwrap();
        assert_eq!(d.x, [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
        assert_eq!(d.y, [0.0, 1.0, 1.0, 0.0]);
        let d = generate(&cfg("[data]\nsource = \"gates\"\ngate = \"nand\"\n"), 0).unwrap();
        assert_eq!(d.y, [1.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn blobs_sit_around_the_offset() {
        let d = generate(&cfg("[data]\nsource = \"blobs\"\noffset = 5.0\nnoise = 0.1\nn = 100\n"), 0).unwrap();
        let mean = d.x.iter().sum::<f64>() / d.x.len() as f64;
        assert!((mean - 5.0).abs() < 0.1, "{mean}");
    }

    #[test]
    fn constant_has_no_features() {
        let d = generate(&cfg("[data]\nsource = \"constant\"\nvalue = 4.0\nn = 3\n"), 0).unwrap();
        assert_eq!(d.dims(), 0);
        assert_eq!(d.y, [4.0, 4.0, 4.0]);
    }
}
