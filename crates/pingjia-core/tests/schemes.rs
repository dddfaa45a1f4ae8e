//! The embedded schemes against the documents (row counts and notes counted by hand from the
//! seed tables), and the scheme loader's validation: every error names file, line and id.

use pingjia_core::scheme::{FieldKind, Method, ProfessionalRule, Section};
use pingjia_core::{Catalog, parse_scheme};

fn catalog() -> Catalog {
    Catalog::builtin().unwrap_or_else(|e| panic!("embedded schemes must load:\n{e}"))
}

/// Rows per section of each Jiangsu table, counted in seed 003 (merged pools count once:
/// e.g. 综合平台 设备管理/数据监控/决策优化/边缘计算 is one row).
#[test]
fn every_jiangsu_table_row_is_encoded() {
    let catalog = catalog();
    let scheme = &catalog.schemes[catalog.resolve("jiangsu-pool-2021").unwrap().scheme];
    // (type, basic, professional per subclass, service, rule)
    let expected: &[(&str, usize, &[usize], usize, ProfessionalRule)] = &[
        (
            "comprehensive_platform",
            10,
            &[6, 7, 5, 5],
            7,
            ProfessionalRule::AnySubclass,
        ),
        (
            "cloud_platform",
            10,
            &[9, 3],
            7,
            ProfessionalRule::AnySubclass,
        ),
        ("solution", 10, &[3, 3], 3, ProfessionalRule::AnySubclass),
        (
            "industrial_app",
            10,
            &[6, 7],
            4,
            ProfessionalRule::AnySubclass,
        ),
        (
            "network",
            10,
            &[3, 3, 3, 5, 5],
            4,
            ProfessionalRule::AnySubclass,
        ),
        (
            "data_collection",
            10,
            &[3, 4, 1],
            3,
            ProfessionalRule::AllSubclasses,
        ),
        (
            "ics_security",
            10,
            &[6, 6, 5, 5],
            4,
            ProfessionalRule::AnySubclass,
        ),
        (
            "supporting",
            3,
            &[6, 5, 4, 4],
            2,
            ProfessionalRule::AnySubclass,
        ),
    ];
    assert_eq!(scheme.provider_types.len(), expected.len());
    for (type_id, basic, professional, service, rule) in expected {
        let type_index = scheme
            .provider_type(type_id)
            .unwrap_or_else(|| panic!("type {type_id}"));
        let provider_type = &scheme.provider_types[type_index];
        let rows = |section: Section, subclass: Option<usize>| {
            scheme
                .criteria
                .iter()
                .filter(|c| {
                    c.provider_type == Some(type_index)
                        && c.section == section
                        && (subclass.is_none() || c.subclass == subclass)
                })
                .count()
        };
        assert_eq!(rows(Section::Basic, None), *basic, "{type_id} 基础要求");
        assert_eq!(rows(Section::Service, None), *service, "{type_id} 服务要求");
        assert_eq!(
            provider_type.subclasses.len(),
            professional.len(),
            "{type_id} subclasses"
        );
        for (index, count) in professional.iter().enumerate() {
            assert_eq!(
                rows(Section::Professional, Some(index)),
                *count,
                "{type_id} 专业要求 {}",
                provider_type.subclasses[index].title
            );
        }
        assert_eq!(provider_type.professional, *rule, "{type_id} rule");
        // Every row of a table states a requirement for each of the three levels.
        for criterion in scheme
            .criteria
            .iter()
            .filter(|c| c.provider_type == Some(type_index) && c.section != Section::Shortcut)
        {
            assert_eq!(criterion.wording.len(), 3, "{} wording", criterion.id);
        }
    }
    // The six 企业基本条件 gates apply to every type; only 综合平台 has the shortcut.
    assert_eq!(
        scheme
            .criteria
            .iter()
            .filter(|c| c.section == Section::Gate && c.provider_type.is_none())
            .count(),
        6
    );
    let shortcuts: Vec<&str> = scheme
        .criteria
        .iter()
        .filter(|c| c.section == Section::Shortcut)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(shortcuts, ["comprehensive_platform.key_platform"]);
}

