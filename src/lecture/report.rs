//! The report files: REPORT.ko.md, REPORT.md, index.html (both languages, with a switch) and
//! lecture.json, with the figures copied into figures/.

use super::lab::suffix;
use super::text::prose;
use super::{Claim, Lang};
use crate::error::GdlabError;
use crate::run::artifacts;
use minijinja::context;
use std::path::Path;

/// The notation block at the top of index.html, in MathML (no network, no script).
const NOTATION: &str =
    "<p class=\"math\"><math display=\"block\"><mi>Δ</mi><mi>W</mi><mo>=</mo><mo>−</mo><mi>η</mi><mo>∇</mo><mi>C</mi></math></p>";

/// The page around the sections (a minijinja template: lang, both, notation, sections).
static PAGE: &str = include_str!("page/index.html");
/// Each claim's formulas in MathML, by claim id.
static FORMULAS: &str = include_str!("page/formulas.toml");

/// The report's own words (`report.<key>` of the text).
fn words(lang: Lang, key: &str) -> Result<String, GdlabError> {
    prose().get(lang, &format!("report.{key}"), &context! {})
}

/// The glossary, `(term, definition)` sorted by the term as the language reads (가나다순 for
/// Korean: Hangul syllables are in that order in Unicode).
fn glossary(lang: Lang) -> Result<Vec<(String, String)>, GdlabError> {
    let mut entries: Vec<(String, String)> = prose()
        .keys(lang, "glossary.")
        .iter()
        .map(|k| {
            let line = prose().get(lang, k, &context! {})?;
            let (term, definition) = line.split_once(": ").unwrap_or((line.as_str(), ""));
            Ok((term.to_string(), definition.to_string()))
        })
        .collect::<Result<_, GdlabError>>()?;
    entries.sort_by_key(|e| e.0.to_lowercase());
    Ok(entries)
}

fn points(c: &Claim) -> String {
    c.points.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

fn markdown(claims: &[Claim], lang: Lang) -> Result<String, GdlabError> {
    let w = |k: &str| words(lang, k);
    let mut md = format!("# {}\n\n{}\n\n## {}\n\n", w("title")?, w("intro")?, w("toc")?);
    for (k, c) in claims.iter().enumerate() {
        md += &format!("{}. [{}](#s{})\n", k + 1, c.title.get(lang), k + 1);
    }
    md += &format!("{}. [{}](#glossary)\n\n", claims.len() + 1, w("glossary")?);
    for (k, c) in claims.iter().enumerate() {
        let source = prose().get(lang, "report.source", &context! { chapter => c.chapter.get(lang), points => points(c) })?;
        md += &format!("<a id=\"s{}\"></a>\n\n## {}. {}\n\n", k + 1, k + 1, c.title.get(lang));
        md += &format!("### {}\n\n> «{}» ({source})\n\n", w("lecture_says")?, c.quote);
        md += &format!("### {}\n\n{}\n\n**{}:** {}\n\n", w("experiment")?, c.statement.get(lang), w("verdict")?, c.verdict.get(lang));
        for f in &c.figures {
            md += &format!("![{}]({}{}.png)\n\n{}\n\n", c.title.get(lang), f.path, suffix(lang), f.caption.get(lang));
        }
        md += &format!("### {}\n\n{}\n\n", w("caution")?, c.caution.get(lang));
        md += &format!("### {}\n\n- {}\n- {}\n\n", w("try")?, c.try_page.get(lang), c.try_command.get(lang));
        md += &format!("### {}\n\n", w("questions")?);
        for (n, q) in c.questions.iter().enumerate() {
            md += &format!(
                "{}. {}\n   <details><summary>{}</summary>{}</details>\n\n",
                n + 1,
                q.question.get(lang),
                w("answer")?,
                q.answer.get(lang)
            );
        }
    }
    md += &format!("<a id=\"glossary\"></a>\n\n## {}\n\n", w("glossary")?);
    for (term, definition) in glossary(lang)? {
        md += &format!("- **{term}**: {definition}\n");
    }
    Ok(md)
}

/// Text for HTML: escaped, with Markdown's `code` spans as <code>.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (k, part) in escape(s).split('`').enumerate() {
        if k % 2 == 1 {
            out += &format!("<code>{part}</code>");
        } else {
            out += part;
        }
    }
    out
}

