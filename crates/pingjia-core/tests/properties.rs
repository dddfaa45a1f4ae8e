//! Properties of the engine that no single case can show: improving any one value never
//! lowers a grade, and no input — however malformed — makes reading or grading panic.

use chrono::NaiveDate;
use pingjia_core::declaration::{Declaration, Organization, Value};
use pingjia_core::engine::{Outcome, Round};
use pingjia_core::scheme::{FieldKind, OrgKind, Scheme};
use pingjia_core::{Catalog, evaluate, parse_scheme, read_declaration, report};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().expect("embedded schemes load"))
}

/// A small deterministic generator, so a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A random value of a field, spread around typical thresholds.
fn random_value(scheme: &Scheme, kind: &FieldKind, rng: &mut Rng) -> Option<Value> {
    if rng.below(10) == 0 {
        return None;
    }
    Some(match kind {
        FieldKind::Number(_) => {
            let magnitude = [
                1u64,
                10,
                100,
                1_000,
                10_000,
                100_000,
                1_000_000,
                10_000_000,
                100_000_000,
                10_000_000_000,
            ][rng.below(10) as usize];
            Value::Number(Decimal::from(rng.below(magnitude * 3)))
        }
        FieldKind::YesNo => Value::Bool(rng.below(2) == 1),
        FieldKind::Ordinal(scale) => {
            let levels = scheme.scales[*scale].levels.len() as u64;
            let pick = rng.below(levels + 1);
            Value::Level((pick > 0).then(|| (pick - 1) as u16))
        }
        FieldKind::Items(items) => Value::Items(rng.next() & ((1u64 << items.len()) - 1)),
        FieldKind::Date => Value::Date(
            NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Days::new(rng.below(2900)),
        ),
        FieldKind::DateOrNone => {
            if rng.below(3) == 0 {
                Value::Date(
                    NaiveDate::from_ymd_opt(2017, 1, 1).unwrap()
                        + chrono::Days::new(rng.below(2000)),
                )
            } else {
                Value::NoDate
            }
        }
        FieldKind::Choice(options) => match rng.below(options.len() as u64 + 1) {
            0 => Value::Unlisted("其他".into()),
            pick => Value::Choice((pick - 1) as u16),
        },
        FieldKind::Records(_) => return None,
    })
}

/// Values that meet every row of a provider type at a random level, then a few of them
/// degraded at random: this spreads the grades over 0–5 instead of leaving almost all at 0.
fn near_level(
    scheme: &Scheme,
    provider_type: usize,
    round: &Round,
    rng: &mut Rng,
) -> Vec<Option<Value>> {
    use pingjia_core::scheme::{Need, Requirement, Test};
    let slot = rng.below(scheme.levels.len() as u64) as usize;
    let cutoff = round.cutoff.expect("Jiangsu rounds have a cut-off");
    let mut values: Vec<Option<Value>> = scheme
        .fields
        .iter()
        .map(|f| random_value(scheme, &f.kind, rng))
        .collect();
    let meet = |requirement: &Requirement, kind: &FieldKind, rng: &mut Rng| -> Option<Value> {
        Some(match requirement {
            Requirement::AtLeast(Need::Fixed(v)) => Value::Number(*v + Decimal::from(rng.below(3))),
            Requirement::AtLeast(Need::Param(_)) => return None,
            Requirement::Yes => Value::Bool(true),
            Requirement::OrdinalAtLeast(level) => Value::Level(Some(*level)),
            Requirement::ItemsAtLeast(n) => Value::Items((1u64 << n) - 1),
            Requirement::YearsAtLeast(years) => {
                let back = chrono::Months::new(years * 12);
                let _ = kind;
                Value::Date(
                    cutoff.checked_sub_months(back).unwrap() - chrono::Days::new(rng.below(3)),
                )
            }
        })
    };
    for criterion in scheme
        .criteria
        .iter()
        .filter(|c| scheme.applies_to(c, Some(provider_type)))
    {
        match &criterion.test {
            Test::Levels {
                field,
                requirements,
            } => {
                let requirement = requirements
                    .get(slot)
                    .or(requirements.first())
                    .and_then(Option::as_ref);
                if let Some(requirement) = requirement {
                    values[*field] = meet(requirement, &scheme.fields[*field].kind, rng);
                }
            }
            Test::NotWithinYears { field, .. } => values[*field] = Some(Value::NoDate),
            Test::AnyOf { alternatives } => {
                let pick = &alternatives[rng.below(alternatives.len() as u64) as usize];
                if let Some(requirement) = pick.requirements.get(slot).and_then(Option::as_ref) {
                    values[pick.field] = meet(requirement, &scheme.fields[pick.field].kind, rng);
                }
            }
            _ => {}
        }
    }
    for (value, field) in values.iter_mut().zip(&scheme.fields) {
        if rng.below(12) == 0 {
            *value = random_value(scheme, &field.kind, rng);
        }
    }
    values
}

