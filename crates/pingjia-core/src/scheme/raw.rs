//! The wire format of scheme files: what TOML deserialises into before validation.
//!
//! These structs mirror `docs/schemes.md` one to one. They reject unknown keys and keep
//! the source span of every id so that validation errors can name the line.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScheme {
    pub scheme: RawHeader,
    #[serde(default)]
    pub round: RawRound,
    /// The review chain (docs/workflow.md §3), read straight into the workflow's type.
    #[serde(default)]
    pub chain: Option<crate::workflow::Chain>,
    #[serde(default)]
    pub level: Vec<RawLevel>,
    #[serde(default)]
    pub note: Vec<RawNote>,
    #[serde(default)]
    pub scale: Vec<RawScale>,
    #[serde(default)]
    pub parameter: Vec<RawParameter>,
    #[serde(default)]
    pub provider_type: Vec<RawProviderType>,
    #[serde(default)]
    pub part: Vec<RawPart>,
    #[serde(default)]
    pub criterion: Vec<RawCriterion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeader {
    pub id: Spanned<String>,
    pub title: String,
    pub title_en: String,
    pub version: String,
    pub method: Spanned<String>,
    pub document: String,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub clause: Option<String>,
    #[serde(default)]
    pub max_score: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRound {
    #[serde(default)]
    pub cutoff: Option<toml::value::Datetime>,
    #[serde(default)]
    pub reference_year: Option<i32>,
    #[serde(default)]
    pub aggregation: Option<String>,
    #[serde(default)]
    pub divergence_ratio: Option<toml::Value>,
    #[serde(default)]
    pub score_step: Option<toml::Value>,
    #[serde(default)]
    pub request_optional_materials: bool,
    #[serde(default)]
    pub validity_years: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub stars: Spanned<u8>,
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNote {
    pub id: Spanned<String>,
    pub text: String,
    #[serde(default)]
    pub text_en: Option<String>,
    #[serde(default)]
    pub exempt_org_kinds: Vec<String>,
    #[serde(default)]
    pub exempt_via_subclasses: Vec<String>,
    #[serde(default)]
    pub r#override: Option<RawOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOverride {
    pub org_kinds: Vec<String>,
    pub stars: u8,
    pub requirement: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScale {
    pub id: Spanned<String>,
    pub levels: Vec<RawScaleLevel>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawScaleLevel {
    Label(String),
    Full {
        label: String,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawParameter {
    pub id: Spanned<String>,
    pub label: String,
    pub label_en: String,
    pub unit: String,
    #[serde(default)]
    pub example: Option<toml::Value>,
    #[serde(default)]
    pub default: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProviderType {
    pub id: Spanned<String>,
    pub title: String,
    pub title_en: String,
    pub category: String,
    pub clause: String,
    pub professional: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub subclass: Vec<RawSubclass>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubclass {
    pub id: Spanned<String>,
    pub title: String,
    pub title_en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPart {
    pub id: Spanned<String>,
    pub title: String,
    pub title_en: String,
    pub clause: String,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCriterion {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    pub section: Spanned<String>,
    pub label: String,
    pub label_en: String,
    pub clause: String,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub r#type: Option<Spanned<String>>,
    #[serde(default)]
    pub subclass: Option<Spanned<String>>,
    #[serde(default)]
    pub part: Option<Spanned<String>>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub scale: Option<Spanned<String>>,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub levels: Option<Vec<String>>,
    #[serde(default)]
    pub requirement: Option<String>,
    #[serde(default)]
    pub param: Option<Spanned<String>>,
    #[serde(default)]
    pub years: Option<u32>,
    #[serde(default)]
    pub max: Option<toml::Value>,
    #[serde(default)]
    pub guidance: Option<String>,
    #[serde(default)]
    pub notes: Vec<Spanned<String>>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub alternative: Vec<RawCriterion>,
    #[serde(default)]
    pub select_by: Option<Spanned<String>>,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub prefill_from: Option<Spanned<String>>,
    #[serde(default)]
    pub condition: Vec<RawCriterion>,
    #[serde(default)]
    pub key_options: Vec<String>,
    #[serde(default)]
    pub key_label: Option<String>,
}
