//! The workflow of docs/workflow.md, checked against expectations written out by hand from
//! that document and the seeds (002 第八条, 003 二（二）, 三), not from the code: the main
//! paths of Jiangsu (county → city → province) and of chains without a city level,
//! returns, withdrawals, rejections, refusals, and properties over random sequences of
//! actions.

use chrono::NaiveDate;
use pingjia_core::workflow::{
    Action, Facts, Refusal, Role, State, Transition, actions_for, check_comment, editable, next,
};
use proptest::prelude::*;
use std::collections::BTreeSet;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 7, 15).expect("valid date")
}

/// Facts under which every condition of every action holds, for a chain with or without a
/// city level.
fn all_clear(chain_has_city: bool) -> Facts {
    Facts {
        window_open: true,
        owner: true,
        in_region: true,
        chain_has_city,
        first_level_is_authority: false,
        barred: false,
        review_complete: true,
        notice_ended: true,
        unresolved_objections: false,
    }
}

fn step(state: State, action: Action, role: Role, facts: &Facts) -> State {
    match next(state, action, role, facts, today()) {
        Ok(t) => {
            assert_eq!(t.from, state);
            assert_eq!(t.action, action);
            t.to
        }
        Err(r) => panic!("{action} by {role} in {state} refused: {r}"),
    }
}

fn refusal(state: State, action: Action, role: Role, facts: &Facts) -> Refusal {
    match next(state, action, role, facts, today()) {
        Ok(t) => panic!("{action} by {role} in {state} unexpectedly accepted: {t:?}"),
        Err(r) => r,
    }
}

use Action as A;
use Role as R;
use State as S;

// ---------------------------------------------------------------------------------------
// Ids and labels

#[test]
fn state_ids_are_the_servers_plus_two() {
    let ids: Vec<&str> = S::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        ids,
        [
            "draft",
            "county_review",
            "city_review",
            "expert_review",
            "public_notice",
            "published",
            "returned",
            "rejected",
            "revoked",
            "removed",
            "withdrawn",
            "not_graded",
        ]
    );
    let zh: Vec<&str> = S::ALL.iter().map(|s| s.label_zh()).collect();
    assert_eq!(
        zh,
        [
            "草稿",
            "区县初审",
            "设区市审核",
            "专家评审",
            "公示",
            "已发布",
            "退回修改",
            "未通过",
            "已撤销",
            "已除名",
            "已撤回",
            "不予定级/认定",
        ]
    );
}

#[test]
fn role_ids_are_the_servers() {
    let ids: Vec<&str> = R::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        ids,
        [
            "applicant",
            "county_reviewer",
            "city_reviewer",
            "authority_admin",
            "expert",
            "system_admin",
            "public",
        ]
    );
}

#[test]
fn action_ids() {
    let ids: Vec<&str> = A::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        ids,
        [
            "submit",
            "resubmit",
            "withdraw",
            "pass",
            "recommend",
            "return",
            "return_to_recommender",
            "reject",
            "decide",
            "decline",
            "reopen_review",
            "publish",
            "revoke",
            "remove",
        ]
    );
}

#[test]
fn ids_round_trip_through_from_str_display_and_serde() {
    for &s in S::ALL {
        assert_eq!(s.as_str().parse::<State>(), Ok(s));
        assert_eq!(s.to_string(), s.as_str());
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
        assert_eq!(
            serde_json::from_str::<State>(&format!("\"{}\"", s.as_str())).unwrap(),
            s
        );
        assert!(!s.label_zh().is_empty() && !s.label_en().is_empty());
    }
    for &r in R::ALL {
        assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            format!("\"{}\"", r.as_str())
        );
        assert!(!r.label_zh().is_empty() && !r.label_en().is_empty());
    }
    for &a in A::ALL {
        assert_eq!(a.as_str().parse::<Action>(), Ok(a));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            format!("\"{}\"", a.as_str())
        );
        assert!(!a.label_zh().is_empty() && !a.label_en().is_empty());
    }
    let unknown = "published_now".parse::<State>().unwrap_err();
    assert_eq!(unknown.id, "published_now");
    assert!(unknown.to_string().contains("未知的状态"));
    assert!("Draft".parse::<State>().is_err(), "ids are exact");
    assert!("admin".parse::<Role>().is_err());
    assert!("approve".parse::<Action>().is_err());
}

