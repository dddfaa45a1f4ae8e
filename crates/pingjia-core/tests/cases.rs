//! Hand-computed cases: every file under `tests/cases/` states a declaration, the round, and
//! the grade, findings and gaps expected *from the document*. One helper runs them all and
//! reports every mismatch, naming the file.

use pingjia_core::engine::{Outcome, Round, Status};
use pingjia_core::units::round_half_up;
use pingjia_core::{Catalog, evaluate, read_declaration};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    /// `scheme` or `scheme/provider_type`.
    scheme: String,
    #[serde(default)]
    round: CaseRound,
    expect: Expect,
    declaration: toml::Table,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseRound {
    cutoff: Option<String>,
    reference_year: Option<i32>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    aggregation: Option<String>,
    /// The round asks for the materials the scheme marks optional (第七条（八）).
    request_optional_materials: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Stars method: 0 = 不予定级.
    stars: Option<u8>,
    via_subclass: Option<String>,
    via_shortcut: Option<bool>,
    /// Rubric method.
    eligible: Option<bool>,
    /// The engine's total, compared at four decimals.
    score: Option<String>,
    /// The total as the report shows it: two decimals, rounded half up (四舍五入).
    displayed_score: Option<String>,
    /// Capability method: part id → status.
    #[serde(default)]
    parts: BTreeMap<String, String>,
    /// Expected input errors (field paths) instead of a result.
    #[serde(default)]
    input_errors: Vec<String>,
    #[serde(default)]
    finding: Vec<ExpectFinding>,
    #[serde(default)]
    gap: Vec<ExpectGap>,
    #[serde(default)]
    divergent: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFinding {
    id: String,
    /// Status per level (stars) …
    levels: Option<Vec<String>>,
    /// … or the single status.
    status: Option<String>,
    /// For rubric items: the aggregated score.
    aggregate: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectGap {
    /// Stars of the level, or a part id.
    stars: Option<u8>,
    part: Option<String>,
    via_subclass: Option<String>,
    /// Exactly the criteria ids that must change.
    changes: Vec<String>,
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::NotMet => "not_met",
        Status::Exempt => "exempt",
        Status::Missing => "missing",
        Status::NotApplicable => "na",
        Status::MissingParameter => "missing_parameter",
    }
}

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            case_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// Runs one case; returns every mismatch.
fn check(catalog: &Catalog, path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let case: Case = match toml::from_str(&text) {
        Ok(case) => case,
        Err(error) => return vec![format!("cannot read case: {error}")],
    };
    let mut problems = Vec::new();
    let target = match catalog.resolve(&case.scheme) {
        Ok(target) => target,
        Err(error) => return vec![error.to_string()],
    };
    let scheme = &catalog.schemes[target.scheme];
    let mut round = Round::from_scheme(scheme);
    if let Some(cutoff) = &case.round.cutoff {
        round.cutoff = pingjia_core::declaration::parse_date(cutoff);
    }
    if let Some(year) = case.round.reference_year {
        round.reference_year = Some(year);
    }
    if let Some(rule) = &case.round.aggregation {
        round.aggregation = pingjia_core::scheme::Aggregation::parse(rule).expect("aggregation");
    }
    if let Some(requested) = case.round.request_optional_materials {
        round.request_optional_materials = requested;
    }
    for (key, value) in &case.round.params {
        if let Err(error) = round.set_param(scheme, key, value) {
            problems.push(error.to_string());
        }
    }
    let declaration_text = toml::to_string(&case.declaration).unwrap();
    let tree = pingjia_core::declaration::parse_tree(&declaration_text, pingjia_core::Format::Toml)
        .unwrap();
    let declaration = match read_declaration(&tree, scheme, target.provider_type) {
        Ok(declaration) => {
            if !case.expect.input_errors.is_empty() {
                problems.push(format!(
                    "expected input errors {:?}, but the declaration was accepted",
                    case.expect.input_errors
                ));
            }
            declaration
        }
        Err(errors) => {
            let mut got: Vec<String> = errors.0.iter().map(|e| e.field.clone()).collect();
            got.sort();
            let mut wanted = case.expect.input_errors.clone();
            wanted.sort();
            if got != wanted {
                problems.push(format!(
                    "input errors: expected {wanted:?}, got {got:?}:\n{errors}"
                ));
            }
            return problems;
        }
    };
    let evaluation = evaluate(scheme, &declaration, &round);
    let expect = &case.expect;
    let provider_type = target
        .provider_type
        .or(declaration.provider_type)
        .map(|t| &scheme.provider_types[t]);
    let subclass_id = |index: Option<usize>| {
        index.and_then(|i| provider_type.map(|t| t.subclasses[i].id.clone()))
    };

    match &evaluation.outcome {
        Outcome::Stars {
            stars,
            via_subclass,
            via_shortcut,
            ..
        } => {
            if let Some(wanted) = expect.stars
                && wanted != *stars
            {
                problems.push(format!("stars: expected {wanted}, got {stars}"));
            }
            if let Some(wanted) = &expect.via_subclass
                && Some(wanted) != subclass_id(*via_subclass).as_ref()
            {
                problems.push(format!(
                    "via_subclass: expected {wanted}, got {:?}",
                    subclass_id(*via_subclass)
                ));
            }
            if let Some(wanted) = expect.via_shortcut
                && wanted != *via_shortcut
            {
                problems.push(format!(
                    "via_shortcut: expected {wanted}, got {via_shortcut}"
                ));
            }
        }
        Outcome::Rubric {
            eligible, score, ..
        } => {
            if let Some(wanted) = expect.eligible
                && wanted != *eligible
            {
                problems.push(format!("eligible: expected {wanted}, got {eligible}"));
            }
            if let Some(wanted) = &expect.score {
                let got = score.map(|s| round_half_up(s, 4).normalize().to_string());
                if got.as_deref() != Some(wanted.as_str()) {
                    problems.push(format!("score: expected {wanted}, got {got:?}"));
                }
            }
            if let Some(wanted) = &expect.displayed_score {
                let shown = pingjia_core::report(&evaluation)
                    .score
                    .map(|s| s.to_string());
                if shown.as_deref() != Some(wanted.as_str()) {
                    problems.push(format!("displayed score: expected {wanted}, got {shown:?}"));
                }
            }
        }
        Outcome::Capability { parts } => {
            for (part_id, wanted) in &expect.parts {
                match scheme.parts.iter().position(|p| &p.id == part_id) {
                    Some(index) if status_name(parts[index]) == wanted => {}
                    Some(index) => problems.push(format!(
                        "part {part_id}: expected {wanted}, got {}",
                        status_name(parts[index])
                    )),
                    None => problems.push(format!("unknown part {part_id}")),
                }
            }
        }
    }

    for wanted in &expect.finding {
        let Some(finding) = evaluation
            .findings
            .iter()
            .find(|f| f.criterion.id == wanted.id)
        else {
            problems.push(format!("no finding for {}", wanted.id));
            continue;
        };
        if let Some(levels) = &wanted.levels {
            let got: Vec<&str> = (0..finding.slots as usize)
                .map(|slot| status_name(finding.status(slot)))
                .collect();
            if got != *levels {
                problems.push(format!(
                    "{}: expected levels {levels:?}, got {got:?}",
                    wanted.id
                ));
            }
        }
        if let Some(status) = &wanted.status {
            let got = status_name(finding.status(0));
            if got != status {
                problems.push(format!("{}: expected {status}, got {got}", wanted.id));
            }
        }
        if let Some(aggregate) = &wanted.aggregate {
            let got = finding
                .scores
                .as_ref()
                .and_then(|s| s.aggregate)
                .map(|a| round_half_up(a, 4).normalize().to_string());
            if got.as_deref() != Some(aggregate.as_str()) {
                problems.push(format!(
                    "{}: expected aggregate {aggregate}, got {got:?}",
                    wanted.id
                ));
            }
        }
    }
    for divergent in &expect.divergent {
        let flagged = evaluation.findings.iter().any(|f| {
            f.criterion.id == *divergent && f.scores.as_ref().is_some_and(|s| s.divergent)
        });
        if !flagged {
            problems.push(format!("{divergent}: expected a divergence flag"));
        }
    }
    let flagged: Vec<&str> = evaluation
        .findings
        .iter()
        .filter(|f| f.scores.as_ref().is_some_and(|s| s.divergent))
        .map(|f| f.criterion.id.as_str())
        .collect();
    for id in flagged {
        if scheme.method == pingjia_core::scheme::Method::Rubric
            && !expect.divergent.iter().any(|d| d == id)
        {
            problems.push(format!("{id}: unexpected divergence flag"));
        }
    }

    for wanted in &expect.gap {
        let gap =
            evaluation
                .gaps
                .iter()
                .find(|gap| match (wanted.stars, &wanted.part, gap.target) {
                    (Some(stars), _, Some(slot)) => {
                        scheme.levels.get(slot).is_some_and(|l| l.stars == stars)
                    }
                    (None, Some(part), Some(index)) => {
                        scheme.parts.get(index).is_some_and(|p| &p.id == part)
                    }
                    (None, None, None) => true,
                    _ => false,
                });
        let Some(gap) = gap else {
            problems.push(format!("no gap for {:?}/{:?}", wanted.stars, wanted.part));
            continue;
        };
        let mut got: Vec<String> = gap
            .changes
            .iter()
            .map(|(index, _)| evaluation.findings[*index].criterion.id.clone())
            .collect();
        got.sort();
        let mut changes = wanted.changes.clone();
        changes.sort();
        if got != changes {
            problems.push(format!(
                "gap {:?}{:?}: expected changes {changes:?}, got {got:?}",
                wanted.stars, wanted.part
            ));
        }
        if let Some(via) = &wanted.via_subclass
            && Some(via) != subclass_id(gap.via_subclass).as_ref()
        {
            problems.push(format!(
                "gap via_subclass: expected {via}, got {:?}",
                subclass_id(gap.via_subclass)
            ));
        }
    }
    if expect.stars.is_some() && expect.gap.is_empty() && expect.stars != Some(5) {
        // Every stars case below five stars must state its gaps: the reasons are the point.
        problems.push("a stars case below the top level must state its expected gaps".into());
    }
    let _ = &case.description;
    problems
}

#[test]
fn hand_computed_cases() {
    let catalog = Catalog::builtin().expect("embedded schemes load");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases");
    let mut files = Vec::new();
    case_files(&root, &mut files);
    assert!(!files.is_empty(), "no cases found under {}", root.display());
    let mut failures = Vec::new();
    for file in &files {
        let problems = check(&catalog, file);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", file.display(), problems.join("\n  ")));
        }
    }
    println!("{} cases, {} failing", files.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
