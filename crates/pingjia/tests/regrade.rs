//! `pingjia regrade` as a user runs it, against a hand-made new version of the Jiangsu file.
//!
//! The batch `examples/batch/jiangsu-network.jsonl` has eleven network providers. Raising the
//! three-star 注册资金 of a network provider from 200万 to 400万 moves exactly lines 2 and 8
//! (企业 with 300万, three stars today) down to 不予定级: line 10 (300万) serves no
//! manufacturing cluster and is 不予定级 already, line 9 is a 事业单位 (注1, not required),
//! line 6 (400万) cannot be graded either way (「约40人」 employees is not a number), every
//! other line declares 500万 or more. Today: one five-star, three four-star (3, 7, 9), four
//! three-star (2, 5, 8, 11), three 不予定级 (1, 6, 10).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BATCH: &str = "examples/batch/jiangsu-network.jsonl";

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

/// A directory holding one new version of the Jiangsu file, changed by `edit`.
fn schemes_dir(name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join("schemes/jiangsu-pool-2021.toml")).unwrap();
    let text = text.replacen(
        "id = \"jiangsu-pool-2021\"",
        "id = \"jiangsu-pool-2022\"",
        1,
    );
    let dir = std::env::temp_dir().join(format!("pingjia-regrade-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jiangsu-pool-2022.toml"), edit(&text)).unwrap();
    dir
}

fn raised_capital() -> PathBuf {
    schemes_dir("raised", |text| {
        let at = text.find("id = \"network.registered_capital\"").unwrap();
        let (head, tail) = text.split_at(at);
        format!(
            "{head}{}",
            tail.replacen("levels = [\"200万\"", "levels = [\"400万\"", 1)
        )
    })
}

fn regrade(dir: &Path, format: &str) -> Output {
    pingjia(&[
        "--schemes-dir",
        dir.to_str().unwrap(),
        "regrade",
        "--from",
        "jiangsu-pool-2021",
        "--to",
        "jiangsu-pool-2022",
        BATCH,
        "--format",
        format,
    ])
}

#[test]
fn a_raised_threshold_lists_who_moves_down_and_why() {
    let output = regrade(&raised_capital(), "json");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["members"], 11);
    assert_eq!(result["down"], 2);
    assert_eq!(result["up"], 0);
    assert_eq!(result["out"], 0);
    assert_eq!(result["same"], 9);
    let moved = result["moved"].as_array().unwrap();
    let sources: Vec<&str> = moved
        .iter()
        .map(|m| m["member"]["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, [format!("{BATCH}:2"), format!("{BATCH}:8")]);
    assert_eq!(
        moved[0]["member"]["organization"],
        "淮安联创网络技术有限公司"
    );
    for movement in moved {
        assert_eq!(movement["direction"], "down");
        assert_eq!(
            movement["before"],
            serde_json::json!({"kind": "stars", "stars": 3})
        );
        assert_eq!(
            movement["after"],
            serde_json::json!({"kind": "stars", "stars": 0})
        );
        assert_eq!(
            movement["criteria"],
            serde_json::json!([{
                "id": "network.registered_capital",
                "clause": "四（三）（3）基础要求",
                "label": "注册资金",
                "slots": [{"slot": 0, "stars": 3, "before": "met", "after": "not_met"}]
            }])
        );
    }
    // Two fewer at three stars, two more not graded; the other grades keep their counts.
    let counts: Vec<(u64, u64, u64)> = result["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["grade"]["stars"].as_u64().unwrap(),
                c["before"].as_u64().unwrap(),
                c["after"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(5, 1, 1), (4, 3, 3), (3, 4, 2), (0, 3, 5)]);
}

#[test]
fn text_and_csv_say_the_same() {
    let dir = raised_capital();
    let output = regrade(&dir, "text");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("jiangsu-pool-2021 → jiangsu-pool-2022"),
        "{text}"
    );
    assert!(text.contains("下降 down 2"), "{text}");
    assert!(text.contains("淮安联创网络技术有限公司"), "{text}");
    assert!(text.contains("3星：满足 → 不满足"), "{text}");
    assert!(text.contains("各等级数量 / count per grade"), "{text}");

    let output = regrade(&dir, "csv");
    assert!(output.status.success());
    let csv = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("declaration,organization,direction,before,after"));
    assert!(
        lines[1].starts_with(&format!(
            "{BATCH}:2,淮安联创网络技术有限公司,down,3 stars,not graded,3星,不予定级,"
        )),
        "{csv}"
    );
    assert!(lines[1].contains("network.registered_capital"), "{csv}");
}

#[test]
fn the_same_version_moves_nobody_and_unknown_ids_fail() {
    let output = pingjia(&[
        "regrade",
        "--from",
        "jiangsu-pool-2021",
        "--to",
        "jiangsu-pool-2021",
        BATCH,
    ]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("不变 same 11"), "{text}");
    assert!(text.contains("无变动 / nobody moves"), "{text}");

    let output = pingjia(&[
        "regrade",
        "--from",
        "jiangsu-pool-2021",
        "--to",
        "jiangsu-pool-2099",
        BATCH,
    ]);
    assert_eq!(output.status.code(), Some(5));
}
