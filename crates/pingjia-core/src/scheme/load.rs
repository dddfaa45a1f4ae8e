//! Turns a scheme file into a validated [`Scheme`], or into every error found, each naming
//! the file, the line and the id it concerns.

use super::raw::{RawCriterion, RawScaleLevel, RawScheme};
use super::*;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// One problem in a scheme file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeError {
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The id of the scheme element concerned, when there is one.
    pub id: Option<String>,
    pub message: String,
}

impl fmt::Display for SchemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " [{id}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// All problems found in one scheme file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemeErrors(pub Vec<SchemeError>);

impl fmt::Display for SchemeErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Parses and validates one scheme file. `file` names it in error messages.
pub fn parse_scheme(file: &str, source: &str) -> Result<Scheme, SchemeErrors> {
    let raw: RawScheme = toml::from_str(source).map_err(|error| {
        let line = error.span().map(|span| line_of(source, span.start));
        SchemeErrors(vec![SchemeError {
            file: file.to_owned(),
            line,
            id: None,
            message: error.message().trim().to_owned(),
        }])
    })?;
    let mut loader = Loader {
        file,
        source,
        errors: Vec::new(),
        fields: Vec::new(),
        field_index: HashMap::new(),
    };
    let scheme = loader.build(raw);
    if loader.errors.is_empty() {
        Ok(scheme)
    } else {
        Err(SchemeErrors(loader.errors))
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

struct Loader<'s> {
    file: &'s str,
    source: &'s str,
    errors: Vec<SchemeError>,
    fields: Vec<Field>,
    field_index: HashMap<String, usize>,
}

/// What a criterion is read against while loading.
struct Context<'a> {
    method: Method,
    slots: usize,
    level_stars: Vec<u8>,
    notes: &'a [Note],
    raw_notes: &'a [super::raw::RawNote],
    scales: &'a [Scale],
    parameters: &'a [Parameter],
    provider_types: &'a [ProviderType],
    parts: &'a [Part],
}

impl<'s> Loader<'s> {
    fn error(&mut self, span: Option<std::ops::Range<usize>>, id: Option<&str>, message: String) {
        self.errors.push(SchemeError {
            file: self.file.to_owned(),
            line: span.map(|s| line_of(self.source, s.start)),
            id: id.map(str::to_owned),
            message,
        });
    }

    fn build(&mut self, raw: RawScheme) -> Scheme {
        let header = &raw.scheme;
        let method = match header.method.get_ref().as_str() {
            "stars" => Method::Stars,
            "rubric" => Method::Rubric,
            "capability" => Method::Capability,
            other => {
                self.error(
                    Some(header.method.span()),
                    Some(header.id.get_ref()),
                    format!("unknown method `{other}`; expected stars, rubric or capability"),
                );
                Method::Stars
            }
        };
        if !is_identifier(header.id.get_ref()) {
            self.error(
                Some(header.id.span()),
                Some(header.id.get_ref()),
                "scheme id must be lowercase letters, digits, `-` or `_`".into(),
            );
        }

        let round = self.round(&raw);
        if let Some(chain) = &raw.chain
            && let Err(message) = chain.validate()
        {
            self.error(None, Some(header.id.get_ref()), format!("chain: {message}"));
        }
        let levels = self.levels(&raw, method);
        let notes = self.notes(&raw);
        let scales = self.scales(&raw);
        let parameters = self.parameters(&raw);
        let provider_types = self.provider_types(&raw, method);
        let parts = self.parts(&raw, method);
        let context = Context {
            method,
            slots: levels.len().max(1),
            level_stars: levels.iter().map(|l| l.stars).collect(),
            notes: &notes,
            raw_notes: &raw.note,
            scales: &scales,
            parameters: &parameters,
            provider_types: &provider_types,
            parts: &parts,
        };
        let mut seen_ids = HashSet::new();
        let mut criteria = Vec::new();
        for raw_criterion in &raw.criterion {
            if !seen_ids.insert(raw_criterion.id.get_ref().clone()) {
                self.error(
                    Some(raw_criterion.id.span()),
                    Some(raw_criterion.id.get_ref()),
                    "duplicate criterion id".into(),
                );
                continue;
            }
            if let Some(criterion) = self.criterion(&context, raw_criterion, None) {
                criteria.push(criterion);
            }
        }
        self.check_coverage(&raw, &context, &criteria);
        self.prefills(&raw, &criteria);

        let max_score = header.max_score.as_ref().and_then(|value| {
            let parsed = decimal_of(value.get_ref());
            if parsed.is_none() {
                self.error(
                    Some(value.span()),
                    Some(header.id.get_ref()),
                    "max_score must be a number".into(),
                );
            }
            parsed
        });
        if method == Method::Rubric {
            let sum: Decimal = criteria
                .iter()
                .filter_map(|c| match &c.test {
                    Test::Score { max, .. } => Some(*max),
                    _ => None,
                })
                .sum();
            match max_score {
                Some(total) if total != sum => self.error(
                    Some(header.id.span()),
                    Some(header.id.get_ref()),
                    format!("max_score is {total} but the rubric items add up to {sum}"),
                ),
                None => self.error(
                    Some(header.id.span()),
                    Some(header.id.get_ref()),
                    "a rubric scheme must state max_score".into(),
                ),
                _ => {}
            }
        }

        Scheme {
            id: header.id.get_ref().clone(),
            title: header.title.clone(),
            title_en: header.title_en.clone(),
            version: header.version.clone(),
            method,
            document: header.document.clone(),
            issuer: header.issuer.clone(),
            clause: header.clause.clone(),
            round,
            chain: raw.chain.clone(),
            levels,
            notes,
            scales,
            parameters,
            provider_types,
            parts,
            criteria,
            fields: std::mem::take(&mut self.fields),
            max_score,
            source_name: self.file.to_owned(),
        }
    }

