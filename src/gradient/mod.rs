//! Gradients three ways: the hand-derived formula (`analytic`), burn's autodiff, and finite
//! differences (`numeric`), compared per parameter (`compare`); and the first-order (Taylor)
//! view of a step (`taylor`).

pub mod analytic;
pub mod backprop;
pub mod compare;
pub mod numeric;
pub mod params;
pub mod taylor;

use crate::config::{Activation, DType, LossKind};
use crate::data::Dataset;
use crate::nn::loss::Targets;
use crate::nn::model::Network;
use burn::prelude::*;
use compare::{Columns, Row};

/// The model's loss on a data set, as a closure-friendly evaluator (forward only).
pub struct LossFn {
    x: Tensor<2>,
    y: Targets,
    objective: crate::nn::loss::Objective,
}

impl LossFn {
    pub fn new(objective: &crate::nn::loss::Objective, data: &Dataset, device: &Device) -> Self {
        Self {
            x: crate::backend::upload(&data.x, [data.len(), data.dims()], device),
            y: Targets::new(&data.y, data.outputs(), objective.kind, device),
            objective: objective.clone(),
        }
    }

    pub fn tensor(&self, m: &Network) -> Tensor<1> {
        self.objective.loss(m.forward(self.x.clone()), &self.y)
    }

    pub fn value(&self, m: &Network) -> f64 {
        self.tensor(m).into_scalar::<f64>()
    }

    /// Loss and the autodiff gradient (in `params::values` order).
    pub fn with_gradient(&self, m: &Network) -> (f64, Vec<f64>) {
        let t = self.tensor(m);
        let c = t.clone().into_scalar::<f64>();
        let grads = t.backward();
        (c, params::gradients(m, &grads))
    }
}

pub struct Report {
    pub rows: Vec<Row>,
    pub loss: f64,
    pub dtype: DType,
    /// MAE rows whose residual lies inside the finite-difference stencil.
    pub kink_rows: usize,
    /// Where the formula column came from: "analytic" (neuron) or "backprop" (mlp).
    pub method: &'static str,
}

impl Report {
    pub fn failures(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.verdict == compare::Verdict::Fail).collect()
    }
}

/// Compares the three gradients of the training loss at `model`'s parameters, on explicit
/// pieces (gdlab gradcheck passes an experiment's; the property tests random data sets).
/// `perturb`: add 1e-3 * max(1, |g|) to the formula's gradient of the parameter with this
/// label: a self-test that shows the check can fail.
/// `dtype` is the precision the backend really computes in (`backend::effective_precision`).
pub fn check_on(
    objective: &crate::nn::loss::Objective,
    data: &Dataset,
    device: &Device,
    dtype: DType,
    model: &Network,
    labels: &[String],
    perturb: Option<&str>,
) -> Report {
    let loss = LossFn::new(objective, data, device);
    let (value, autodiff) = loss.with_gradient(model);
    let values = params::values(model);
    let slots = params::slots(model);
    let names = params::scalar_names(&slots);
    let labels = labels.to_vec();
    // A one-output single layer is the neuron: its formula is written out in `analytic`.
    // Anything deeper goes through hand-written backpropagation.
    let host = host_layers(model);
    let neuron = host.len() == 1 && host[0].d_out == 1;
    let point = analytic::Point { x: &data.x, y: &data.y, weights: &host[0].weights, bias: host[0].bias.as_ref().map(|b| b[0]) };
    let mut formula = if neuron {
        analytic::neuron(&point, objective.output, objective.kind).map(|g| g.flat())
    } else {
        backprop::gradient(&host, model.hidden, objective.output, objective.kind, &data.x, &data.y, data.len())
    };
    if let (Some(f), Some(name)) = (formula.as_mut(), perturb)
        && let Some(k) = labels.iter().position(|l| l == name)
    {
        f[k] += 1e-3 * f[k].abs().max(1.0);
    }
    let numeric = numeric::gradient(model, dtype, |m| loss.value(m));
    // The stencil test is written for a neuron; for deeper MAE models it is not computed.
    let kink_rows = if objective.kind == LossKind::Mae && neuron { rows_in_stencil(&point, objective.output, dtype) } else { 0 };
    let rows = compare::compare(
        &Columns { names: &names, labels: &labels, values: &values, autodiff: &autodiff, analytic: formula.as_deref(), numeric: &numeric },
        dtype,
        value,
        kink_rows > 0,
    );
    Report { rows, loss: value, dtype, kink_rows, method: if neuron { "analytic" } else { "backprop" } }
}

/// The model's layers on the host, for the formulas.
pub fn host_layers(model: &Network) -> Vec<backprop::Layer> {
    let read = |t: Tensor<1>| t.try_into_vec_as::<f64>().expect("readable parameter");
    model
        .layers
        .iter()
        .map(|l| {
            let [d_in, d_out] = l.weight.dims();
            backprop::Layer { d_in, d_out, weights: read(l.weight.val().flatten(0, 1)), bias: l.bias.as_ref().map(|b| read(b.val())) }
        })
        .collect()
}

/// Rows whose residual |a - y| could change sign within the largest
/// finite-difference step: there the difference quotient crosses the MAE kink.
fn rows_in_stencil(p: &analytic::Point, activation: Activation, dtype: DType) -> usize {
    let d = p.weights.len();
    let h = p.weights.iter().chain(p.bias.iter()).map(|t| numeric::step(*t, dtype)).fold(0.0, f64::max);
    (0..p.y.len())
        .filter(|&i| {
            let row = &p.x[i * d..(i + 1) * d];
            let z = row.iter().zip(p.weights).map(|(a, b)| a * b).sum::<f64>() + p.bias.unwrap_or(0.0);
            let reach = h * (row.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0));
            // The output moves at most as fast as z (a sigmoid at most a quarter as fast).
            let a = if activation == Activation::Sigmoid { analytic::sigmoid(z) } else { z };
            (a - p.y[i]).abs() <= reach
        })
        .count()
}