// ---------------------------------------------------------------------------------------
// Main paths

#[test]
fn jiangsu_county_city_province() {
    let f = all_clear(true);
    let mut s = S::Draft;
    s = step(s, A::Submit, R::Applicant, &f);
    assert_eq!(s, S::CountyReview);
    s = step(s, A::Pass, R::CountyReviewer, &f);
    assert_eq!(s, S::CityReview);
    s = step(s, A::Recommend, R::CityReviewer, &f);
    assert_eq!(s, S::ExpertReview);
    s = step(s, A::Decide, R::AuthorityAdmin, &f);
    assert_eq!(s, S::PublicNotice);
    s = step(s, A::Publish, R::AuthorityAdmin, &f);
    assert_eq!(s, S::Published);
    // Spot check failed or expired without re-grading (003 二（二）4, 三、2).
    assert_eq!(step(s, A::Remove, R::AuthorityAdmin, &f), S::Removed);
    // Fraud found after publication (003 三、1; 002 第十一条).
    assert_eq!(step(s, A::Revoke, R::AuthorityAdmin, &f), S::Revoked);
}

#[test]
fn kunshan_recommends_straight_to_the_province() {
    // 003 二（二）1: 昆山市、泰兴市、沭阳县工信局 organise the review and recommendation.
    let f = all_clear(false);
    let mut s = step(S::Draft, A::Submit, R::Applicant, &f);
    assert_eq!(s, S::CountyReview);
    let r = refusal(s, A::Pass, R::CountyReviewer, &f);
    assert_eq!(r.code, "no_city_level");
    s = step(s, A::Recommend, R::CountyReviewer, &f);
    assert_eq!(s, S::ExpertReview);
    s = step(s, A::Decide, R::AuthorityAdmin, &f);
    assert_eq!(s, S::PublicNotice);
    assert_eq!(step(s, A::Publish, R::AuthorityAdmin, &f), S::Published);
}

#[test]
fn shaoxing_county_then_the_city_as_authority() {
    // 002 第八条: 区县初审 → 市经信局评审 → 公示7天 → 发文公布. The city is the authority.
    let f = all_clear(false);
    let path = [
        (A::Submit, R::Applicant, S::CountyReview),
        (A::Recommend, R::CountyReviewer, S::ExpertReview),
        (A::Decide, R::AuthorityAdmin, S::PublicNotice),
        (A::Publish, R::AuthorityAdmin, S::Published),
    ];
    let mut s = S::Draft;
    for (action, role, to) in path {
        s = step(s, action, role, &f);
        assert_eq!(s, to);
    }
}

#[test]
fn a_county_with_a_city_above_it_cannot_skip_the_city() {
    let f = all_clear(true);
    let r = refusal(S::CountyReview, A::Recommend, R::CountyReviewer, &f);
    assert_eq!(r.code, "city_level_required");
    assert!(!r.is_forbidden());
}

#[test]
fn not_graded_after_expert_review() {
    let f = all_clear(true);
    assert_eq!(
        step(S::ExpertReview, A::Decline, R::AuthorityAdmin, &f),
        S::NotGraded
    );
}

// ---------------------------------------------------------------------------------------
// Returns and resubmission

#[test]
fn returns_go_to_the_applicant_and_resubmission_starts_at_the_county() {
    let f = all_clear(true);
    for (state, role) in [
        (S::CountyReview, R::CountyReviewer),
        (S::CityReview, R::CityReviewer),
        (S::ExpertReview, R::AuthorityAdmin),
    ] {
        let s = step(state, A::Return, role, &f);
        assert_eq!(s, S::Returned, "return from {state}");
        assert!(editable(s));
        let r = refusal(s, A::Submit, R::Applicant, &f);
        assert_eq!(r.code, "wrong_state");
        assert_eq!(r.zh, "当前状态为退回修改，不能提交");
        assert_eq!(step(s, A::Resubmit, R::Applicant, &f), S::CountyReview);
    }
}

