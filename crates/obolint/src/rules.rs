//! `obolint rule CODE`, `obolint rule --all`, `obolint rules`.

use std::fmt::Write as _;
use std::process::ExitCode;

use obolint_diagnostics::render::rule_url;
use obolint_linter::Rule;
use obolint_linter::docs::rule_markdown;
use serde_json::json;

use crate::args::{DocFormat, RuleArgs, RulesArgs};
use crate::errors::{report, tool_error};
use crate::output::emit;

fn rule_json(rule: Rule) -> serde_json::Value {
    let info = rule.info();
    json!({
        "code": info.meta.code,
        "name": info.meta.name,
        "severity": info.severity.as_str(),
        "default": info.default,
        "fix": info.fix.as_str(),
        "summary": info.summary(),
        "explanation": info.doc,
        "url": rule_url(info.meta.code),
    })
}

pub fn rule(args: &RuleArgs) -> ExitCode {
    let rules: Vec<Rule> = if args.all {
        Rule::ALL.to_vec()
    } else {
        let code = args.code.as_deref().unwrap_or_default();
        match Rule::from_code(&code.to_ascii_uppercase()) {
            Some(rule) => vec![rule],
            None => {
                let codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
                return report(tool_error(
                    format!("unknown rule code `{code}`"),
                    Some(format!(
                        "the rules are {}; `obolint rules` lists them",
                        codes.join(", ")
                    )),
                ));
            }
        }
    };
    let text = match args.output_format {
        DocFormat::Text => {
            let pages: Vec<String> = rules.iter().map(|&r| rule_markdown(r)).collect();
            pages.join("\n")
        }
        DocFormat::Json => {
            let value = if args.all {
                serde_json::Value::Array(rules.iter().map(|&r| rule_json(r)).collect())
            } else {
                rule_json(rules[0])
            };
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    };
    emit(&text, ExitCode::SUCCESS)
}

pub fn rules(args: &RulesArgs) -> ExitCode {
    let mut text = String::new();
    match args.output_format {
        DocFormat::Text => {
            let _ = writeln!(
                text,
                "{:<8} {:<34} {:<8} {:<8} fix",
                "code", "name", "severity", "default"
            );
            for rule in Rule::ALL {
                let info = rule.info();
                let default = rule.default_label();
                let _ = writeln!(
                    text,
                    "{:<8} {:<34} {:<8} {:<8} {}",
                    info.meta.code,
                    info.meta.name,
                    info.severity.as_str(),
                    default,
                    info.fix.as_str()
                );
            }
        }
        DocFormat::Json => {
            let value: Vec<serde_json::Value> = Rule::ALL.iter().map(|&r| rule_json(r)).collect();
            text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
        }
    }
    emit(&text, ExitCode::SUCCESS)
}
