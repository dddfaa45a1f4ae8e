//! Review chains as data (docs/workflow.md §3): the chains the scheme files state, the route
//! of an application by its region, the MIIT chain whose first level is a provincial office,
//! and the shapes a chain may not take. Expectations are written from 002 第四条、第八条 and
//! 003 二（一）、二（二）1, not from the code.

use chrono::NaiveDate;
use pingjia_core::builtin;
use pingjia_core::workflow::{Action, Chain, Facts, Office, Role, State, code, next};

fn chain_of(scheme_id: &str) -> Chain {
    builtin::schemes()
        .expect("the embedded schemes load")
        .into_iter()
        .find(|s| s.id == scheme_id)
        .unwrap_or_else(|| panic!("scheme {scheme_id}"))
        .chain
        .unwrap_or_else(|| panic!("{scheme_id} states its chain"))
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
}

#[test]
fn jiangsu_goes_county_city_province_except_three_offices() {
    let chain = chain_of("jiangsu-pool-2021");
    // 苏州市姑苏区 (320508): county → 苏州 → 省工信厅.
    let ordinary = chain.route(&["32", "3205", "320508"]);
    assert_eq!(ordinary.levels, [Office::County, Office::City]);
    assert_eq!(ordinary.authority, Office::Province);
    assert_eq!(ordinary.shape(), (true, false));
    // 昆山市 (320583), 泰兴市 (321283), 沭阳县 (321322) recommend to the province themselves.
    for path in [
        ["32", "3205", "320583"],
        ["32", "3212", "321283"],
        ["32", "3213", "321322"],
    ] {
        let route = chain.route(&path);
        assert_eq!(route.levels, [Office::County], "{path:?}");
        assert_eq!(route.shape(), (false, false));
        assert_eq!(route.office_for(State::CityReview), None);
        assert_eq!(
            route.step_label_zh(State::CountyReview),
            "县（市、区）初审推荐"
        );
    }
    assert_eq!(
        ordinary.step_label_zh(State::CountyReview),
        "县（市、区）初审"
    );
    assert_eq!(ordinary.office_for(State::CityReview), Some(Office::City));
    assert_eq!(
        ordinary.office_for(State::ExpertReview),
        Some(Office::Province)
    );
}

#[test]
fn shaoxing_goes_from_the_county_to_the_city_which_decides() {
    let chain = chain_of("shaoxing-platform");
    let route = chain.route(&["33", "3306", "330602"]);
    assert_eq!(route.levels, [Office::County]);
    assert_eq!(route.authority, Office::City);
    assert_eq!(route.office_for(State::ExpertReview), Some(Office::City));
    assert_eq!(route.office_for(State::Draft), None);
}

#[test]
fn an_miit_selection_is_recommended_by_the_province() {
    let chain = chain_of("miit-platform-2018");
    let route = chain.route(&["32", "3201", "320102"]);
    assert_eq!(route.levels, [Office::Province]);
    assert_eq!(route.authority, Office::Nation);
    let (chain_has_city, first_level_is_authority) = route.shape();
    assert!(!chain_has_city && first_level_is_authority);
    let facts = Facts {
        in_region: true,
        chain_has_city,
        first_level_is_authority,
        ..Facts::default()
    };
    // The provincial office (an authority account) recommends to the ministry.
    let moved = next(
        State::CountyReview,
        Action::Recommend,
        Role::AuthorityAdmin,
        &facts,
        today(),
    )
    .expect("the province recommends");
    assert_eq!(moved.to, State::ExpertReview);
    // No county office takes part.
    let refused = next(
        State::CountyReview,
        Action::Recommend,
        Role::CountyReviewer,
        &facts,
        today(),
    )
    .unwrap_err();
    assert_eq!(refused.code, code::WRONG_ROLE);
    let refused = next(
        State::CountyReview,
        Action::Pass,
        Role::AuthorityAdmin,
        &facts,
        today(),
    )
    .unwrap_err();
    assert_eq!(refused.code, code::NO_CITY_LEVEL);
    assert_eq!(
        route.step_label_zh(State::CountyReview),
        "省级主管部门初审推荐"
    );
}

#[test]
fn in_an_ordinary_chain_the_authority_does_not_act_in_county_review() {
    let facts = Facts {
        in_region: true,
        chain_has_city: true,
        ..Facts::default()
    };
    let refused = next(
        State::CountyReview,
        Action::Pass,
        Role::AuthorityAdmin,
        &facts,
        today(),
    )
    .unwrap_err();
    assert_eq!(refused.code, code::WRONG_ROLE);
}

#[test]
fn malformed_chains_are_refused() {
    let chain = |levels: &[Office], authority: Office, direct: &[&str]| Chain {
        levels: levels.to_vec(),
        authority,
        direct: direct.iter().map(|d| (*d).to_owned()).collect(),
        clause: String::new(),
    };
    use Office::*;
    assert!(
        chain(&[County, City], Province, &["320583"])
            .validate()
            .is_ok()
    );
    assert!(chain(&[County], City, &[]).validate().is_ok());
    assert!(chain(&[Province], Nation, &[]).validate().is_ok());
    for (bad, why) in [
        (chain(&[], Province, &[]), "no level"),
        (
            chain(&[County, City, Province], Nation, &[]),
            "three levels",
        ),
        (chain(&[City], Province, &[]), "a city first"),
        (chain(&[County, Province], Nation, &[]), "a province second"),
        (chain(&[County, City], City, &[]), "the authority not above"),
        (
            chain(&[County], Province, &["320583"]),
            "direct without a level to skip",
        ),
        (
            chain(&[County, City], Province, &["32x"]),
            "a code that is not digits",
        ),
    ] {
        assert!(bad.validate().is_err(), "{why}");
    }
}

#[test]
fn a_chain_reads_from_json_as_a_round_stores_it() {
    let chain: Chain = serde_json::from_str(
        r#"{"levels":["county","city"],"authority":"province","direct":["320583"]}"#,
    )
    .unwrap();
    assert_eq!(chain.levels, [Office::County, Office::City]);
    assert!(
        serde_json::from_str::<Chain>(r#"{"levels":["county"],"authority":"city","x":1}"#).is_err()
    );
}