#[test]
fn the_wrong_level_cannot_return() {
    let f = all_clear(true);
    let r = refusal(S::CityReview, A::Return, R::CountyReviewer, &f);
    assert_eq!(r.code, "wrong_role");
    assert_eq!(r.zh, "只有设区市审核可以退回修改");
    let r = refusal(S::CountyReview, A::Return, R::CityReviewer, &f);
    assert_eq!(r.code, "wrong_role");
    assert_eq!(r.zh, "只有区县审核可以退回修改");
    let r = refusal(S::CountyReview, A::Return, R::Applicant, &f);
    assert_eq!(r.code, "wrong_role");
    assert!(r.is_forbidden());
}

#[test]
fn resubmission_is_not_bound_to_the_window_but_to_the_bar() {
    // A return usually comes after the window has closed; it must still be answerable.
    let closed = Facts {
        window_open: false,
        ..all_clear(true)
    };
    assert_eq!(
        step(S::Returned, A::Resubmit, R::Applicant, &closed),
        S::CountyReview
    );
    let barred = Facts {
        barred: true,
        ..all_clear(true)
    };
    assert_eq!(
        refusal(S::Returned, A::Resubmit, R::Applicant, &barred).code,
        "barred"
    );
}

#[test]
fn the_province_returns_to_the_recommending_office() {
    let with_city = all_clear(true);
    assert_eq!(
        step(
            S::ExpertReview,
            A::ReturnToRecommender,
            R::AuthorityAdmin,
            &with_city
        ),
        S::CityReview
    );
    let without_city = all_clear(false);
    assert_eq!(
        step(
            S::ExpertReview,
            A::ReturnToRecommender,
            R::AuthorityAdmin,
            &without_city
        ),
        S::CountyReview
    );
    // From the city, it goes on again by recommendation.
    assert_eq!(
        step(S::CityReview, A::Recommend, R::CityReviewer, &with_city),
        S::ExpertReview
    );
}

#[test]
fn editable_only_as_draft_or_returned() {
    let editable_states: Vec<State> = S::ALL.iter().copied().filter(|&s| editable(s)).collect();
    assert_eq!(editable_states, [S::Draft, S::Returned]);
    assert!(!editable(S::CountyReview), "the server's old bug");
}

// ---------------------------------------------------------------------------------------
// Withdraw and reject

#[test]
fn withdraw_before_a_decision_only() {
    let f = all_clear(true);
    for s in [S::CountyReview, S::CityReview, S::ExpertReview, S::Returned] {
        assert_eq!(step(s, A::Withdraw, R::Applicant, &f), S::Withdrawn);
    }
    for s in [
        S::Draft,
        S::PublicNotice,
        S::Published,
        S::Rejected,
        S::Revoked,
        S::Removed,
        S::Withdrawn,
        S::NotGraded,
    ] {
        assert_eq!(
            refusal(s, A::Withdraw, R::Applicant, &f).code,
            "wrong_state",
            "{s}"
        );
    }
    let r = refusal(S::CountyReview, A::Withdraw, R::CountyReviewer, &f);
    assert_eq!(r.code, "wrong_role");
    assert_eq!(r.zh, "只有申报单位可以撤回");
    let other = Facts { owner: false, ..f };
    let r = refusal(S::CountyReview, A::Withdraw, R::Applicant, &other);
    assert_eq!(r.code, "not_owner");
    assert!(r.is_forbidden());
}

#[test]
fn reject_by_the_level_reviewing() {
    let f = all_clear(true);
    for (s, role) in [
        (S::CountyReview, R::CountyReviewer),
        (S::CityReview, R::CityReviewer),
        (S::ExpertReview, R::AuthorityAdmin),
        (S::PublicNotice, R::AuthorityAdmin),
    ] {
        assert_eq!(step(s, A::Reject, role, &f), S::Rejected, "{s}");
    }
    assert_eq!(
        refusal(S::CityReview, A::Reject, R::CountyReviewer, &f).code,
        "wrong_role"
    );
    assert_eq!(
        refusal(S::Published, A::Reject, R::AuthorityAdmin, &f).code,
        "wrong_state"
    );
}

#[test]
fn final_states_admit_nothing() {
    let f = all_clear(true);
    for s in [
        S::Rejected,
        S::Revoked,
        S::Removed,
        S::Withdrawn,
        S::NotGraded,
    ] {
        assert!(s.is_final());
        for &role in R::ALL {
            assert!(actions_for(s, role, &f, today()).is_empty(), "{s} {role}");
        }
    }
    for s in [
        S::Draft,
        S::CountyReview,
        S::CityReview,
        S::ExpertReview,
        S::PublicNotice,
        S::Published,
        S::Returned,
    ] {
        assert!(!s.is_final(), "{s}");
    }
}