    fn round(&mut self, raw: &RawScheme) -> RoundDefaults {
        let id = raw.scheme.id.get_ref().as_str();
        let cutoff = raw.round.cutoff.as_ref().and_then(|datetime| {
            let date = datetime.date.as_ref().and_then(|d| {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            });
            if date.is_none() {
                self.error(
                    None,
                    Some(id),
                    format!("round.cutoff `{datetime}` is not a date"),
                );
            }
            date
        });
        let aggregation = match raw.round.aggregation.as_deref() {
            None => Aggregation::Mean,
            Some(text) => Aggregation::parse(text).unwrap_or_else(|| {
                self.error(
                    None,
                    Some(id),
                    format!("round.aggregation `{text}`: expected mean or trimmed_mean"),
                );
                Aggregation::Mean
            }),
        };
        let divergence_ratio = match &raw.round.divergence_ratio {
            None => Decimal::new(3, 1),
            Some(value) => decimal_of(value).unwrap_or_else(|| {
                self.error(
                    None,
                    Some(id),
                    "round.divergence_ratio must be a number".into(),
                );
                Decimal::new(3, 1)
            }),
        };
        let score_step = raw
            .round
            .score_step
            .as_ref()
            .and_then(|value| match decimal_of(value) {
                Some(step) if step > Decimal::ZERO => Some(step),
                _ => {
                    self.error(
                        None,
                        Some(id),
                        "round.score_step must be a positive number".into(),
                    );
                    None
                }
            });
        RoundDefaults {
            cutoff,
            reference_year: raw.round.reference_year,
            aggregation,
            divergence_ratio,
            score_step,
            request_optional_materials: raw.round.request_optional_materials,
            validity_years: raw.round.validity_years,
        }
    }

    fn levels(&mut self, raw: &RawScheme, method: Method) -> Vec<Level> {
        let mut levels: Vec<Level> = Vec::new();
        for level in &raw.level {
            if let Some(previous) = levels.last()
                && previous.stars >= *level.stars.get_ref()
            {
                self.error(
                    Some(level.stars.span()),
                    Some(&level.label),
                    "levels must be listed from lowest to highest stars".into(),
                );
            }
            levels.push(Level {
                stars: *level.stars.get_ref(),
                label: level.label.clone(),
            });
        }
        if method == Method::Stars && levels.is_empty() {
            self.error(
                None,
                Some(raw.scheme.id.get_ref()),
                "a stars scheme needs at least one [[level]]".into(),
            );
        }
        if method != Method::Stars && !levels.is_empty() {
            self.error(
                None,
                Some(raw.scheme.id.get_ref()),
                "[[level]] is only for the stars method".into(),
            );
        }
        levels
    }

    fn notes(&mut self, raw: &RawScheme) -> Vec<Note> {
        let mut seen = HashSet::new();
        let mut notes = Vec::new();
        for note in &raw.note {
            if !seen.insert(note.id.get_ref().clone()) {
                self.error(
                    Some(note.id.span()),
                    Some(note.id.get_ref()),
                    "duplicate note id".into(),
                );
            }
            for kind in note
                .exempt_org_kinds
                .iter()
                .chain(note.r#override.iter().flat_map(|o| &o.org_kinds))
            {
                if OrgKind::parse(kind).is_none() {
                    self.error(Some(note.id.span()), Some(note.id.get_ref()), format!("unknown organisation kind `{kind}`; expected 企业, 事业单位 or 社会团体"));
                }
            }
            notes.push(Note {
                id: note.id.get_ref().clone(),
                text: note.text.clone(),
                text_en: note.text_en.clone(),
            });
        }
        notes
    }

    fn scales(&mut self, raw: &RawScheme) -> Vec<Scale> {
        let mut seen = HashSet::new();
        let mut scales = Vec::new();
        for scale in &raw.scale {
            if !seen.insert(scale.id.get_ref().clone()) {
                self.error(
                    Some(scale.id.span()),
                    Some(scale.id.get_ref()),
                    "duplicate scale id".into(),
                );
            }
            let levels: Vec<ScaleLevel> = scale
                .levels
                .iter()
                .map(|level| match level {
                    RawScaleLevel::Label(label) => ScaleLevel {
                        label: label.clone(),
                        aliases: Vec::new(),
                    },
                    RawScaleLevel::Full { label, aliases } => ScaleLevel {
                        label: label.clone(),
                        aliases: aliases.clone(),
                    },
                })
                .collect();
            let mut labels = HashSet::new();
            for level in &levels {
                for text in std::iter::once(&level.label).chain(&level.aliases) {
                    if !labels.insert(normalize_label(text)) {
                        self.error(
                            Some(scale.id.span()),
                            Some(scale.id.get_ref()),
                            format!("scale label or alias `{text}` appears twice"),
                        );
                    }
                }
            }
            if levels.is_empty() {
                self.error(
                    Some(scale.id.span()),
                    Some(scale.id.get_ref()),
                    "a scale needs at least one level".into(),
                );
            }
            scales.push(Scale {
                id: scale.id.get_ref().clone(),
                levels,
            });
        }
        scales
    }

    fn parameters(&mut self, raw: &RawScheme) -> Vec<Parameter> {
        let mut seen = HashSet::new();
        let mut parameters = Vec::new();
        for parameter in &raw.parameter {
            let id = parameter.id.get_ref();
            if !seen.insert(id.clone()) {
                self.error(
                    Some(parameter.id.span()),
                    Some(id),
                    "duplicate parameter id".into(),
                );
            }
            let Some(unit) = Unit::from_name(&parameter.unit) else {
                self.error(
                    Some(parameter.id.span()),
                    Some(id),
                    format!(
                        "unknown unit `{}`; expected one of {}",
                        parameter.unit,
                        Unit::NAMES.join(" ")
                    ),
                );
                continue;
            };
            let mut value_of = |value: &Option<toml::Value>, what: &str| {
                value.as_ref().and_then(|value| {
                    let text = match value {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    match unit.parse(&text) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            self.error(
                                Some(parameter.id.span()),
                                Some(id),
                                format!("{what} `{text}`: expected {}", e.expected_en),
                            );
                            None
                        }
                    }
                })
            };
            let example = value_of(&parameter.example, "example");
            let default = value_of(&parameter.default, "default");
            parameters.push(Parameter {
                id: id.clone(),
                label: parameter.label.clone(),
                label_en: parameter.label_en.clone(),
                unit,
                example,
                default,
            });
        }
        parameters
    }

