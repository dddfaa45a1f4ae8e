//! The `pingjia` binary as a user runs it: outputs, JSON shape and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pingjia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pingjia"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pingjia-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn lists_every_scheme_and_provider_type() {
    let output = pingjia(&["schemes", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listing: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "jiangsu-pool-2021",
            "shaoxing-platform",
            "miit-platform-2018"
        ]
    );
    assert_eq!(listing[0]["provider_types"].as_array().unwrap().len(), 8);
    let text = stdout(&pingjia(&["schemes"]));
    assert!(text.contains("综合（特色）工业互联网平台服务商"), "{text}");
}

#[test]
fn shows_a_table_as_the_document_does() {
    let output = pingjia(&["schemes", "show", "jiangsu-pool-2021/network"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "三星",
        "四星",
        "五星",
        "标识注册量",
        "1500万个",
        "注4：对申报标识解析服务的不作先进制造业集群服务数量要求",
    ] {
        assert!(text.contains(expected), "missing {expected}");
    }
}

#[test]
fn evaluates_an_example_with_the_grade_and_gaps() {
    let output = pingjia(&[
        "evaluate",
        "comprehensive_platform",
        "examples/jiangsu/comprehensive_platform.toml",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("：四星"), "{text}");
    assert!(text.contains("达到五星"), "{text}");

    let output = pingjia(&[
        "evaluate",
        "comprehensive_platform",
        "examples/jiangsu/comprehensive_platform.toml",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["stars"], 4);
    assert!(report["findings"].as_array().unwrap().len() > 40);
    assert_eq!(report["gaps"][0]["stars"], 5);
}

#[test]
fn markdown_output_is_a_table() {
    let output = pingjia(&[
        "evaluate",
        "jiangsu-pool-2021/comprehensive_platform",
        "examples/jiangsu/comprehensive_platform.toml",
        "--markdown",
    ]);
    assert!(stdout(&output).contains("| 类别 | 指标 | 取值 | 要求与结果 | 条款 |"));
}

#[test]
fn a_later_round_counts_to_its_own_cut_off() {
    // Established 2016: at a 2015 cut-off it is not even registered a year → 不予定级.
    let output = pingjia(&[
        "evaluate",
        "comprehensive_platform",
        "examples/jiangsu/comprehensive_platform.toml",
        "--json",
        "--cutoff",
        "2016-12-31",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["stars"], 0);
    assert_eq!(report["round"]["cutoff"], "2016-12-31");
}

#[test]
fn a_round_that_asks_for_the_optional_materials_finds_them_missing() {
    // The eligible Shaoxing example leaves out 第七条（八）: fine unless the round asks for it.
    let evaluate = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "evaluate",
            "shaoxing-platform",
            "examples/shaoxing/eligible_platform.toml",
            "--json",
        ];
        args.extend_from_slice(extra);
        let output = pingjia(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let ordinary = evaluate(&[]);
    assert_eq!(ordinary["eligible"], true);
    assert!(
        ordinary["round"]
            .get("request_optional_materials")
            .is_none()
    );
    let asking = evaluate(&["--request-optional-materials"]);
    assert_eq!(asking["eligible"], false);
    assert_eq!(asking["round"]["request_optional_materials"], true);
    assert_eq!(asking["gaps"][0]["changes"][0]["id"], "material.other");
}

#[test]
fn bad_declarations_exit_3_naming_field_given_and_expected() {
    let file = temp_file(
        "bad.toml",
        "scheme = \"jiangsu-pool-2021\"\nprovider_type = \"network\"\n[values]\nregistered_capital = \"12abc万\"\nemployees = 3.5\n",
    );
    let output = pingjia(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.contains("values.registered_capital（注册资金）"),
        "{message}"
    );
    assert!(message.contains("“12abc万”"), "{message}");
    assert!(message.contains("expected an amount of money"), "{message}");
    assert!(message.contains("values.employees"), "{message}");
}

#[test]
fn unknown_ids_exit_5_and_bad_options_exit_2() {
    let output = pingjia(&["evaluate", "no-such-type", "examples/jiangsu/network.toml"]);
    assert_eq!(output.status.code(), Some(5));
    assert!(stderr(&output).contains("jiangsu-pool-2021/network"));
    let output = pingjia(&[
        "evaluate",
        "network",
        "examples/jiangsu/network.toml",
        "--cutoff",
        "June",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let output = pingjia(&[
        "evaluate",
        "miit-platform-2018",
        "examples/miit/cross_industry_platform.toml",
        "--param",
        "nope=1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cross.min_industries"));
}

#[test]
fn a_batch_prints_one_json_line_each_and_a_summary() {
    let output = pingjia(&[
        "evaluate",
        "network",
        "examples/batch/jiangsu-network.jsonl",
        "--json",
    ]);
    // The example batch carries one invalid line on purpose.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 10);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["error"] == "invalid_declaration")
            .count(),
        1
    );
    assert!(
        lines
            .iter()
            .filter(|l| l.get("stars").is_some())
            .all(|l| l["source"].as_str().unwrap().contains(".jsonl:"))
    );
    let summary = stderr(&output);
    assert!(summary.contains("合计 total"), "{summary}");
}

#[test]
fn templates_are_valid_declarations() {
    for id in [
        "jiangsu-pool-2021/data_collection",
        "shaoxing-platform",
        "miit-platform-2018",
    ] {
        let output = pingjia(&["template", id]);
        assert!(output.status.success(), "{id}: {}", stderr(&output));
        let file = temp_file(&format!("{}.toml", id.replace('/', "_")), &stdout(&output));
        let check = pingjia(&["check", file.to_str().unwrap()]);
        assert!(check.status.success(), "{id}: {}", stderr(&check));
    }
    let output = pingjia(&["template", "network", "--json"]);
    let template: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(template["declaration"]["provider_type"], "network");
    let fields = template["fields"].as_array().unwrap();
    let clusters = fields
        .iter()
        .find(|f| f["id"] == "clusters_served")
        .unwrap();
    assert_eq!(clusters["unit"], "种");
    assert_eq!(clusters["label"], "服务对象覆盖先进制造业集群数量");
}

#[test]
fn a_new_scheme_file_is_checked_and_loaded_beside_the_embedded_ones() {
    let dir = std::env::temp_dir().join(format!("pingjia-schemes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = std::fs::read_to_string(root().join("schemes/jiangsu-pool-2021.toml")).unwrap();
    let next_year = original
        .replacen(
            "id = \"jiangsu-pool-2021\"",
            "id = \"jiangsu-pool-2022\"",
            1,
        )
        .replacen("cutoff = 2021-06-30", "cutoff = 2022-06-30", 1);
    let file = dir.join("jiangsu-pool-2022.toml");
    std::fs::write(&file, &next_year).unwrap();
    let output = pingjia(&["schemes", "check", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = pingjia(&["--schemes-dir", dir.to_str().unwrap(), "schemes", "--json"]);
    assert!(stdout(&output).contains("jiangsu-pool-2022"));

    let broken = next_year.replacen(
        "levels = [\"200万\", \"500万\", \"1000万\"]",
        "levels = [\"500万\", \"200万\", \"1000万\"]",
        1,
    );
    std::fs::write(&file, broken).unwrap();
    let output = pingjia(&["schemes", "check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(4));
    let message = stderr(&output);
    assert!(
        message.contains("jiangsu-pool-2022.toml:")
            && message.contains("comprehensive_platform.registered_capital"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Every example is valid, and every Jiangsu example reaches the grade its header states
/// (「预期结果：四星…」), which its author computed from the document.
#[test]
fn examples_check_and_reach_the_grades_they_claim() {
    let mut checked = 0;
    for dir in ["examples/jiangsu", "examples/shaoxing", "examples/miit"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.to_str().unwrap();
            let output = pingjia(&["check", name]);
            assert!(output.status.success(), "{name}: {}", stderr(&output));
            checked += 1;
            let text = std::fs::read_to_string(&file).unwrap();
            let Some(claim) = text.lines().find_map(|l| l.strip_prefix("# 预期结果：")) else {
                continue;
            };
            if !dir.ends_with("jiangsu") {
                continue;
            }
            let claimed: String = claim
                .chars()
                .take_while(|c| !"，。（ ".contains(*c))
                .collect();
            let output = pingjia(&["evaluate", "jiangsu-pool-2021", name, "--json"]);
            let report: serde_json::Value = serde_json::from_slice(&output.stdout)
                .unwrap_or_else(|_| panic!("{name}: {}", stderr(&output)));
            assert_eq!(report["grade"].as_str(), Some(claimed.as_str()), "{name}");
        }
    }
    assert!(checked >= 11, "only {checked} examples");
}

#[test]
fn jobs_run_once_by_name_on_a_given_day() {
    let listed = pingjia(&["jobs", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert_eq!(
        stdout(&listed),
        "deadline_reminders\nmember_expiry\nrenewal_reminders\nlegacy_deadline\n"
    );
    let dir = std::env::temp_dir().join(format!("pingjia-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("jobs.db").display());
    let ran = pingjia(&[
        "jobs",
        "run",
        "member_expiry",
        "renewal_reminders",
        "legacy_deadline",
        "--today",
        "2029-06-05",
        "--database-url",
        &url,
    ]);
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert_eq!(
        stdout(&ran),
        "member_expiry\t2029-06-05\t0\nrenewal_reminders\t2029-06-05\t0\nlegacy_deadline\t2029-06-05\t0\n"
    );
    let unknown = pingjia(&["jobs", "run", "cleanup", "--database-url", &url]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("未知任务「cleanup」"),
        "{}",
        stderr(&unknown)
    );
    let bad_day = pingjia(&[
        "jobs",
        "run",
        "--today",
        "2029-13-01",
        "--database-url",
        &url,
    ]);
    assert_eq!(bad_day.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