// ---------------------------------------------------------------------------------------
// Refusals

#[test]
fn refusals_for_wrong_role_and_wrong_state() {
    let f = all_clear(true);
    let r = refusal(S::Draft, A::Submit, R::CountyReviewer, &f);
    assert_eq!(r.code, "wrong_role");
    assert_eq!(r.zh, "只有申报单位可以提交");
    let r = refusal(S::CountyReview, A::Submit, R::Applicant, &f);
    assert_eq!(r.code, "wrong_state");
    assert_eq!(r.zh, "当前状态为区县初审，不能提交");
    assert!(!r.is_forbidden());
    for role in [R::Expert, R::Public, R::SystemAdmin] {
        for &s in S::ALL {
            for &a in A::ALL {
                let r = refusal(s, a, role, &f);
                assert_eq!(r.code, "wrong_role", "{a} by {role} in {s}");
            }
        }
    }
    let r = refusal(S::PublicNotice, A::Publish, R::CityReviewer, &f);
    assert_eq!(r.zh, "只有主管部门可以发布");
}

#[test]
fn refusal_for_a_closed_window() {
    let f = Facts {
        window_open: false,
        ..all_clear(true)
    };
    let r = refusal(S::Draft, A::Submit, R::Applicant, &f);
    assert_eq!(r.code, "window_closed");
    assert_eq!(r.zh, "申报窗口已关闭");
    assert!(!r.en.is_empty());
}

#[test]
fn refusal_for_a_barred_organisation() {
    // 002 第十一条: 3年内不再受理其认定申请; 003 三、1: 取消其3年内申报资格.
    let f = Facts {
        barred: true,
        ..all_clear(true)
    };
    assert_eq!(
        refusal(S::Draft, A::Submit, R::Applicant, &f).code,
        "barred"
    );
}

#[test]
fn refusal_outside_the_region() {
    let f = Facts {
        in_region: false,
        ..all_clear(true)
    };
    for (s, a, role) in [
        (S::CountyReview, A::Pass, R::CountyReviewer),
        (S::CityReview, A::Recommend, R::CityReviewer),
        (S::ExpertReview, A::Decide, R::AuthorityAdmin),
        (S::PublicNotice, A::Publish, R::AuthorityAdmin),
        (S::Published, A::Revoke, R::AuthorityAdmin),
    ] {
        let r = refusal(s, a, role, &f);
        assert_eq!(r.code, "out_of_region");
        assert!(r.is_forbidden());
    }
    // The applicant's own actions do not depend on regions.
    assert_eq!(step(S::Draft, A::Submit, R::Applicant, &f), S::CountyReview);
}

#[test]
fn a_decision_waits_for_the_experts() {
    let f = Facts {
        review_complete: false,
        ..all_clear(true)
    };
    for a in [A::Decide, A::Decline] {
        assert_eq!(
            refusal(S::ExpertReview, a, R::AuthorityAdmin, &f).code,
            "review_incomplete"
        );
    }
    // Returning or rejecting (e.g. for fraud) does not wait.
    assert_eq!(
        step(S::ExpertReview, A::Reject, R::AuthorityAdmin, &f),
        S::Rejected
    );
}

#[test]
fn publication_waits_for_the_notice_and_the_objections() {
    // 002 第八条（二）（三）: 公示7天; 公示有异议的……核实处理; 公示无异议的……发文公布.
    let objection = Facts {
        unresolved_objections: true,
        ..all_clear(true)
    };
    let r = refusal(S::PublicNotice, A::Publish, R::AuthorityAdmin, &objection);
    assert_eq!(r.code, "unresolved_objections");
    assert_eq!(
        actions_for(S::PublicNotice, R::AuthorityAdmin, &objection, today()),
        [A::Reject, A::ReopenReview]
    );
    let running = Facts {
        notice_ended: false,
        ..all_clear(true)
    };
    assert_eq!(
        refusal(S::PublicNotice, A::Publish, R::AuthorityAdmin, &running).code,
        "notice_not_ended"
    );
    // An objection that changes the result takes the application back to the experts.
    assert_eq!(
        step(
            S::PublicNotice,
            A::ReopenReview,
            R::AuthorityAdmin,
            &objection
        ),
        S::ExpertReview
    );
}

