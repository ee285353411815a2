//! The report's prose, outside the code: one TOML file per language (text/ko.toml,
//! text/en.toml), one table per claim. Each string is a minijinja template filled from the
//! values a claim measured, so both languages fill the same slots from the same numbers and
//! the code never writes a sentence. Numbers are formatted by filters: `fixed(n)` (n decimals),
//! `sci(n)` (n decimals and an exponent, as Rust's `{:.ne}`), `num` (the shortest form that
//! reads back as the same f64), each with the minus sign − for a negative number.

use super::{Lang, Text};
use crate::error::GdlabError;
use minijinja::{Environment, UndefinedBehavior, Value};
use std::sync::OnceLock;

static KO: &str = include_str!("text/ko.toml");
static EN: &str = include_str!("text/en.toml");

/// The two languages' templates, parsed once.
pub struct Prose {
    ko: Environment<'static>,
    en: Environment<'static>,
}

/// The shipped prose. Its files are part of the binary, so a template that does not parse is a
/// bug (the tests render every one), not bad input.
pub fn prose() -> &'static Prose {
    static PROSE: OnceLock<Prose> = OnceLock::new();
    PROSE.get_or_init(|| Prose {
        ko: environment(KO).unwrap_or_else(|e| panic!("src/lecture/text/ko.toml: {e}")),
        en: environment(EN).unwrap_or_else(|e| panic!("src/lecture/text/en.toml: {e}")),
    })
}

/// Every string of `source` as a template named by its dotted key (`bias.verdict`); the
/// `[words]` table is also a global, `words`, for words a template picks by a value.
fn environment(source: &str) -> Result<Environment<'static>, String> {
    let table: toml::Table = toml::from_str(source).map_err(|e| e.to_string())?;
    let mut env = Environment::new();
    // A slot the code does not fill is an error, never an empty string in a sentence.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("fixed", |v: f64, digits: usize| minus(format!("{v:.digits$}")));
    env.add_filter("sci", |v: f64, digits: usize| minus(format!("{v:.digits$e}")));
    env.add_filter("num", |v: f64| minus(format!("{v}")));
    fn add(env: &mut Environment<'static>, prefix: &str, table: &toml::Table) -> Result<(), String> {
        for (key, value) in table {
            let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                toml::Value::String(s) => env.add_template_owned(name.clone(), s.clone()).map_err(|e| format!("{name}: {e}"))?,
                toml::Value::Table(t) => add(env, &name, t)?,
                _ => return Err(format!("{name}: a string or a table expected")),
            }
        }
        Ok(())
    }
    add(&mut env, "", &table)?;
    let words = table.get("words").and_then(toml::Value::as_table).cloned().unwrap_or_default();
    let word = |key: &str| words.get(key).and_then(toml::Value::as_str).map(str::to_string).ok_or(format!("words.{key} is missing"));
    let (holds, fails) = (word("holds")?, word("fails")?);
    // `holds|verdict` gives the language's word; `holds|verdict("sentence")`, the claim's own
    // sentence of what held (Korean opens each verdict with one, KOREAN.md), or the word for
    // a claim that did not hold.
    env.add_filter("verdict", move |h: bool, sentence: Option<String>| match (h, sentence) {
        (true, Some(s)) => s,
        (true, None) => holds.clone(),
        (false, _) => fails.clone(),
    });
    env.add_global("words", Value::from(minijinja::value::Serde(&words)));
    Ok(env)
}

/// A number's sign as the minus sign the prose writes (−2, not -2); an exponent's stays ASCII.
fn minus(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s,
    }
}