fn html_section(claims: &[Claim], lang: Lang) -> Result<String, GdlabError> {
    let code = if lang == Lang::Ko { "ko" } else { "en" };
    let w = |k: &str| words(lang, k);
    let formulas: toml::Table = toml::from_str(FORMULAS).expect("page/formulas.toml is valid TOML (report::tests reads it)");
    let mut h =
        format!("<section lang=\"{code}\" class=\"lang-{code}\"><p>{}</p><h2>{}</h2><ol class=\"toc\">", w("html_intro")?, w("toc")?);
    for (k, c) in claims.iter().enumerate() {
        h += &format!("<li><a href=\"#{code}-{}\">{}</a></li>", k + 1, escape(c.title.get(lang)));
    }
    h += &format!("<li><a href=\"#{code}-glossary\">{}</a></li></ol>", w("glossary")?);
    for (k, c) in claims.iter().enumerate() {
        let source = prose().get(lang, "report.source", &context! { chapter => c.chapter.get(lang), points => points(c) })?;
        let mathml = formulas.get(c.id).and_then(|t| t.get("mathml")).and_then(toml::Value::as_str).unwrap_or("");
        h += &format!("<h2 id=\"{code}-{}\">{}. {}</h2>", k + 1, k + 1, escape(c.title.get(lang)));
        h += &format!(
            "<h3>{}</h3><blockquote>«{}»</blockquote><p class=\"points\">{}</p>",
            w("lecture_says")?,
            escape(c.quote),
            escape(&source)
        );
        h += &format!(
            "<h3>{}</h3><p class=\"math\">{mathml}</p><p>{}</p><p class=\"v{}\"><b>{}:</b> {}</p>",
            w("experiment")?,
            inline(c.statement.get(lang)),
            if c.holds { "" } else { " x" },
            w("verdict")?,
            inline(c.verdict.get(lang))
        );
        for f in &c.figures {
            // Linked, not inlined: the page stays small and opens from the folder.
            h += &format!(
                "<figure><img src=\"{}{}.png\" alt=\"{}\" loading=\"lazy\"><figcaption>{}</figcaption></figure>",
                f.path,
                suffix(lang),
                escape(c.title.get(lang)),
                inline(f.caption.get(lang))
            );
        }
        h += &format!("<h3>{}</h3><p>{}</p>", w("caution")?, inline(c.caution.get(lang)));
        h += &format!(
            "<h3>{}</h3><ul><li>{}</li><li>{}</li></ul>",
            w("try")?,
            inline(c.try_page.get(lang)),
            inline(c.try_command.get(lang))
        );
        h += &format!("<h3>{}</h3><ol>", w("questions")?);
        for q in &c.questions {
            h += &format!(
                "<li>{}<details><summary>{}</summary>{}</details></li>",
                inline(q.question.get(lang)),
                w("answer")?,
                inline(q.answer.get(lang))
            );
        }
        h += "</ol>";
    }
    h += &format!("<h2 id=\"{code}-glossary\">{}</h2><dl>", w("glossary")?);
    for (term, definition) in glossary(lang)? {
        h += &format!("<dt>{}</dt><dd>{}</dd>", escape(&term), inline(&definition));
    }
    Ok(h + "</dl></section>")
}

/// Writes the report and returns the claims as lecture.json has them (figures under figures/).
pub fn write(dir: &Path, claims: &[Claim], lang: Lang) -> Result<Vec<Claim>, GdlabError> {
    // Figures are copied into figures/ so the report (and what the repository keeps of it)
    // does not depend on the run folders.
    let figs = dir.join("figures");
    std::fs::create_dir_all(&figs).map_err(GdlabError::io("cannot create figures/"))?;
    let mut claims = claims.to_vec();
    for c in &mut claims {
        for (k, f) in c.figures.iter_mut().enumerate() {
            let name = format!("figures/{}_{}", c.id, k + 1);
            for ext in ["png", "svg", "ko.png", "ko.svg"] {
                let from = format!("{}.{ext}", f.path);
                std::fs::copy(dir.join(&from), dir.join(format!("{name}.{ext}"))).map_err(GdlabError::io(format!("cannot copy {from}")))?;
            }
            f.path = name;
        }
    }
    let json = serde_json::to_string_pretty(&claims).expect("claims serialise");
    artifacts::write_atomic(&dir.join("lecture.json"), json.as_bytes()).map_err(GdlabError::io("cannot write lecture.json"))?;
    let langs: &[Lang] = match lang {
        Lang::Both => &[Lang::Ko, Lang::En],
        one => std::slice::from_ref(match one {
            Lang::Ko => &Lang::Ko,
            _ => &Lang::En,
        }),
    };
    let mut sections = String::new();
    for l in langs {
        sections += &html_section(&claims, *l)?;
        let file = if *l == Lang::Ko { "REPORT.ko.md" } else { "REPORT.md" };
        artifacts::write_atomic(&dir.join(file), markdown(&claims, *l)?.as_bytes())
            .map_err(GdlabError::io(format!("cannot write {file}")))?;
    }
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let first = if langs[0] == Lang::Ko { "ko" } else { "en" };
    let html = env
        .render_str(PAGE, context! { lang => first, both => langs.len() > 1, notation => NOTATION, sections })
        .map_err(|e| GdlabError::Runtime(format!("the page skeleton src/lecture/page/index.html: {e:#}")))?;
    artifacts::write_atomic(&dir.join("index.html"), html.as_bytes()).map_err(GdlabError::io("cannot write index.html"))?;
    Ok(claims)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_has_its_formulas_in_mathml() {
        let formulas: toml::Table = toml::from_str(FORMULAS).expect("page/formulas.toml is valid TOML");
        let ids =
            ["bias", "mse_mae", "cross_entropy", "parabola", "learning_rate", "not_a_parabola", "taylor", "perceptron", "local_minima"];
        assert_eq!((formulas.len(), ids.len()), (crate::lecture::CLAIM_COUNT, crate::lecture::CLAIM_COUNT), "one entry per claim");
        for id in ids {
            let m =
                formulas.get(id).and_then(|t| t.get("mathml")).and_then(toml::Value::as_str).unwrap_or_else(|| panic!("{id}: no mathml"));
            assert!(m.starts_with("<math display=\"block\">") && m.ends_with("</math>"), "{id}: {m}");
            assert_eq!(m.matches("<math").count(), m.matches("</math>").count(), "{id}: unbalanced");
        }
    }
}
