//! Impact analysis: the members' stored declarations re-graded under another scheme version
//! (a new year's file), with who moves up, down or out, the criteria that move them, and the
//! counts per grade before and after.
//!
//! The stored form is the declaration's JSON body as the web application keeps it
//! (`{organization, subclasses, values, confirmed, experts, self_scores}`). A [`Reader`] is
//! compiled once per scheme (field ids resolved to indices) and reads a body *leniently*: what
//! the scheme cannot read — a field it does not have, a value of another kind, a subclass it
//! dropped — is left out as not declared and listed in [`Movement::unread`], never an error,
//! since a new year's file may drop or retype fields. On a body that reads without error the
//! reader gives exactly what [`read_declaration`](crate::read_declaration) gives.
//!
//! Every member is graded on both sides with [`grade`] (no gap analysis); only the members
//! whose grade moves are evaluated in full to find the criteria whose status differs.

use crate::declaration::{
    Declaration, Organization, Value, read_experts, read_organization, read_scores, read_value_at,
};
use crate::engine::{Evaluation, Finding, Outcome, Remark, Round, Status, evaluate, grade};
use crate::scheme::{Field, FieldKind, Scheme, same_label};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;

/// One scheme version and the round its grades are taken in.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub scheme: &'a Scheme,
    pub round: &'a Round,
}

/// One member's stored declaration.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a, K> {
    /// Whatever identifies the member to the caller (an organisation id, a file name).
    pub member: K,
    /// The member's provider type id (stars schemes), when it is kept beside the body; else
    /// the body's own `provider_type` is used.
    pub provider_type: Option<&'a str>,
    pub body: &'a Json,
}

/// A grade, comparable across scheme versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grade {
    /// Not graded under this scheme: the member's provider type is not in it.
    Outside,
    /// Stars; 0 is 不予定级.
    Stars { stars: u8 },
    /// Rubric schemes: eligible or not (the expert score is not a grade).
    Eligible { eligible: bool },
    /// Capability schemes: how many parts are met.
    Parts { met: u8 },
}

impl Grade {
    pub fn of(outcome: &Outcome) -> Grade {
        match outcome {
            Outcome::Stars { stars, .. } => Grade::Stars { stars: *stars },
            Outcome::Rubric { eligible, .. } => Grade::Eligible {
                eligible: *eligible,
            },
            Outcome::Capability { parts } => Grade::Parts {
                met: parts.iter().filter(|s| **s == Status::Met).count() as u8,
            },
        }
    }

    /// Higher is better; `None` outside the scheme.
    fn rank(self) -> Option<u8> {
        match self {
            Grade::Outside => None,
            Grade::Stars { stars } => Some(stars),
            Grade::Eligible { eligible } => Some(u8::from(eligible)),
            Grade::Parts { met } => Some(met),
        }
    }

    pub fn label_zh(self) -> String {
        match self {
            Grade::Outside => "不在方案内".to_owned(),
            Grade::Stars { stars: 0 } => "不予定级".to_owned(),
            Grade::Stars { stars } => format!("{stars}星"),
            Grade::Eligible { eligible: true } => "符合条件".to_owned(),
            Grade::Eligible { eligible: false } => "不符合条件".to_owned(),
            Grade::Parts { met } => format!("满足{met}部分"),
        }
    }

    pub fn label_en(self) -> String {
        match self {
            Grade::Outside => "outside the scheme".to_owned(),
            Grade::Stars { stars: 0 } => "not graded".to_owned(),
            Grade::Stars { stars } => format!("{stars} stars"),
            Grade::Eligible { eligible: true } => "eligible".to_owned(),
            Grade::Eligible { eligible: false } => "not eligible".to_owned(),
            Grade::Parts { met } => format!("{met} parts met"),
        }
    }
}

/// How a member's grade moves from the old scheme to the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    /// Graded under the old scheme, outside the new one (its provider type is gone).
    Out,
    /// Outside the old scheme, graded under the new one.
    In,
    Same,
}

impl Direction {
    pub fn between(before: Grade, after: Grade) -> Direction {
        match (before.rank(), after.rank()) {
            (None, None) => Direction::Same,
            (Some(_), None) => Direction::Out,
            (None, Some(_)) => Direction::In,
            (Some(b), Some(a)) if a > b => Direction::Up,
            (Some(b), Some(a)) if a < b => Direction::Down,
            _ => Direction::Same,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Direction::Up => "上升",
            Direction::Down => "下降",
            Direction::Out => "移出",
            Direction::In => "纳入",
            Direction::Same => "不变",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Out => "out",
            Direction::In => "in",
            Direction::Same => "same",
        }
    }
}

