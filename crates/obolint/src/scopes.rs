//! `obolint scopes`: what each model's code needs as the user, what it declares, and the policy
//! to paste. Exit 0 always (it reports, it does not judge); 2 on tool errors.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use obolint_diagnostics::render::escape_control;
use obolint_linter::scopes_report::ModelReport;
use obolint_linter::{CheckRequest, check};

use crate::args::{DocFormat, ScopesArgs};
use crate::errors::{check_error, report, tool_error};
use crate::output::emit;

pub fn run(args: &ScopesArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            return report(tool_error(
                format!("cannot read the current folder: {e}"),
                Some("run obolint from a folder that exists".to_string()),
            ));
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut request = CheckRequest::new(paths, cwd.clone());
    request.collect_models = true;
    match crate::check::config_source(&args.config, args.isolated, &cwd) {
        Ok((source, overrides)) => {
            request.config = source;
            request.overrides.config = overrides;
        }
        Err(error) => return report(error),
    }
    let result = match check(&request) {
        Ok(result) => result,
        Err(error) => return report(check_error(&error)),
    };
    let out = match args.output_format {
        DocFormat::Json => {
            serde_json::to_string_pretty(&result.models).unwrap_or_else(|_| "[]".into()) + "\n"
        }
        DocFormat::Text => text(&result.models),
    };
    emit(&out, ExitCode::SUCCESS)
}

/// The human rendering. Scopes, uses and paths come from the checked files: control characters
/// in them are escaped (a scope string must not drive the terminal or start a CI command line).
pub fn text(models: &[ModelReport]) -> String {
    if models.is_empty() {
        return "obolint: no model that acts on behalf of its users was found\n".to_string();
    }
    let mut out = String::new();
    for (i, model) in models.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "model {}", escape_control(&model.entry));
        if model.required.is_empty() {
            out.push_str("  requires: no scope the analyzer can name\n");
        } else {
            out.push_str("  requires:\n");
            let width = model
                .required
                .iter()
                .map(|r| escape_control(&r.scope).chars().count())
                .max()
                .unwrap_or(0);
            for required in &model.required {
                for (j, site) in required.uses.iter().enumerate() {
                    let name = if j == 0 {
                        escape_control(&required.scope)
                    } else {
                        "".into()
                    };
                    let _ = writeln!(
                        out,
                        "    {name:<width$}  {} at {}",
                        escape_control(&site.what),
                        escape_control(&site.location.to_string())
                    );
                }
            }
        }
        if !model.opaque.is_empty() {
            out.push_str("  opaque uses (may need scopes obolint cannot see):\n");
            for site in &model.opaque {
                let _ = writeln!(
                    out,
                    "    {} at {}",
                    escape_control(&site.what),
                    escape_control(&site.location.to_string())
                );
            }
        }
        if model.declared.is_empty() {
            out.push_str("  declares: nothing (no `UserAuthPolicy` found)\n");
        }
        for declared in &model.declared {
            let _ = writeln!(
                out,
                "  declares: [{}] at {}",
                declared
                    .scopes
                    .iter()
                    .map(|s| format!("\"{}\"", escape_control(s)))
                    .collect::<Vec<_>>()
                    .join(", "),
                escape_control(&declared.location.to_string())
            );
        }
        if !model.missing.is_empty() {
            let _ = writeln!(
                out,
                "  missing: {}",
                escape_control(&model.missing.join(", "))
            );
        }
        if !model.unneeded.is_empty() {
            let _ = writeln!(
                out,
                "  unneeded: {}",
                escape_control(&model.unneeded.join(", "))
            );
        }
        for kept in &model.kept {
            let _ = writeln!(
                out,
                "  kept: {}  for {} at {}, which runs without the caller's client ({}): fixed, it needs this scope",
                escape_control(&kept.scope),
                escape_control(&kept.needed_by.what),
                escape_control(&kept.needed_by.location.to_string()),
                escape_control(&kept.rule)
            );
        }
        match (&model.policy, model.lower_bound) {
            (Some(policy), false) => {
                let _ = writeln!(out, "  policy: {}", escape_control(policy));
            }
            (Some(policy), true) => {
                let _ = writeln!(
                    out,
                    "  policy (a lower bound: the opaque uses above may need more): {}",
                    escape_control(policy)
                );
            }
            (None, false) => {
                out.push_str("  policy: none to suggest: no use needs a scope obolint can name\n");
            }
            (None, true) => {
                out.push_str(
                    "  policy: none to suggest: the opaque uses above may need scopes obolint cannot name\n",
                );
            }
        }
    }
    out
}
