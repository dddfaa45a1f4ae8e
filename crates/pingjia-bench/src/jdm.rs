//! The peer's rules: one Jiangsu provider type's star table written as a GoRules JSON Decision
//! Model (JDM) graph for zen-engine.
//!
//! The graph is what a rules author would draw for the table:
//!
//! ```text
//! input → rows (expression) → levels (expression)
//!       → grade (decision table, first hit) → output
//! ```
//!
//! * `rows` has one boolean per table row and level: "this row holds at this level" — the
//!   threshold, 注1 exemptions and the 注3 override (by `organization.kind`; absent = 企业),
//!   `-` cells (no expression), and whether each subclass was applied for.
//! * `levels` combines rows into `ok_<slot>` per star level (gates, 基础要求, 服务要求 and the
//!   专业要求 of at least one applied-for subclass, 注4 per subclass), plus `gates` and `shortcut`.
//! * `grade` is a first-hit decision table: highest level reached → stars; else the 省重点平台
//!   shortcut with gates met → the lowest level; else 0.
//!
//! The graph is derived mechanically from the scheme data (the same tables pingjia loads), so a
//! transcription slip cannot make the comparison unfair in either direction; the benchmark
//! then checks zen's grade against pingjia's on every generated declaration.
//!
//! Durations (注2) are written as "date on or before the last qualifying date" (the cut-off
//! minus N years, computed when the graph is built). zen's own `d(x).add(N, 'y')` returns an
//! invalid date for 29 February starts, where pingjia (民法典第二百零三条) ends on 28 February.

use chrono::{Months, NaiveDate};
use pingjia_core::scheme::{
    Criterion, FieldKind, Need, OrgKind, ProfessionalRule, Requirement, Scheme, Section, Test,
};
use serde_json::{Value as Json, json};

/// Builds the JDM graph of one provider type of a stars scheme.
pub fn stars_decision(scheme: &Scheme, provider_type: usize) -> Json {
    let builder = Builder {
        scheme,
        provider_type,
    };
    builder.graph()
}

struct Builder<'a> {
    scheme: &'a Scheme,
    provider_type: usize,
}

/// One table row that applies to the provider type, with its index among the criteria.
struct Row<'a> {
    index: usize,
    criterion: &'a Criterion,
}