/// Notes: 注1 marks 注册资金, 高新技术企业 and 主营业务收入 in the seven full tables, and
/// 注册资金 plus the three 配套 revenue rows in the 配套 table; 注4 marks one row.
#[test]
fn notes_sit_on_the_rows_the_document_marks() {
    let catalog = catalog();
    let scheme = &catalog.schemes[0];
    let with_note = |note: &str| -> Vec<&str> {
        let index = scheme.notes.iter().position(|n| n.id == note).unwrap();
        scheme
            .criteria
            .iter()
            .filter(|c| c.notes.contains(&index))
            .map(|c| c.id.as_str())
            .collect()
    };
    let note1 = with_note("注1");
    assert_eq!(note1.len(), 7 * 3 + 1 + 3, "注1 rows: {note1:?}");
    for id in [
        "supporting.registered_capital",
        "supporting.consulting.revenue",
        "supporting.training.revenue",
        "supporting.exhibition.revenue",
        "network.high_tech",
        "industrial_app.main_revenue",
    ] {
        assert!(note1.contains(&id), "注1 on {id}: {note1:?}");
    }
    assert_eq!(with_note("注4"), ["network.clusters"]);
    let note3 = with_note("注3");
    assert_eq!(note3.len(), 8, "注3 on every 财务状况 row: {note3:?}");
    assert!(note3.iter().all(|id| id.ends_with(".financial_status")));
    // 注2 on every duration: 注册成立时间 ×8, 平台上线运行时间 ×2, 从事…时间 ×4, and the gate.
    assert_eq!(with_note("注2").len(), 8 + 2 + 4 + 1);
}

#[test]
fn itss_level_one_is_the_highest() {
    let catalog = catalog();
    let scheme = &catalog.schemes[0];
    let itss = scheme.scales.iter().find(|s| s.id == "itss").unwrap();
    let labels: Vec<&str> = itss.levels.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["四级", "三级", "二级", "一级"]);
}

