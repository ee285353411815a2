//! The report files: REPORT.ko.md, REPORT.md, index.html (both languages, with a switch) and
//! lecture.json, with the figures copied into figures/.

use super::text::prose;
use super::{Claim, Lang};
use crate::error::GdlabError;
use crate::run::artifacts;
use minijinja::context;
use std::path::Path;

/// The notation block of index.html, in MathML (no network, no script).
const NOTATION: &str = "<p class=\"math\"><math display=\"block\"><mi>Δ</mi><mi>W</mi><mo>=</mo><mo>−</mo><mi>η</mi><mo>∇</mo><mi>C</mi></math>\
<math display=\"block\"><mi>Δ</mi><mi>C</mi><mo>≈</mo><mfrac><mrow><mo>∂</mo><mi>C</mi></mrow><mrow><mo>∂</mo><msub><mi>w</mi><mn>1</mn></msub></mrow></mfrac><mi>Δ</mi><msub><mi>w</mi><mn>1</mn></msub><mo>+</mo><mfrac><mrow><mo>∂</mo><mi>C</mi></mrow><mrow><mo>∂</mo><msub><mi>w</mi><mn>2</mn></msub></mrow></mfrac><mi>Δ</mi><msub><mi>w</mi><mn>2</mn></msub><mo>=</mo><mo>∇</mo><mi>C</mi><mo>·</mo><mi>Δ</mi><mi>W</mi></math>\
<math display=\"block\"><mi>C</mi><mo>(</mo><mi>b</mi><mo>)</mo><mo>=</mo><msup><mrow><mo>(</mo><mi>a</mi><mo>−</mo><mi>b</mi><mo>)</mo></mrow><mn>2</mn></msup><mo>,</mo><mspace width=\"1em\"/><mi>w</mi><mo>←</mo><mi>w</mi><mo>+</mo><mi>η</mi><mo>·</mo><mi>x</mi><mo>·</mo><mo>(</mo><mi>y</mi><mo>−</mo><mi>a</mi><mo>)</mo></math></p>";

fn markdown(claims: &[Claim], lang: Lang) -> Result<String, GdlabError> {
    let words = |k: &str| prose().get(lang, &format!("report.{k}"), &context! {});
    let (title, intro, verdict, points) = (words("title")?, words("intro")?, words("verdict")?, words("points")?);
    let mut md = format!("# {title}\n\n{intro}\n\n");
    for (k, c) in claims.iter().enumerate() {
        let pts = c.points.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        md += &format!(
            "## {}. {}\n\n> «{}» ({points} {pts})\n\n{}\n\n**{verdict}:** {}\n\n",
            k + 1,
            c.title.get(lang),
            c.quote,
            c.statement.get(lang),
            c.verdict.get(lang)
        );
        for f in &c.figures {
            md += &format!("![{}]({f}.png)\n\n", c.title.get(lang));
        }
    }
    Ok(md)
}

fn html_section(claims: &[Claim], lang: Lang) -> Result<String, GdlabError> {
    let code = if lang == Lang::Ko { "ko" } else { "en" };
    let words = |k: &str| prose().get(lang, &format!("report.{k}"), &context! {});
    let (intro, verdict) = (words("html_intro")?, words("verdict")?);
    let mut h = format!("<section lang=\"{code}\" class=\"lang-{code}\"><p>{intro}</p>");
    for (k, c) in claims.iter().enumerate() {
        h += &format!(
            "<h2>{}. {}</h2><blockquote>«{}»</blockquote><p>{}</p><p class=\"v{}\"><b>{verdict}:</b> {}</p>",
            k + 1,
            escape(c.title.get(lang)),
            escape(c.quote),
            escape(c.statement.get(lang)),
            if c.holds { "" } else { " x" },
            escape(c.verdict.get(lang))
        );
        for f in &c.figures {
            // Linked, not inlined: the page stays small and opens from the folder.
            h += &format!("<figure><img src=\"{f}.png\" alt=\"{}\" loading=\"lazy\"></figure>", escape(c.title.get(lang)));
        }
    }
    Ok(h + "</section>")
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
            for ext in ["png", "svg"] {
                std::fs::copy(dir.join(format!("{f}.{ext}")), dir.join(format!("{name}.{ext}")))
                    .map_err(GdlabError::io(format!("cannot copy {f}.{ext}")))?;
            }
            *f = name;
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
    let mut html = String::from(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>gdlab lecture: 경사하강법</title><style>body{font-family:system-ui,'Noto Sans CJK KR',sans-serif;max-width:980px;margin:2em auto;line-height:1.5;padding:0 1em}figure{margin:1em 0}img{max-width:100%;height:auto}.v{padding:.6em;border-left:4px solid #2c7;background:#f4fbf6}.x{border-color:#d33;background:#fdf2f2}blockquote{color:#555;margin:.3em 0}.math{text-align:center}nav button{font:inherit;margin-right:.4em}body.en .lang-ko,body.ko .lang-en{display:none}</style></head><body class=\"ko\"><h1>gdlab lecture: 경사하강법 / gradient descent</h1>",
    );
    if langs.len() > 1 {
        html += "<nav><button onclick=\"document.body.className='ko';document.documentElement.lang='ko'\">한국어</button><button onclick=\"document.body.className='en';document.documentElement.lang='en'\">English</button></nav><script>if(!(navigator.language||'ko').toLowerCase().startsWith('ko')){document.body.className='en';document.documentElement.lang='en'}</script>";
    } else if langs[0] == Lang::En {
        html = html.replace("<html lang=\"ko\">", "<html lang=\"en\">").replace("<body class=\"ko\">", "<body class=\"en\">");
    }
    html += NOTATION;
    for l in langs {
        html += &html_section(&claims, *l)?;
        let file = if *l == Lang::Ko { "REPORT.ko.md" } else { "REPORT.md" };
        artifacts::write_atomic(&dir.join(file), markdown(&claims, *l)?.as_bytes())
            .map_err(GdlabError::io(format!("cannot write {file}")))?;
    }
    html += "</body></html>\n";
    artifacts::write_atomic(&dir.join("index.html"), html.as_bytes()).map_err(GdlabError::io("cannot write index.html"))?;
    Ok(claims)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