impl<'a> Builder<'a> {
    fn rows(&self) -> Vec<Row<'a>> {
        self.scheme
            .criteria
            .iter()
            .enumerate()
            .filter(|(_, c)| self.scheme.applies_to(c, Some(self.provider_type)))
            .map(|(index, criterion)| Row { index, criterion })
            .collect()
    }

    fn graph(&self) -> Json {
        let scheme = self.scheme;
        let provider_type = &scheme.provider_types[self.provider_type];
        let rows = self.rows();
        let slots = scheme.slots();

        // Node `rows`: one expression per row and level that has a requirement.
        let mut row_expressions = Vec::new();
        for row in &rows {
            if row.criterion.section == Section::Shortcut {
                continue;
            }
            for slot in 0..self.row_slots(row.criterion) {
                if let Some(expression) = self.row_expression(row.criterion, slot) {
                    row_expressions.push((row_key(row.index, slot), expression));
                }
            }
        }
        let shortcut: Vec<String> = rows
            .iter()
            .filter(|r| r.criterion.section == Section::Shortcut)
            .filter_map(|r| {
                self.requirement_at(r.criterion, 0)
                    .map(|(field, req)| self.check(field, req))
            })
            .collect();
        row_expressions.push(("shortcut".to_owned(), or(&shortcut)));
        for (index, subclass) in provider_type.subclasses.iter().enumerate() {
            row_expressions.push((
                format!("chose_{index}"),
                format!(
                    "subclasses == null ? true : '{}' in subclasses",
                    subclass.id
                ),
            ));
        }

        // Node `levels`: per level, gates and every relevant row, for at least one path.
        let gate_terms: Vec<String> = rows
            .iter()
            .filter(|r| r.criterion.section == Section::Gate)
            .filter(|r| {
                row_expressions
                    .iter()
                    .any(|(k, _)| *k == row_key(r.index, 0))
            })
            .map(|r| row_key(r.index, 0))
            .collect();
        let paths: Vec<Option<usize>> = match provider_type.professional {
            ProfessionalRule::AllSubclasses => vec![None],
            ProfessionalRule::AnySubclass => {
                (0..provider_type.subclasses.len()).map(Some).collect()
            }
        };
        let has = |key: &str| row_expressions.iter().any(|(k, _)| k == key);
        let mut level_expressions = vec![
            ("gates".to_owned(), and(&gate_terms)),
            ("shortcut".to_owned(), "shortcut".to_owned()),
        ];
        for slot in 0..slots {
            let mut alternatives = Vec::new();
            for path in &paths {
                let mut terms: Vec<String> = Vec::new();
                if let Some(p) = path {
                    terms.push(format!("chose_{p}"));
                }
                for row in &rows {
                    let criterion = row.criterion;
                    let relevant = match criterion.section {
                        Section::Basic | Section::Service => true,
                        Section::Professional => path.is_none() || criterion.subclass == *path,
                        _ => false,
                    };
                    let exempt_here =
                        criterion
                            .exempt_via_subclasses
                            .as_ref()
                            .is_some_and(|(_, subclasses)| {
                                path.is_some_and(|p| subclasses.contains(&p))
                            });
                    let key = row_key(row.index, slot.min(self.row_slots(criterion) - 1));
                    if relevant && !exempt_here && has(&key) {
                        terms.push(key);
                    }
                }
                alternatives.push(and(&terms));
            }
            let body = match alternatives.as_slice() {
                [one] => one.clone(),
                many => many
                    .iter()
                    .map(|a| format!("({a})"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            // Expressions of one node cannot read each other, so the gates are repeated here.
            level_expressions.push((
                format!("ok_{slot}"),
                format!("{} and ({body})", and(&gate_terms)),
            ));
        }

        // Node `grade`: the decision table.
        let mut inputs = vec![
            json!({ "id": "in_gates", "name": "基本条件", "field": "gates" }),
            json!({ "id": "in_shortcut", "name": "省重点平台", "field": "shortcut" }),
        ];
        for slot in 0..slots {
            inputs.push(json!({ "id": format!("in_ok_{slot}"), "name": scheme.levels[slot].label, "field": format!("ok_{slot}") }));
        }
        let mut rules = Vec::new();
        for slot in (0..slots).rev() {
            rules.push(json!({
                "_id": format!("rule_{slot}"),
                format!("in_ok_{slot}"): "true",
                "out_stars": scheme.levels[slot].stars.to_string(),
            }));
        }
        rules.push(json!({
            "_id": "rule_shortcut",
            "in_gates": "true",
            "in_shortcut": "true",
            "out_stars": scheme.levels.first().map_or(0, |l| l.stars).to_string(),
        }));
        rules.push(json!({ "_id": "rule_none", "out_stars": "0" }));

        json!({
            "nodes": [
                { "id": "input", "name": "申报", "type": "inputNode", "content": {} },
                expression_node("rows", "逐项要求", false, &row_expressions),
                expression_node("levels", "星级条件", false, &level_expressions),
                {
                    "id": "grade", "name": "定级", "type": "decisionTableNode",
                    "content": {
                        "hitPolicy": "first",
                        "inputs": inputs,
                        "outputs": [{ "id": "out_stars", "name": "星级", "field": "stars" }],
                        "rules": rules,
                    }
                },
                { "id": "output", "name": "结果", "type": "outputNode", "content": {} }
            ],
            "edges": [
                { "id": "e1", "sourceId": "input", "targetId": "rows" },
                { "id": "e3", "sourceId": "rows", "targetId": "levels" },
                { "id": "e4", "sourceId": "levels", "targetId": "grade" },
                { "id": "e5", "sourceId": "grade", "targetId": "output" }
            ]
        })
    }

    /// How many level slots a row distinguishes (a one-cell row holds alike at every level).
    fn row_slots(&self, criterion: &Criterion) -> usize {
        match &criterion.test {
            Test::Levels { requirements, .. } => requirements.len(),
            Test::AnyOf { alternatives } => {
                alternatives.first().map_or(1, |a| a.requirements.len())
            }
            _ => 1,
        }
        .min(self.scheme.slots())
        .max(1)
    }

    fn requirement_at(
        &self,
        criterion: &'a Criterion,
        slot: usize,
    ) -> Option<(usize, &'a Requirement)> {
        match &criterion.test {
            Test::Levels {
                field,
                requirements,
            } => requirements.get(slot)?.as_ref().map(|r| (*field, r)),
            _ => None,
        }
    }

    /// The expression for "this row holds at this level", or `None` for a `-` cell.
    fn row_expression(&self, criterion: &Criterion, slot: usize) -> Option<String> {
        let exempt = criterion
            .exempt_org_kinds
            .as_ref()
            .map(|(_, kinds)| org_is(kinds));
        let body = match &criterion.test {
            Test::Levels {
                field,
                requirements,
            } => {
                let normal = requirements.get(slot)?.as_ref();
                let over = criterion.overrides.iter().find(|o| o.level == slot);
                match (normal, over) {
                    (_, Some(over)) => {
                        let otherwise =
                            normal.map_or_else(|| "true".to_owned(), |r| self.check(*field, r));
                        format!(
                            "({}) ? ({}) : ({otherwise})",
                            org_is(&over.org_kinds),
                            self.check(*field, &over.requirement)
                        )
                    }
                    (Some(requirement), None) => self.check(*field, requirement),
                    (None, None) => return None,
                }
            }
            Test::AnyOf { alternatives } => {
                let terms: Vec<String> = alternatives
                    .iter()
                    .filter_map(|a| {
                        a.requirements
                            .get(slot)?
                            .as_ref()
                            .map(|r| self.check(a.field, r))
                    })
                    .collect();
                if terms.is_empty() {
                    return None;
                }
                or(&terms)
            }
            Test::NotWithinYears { field, years } => {
                let value = value_of(&self.scheme.fields[*field].id);
                format!(
                    "{value} == null ? false : ({value} == '无' ? true : d({value}).isSameOrBefore(d('{}')))",
                    self.last_date(*years)
                )
            }
            Test::OneOf { field } => {
                format!("{} != null", value_of(&self.scheme.fields[*field].id))
            }
            Test::Score { .. } | Test::Records { .. } => return None,
        };
        Some(match exempt {
            Some(exempt) => format!("({exempt}) or ({body})"),
            None => body,
        })
    }

    /// The expression for one requirement on one declared field.
    fn check(&self, field: usize, requirement: &Requirement) -> String {
        let field = &self.scheme.fields[field];
        let value = value_of(&field.id);
        match requirement {
            Requirement::AtLeast(Need::Fixed(n)) => format!("({value} ?? -1) >= {}", n.normalize()),
            // Stars schemes have no round parameters; a parameter would make the row undecidable.
            Requirement::AtLeast(Need::Param(_)) => "false".to_owned(),
            Requirement::Yes => format!("{value} == true"),
            Requirement::OrdinalAtLeast(wanted) => {
                let FieldKind::Ordinal(scale) = field.kind else {
                    return "false".to_owned();
                };
                let labels: Vec<String> = self.scheme.scales[scale].levels[*wanted as usize..]
                    .iter()
                    .flat_map(|level| std::iter::once(&level.label).chain(&level.aliases))
                    .map(|label| format!("'{label}'"))
                    .collect();
                format!("{value} in [{}]", labels.join(", "))
            }
            Requirement::ItemsAtLeast(count) => format!("len({value} ?? []) >= {count}"),
            Requirement::YearsAtLeast(years) => format!(
                "{value} == null ? false : d({value}).isSameOrBefore(d('{}'))",
                self.last_date(*years)
            ),
        }
    }

    /// The last start date that is `years` full years old at the round's cut-off.
    fn last_date(&self, years: u32) -> NaiveDate {
        let cutoff = self.scheme.round.cutoff.unwrap_or_default();
        cutoff
            .checked_sub_months(Months::new(years * 12))
            .unwrap_or(cutoff)
    }
}

fn value_of(field_id: &str) -> String {
    format!("values.{field_id}")
}

fn row_key(index: usize, slot: usize) -> String {
    format!("r{index}_{slot}")
}

fn org_is(kinds: &[OrgKind]) -> String {
    // An organisation that states no kind is read as 企业.
    let mut terms: Vec<String> = kinds
        .iter()
        .map(|k| format!("organization.kind == '{}'", k.label()))
        .collect();
    if kinds.contains(&OrgKind::Enterprise) {
        terms.push("organization.kind == null".to_owned());
    }
    or(&terms)
}

fn and(terms: &[String]) -> String {
    if terms.is_empty() {
        "true".to_owned()
    } else {
        terms.join(" and ")
    }
}

fn or(terms: &[String]) -> String {
    if terms.is_empty() {
        "false".to_owned()
    } else {
        terms
            .iter()
            .map(|t| format!("({t})"))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

fn expression_node(
    id: &str,
    name: &str,
    pass_through: bool,
    expressions: &[(String, String)],
) -> Json {
    let expressions: Vec<Json> = expressions
        .iter()
        .enumerate()
        .map(|(index, (key, value))| json!({ "id": format!("{id}_{index}"), "key": key, "value": value }))
        .collect();
    json!({
        "id": id,
        "name": name,
        "type": "expressionNode",
        "content": { "expressions": expressions, "passThrough": pass_through }
    })
}