    fn provider_types(&mut self, raw: &RawScheme, method: Method) -> Vec<ProviderType> {
        let mut seen = HashSet::new();
        let mut types = Vec::new();
        for raw_type in &raw.provider_type {
            let id = raw_type.id.get_ref();
            if !seen.insert(id.clone()) {
                self.error(
                    Some(raw_type.id.span()),
                    Some(id),
                    "duplicate provider type id".into(),
                );
            }
            if !is_identifier(id) {
                self.error(
                    Some(raw_type.id.span()),
                    Some(id),
                    "provider type id must be lowercase letters, digits, `-` or `_`".into(),
                );
            }
            let professional = match raw_type.professional.get_ref().as_str() {
                "any_subclass" => ProfessionalRule::AnySubclass,
                "all_subclasses" => ProfessionalRule::AllSubclasses,
                other => {
                    self.error(
                        Some(raw_type.professional.span()),
                        Some(id),
                        format!("professional `{other}`: expected any_subclass or all_subclasses"),
                    );
                    ProfessionalRule::AllSubclasses
                }
            };
            let mut subclass_ids = HashSet::new();
            let subclasses = raw_type
                .subclass
                .iter()
                .map(|subclass| {
                    if !subclass_ids.insert(subclass.id.get_ref().clone()) {
                        self.error(
                            Some(subclass.id.span()),
                            Some(subclass.id.get_ref()),
                            "duplicate subclass id".into(),
                        );
                    }
                    Subclass {
                        id: subclass.id.get_ref().clone(),
                        title: subclass.title.clone(),
                        title_en: subclass.title_en.clone(),
                    }
                })
                .collect();
            types.push(ProviderType {
                id: id.clone(),
                title: raw_type.title.clone(),
                title_en: raw_type.title_en.clone(),
                category: raw_type.category.clone(),
                clause: raw_type.clause.clone(),
                description: raw_type.description.clone(),
                professional,
                subclasses,
            });
        }
        if method == Method::Stars && types.is_empty() {
            self.error(
                None,
                Some(raw.scheme.id.get_ref()),
                "a stars scheme needs at least one [[provider_type]]".into(),
            );
        }
        types
    }

