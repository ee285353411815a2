//! One forward/backward pass over a batch, split into row shards that run on separate threads.
//!
//! burn's flex backend runs element-wise ops (and the matrix-vector products of a one-output
//! layer) on one thread, so a full-batch step on 65536 rows used one of the machine's cores.
//! Each shard here is a separate autodiff graph: shard 0 uses the model itself, the others a
//! replica whose parameters are fresh leaves with the same `ParamId`s, so no graph shares a node
//! with another thread's. The batch loss and gradient are the row-weighted means of the shards'.
//!
//! The shard count is a function of the backend, the batch size and the model size only (never
//! of the machine's cores), so a run reproduces bit for bit on any machine; one shard is exactly
//! the unsplit computation.

use crate::config::BackendName;
use crate::nn::loss::{Objective, Targets};
use crate::nn::model::Network;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use rayon::prelude::*;

/// Work per shard, in multiply-adds of the forward pass (rows x parameters), below which a
/// thread hand-off costs more than it saves (measured W1, 65536 rows x 17 parameters on 2
/// cores: 2 shards 1.3x to 1.6x faster than 1, 4 shards no faster than 2).
pub const SHARD_WORK: usize = 1 << 19;
/// Fewest rows in a shard: a mini-batch of 64 rows stays whole whatever the model.
pub const MIN_SHARD_ROWS: usize = 1024;
/// Upper bound of the automatic shard count.
pub const MAX_SHARDS: usize = 8;

/// The automatic shard count for a batch of `rows` through a model of `params` parameters
/// (about the multiply-adds per row) on `backend`. flex: one shard per `SHARD_WORK`, at least
/// `MIN_SHARD_ROWS` rows each, at most `MAX_SHARDS`. GPU and remote backends: 1 (the device
/// runs a batch in one kernel, see `config::spec`). ndarray: always 1, because it already
/// spreads a matmul over threads of its own, and shards competing with them made W1 seven
/// times slower (57 -> 8 steps/s).
pub fn auto_shards(backend: BackendName, rows: usize, params: usize) -> usize {
    // ndarray threads its own matmul; a GPU (or a server's device) runs a batch in one kernel.
    if !backend.info().shards {
        return 1;
    }
    (rows.saturating_mul(params) / SHARD_WORK).min(rows / MIN_SHARD_ROWS).clamp(1, MAX_SHARDS)
}

/// Whether a full batch's X goes to the device column-major. flex: yes (see
/// `train::DeviceData`). ndarray: no, its matmul copies a non-row-major operand into row-major
/// order on every call (`as_standard_layout`, a third of a W1 step).
pub fn column_major(backend: BackendName) -> bool {
    backend.info().column_major
}

/// Half-open row ranges of `shards` nearly equal parts of `rows` (the first ones larger).
pub fn ranges(rows: usize, shards: usize) -> Vec<std::ops::Range<usize>> {
    let shards = shards.clamp(1, rows.max(1));
    let (base, extra) = (rows / shards, rows % shards);
    let mut start = 0;
    (0..shards)
        .map(|s| {
            let end = start + base + usize::from(s < extra);
            let r = start..end;
            start = end;
            r
        })
        .collect()
}

/// The result of one pass.
pub struct Pass {
    /// Mean loss over the batch (f64 sum of the shards' means, weighted by their rows).
    pub loss: f64,
    /// The model's output per shard, kept on the device (accuracy reads it only when needed).
    pub z: Vec<Tensor<2>>,
    /// Batch gradient by parameter id, when the pass ran backward.
    pub grads: Option<GradientsParams>,
}

/// Fresh autodiff leaves with the same values and ids: a graph of their own.
struct Replicate;

impl ModuleMapper for Replicate {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| {
            let tracked = t.is_require_grad();
            t.detach().set_require_grad(tracked)
        })
    }
}

/// Sums the shards' gradients, each weighted by its share of the rows, into one set.
struct Combine {
    shards: Vec<(f64, GradientsParams)>,
    out: GradientsParams,
}

impl ModuleVisitor for Combine {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let mut sum: Option<Tensor<D>> = None;
        for (weight, grads) in &mut self.shards {
            if let Some(g) = grads.remove::<D>(param.id) {
                let g = g.mul_scalar(*weight);
                sum = Some(match sum {
                    Some(s) => s + g,
                    None => g,
                });
            }
        }
        if let Some(sum) = sum {
            self.out.register(param.id, sum);
        }
    }
}

fn one(model: &Network, obj: &Objective, x: Tensor<2>, y: &Targets, backward: bool) -> (f64, Tensor<2>, Option<GradientsParams>) {
    let z = model.forward(x);
    let loss_t = obj.loss(z.clone(), y);
    let loss = loss_t.clone().into_scalar::<f64>();
    let grads = backward.then(|| GradientsParams::from_grads(loss_t.backward(), model));
    (loss, z, grads)
}