#[test]
fn shaoxing_rubric_adds_up_to_105() {
    let catalog = catalog();
    let scheme = &catalog.schemes[catalog.resolve("shaoxing-platform").unwrap().scheme];
    assert_eq!(scheme.method, Method::Rubric);
    assert_eq!(scheme.max_score, Some(105.into()));
    let maxima: Vec<String> = scheme
        .criteria
        .iter()
        .filter_map(|c| match &c.test {
            pingjia_core::scheme::Test::Score { max, .. } => Some(max.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        maxima,
        ["10", "10", "10", "10", "10", "10", "20", "20", "5"]
    );
    assert_eq!(
        scheme
            .criteria
            .iter()
            .filter(|c| c.section == Section::Material)
            .count(),
        8,
        "第七条 (一)–(八)"
    );
    assert_eq!(
        scheme
            .criteria
            .iter()
            .filter(|c| c.section == Section::Material && c.optional)
            .count(),
        1
    );
}

#[test]
fn miit_has_five_nested_parts_and_names_every_parameter() {
    let catalog = catalog();
    let scheme = &catalog.schemes[catalog.resolve("miit-platform-2018").unwrap().scheme];
    let parts: Vec<&str> = scheme.parts.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(parts, ["common", "industry", "domain", "region", "cross"]);
    let cross = &scheme.parts[4];
    assert_eq!(
        cross.requires,
        [0, 1, 2, 3],
        "跨行业跨领域 needs the other four"
    );
    // 15 基础共性 items in four aspects (4 + 5 + 2 + 4), plus the 「一定规模」 data requirement.
    let common = scheme.criteria.iter().filter(|c| c.part == Some(0)).count();
    assert_eq!(common, 16);
    // The document sets no values: no parameter has a default; every one is an example only.
    assert!(
        scheme
            .parameters
            .iter()
            .all(|p| p.default.is_none() && p.example.is_some())
    );
    let regions = scheme
        .fields
        .iter()
        .find(|f| f.id == "cross_regions")
        .unwrap();
    let FieldKind::Records(spec) = &regions.kind else {
        panic!("records")
    };
    assert_eq!(
        spec.key_options,
        ["华北", "华东", "华南", "华中", "西北", "东北"]
    );
}

const MINIMAL: &str = r#"
[scheme]
id = "test-scheme"
title = "测试"
title_en = "Test"
version = "1"
method = "stars"
document = "test"

[[level]]
stars = 3
label = "三星"

[[level]]
stars = 4
label = "四星"

[[provider_type]]
id = "kind_a"
title = "甲"
title_en = "A"
category = "甲类"
clause = "一"
professional = "any_subclass"

[[provider_type.subclass]]
id = "sub"
title = "子类"
title_en = "Sub"

[[criterion]]
id = "kind_a.capital"
type = "kind_a"
section = "basic"
kind = "number"
unit = "元"
field = "capital"
label = "注册资金"
label_en = "Capital"
clause = "一"
levels = ["100万", "200万"]

[[criterion]]
id = "kind_a.sub.count"
type = "kind_a"
section = "professional"
subclass = "sub"
kind = "number"
unit = "个"
field = "count"
label = "数量"
label_en = "Count"
clause = "一"
levels = ["-", "5个"]
"#;

fn errors_of(text: &str) -> Vec<pingjia_core::SchemeError> {
    match parse_scheme("new.toml", text) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors.0,
    }
}

#[test]
fn a_minimal_scheme_loads() {
    let scheme = parse_scheme("new.toml", MINIMAL).unwrap();
    assert_eq!(scheme.criteria.len(), 2);
    assert_eq!(scheme.fields.len(), 2);
}

#[test]
fn unknown_keys_are_errors_with_a_line() {
    let text = MINIMAL.replace(
        "clause = \"一\"\nlevels = [\"100万\"",
        "clause = \"一\"\nthreshold = 3\nlevels = [\"100万\"",
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("threshold"), "{errors:?}");
    let line = text
        .lines()
        .position(|l| l.starts_with("threshold"))
        .unwrap()
        + 1;
    assert_eq!(errors[0].line, Some(line));
    assert_eq!(errors[0].file, "new.toml");
}

#[test]
fn duplicate_ids_name_the_line_and_id() {
    let text = MINIMAL.replace("id = \"kind_a.sub.count\"", "id = \"kind_a.capital\"");
    let errors = errors_of(&text);
    let duplicate = errors
        .iter()
        .find(|e| e.message.contains("duplicate"))
        .expect("duplicate error");
    assert_eq!(duplicate.id.as_deref(), Some("kind_a.capital"));
    let second = text
        .match_indices("id = \"kind_a.capital\"")
        .nth(1)
        .unwrap()
        .0;
    assert_eq!(
        duplicate.line,
        Some(text[..second].matches('\n').count() + 1)
    );
    assert!(
        duplicate.to_string().starts_with("new.toml:"),
        "{duplicate}"
    );
}

#[test]
fn thresholds_that_get_easier_are_errors() {
    let errors = errors_of(&MINIMAL.replace(
        "levels = [\"100万\", \"200万\"]",
        "levels = [\"200万\", \"100万\"]",
    ));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("easier") && e.id.as_deref() == Some("kind_a.capital")),
        "{errors:?}"
    );
    // A requirement that disappears at a higher level is easier too.
    let errors =
        errors_of(&MINIMAL.replace("levels = [\"-\", \"5个\"]", "levels = [\"5个\", \"-\"]"));
    assert!(
        errors.iter().any(|e| e.message.contains("easier")),
        "{errors:?}"
    );
}

