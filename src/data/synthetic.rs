//! Seeded synthetic data, generated on the host so every backend and dtype sees the same numbers.

use super::Dataset;
use crate::config::spec::{Generator, Outliers, Truth};
use crate::config::{self, Gate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub fn generate(g: &Generator, seed: u64) -> Dataset {
    let (n, d) = (g.rows(), g.dims());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = |rng: &mut ChaCha8Rng| -> f64 { StandardNormal.sample(rng) };
    let names: Vec<String> = (1..=d).map(|i| format!("x{i}")).collect();

    // The hidden line for linear/logistic: given (one weight per input, checked by the
    // spec), or drawn from the seed.
    let line = |truth: &Truth, rng: &mut ChaCha8Rng| -> (Vec<f64>, f64) {
        let w = match &truth.weights {
            Some(w) => w.clone(),
            None => (0..d).map(|_| rng.random_range(-2.0..2.0)).collect(),
        };
        let b = truth.bias.unwrap_or_else(|| rng.random_range(-1.0..1.0));
        (w, b)
    };
    // Rows of x ~ N(0, 1) and z = w·x + b + noise.
    let scores = |truth: &Truth, noise: f64, rng: &mut ChaCha8Rng| -> (Vec<f64>, Vec<f64>) {
        let (w, b) = line(truth, rng);
        let mut x = Vec::with_capacity(n * d);
        let mut z = Vec::with_capacity(n);
        for _ in 0..n {
            let row: Vec<f64> = (0..d).map(|_| normal(rng)).collect();
            z.push(row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b + noise * normal(rng));
            x.extend(row);
        }
        (x, z)
    };

    let (x, y, target): (Vec<f64>, Vec<f64>, &str) = match g {
        Generator::Linear { noise, truth, outliers, .. } => {
            let (x, mut y) = scores(truth, *noise, &mut rng);
            if let Some(Outliers { count, shift }) = *outliers
                && count > 0
            {
                // Spread the outliers evenly over the rows.
                for j in 0..count {
                    y[j * n / count] += shift;
                }
            }
            (x, y, "y")
        }
        Generator::Logistic { noise, truth, .. } => {
            let (x, z) = scores(truth, *noise, &mut rng);
            (x, z.into_iter().map(|z| f64::from(u8::from(z > 0.0))).collect(), "y")
        }
        Generator::Blobs { noise, offset, .. } => {
            // Class 0 around (offset - 1), class 1 around (offset + 1) in every dimension.
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
        Generator::Gates { gate, noise, .. } => {
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
        Generator::Constant { value, noise, .. } => (Vec::new(), (0..n).map(|_| value + noise * normal(&mut rng)).collect(), "a"),
        Generator::Points { rows } => (rows.iter().flat_map(|r| r[..d].to_vec()).collect(), rows.iter().map(|r| r[d]).collect(), "y"),
    };
    Dataset {
        feature_names: names,
        target_names: vec![target.into()],
        x,
        y,
        origin: (1..=n).map(|i| format!("row {i}")).collect(),
        name: format!("{} generator", config::name(&g.source())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Generator {
        match crate::config::from_text(text, "t", ".".into(), &[]).unwrap().spec.data.source {
            crate::config::spec::DataSource::Generated(g) => g,
            other => panic!("not generated: {other:?}"),
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let c = cfg("[data]\nsource = \"linear\"\ndims = 3\n");
        assert_eq!(generate(&c, 1), generate(&c, 1));
        assert_ne!(generate(&c, 1).x, generate(&c, 2).x);
    }

    #[test]
    fn noiseless_linear_data_lies_on_the_given_line() {
        let c = cfg("[data]\nsource = \"linear\"\ndims = 2\nnoise = 0.0\ntrue_weights = [2.0, -1.0]\ntrue_bias = 0.5\n");
        let d = generate(&c, 3);
        for i in 0..d.len() {
            let r = d.row(i);
            assert!((d.y[i] - (2.0 * r[0] - r[1] + 0.5)).abs() < 1e-12);
        }
    }

    #[test]
    fn gates_give_truth_tables() {
        let d = generate(&cfg("[data]\nsource = \"gates\"\ngate = \"xor\"\n"), 0);
        assert_eq!(d.x, [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
        assert_eq!(d.y, [0.0, 1.0, 1.0, 0.0]);
        let d = generate(&cfg("[data]\nsource = \"gates\"\ngate = \"nand\"\n"), 0);
        assert_eq!(d.y, [1.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn blobs_sit_around_the_offset() {
        let d = generate(&cfg("[data]\nsource = \"blobs\"\noffset = 5.0\nnoise = 0.1\nn = 100\n"), 0);
        let mean = d.x.iter().sum::<f64>() / d.x.len() as f64;
        assert!((mean - 5.0).abs() < 0.1, "{mean}");
    }

    #[test]
    fn constant_has_no_features() {
        let d = generate(&cfg("[data]\nsource = \"constant\"\nvalue = 4.0\nn = 3\n"), 0);
        assert_eq!(d.dims(), 0);
        assert_eq!(d.y, [4.0, 4.0, 4.0]);
    }

    #[test]
    fn points_are_the_rows_as_written() {
        let d = generate(&cfg("[data]\nsource = \"points\"\nrows = [[7.5, 0.75], [1.5, 0.15]]\n"), 0);
        assert_eq!((d.dims(), d.x.clone(), d.y.clone()), (1, vec![7.5, 1.5], vec![0.75, 0.15]));
    }

    #[test]
    fn bad_points_name_the_key_and_the_row() {
        let err = |text: &str| match crate::config::from_text(text, "t", ".".into(), &[]) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        };
        let e = err("[data]\nsource = \"points\"\nrows = [[1.0, 2.0], [1.0]]\n");
        assert!(e.contains("data.rows") && e.contains("row 2 has 1 value"), "{e}");
        let e = err("[data]\nsource = \"points\"\nrows = [[1.0, 2.0], [1.0, 2.0, 3.0]]\n");
        assert!(e.contains("row 2 has 3 values, row 1 has 2"), "{e}");
        assert!(err("[data]\nsource = \"points\"\n").contains("needs the `rows`"));
        assert!(err("[data]\nsource = \"points\"\nrows = [[1.0, 2.0]]\nn = 3\n").contains("n = 3 but `rows` has 1 rows"));
        assert!(err("[data]\nsource = \"linear\"\nrows = [[1.0, 2.0]]\n").contains("only applies to source = \"points\""));
    }
}
