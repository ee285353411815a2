//! Non-finite numbers in JSON run files. JSON has no inf or NaN: serde_json writes them as
//! null, which then fails to read back as a number, so a diverged run's summary could not be
//! read. Fields marked `#[serde(with = "crate::nonfinite")]` write them as the strings "inf",
//! "-inf" and "nan" and read those back (and null, as NaN, from folders written before).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A value made of f64s (a number, an optional one, lists of them).
pub trait Floats: Sized {
    fn to_json(&self) -> Value;
    fn from_json(v: Value) -> Result<Self, String>;
}

impl Floats for f64 {
    fn to_json(&self) -> Value {
        match serde_json::Number::from_f64(*self) {
            Some(n) => Value::Number(n),
            None if self.is_nan() => Value::String("nan".into()),
            None if *self > 0.0 => Value::String("inf".into()),
            None => Value::String("-inf".into()),
        }
    }

    fn from_json(v: Value) -> Result<Self, String> {
        match v {
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number")),
            Value::Null => Ok(f64::NAN),
            Value::String(s) => match s.as_str() {
                "nan" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(format!("\"{other}\" is not a number (expected a number, \"inf\", \"-inf\" or \"nan\")")),
            },
            other => Err(format!("{other} is not a number")),
        }
    }
}

impl<T: Floats> Floats for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }

    fn from_json(v: Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }
}

impl<T: Floats> Floats for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(T::to_json).collect())
    }

    fn from_json(v: Value) -> Result<Self, String> {
        match v {
            Value::Array(items) => items.into_iter().map(T::from_json).collect(),
            other => Err(format!("{other} is not a list of numbers")),
        }
    }
}

pub fn serialize<T: Floats, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    v.to_json().serialize(s)
}

pub fn deserialize<'de, T: Floats, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::from_json(Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct S {
        #[serde(with = "super")]
        a: f64,
        #[serde(with = "super")]
        b: Option<f64>,
        #[serde(with = "super")]
        c: Vec<Vec<f64>>,
    }

    #[test]
    fn non_finite_numbers_round_trip_and_finite_ones_stay_numbers() {
        let s = S { a: f64::INFINITY, b: Some(f64::NAN), c: vec![vec![f64::NEG_INFINITY, 0.1, 1e300]] };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, r#"{"a":"inf","b":"nan","c":[["-inf",0.1,1e+300]]}"#);
        let back: S = serde_json::from_str(&text).unwrap();
        assert!(back.a == f64::INFINITY && back.b.is_some_and(f64::is_nan) && back.c[0][0] == f64::NEG_INFINITY && back.c[0][1] == 0.1);
        // Folders written before: a non-finite final loss was stored as null.
        let old: S = serde_json::from_str(r#"{"a":null,"b":null,"c":[]}"#).unwrap();
        assert!(old.a.is_nan() && old.b.is_none());
        let err = serde_json::from_str::<S>(r#"{"a":"fast","b":null,"c":[]}"#).unwrap_err().to_string();
        assert!(err.contains("\"fast\" is not a number"), "{err}");
    }
}
