//! `obolint config [KEY]`: what each configuration key means, from the settings' definitions
//! (the same text as `docs/settings.md`).

use std::process::ExitCode;

use obolint_linter::config::options::{OptionInfo, option, options};
use serde_json::json;

use crate::args::{ConfigArgs, DocFormat};
use crate::errors::{report, tool_error};
use crate::output::emit;

fn option_json(o: &OptionInfo) -> serde_json::Value {
    json!({
        "key": o.key,
        "type": o.kind,
        "default": o.default,
        "example": o.example,
        "summary": o.summary(),
        "doc": o.doc,
    })
}

pub fn run(args: &ConfigArgs) -> ExitCode {
    let text = match (&args.key, args.output_format) {
        (Some(key), format) => {
            let Some(o) = option(key.trim()) else {
                let keys: Vec<&str> = options().iter().map(|o| o.key).collect();
                return report(tool_error(
                    format!("unknown configuration key `{key}`"),
                    Some(format!("the keys are: {}", keys.join(", "))),
                ));
            };
            match format {
                DocFormat::Text => o.text(),
                DocFormat::Json => format!("{:#}\n", option_json(&o)),
            }
        }
        (None, DocFormat::Text) => {
            let all = options();
            let width = all.iter().map(|o| o.key.len()).max().unwrap_or(0);
            let mut text = String::new();
            for o in &all {
                text.push_str(&format!("{:width$}  {}\n", o.key, o.summary()));
            }
            text.push_str("\n`obolint config KEY` shows a key's type, default and an example.\n");
            text
        }
        (None, DocFormat::Json) => {
            let all: Vec<serde_json::Value> = options().iter().map(option_json).collect();
            format!("{:#}\n", serde_json::Value::Array(all))
        }
    };
    emit(&text, ExitCode::SUCCESS)
}
