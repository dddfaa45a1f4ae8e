//! The declaration generator: seeded, scheme-driven JSON declarations whose values are spread
//! around each criterion's thresholds, so that every grade (and every status) occurs.
//!
//! Every requirement is read as a monotone threshold on one number in a "domain": the amount
//! itself for numbers, 0/1 for yes/no, the level index for ordinals (−1 = 无), the item count
//! for pools and minus the day number for dates (so that "earlier" is "larger"). A declaration
//! gets a target level; each value then meets the requirement at that level and, where the
//! thresholds allow, fails it at the next one, with jitter, exact-boundary values and missing
//! values mixed in.

use crate::rng::Rng;
use chrono::{Datelike, Months, NaiveDate};
use pingjia_core::engine::Round;
use pingjia_core::scheme::{
    Criterion, Field, FieldKind, Method, Need, OrgKind, ProfessionalRule, Requirement, Scheme,
    Section, Test,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value as Json, json};

/// Percent of values left out in a noisy declaration (the engine reports them as 未填写).
const MISSING_PERCENT: u64 = 4;

/// Generates declarations for one scheme and provider type.
#[derive(Debug)]
pub struct Generator<'a> {
    scheme: &'a Scheme,
    provider_type: Option<usize>,
    round: &'a Round,
    rng: Rng,
    serial: u64,
    noisy: bool,
    /// The organisation kind of the declaration being generated (`None`: not stated).
    org: Option<OrgKind>,
}

/// The number line a requirement is tested on (see the module documentation).
#[derive(Debug, Clone, Copy)]
struct Domain {
    floor: Decimal,
    cap: Option<Decimal>,
    step: Decimal,
    /// How far above the last threshold a value may go.
    span: Decimal,
}

