//! What `obolint scopes` prints: for each model that acts as its users, the scopes its code
//! requires (each with the uses that need it), what it declares, the difference, and a
//! ready-to-paste `UserAuthPolicy(api_scopes=[...])`.

use serde::Serialize;

/// Where something is, as users read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub filename: String,
    /// 1-based cell index in `.ipynb` notebooks.
    pub cell: Option<usize>,
    pub row: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.cell {
            Some(cell) => write!(
                f,
                "{}:cell {cell}:{}:{}",
                self.filename, self.row, self.column
            ),
            None => write!(f, "{}:{}:{}", self.filename, self.row, self.column),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UseSite {
    /// What the use is (`GenieAgent`, `.genie.start_conversation(...)`).
    pub what: String,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequiredScope {
    /// The scope family (`genie`, `sql-statements`...).
    pub family: String,
    /// The name to declare, in the style of the declared list (dotted when there is none).
    pub scope: String,
    pub uses: Vec<UseSite>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Declared {
    pub scopes: Vec<String>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelReport {
    /// The model's entry file.
    pub entry: String,
    pub required: Vec<RequiredScope>,
    /// Uses whose scopes cannot be known (the user's client or token handed on).
    pub opaque: Vec<UseSite>,
    /// What each log call or `MLmodel` of the model declares.
    pub declared: Vec<Declared>,
    /// Required scopes no declaration has (per the first declaration; all of them when none).
    pub missing: Vec<String>,
    /// Declared known scopes nothing requires (empty when there are opaque uses).
    pub unneeded: Vec<String>,
    /// Scopes nothing needs yet but the policy keeps: a mistake another rule reports (OBO103,
    /// OBO201-203) reaches their resource without the caller's client, and fixing it needs them.
    pub kept: Vec<KeptScope>,
    /// The code has uses whose scopes cannot be known (or could not be read): the policy is a
    /// lower bound.
    pub lower_bound: bool,
    /// Ready to paste; `None` when no scope can be named (never an empty list).
    pub policy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptScope {
    pub scope: String,
    /// The use that needs it once the mistake is fixed.
    pub needed_by: UseSite,
    /// The rule that reports the mistake.
    pub rule: String,
}

/// What `obolint scopes` prints for one Databricks App.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppReport {
    /// The app's name (its bundle key, or its folder's name).
    pub app: String,
    /// Its source folder.
    pub source: Option<String>,
    /// Where its `user_api_scopes` are (the bundle file), when a bundle declares it.
    pub bundle: Option<String>,
    pub required: Vec<RequiredScope>,
    pub opaque: Vec<UseSite>,
    /// Uses no Apps scope grants (OBO707).
    pub unsupported: Vec<UseSite>,
    /// What the bundle declares; `None` when no bundle declares the app (unknown).
    pub declared: Option<Vec<String>>,
    /// Why a bundle that declares the app leaves its scopes unknown (its targets disagree, a
    /// `${...}` obolint does not resolve).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_unknown: Option<String>,
    pub missing: Vec<String>,
    pub unneeded: Vec<String>,
    /// The scopes are a lower bound: the code hands the token where the analyzer cannot see.
    pub lower_bound: bool,
    /// Ready to paste under `resources.apps.<key>` (absent when nothing is known to be needed).
    pub user_api_scopes: Option<String>,
}
