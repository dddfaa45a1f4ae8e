//! The validated scheme model: a standard (or one year's version of it) as data.
//!
//! A [`Scheme`] is built only by [`load`](load::parse_scheme) from a scheme file; every index
//! inside it (field, scale, note, subclass, parameter) is checked at load time, so the engine
//! can index without fallible lookups.

mod load;
pub(crate) mod raw;

pub use load::{SchemeError, SchemeErrors, parse_scheme};

use crate::units::Unit;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// How a scheme turns a declaration into an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Star levels (Jiangsu): the highest level at which every row holds.
    Stars,
    /// Eligibility gates, materials and an expert-scored rubric (Shaoxing).
    Rubric,
    /// Capability parts with round parameters and nesting (MIIT).
    Capability,
}

/// The kind of the applying organisation, which decides exemptions (注1, 注3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Enterprise,
    PublicInstitution,
    SocialOrganization,
}

impl OrgKind {
    /// Every kind, in the order forms list them: the one table of organisation kinds.
    pub const ALL: [OrgKind; 3] = [
        OrgKind::Enterprise,
        OrgKind::PublicInstitution,
        OrgKind::SocialOrganization,
    ];

    /// The stable id (`enterprise`, `public_institution`, `social_organization`).
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgKind::Enterprise => "enterprise",
            OrgKind::PublicInstitution => "public_institution",
            OrgKind::SocialOrganization => "social_organization",
        }
    }

    /// Reads `企业` / `事业单位` / `社会团体` or the English ids.
    pub fn parse(text: &str) -> Option<OrgKind> {
        match text.trim() {
            "企业" | "enterprise" => Some(OrgKind::Enterprise),
            "事业单位" | "public_institution" => Some(OrgKind::PublicInstitution),
            "社会团体" | "social_organization" => Some(OrgKind::SocialOrganization),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Enterprise => "企业",
            OrgKind::PublicInstitution => "事业单位",
            OrgKind::SocialOrganization => "社会团体",
        }
    }
}

/// Reads a stored id or label (a database column is read through this once, at its edge).
impl TryFrom<String> for OrgKind {
    type Error = UnknownOrgKind;

    fn try_from(text: String) -> Result<OrgKind, UnknownOrgKind> {
        OrgKind::parse(&text).ok_or(UnknownOrgKind(text))
    }
}

/// A text that names no organisation kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown organisation kind `{0}`")]
pub struct UnknownOrgKind(pub String);

/// How expert scores of one rubric item are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Arithmetic mean of all experts' scores.
    Mean,
    /// Mean after dropping one highest and one lowest score (needs at least three experts).
    TrimmedMean,
}

impl Aggregation {
    pub fn parse(text: &str) -> Option<Aggregation> {
        match text {
            "mean" | "平均" => Some(Aggregation::Mean),
            "trimmed_mean" | "去掉最高最低" => Some(Aggregation::TrimmedMean),
            _ => None,
        }
    }
}

/// A versioned standard.
#[derive(Debug, Clone)]
pub struct Scheme {
    pub id: String,
    pub title: String,
    pub title_en: String,
    pub version: String,
    pub method: Method,
    /// The source document (seed number or official reference).
    pub document: String,
    pub issuer: Option<String>,
    pub clause: Option<String>,
    /// Defaults for a round of this scheme; a round may override each.
    pub round: RoundDefaults,
    /// Who reviews an application before the authority, and the authority
    /// (`[chain]`; docs/workflow.md §3). `None`: the scheme cannot run in a round.
    pub chain: Option<crate::workflow::Chain>,
    /// Star levels from lowest to highest (stars method only).
    pub levels: Vec<Level>,
    pub notes: Vec<Note>,
    pub scales: Vec<Scale>,
    pub parameters: Vec<Parameter>,
    pub provider_types: Vec<ProviderType>,
    pub parts: Vec<Part>,
    pub criteria: Vec<Criterion>,
    /// Every value a declaration can carry, in first-use order.
    pub fields: Vec<Field>,
    /// The rubric's total (rubric method only); equals the sum of the item maxima.
    pub max_score: Option<Decimal>,
    /// The file the scheme was read from, for messages.
    pub source_name: String,
}

