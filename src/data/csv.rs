//! CSV data: a header row, then one row per example. Only the used columns must be numeric.

use super::{DataError, Dataset};
use std::path::Path;

/// Reads `path`, taking the `targets` columns as y and `features` (default: every other
/// column) as x. With `positive`, target values in that list become 1 and all others 0.
pub fn read(path: &Path, targets: &[String], features: Option<&[String]>, positive: Option<&[f64]>) -> Result<Dataset, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Read { path: path.to_path_buf(), source })?;
    parse(&bytes, path, targets, features, positive)
}

/// `read` on bytes already in memory; `path` names them in messages.
pub fn parse(
    bytes: &[u8],
    path: &Path,
    targets: &[String],
    features: Option<&[String]>,
    positive: Option<&[f64]>,
) -> Result<Dataset, DataError> {
    let mut reader = ::csv::ReaderBuilder::new().has_headers(true).trim(::csv::Trim::All).from_reader(bytes);
    let malformed = |line: usize, message: String| DataError::Malformed { path: path.to_path_buf(), line, message };
    let header: Vec<String> = reader.headers().map_err(|e| malformed(1, e.to_string()))?.iter().map(str::to_string).collect();
    // Two columns of one name would map to different data in training and in `eval --data`.
    for (again, name) in header.iter().enumerate() {
        if let Some(first) = header[..again].iter().position(|h| h == name) {
            return Err(DataError::DuplicateColumn { path: path.to_path_buf(), name: name.clone(), first: first + 1, again: again + 1 });
        }
    }
    let column = |name: &str, key: &str| -> Result<usize, DataError> {
        header.iter().position(|h| h == name).ok_or_else(|| {
            let nearest =
                header.iter().map(|h| (strsim::jaro_winkler(name, h), h)).filter(|(s, _)| *s > 0.7).max_by(|a, b| a.0.total_cmp(&b.0));
            DataError::UnknownColumn {
                path: path.to_path_buf(),
                name: name.to_string(),
                key: key.to_string(),
                suggestion: nearest.map(|(_, h)| format!("; did you mean `{h}`?")).unwrap_or_default(),
                available: header.join(", "),
            }
        })
    };
    let target_cols: Vec<usize> = targets.iter().map(|t| column(t, "target")).collect::<Result<_, _>>()?;
    let feature_cols: Vec<usize> = match features {
        Some(names) => names.iter().map(|n| column(n, "features")).collect::<Result<_, _>>()?,
        None => (0..header.len()).filter(|c| !target_cols.contains(c)).collect(),
    };
    for (key, cols) in [("target", &target_cols), ("features", &feature_cols)] {
        if let Some((i, c)) = cols.iter().enumerate().find(|(i, c)| cols[..*i].contains(c)) {
            return Err(DataError::Invalid {
                what: format!(
                    "{}: key `data.{key}`: column `{}` is listed twice (entries {} and {})",
                    path.display(),
                    header[*c],
                    cols.iter().position(|x| x == c).unwrap_or(0) + 1,
                    i + 1
                ),
                hint: "list each column once".into(),
            });
        }
    }
    if let Some(c) = feature_cols.iter().find(|c| target_cols.contains(c)) {
        return Err(DataError::Invalid {
            what: format!("{}: column `{}` is both a target and a feature", path.display(), header[*c]),
            hint: "remove it from data.features".into(),
        });
    }

    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut origin = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            malformed(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue; // a blank trailing line is not a row
        }
        let cell = |c: usize| -> Result<f64, DataError> {
            let problem = |p: String| DataError::Cell { path: path.to_path_buf(), line, column: header[c].clone(), problem: p };
            let raw = record.get(c).ok_or_else(|| problem("missing cell (row is too short)".into()))?;
            if raw.is_empty() {
                return Err(problem("empty cell".into()));
            }
            let v: f64 = raw.parse().map_err(|_| problem(format!("`{raw}` is not a number")))?;
            if !v.is_finite() {
                return Err(problem(format!("`{raw}` is not a finite number")));
            }
            Ok(v)
        };
        for &c in &feature_cols {
            x.push(cell(c)?);
        }
        for &c in &target_cols {
            let t = cell(c)?;
            y.push(match positive {
                Some(p) => f64::from(u8::from(p.contains(&t))),
                None => t,
            });
        }
        origin.push(format!("line {line}"));
    }
    Ok(Dataset {
        feature_names: feature_cols.iter().map(|&c| header[c].clone()).collect(),
        target_names: targets.to_vec(),
        x,
        y,
        origin,
        name: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_features_in_order_and_maps_positive() {
        let f = file("a,b,c\n1,2,0\n3,4,2\n");
        let d = read(f.path(), &["c".into()], Some(&["b".into(), "a".into()]), Some(&[2.0])).unwrap();
        assert_eq!(d.feature_names, ["b", "a"]);
        assert_eq!(d.x, [2.0, 1.0, 4.0, 3.0]);
        assert_eq!(d.y, [0.0, 1.0]);
    }

    #[test]
    fn bad_cell_names_line_and_column() {
        let f = file("a,b\n1,2\n3,x\n");
        let e = read(f.path(), &["b".into()], None, None).unwrap_err().to_string();
        assert!(e.contains(":3:") && e.contains("column `b`") && e.contains("`x`"), "{e}");
        let f = file("a,b\n1,\n");
        let e = read(f.path(), &["b".into()], None, None).unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("empty cell"), "{e}");
    }

    #[test]
    fn several_targets_are_read_row_major() {
        let f = file("a,t1,t2\n1,2,3\n4,5,6\n");
        let d = read(f.path(), &["t1".into(), "t2".into()], None, None).unwrap();
        assert_eq!(d.feature_names, ["a"]);
        assert_eq!(d.y, [2.0, 3.0, 5.0, 6.0]);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn unknown_column_suggests_nearest() {
        let f = file("age,bmi,progression\n1,2,3\n");
        let e = read(f.path(), &["progresion".into()], None, None).unwrap_err().to_string();
        assert!(e.contains("did you mean `progression`"), "{e}");
    }
}
