//! Property test shared by gradients_f32.rs and gradients_f64.rs (one dtype per process, since
//! burn fixes a device's dtype once per process): on random data sets and random parameters,
//! for every valid activation x loss x bias combination and both CPU backends, burn's autodiff,
//! the hand-derived formula and finite differences agree within the tolerances that
//! gdlab::gradient::compare states for the dtype.

use gdlab::config::{Activation, BackendName, DType, LossKind, Model, Start};
use gdlab::data::Dataset;
use gdlab::gradient::{self, compare::Verdict};
use gdlab::loss::Objective;
use gdlab::model::Network;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The pairings gdlab trains with gradient descent (BCE needs a sigmoid's probability).
pub const COMBOS: [(Activation, LossKind); 5] = [
    (Activation::Identity, LossKind::Mse),
    (Activation::Identity, LossKind::Mae),
    (Activation::Sigmoid, LossKind::Mse),
    (Activation::Sigmoid, LossKind::Mae),
    (Activation::Sigmoid, LossKind::Bce),
];

#[derive(Debug)]
pub struct Case {
    pub n: usize,
    pub d: usize,
    pub combo: usize,
    pub bias: bool,
    pub flex: bool,
    /// Weights and bias large enough that |z| > 30 on every row.
    pub saturated: bool,
    pub seed: u64,
}

pub fn cases() -> impl Strategy<Value = Case> {
    (1usize..40, 0usize..5, 0usize..5, any::<bool>(), any::<bool>(), prop::bool::weighted(0.25), any::<u64>()).prop_map(
        |(n, d, combo, bias, flex, saturated, seed)| Case {
            n,
            d,
            combo,
            // A model with no inputs needs its bias; saturation comes from a large bias.
            bias: bias || d == 0 || saturated,
            flex,
            saturated,
            seed,
        },
    )
}

/// Builds the random case, runs the three-way check and returns (max formula error, max
/// numeric error) after asserting every parameter's verdict is Ok.
pub fn check(c: &Case, dtype: DType) -> (f64, f64) {
    let (activation, kind) = COMBOS[c.combo];
    let name = if c.flex { BackendName::Flex } else { BackendName::Ndarray };
    let device = gdlab::backend::device(name, dtype).expect("device");
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
    let x: Vec<f64> = (0..c.n * c.d).map(|_| rng.random_range(-2.0..2.0)).collect();
    let mut w: Vec<f64> = (0..c.d).map(|_| rng.random_range(-2.0..2.0)).collect();
    let mut b = if c.bias { Some(rng.random_range(-2.0..2.0)) } else { None };
    if c.saturated {
        // Bias dominates: |z| >= 35 - 2 * 2 * d * 2 > 30 needs a large bias and small weights.
        let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        w.iter_mut().for_each(|v| *v *= 0.05);
        b = Some(sign * 40.0);
    }
    let z: Vec<f64> =
        (0..c.n).map(|i| x[i * c.d..(i + 1) * c.d].iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b.unwrap_or(0.0)).collect();
    let y: Vec<f64> = z
        .iter()
        .map(|&z| match kind {
            LossKind::Bce => f64::from(u8::from(rng.random_bool(0.5))),
            // MAE: keep every residual outside the finite-difference stencil (h = cbrt(eps) *
            // max(|theta|, 1) times |x| <= 2: up to 0.4 for the saturated bias of 40 in f32),
            // so the quotient never straddles the kink; the kink has its own test.
            LossKind::Mae => {
                let a = if activation == Activation::Sigmoid { gradient::analytic::sigmoid(z) } else { z };
                let off = rng.random_range(0.5..1.5) + if c.saturated { 1.0 } else { 0.0 };
                if rng.random_bool(0.5) { a + off } else { a - off }
            }
            LossKind::Mse => rng.random_range(-2.0..2.0),
            LossKind::CrossEntropy => unreachable!("not a neuron loss"),
        })
        .collect();
    if c.saturated {
        assert!(z.iter().all(|z| z.abs() > 30.0), "{z:?}");
    }
    let names: Vec<String> = (1..=c.d).map(|i| format!("x{i}")).collect();
    let data = Dataset {
        feature_names: names.clone(),
        target_names: vec!["y".into()],
        x,
        y,
        origin: (1..=c.n).map(|i| format!("row {i}")).collect(),
        name: "random".into(),
    };
    let model_cfg = Model {
        activation,
        bias: c.bias,
        init: Some(gdlab::config::Init::Zeros),
        start: Some(Start { weights: Some(w), bias: b, layers: None }),
        ..Model::default()
    };
    let model = Network::new(&model_cfg, c.d, 1, &names, 0, &device).expect("model");
    let objective = Objective::new(kind, activation, 1, &device).expect("objective");
    let labels = model.parameter_names(model_cfg.kind, &names);
    let precision = gdlab::backend::effective_precision(name, dtype, &model_cfg);
    let report = gradient::check_on(&objective, &data, &device, precision, &model, &labels, None);
    assert_eq!(report.kink_rows, 0);
    let mut worst = (0.0f64, 0.0f64);
    for r in &report.rows {
        assert!(r.autodiff.is_finite() && r.numeric.is_finite(), "{r:?}");
        assert_eq!(
            r.verdict,
            Verdict::Ok,
            "{:?}/{:?} bias={} flex={} saturated={} n={} d={}: {r:?}",
            activation,
            kind,
            c.bias,
            c.flex,
            c.saturated,
            c.n,
            c.d
        );
        worst.0 = worst.0.max((r.autodiff - r.analytic.unwrap()).abs());
        worst.1 = worst.1.max((r.autodiff - r.numeric).abs());
    }
    worst
}

/// Saturated sigmoid + BCE: gradients finite and equal to the formula delta = a - y.
pub fn saturated_bce(dtype: DType) {
    for flex in [true, false] {
        for (z, y) in [(45.0, 0.0), (-45.0, 1.0), (60.0, 1.0), (-60.0, 0.0)] {
            let c = Case { n: 1, d: 0, combo: 4, bias: true, flex, saturated: false, seed: 0 };
            let name = if c.flex { BackendName::Flex } else { BackendName::Ndarray };
            let device = gdlab::backend::device(name, dtype).unwrap();
            let model_cfg = Model {
                activation: Activation::Sigmoid,
                init: Some(gdlab::config::Init::Zeros),
                start: Some(Start { weights: Some(vec![]), bias: Some(z), layers: None }),
                ..Model::default()
            };
            let model = Network::new(&model_cfg, 0, 1, &[], 0, &device).unwrap();
            let objective = Objective::new(LossKind::Bce, Activation::Sigmoid, 1, &device).unwrap();
            let data = Dataset {
                feature_names: vec![],
                target_names: vec!["y".into()],
                x: vec![],
                y: vec![y],
                origin: vec!["row 1".into()],
                name: "one".into(),
            };
            let precision = gdlab::backend::effective_precision(name, dtype, &model_cfg);
            let report = gradient::check_on(&objective, &data, &device, precision, &model, &["b".to_string()], None);
            let r = &report.rows[0];
            let expected = gradient::analytic::sigmoid(z) - y;
            assert!(r.autodiff.is_finite(), "z={z}: {r:?}");
            assert!((r.autodiff - expected).abs() < 1e-6, "z={z} y={y}: autodiff {} formula {expected}", r.autodiff);
            assert_eq!(r.verdict, Verdict::Ok, "{r:?}");
        }
    }
}

/// 400 seeded cases over every combination and backend; returns, for [flex, ndarray], the
/// worst absolute disagreements (formula vs autodiff, finite differences vs autodiff).
pub fn sweep(dtype: DType) -> [(f64, f64); 2] {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut worst = [(0.0f64, 0.0f64); 2];
    for k in 0..400 {
        let d = rng.random_range(0..5);
        let saturated = k % 4 == 0;
        let case = Case {
            n: rng.random_range(1..40),
            d,
            combo: k % COMBOS.len(),
            bias: rng.random_bool(0.5) || d == 0 || saturated,
            flex: k % 2 == 0,
            saturated,
            seed: rng.random(),
        };
        let (f, n) = check(&case, dtype);
        let w = &mut worst[usize::from(!case.flex)];
        *w = (w.0.max(f), w.1.max(n));
    }
    worst
}

/// Output activation and loss pairings of an mlp.
pub const MLP_HEADS: [(Activation, LossKind); 6] = [
    (Activation::Identity, LossKind::Mse),
    (Activation::Identity, LossKind::Mae),
    (Activation::Sigmoid, LossKind::Bce),
    (Activation::Sigmoid, LossKind::Mse),
    (Activation::Softmax, LossKind::CrossEntropy),
    (Activation::Softmax, LossKind::Mse),
];
pub const HIDDEN: [Activation; 4] = [Activation::Sigmoid, Activation::Tanh, Activation::Relu, Activation::Identity];

#[derive(Debug)]
pub struct MlpCase {
    /// Sizes, input first: 1 to 3 hidden layers of width 1 to 5.
    pub sizes: Vec<usize>,
    pub hidden: usize,
    pub head: usize,
    pub bias: bool,
    pub flex: bool,
    pub n: usize,
    pub seed: u64,
}

pub fn mlp_cases() -> impl Strategy<Value = MlpCase> {
    (
        1usize..4,
        prop::collection::vec(1usize..6, 3),
        1usize..5,
        1usize..4,
        0usize..4,
        0usize..6,
        any::<bool>(),
        any::<bool>(),
        (1usize..20, any::<u64>()),
    )
        .prop_map(|(depth, widths, d_in, k, hidden, head, bias, flex, (n, seed))| {
            // Cross-entropy and softmax need at least two classes.
            let k = if MLP_HEADS[head].0 == Activation::Softmax { k.max(2) } else { k };
            let mut sizes = vec![d_in];
            sizes.extend(&widths[..depth]);
            sizes.push(k);
            MlpCase { sizes, hidden, head, bias, flex, n, seed }
        })
}

/// Random mlp, random data: backprop = autodiff = finite differences for every parameter.
/// Rows where a relu pre-activation or an MAE residual sits within 0.2 of its kink are redrawn:
/// there a finite difference is not a derivative (a parameter step moves z by at most ~0.05).
pub fn check_mlp(c: &MlpCase, dtype: DType) -> (f64, f64) {
    use gdlab::gradient::backprop;
    let (output, kind) = MLP_HEADS[c.head];
    let hidden = HIDDEN[c.hidden];
    let name = if c.flex { BackendName::Flex } else { BackendName::Ndarray };
    let device = gdlab::backend::device(name, dtype).expect("device");
    let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
    let model_cfg = Model {
        kind: gdlab::config::ModelKind::Mlp,
        activation: hidden,
        layers: Some(c.sizes.clone()),
        output_activation: Some(output),
        bias: c.bias,
        init: Some(gdlab::config::Init::Normal),
        scale: 0.8,
        start: None,
    };
    let (d, k) = (c.sizes[0], *c.sizes.last().unwrap());
    let names: Vec<String> = (1..=d).map(|i| format!("x{i}")).collect();
    // A relu net whose units are dead or sit at their kink for every input gets new weights.
    let (mut model, mut x, mut y, mut rows) = (None, Vec::new(), Vec::new(), 0);
    for attempt in 0..100u64 {
        let m = Network::new(&model_cfg, d, k, &names, c.seed.wrapping_add(attempt), &device).expect("model");
        let host = gradient::host_layers(&m);
        (x, y, rows) = (Vec::new(), Vec::new(), 0);
        for _ in 0..1000 {
            if rows == c.n {
                break;
            }
            let row: Vec<f64> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
            let t = backprop::forward(&host, hidden, output, &row, 1);
            let near_relu_kink = hidden == Activation::Relu && t.z[..t.z.len() - 1].iter().flatten().any(|z| z.abs() < 0.2);
            if near_relu_kink {
                continue;
            }
            let a = t.a.last().unwrap();
            let target: Vec<f64> = match kind {
                LossKind::Bce => (0..k).map(|_| f64::from(u8::from(rng.random_bool(0.5)))).collect(),
                LossKind::CrossEntropy => vec![rng.random_range(0..k) as f64],
                LossKind::Mae => a.iter().map(|a| a + if rng.random_bool(0.5) { 1.0 } else { -1.0 } * rng.random_range(0.5..1.5)).collect(),
                LossKind::Mse => (0..k).map(|_| rng.random_range(-2.0..2.0)).collect(),
            };
            x.extend(row);
            y.extend(target);
            rows += 1;
        }
        if rows == c.n {
            model = Some(m);
            break;
        }
    }
    let model = model.expect("a relu net with live units away from their kinks");
    assert_eq!(rows, c.n, "could not draw rows away from the relu kinks");
    let targets = if kind == LossKind::CrossEntropy { vec!["class".to_string()] } else { (1..=k).map(|j| format!("y{j}")).collect() };
    let data = Dataset {
        feature_names: names.clone(),
        target_names: targets,
        x,
        y,
        origin: (1..=c.n).map(|i| format!("row {i}")).collect(),
        name: "random".into(),
    };
    let objective = Objective::new(kind, output, k, &device).expect("objective");
    let labels = model.parameter_names(model_cfg.kind, &names);
    let precision = gdlab::backend::effective_precision(name, dtype, &model_cfg);
    let report = gradient::check_on(&objective, &data, &device, precision, &model, &labels, None);
    assert_eq!(report.method, "backprop");
    let mut worst = (0.0f64, 0.0f64);
    for r in &report.rows {
        assert_eq!(r.verdict, Verdict::Ok, "{c:?} {hidden:?} -> {output:?}/{kind:?}: {r:?}");
        worst.0 = worst.0.max((r.autodiff - r.analytic.unwrap()).abs());
        worst.1 = worst.1.max((r.autodiff - r.numeric).abs());
    }
    worst
}

/// The agreement tests for one dtype; each dtype's test file invokes it once (one dtype per
/// test process).
macro_rules! agreement_tests {
    ($dtype:expr, $label:literal) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]
            #[test]
            fn three_gradients_agree(case in agreement::cases()) {
                agreement::check(&case, $dtype);
            }

            #[test]
            fn backprop_autodiff_and_finite_differences_agree_for_mlps(case in agreement::mlp_cases()) {
                agreement::check_mlp(&case, $dtype);
            }
        }

        #[test]
        fn saturated_sigmoid_bce_gradients_are_finite_and_exact() {
            agreement::saturated_bce($dtype);
        }

        #[test]
        fn worst_disagreement_over_400_seeded_cases() {
            let worst = agreement::sweep($dtype);
            // Printed for the record (cargo test -- --nocapture); every case already passed its tolerance.
            for (backend, (formula, numeric)) in ["flex", "ndarray"].iter().zip(worst) {
                eprintln!(
                    "{} {backend}: worst |autodiff - formula| = {formula:.3e}, worst |autodiff - finite differences| = {numeric:.3e}",
                    $label
                );
                assert!(formula.is_finite() && numeric.is_finite());
            }
        }
    };
}
pub(crate) use agreement_tests;
