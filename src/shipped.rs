//! The shipped configs, embedded so `gdlab list` and the default `gdlab train` work anywhere.

pub struct Shipped {
    /// Path relative to the repository root.
    pub path: &'static str,
    pub text: &'static str,
}

pub const DEFAULT: &str = "configs/linear_regression.toml";

pub const SHIPPED: &[Shipped] = &[
    Shipped { path: "configs/linear_regression.toml", text: include_str!("../configs/linear_regression.toml") },
    Shipped { path: "configs/logistic_regression.toml", text: include_str!("../configs/logistic_regression.toml") },
    Shipped { path: "configs/quadratic.toml", text: include_str!("../configs/quadratic.toml") },
    Shipped { path: "configs/diabetes.toml", text: include_str!("../configs/diabetes.toml") },
    Shipped { path: "configs/breast_cancer.toml", text: include_str!("../configs/breast_cancer.toml") },
];

pub fn default_config() -> &'static Shipped {
    SHIPPED.iter().find(|s| s.path == DEFAULT).expect("default is shipped")
}

/// `name: description` lines for `gdlab list`.
pub fn listing() -> String {
    let mut out = String::new();
    for s in SHIPPED {
        let (name, description) = match toml::from_str::<crate::config::Config>(s.text) {
            Ok(c) => (c.experiment.name, c.experiment.description),
            Err(e) => ("(invalid)".into(), e.message().to_string()),
        };
        out += &format!("{:<36} {name}\n    {description}\n", s.path);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_config_loads_and_has_a_description() {
        for s in SHIPPED {
            let l = crate::config::from_text(s.text, s.path, "configs".into(), &[]).unwrap_or_else(|e| panic!("{e}"));
            assert!(!l.config.experiment.description.is_empty(), "{}", s.path);
        }
    }
}