    fn parts(&mut self, raw: &RawScheme, method: Method) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::new();
        for raw_part in &raw.part {
            let id = raw_part.id.get_ref();
            if parts.iter().any(|p| &p.id == id) {
                self.error(
                    Some(raw_part.id.span()),
                    Some(id),
                    "duplicate part id".into(),
                );
            }
            let mut requires = Vec::new();
            for required in &raw_part.requires {
                // Only earlier parts may be required: this keeps the nesting acyclic.
                match parts.iter().position(|p| &p.id == required.get_ref()) {
                    Some(index) => requires.push(index),
                    None => self.error(
                        Some(required.span()),
                        Some(id),
                        format!("part `{}` is not defined before `{id}` (parts may only require earlier parts)", required.get_ref()),
                    ),
                }
            }
            parts.push(Part {
                id: id.clone(),
                title: raw_part.title.clone(),
                title_en: raw_part.title_en.clone(),
                clause: raw_part.clause.clone(),
                requires,
            });
        }
        if method == Method::Capability && parts.is_empty() {
            self.error(
                None,
                Some(raw.scheme.id.get_ref()),
                "a capability scheme needs at least one [[part]]".into(),
            );
        }
        parts
    }

    /// Resolves `prefill_from`: the source is another top-level field stating an overlapping
    /// fact, of the same kind or yes/no ↔ ordinal; rows sharing a field must agree on it.
    fn prefills(&mut self, raw: &RawScheme, criteria: &[Criterion]) {
        for raw_criterion in &raw.criterion {
            for condition in &raw_criterion.condition {
                if let Some(source) = &condition.prefill_from {
                    self.error(
                        Some(source.span()),
                        Some(condition.id.get_ref()),
                        "prefill_from is for fields of the declaration, not of a record".into(),
                    );
                }
            }
            let Some(source) = &raw_criterion.prefill_from else {
                continue;
            };
            let id = raw_criterion.id.get_ref();
            let span = Some(source.span());
            let Some(criterion) = criteria.iter().find(|c| &c.id == id) else {
                continue;
            };
            let target = match &criterion.test {
                Test::Levels { field, .. }
                | Test::OneOf { field }
                | Test::NotWithinYears { field, .. } => *field,
                _ => {
                    self.error(
                        span,
                        Some(id),
                        "prefill_from needs a row that reads one field".into(),
                    );
                    continue;
                }
            };
            let Some(&from) = self.field_index.get(source.get_ref()) else {
                self.error(
                    span,
                    Some(id),
                    format!("prefill_from names unknown field `{}`", source.get_ref()),
                );
                continue;
            };
            if from == target {
                self.error(
                    span,
                    Some(id),
                    "a field cannot be pre-filled from itself".into(),
                );
                continue;
            }
            let compatible = matches!(
                (&self.fields[from].kind, &self.fields[target].kind),
                (FieldKind::YesNo, FieldKind::Ordinal(_))
                    | (FieldKind::Ordinal(_), FieldKind::YesNo)
            ) || same_kind(&self.fields[from].kind, &self.fields[target].kind);
            if !compatible {
                self.error(
                    span,
                    Some(id),
                    format!(
                        "field `{}` cannot be pre-filled from `{}`: expected the same kind, or yes/no and an ordinal",
                        self.fields[target].id,
                        source.get_ref()
                    ),
                );
                continue;
            }
            match self.fields[target].prefill_from {
                Some(existing) if existing != from => self.error(
                    span,
                    Some(id),
                    format!(
                        "rows sharing field `{}` give different prefill_from: `{}` and `{}`",
                        self.fields[target].id,
                        self.fields[existing].id,
                        source.get_ref()
                    ),
                ),
                _ => self.fields[target].prefill_from = Some(from),
            }
        }
    }

    /// Every provider type needs rows, and every subclass of it at least one professional row.
    fn check_coverage(&mut self, raw: &RawScheme, context: &Context<'_>, criteria: &[Criterion]) {
        for (type_index, provider_type) in context.provider_types.iter().enumerate() {
            let span = raw.provider_type[type_index].id.span();
            for (subclass_index, subclass) in provider_type.subclasses.iter().enumerate() {
                let has_rows = criteria.iter().any(|c| {
                    c.provider_type == Some(type_index) && c.subclass == Some(subclass_index)
                });
                if !has_rows {
                    self.error(
                        Some(span.clone()),
                        Some(&provider_type.id),
                        format!("subclass `{}` has no professional criterion", subclass.id),
                    );
                }
            }
            if provider_type.subclasses.is_empty() {
                self.error(
                    Some(span),
                    Some(&provider_type.id),
                    "a provider type needs at least one [[provider_type.subclass]]".into(),
                );
            }
        }
        for (part_index, part) in context.parts.iter().enumerate() {
            if !criteria.iter().any(|c| c.part == Some(part_index)) {
                self.error(
                    Some(raw.part[part_index].id.span()),
                    Some(&part.id),
                    "part has no criterion".into(),
                );
            }
        }
    }

    /// Builds one criterion. `record` is set for the conditions of a records criterion, whose
    /// fields live in the record instead of the declaration.
    fn criterion(
        &mut self,
        context: &Context<'_>,
        raw: &RawCriterion,
        mut record: Option<&mut Vec<Field>>,
    ) -> Option<Criterion> {
        let id = raw.id.get_ref().as_str();
        let span = Some(raw.id.span());
        let errors_before = self.errors.len();

        let section = match Section::parse(raw.section.get_ref()) {
            Some(section) => section,
            None => {
                self.error(
                    Some(raw.section.span()),
                    Some(id),
                    format!("unknown section `{}`", raw.section.get_ref()),
                );
                return None;
            }
        };
        let allowed: &[Section] = match context.method {
            Method::Stars => &[
                Section::Gate,
                Section::Basic,
                Section::Professional,
                Section::Service,
                Section::Shortcut,
            ],
            Method::Rubric => &[Section::Gate, Section::Material, Section::Rubric],
            Method::Capability => &[Section::Gate, Section::Capability],
        };
        if record.is_none() && !allowed.contains(&section) {
            self.error(
                Some(raw.section.span()),
                Some(id),
                format!(
                    "section `{}` is not used by this scheme's method",
                    raw.section.get_ref()
                ),
            );
        }

        let provider_type = raw.r#type.as_ref().and_then(|name| {
            let found = context
                .provider_types
                .iter()
                .position(|t| &t.id == name.get_ref());
            if found.is_none() {
                self.error(
                    Some(name.span()),
                    Some(id),
                    format!("unknown provider type `{}`", name.get_ref()),
                );
            }
            found
        });
        let per_level = context.method == Method::Stars
            && matches!(
                section,
                Section::Basic | Section::Professional | Section::Service
            );
        if per_level && raw.r#type.is_none() && record.is_none() {
            self.error(span.clone(), Some(id), "rows of a table need `type`".into());
        }
        let subclass = match (&raw.subclass, provider_type) {
            (Some(name), Some(type_index)) => {
                let found = context.provider_types[type_index]
                    .subclasses
                    .iter()
                    .position(|s| &s.id == name.get_ref());
                if found.is_none() {
                    self.error(
                        Some(name.span()),
                        Some(id),
                        format!(
                            "unknown subclass `{}` of type `{}`",
                            name.get_ref(),
                            context.provider_types[type_index].id
                        ),
                    );
                }
                found
            }
            (Some(name), None) => {
                self.error(
                    Some(name.span()),
                    Some(id),
                    "`subclass` needs `type`".into(),
                );
                None
            }
            (None, _) => None,
        };
        if section == Section::Professional && raw.subclass.is_none() {
            self.error(
                span.clone(),
                Some(id),
                "professional rows need `subclass`".into(),
            );
        }
        if section != Section::Professional && raw.subclass.is_some() {
            self.error(
                span.clone(),
                Some(id),
                "only professional rows have a `subclass`".into(),
            );
        }
        let part = raw.part.as_ref().and_then(|name| {
            let found = context.parts.iter().position(|p| &p.id == name.get_ref());
            if found.is_none() {
                self.error(
                    Some(name.span()),
                    Some(id),
                    format!("unknown part `{}`", name.get_ref()),
                );
            }
            found
        });
        if section == Section::Capability && raw.part.is_none() && record.is_none() {
            self.error(span.clone(), Some(id), "capability rows need `part`".into());
        }

        if raw.optional && (section != Section::Material || raw.kind.get_ref() != "yes_no") {
            self.error(
                span.clone(),
                Some(id),
                "only yes_no material rows can be `optional` (requested when the round asks)"
                    .into(),
            );
        }
        if raw.select_by.is_some() && raw.kind.get_ref() != "any_of" {
            self.error(
                span.clone(),
                Some(id),
                "only any_of rows take `select_by`".into(),
            );
        }
        if raw.when.is_some() {
            self.error(
                span.clone(),
                Some(id),
                "`when` belongs to a [[criterion.alternative]] of a select_by row".into(),
            );
        }
        let slots = if per_level { context.slots } else { 1 };
        let field_id = raw
            .field
            .clone()
            .unwrap_or_else(|| id.rsplit('.').next().unwrap_or(id).to_owned());
        let kind = raw.kind.get_ref().as_str();
        let mut wording: Vec<String> = Vec::new();
        let test = match kind {
            "number" | "yes_no" | "ordinal" | "pool" | "duration" => {
                let field_kind = match kind {
                    "number" => {
                        let unit = self.unit(raw, id)?;
                        FieldKind::Number(unit)
                    }
                    "yes_no" => FieldKind::YesNo,
                    "ordinal" => {
                        let Some(scale_name) = &raw.scale else {
                            self.error(span, Some(id), "ordinal criteria need `scale`".into());
                            return None;
                        };
                        let Some(scale) = context
                            .scales
                            .iter()
                            .position(|s| &s.id == scale_name.get_ref())
                        else {
                            self.error(
                                Some(scale_name.span()),
                                Some(id),
                                format!("unknown scale `{}`", scale_name.get_ref()),
                            );
                            return None;
                        };
                        FieldKind::Ordinal(scale)
                    }
                    "pool" => {
                        if raw.items.is_empty() || raw.items.len() > 64 {
                            self.error(
                                span.clone(),
                                Some(id),
                                "a pool needs between 1 and 64 `items`".into(),
                            );
                        }
                        let mut unique = HashSet::new();
                        for item in &raw.items {
                            if !unique.insert(normalize_label(item)) {
                                self.error(
                                    span.clone(),
                                    Some(id),
                                    format!("pool item `{item}` appears twice"),
                                );
                            }
                        }
                        FieldKind::Items(raw.items.clone())
                    }
                    _ => FieldKind::Date,
                };
                let field = self.field(
                    record.as_deref_mut(),
                    &field_id,
                    raw,
                    field_kind.clone(),
                    id,
                    span.clone(),
                );
                let (requirements, texts) =
                    self.requirements(context, raw, &field_kind, slots, id)?;
                wording = texts;
                Test::Levels {
                    field,
                    requirements,
                }
            }
            "not_within_years" => {
                let Some(years) = raw.years else {
                    self.error(span, Some(id), "not_within_years needs `years`".into());
                    return None;
                };
                let field = self.field(
                    record.as_deref_mut(),
                    &field_id,
                    raw,
                    FieldKind::DateOrNone,
                    id,
                    span.clone(),
                );
                wording.push(
                    raw.requirement
                        .clone()
                        .unwrap_or_else(|| format!("{years}年内无此情形")),
                );
                Test::NotWithinYears { field, years }
            }
            "choice" => {
                if raw.options.is_empty() {
                    self.error(span.clone(), Some(id), "a choice needs `options`".into());
                }
                let field = self.field(
                    record.as_deref_mut(),
                    &field_id,
                    raw,
                    FieldKind::Choice(raw.options.clone()),
                    id,
                    span.clone(),
                );
                wording.push(
                    raw.requirement
                        .clone()
                        .unwrap_or_else(|| raw.options.join("、")),
                );
                Test::OneOf { field }
            }
            "any_of" => {
                if raw.alternative.len() < 2 {
                    self.error(
                        span.clone(),
                        Some(id),
                        "any_of needs at least two [[criterion.alternative]]".into(),
                    );
                }
                // `select_by`: a choice declared earlier (in the same record, for a condition)
                // picks the alternative that counts (离散行业 → devices, 流程行业 → data points).
                let selector = match &raw.select_by {
                    None => None,
                    Some(name) => {
                        let found = match record.as_deref() {
                            Some(fields) => fields
                                .iter()
                                .position(|f| &f.id == name.get_ref())
                                .map(|index| (index, &fields[index].kind)),
                            None => self
                                .field_index
                                .get(name.get_ref())
                                .map(|&index| (index, &self.fields[index].kind)),
                        };
                        match found {
                            Some((index, FieldKind::Choice(options))) => {
                                Some((index, options.clone()))
                            }
                            _ => {
                                self.error(
                                    Some(name.span()),
                                    Some(id),
                                    format!(
                                        "select_by `{}` must name a choice field defined by an earlier row{}",
                                        name.get_ref(),
                                        if record.is_some() { " of the same record" } else { "" }
                                    ),
                                );
                                return None;
                            }
                        }
                    }
                };
                let mut alternatives = Vec::new();
                for alternative in &raw.alternative {
                    let alt_id = alternative.id.get_ref().as_str();
                    let when = match (&selector, &alternative.when) {
                        (Some((field, options)), Some(option)) => {
                            match options
                                .iter()
                                .position(|o| normalize_label(o) == normalize_label(option))
                            {
                                Some(index) => Some((*field, index as u16)),
                                None => {
                                    self.error(
                                        Some(alternative.id.span()),
                                        Some(alt_id),
                                        format!(
                                            "when `{option}` is not an option of the select_by field: {}",
                                            options.join(", ")
                                        ),
                                    );
                                    None
                                }
                            }
                        }
                        (Some(_), None) => {
                            self.error(
                                Some(alternative.id.span()),
                                Some(alt_id),
                                "an alternative of a select_by row needs `when` (the option it counts for)"
                                    .into(),
                            );
                            None
                        }
                        (None, Some(_)) => {
                            self.error(
                                Some(alternative.id.span()),
                                Some(alt_id),
                                "`when` needs `select_by` on the row".into(),
                            );
                            None
                        }
                        (None, None) => None,
                    };
                    let unit = self.unit(alternative, alt_id)?;
                    let alt_field_id = alternative
                        .field
                        .clone()
                        .unwrap_or_else(|| alt_id.to_owned());
                    let field_kind = FieldKind::Number(unit);
                    let field = self.field(
                        record.as_deref_mut(),
                        &alt_field_id,
                        alternative,
                        field_kind.clone(),
                        alt_id,
                        Some(alternative.id.span()),
                    );
                    let (requirements, _) =
                        self.requirements(context, alternative, &field_kind, slots, alt_id)?;
                    alternatives.push(Alternative {
                        label: alternative.label.clone(),
                        field,
                        requirements,
                        when,
                    });
                }
                wording = match (&raw.levels, &raw.requirement) {
                    (Some(levels), _) => levels.clone(),
                    (None, Some(requirement)) => vec![requirement.clone()],
                    (None, None) => vec![
                        raw.alternative
                            .iter()
                            .map(|a| a.label.as_str())
                            .collect::<Vec<_>>()
                            .join("或"),
                    ],
                };
                if wording.len() != slots {
                    self.error(
                        span.clone(),
                        Some(id),
                        format!(
                            "expected {slots} wording entries in `levels`, found {}",
                            wording.len()
                        ),
                    );
                }
                Test::AnyOf { alternatives }
            }
            "score" => {
                let Some(max) = raw.max.as_ref().and_then(decimal_of) else {
                    self.error(span, Some(id), "score items need a numeric `max`".into());
                    return None;
                };
                if max <= Decimal::ZERO {
                    self.error(span.clone(), Some(id), "`max` must be positive".into());
                }
                wording.push(format!("满分{max}分"));
                Test::Score {
                    max,
                    guidance: raw.guidance.clone().unwrap_or_default(),
                }
            }
            "records" => {
                let count =
                    self.need_from(context, raw, Unit::Count(crate::units::Measure::Ge), id)?;
                let mut record_fields = Vec::new();
                let mut conditions = Vec::new();
                let mut condition_ids = HashSet::new();
                for condition in &raw.condition {
                    if !condition_ids.insert(condition.id.get_ref().clone()) {
                        self.error(
                            Some(condition.id.span()),
                            Some(condition.id.get_ref()),
                            "duplicate condition id".into(),
                        );
                    }
                    if let Some(built) =
                        self.criterion(context, condition, Some(&mut record_fields))
                    {
                        conditions.push(built);
                    }
                }
                if conditions.is_empty() {
                    self.error(
                        span.clone(),
                        Some(id),
                        "records need at least one [[criterion.condition]]".into(),
                    );
                }
                let spec = RecordSpec {
                    key_label: raw.key_label.clone().unwrap_or_else(|| "名称".into()),
                    key_options: raw.key_options.clone(),
                    fields: record_fields,
                };
                let field = self.field(
                    record,
                    &field_id,
                    raw,
                    FieldKind::Records(spec),
                    id,
                    span.clone(),
                );
                wording.push(raw.requirement.clone().unwrap_or_else(|| raw.label.clone()));
                Test::Records {
                    field,
                    count,
                    conditions,
                }
            }
            other => {
                self.error(
                    Some(raw.kind.span()),
                    Some(id),
                    format!("unknown kind `{other}`; expected number, yes_no, ordinal, pool, duration, not_within_years, choice, any_of, score or records"),
                );
                return None;
            }
        };

        let mut notes = Vec::new();
        let mut exempt_org_kinds = None;
        let mut exempt_via_subclasses = None;
        let mut overrides = Vec::new();
        for note_ref in &raw.notes {
            let Some(note_index) = context
                .notes
                .iter()
                .position(|n| &n.id == note_ref.get_ref())
            else {
                self.error(
                    Some(note_ref.span()),
                    Some(id),
                    format!("unknown note `{}`", note_ref.get_ref()),
                );
                continue;
            };
            notes.push(note_index);
            let raw_note = &context.raw_notes[note_index];
            if !raw_note.exempt_org_kinds.is_empty() {
                let kinds = raw_note
                    .exempt_org_kinds
                    .iter()
                    .filter_map(|k| OrgKind::parse(k))
                    .collect();
                exempt_org_kinds = Some((note_index, kinds));
            }
            if !raw_note.exempt_via_subclasses.is_empty() {
                let Some(type_index) = provider_type else {
                    self.error(
                        Some(note_ref.span()),
                        Some(id),
                        format!(
                            "note `{}` exempts by subclass, but the row has no `type`",
                            raw_note.id.get_ref()
                        ),
                    );
                    continue;
                };
                let subclasses = &context.provider_types[type_index].subclasses;
                let mut indices = Vec::new();
                for name in &raw_note.exempt_via_subclasses {
                    match subclasses.iter().position(|s| &s.id == name) {
                        Some(index) => indices.push(index),
                        None => self.error(
                            Some(note_ref.span()),
                            Some(id),
                            format!(
                                "note `{}` names subclass `{name}`, which type `{}` does not have",
                                raw_note.id.get_ref(),
                                context.provider_types[type_index].id
                            ),
                        ),
                    }
                }
                exempt_via_subclasses = Some((note_index, indices));
            }
            if let Some(raw_override) = &raw_note.r#override {
                match self.override_of(context, &test, raw_override, note_index, id, span.clone()) {
                    Some(built) => overrides.push(built),
                    None => continue,
                }
            }
        }

        if self.errors.len() > errors_before {
            return None;
        }
        Some(Criterion {
            id: id.to_owned(),
            label: raw.label.clone(),
            label_en: raw.label_en.clone(),
            clause: raw.clause.clone(),
            section,
            provider_type,
            subclass,
            part,
            group: raw.group.clone(),
            domain: raw.domain.clone(),
            help: raw.help.clone(),
            wording,
            test,
            notes,
            exempt_org_kinds,
            exempt_via_subclasses,
            overrides,
            optional: raw.optional,
        })
    }

    fn override_of(
        &mut self,
        context: &Context<'_>,
        test: &Test,
        raw_override: &super::raw::RawOverride,
        note: usize,
        id: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<Override> {
        let Some(level) = context
            .level_stars
            .iter()
            .position(|s| *s == raw_override.stars)
        else {
            self.error(
                span,
                Some(id),
                format!(
                    "override names {} stars, which is not a level of this scheme",
                    raw_override.stars
                ),
            );
            return None;
        };
        let Test::Levels { field, .. } = test else {
            self.error(
                span,
                Some(id),
                "overrides apply to single-value rows only".into(),
            );
            return None;
        };
        let kind = self.fields[*field].kind.clone();
        let requirement = self.requirement(context, &kind, &raw_override.requirement, id, span)?;
        Some(Override {
            note,
            org_kinds: raw_override
                .org_kinds
                .iter()
                .filter_map(|k| OrgKind::parse(k))
                .collect(),
            level,
            requirement,
            wording: raw_override.requirement.clone(),
        })
    }

    fn unit(&mut self, raw: &RawCriterion, id: &str) -> Option<Unit> {
        let Some(name) = &raw.unit else {
            self.error(
                Some(raw.id.span()),
                Some(id),
                "number criteria need `unit`".into(),
            );
            return None;
        };
        let unit = Unit::from_name(name);
        if unit.is_none() {
            self.error(
                Some(raw.id.span()),
                Some(id),
                format!(
                    "unknown unit `{name}`; expected one of {}",
                    Unit::NAMES.join(" ")
                ),
            );
        }
        unit
    }

    /// Registers (or reuses) a declaration field; criteria sharing a field must agree on its kind.
    fn field(
        &mut self,
        record: Option<&mut Vec<Field>>,
        field_id: &str,
        raw: &RawCriterion,
        kind: FieldKind,
        id: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> usize {
        if !is_identifier(field_id) {
            self.error(
                span.clone(),
                Some(id),
                format!("field id `{field_id}` must be lowercase letters, digits, `-` or `_`"),
            );
        }
        let new_field = Field {
            id: field_id.to_owned(),
            label: raw.label.clone(),
            label_en: raw.label_en.clone(),
            kind,
            help: raw.help.clone(),
            prefill_from: None,
        };
        match record {
            Some(fields) => match fields.iter().position(|f| f.id == field_id) {
                Some(index) => {
                    if !same_kind(&fields[index].kind, &new_field.kind) {
                        self.error(
                            span,
                            Some(id),
                            format!("record field `{field_id}` is used with two different kinds"),
                        );
                    }
                    index
                }
                None => {
                    fields.push(new_field);
                    fields.len() - 1
                }
            },
            None => match self.field_index.get(field_id) {
                Some(&index) => {
                    if !same_kind(&self.fields[index].kind, &new_field.kind) {
                        self.error(
                            span,
                            Some(id),
                            format!("field `{field_id}` is used with two different kinds or units"),
                        );
                    }
                    index
                }
                None => {
                    self.fields.push(new_field);
                    self.field_index
                        .insert(field_id.to_owned(), self.fields.len() - 1);
                    self.fields.len() - 1
                }
            },
        }
    }

    /// Reads `levels` (one wording per level) or `requirement`/`param` (one requirement), and
    /// checks that requirements never get easier as the level rises.
    fn requirements(
        &mut self,
        context: &Context<'_>,
        raw: &RawCriterion,
        kind: &FieldKind,
        slots: usize,
        id: &str,
    ) -> Option<(Vec<Option<Requirement>>, Vec<String>)> {
        let span = Some(raw.id.span());
        if let Some(param) = &raw.param {
            let FieldKind::Number(unit) = kind else {
                self.error(
                    Some(param.span()),
                    Some(id),
                    "only number criteria take a `param`".into(),
                );
                return None;
            };
            let need = self.need_from(context, raw, *unit, id)?;
            let parameter = match &need {
                Need::Param(index) => &context.parameters[*index],
                Need::Fixed(_) => unreachable!("need_from returns a parameter when `param` is set"),
            };
            let text = raw
                .requirement
                .clone()
                .unwrap_or_else(|| format!("不少于{}（{}）", parameter.label, parameter.id));
            return Some((
                vec![Some(Requirement::AtLeast(need)); slots],
                vec![text; slots],
            ));
        }
        let texts: Vec<String> = match (&raw.levels, &raw.requirement) {
            (Some(levels), None) => levels.clone(),
            (None, Some(requirement)) => vec![requirement.clone(); slots],
            (Some(_), Some(_)) => {
                self.error(
                    span,
                    Some(id),
                    "give either `levels` or `requirement`, not both".into(),
                );
                return None;
            }
            (None, None) => {
                self.error(
                    span,
                    Some(id),
                    "give `levels` (one per star level) or `requirement`".into(),
                );
                return None;
            }
        };
        if texts.len() != slots {
            self.error(
                span,
                Some(id),
                format!(
                    "expected {slots} entries in `levels`, found {}",
                    texts.len()
                ),
            );
            return None;
        }
        let mut requirements = Vec::with_capacity(slots);
        for text in &texts {
            if is_no_requirement(text) {
                requirements.push(None);
            } else {
                requirements.push(Some(self.requirement(
                    context,
                    kind,
                    text,
                    id,
                    span.clone(),
                )?));
            }
        }
        for (index, pair) in requirements.windows(2).enumerate() {
            let easier = match (&pair[0], &pair[1]) {
                (Some(_), None) => true,
                (Some(lower), Some(higher)) => easier(lower, higher),
                _ => false,
            };
            if easier {
                self.error(
                    span.clone(),
                    Some(id),
                    format!(
                        "requirement gets easier as the level rises: `{}` then `{}`",
                        texts[index],
                        texts[index + 1]
                    ),
                );
            }
        }
        Some((requirements, texts))
    }

    /// Reads one requirement's wording according to the field's kind.
    fn requirement(
        &mut self,
        context: &Context<'_>,
        kind: &FieldKind,
        text: &str,
        id: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<Requirement> {
        let requirement = match kind {
            FieldKind::Number(unit) => unit
                .parse(&normalize_label(text))
                .ok()
                .map(|v| Requirement::AtLeast(Need::Fixed(v))),
            FieldKind::YesNo => {
                matches!(text.trim(), "是" | "有" | "具备").then_some(Requirement::Yes)
            }
            FieldKind::Ordinal(scale) => context.scales[*scale]
                .find(text)
                .flatten()
                .map(Requirement::OrdinalAtLeast),
            FieldKind::Items(items) => chinese_count(text)
                .filter(|n| *n as usize <= items.len())
                .map(Requirement::ItemsAtLeast),
            FieldKind::Date => normalize_label(text)
                .strip_suffix('年')
                .and_then(|n| n.parse().ok())
                .map(Requirement::YearsAtLeast),
            _ => None,
        };
        if requirement.is_none() {
            let expected = match kind {
                FieldKind::Number(unit) => format!("a quantity in {unit}"),
                FieldKind::YesNo => "是, 有, 具备 or -".into(),
                FieldKind::Ordinal(scale) => {
                    format!("a level of scale `{}`", context.scales[*scale].id)
                }
                FieldKind::Items(items) => format!("「任意N项」 with N at most {}", items.len()),
                FieldKind::Date => "N年".into(),
                _ => "a requirement".into(),
            };
            self.error(
                span,
                Some(id),
                format!("cannot read requirement `{text}`: expected {expected}"),
            );
        }
        requirement
    }

    fn need_from(
        &mut self,
        context: &Context<'_>,
        raw: &RawCriterion,
        unit: Unit,
        id: &str,
    ) -> Option<Need> {
        if let Some(param) = &raw.param {
            let Some(index) = context
                .parameters
                .iter()
                .position(|p| &p.id == param.get_ref())
            else {
                self.error(
                    Some(param.span()),
                    Some(id),
                    format!("unknown parameter `{}`", param.get_ref()),
                );
                return None;
            };
            if context.parameters[index].unit != unit {
                self.error(
                    Some(param.span()),
                    Some(id),
                    format!(
                        "parameter `{}` is in {}, the criterion in {unit}",
                        param.get_ref(),
                        context.parameters[index].unit
                    ),
                );
            }
            return Some(Need::Param(index));
        }
        match raw.requirement.as_deref().map(|text| unit.parse(text)) {
            Some(Ok(value)) => Some(Need::Fixed(value)),
            _ => {
                self.error(
                    Some(raw.id.span()),
                    Some(id),
                    "give a `param` or a numeric `requirement`".into(),
                );
                None
            }
        }
    }
}

fn is_no_requirement(text: &str) -> bool {
    matches!(text.trim(), "-" | "—" | "－" | "")
}

fn easier(lower: &Requirement, higher: &Requirement) -> bool {
    match (lower, higher) {
        (Requirement::AtLeast(Need::Fixed(a)), Requirement::AtLeast(Need::Fixed(b))) => b < a,
        (Requirement::OrdinalAtLeast(a), Requirement::OrdinalAtLeast(b)) => b < a,
        (Requirement::ItemsAtLeast(a), Requirement::ItemsAtLeast(b)) => b < a,
        (Requirement::YearsAtLeast(a), Requirement::YearsAtLeast(b)) => b < a,
        _ => false,
    }
}

pub(super) fn same_kind(a: &FieldKind, b: &FieldKind) -> bool {
    match (a, b) {
        (FieldKind::Number(x), FieldKind::Number(y)) => x == y,
        (FieldKind::Ordinal(x), FieldKind::Ordinal(y)) => x == y,
        (FieldKind::Items(x), FieldKind::Items(y)) => x == y,
        (FieldKind::Choice(x), FieldKind::Choice(y)) => x == y,
        (FieldKind::YesNo, FieldKind::YesNo)
        | (FieldKind::Date, FieldKind::Date)
        | (FieldKind::DateOrNone, FieldKind::DateOrNone) => true,
        _ => false,
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn decimal_of(value: &toml::Value) -> Option<Decimal> {
    match value {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(f) => f.to_string().parse().ok(),
        toml::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads the count in 「至少实现任意两项子域内容」, 「一项」, 「任意3项」.
pub(crate) fn chinese_count(text: &str) -> Option<u32> {
    let text = normalize_label(text);
    let before_item = text.split('项').next()?;
    let last = before_item.chars().last()?;
    let digits: String = before_item
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    if !digits.is_empty() {
        return digits.chars().rev().collect::<String>().parse().ok();
    }
    let value = match last {
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        '十' => 10,
        _ => return None,
    };
    (text.contains('项')).then_some(value)
}