/// The same value, improved: larger, higher, one more item, earlier date, yes, no event.
fn improve(
    scheme: &Scheme,
    kind: &FieldKind,
    value: Option<&Value>,
    rng: &mut Rng,
) -> Option<Value> {
    let Some(value) = value else {
        // Filling in a missing value never hurts either; use a random one.
        return random_value(scheme, kind, rng);
    };
    Some(match (kind, value) {
        (_, Value::Number(n)) => Value::Number(*n + Decimal::from(rng.below(1_000_000) + 1)),
        (_, Value::Bool(_)) => Value::Bool(true),
        (FieldKind::Ordinal(scale), Value::Level(level)) => {
            let top = scheme.scales[*scale].levels.len() as u16 - 1;
            Value::Level(Some(level.map_or(0, |l| (l + 1).min(top))))
        }
        (FieldKind::Items(items), Value::Items(bits)) => {
            Value::Items(bits | (1 << rng.below(items.len() as u64)))
        }
        (_, Value::Date(date)) => match kind {
            FieldKind::DateOrNone => Value::NoDate,
            _ => Value::Date(*date - chrono::Days::new(rng.below(800) + 1)),
        },
        (FieldKind::Choice(_), Value::Unlisted(_)) => Value::Choice(0),
        (_, other) => other.clone(),
    })
}

fn stars(scheme: &Scheme, declaration: &Declaration, round: &Round) -> u8 {
    match evaluate(scheme, declaration, round).outcome {
        Outcome::Stars { stars, .. } => stars,
        other => panic!("not a stars outcome: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Raising one value (declared or confirmed) never lowers the Jiangsu grade, for every
    /// provider type and organisation kind.
    #[test]
    fn improving_a_value_never_lowers_the_grade(seed in 1u64.., type_pick in 0usize..8, kind_pick in 0usize..3, confirmed in any::<bool>()) {
        let catalog = catalog();
        let target = catalog.resolve("jiangsu-pool-2021").unwrap();
        let scheme = &catalog.schemes[target.scheme];
        let round = Round::from_scheme(scheme);
        let mut rng = Rng(seed);
        let provider_type = type_pick % scheme.provider_types.len();
        let kind = [OrgKind::Enterprise, OrgKind::PublicInstitution, OrgKind::SocialOrganization][kind_pick];
        let declared = near_level(scheme, provider_type, &round, &mut rng);
        let mut declaration = Declaration {
            scheme: scheme.id.clone(),
            provider_type: Some(provider_type),
            organization: Organization { name: None, kind: Some(kind), credit_code: None },
            subclasses: None,
            declared,
            confirmed: vec![None; scheme.fields.len()],
            experts: Vec::new(),
            self_scores: vec![None; scheme.criteria.len()],
        };
        let before = stars(scheme, &declaration, &round);
        let field = rng.below(scheme.fields.len() as u64) as usize;
        let kind = &scheme.fields[field].kind;
        if confirmed {
            let current = declaration.confirmed[field].clone().or_else(|| declaration.declared[field].clone());
            declaration.confirmed[field] = improve(scheme, kind, current.as_ref(), &mut rng);
        } else if declaration.confirmed[field].is_none() {
            declaration.declared[field] = improve(scheme, kind, declaration.declared[field].as_ref(), &mut rng);
        }
        let after = stars(scheme, &declaration, &round);
        prop_assert!(after >= before, "field {} raised, grade fell {} → {}", scheme.fields[field].id, before, after);
    }

    /// Any JSON tree, read against any scheme, yields a declaration or errors; grading and
    /// explaining whatever is accepted never panics.
    #[test]
    fn arbitrary_declarations_never_panic(tree in arbitrary_declaration(), scheme_pick in 0usize..3, type_pick in 0usize..8) {
        let catalog = catalog();
        let scheme = &catalog.schemes[scheme_pick];
        let provider_type = (!scheme.provider_types.is_empty()).then_some(type_pick % scheme.provider_types.len().max(1));
        if let Ok(declaration) = read_declaration(&tree, scheme, provider_type) {
            let mut round = Round::from_scheme(scheme);
            round.use_examples(scheme);
            let evaluation = evaluate(scheme, &declaration, &round);
            let explained = report(&evaluation);
            let _ = explained.to_text();
            let _ = explained.to_markdown();
        }
    }

    /// Arbitrary text in any format is read or rejected, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        for format in [pingjia_core::Format::Json, pingjia_core::Format::Toml, pingjia_core::Format::Yaml] {
            let _ = pingjia_core::declaration::parse_tree(&text, format);
        }
        let _ = parse_scheme("fuzz.toml", &text);
    }

    /// Scheme files with lines removed either load or report errors; they never panic.
    #[test]
    fn damaged_scheme_files_never_panic(scheme_pick in 0usize..3, cut in 0usize..2000, length in 1usize..40) {
        let (name, text) = pingjia_core::builtin::SCHEME_FILES[scheme_pick];
        let lines: Vec<&str> = text.lines().collect();
        let start = cut % lines.len();
        let end = (start + length).min(lines.len());
        let damaged = [&lines[..start], &lines[end..]].concat().join("\n");
        let _ = parse_scheme(name, &damaged);
    }
}