#[test]
fn dangling_references_are_errors() {
    for (from, to, expected) in [
        (
            "subclass = \"sub\"",
            "subclass = \"nope\"",
            "unknown subclass `nope`",
        ),
        (
            "type = \"kind_a\"\nsection = \"basic\"",
            "type = \"kind_b\"\nsection = \"basic\"",
            "unknown provider type `kind_b`",
        ),
        (
            "unit = \"元\"",
            "unit = \"元\"\nnotes = [\"注9\"]",
            "unknown note `注9`",
        ),
        ("unit = \"个\"", "unit = \"盒\"", "unknown unit `盒`"),
        (
            "kind = \"number\"\nunit = \"元\"",
            "kind = \"ordinal\"\nscale = \"none\"",
            "unknown scale `none`",
        ),
    ] {
        let text = MINIMAL.replace(from, to);
        assert_ne!(text, MINIMAL, "replacement {from:?} did not apply");
        let errors = errors_of(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains(expected) && e.line.is_some()),
            "{expected}: {errors:?}"
        );
    }
}

#[test]
fn unreadable_requirements_and_shared_fields_are_errors() {
    let errors = errors_of(&MINIMAL.replace("[\"100万\", \"200万\"]", "[\"一百万\", \"200万\"]"));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("cannot read requirement `一百万`")),
        "{errors:?}"
    );
    let errors = errors_of(&MINIMAL.replace("field = \"count\"", "field = \"capital\""));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("two different kinds")),
        "{errors:?}"
    );
    let errors =
        errors_of(&MINIMAL.replace("levels = [\"100万\", \"200万\"]", "levels = [\"100万\"]"));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("expected 2 entries")),
        "{errors:?}"
    );
}

/// A capability scheme whose any_of rows are picked by a declared kind (MIIT 二（一）, 五（一）).
const SELECTED: &str = r#"
[scheme]
id = "selected"
title = "测试"
title_en = "Test"
version = "1"
method = "capability"
document = "test"

[[part]]
id = "industry"
title = "特定行业"
title_en = "Industry"
clause = "二"

[[parameter]]
id = "min_devices"
label = "设备"
label_en = "Devices"
unit = "台/套"
default = "100"

[[parameter]]
id = "min_points"
label = "采集点"
label_en = "Points"
unit = "个"
default = "100"

[[criterion]]
id = "industry.kind"
part = "industry"
section = "capability"
kind = "choice"
field = "industry_kind"
label = "行业类型"
label_en = "Kind"
clause = "二（一）"
options = ["离散行业", "流程行业"]

[[criterion]]
id = "industry.devices"
part = "industry"
section = "capability"
kind = "any_of"
select_by = "industry_kind"
label = "设备接入"
label_en = "Devices"
clause = "二（一）"

[[criterion.alternative]]
id = "devices"
section = "capability"
kind = "number"
unit = "台/套"
when = "离散行业"
label = "设备（离散行业）"
label_en = "Devices"
clause = "二（一）"
param = "min_devices"

[[criterion.alternative]]
id = "points"
section = "capability"
kind = "number"
unit = "个"
when = "流程行业"
label = "采集点（流程行业）"
label_en = "Points"
clause = "二（一）"
param = "min_points"
"#;

#[test]
fn select_by_picks_the_alternative_of_the_declared_kind() {
    let scheme = parse_scheme("selected.toml", SELECTED).unwrap();
    let pingjia_core::scheme::Test::AnyOf { alternatives } = &scheme.criteria[1].test else {
        panic!("any_of")
    };
    let kind = scheme.field("industry_kind").unwrap();
    assert_eq!(alternatives[0].when, Some((kind, 0)));
    assert_eq!(alternatives[1].when, Some((kind, 1)));
    let status = |values: &str| {
        let text = format!("scheme = \"selected\"\n[values]\n{values}\n");
        let tree =
            pingjia_core::declaration::parse_tree(&text, pingjia_core::Format::Toml).unwrap();
        let declaration = pingjia_core::read_declaration(&tree, &scheme, None).unwrap();
        let round = pingjia_core::Round::from_scheme(&scheme);
        pingjia_core::evaluate(&scheme, &declaration, &round).findings[1].status(0)
    };
    use pingjia_core::Status::{Met, Missing, NotMet};
    // 离散行业: only the devices count, however many points.
    assert_eq!(
        status("industry_kind = \"离散行业\"\ndevices = 50\npoints = 500"),
        NotMet
    );
    assert_eq!(
        status("industry_kind = \"离散行业\"\ndevices = 150\npoints = 5"),
        Met
    );
    // 流程行业: only the points count.
    assert_eq!(
        status("industry_kind = \"流程行业\"\ndevices = 500\npoints = 50"),
        NotMet
    );
    assert_eq!(status("industry_kind = \"流程行业\"\npoints = 100"), Met);
    // Without a kind, the count that counts is unknown; a kind outside the list counts nothing.
    assert_eq!(status("devices = 500\npoints = 500"), Missing);
    assert_eq!(
        status("industry_kind = \"化工\"\ndevices = 500\npoints = 500"),
        NotMet
    );
}

