//! Re-grading under another scheme version: hand-made variants of the Jiangsu file (a threshold
//! raised, a criterion removed, a provider type removed) and the movements they must cause,
//! computed by hand from the example declarations.

use pingjia_core::declaration::{Format, parse_tree};
use pingjia_core::engine::{Round, Status};
use pingjia_core::regrade::{
    Direction, Grade, GradeCount, Reader, Regrader, Side, SlotChange, Stored, changes,
};
use pingjia_core::scheme::{Need, Requirement, Test};
use pingjia_core::{Scheme, evaluate, grade, parse_scheme, read_declaration};
use rust_decimal::Decimal;
use serde_json::Value as Json;

const JIANGSU: &str = include_str!("../../../schemes/jiangsu-pool-2021.toml");
const BATCH: &str = include_str!("../../../examples/batch/jiangsu-network.jsonl");

/// The Jiangsu file as a new year's version `jiangsu-pool-2022`, changed by `edit`.
fn variant(edit: impl Fn(&str) -> String) -> Scheme {
    let text = JIANGSU.replacen(
        "id = \"jiangsu-pool-2021\"",
        "id = \"jiangsu-pool-2022\"",
        1,
    );
    parse_scheme("jiangsu-pool-2022.toml", &edit(&text)).expect("the variant loads")
}

fn jiangsu() -> Scheme {
    parse_scheme("jiangsu-pool-2021.toml", JIANGSU).unwrap()
}

/// Cuts the text from `start` to the next table header (`\n[[`).
fn without_block(text: &str, start: &str) -> String {
    let from = text.find(start).expect("the block exists");
    let to = from + 2 + text[from + 2..].find("\n[[").expect("a next block");
    format!("{}{}", &text[..from], &text[to + 1..])
}

fn batch() -> Vec<Json> {
    BATCH
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn member(index: usize, body: &Json) -> Stored<'_, usize> {
    Stored {
        member: index + 1,
        provider_type: None,
        body,
    }
}

#[test]
fn the_same_scheme_moves_nobody() {
    let scheme = jiangsu();
    let round = Round::from_scheme(&scheme);
    let side = Side {
        scheme: &scheme,
        round: &round,
    };
    let bodies = batch();
    let regrading =
        Regrader::new(side, side).run(bodies.iter().enumerate().map(|(i, b)| member(i, b)));
    assert_eq!(regrading.members.len(), 11);
    assert_eq!(regrading.count(Direction::Same), 11);
    assert!(regrading.members.iter().all(|m| m.criteria.is_empty()));
    for count in &regrading.counts {
        assert_eq!(count.before, count.after, "{count:?}");
    }
}

/// 注册资金 of a network provider raised from 200万 to 400万 at three stars. The batch's
/// three-star members with 300万 (lines 2 and 8, both 企业) fall to 不予定级; line 10
/// (300万) serves no manufacturing cluster (三星 1种) and is 不予定级 already; line 9 is a
/// 事业单位 (注1: not required); lines 1, 5 (500万), 3, 7, 11 (600万–800万) and 4 (5000万)
/// keep their grade; line 6 (400万) declares 「约40人」 employees, which no scheme reads, so
/// it is 不予定级 before and after. Today: one five-star, three four-star (3, 7, 9), four
/// three-star (2, 5, 8, 11), three 不予定级 (1, 6, 10).
#[test]
fn a_raised_threshold_moves_members_down_with_the_criterion() {
    let old = jiangsu();
    let new = variant(|text| {
        let at = text.find("id = \"network.registered_capital\"").unwrap();
        let (head, tail) = text.split_at(at);
        format!(
            "{head}{}",
            tail.replacen("levels = [\"200万\"", "levels = [\"400万\"", 1)
        )
    });
    let raised = new
        .criteria
        .iter()
        .find(|c| c.id == "network.registered_capital")
        .unwrap();
    assert!(matches!(
        &raised.test,
        Test::Levels { requirements, .. }
            if requirements[0] == Some(Requirement::AtLeast(Need::Fixed(Decimal::from(4_000_000))))
    ));
    let (old_round, new_round) = (Round::from_scheme(&old), Round::from_scheme(&new));
    let regrader = Regrader::new(
        Side {
            scheme: &old,
            round: &old_round,
        },
        Side {
            scheme: &new,
            round: &new_round,
        },
    );
    let bodies = batch();
    let regrading = regrader.run(bodies.iter().enumerate().map(|(i, b)| member(i, b)));
    let moved: Vec<usize> = regrading.moved().map(|m| m.member).collect();
    assert_eq!(moved, [2, 8]);
    for movement in regrading.moved() {
        assert_eq!(movement.direction, Direction::Down);
        assert_eq!(movement.before, Grade::Stars { stars: 3 });
        assert_eq!(movement.after, Grade::Stars { stars: 0 });
        assert_eq!(movement.criteria.len(), 1, "{movement:?}");
        let change = &movement.criteria[0];
        assert_eq!(change.id, "network.registered_capital");
        assert_eq!(change.clause, "四（三）（3）基础要求");
        assert_eq!(change.label, "注册资金");
        assert_eq!(
            change.slots,
            [SlotChange {
                slot: 0,
                stars: Some(3),
                before: Some(Status::Met),
                after: Some(Status::NotMet),
            }]
        );
    }
    // Line 6's unreadable values are listed (「约40人」 employees, a misspelt field id, an
    // unknown level 「较成熟」), under the new scheme as under the old.
    assert_eq!(
        regrading.members[5].unread,
        [
            "values.employees",
            "values.net_intranet_contract",
            "values.ops_security_system"
        ]
    );
    let three = |before, after| GradeCount {
        grade: Grade::Stars { stars: 3 },
        before,
        after,
    };
    let three_before = regrading
        .counts
        .iter()
        .find(|c| c.grade == Grade::Stars { stars: 3 })
        .unwrap();
    assert_eq!(*three_before, three(4, 2));
    let none = regrading
        .counts
        .iter()
        .find(|c| c.grade == Grade::Stars { stars: 0 })
        .unwrap();
    assert_eq!((none.before, none.after), (3, 5));
}