#[test]
fn comments_are_required_where_a_reason_is_owed() {
    for a in [
        A::Return,
        A::ReturnToRecommender,
        A::Reject,
        A::ReopenReview,
        A::Revoke,
        A::Remove,
    ] {
        assert!(a.needs_comment(), "{a}");
        let r = check_comment(a, "  \n").unwrap_err();
        assert_eq!(r.code, "comment_required");
        assert!(!r.zh.is_empty() && !r.en.is_empty());
        assert_eq!(check_comment(a, "缺少近两年财务报表"), Ok(()));
    }
    for a in [A::Submit, A::Withdraw, A::Pass, A::Publish] {
        assert_eq!(check_comment(a, ""), Ok(()), "{a}");
    }
}

// ---------------------------------------------------------------------------------------
// Buttons

#[test]
fn buttons_per_state_and_role() {
    let f = all_clear(true);
    let t = today();
    assert_eq!(actions_for(S::Draft, R::Applicant, &f, t), [A::Submit]);
    assert_eq!(
        actions_for(S::CountyReview, R::Applicant, &f, t),
        [A::Withdraw]
    );
    assert_eq!(
        actions_for(S::Returned, R::Applicant, &f, t),
        [A::Resubmit, A::Withdraw]
    );
    assert_eq!(
        actions_for(S::CountyReview, R::CountyReviewer, &f, t),
        [A::Pass, A::Return, A::Reject]
    );
    assert_eq!(
        actions_for(S::CountyReview, R::CountyReviewer, &all_clear(false), t),
        [A::Recommend, A::Return, A::Reject]
    );
    assert_eq!(
        actions_for(S::CityReview, R::CityReviewer, &f, t),
        [A::Recommend, A::Return, A::Reject]
    );
    assert!(actions_for(S::CityReview, R::CountyReviewer, &f, t).is_empty());
    assert_eq!(
        actions_for(S::ExpertReview, R::AuthorityAdmin, &f, t),
        [
            A::Return,
            A::ReturnToRecommender,
            A::Reject,
            A::Decide,
            A::Decline
        ]
    );
    assert_eq!(
        actions_for(S::PublicNotice, R::AuthorityAdmin, &f, t),
        [A::Reject, A::ReopenReview, A::Publish]
    );
    assert_eq!(
        actions_for(S::Published, R::AuthorityAdmin, &f, t),
        [A::Revoke, A::Remove]
    );
    assert!(actions_for(S::Published, R::Applicant, &f, t).is_empty());
    assert!(actions_for(S::Draft, R::Applicant, &Facts::default(), t).is_empty());
}

// ---------------------------------------------------------------------------------------
// Every accepted transition, over every state, action, role and combination of facts

/// The edges of docs/workflow.md §5 Actions with the seeds' levels, written out by hand:
/// (from, action, role, to).
fn expected_edges() -> BTreeSet<(State, Action, Role, State)> {
    [
        (S::Draft, A::Submit, R::Applicant, S::CountyReview),
        (S::Returned, A::Resubmit, R::Applicant, S::CountyReview),
        (S::CountyReview, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::CityReview, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::ExpertReview, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::Returned, A::Withdraw, R::Applicant, S::Withdrawn),
        (S::CountyReview, A::Pass, R::CountyReviewer, S::CityReview),
        (
            S::CountyReview,
            A::Recommend,
            R::CountyReviewer,
            S::ExpertReview,
        ),
        (S::CountyReview, A::Return, R::CountyReviewer, S::Returned),
        (S::CountyReview, A::Reject, R::CountyReviewer, S::Rejected),
        (
            S::CityReview,
            A::Recommend,
            R::CityReviewer,
            S::ExpertReview,
        ),
        (S::CityReview, A::Return, R::CityReviewer, S::Returned),
        (S::CityReview, A::Reject, R::CityReviewer, S::Rejected),
        (S::ExpertReview, A::Return, R::AuthorityAdmin, S::Returned),
        (
            S::ExpertReview,
            A::ReturnToRecommender,
            R::AuthorityAdmin,
            S::CityReview,
        ),
        (
            S::ExpertReview,
            A::ReturnToRecommender,
            R::AuthorityAdmin,
            S::CountyReview,
        ),
        (S::ExpertReview, A::Reject, R::AuthorityAdmin, S::Rejected),
        (
            S::ExpertReview,
            A::Decide,
            R::AuthorityAdmin,
            S::PublicNotice,
        ),
        (S::ExpertReview, A::Decline, R::AuthorityAdmin, S::NotGraded),
        (S::PublicNotice, A::Reject, R::AuthorityAdmin, S::Rejected),
        (
            S::PublicNotice,
            A::ReopenReview,
            R::AuthorityAdmin,
            S::ExpertReview,
        ),
        (S::PublicNotice, A::Publish, R::AuthorityAdmin, S::Published),
        (S::Published, A::Revoke, R::AuthorityAdmin, S::Revoked),
        (S::Published, A::Remove, R::AuthorityAdmin, S::Removed),
    ]
    .into_iter()
    .collect()
}