/// A criterion whose status differs between the two evaluations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionChange {
    pub id: String,
    /// The clause of the document (the new scheme's, or the old one's for a removed row).
    pub clause: String,
    pub label: String,
    /// The level slots whose status differs (0 for single-status rows).
    pub slots: Vec<SlotChange>,
}

/// One level's status before and after; `None` where the criterion is not in that scheme
/// (or does not apply to the member's provider type there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlotChange {
    pub slot: usize,
    /// The stars of that level, for stars schemes (the new scheme's, else the old one's).
    pub stars: Option<u8>,
    pub before: Option<Status>,
    pub after: Option<Status>,
}

/// One member re-graded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Movement<K> {
    pub member: K,
    pub before: Grade,
    pub after: Grade,
    pub direction: Direction,
    /// For members that move up or down: the criteria whose status differs.
    pub criteria: Vec<CriterionChange>,
    /// What of the body the new scheme could not read (left out as not declared), as paths
    /// such as `values.old_field`.
    pub unread: Vec<String>,
}

/// How many members hold a grade before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GradeCount {
    pub grade: Grade,
    pub before: usize,
    pub after: usize,
}

/// The impact of a new scheme version on a pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regrading<K> {
    /// Every member, in input order.
    pub members: Vec<Movement<K>>,
    /// Per grade, best first.
    pub counts: Vec<GradeCount>,
}

impl<K> Regrading<K> {
    /// The members whose grade moves (up, down, out or in).
    pub fn moved(&self) -> impl Iterator<Item = &Movement<K>> {
        self.members
            .iter()
            .filter(|m| m.direction != Direction::Same)
    }

    /// How many members move each way.
    pub fn count(&self, direction: Direction) -> usize {
        self.members
            .iter()
            .filter(|m| m.direction == direction)
            .count()
    }
}

/// What a [`Reader`] made of a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// `None` when the member's provider type is not in the scheme (or the body is no object).
    pub declaration: Option<Declaration>,
    /// What could not be read, as paths (`values.x`, `subclasses[1]`, `organization.kind`).
    pub unread: Vec<String>,
}

/// A reader of stored bodies compiled for one scheme: field ids resolved once.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    scheme: &'a Scheme,
    fields: HashMap<&'a str, usize>,
}

