//! gdlab: a gradient-descent laboratory on burn. See DESIGN.md for the layers.

pub mod artifacts;
pub mod backend;
pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod data;
pub mod error;
pub mod eval;
pub mod experiment;
pub mod gradient;
pub mod inspect;
pub mod lecture;
pub mod loss;
pub mod model;
pub mod perceptron;
pub mod plot;
pub mod run;
pub mod shard;
pub mod shipped;
pub mod surface;
pub mod sweep;
pub mod train;
