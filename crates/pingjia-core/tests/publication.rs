//! The rules of the end of an application's life, over every combination of facts, role, state
//! and action (002 第八条（二）「公示7天」, （三）「公示有异议的……核实处理；公示无异议的……发文公布」;
//! 003 二（二）1 「组织专家按照评估标准评选」): no publication before the notice period ends, none
//! with an objection unresolved, none but from the notice; no decision before the expert review
//! is complete; the notice is entered only by a decision.

use chrono::NaiveDate;
use pingjia_core::workflow::{Action, Facts, Role, State, next};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 5).expect("valid date")
}

/// Every combination of the nine facts.
fn every_facts() -> impl Iterator<Item = Facts> {
    (0u16..512).map(|bits| Facts {
        window_open: bits & 1 != 0,
        owner: bits & 2 != 0,
        in_region: bits & 4 != 0,
        chain_has_city: bits & 8 != 0,
        first_level_is_authority: bits & 16 != 0,
        barred: bits & 32 != 0,
        review_complete: bits & 64 != 0,
        notice_ended: bits & 128 != 0,
        unresolved_objections: bits & 256 != 0,
    })
}

/// Every accepted transition: (state, action, role, facts, to).
fn accepted() -> Vec<(State, Action, Role, Facts, State)> {
    let mut out = Vec::new();
    for facts in every_facts() {
        for &state in State::ALL {
            for &action in Action::ALL {
                for &role in Role::ALL {
                    if let Ok(t) = next(state, action, role, &facts, today()) {
                        out.push((state, action, role, facts, t.to));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn publication_needs_the_notice_ended_and_no_objection_open() {
    let all = accepted();
    let publications: Vec<_> = all
        .iter()
        .filter(|(_, _, _, _, to)| *to == State::Published)
        .collect();
    assert!(
        !publications.is_empty(),
        "publication must be possible at all"
    );
    for (from, action, role, facts, _) in publications {
        assert_eq!(*from, State::PublicNotice, "published only from the notice");
        assert_eq!(*action, Action::Publish);
        assert_eq!(*role, Role::AuthorityAdmin);
        assert!(
            facts.notice_ended,
            "published before the period ended: {facts:?}"
        );
        assert!(
            !facts.unresolved_objections,
            "published with an objection open: {facts:?}"
        );
        assert!(facts.in_region);
    }
    // And it is possible whenever those hold.
    let ready = Facts {
        in_region: true,
        notice_ended: true,
        ..Facts::default()
    };
    assert!(
        next(
            State::PublicNotice,
            Action::Publish,
            Role::AuthorityAdmin,
            &ready,
            today()
        )
        .is_ok()
    );
    for (ended, open, code) in [
        (false, false, "notice_not_ended"),
        (false, true, "notice_not_ended"),
        (true, true, "unresolved_objections"),
    ] {
        let facts = Facts {
            notice_ended: ended,
            unresolved_objections: open,
            ..ready
        };
        let refused = next(
            State::PublicNotice,
            Action::Publish,
            Role::AuthorityAdmin,
            &facts,
            today(),
        )
        .expect_err("refused");
        assert_eq!(refused.code, code);
    }
}

#[test]
fn decisions_need_the_expert_review_complete_and_lead_to_the_notice_or_no_grade() {
    let all = accepted();
    for (from, action, role, facts, to) in &all {
        if matches!(action, Action::Decide | Action::Decline) {
            assert_eq!(*from, State::ExpertReview);
            assert_eq!(*role, Role::AuthorityAdmin);
            assert!(
                facts.review_complete,
                "decided before the review: {facts:?}"
            );
        }
        if *to == State::PublicNotice {
            assert_eq!(
                (*from, *action),
                (State::ExpertReview, Action::Decide),
                "the notice is entered only by a decision"
            );
        }
        if *to == State::NotGraded {
            assert_eq!(*action, Action::Decline);
        }
    }
}

#[test]
fn the_notice_is_left_only_by_publication_a_new_review_or_a_rejection() {
    for (from, action, _, _, to) in accepted() {
        if from == State::PublicNotice {
            assert!(
                matches!(
                    (action, to),
                    (Action::Publish, State::Published)
                        | (Action::ReopenReview, State::ExpertReview)
                        | (Action::Reject, State::Rejected)
                ),
                "{action:?} → {to:?}"
            );
        }
    }
}