#[test]
fn select_by_and_when_are_checked() {
    for (from, to, expected) in [
        (
            "select_by = \"industry_kind\"",
            "select_by = \"nope\"",
            "select_by `nope` must name a choice field",
        ),
        (
            "when = \"离散行业\"",
            "when = \"装备制造\"",
            "when `装备制造` is not an option",
        ),
        ("when = \"流程行业\"\n", "", "needs `when`"),
        (
            "select_by = \"industry_kind\"\n",
            "",
            "`when` needs `select_by`",
        ),
        (
            "options = [\"离散行业\", \"流程行业\"]",
            "options = [\"离散行业\", \"流程行业\"]\nwhen = \"离散行业\"",
            "`when` belongs to a [[criterion.alternative]]",
        ),
        (
            "field = \"industry_kind\"",
            "field = \"industry_kind\"\nselect_by = \"industry_kind\"",
            "only any_of rows take `select_by`",
        ),
    ] {
        let text = SELECTED.replacen(from, to, 1);
        assert_ne!(text, SELECTED, "replacement {from:?} did not apply");
        let errors = errors_of(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains(expected) && e.line.is_some()),
            "{expected}: {errors:?}"
        );
    }
    // The selecting field must be a choice, and defined before the row that uses it.
    let text = SELECTED.replace(
        "kind = \"choice\"\nfield = \"industry_kind\"",
        "kind = \"yes_no\"\nfield = \"industry_kind\"\nrequirement = \"是\"",
    );
    let errors = errors_of(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("must name a choice field")),
        "{errors:?}"
    );
}

#[test]
fn optional_materials_are_requested_by_the_round() {
    let catalog = catalog();
    let scheme = &catalog.schemes[catalog.resolve("shaoxing-platform").unwrap().scheme];
    // 第七条（八）: only the round's notice asks for it; the scheme does not by default.
    assert!(!scheme.round.request_optional_materials);
    assert!(!pingjia_core::Round::from_scheme(scheme).request_optional_materials);
    let other = scheme
        .criteria
        .iter()
        .find(|c| c.id == "material.other")
        .unwrap();
    assert!(other.optional);
    // A scheme may make its rounds ask by default.
    let text = MINIMAL.replace(
        "[[level]]\nstars = 3",
        "[round]\nrequest_optional_materials = true\n\n[[level]]\nstars = 3",
    );
    assert!(
        parse_scheme("new.toml", &text)
            .unwrap()
            .round
            .request_optional_materials
    );
    // Only materials can be optional.
    let errors = errors_of(&MINIMAL.replace(
        "field = \"capital\"",
        "field = \"capital\"\noptional = true",
    ));
    assert!(
        errors.iter().any(|e| e
            .message
            .contains("only yes_no material rows can be `optional`")),
        "{errors:?}"
    );
}