impl<'a> Generator<'a> {
    pub fn new(
        scheme: &'a Scheme,
        provider_type: Option<usize>,
        round: &'a Round,
        seed: u64,
    ) -> Generator<'a> {
        Generator {
            scheme,
            provider_type,
            round,
            rng: Rng::new(seed),
            serial: 0,
            noisy: false,
            org: None,
        }
    }

    /// `n` declarations.
    pub fn many(&mut self, n: usize) -> Vec<Json> {
        (0..n).map(|_| self.declaration()).collect()
    }

    /// One declaration as a JSON tree, in the shape `pingjia template --json` describes.
    pub fn declaration(&mut self) -> Json {
        self.serial += 1;
        let scheme = self.scheme;
        let slots = scheme.slots() as i32;
        let mut root = Map::new();
        root.insert("scheme".into(), json!(scheme.id));
        if let Some(t) = self.provider_type {
            root.insert("provider_type".into(), json!(scheme.provider_types[t].id));
        }

        let mut organization = Map::new();
        organization.insert("name".into(), json!(format!("测试单位{}", self.serial)));
        self.org = match self.rng.weighted(&[75, 10, 5, 10]) {
            0 => Some(OrgKind::Enterprise),
            1 => Some(OrgKind::PublicInstitution),
            2 => Some(OrgKind::SocialOrganization),
            _ => None,
        };
        if let Some(kind) = self.org {
            organization.insert("kind".into(), json!(kind.label()));
        }
        root.insert("organization".into(), Json::Object(organization));

        // Most declarations are clean; a noisy one has values left out and rows that fall short.
        self.noisy = self.rng.chance(30);

        // The level the declaration aims at: −1 (below the lowest) up to the highest slot.
        let base: i32 = match scheme.method {
            Method::Stars => self.rng.weighted(&[15, 25, 30, 30]) as i32 - 1,
            _ => {
                if self.rng.chance(15) {
                    -1
                } else {
                    0
                }
            }
        };

        // Subclasses applied for, and a per-subclass target so that "any subclass" matters.
        let mut chosen: Option<Vec<usize>> = None;
        let mut subclass_base: Vec<i32> = Vec::new();
        if let Some(t) = self.provider_type {
            let provider_type = &scheme.provider_types[t];
            let n = provider_type.subclasses.len();
            subclass_base = (0..n)
                .map(|_| {
                    if self.rng.chance(25) {
                        (base - 1).max(-1)
                    } else {
                        base
                    }
                })
                .collect();
            match provider_type.professional {
                ProfessionalRule::AnySubclass if n > 0 && self.rng.chance(60) => {
                    let k = 1 + self.rng.below(n.min(2) as u64) as usize;
                    let mut picked = self.rng.sample(n, k);
                    picked.sort_unstable();
                    chosen = Some(picked);
                }
                ProfessionalRule::AllSubclasses if n > 0 && self.rng.chance(15) => {
                    chosen = Some((0..n).collect());
                }
                _ => {}
            }
            if let Some(picked) = &chosen {
                root.insert(
                    "subclasses".into(),
                    Json::Array(
                        picked
                            .iter()
                            .map(|s| json!(provider_type.subclasses[*s].id))
                            .collect(),
                    ),
                );
            }
        }

        let mut values = Map::new();
        let mut scored: Vec<(&Criterion, Decimal)> = Vec::new();
        for criterion in &scheme.criteria {
            if !scheme.applies_to(criterion, self.provider_type) {
                continue;
            }
            if let (Some(subclass), Some(picked)) = (criterion.subclass, &chosen)
                && !picked.contains(&subclass)
            {
                continue;
            }
            let own_base = criterion
                .subclass
                .and_then(|s| subclass_base.get(s).copied())
                .unwrap_or(base);
            let target = self.target_for(criterion, own_base, slots);
            match &criterion.test {
                Test::Levels {
                    field,
                    requirements,
                } => {
                    let org = self.org.unwrap_or(OrgKind::Enterprise);
                    let exempt = criterion
                        .exempt_org_kinds
                        .as_ref()
                        .is_some_and(|(_, kinds)| kinds.contains(&org));
                    let over = criterion
                        .overrides
                        .iter()
                        .find(|o| o.org_kinds.contains(&org) && o.level as i32 <= target);
                    if exempt && self.rng.chance(50) {
                        // An exempt row (注1): often left low or empty, as such applicants do.
                        if self.rng.chance(50) {
                            self.put(&mut values, &scheme.fields[*field], requirements, -1);
                        }
                    } else if let Some(over) = over.filter(|_| self.rng.chance(50)) {
                        // A replaced requirement (注3): aim at the replacement, not the table.
                        let mut replaced = requirements.clone();
                        replaced[over.level] = Some(over.requirement.clone());
                        self.put(&mut values, &scheme.fields[*field], &replaced, target);
                    } else {
                        self.put(&mut values, &scheme.fields[*field], requirements, target);
                    }
                }
                Test::NotWithinYears { field, years } => {
                    let id = &scheme.fields[*field].id;
                    if values.contains_key(id) || self.missing() {
                        continue;
                    }
                    let fails = if self.noisy { 10 } else { 0 };
                    // Without a cut-off a date cannot be judged (待批次设定参数): mostly 无 then.
                    let never = if self.round.cutoff.is_some() { 75 } else { 95 };
                    let value =
                        match self
                            .rng
                            .weighted(&[never, 100 - never - fails / 2, fails / 2])
                        {
                            0 => json!("无"),
                            1 => {
                                let extra = self.rng.below(3) as u32;
                                json!(self.date_years_before(*years + extra, 0).to_string())
                            }
                            _ => json!(
                                self.date_years_before(years.saturating_sub(1), 0)
                                    .to_string()
                            ),
                        };
                    values.insert(id.clone(), value);
                }
                Test::OneOf { field } => {
                    let field = &scheme.fields[*field];
                    if values.contains_key(&field.id) || self.missing() {
                        continue;
                    }
                    if let FieldKind::Choice(options) = &field.kind {
                        let pick = self.rng.below(options.len() as u64) as usize;
                        values.insert(field.id.clone(), json!(options[pick]));
                    }
                }
                Test::AnyOf { alternatives } => {
                    for alternative in alternatives {
                        // Each alternative on its own: sometimes one carries the row, sometimes the other.
                        let own = if self.rng.chance(50) {
                            target
                        } else {
                            (target - 1).max(-1)
                        };
                        self.put(
                            &mut values,
                            &scheme.fields[alternative.field],
                            &alternative.requirements,
                            own,
                        );
                    }
                }
                Test::Score { max, .. } => scored.push((criterion, *max)),
                Test::Records {
                    field,
                    count,
                    conditions,
                } => {
                    let field = &scheme.fields[*field];
                    if values.contains_key(&field.id) || self.missing() {
                        continue;
                    }
                    let records = self.records(field, count, conditions, target);
                    values.insert(field.id.clone(), records);
                }
            }
        }
        root.insert("values".into(), Json::Object(values));

        if !scored.is_empty() {
            let experts = [0, 1, 2, 3, 3, 5, 5, 7][self.rng.below(8) as usize];
            let mut sheets = Vec::new();
            for e in 0..experts {
                let mut scores = Map::new();
                for (criterion, max) in &scored {
                    if self.rng.chance(3) {
                        continue;
                    }
                    scores.insert(short_id(&criterion.id).to_owned(), self.score(*max, base));
                }
                sheets.push(json!({ "expert": format!("专家{}", e + 1), "scores": scores }));
            }
            if !sheets.is_empty() {
                root.insert("experts".into(), Json::Array(sheets));
            }
            if self.rng.chance(50) {
                let scores: Map<String, Json> = scored
                    .iter()
                    .map(|(criterion, max)| {
                        (short_id(&criterion.id).to_owned(), self.score(*max, base))
                    })
                    .collect();
                root.insert("self_scores".into(), Json::Object(scores));
            }
        }
        Json::Object(root)
    }

    /// Whether to leave the next value out.
    fn missing(&mut self) -> bool {
        self.noisy && self.rng.chance(MISSING_PERCENT)
    }

    /// The level one row aims at: the declaration's target with some jitter. Single-slot rows
    /// of a stars scheme (gates, the shortcut) are met or not on their own.
    fn target_for(&mut self, criterion: &Criterion, base: i32, slots: i32) -> i32 {
        let single = match &criterion.test {
            Test::Levels { requirements, .. } => requirements.len() <= 1,
            Test::AnyOf { alternatives } => alternatives
                .first()
                .is_none_or(|a| a.requirements.len() <= 1),
            _ => true,
        };
        if self.scheme.method == Method::Stars && single {
            let met = match criterion.section {
                Section::Shortcut => 12,
                _ if self.noisy => 90,
                _ => 100,
            };
            return if self.rng.chance(met) { 0 } else { -1 };
        }
        let down = if self.noisy { 5 } else { 0 };
        match self.rng.weighted(&[down, 10, 90 - down]) {
            0 => (base - 1).max(-1),
            1 => (base + 1).min(slots - 1),
            _ => base,
        }
    }

    /// Puts a value for `field` aimed at `target` under `requirements`, unless it is already
    /// there (several rows may read one field) or this value is to be left out.
    fn put(
        &mut self,
        values: &mut Map<String, Json>,
        field: &Field,
        requirements: &[Option<Requirement>],
        target: i32,
    ) {
        if values.contains_key(&field.id) || self.missing() {
            return;
        }
        if let Some(value) = self.value(field, requirements, target) {
            values.insert(field.id.clone(), value);
        }
    }

    fn value(
        &mut self,
        field: &Field,
        requirements: &[Option<Requirement>],
        target: i32,
    ) -> Option<Json> {
        let domain = self.domain(&field.kind)?;
        let needs: Vec<Option<Decimal>> = requirements
            .iter()
            .map(|r| r.as_ref().and_then(|r| self.need_of(r)))
            .collect();
        let x = self.pick(&needs, target, domain);
        Some(self.render(field, x))
    }

    fn domain(&self, kind: &FieldKind) -> Option<Domain> {
        let one = Decimal::ONE;
        Some(match kind {
            FieldKind::Number(unit) => {
                let step = if unit.is_integral() {
                    one
                } else {
                    Decimal::new(1, 1)
                };
                Domain {
                    floor: Decimal::ZERO,
                    cap: None,
                    step,
                    span: Decimal::ZERO,
                }
            }
            FieldKind::YesNo => Domain {
                floor: Decimal::ZERO,
                cap: Some(one),
                step: one,
                span: one,
            },
            FieldKind::Ordinal(scale) => {
                let top = self.scheme.scales[*scale].levels.len() as i64 - 1;
                Domain {
                    floor: -one,
                    cap: Some(Decimal::from(top)),
                    step: one,
                    span: Decimal::from(top + 1),
                }
            }
            FieldKind::Items(items) => Domain {
                floor: Decimal::ZERO,
                cap: Some(Decimal::from(items.len())),
                step: one,
                span: Decimal::from(items.len()),
            },
            FieldKind::Date | FieldKind::DateOrNone => {
                let latest = self.cutoff();
                Domain {
                    floor: -Decimal::from(latest.num_days_from_ce()),
                    cap: None,
                    step: one,
                    span: Decimal::from(3000),
                }
            }
            FieldKind::Choice(_) | FieldKind::Records(_) => return None,
        })
    }

    fn cutoff(&self) -> NaiveDate {
        self.round
            .cutoff
            .or(self.scheme.round.cutoff)
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(2021, 6, 30).unwrap_or_default())
    }

    /// A requirement as a threshold in its domain; `None` when a round parameter is unset.
    fn need_of(&self, requirement: &Requirement) -> Option<Decimal> {
        Some(match requirement {
            Requirement::AtLeast(Need::Fixed(value)) => *value,
            Requirement::AtLeast(Need::Param(index)) => {
                self.round.params.get(*index).copied().flatten()?
            }
            Requirement::Yes => Decimal::ONE,
            Requirement::OrdinalAtLeast(level) => Decimal::from(*level),
            Requirement::ItemsAtLeast(count) => Decimal::from(*count),
            Requirement::YearsAtLeast(years) => {
                -Decimal::from(self.latest_date_meeting(*years).num_days_from_ce())
            }
        })
    }

    /// The last date that is `years` full years old at the cut-off.
    fn latest_date_meeting(&self, years: u32) -> NaiveDate {
        let cutoff = self.cutoff();
        // The day before the cut-off's month-day in an earlier year could be 29 February; going
        // back in months keeps the civil-code reading (the anniversary is on or before the cut-off).
        cutoff
            .checked_sub_months(Months::new(years * 12))
            .unwrap_or(cutoff)
    }

    /// A date `years` years and `days` days before the cut-off, with a random offset inside the year.
    fn date_years_before(&mut self, years: u32, days: u64) -> NaiveDate {
        let base = self.latest_date_meeting(years);
        let offset = days + self.rng.below(300);
        base - chrono::Days::new(offset)
    }

    /// A value in the domain that meets every threshold up to `target` and, where possible,
    /// none above it.
    fn pick(&mut self, needs: &[Option<Decimal>], target: i32, domain: Domain) -> Decimal {
        let met = needs
            .iter()
            .take((target + 1).max(0) as usize)
            .flatten()
            .copied()
            .max();
        let unmet = needs
            .iter()
            .skip((target + 1).max(0) as usize)
            .flatten()
            .copied()
            .filter(|n| met.is_none_or(|m| *n > m))
            .min();
        let lo = met.unwrap_or(domain.floor).max(domain.floor);
        let hi = match unmet {
            Some(n) => n,
            None => {
                let span = if domain.span.is_zero() {
                    (lo.abs() * Decimal::new(6, 1)).max(domain.step * Decimal::from(10))
                } else {
                    domain.span
                };
                lo + span
            }
        };
        let x = if hi <= lo {
            lo
        } else {
            match self.rng.below(100) {
                // Exactly on the threshold met.
                0..20 if met.is_some() => lo,
                // Just below the next threshold.
                20..35 if unmet.is_some() => (hi - domain.step).max(lo),
                _ => {
                    let fraction = Decimal::from(self.rng.below(1000)) / Decimal::from(1000);
                    let raw = lo + (hi - lo) * fraction;
                    let stepped = (raw / domain.step).floor() * domain.step;
                    if stepped < lo { lo } else { stepped }
                }
            }
        };
        match domain.cap {
            Some(cap) => x.min(cap),
            None => x,
        }
    }

    fn render(&mut self, field: &Field, x: Decimal) -> Json {
        match &field.kind {
            FieldKind::Number(_) => number(x),
            FieldKind::YesNo => Json::Bool(x >= Decimal::ONE),
            FieldKind::Ordinal(scale) => {
                let levels = &self.scheme.scales[*scale].levels;
                match x.to_i64() {
                    Some(i) if i >= 0 && (i as usize) < levels.len() => {
                        json!(levels[i as usize].label)
                    }
                    _ => json!("无"),
                }
            }
            FieldKind::Items(items) => {
                let k = x.to_usize().unwrap_or(0);
                let mut picked = self.rng.sample(items.len(), k);
                picked.sort_unstable();
                Json::Array(picked.iter().map(|i| json!(items[*i])).collect())
            }
            FieldKind::Date | FieldKind::DateOrNone => {
                let days = (-x).to_i32().unwrap_or(0);
                json!(
                    NaiveDate::from_num_days_from_ce_opt(days)
                        .unwrap_or_default()
                        .to_string()
                )
            }
            FieldKind::Choice(options) => json!(options.first()),
            FieldKind::Records(_) => Json::Array(Vec::new()),
        }
    }

    fn records(
        &mut self,
        field: &Field,
        count: &Need,
        conditions: &[Criterion],
        target: i32,
    ) -> Json {
        let FieldKind::Records(spec) = &field.kind else {
            return Json::Array(Vec::new());
        };
        let wanted = match count {
            Need::Fixed(value) => value.to_u64().unwrap_or(1),
            Need::Param(index) => self
                .round
                .params
                .get(*index)
                .copied()
                .flatten()
                .and_then(|v| v.to_u64())
                .unwrap_or(3),
        };
        let n = if target >= 0 {
            wanted + self.rng.below(2)
        } else {
            self.rng.below(wanted + 1)
        };
        let keys: Vec<String> = if spec.key_options.is_empty() {
            (0..n)
                .map(|i| format!("行业{}", i + 1 + u64::from(self.rng.chance(5))))
                .collect()
        } else {
            self.rng
                .sample(spec.key_options.len(), n as usize)
                .into_iter()
                .map(|i| spec.key_options[i].clone())
                .collect()
        };
        let mut records = Vec::new();
        for key in keys {
            let mut record = Map::new();
            record.insert("name".into(), json!(key));
            for condition in conditions {
                let own = if target >= 0 && (!self.noisy || self.rng.chance(90)) {
                    0
                } else {
                    -1
                };
                match &condition.test {
                    Test::Levels {
                        field,
                        requirements,
                    } => {
                        self.put(&mut record, &spec.fields[*field], requirements, own);
                    }
                    Test::AnyOf { alternatives } => {
                        for alternative in alternatives {
                            let alt = if self.rng.chance(60) { own } else { -1 };
                            self.put(
                                &mut record,
                                &spec.fields[alternative.field],
                                &alternative.requirements,
                                alt,
                            );
                        }
                    }
                    _ => {}
                }
            }
            records.push(Json::Object(record));
        }
        Json::Array(records)
    }

    fn score(&mut self, max: Decimal, base: i32) -> Json {
        let max_halves = (max * Decimal::from(2)).to_u64().unwrap_or(20);
        let low = if base >= 0 { max_halves / 2 } else { 0 };
        let halves = low + self.rng.below(max_halves - low + 1);
        number(Decimal::from(halves) / Decimal::from(2))
    }
}

