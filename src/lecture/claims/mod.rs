//! One file per claim, in the lecture's order: each runs its experiments, measures, draws its
//! figures and decides whether the claim holds; its sentences are in ../text/.

pub mod bias;
pub mod cross_entropy;
pub mod learning_rate;
pub mod local_minima;
pub mod mse_mae;
pub mod parabola;
pub mod perceptron;
pub mod surface;
pub mod taylor;
