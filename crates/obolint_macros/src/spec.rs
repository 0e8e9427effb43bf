//! Reading and checking a rule's declaration. Kept on `proc_macro2` so it is unit-tested.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{DeriveInput, Expr, ExprLit, Lit, Meta, MetaNameValue, Token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn variant(self) -> &'static str {
        match self {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
            Severity::Info => "Info",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    None,
    Sometimes,
    Always,
}

impl Fix {
    pub fn variant(self) -> &'static str {
        match self {
            Fix::None => "None",
            Fix::Sometimes => "Sometimes",
            Fix::Always => "Always",
        }
    }
}

#[derive(Debug)]
pub struct RuleSpec {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub default: bool,
    pub fix: Fix,
    /// `FixSafety`'s variant: `None` for a rule without a fix.
    pub fix_safety: &'static str,
    pub doc: String,
}

const KEYS: &[&str] = &["code", "name", "severity", "default", "fix", "fix_safety"];

/// Doc sections, in the order they must appear (`style.md` habit 1).
const SECTIONS: &[&str] = &[
    "What it does",
    "Why is this bad?",
    "Example",
    "Fix safety",
    "Known problems",
    "References",
];
const REQUIRED_SECTIONS: &[&str] = &["What it does", "Why is this bad?", "Example"];

impl RuleSpec {
    pub fn from_tokens(args: TokenStream, item: &DeriveInput) -> syn::Result<Self> {
        let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
        let doc = doc_comment(item);
        Self::from_pairs(&pairs, &doc, item.ident.span())
    }

    fn from_pairs(
        pairs: &Punctuated<MetaNameValue, Token![,]>,
        doc: &str,
        span: Span,
    ) -> syn::Result<Self> {
        let mut code = None;
        let mut name = None;
        let mut severity = None;
        let mut default = None;
        let mut fix = None;
        let mut fix_safety: Option<String> = None;
        for pair in pairs {
            let key = pair
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let value = &pair.value;
            match key.as_str() {
                "code" => {
                    let v = string(value)?;
                    let valid = v.len() == 6
                        && v.starts_with("OBO")
                        && v[3..].bytes().all(|b| b.is_ascii_digit());
                    if !valid {
                        return Err(syn::Error::new_spanned(
                            value,
                            "a rule code is `OBO` and three digits, like `OBO101`",
                        ));
                    }
                    code = Some(v);
                }
                "name" => {
                    let v = string(value)?;
                    let kebab = !v.is_empty()
                        && v.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                        && !v.starts_with('-')
                        && !v.ends_with('-');
                    if !kebab {
                        return Err(syn::Error::new_spanned(
                            value,
                            "a rule name is kebab-case, like `user-client-at-load-time`",
                        ));
                    }
                    name = Some(v);
                }
                "severity" => {
                    severity = Some(match string(value)?.as_str() {
                        "error" => Severity::Error,
                        "warning" => Severity::Warning,
                        "info" => Severity::Info,
                        _ => {
                            return Err(syn::Error::new_spanned(
                                value,
                                "severity is one of `error`, `warning`, `info`",
                            ));
                        }
                    });
                }
                "default" => default = Some(boolean(value)?),
                "fix" => {
                    fix = Some(match string(value)?.as_str() {
                        "none" => Fix::None,
                        "sometimes" => Fix::Sometimes,
                        "always" => Fix::Always,
                        _ => {
                            return Err(syn::Error::new_spanned(
                                value,
                                "fix is one of `none`, `sometimes`, `always`",
                            ));
                        }
                    });
                }
                "fix_safety" => {
                    let v = string(value)?;
                    if !matches!(v.as_str(), "safe" | "unsafe" | "display-only" | "mixed") {
                        return Err(syn::Error::new_spanned(
                            value,
                            "fix_safety is one of `safe`, `unsafe`, `display-only`, `mixed`",
                        ));
                    }
                    fix_safety = Some(v);
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &pair.path,
                        format!("unknown key `{key}`; a rule takes {}", KEYS.join(", ")),
                    ));
                }
            }
        }
        let missing = |key: &str| syn::Error::new(span, format!("this rule declares no `{key}`"));
        let code = code.ok_or_else(|| missing("code"))?;
        let name = name.ok_or_else(|| missing("name"))?;
        let severity = severity.ok_or_else(|| missing("severity"))?;
        let default = default.ok_or_else(|| missing("default"))?;
        let fix = fix.ok_or_else(|| missing("fix"))?;
        let needs_fix_safety = match (fix, fix_safety.as_deref()) {
            (Fix::None, None) => false,
            (Fix::None, Some(_)) => {
                return Err(syn::Error::new(
                    span,
                    "`fix_safety` is only for rules with a fix",
                ));
            }
            (_, None) => return Err(missing("fix_safety")),
            (_, Some(safety)) => safety != "safe",
        };
        check_doc(doc, needs_fix_safety).map_err(|message| syn::Error::new(span, message))?;
        let fix_safety = match fix_safety.as_deref() {
            Some("safe") => "Safe",
            Some("unsafe") => "Unsafe",
            Some("display-only") => "DisplayOnly",
            Some("mixed") => "Mixed",
            _ => "None",
        };
        Ok(RuleSpec {
            code,
            name,
            severity,
            default,
            fix,
            fix_safety,
            doc: doc.to_string(),
        })
    }
}