impl<'a> Reader<'a> {
    pub fn new(scheme: &'a Scheme) -> Reader<'a> {
        let fields = scheme
            .fields
            .iter()
            .enumerate()
            .map(|(index, field)| (field.id.as_str(), index))
            .collect();
        Reader { scheme, fields }
    }

    /// Reads a stored body; `provider_type` (kept beside the body) wins over the body's own.
    pub fn read(&self, body: &Json, provider_type: Option<&str>) -> Reading {
        self.read_sharing(body, provider_type, None)
    }

    /// [`Reader::read`], taking the values of the fields that `shared` maps (this scheme's
    /// field → the other scheme's field read exactly alike) from the other scheme's reading
    /// of the same body rather than reading them again.
    fn read_sharing(
        &self,
        body: &Json,
        provider_type: Option<&str>,
        shared: Option<(&Declaration, &[Option<usize>])>,
    ) -> Reading {
        let scheme = self.scheme;
        let mut unread = Vec::new();
        let Some(object) = body.as_object() else {
            return Reading {
                declaration: None,
                unread: vec!["(file)".to_owned()],
            };
        };
        let named = provider_type.or_else(|| object.get("provider_type").and_then(Json::as_str));
        let provider_type = if scheme.provider_types.is_empty() {
            None
        } else {
            match named.and_then(|id| scheme.provider_type(id)) {
                Some(index) => Some(index),
                None => {
                    return Reading {
                        declaration: None,
                        unread,
                    };
                }
            }
        };
        let mut errors = Vec::new();
        let organization = match object.get("organization") {
            None => Organization::default(),
            tree => read_organization(tree, &mut errors),
        };
        let subclasses = self.subclasses(object.get("subclasses"), provider_type, &mut unread);
        let declared = self.values(
            object.get("values"),
            "values",
            shared.map(|(other, map)| (&other.declared[..], map)),
            &mut unread,
        );
        let confirmed = self.values(
            object.get("confirmed"),
            "confirmed",
            shared.map(|(other, map)| (&other.confirmed[..], map)),
            &mut unread,
        );
        let experts = read_experts(object.get("experts"), scheme, &mut errors);
        let self_scores = match object.get("self_scores") {
            None => vec![None; scheme.criteria.len()],
            Some(tree) => read_scores(tree, "self_scores", scheme, &mut errors),
        };
        for error in errors {
            if !unread.contains(&error.field) {
                unread.push(error.field);
            }
        }
        Reading {
            declaration: Some(Declaration {
                scheme: scheme.id.clone(),
                provider_type,
                organization,
                subclasses,
                declared,
                confirmed,
                experts,
                self_scores,
            }),
            unread,
        }
    }

    fn values(
        &self,
        tree: Option<&Json>,
        section: &str,
        shared: Option<Shared<'_>>,
        unread: &mut Vec<String>,
    ) -> Vec<Option<Value>> {
        let scheme = self.scheme;
        let mut values = vec![None; scheme.fields.len()];
        let Some(tree) = tree else { return values };
        let Some(object) = tree.as_object() else {
            unread.push(section.to_owned());
            return values;
        };
        let mut errors = Vec::new();
        for (key, raw) in object {
            let Some(&index) = self.fields.get(key.as_str()) else {
                unread.push(format!("{section}.{key}"));
                continue;
            };
            if raw.is_null() {
                continue;
            }
            if let Some((other, map)) = shared
                && let Some(other_index) = map[index]
            {
                // Read exactly alike: the same value, or the same failure.
                match &other[other_index] {
                    Some(value) => values[index] = Some(value.clone()),
                    None => unread.push(format!("{section}.{key}")),
                }
                continue;
            }
            let value = read_value_at(
                raw,
                &scheme.fields[index],
                scheme,
                section,
                key,
                &mut errors,
            );
            if errors.is_empty() {
                values[index] = value;
            } else {
                // Of another kind in this scheme (an option it no longer lists, a list for a
                // number): not declared here.
                errors.clear();
                unread.push(format!("{section}.{key}"));
            }
        }
        values
    }

    fn subclasses(
        &self,
        tree: Option<&Json>,
        provider_type: Option<usize>,
        unread: &mut Vec<String>,
    ) -> Option<Vec<usize>> {
        let tree = tree?;
        let (Some(type_index), Some(items)) = (provider_type, tree.as_array()) else {
            unread.push("subclasses".to_owned());
            return None;
        };
        let subclasses = &self.scheme.provider_types[type_index].subclasses;
        let mut chosen = Vec::new();
        for (position, item) in items.iter().enumerate() {
            let text = item.as_str().unwrap_or_default();
            match subclasses
                .iter()
                .position(|s| s.id == text || same_label(&s.title, text))
            {
                Some(index) if !chosen.contains(&index) => chosen.push(index),
                Some(_) => {}
                None => unread.push(format!("subclasses[{position}]")),
            }
        }
        // Every subclass applied for gone from the new scheme: none is applied for (no
        // professional row can hold), not all of them.
        chosen.sort_unstable();
        Some(chosen)
    }
}

/// The other scheme's values of one section, and this scheme's fields → the other's.
type Shared<'s> = (&'s [Option<Value>], &'s [Option<usize>]);

/// Re-grades stored declarations from one scheme version to another.
#[derive(Debug, Clone)]
pub struct Regrader<'a> {
    old: Side<'a>,
    new: Side<'a>,
    old_reader: Reader<'a>,
    new_reader: Reader<'a>,
    /// For each field of the new scheme, the old field it is read exactly like.
    shared: Vec<Option<usize>>,
}

impl<'a> Regrader<'a> {
    pub fn new(old: Side<'a>, new: Side<'a>) -> Regrader<'a> {
        Regrader {
            old,
            new,
            old_reader: Reader::new(old.scheme),
            new_reader: Reader::new(new.scheme),
            shared: shared_fields(old.scheme, new.scheme),
        }
    }

    /// A body read under the old and the new scheme. A field the two read exactly alike (same
    /// id, kind, unit and options) is read once.
    pub fn readings(&self, body: &Json, provider_type: Option<&str>) -> (Reading, Reading) {
        let before = self.old_reader.read(body, provider_type);
        let after = self.new_reader.read_sharing(
            body,
            provider_type,
            before
                .declaration
                .as_ref()
                .map(|d| (d, self.shared.as_slice())),
        );
        (before, after)
    }

    /// Re-grades one member.
    pub fn member<K>(&self, stored: Stored<'_, K>) -> Movement<K> {
        let (before_read, after_read) = self.readings(stored.body, stored.provider_type);
        let graded = |side: Side<'_>, reading: &Reading| {
            reading.declaration.as_ref().map_or(Grade::Outside, |d| {
                Grade::of(&grade(side.scheme, d, side.round))
            })
        };
        let before = graded(self.old, &before_read);
        let after = graded(self.new, &after_read);
        let direction = Direction::between(before, after);
        let criteria = match (direction, &before_read.declaration, &after_read.declaration) {
            (Direction::Up | Direction::Down, Some(old), Some(new)) => changes(
                &evaluate(self.old.scheme, old, self.old.round),
                &evaluate(self.new.scheme, new, self.new.round),
            ),
            _ => Vec::new(),
        };
        Movement {
            member: stored.member,
            before,
            after,
            direction,
            criteria,
            unread: after_read.unread,
        }
    }

    /// Re-grades every member, with the counts per grade.
    pub fn run<'s, K>(&self, members: impl IntoIterator<Item = Stored<'s, K>>) -> Regrading<K> {
        let members: Vec<Movement<K>> = members.into_iter().map(|m| self.member(m)).collect();
        let mut counts: Vec<GradeCount> = Vec::new();
        let mut add = |grade: Grade, after: bool| {
            let position = match counts.iter().position(|c| c.grade == grade) {
                Some(position) => position,
                None => {
                    counts.push(GradeCount {
                        grade,
                        before: 0,
                        after: 0,
                    });
                    counts.len() - 1
                }
            };
            if after {
                counts[position].after += 1;
            } else {
                counts[position].before += 1;
            }
        };
        for movement in &members {
            add(movement.before, false);
            add(movement.after, true);
        }
        counts.sort_by_key(|count| std::cmp::Reverse(count.grade));
        Regrading { members, counts }
    }
}

