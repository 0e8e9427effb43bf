//! `obolint scopes`: what each model's code needs as the user, what it declares, and the policy
//! to paste. Exit 0 always (it reports, it does not judge); 2 on tool errors.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use obolint_diagnostics::render::escape_control;
use obolint_linter::scopes_report::{AppReport, ModelReport};
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
        // Models first, then apps (an app's object has `app` where a model's has `entry`).
        DocFormat::Json => {
            let items: Vec<Item<'_>> = result
                .models
                .iter()
                .map(Item::Model)
                .chain(result.apps.iter().map(Item::App))
                .collect();
            serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into()) + "\n"
        }
        DocFormat::Text => {
            if result.apps.is_empty() {
                text(&result.models)
            } else if result.models.is_empty() {
                apps_text(&result.apps)
            } else {
                text(&result.models) + "\n" + &apps_text(&result.apps)
            }
        }
    };
    emit(&out, ExitCode::SUCCESS)
}

/// One element of the JSON array: a model's report or an app's.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Model(&'a ModelReport),
    App(&'a AppReport),
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

/// The human rendering of the Databricks Apps found: per app, what its code needs as its users,
/// what its bundle declares, and a `user_api_scopes:` block to paste.
pub fn apps_text(apps: &[AppReport]) -> String {
    let mut out = String::new();
    for (i, app) in apps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match &app.source {
            Some(source) => {
                let _ = writeln!(
                    out,
                    "app {} ({})",
                    escape_control(&app.app),
                    escape_control(source)
                );
            }
            None => {
                let _ = writeln!(out, "app {}", escape_control(&app.app));
            }
        }
        if app.required.is_empty() {
            out.push_str("  requires: no scope the analyzer can name\n");
        } else {
            out.push_str("  requires:\n");
            let width = app
                .required
                .iter()
                .map(|r| escape_control(&r.scope).chars().count())
                .max()
                .unwrap_or(0);
            for required in &app.required {
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
        if !app.opaque.is_empty() {
            out.push_str("  opaque uses (may need scopes obolint cannot see):\n");
            for site in &app.opaque {
                let _ = writeln!(
                    out,
                    "    {} at {}",
                    escape_control(&site.what),
                    escape_control(&site.location.to_string())
                );
            }
        }
        if !app.unsupported.is_empty() {
            out.push_str("  no Apps scope grants (OBO707):\n");
            for site in &app.unsupported {
                let _ = writeln!(
                    out,
                    "    {} at {}",
                    escape_control(&site.what),
                    escape_control(&site.location.to_string())
                );
            }
        }
        match (&app.declared, &app.bundle) {
            (Some(declared), Some(bundle)) => {
                let _ = writeln!(
                    out,
                    "  declares: [{}] in {}",
                    declared
                        .iter()
                        .map(|s| escape_control(s))
                        .collect::<Vec<_>>()
                        .join(", "),
                    escape_control(bundle)
                );
            }
            _ => match &app.declared_unknown {
                Some(why) => {
                    let _ = writeln!(out, "  declares: unknown ({})", escape_control(why));
                }
                None => out.push_str(
                    "  declares: unknown (no bundle declares this app; its scopes may be set in the workspace)\n",
                ),
            },
        }
        if !app.missing.is_empty() {
            let _ = writeln!(
                out,
                "  missing: {}",
                escape_control(&app.missing.join(", "))
            );
        }
        if !app.unneeded.is_empty() {
            let _ = writeln!(
                out,
                "  unneeded: {}",
                escape_control(&app.unneeded.join(", "))
            );
        }
        match &app.user_api_scopes {
            Some(block) => {
                if app.lower_bound {
                    out.push_str(
                        "  at least (the code hands the token where obolint cannot see):\n",
                    );
                } else {
                    out.push_str("  paste under `resources.apps.<key>`:\n");
                }
                for line in block.lines() {
                    let _ = writeln!(out, "    {}", escape_control(line));
                }
            }
            None if app.lower_bound => out.push_str(
                "  user_api_scopes: unknown (the code hands the token where obolint cannot see)\n",
            ),
            None => out.push_str("  user_api_scopes: none needed\n"),
        }
    }
    out
}
