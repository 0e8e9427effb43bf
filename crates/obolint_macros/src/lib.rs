//! `#[rule(...)]`: a rule declares its code, name, default severity, whether it runs by default,
//! and whether it can fix, next to its documentation; the compiler refuses a rule whose metadata or
//! docs are incomplete.
//!
//! ```ignore
//! /// ## What it does
//! /// ...
//! #[rule(code = "OBO101", name = "user-client-at-load-time", severity = "error", default = true, fix = "none")]
//! pub struct UserClientAtLoadTime;
//! ```
//!
//! expands to the struct plus `impl UserClientAtLoadTime { pub const INFO: crate::rule_info::RuleInfo }`.

mod spec;

use proc_macro::TokenStream;
use quote::quote;
use syn::{DeriveInput, parse_macro_input};

#[proc_macro_attribute]
pub fn rule(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = proc_macro2::TokenStream::from(args);
    let item = parse_macro_input!(item as DeriveInput);
    match spec::RuleSpec::from_tokens(args, &item) {
        Ok(spec) => {
            let ident = &item.ident;
            let code = &spec.code;
            let name = &spec.name;
            let doc = &spec.doc;
            let default = spec.default;
            let severity = syn::Ident::new(spec.severity.variant(), proc_macro2::Span::call_site());
            let fix = syn::Ident::new(spec.fix.variant(), proc_macro2::Span::call_site());
            let fix_safety = syn::Ident::new(spec.fix_safety, proc_macro2::Span::call_site());
            quote! {
                #item
                impl #ident {
                    pub const INFO: crate::rule_info::RuleInfo = crate::rule_info::RuleInfo {
                        meta: ::obolint_diagnostics::RuleMeta { code: #code, name: #name },
                        severity: ::obolint_diagnostics::Severity::#severity,
                        default: #default,
                        fix: crate::rule_info::FixAvailability::#fix,
                        fix_safety: crate::rule_info::FixSafety::#fix_safety,
                        doc: #doc,
                    };
                }
            }
            .into()
        }
        Err(error) => {
            let error = error.to_compile_error();
            quote! { #item #error }.into()
        }
    }
}