fn facts_from_bits(bits: u8) -> Facts {
    Facts {
        window_open: bits & 1 != 0,
        owner: bits & 2 != 0,
        in_region: bits & 4 != 0,
        chain_has_city: bits & 8 != 0,
        first_level_is_authority: false,
        barred: bits & 16 != 0,
        review_complete: bits & 32 != 0,
        notice_ended: bits & 64 != 0,
        unresolved_objections: bits & 128 != 0,
    }
}

/// The conditions of docs/workflow.md §6 Facts and the seeds, written out by hand, that an
/// accepted transition must satisfy.
fn conditions_hold(t: &Transition, role: Role, f: &Facts) -> Result<(), String> {
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
    if role == R::Applicant {
        check(f.owner, "applicant acts on its own application only")?;
    } else {
        check(f.in_region, "reviewers act inside their region only")?;
    }
    match t.action {
        A::Submit => {
            check(f.window_open, "submission needs an open window")?;
            check(!f.barred, "a barred organisation cannot submit")?;
        }
        A::Resubmit => check(!f.barred, "a barred organisation cannot resubmit")?,
        A::Pass => check(f.chain_has_city, "pass only where a city level exists")?,
        A::Recommend if t.from == S::CountyReview => {
            check(!f.chain_has_city, "a county recommends only without a city")?;
        }
        A::ReturnToRecommender => check(
            (t.to == S::CityReview) == f.chain_has_city,
            "the province returns to the city where there is one, else to the county",
        )?,
        A::Decide | A::Decline => check(f.review_complete, "decisions wait for the experts")?,
        A::Publish => {
            check(f.notice_ended, "publication waits for the notice to end")?;
            check(!f.unresolved_objections, "objections block publication")?;
        }
        _ => {}
    }
    Ok(())
}

#[test]
fn every_accepted_transition_is_an_edge_of_the_design_and_every_edge_is_reachable() {
    let expected = expected_edges();
    let mut seen = BTreeSet::new();
    for &state in S::ALL {
        for &action in A::ALL {
            for &role in R::ALL {
                for bits in 0..=u8::MAX {
                    let f = facts_from_bits(bits);
                    match next(state, action, role, &f, today()) {
                        Ok(t) => {
                            assert_eq!((t.from, t.action), (state, action));
                            let edge = (t.from, t.action, role, t.to);
                            assert!(expected.contains(&edge), "unexpected edge {edge:?}");
                            if let Err(why) = conditions_hold(&t, role, &f) {
                                panic!("{edge:?} accepted under {f:?}: {why}");
                            }
                            seen.insert(edge);
                        }
                        Err(r) => check_refusal(&r),
                    }
                }
            }
        }
    }
    let missing: Vec<_> = expected.difference(&seen).collect();
    assert!(missing.is_empty(), "edges never accepted: {missing:?}");
}

// ---------------------------------------------------------------------------------------
// Properties

const CODES: &[&str] = &[
    "wrong_state",
    "wrong_role",
    "not_owner",
    "out_of_region",
    "window_closed",
    "barred",
    "no_city_level",
    "city_level_required",
    "review_incomplete",
    "notice_not_ended",
    "unresolved_objections",
    "comment_required",
];