/// The last part of a dotted criterion id (`rubric.equipment` → `equipment`).
fn short_id(id: &str) -> &str {
    id.rsplit('.').next().unwrap_or(id)
}

/// A decimal as a JSON number, exactly as written.
fn number(x: Decimal) -> Json {
    serde_json::from_str(&x.normalize().to_string()).unwrap_or(Json::Null)
}

/// Every scheme id and provider type of a catalog, as `(id, scheme index, provider type)`.
pub fn all_targets(catalog: &pingjia_core::Catalog) -> Vec<(String, usize, Option<usize>)> {
    let mut targets = Vec::new();
    for (index, scheme) in catalog.schemes.iter().enumerate() {
        if scheme.provider_types.is_empty() {
            targets.push((scheme.id.clone(), index, None));
        }
        for (t, provider_type) in scheme.provider_types.iter().enumerate() {
            targets.push((
                format!("{}/{}", scheme.id, provider_type.id),
                index,
                Some(t),
            ));
        }
    }
    targets
}

/// The round used for benchmarks: the scheme's own, with example values for unset parameters
/// (the MIIT scheme leaves its 「一定数量」 thresholds to the authority).
pub fn bench_round(scheme: &Scheme) -> Round {
    let mut round = Round::from_scheme(scheme);
    round.use_examples(scheme);
    round
}