fn string(value: &Expr) -> syn::Result<String> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.value()),
        _ => Err(syn::Error::new_spanned(value, "expected a string")),
    }
}

fn boolean(value: &Expr) -> syn::Result<bool> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(value, "expected `true` or `false`")),
    }
}

/// The `///` lines of the struct, one leading space removed from each.
fn doc_comment(item: &DeriveInput) -> String {
    let mut lines = Vec::new();
    for attr in &item.attrs {
        if let Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            let line = s.value();
            lines.push(line.strip_prefix(' ').unwrap_or(&line).to_string());
        }
    }
    let mut doc = lines.join("\n");
    doc.push('\n');
    doc
}

/// The documentation has the sections of `style.md` in order, the required ones, an example with
/// "Use instead:", and every code fence closed.
pub fn check_doc(doc: &str, needs_fix_safety: bool) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut in_fence = false;
    let mut fence_line = 0;
    for (i, line) in doc.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            fence_line = i + 1;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            let heading = heading.trim();
            let Some(position) = SECTIONS.iter().position(|s| *s == heading) else {
                return Err(format!(
                    "unknown doc section `## {heading}`; sections are {}",
                    SECTIONS.join(", ")
                ));
            };
            if let Some(last) = seen.last() {
                let last_position = SECTIONS.iter().position(|s| s == last).unwrap_or(0);
                if position <= last_position {
                    return Err(format!(
                        "doc section `## {heading}` is out of order; the order is {}",
                        SECTIONS.join(", ")
                    ));
                }
            }
            seen.push(SECTIONS[position]);
        }
    }
    if in_fence {
        return Err(format!(
            "the code fence opened on doc line {fence_line} is never closed"
        ));
    }
    for required in REQUIRED_SECTIONS {
        if !seen.contains(required) {
            return Err(format!("the docs have no `## {required}` section"));
        }
    }
    if needs_fix_safety && !seen.contains(&"Fix safety") {
        return Err(
            "a rule whose fix is not always safe documents it in `## Fix safety`".to_string(),
        );
    }
    let example = section(doc, "Example");
    if !example.contains("Use instead:") {
        return Err("the `## Example` section shows the fix after \"Use instead:\"".to_string());
    }
    Ok(())
}

