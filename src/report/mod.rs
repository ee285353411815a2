//! What people look at: charts (`plot`, plotters with an embedded font).

pub mod plot;