/// Declaration-shaped JSON: known keys with values of every JSON type, including field ids of
/// the embedded schemes, so that value parsing is exercised, not just the top level.
fn arbitrary_declaration() -> impl Strategy<Value = serde_json::Value> {
    let catalog = catalog();
    let mut field_ids: Vec<String> = catalog
        .schemes
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.id.clone()))
        .collect();
    field_ids.sort();
    field_ids.dedup();
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        prop_oneof![
            ".{0,12}",
            Just("1200万".to_owned()),
            Just("无".to_owned()),
            Just("是".to_owned()),
            Just("2019-02-29".to_owned()),
            Just("9999999999999999999999999999亿".to_owned()),
            Just("三级".to_owned()),
        ]
        .prop_map(serde_json::Value::String),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}|name|expert|scores", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    let field = prop::sample::select(field_ids);
    (
        prop::collection::vec((field, value.clone()), 0..20),
        prop::option::of(value.clone()),
        prop::option::of(prop::sample::select(vec![
            "企业",
            "事业单位",
            "社会团体",
            "公司",
        ])),
        prop::option::of(value),
    )
        .prop_map(|(values, experts, kind, subclasses)| {
            let mut object = serde_json::Map::new();
            object.insert(
                "values".into(),
                serde_json::Value::Object(values.into_iter().collect()),
            );
            if let Some(kind) = kind {
                object.insert("organization".into(), serde_json::json!({ "kind": kind }));
            }
            if let Some(experts) = experts {
                object.insert("experts".into(), experts);
            }
            if let Some(subclasses) = subclasses {
                object.insert("subclasses".into(), subclasses);
            }
            serde_json::Value::Object(object)
        })
}

/// The generator must spread grades, or the monotonicity property would hold vacuously.
#[test]
fn generated_declarations_reach_every_grade() {
    let catalog = catalog();
    let scheme = &catalog.schemes[0];
    let round = Round::from_scheme(scheme);
    let mut seen = [0usize; 6];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for seed in 0..400u64 {
        let provider_type = (seed % scheme.provider_types.len() as u64) as usize;
        let declaration = Declaration {
            scheme: scheme.id.clone(),
            provider_type: Some(provider_type),
            organization: Organization::default(),
            subclasses: None,
            declared: near_level(scheme, provider_type, &round, &mut rng),
            confirmed: vec![None; scheme.fields.len()],
            experts: Vec::new(),
            self_scores: vec![None; scheme.criteria.len()],
        };
        seen[stars(scheme, &declaration, &round) as usize] += 1;
    }
    for grade in [0, 3, 4, 5] {
        assert!(
            seen[grade] >= 20,
            "grade {grade} reached only {} times of 400: {seen:?}",
            seen[grade]
        );
    }
}