fn check_refusal(r: &Refusal) {
    assert!(CODES.contains(&r.code), "unknown code {}", r.code);
    assert!(
        r.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "zh reason has no Chinese: {r:?}"
    );
    assert!(
        !r.en.trim().is_empty() && r.en.is_ascii(),
        "en reason: {r:?}"
    );
    assert_eq!(r.to_string(), format!("{} / {}", r.zh, r.en));
}

/// The main path's actions, which guided steps prefer.
const FORWARD: &[Action] = &[
    A::Submit,
    A::Resubmit,
    A::Pass,
    A::Recommend,
    A::Decide,
    A::Publish,
];

/// Where a random sequence of steps went: the states visited, first to last.
fn walk(chain_has_city: bool, steps: &[(u8, u8, u8, bool, u16)]) -> Vec<State> {
    let mut path = vec![S::Draft];
    for &(action, role, bits, guided, pick) in steps {
        let state = *path.last().unwrap();
        let mut f = facts_from_bits(bits);
        f.chain_has_city = chain_has_city;
        let (action, role) = if guided {
            // Choose among the steps the rules accept here, so walks get far.
            let accepted: Vec<(Action, Role)> = R::ALL
                .iter()
                .flat_map(|&r| {
                    actions_for(state, r, &f, today())
                        .into_iter()
                        .map(move |a| (a, r))
                })
                .collect();
            // Mostly forward along the main path, sometimes anything accepted.
            let forward: Vec<(Action, Role)> = accepted
                .iter()
                .copied()
                .filter(|(a, _)| FORWARD.contains(a))
                .collect();
            let from = if !pick.is_multiple_of(4) && !forward.is_empty() {
                forward
            } else {
                accepted
            };
            if from.is_empty() {
                continue;
            }
            from[usize::from(pick / 4) % from.len()]
        } else {
            (
                A::ALL[usize::from(action) % A::ALL.len()],
                R::ALL[usize::from(role) % R::ALL.len()],
            )
        };
        match next(state, action, role, &f, today()) {
            Ok(t) => {
                assert_eq!(t.from, state);
                path.push(t.to);
            }
            Err(r) => check_refusal(&r),
        }
    }
    path
}