/// A criterion removed: 员工总数 of a network provider. Line 2 declares 35 employees: met at
/// three stars (20人), not at four (50人) nor five (100人); after, the row is absent. Its
/// grade stays three stars (注册资金 300万 < 500万 still holds it back from four).
#[test]
fn a_removed_or_added_criterion_is_listed_as_absent() {
    let old = jiangsu();
    let new = variant(|text| without_block(text, "[[criterion]]\nid = \"network.employees\""));
    assert!(new.criteria.iter().all(|c| c.id != "network.employees"));
    let (old_round, new_round) = (Round::from_scheme(&old), Round::from_scheme(&new));
    let bodies = batch();
    let body = &bodies[1];
    let read = |scheme: &Scheme| Reader::new(scheme).read(body, None).declaration.unwrap();
    let (before, after) = (read(&old), read(&new));
    let before = evaluate(&old, &before, &old_round);
    let after = evaluate(&new, &after, &new_round);
    let slot = |slot, stars, before: Option<Status>, after: Option<Status>| SlotChange {
        slot,
        stars: Some(stars),
        before,
        after,
    };
    let listed = changes(&before, &after);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, "network.employees");
    assert_eq!(
        listed[0].slots,
        [
            slot(0, 3, Some(Status::Met), None),
            slot(1, 4, Some(Status::NotMet), None),
            slot(2, 5, Some(Status::NotMet), None),
        ]
    );
    // The other way round, the row is added.
    let added = changes(&after, &before);
    assert_eq!(
        added[0].slots,
        [
            slot(0, 3, None, Some(Status::Met)),
            slot(1, 4, None, Some(Status::NotMet)),
            slot(2, 5, None, Some(Status::NotMet)),
        ]
    );
    let regrading = Regrader::new(
        Side {
            scheme: &old,
            round: &old_round,
        },
        Side {
            scheme: &new,
            round: &new_round,
        },
    )
    .run([member(1, body)]);
    assert_eq!(regrading.members[0].before, Grade::Stars { stars: 3 });
    assert_eq!(regrading.members[0].direction, Direction::Same);
}

/// The supporting provider type (the file's last table) removed from the new file: its
/// member is out.
#[test]
fn a_member_whose_provider_type_is_gone_is_out() {
    let old = jiangsu();
    let new = variant(|text| {
        let from = text.find("[[provider_type]]\nid = \"supporting\"").unwrap();
        text[..from].to_owned()
    });
    assert!(new.provider_type("supporting").is_none());
    let body = parse_tree(
        include_str!("../../../examples/jiangsu/supporting.toml"),
        Format::Toml,
    )
    .unwrap();
    let (old_round, new_round) = (Round::from_scheme(&old), Round::from_scheme(&new));
    let regrading = Regrader::new(
        Side {
            scheme: &old,
            round: &old_round,
        },
        Side {
            scheme: &new,
            round: &new_round,
        },
    )
    .run([Stored {
        member: "supporting.toml",
        provider_type: None,
        body: &body,
    }]);
    let movement = &regrading.members[0];
    assert_eq!(movement.direction, Direction::Out);
    assert_eq!(movement.after, Grade::Outside);
    assert!(matches!(movement.before, Grade::Stars { .. }));
    assert!(movement.criteria.is_empty());
    assert!(regrading.counts.contains(&GradeCount {
        grade: Grade::Outside,
        before: 0,
        after: 1
    }));
    // And back: in.
    let back = Regrader::new(
        Side {
            scheme: &new,
            round: &new_round,
        },
        Side {
            scheme: &old,
            round: &old_round,
        },
    )
    .member(Stored {
        member: (),
        provider_type: None,
        body: &body,
    });
    assert_eq!(back.direction, Direction::In);
}

/// On declarations that read without error, the compiled reader gives what `read_declaration`
/// gives, and `grade` what `evaluate` grades.
#[test]
fn the_fast_path_equals_the_full_path_on_the_examples() {
    let scheme = jiangsu();
    let round = Round::from_scheme(&scheme);
    let reader = Reader::new(&scheme);
    let mut checked = 0;
    for body in batch() {
        let Ok(full) = read_declaration(&body, &scheme, None) else {
            continue;
        };
        let fast = reader.read(&body, None);
        assert!(fast.unread.is_empty());
        let fast = fast.declaration.unwrap();
        assert_eq!(fast, full);
        assert_eq!(
            grade(&scheme, &fast, &round),
            evaluate(&scheme, &full, &round).outcome
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
}
