//! The commands besides `train` (which lives in `run`): each a function from a typed request to
//! a typed result that `cli` prints as a table or as JSON.

pub mod bench;
pub mod eval;
pub mod inspect;
pub mod perceptron;
pub mod surface;
pub mod sweep;