/// The review stages that must precede each publication, in order, since the last
/// (re)submission from the applicant.
fn check_publication_order(chain_has_city: bool, path: &[State]) -> Result<(), String> {
    for (i, &s) in path.iter().enumerate() {
        if !chain_has_city && s == S::CityReview {
            return Err(format!("city review in a chain without a city: {path:?}"));
        }
        if s != S::Published {
            continue;
        }
        if i == 0 || path[i - 1] != S::PublicNotice {
            return Err(format!("published not from public notice: {path:?}"));
        }
        let start = path[..i]
            .iter()
            .rposition(|&p| p == S::Draft || p == S::Returned)
            .ok_or_else(|| format!("published without a submission: {path:?}"))?;
        let since = &path[start + 1..i];
        let mut wanted = vec![S::CountyReview];
        if chain_has_city {
            wanted.push(S::CityReview);
        }
        wanted.extend([S::ExpertReview, S::PublicNotice]);
        let mut rest = since.iter();
        for w in &wanted {
            if !rest.any(|s| s == w) {
                return Err(format!("{w} missing before publication: {path:?}"));
            }
        }
        // After the last county review, nothing but the review stages.
        for s in since {
            if !matches!(
                s,
                S::CountyReview | S::CityReview | S::ExpertReview | S::PublicNotice
            ) {
                return Err(format!("{s} between submission and publication: {path:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_order_check_itself_rejects_shortcuts() {
    use S::*;
    assert!(
        check_publication_order(
            true,
            &[
                Draft,
                CountyReview,
                CityReview,
                ExpertReview,
                PublicNotice,
                Published
            ]
        )
        .is_ok()
    );
    assert!(
        check_publication_order(
            false,
            &[Draft, CountyReview, ExpertReview, PublicNotice, Published]
        )
        .is_ok()
    );
    assert!(
        check_publication_order(
            true,
            &[Draft, CountyReview, ExpertReview, PublicNotice, Published]
        )
        .is_err()
    );
    assert!(
        check_publication_order(
            true,
            &[
                Draft,
                CountyReview,
                CityReview,
                Returned,
                CountyReview,
                ExpertReview,
                PublicNotice,
                Published
            ]
        )
        .is_err()
    );
    assert!(
        check_publication_order(
            true,
            &[Draft, CountyReview, CityReview, ExpertReview, Published]
        )
        .is_err()
    );
}

/// A small deterministic generator, so the coverage check below reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn guided_walks_reach_publication_by_the_design_path_only() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut published = [0usize; 2];
    for walk_no in 0u32..200 {
        let chain_has_city = walk_no.is_multiple_of(2);
        let steps: Vec<_> = (0..30)
            .map(|_| {
                let r = rng.next();
                // Facts mostly favourable so that walks progress.
                let mut bits = 1 | 2 | 4 | 32 | 64;
                if r & 0xf == 0 {
                    bits ^= 1 << ((r >> 4) % 8);
                }
                (
                    (r >> 8) as u8,
                    (r >> 16) as u8,
                    bits as u8,
                    !(r >> 24).is_multiple_of(4),
                    (r >> 32) as u16,
                )
            })
            .collect();
        let path = walk(chain_has_city, &steps);
        if let Err(e) = check_publication_order(chain_has_city, &path) {
            panic!("{e}");
        }
        if path.contains(&S::Published) {
            published[usize::from(chain_has_city)] += 1;
        }
    }
    assert!(
        published[0] > 10 && published[1] > 10,
        "walks must reach publication often enough to test anything: {published:?}"
    );
}

fn any_state() -> impl Strategy<Value = State> {
    (0..S::ALL.len()).prop_map(|i| S::ALL[i])
}

fn any_action() -> impl Strategy<Value = Action> {
    (0..A::ALL.len()).prop_map(|i| A::ALL[i])
}

fn any_role() -> impl Strategy<Value = Role> {
    (0..R::ALL.len()).prop_map(|i| R::ALL[i])
}

fn any_facts() -> impl Strategy<Value = Facts> {
    any::<u8>().prop_map(facts_from_bits)
}

fn any_day() -> impl Strategy<Value = NaiveDate> {
    (0i64..3650)
        .prop_map(|d| NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(d))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No sequence of (action, role) from `draft` reaches `published` except through
    /// county review, city review (where the chain has one), expert review and public
    /// notice, in that order, since the last submission.
    #[test]
    fn no_shortcut_to_publication(
        chain_has_city in any::<bool>(),
        steps in prop::collection::vec(
            (any::<u8>(), any::<u8>(), any::<u8>(), any::<bool>(), any::<u16>()),
            0..40,
        ),
    ) {
        let path = walk(chain_has_city, &steps);
        prop_assert!(check_publication_order(chain_has_city, &path).is_ok(),
            "{}", check_publication_order(chain_has_city, &path).unwrap_err());
    }

    /// Every refusal carries a known code and a reason in both languages.
    #[test]
    fn refusals_are_explained(
        state in any_state(), action in any_action(), role in any_role(),
        facts in any_facts(), day in any_day(),
    ) {
        if let Err(r) = next(state, action, role, &facts, day) {
            check_refusal(&r);
        }
    }

    /// The buttons shown are exactly the actions accepted.
    #[test]
    fn actions_for_agrees_with_next(
        state in any_state(), role in any_role(), facts in any_facts(), day in any_day(),
    ) {
        let shown = actions_for(state, role, &facts, day);
        for &a in A::ALL {
            let accepted = next(state, a, role, &facts, day).is_ok();
            prop_assert_eq!(shown.contains(&a), accepted, "{} by {} in {}", a, role, state);
        }
    }

    /// `published` is entered only from `public_notice`, by publication, after the notice
    /// ended without unresolved objections.
    #[test]
    fn published_only_from_public_notice(
        state in any_state(), action in any_action(), role in any_role(),
        facts in any_facts(), day in any_day(),
    ) {
        if let Ok(t) = next(state, action, role, &facts, day)
            && t.to == S::Published
        {
            prop_assert_eq!(t.from, S::PublicNotice);
            prop_assert_eq!(t.action, A::Publish);
            prop_assert_eq!(role, R::AuthorityAdmin);
            prop_assert!(facts.notice_ended && !facts.unresolved_objections);
        }
    }
}
