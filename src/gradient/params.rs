//! Any burn module's float parameters as one flat f64 vector, in visiting order: read them,
//! read their gradients, and write a changed vector back. Works unchanged on any module
//! (a neuron, a multi-layer net), which is what the finite-difference check needs.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Gradients;

/// One float parameter tensor: its path in the module ("layers.0.weight") and shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub path: String,
    pub shape: Vec<usize>,
}

impl Slot {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What `Reader` reads from each parameter.
#[derive(Clone, Copy)]
enum Source<'a> {
    Values,
    /// Gradients of one autodiff graph (`loss.backward()`).
    Graph(&'a Gradients),
    /// Gradients by parameter id (what the optimizer takes).
    ById(&'a GradientsParams),
}

struct Reader<'a> {
    path: Vec<String>,
    slots: Vec<Slot>,
    values: Vec<f64>,
    source: Source<'a>,
}

impl ModuleVisitor for Reader<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let shape = value.dims().to_vec();
        let len: usize = shape.iter().product();
        // The parameter's own field name is the last path element pushed by its struct; burn
        // calls enter_module for the field before visiting it.
        self.slots.push(Slot { path: self.path.join("."), shape });
        let grad = match self.source {
            Source::Values => {
                self.values.extend(value.try_into_vec_as::<f64>().expect("readable parameter"));
                return;
            }
            Source::Graph(g) => value.grad(g),
            Source::ById(g) => g.get::<D>(param.id),
        };
        match grad {
            Some(t) => self.values.extend(t.try_into_vec_as::<f64>().expect("readable gradient")),
            // No gradient reached it (e.g. an unused weight): its gradient is zero.
            None => self.values.extend(std::iter::repeat_n(0.0, len)),
        }
    }
}

fn read<M: Module>(m: &M, source: Source) -> (Vec<Slot>, Vec<f64>) {
    let mut r = Reader { path: Vec::new(), slots: Vec::new(), values: Vec::new(), source };
    m.visit(&mut r);
    (r.slots, r.values)
}

/// The parameter tensors' paths and shapes, in visiting order.
pub fn slots<M: Module>(m: &M) -> Vec<Slot> {
    read(m, Source::Values).0
}

/// All parameter values, flattened in visiting order (row-major within a tensor).
pub fn values<M: Module>(m: &M) -> Vec<f64> {
    read(m, Source::Values).1
}

/// The gradient of every parameter, in the same order as `values` (0 where none reached it).
pub fn gradients<M: Module>(m: &M, grads: &Gradients) -> Vec<f64> {
    read(m, Source::Graph(grads)).1
}

/// The same, from gradients keyed by parameter id (as the optimizer takes them).
pub fn gradients_by_id<M: Module>(m: &M, grads: &GradientsParams) -> Vec<f64> {
    read(m, Source::ById(grads)).1
}

struct Writer<'a> {
    values: &'a [f64],
    offset: usize,
}

impl ModuleMapper for Writer<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = self.values;
        let offset = &mut self.offset;
        param.map(|t| {
            let shape = t.dims();
            let len: usize = shape.iter().product();
            let device = t.device();
            // A fresh tensor is an untracked leaf: keep the parameter differentiable.
            let tracked = t.is_require_grad();
            let data = TensorData::new(values[*offset..*offset + len].to_vec(), shape);
            *offset += len;
            Tensor::from_data(data, &device).set_require_grad(tracked)
        })
    }
}

/// A copy of `m` with its parameters replaced by `values` (same order and length as `values(m)`).
pub fn with_values<M: Module>(m: &M, values: &[f64]) -> M {
    let mut w = Writer { values, offset: 0 };
    let out = m.clone().map(&mut w);
    assert_eq!(w.offset, values.len(), "parameter vector length does not match the module");
    out
}

/// Human names for each scalar: "<path>[i]" or "<path>[i,j]".
pub fn scalar_names(slots: &[Slot]) -> Vec<(String, usize)> {
    slots.iter().flat_map(|s| (0..s.len()).map(move |i| (s.path.clone(), i))).collect()
}
