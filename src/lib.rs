//! gdlab: a gradient-descent laboratory on burn. See DESIGN.md for the rooms and which way
//! imports point (cli -> commands -> run -> train -> gradient, nn, data -> backend -> config).

pub mod atomic;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod error;
pub mod gradient;
pub mod lecture;
pub mod nn;
pub mod nonfinite;
pub mod report;
pub mod run;
pub mod serve;
pub mod stats;
pub mod stop;
pub mod style;
pub mod surface;
pub mod train;