/// Forward (and, with `backward`, backward) of `model` on rows `x`/`y` in `shards` parts.
pub fn pass(model: &Network, obj: &Objective, x: &Tensor<2>, y: &Targets, shards: usize, backward: bool) -> Pass {
    let rows = x.dims()[0];
    let parts = ranges(rows, shards);
    if parts.len() == 1 {
        let (loss, z, grads) = one(model, obj, x.clone(), y, backward);
        return Pass { loss, z: vec![z], grads };
    }
    let cols = x.dims()[1];
    // Slices are views; replicas are made here, on the calling thread, and moved to the workers.
    let jobs: Vec<(Network, Tensor<2>, Targets, f64)> = parts
        .iter()
        .enumerate()
        .map(|(s, r)| {
            let m = if s == 0 { model.clone() } else { model.clone().map(&mut Replicate) };
            (m, x.clone().slice([r.clone(), 0..cols]), y.rows(r.clone()), r.len() as f64 / rows as f64)
        })
        .collect();
    let results: Vec<(Network, f64, f64, Tensor<2>, Option<GradientsParams>)> = jobs
        .into_par_iter()
        .map(|(m, xs, ys, weight)| {
            let (loss, z, grads) = one(&m, obj, xs, &ys, backward);
            (m, weight, loss, z, grads)
        })
        .collect();
    let loss = results.iter().map(|(_, w, l, _, _)| w * l).sum();
    let mut z = Vec::with_capacity(results.len());
    let mut shards_grads = Vec::new();
    for (_, weight, _, zs, grads) in results {
        z.push(zs);
        if let Some(g) = grads {
            shards_grads.push((weight, g));
        }
    }
    let grads = backward.then(|| {
        let mut c = Combine { shards: shards_grads, out: GradientsParams::new() };
        model.visit(&mut c);
        c.out
    });
    Pass { loss, z, grads }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::spec::{Architecture, ModelSpec};
    use crate::config::{self, Activation, Init, LossKind};
    use crate::gradient::params;
    use rand::{Rng, SeedableRng};

    /// (loss, flat gradient) of one pass. Unit tests in this crate use flex in f32 only (burn
    /// fixes a device's dtype once per process).
    fn grad_of(model: &Network, obj: &Objective, x: &Tensor<2>, y: &Targets, shards: usize) -> (f64, Vec<f64>) {
        let p = pass(model, obj, x, y, shards, true);
        (p.loss, params::gradients_by_id(model, &p.grads.expect("backward ran")))
    }

    /// Splitting a batch changes only the order of f32 sums: the loss and every gradient
    /// component agree with the unsplit pass to f32 rounding (1e-5 relative; sums of 997 terms
    /// in f32 carry ~1e-6), and a split pass is bit-for-bit repeatable.
    #[test]
    fn shards_agree_with_the_unsplit_pass_and_repeat_exactly() {
        let device = crate::backend::local_device(config::BackendName::Flex, config::DType::F32).unwrap();
        let (n, d) = (997, 3);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let xs: Vec<f64> = (0..n * d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let ys: Vec<f64> = (0..n).map(|i| f64::from(u8::from(xs[i * d] + 0.5 * xs[i * d + 1] > 0.1))).collect();
        let names: Vec<String> = (0..d).map(|i| format!("x{i}")).collect();
        let neuron = ModelSpec::neuron(Activation::Identity, Init::Normal);
        let mlp = ModelSpec {
            shape: Architecture::Mlp { layers: vec![d, 5, 1], hidden: Activation::Tanh, output: Activation::Sigmoid, start: None },
            bias: true,
            init: Init::Xavier,
            scale: 1.0,
        };
        for (cfg, kind, column_major) in [(neuron, LossKind::Mse, true), (mlp, LossKind::Bce, false)] {
            let model = Network::new(&cfg, d, 1, &names, 3, &device).unwrap();
            let obj = Objective::new(kind, cfg.output(), 1).unwrap();
            let x = if column_major {
                crate::backend::upload_column_major(&xs, [n, d], &device)
            } else {
                crate::backend::upload(&xs, [n, d], &device)
            };
            let y = Targets::new(&ys, 1, kind, &device);
            let (loss, grad) = grad_of(&model, &obj, &x, &y, 1);
            for shards in [2, 3, 8] {
                let (l, g) = grad_of(&model, &obj, &x, &y, shards);
                assert!((l - loss).abs() <= 1e-5 * loss.abs(), "{kind:?} {shards} shards: loss {l} vs {loss}");
                for (a, b) in g.iter().zip(&grad) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{kind:?} {shards} shards: {g:?} vs {grad:?}");
                }
                assert_eq!(grad_of(&model, &obj, &x, &y, shards), (l, g), "{kind:?} {shards} shards repeat");
            }
        }
    }

    #[test]
    fn ranges_cover_every_row_once_in_order() {
        for rows in [1, 2, 7, 16_384, 65_537] {
            for shards in 1..=9 {
                let r = ranges(rows, shards);
                assert_eq!(r.len(), shards.min(rows));
                assert_eq!(r[0].start, 0);
                assert_eq!(r.last().unwrap().end, rows);
                assert!(r.windows(2).all(|w| w[0].end == w[1].start));
                let (min, max) = (r.iter().map(|r| r.len()).min().unwrap(), r.iter().map(|r| r.len()).max().unwrap());
                assert!(max - min <= 1, "{rows} rows in {shards}: {r:?}");
            }
        }
    }

    #[test]
    fn auto_shards_depends_on_rows_only() {
        let flex = BackendName::Flex;
        assert_eq!(auto_shards(flex, 0, 17), 1);
        // W1 and W2 (65536 rows, 17 parameters): two shards; a quarter of the rows: one.
        assert_eq!(auto_shards(flex, 65_536, 17), 2);
        assert_eq!(auto_shards(flex, 16_384, 17), 1);
        assert_eq!(auto_shards(flex, 1 << 20, 17), MAX_SHARDS);
        // W3's mini-batches of 64 stay whole; its full-set evaluation (8192 rows) splits.
        assert_eq!(auto_shards(flex, 64, 8449), 1);
        assert_eq!(auto_shards(flex, 8192, 8449), 8);
        assert_eq!(auto_shards(flex, 2047, 8449), 1);
        assert_eq!(auto_shards(BackendName::Ndarray, 1 << 20, 17), 1);
    }
}