#[derive(Debug, Clone)]
pub struct RoundDefaults {
    pub cutoff: Option<NaiveDate>,
    pub reference_year: Option<i32>,
    pub aggregation: Aggregation,
    pub divergence_ratio: Decimal,
    /// The step an expert scores a rubric item in (`0.5`: 7, 7.5, 8 …); `None` where the scheme
    /// has no rubric or sets none (any score within the item's maximum).
    pub score_step: Option<Decimal>,
    /// Whether a round asks for the `optional` materials unless it says otherwise.
    pub request_optional_materials: bool,
    /// How many years a published grade or recognition is valid, where the document says so
    /// (003 三、2 「每次定级有效期3年」); `None`: the document sets no term.
    pub validity_years: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Level {
    pub stars: u8,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub id: String,
    pub text: String,
    pub text_en: Option<String>,
}

/// An ordinal scale from lowest to highest.
#[derive(Debug, Clone)]
pub struct Scale {
    pub id: String,
    pub levels: Vec<ScaleLevel>,
}

#[derive(Debug, Clone)]
pub struct ScaleLevel {
    pub label: String,
    pub aliases: Vec<String>,
}

impl Scale {
    /// Finds a level by label or alias; `无` (or an empty string) means below the scale.
    pub fn find(&self, text: &str) -> Option<Option<u16>> {
        if ["", "无", "-"].iter().any(|empty| same_label(empty, text)) {
            return Some(None);
        }
        self.levels
            .iter()
            .position(|level| {
                same_label(&level.label, text)
                    || level.aliases.iter().any(|alias| same_label(alias, text))
            })
            .map(|index| Some(index as u16))
    }
}

/// A value the authority sets per round (MIIT 「一定数量/一定比例」).
#[derive(Debug, Clone)]
pub struct Parameter {
    pub id: String,
    pub label: String,
    pub label_en: String,
    pub unit: Unit,
    /// An illustrative value, never used unless the round asks for examples.
    pub example: Option<Decimal>,
    /// A value the scheme itself sets, used when the round sets none.
    pub default: Option<Decimal>,
}

/// One provider type of a stars scheme (a table of the document).
#[derive(Debug, Clone)]
pub struct ProviderType {
    pub id: String,
    pub title: String,
    pub title_en: String,
    pub category: String,
    pub clause: String,
    pub description: Option<String>,
    pub professional: ProfessionalRule,
    pub subclasses: Vec<Subclass>,
}

/// How the 专业要求 subclasses combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfessionalRule {
    /// 「至少满足1项子类要求」.
    AnySubclass,
    /// Every subclass must hold (no such remark in the table).
    AllSubclasses,
}

#[derive(Debug, Clone)]
pub struct Subclass {
    pub id: String,
    pub title: String,
    pub title_en: String,
}

/// A part of a capability scheme, possibly requiring other parts.
#[derive(Debug, Clone)]
pub struct Part {
    pub id: String,
    pub title: String,
    pub title_en: String,
    pub clause: String,
    pub requires: Vec<usize>,
}

/// Where a criterion sits in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Conditions every applicant must meet (企业基本条件, 第六条).
    Gate,
    /// 基础要求.
    Basic,
    /// 专业要求 (per subclass).
    Professional,
    /// 运维与服务要求 / 服务要求.
    Service,
    /// A recognition that grants a grade directly.
    Shortcut,
    /// Required materials (第七条).
    Material,
    /// An expert-scored rubric item.
    Rubric,
    /// A capability requirement of a part.
    Capability,
}

impl Section {
    pub fn parse(text: &str) -> Option<Section> {
        Some(match text {
            "gate" => Section::Gate,
            "basic" => Section::Basic,
            "professional" => Section::Professional,
            "service" => Section::Service,
            "shortcut" => Section::Shortcut,
            "material" => Section::Material,
            "rubric" => Section::Rubric,
            "capability" => Section::Capability,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Gate => "基本条件",
            Section::Basic => "基础要求",
            Section::Professional => "专业要求",
            Section::Service => "服务要求",
            Section::Shortcut => "直接定级",
            Section::Material => "申报材料",
            Section::Rubric => "评审指标",
            Section::Capability => "能力要求",
        }
    }
}

/// One row of a table: a requirement on one declared value (or several, for alternatives).
#[derive(Debug, Clone)]
pub struct Criterion {
    pub id: String,
    pub label: String,
    pub label_en: String,
    pub clause: String,
    pub section: Section,
    pub provider_type: Option<usize>,
    pub subclass: Option<usize>,
    pub part: Option<usize>,
    /// The 子类/域 column text, for display as the document groups it.
    pub group: Option<String>,
    pub domain: Option<String>,
    pub help: Option<String>,
    /// The document's wording of the requirement, one per level (or one for non-level schemes).
    pub wording: Vec<String>,
    pub test: Test,
    /// Notes (注) attached to the row, as indices into [`Scheme::notes`].
    pub notes: Vec<usize>,
    /// Organisation kinds not required to meet this row, and the note that says so.
    pub exempt_org_kinds: Option<(usize, Vec<OrgKind>)>,
    /// Subclasses through which this row is not required (注4), and the note.
    pub exempt_via_subclasses: Option<(usize, Vec<usize>)>,
    pub overrides: Vec<Override>,
    /// A material that is requested only when the round asks for it
    /// ([`Round::request_optional_materials`](crate::engine::Round::request_optional_materials)).
    pub optional: bool,
}

/// A replaced requirement for some organisation kinds at one level (注3).
#[derive(Debug, Clone)]
pub struct Override {
    pub note: usize,
    pub org_kinds: Vec<OrgKind>,
    pub level: usize,
    pub requirement: Requirement,
    pub wording: String,
}

/// What a criterion requires at one level.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// A number at least this large (base unit).
    AtLeast(Need),
    /// The answer must be yes.
    Yes,
    /// At least this level of the criterion's scale.
    OrdinalAtLeast(u16),
    /// At least this many items of the pool.
    ItemsAtLeast(u32),
    /// At least this many full years from the date to the round's cut-off.
    YearsAtLeast(u32),
}