#[test]
fn jiangsu_financial_status_may_be_prefilled_from_the_basic_condition() {
    use pingjia_core::declaration::Value;
    let catalog = catalog();
    let scheme = &catalog.schemes[catalog.resolve("jiangsu-pool-2021").unwrap().scheme];
    let target = scheme.field("financial_status").unwrap();
    let source = scheme.field("sound_finance").unwrap();
    // 一（二）2 「运营和财务状况良好」 and the 财务状况 rows overlap: both rows stay, one field names
    // the other so a form can offer its value.
    assert_eq!(scheme.fields[target].prefill_from, Some(source));
    assert_eq!(scheme.fields[source].prefill_from, None);
    assert_eq!(
        scheme
            .criteria
            .iter()
            .filter(|c| c.id.ends_with(".financial_status"))
            .count(),
        8,
        "every table keeps its 财务状况 row"
    );
    assert!(
        scheme
            .criteria
            .iter()
            .any(|c| c.id == "basic_conditions.sound_finance")
    );
    // 是 offers 财务状况良好 (the scale's lowest level, which the yes states); 否 offers 无.
    let FieldKind::Ordinal(scale) = scheme.fields[target].kind else {
        panic!("ordinal")
    };
    let offered = scheme.prefill(target, &Value::Bool(true));
    assert_eq!(offered, Some(Value::Level(Some(0))));
    assert_eq!(scheme.scales[scale].levels[0].label, "财务状况良好");
    assert_eq!(
        scheme.prefill(target, &Value::Bool(false)),
        Some(Value::Level(None))
    );
    // Nothing is offered for a field without prefill_from.
    assert_eq!(scheme.prefill(source, &Value::Level(Some(1))), None);
}

#[test]
fn prefill_from_is_checked() {
    let with = |from: &str, to: &str| MINIMAL.replacen(from, to, 1);
    let yes_no = MINIMAL
        .replace(
            "kind = \"number\"\nunit = \"个\"\nfield = \"count\"",
            "kind = \"yes_no\"\nfield = \"count\"",
        )
        .replace("levels = [\"-\", \"5个\"]", "levels = [\"-\", \"是\"]");
    for (text, expected) in [
        (
            with(
                "field = \"count\"",
                "field = \"count\"\nprefill_from = \"nope\"",
            ),
            "prefill_from names unknown field `nope`",
        ),
        (
            with(
                "field = \"count\"",
                "field = \"count\"\nprefill_from = \"count\"",
            ),
            "cannot be pre-filled from itself",
        ),
        (
            // A count and an amount are different facts.
            with(
                "field = \"count\"",
                "field = \"count\"\nprefill_from = \"capital\"",
            ),
            "cannot be pre-filled from `capital`",
        ),
        (
            yes_no.replacen(
                "field = \"count\"",
                "field = \"count\"\nprefill_from = \"capital\"",
                1,
            ),
            "cannot be pre-filled from `capital`",
        ),
    ] {
        let errors = errors_of(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains(expected) && e.line.is_some()),
            "{expected}: {errors:?}"
        );
    }
    // Two number fields of one unit may name each other.
    let same_unit = with("unit = \"个\"", "unit = \"元\"")
        .replacen("levels = [\"-\", \"5个\"]", "levels = [\"-\", \"5万\"]", 1)
        .replacen(
            "field = \"count\"",
            "field = \"count\"\nprefill_from = \"capital\"",
            1,
        );
    let scheme = parse_scheme("new.toml", &same_unit).unwrap();
    let count = scheme.field("count").unwrap();
    assert_eq!(scheme.fields[count].prefill_from, scheme.field("capital"));
}

#[test]
fn published_grades_are_valid_for_the_term_the_documents_set() {
    let catalog = catalog();
    let term = |id: &str| {
        catalog
            .schemes
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .round
            .validity_years
    };
    // 003 三、2 「每次定级有效期3年」.
    assert_eq!(term("jiangsu-pool-2021"), Some(3));
    // 002 sets no term for a recognition (第十二条 「有效期5年」 is the measure's own); 001 none.
    assert_eq!(term("shaoxing-platform"), None);
    assert_eq!(term("miit-platform-2018"), None);
}
