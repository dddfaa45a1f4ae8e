//! Snapshot tests of explanations: the exact words a reviewer reads, in text and JSON.
//! A change to wording shows up as a reviewable diff (`cargo insta review`).

use pingjia_core::engine::Round;
use pingjia_core::{Catalog, evaluate, read_declaration, report};

fn explain(id: &str, fixture: &str, params: &[(&str, &str)]) -> pingjia_core::Report {
    let catalog = Catalog::builtin().unwrap();
    let target = catalog.resolve(id).unwrap();
    let scheme = &catalog.schemes[target.scheme];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let text = std::fs::read_to_string(&path).unwrap();
    let format = pingjia_core::Format::from_path(fixture).unwrap();
    let tree = pingjia_core::declaration::parse_tree(&text, format).unwrap();
    let declaration =
        read_declaration(&tree, scheme, target.provider_type).unwrap_or_else(|e| panic!("{e}"));
    let mut round = Round::from_scheme(scheme);
    for (key, value) in params {
        round.set_param(scheme, key, value).unwrap();
    }
    report(&evaluate(scheme, &declaration, &round))
}

#[test]
fn jiangsu_four_star_explanation() {
    let report = explain(
        "jiangsu-pool-2021/comprehensive_platform",
        "tests/fixtures/comprehensive_platform.toml",
        &[],
    );
    insta::assert_snapshot!("jiangsu_text", report.to_text());
    insta::assert_snapshot!("jiangsu_markdown", report.to_markdown());
    insta::assert_json_snapshot!("jiangsu_json", report);
}

#[test]
fn shaoxing_rubric_explanation() {
    let report = explain("shaoxing-platform", "tests/fixtures/shaoxing.toml", &[]);
    insta::assert_snapshot!("shaoxing_text", report.to_text());
    insta::assert_json_snapshot!("shaoxing_json", report);
}

#[test]
fn miit_capability_explanation() {
    let report = explain(
        "miit-platform-2018",
        "tests/fixtures/miit.toml",
        &[
            ("common.min_industrial_data", "1PB"),
            ("industry.min_devices", "20000"),
            ("industry.min_components", "100"),
            ("industry.min_apps", "50"),
            ("industry.min_enterprise_users", "100"),
            ("industry.min_enterprise_ratio", "10%"),
        ],
    );
    insta::assert_snapshot!("miit_text", report.to_text());
}
