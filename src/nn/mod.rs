//! The burn modules and the losses: a neuron is one layer, an mlp a stack (`model`); MSE, MAE,
//! BCE and cross-entropy from burn's loss layers (`loss`).

pub mod activation;
pub mod loss;
pub mod model;