/// A threshold fixed by the scheme or set by the round.
#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    Fixed(Decimal),
    Param(usize),
}

/// How a criterion is tested; each variant names the declaration field(s) it reads.
#[derive(Debug, Clone)]
pub enum Test {
    /// One requirement per level (`None` = `-`, no requirement).
    Levels {
        field: usize,
        requirements: Vec<Option<Requirement>>,
    },
    /// No revocation or blacklisting within `years` before the cut-off (date or 无).
    NotWithinYears { field: usize, years: u32 },
    /// The chosen option must be among those accepted.
    OneOf { field: usize },
    /// A row that holds when any alternative holds (A ≥ x 或 B ≥ y).
    AnyOf { alternatives: Vec<Alternative> },
    /// An expert-scored item with a maximum.
    Score { max: Decimal, guidance: String },
    /// At least `count` records (industries, domains, regions) each meeting every condition.
    Records {
        field: usize,
        count: Need,
        conditions: Vec<Criterion>,
    },
}

#[derive(Debug, Clone)]
pub struct Alternative {
    pub label: String,
    pub field: usize,
    pub requirements: Vec<Option<Requirement>>,
    /// The alternative counts only when this choice field (of the declaration, or of the same
    /// record for a records condition) holds this option: a 离散行业 qualifies on devices, a
    /// 流程行业 on process data points (MIIT 二（一）, 五（一）). `None`: it always counts.
    pub when: Option<(usize, u16)>,
}

/// A value a declaration carries.
#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub label_en: String,
    pub kind: FieldKind,
    pub help: Option<String>,
    /// Another field (an index into [`Scheme::fields`]) that states an overlapping fact, so a
    /// form may offer its value here as a starting point ([`Scheme::prefill`]); the applicant
    /// still declares this field (Jiangsu 财务状况 from 一（二）2 运营和财务状况良好).
    pub prefill_from: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    Number(Unit),
    YesNo,
    Ordinal(usize),
    Items(Vec<String>),
    Date,
    /// A date, or 无 when the event never happened.
    DateOrNone,
    Choice(Vec<String>),
    Records(RecordSpec),
}

/// The shape of one record of a records field.
#[derive(Debug, Clone)]
pub struct RecordSpec {
    pub key_label: String,
    /// When non-empty, the record key must be one of these (e.g. the six regions).
    pub key_options: Vec<String>,
    pub fields: Vec<Field>,
}

impl Scheme {
    pub fn provider_type(&self, id: &str) -> Option<usize> {
        self.provider_types.iter().position(|t| t.id == id)
    }

    pub fn field(&self, id: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.id == id)
    }

    /// The value a form may offer for field `target` when its `prefill_from` field holds
    /// `source`: the same value when both fields have the same kind; from a yes/no field, 是
    /// offers the lowest level of the target's scale (the level that yes states) and 否 offers
    /// 无; from an ordinal field, any level offers 是 and 无 offers 否. `None` when the field has
    /// no `prefill_from` or the value does not fit.
    pub fn prefill(
        &self,
        target: usize,
        source: &crate::declaration::Value,
    ) -> Option<crate::declaration::Value> {
        use crate::declaration::Value;
        let target_field = self.fields.get(target)?;
        let source_field = self.fields.get(target_field.prefill_from?)?;
        match (&source_field.kind, &target_field.kind, source) {
            (FieldKind::YesNo, FieldKind::Ordinal(_), Value::Bool(yes)) => {
                Some(Value::Level(yes.then_some(0)))
            }
            (FieldKind::Ordinal(_), FieldKind::YesNo, Value::Level(level)) => {
                Some(Value::Bool(level.is_some()))
            }
            (from, to, value) if load::same_kind(from, to) => Some(value.clone()),
            _ => None,
        }
    }

    /// Number of requirement slots per criterion: one per star level, or one.
    pub fn slots(&self) -> usize {
        self.levels.len().max(1)
    }

    /// Whether a criterion applies to a provider type (scheme-wide rows apply to all).
    pub fn applies_to(&self, criterion: &Criterion, provider_type: Option<usize>) -> bool {
        match (criterion.provider_type, provider_type) {
            (None, _) => true,
            (Some(own), Some(wanted)) => own == wanted,
            (Some(_), None) => false,
        }
    }

    /// A label with `{reference_year}` replaced, so `2020年度` follows the round.
    pub fn label_for(label: &str, reference_year: Option<i32>) -> String {
        match reference_year {
            Some(year) => label.replace("{reference_year}", &year.to_string()),
            None => label.replace("{reference_year}", "上一"),
        }
    }
}

/// Compares labels ignoring spaces, line breaks and full/half-width punctuation differences.
pub fn normalize_label(text: &str) -> String {
    normalized(text).collect()
}

/// Whether two labels are equal once normalised ([`normalize_label`]), without allocating.
pub fn same_label(a: &str, b: &str) -> bool {
    normalized(a).eq(normalized(b))
}

fn normalized(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '，' => ',',
            '：' => ':',
            '／' => '/',
            other => other,
        })
}