fn section<'d>(doc: &'d str, name: &str) -> &'d str {
    let heading = format!("## {name}\n");
    let Some(start) = doc.find(&heading) else {
        return "";
    };
    let rest = &doc[start + heading.len()..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    const DOC: &str = "## What it does\nA.\n\n## Why is this bad?\nB.\n\n## Example\n```python\nx\n```\n\nUse instead:\n```python\ny\n```\n";

    fn spec(args: TokenStream, doc: &str) -> Result<RuleSpec, String> {
        let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated
            .parse2(args)
            .map_err(|e| e.to_string())?;
        RuleSpec::from_pairs(&pairs, doc, Span::call_site()).map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_a_complete_rule() {
        let s = spec(
            quote!(
                code = "OBO101",
                name = "user-client-at-load-time",
                severity = "error",
                default = true,
                fix = "none"
            ),
            DOC,
        )
        .unwrap();
        assert_eq!(s.code, "OBO101");
        assert_eq!(s.severity, Severity::Error);
        assert_eq!(s.fix, Fix::None);
    }

    #[test]
    fn refuses_missing_and_unknown_metadata() {
        let e = spec(
            quote!(
                code = "OBO101",
                severity = "error",
                default = true,
                fix = "none"
            ),
            DOC,
        )
        .unwrap_err();
        assert!(e.contains("no `name`"), "{e}");
        let e = spec(
            quote!(
                code = "OBO101",
                name = "x",
                severity = "error",
                default = true,
                fix = "none",
                colour = "red"
            ),
            DOC,
        )
        .unwrap_err();
        assert!(e.contains("unknown key `colour`"), "{e}");
        let e = spec(
            quote!(
                code = "OBO1",
                name = "x",
                severity = "error",
                default = true,
                fix = "none"
            ),
            DOC,
        )
        .unwrap_err();
        assert!(e.contains("three digits"), "{e}");
        let e = spec(
            quote!(
                code = "OBO101",
                name = "Not_Kebab",
                severity = "error",
                default = true,
                fix = "none"
            ),
            DOC,
        )
        .unwrap_err();
        assert!(e.contains("kebab-case"), "{e}");
        let e = spec(
            quote!(
                code = "OBO101",
                name = "x",
                severity = "fatal",
                default = true,
                fix = "none"
            ),
            DOC,
        )
        .unwrap_err();
        assert!(e.contains("severity is one of"), "{e}");
        let e = spec(
            quote!(
                code = "OBO101",
                name = "x",
                severity = "error",
                default = true,
                fix = "sometimes"
            ),
            DOC,
        )
        .unwrap_err();
        assert!(e.contains("no `fix_safety`"), "{e}");
    }

    #[test]
    fn refuses_incomplete_docs() {
        assert!(check_doc(DOC, false).is_ok());
        let unclosed = DOC.replace("```python\ny\n```\n", "```python\ny\n");
        assert!(
            check_doc(&unclosed, false)
                .unwrap_err()
                .contains("never closed")
        );
        let no_why = DOC.replace("## Why is this bad?\nB.\n\n", "");
        assert!(
            check_doc(&no_why, false)
                .unwrap_err()
                .contains("Why is this bad?")
        );
        let disordered = DOC.replace("## What it does\nA.\n\n", "") + "\n## What it does\nA.\n";
        assert!(
            check_doc(&disordered, false)
                .unwrap_err()
                .contains("out of order")
        );
        let unknown = format!("{DOC}\n## Notes\nx\n");
        assert!(
            check_doc(&unknown, false)
                .unwrap_err()
                .contains("unknown doc section")
        );
        let no_use_instead = DOC.replace("Use instead:", "Better:");
        assert!(
            check_doc(&no_use_instead, false)
                .unwrap_err()
                .contains("Use instead")
        );
        assert!(check_doc(DOC, true).unwrap_err().contains("Fix safety"));
        let with_safety = format!("{DOC}\n## Fix safety\nUnsafe.\n");
        assert!(check_doc(&with_safety, true).is_ok());
    }
}