impl Prose {
    fn env(&self, lang: Lang) -> &Environment<'static> {
        if lang == Lang::Ko { &self.ko } else { &self.en }
    }

    /// The template `key` in `lang`, filled from `ctx`.
    pub fn get(&self, lang: Lang, key: &str, ctx: &Value) -> Result<String, GdlabError> {
        let env = self.env(lang);
        env.get_template(key)
            .and_then(|t| t.render(ctx))
            .map_err(|e| GdlabError::Runtime(format!("the lecture text {key} ({lang:?}): {e:#}")))
    }

    /// Whether `lang` has the template `key`.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.env(lang).get_template(key).is_ok()
    }

    /// The template `key` in both languages.
    pub fn both(&self, key: &str, ctx: &Value) -> Result<Text, GdlabError> {
        Ok(Text { ko: self.get(Lang::Ko, key, ctx)?, en: self.get(Lang::En, key, ctx)? })
    }

    /// The template names of `lang` that start with `prefix`, sorted.
    pub fn keys(&self, lang: Lang, prefix: &str) -> Vec<String> {
        let mut keys: Vec<String> = self.env(lang).templates().map(|(n, _)| n.to_string()).filter(|n| n.starts_with(prefix)).collect();
        keys.sort();
        keys
    }

    /// Every template name of `lang`, for the tests.
    #[cfg(test)]
    fn names(&self, lang: Lang) -> Vec<String> {
        self.env(lang).templates().map(|(n, _)| n.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &str = "words = { holds = \"yes\", fails = \"no\" }\n";

    #[test]
    fn both_languages_have_the_same_templates() {
        let names = |lang| -> Vec<String> {
            let mut n: Vec<String> = prose().names(lang);
            n.sort();
            n
        };
        assert_eq!(names(Lang::Ko), names(Lang::En));
    }

    /// The characters of every string under `table` (figure words, behaviour words) that the
    /// Korean figures' font has no glyph for: a figure would print a box for each.
    fn undrawable(table: &toml::Table) -> std::collections::BTreeSet<char> {
        let face = ttf_parser::Face::parse(crate::report::plot::FigureLang::Ko.font(), 0).expect("the Korean font parses");
        let mut missing = std::collections::BTreeSet::new();
        let mut stack: Vec<&toml::Value> = table.values().collect();
        while let Some(v) = stack.pop() {
            match v {
                toml::Value::String(s) => missing.extend(s.chars().filter(|c| !c.is_control() && face.glyph_index(*c).is_none())),
                toml::Value::Table(t) => stack.extend(t.values()),
                _ => {}
            }
        }
        missing
    }

    #[test]
    fn the_korean_font_draws_every_word_of_the_korean_figures() {
        let ko: toml::Table = toml::from_str(KO).unwrap();
        for key in ["figures", "words"] {
            let missing = undrawable(ko[key].as_table().unwrap());
            assert!(
                missing.is_empty(),
                "ko.toml [{key}]: the font has no glyph for {missing:?} (scripts/korean-font.py keeps what a figure may use)"
            );
        }
        // A character outside the subset is found: the check can fail.
        let table: toml::Table = toml::from_str("t = \"ㅏ漢\"").unwrap();
        assert_eq!(undrawable(&table).into_iter().collect::<String>(), "漢");
    }

    #[test]
    fn the_filters_format_as_rust_does() {
        let env = environment(&format!("{WORDS}t = \"{{{{ a|fixed(3) }}}} {{{{ a|sci(2) }}}} {{{{ b|num }}}} {{{{ c|num }}}}\"")).unwrap();
        let ctx = minijinja::context! { a => 1234.56789, b => 0.1, c => 2.0 };
        assert_eq!(env.get_template("t").unwrap().render(ctx).unwrap(), "1234.568 1.23e3 0.1 2");
        let ctx = minijinja::context! { a => -1.5, b => -0.00133, c => -3.0 };
        assert_eq!(env.get_template("t").unwrap().render(ctx).unwrap(), "−1.500 −1.50e0 −0.00133 −3");
    }

    #[test]
    fn a_missing_slot_is_an_error() {
        let env = environment(&format!("{WORDS}t = \"{{{{ a }}}}\"")).unwrap();
        assert!(env.get_template("t").unwrap().render(minijinja::context! {}).is_err());
    }
}