/// For each field of `new`, the field of `old` with the same id that reads every input alike:
/// the same kind and unit, scale levels, items or options. Records are always read again.
fn shared_fields(old: &Scheme, new: &Scheme) -> Vec<Option<usize>> {
    let alike = |a: &Field, b: &Field| match (&a.kind, &b.kind) {
        (FieldKind::Number(x), FieldKind::Number(y)) => x == y,
        (FieldKind::YesNo, FieldKind::YesNo)
        | (FieldKind::Date, FieldKind::Date)
        | (FieldKind::DateOrNone, FieldKind::DateOrNone) => true,
        (FieldKind::Ordinal(x), FieldKind::Ordinal(y)) => {
            let (x, y) = (&old.scales[*x].levels, &new.scales[*y].levels);
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| p.label == q.label && p.aliases == q.aliases)
        }
        (FieldKind::Items(x), FieldKind::Items(y))
        | (FieldKind::Choice(x), FieldKind::Choice(y)) => x == y,
        _ => false,
    };
    new.fields
        .iter()
        .map(|field| {
            let index = old.field(&field.id)?;
            alike(&old.fields[index], field).then_some(index)
        })
        .collect()
}

/// The criteria whose status differs between two evaluations of one member, matched by id:
/// the new scheme's rows in its order, then the rows the new scheme no longer has. A row shown
/// exempt through the subclass a grade rests on (注4) is not compared at the slots it is shown
/// so: the engine replaced its status, and it holds on that path whatever its value.
pub fn changes(before: &Evaluation<'_>, after: &Evaluation<'_>) -> Vec<CriterionChange> {
    let old: HashMap<&str, &Finding<'_>> = before
        .findings
        .iter()
        .map(|f| (f.criterion.id.as_str(), f))
        .collect();
    let stars = |slot: usize| {
        after
            .scheme
            .levels
            .get(slot)
            .or_else(|| before.scheme.levels.get(slot))
            .map(|level| level.stars)
    };
    let mut list = Vec::new();
    let mut compare = |id: &str, was: Option<&Finding<'_>>, now: Option<&Finding<'_>>| {
        let slot_count = was.map_or(0, |f| f.slots).max(now.map_or(0, |f| f.slots)) as usize;
        let slots: Vec<SlotChange> = (0..slot_count)
            .filter_map(|slot| {
                let b = was.map(|f| f.status(slot));
                let a = now.map(|f| f.status(slot));
                // A row shown exempt through the subclass one grade rests on (注4) had its own
                // status replaced; it holds on that path whatever its value, so it moves
                // nothing unless the row itself comes or goes.
                let shown_exempt = |f: Option<&Finding<'_>>, status: Option<Status>| {
                    status == Some(Status::Exempt)
                        && f.is_some_and(|f| f.remark == Some(Remark::ExemptViaSubclass))
                };
                let masked =
                    a.is_some() && b.is_some() && (shown_exempt(was, b) || shown_exempt(now, a));
                (a != b && !masked).then(|| SlotChange {
                    slot,
                    stars: stars(slot),
                    before: b,
                    after: a,
                })
            })
            .collect();
        if !slots.is_empty() {
            let criterion = now.or(was).map(|f| f.criterion);
            list.push(CriterionChange {
                id: id.to_owned(),
                clause: criterion.map(|c| c.clause.clone()).unwrap_or_default(),
                label: criterion
                    .map(|c| Scheme::label_for(&c.label, after.round.reference_year))
                    .unwrap_or_default(),
                slots,
            });
        }
    };
    let mut seen = std::collections::HashSet::new();
    for finding in &after.findings {
        let id = finding.criterion.id.as_str();
        seen.insert(id);
        compare(id, old.get(id).copied(), Some(finding));
    }
    for finding in &before.findings {
        let id = finding.criterion.id.as_str();
        if !seen.contains(id) {
            compare(id, Some(finding), None);
        }
    }
    list
}
