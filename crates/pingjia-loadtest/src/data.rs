//! The synthetic data set: organisations spread over Jiangsu's counties, one applicant each,
//! and one application whose declaration is one of the Jiangsu examples varied per row,
//! graded by the engine. Everything is derived from the row number and a seed, so two loads
//! with the same arguments hold the same data.

use crate::sql::{Insert, Value};
use pingjia_core::declaration::{Format, parse_tree};
use pingjia_core::engine::Round;
use pingjia_core::{Catalog, Scheme};
use pingjia_server::services::assessment as assess;
use pingjia_server::storage::sha256_hex;
use serde_json::{Map, Value as Json};

/// The Jiangsu examples (`examples/jiangsu/`), the declarations every row is varied from.
const EXAMPLES: &[(&str, Format)] = &[
    (
        include_str!("../../../examples/jiangsu/comprehensive_platform.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/comprehensive_platform_key_platform.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/cloud_platform.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/data_collection.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/ics_security.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/network.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/supporting.toml"),
        Format::Toml,
    ),
    (
        include_str!("../../../examples/jiangsu/industrial_app.json"),
        Format::Json,
    ),
    (
        include_str!("../../../examples/jiangsu/solution.yaml"),
        Format::Yaml,
    ),
];

/// The scheme every generated application is under.
pub const SCHEME: &str = "jiangsu-pool-2021";

/// One example, ready to vary.
#[derive(Debug)]
pub struct Template {
    pub provider_type: String,
    /// The provider type's index in the scheme.
    pub type_index: Option<usize>,
    /// The criteria an evidence file of this provider type may be attached to.
    pub criteria: Vec<String>,
    /// The body as the API stores it: the file without `scheme` and `provider_type`.
    pub body: Json,
}

/// Reads the examples into declaration bodies.
pub fn templates(catalog: &Catalog) -> anyhow::Result<Vec<Template>> {
    EXAMPLES
        .iter()
        .map(|(text, format)| {
            let mut tree = parse_tree(text, *format).map_err(|e| anyhow::anyhow!("{e}"))?;
            let object = tree
                .as_object_mut()
                .ok_or_else(|| anyhow::anyhow!("an example is not a table"))?;
            let provider_type = object
                .remove("provider_type")
                .and_then(|v| v.as_str().map(str::to_owned))
                .ok_or_else(|| anyhow::anyhow!("an example names no provider_type"))?;
            object.remove("scheme");
            let (scheme, type_index) = assess::target(catalog, SCHEME, Some(&provider_type))
                .ok_or_else(|| anyhow::anyhow!("unknown provider type {provider_type}"))?;
            let criteria = scheme
                .criteria
                .iter()
                .filter(|c| c.provider_type.is_none() || c.provider_type == type_index)
                .map(|c| c.id.clone())
                .collect();
            Ok(Template {
                provider_type,
                type_index,
                criteria,
                body: tree,
            })
        })
        .collect()
}

/// A county the organisations are spread over.
#[derive(Debug, Clone)]
pub struct County {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub path: String,
}

/// splitmix64: a small, fast, seedable generator (no dependency, same data on every run).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `[low, high)`.
    pub fn float(&mut self, low: f64, high: f64) -> f64 {
        low + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (high - low)
    }

    pub fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid 统一社会信用代码: 9 (工商) 1 (企业), the county code, `MA` and the row number in
/// base 31, and the check character.
pub fn credit_code(county_code: &str, number: i64) -> String {
    let mut digits = [b'0'; 7];
    let mut n = number as u64;
    for slot in digits.iter_mut().rev() {
        *slot = CREDIT_ALPHABET[(n % 31) as usize];
        n /= 31;
    }
    let first17 = format!(
        "91{county_code}MA{}",
        std::str::from_utf8(&digits).unwrap_or("0000000")
    );
    pingjia_server::services::credit_code::CreditCode::with_check(&first17)
        .map(|c| c.to_string())
        .unwrap_or(first17)
}

const NAME_FIRST: &[&str] = &[
    "智联", "云数", "启衡", "恒通", "华创", "博远", "精工", "汇智", "中科", "新锐", "天衡", "宏图",
    "锐捷", "瑞达", "晨光", "远航", "星河", "金桥", "联创", "卓越",
];
const NAME_SECOND: &[&str] = &[
    "工业互联网",
    "智能制造",
    "信息技术",
    "网络科技",
    "数据服务",
    "软件",
    "云计算",
    "物联网",
    "自动化",
    "数字科技",
];
const NAME_SUFFIX: &[&str] = &["有限公司", "科技有限公司", "股份有限公司", "有限责任公司"];
const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const EVIDENCE_NAMES: &[(&str, &str)] = &[
    ("营业执照.pdf", "application/pdf"),
    ("2020年度审计报告.pdf", "application/pdf"),
    ("知识产权证书汇总.pdf", "application/pdf"),
    ("等保三级测评报告.pdf", "application/pdf"),
    ("ITSS证书.jpg", "image/jpeg"),
    ("平台截图.png", "image/png"),
    (
        "客户清单.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "解决方案说明.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
];

/// How many blobs many organisations attach (templates, policy documents): the case the
/// "shared with other organisations" flag of an evidence item looks for.
pub const COMMON_BLOBS: usize = 20;

pub fn common_blob(index: usize) -> String {
    sha256_hex(format!("pingjia-loadtest common blob {index}").as_bytes())
}

/// The ids of the first row of the next batch, per table.
#[derive(Debug, Clone, Copy)]
pub struct NextIds {
    pub organization: i64,
    pub user: i64,
    pub application: i64,
    pub version: i64,
    pub evidence: i64,
}

/// One batch's rows, per table, in foreign-key order.
#[derive(Debug)]
pub struct Batch {
    pub organizations: Insert,
    pub users: Insert,
    pub applications: Insert,
    pub versions: Insert,
    pub blobs: Insert,
    pub evidence: Insert,
    /// Versions whose body the engine reported field errors for.
    pub versions_with_errors: usize,
    /// What the summary file lists: (user name, application id, state).
    pub accounts: Vec<(String, i64, &'static str)>,
}

/// The columns of the users the loader writes (applicants here, reviewers in `main`).
pub const USER_COLUMNS: &[&str] = &[
    "id",
    "username",
    "display_name",
    "password_hash",
    "role",
    "organization_id",
    "region_id",
    "must_change_password",
    "disabled",
    "created_at",
];

/// What the generator shares across batches.
#[derive(Debug)]
pub struct Generator<'c> {
    pub seed: u64,
    pub now: i64,
    pub password_hash: String,
    pub counties: Vec<County>,
    pub templates: Vec<Template>,
    pub scheme: &'c Scheme,
    pub round: Round,
    pub next: NextIds,
}

/// Application states and how often they occur (percent), with how many versions each has
/// and whether the last version is an open draft.
const STATES: &[(u64, &str, u8, bool)] = &[
    (30, "draft", 1, true),
    (45, "county_review", 1, false),
    (10, "city_review", 1, false),
    (5, "returned", 2, true),
    (5, "county_review", 2, false),
    (5, "published", 1, false),
];

impl Generator<'_> {
    /// Rows `first .. first + count` (0-based row numbers).
    pub fn batch(&mut self, first: u64, count: u64) -> anyhow::Result<Batch> {
        let mut batch = Batch {
            organizations: Insert::new(
                "organizations",
                &[
                    "id",
                    "name",
                    "credit_code",
                    "kind",
                    "region_id",
                    "region_path",
                    "address",
                    "contact",
                    "phone",
                    "created_at",
                    "updated_at",
                ],
                "",
            ),
            users: Insert::new("users", USER_COLUMNS, ""),
            applications: Insert::new(
                "applications",
                &[
                    "id",
                    "organization_id",
                    "scheme_id",
                    "provider_type",
                    "state",
                    "region_path",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "submitted_at",
                ],
                "",
            ),
            versions: Insert::new(
                "declaration_versions",
                &[
                    "id",
                    "application_id",
                    "number",
                    "body",
                    "stars",
                    "score",
                    "grade",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "submitted_at",
                ],
                "",
            ),
            blobs: Insert::new(
                "evidence_blobs",
                &["sha256", "size", "media_type", "created_at"],
                "ON CONFLICT (sha256) DO NOTHING",
            ),
            evidence: Insert::new(
                "evidence",
                &[
                    "id",
                    "version_id",
                    "application_id",
                    "organization_id",
                    "criterion_id",
                    "sha256",
                    "filename",
                    "uploaded_by",
                    "uploaded_at",
                ],
                "",
            ),
            versions_with_errors: 0,
            accounts: Vec::new(),
        };
        for row in first..first + count {
            self.row(row, &mut batch)?;
        }
        Ok(batch)
    }

    fn row(&mut self, row: u64, batch: &mut Batch) -> anyhow::Result<()> {
        let mut rng = Rng::new(self.seed, row);
        let organization_id = self.next.organization;
        let user_id = self.next.user;
        let application_id = self.next.application;
        self.next.organization += 1;
        self.next.user += 1;
        self.next.application += 1;

        let county = &self.counties[rng.below(self.counties.len() as u64) as usize];
        let place = county.name.trim_end_matches(['市', '区', '县']).to_owned();
        let name = format!(
            "{place}{}{}{}",
            NAME_FIRST[rng.below(NAME_FIRST.len() as u64) as usize],
            NAME_SECOND[rng.below(NAME_SECOND.len() as u64) as usize],
            NAME_SUFFIX[rng.below(NAME_SUFFIX.len() as u64) as usize]
        );
        let credit_code = credit_code(&county.code, organization_id);
        let day = 86_400;
        let created_at =
            self.now - (1 + rng.below(200) as i64) * day - rng.below(day as u64) as i64;
        let kind = if rng.percent() < 95 {
            "enterprise"
        } else {
            "public_institution"
        };
        batch.organizations.push(vec![
            organization_id.into(),
            name.clone().into(),
            credit_code.clone().into(),
            kind.into(),
            county.id.into(),
            county.path.clone().into(),
            format!(
                "{}{}路{}号",
                county.name,
                NAME_FIRST[rng.below(10) as usize],
                1 + rng.below(999)
            )
            .into(),
            format!(
                "{}经理",
                SURNAMES[rng.below(SURNAMES.len() as u64) as usize]
            )
            .into(),
            format!("1{}{:08}", 3 + rng.below(7), rng.below(100_000_000)).into(),
            created_at.into(),
            created_at.into(),
        ]);
        let username = format!("bench{organization_id}");
        batch.users.push(vec![
            user_id.into(),
            username.clone().into(),
            format!("{name} 申报员").into(),
            self.password_hash.clone().into(),
            "applicant".into(),
            Some(organization_id).into(),
            Value::OptInt(None),
            0.into(),
            0.into(),
            created_at.into(),
        ]);

        // The state, and the timeline of its versions.
        let mut roll = rng.percent();
        let &(_, state, version_count, open_draft) = STATES
            .iter()
            .find(|(share, ..)| {
                if roll < *share {
                    true
                } else {
                    roll -= share;
                    false
                }
            })
            .unwrap_or(&STATES[0]);
        let template = &self.templates[rng.below(self.templates.len() as u64) as usize];
        let type_index = template.type_index;
        let mut time = created_at + rng.below(3 * day as u64) as i64;
        let mut submitted_at = None;
        let mut last_version_id = 0;
        for number in 1..=i64::from(version_count) {
            let version_id = self.next.version;
            self.next.version += 1;
            let draft = open_draft && number == i64::from(version_count);
            let body = vary(&template.body, &mut rng, draft, &name, &credit_code, kind);
            let assessment = assess::assess(self.scheme, type_index, &body, &self.round);
            if !assessment.field_errors.is_empty() {
                batch.versions_with_errors += 1;
            }
            let grade = pingjia_server::services::applications::grade_of(&assessment);
            let version_created = time;
            let latest = self.now - 60 - rng.below(day as u64) as i64;
            time = (time + rng.below(20 * day as u64) as i64).min(latest);
            let version_submitted = (!draft).then_some(time);
            if version_submitted.is_some() {
                submitted_at = version_submitted;
            }
            batch.versions.push(vec![
                version_id.into(),
                application_id.into(),
                number.into(),
                body.to_string().into(),
                grade.stars.into(),
                grade.score.into(),
                grade.grade.into(),
                user_id.into(),
                version_created.into(),
                time.into(),
                version_submitted.into(),
            ]);
            // Evidence: 0–4 files on the first version, carried to the next (as
            // `new_draft_version` does), one more file on a later version now and then.
            let files = if number == 1 {
                rng.below(5)
            } else {
                u64::from(rng.percent() < 30)
            };
            let carried: Vec<Vec<Value>> = if number > 1 {
                batch
                    .evidence
                    .rows_of_version(last_version_id)
                    .into_iter()
                    .map(|mut row| {
                        row[0] = Value::Int(self.next.evidence);
                        self.next.evidence += 1;
                        row[1] = Value::Int(version_id);
                        row
                    })
                    .collect()
            } else {
                Vec::new()
            };
            for row in carried {
                batch.evidence.push(row);
            }
            for index in 0..files {
                let (mut filename, media_type) =
                    EVIDENCE_NAMES[rng.below(EVIDENCE_NAMES.len() as u64) as usize];
                let sha256 = if rng.percent() < 2 {
                    filename = "江苏省工业互联网政策文件汇编.pdf";
                    common_blob(rng.below(COMMON_BLOBS as u64) as usize)
                } else {
                    let sha = sha256_hex(
                        format!("pingjia-loadtest {organization_id} {number} {index}").as_bytes(),
                    );
                    batch.blobs.push(vec![
                        sha.clone().into(),
                        (20_000 + rng.below(5_000_000) as i64).into(),
                        media_type.into(),
                        version_created.into(),
                    ]);
                    sha
                };
                let criterion = (rng.percent() < 50 && !template.criteria.is_empty()).then(|| {
                    template.criteria[rng.below(template.criteria.len() as u64) as usize].clone()
                });
                batch.evidence.push(vec![
                    self.next.evidence.into(),
                    version_id.into(),
                    application_id.into(),
                    organization_id.into(),
                    criterion.into(),
                    sha256.into(),
                    filename.into(),
                    user_id.into(),
                    version_created.into(),
                ]);
                self.next.evidence += 1;
            }
            last_version_id = version_id;
        }
        batch.applications.push(vec![
            application_id.into(),
            organization_id.into(),
            SCHEME.into(),
            Some(template.provider_type.clone()).into(),
            state.into(),
            county.path.clone().into(),
            user_id.into(),
            created_at.into(),
            time.into(),
            submitted_at.into(),
        ]);
        batch.accounts.push((username, application_id, state));
        Ok(())
    }
}

/// A variation of an example: counts and amounts scaled by 0.6–1.6, the organisation's own
/// name and code, and — in open drafts — about a fifth of the values not filled in yet.
fn vary(
    template: &Json,
    rng: &mut Rng,
    draft: bool,
    name: &str,
    credit_code: &str,
    kind: &str,
) -> Json {
    let mut body = template.clone();
    if let Some(organization) = body.get_mut("organization").and_then(Json::as_object_mut) {
        organization.insert("name".into(), Json::from(name));
        organization.insert("credit_code".into(), Json::from(credit_code));
        organization.insert(
            "kind".into(),
            Json::from(if kind == "enterprise" {
                "企业"
            } else {
                "事业单位"
            }),
        );
    }
    if let Some(values) = body.get_mut("values").and_then(Json::as_object_mut) {
        let mut kept = Map::new();
        for (key, value) in std::mem::take(values) {
            if draft && rng.percent() < 20 {
                continue;
            }
            kept.insert(key, scale(value, rng.float(0.6, 1.6)));
        }
        *values = kept;
    }
    body
}

/// Scales a count (`86`) or an amount with a unit (`1200万`, `11.5%`, `350TB`); other values
/// are kept as they are.
fn scale(value: Json, factor: f64) -> Json {
    match &value {
        Json::Number(n) if n.is_u64() => {
            let n = n.as_u64().unwrap_or(0);
            Json::from(((n as f64) * factor).round().max(0.0) as u64)
        }
        Json::String(text) => {
            let split = text
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(text.len());
            let (number, unit) = text.split_at(split);
            let Ok(amount) = number.parse::<f64>() else {
                return value;
            };
            if split == 0 || !matches!(unit, "万" | "亿" | "%" | "TB" | "PB" | "GB" | "万元") {
                return value;
            }
            let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
            let mut scaled = amount * factor;
            if unit == "%" {
                scaled = scaled.min(99.0);
            }
            Json::from(format!("{scaled:.decimals$}{unit}"))
        }
        _ => value,
    }
}

impl Insert {
    /// The rows of one declaration version (evidence: column 1), to carry them forward.
    fn rows_of_version(&self, version_id: i64) -> Vec<Vec<Value>> {
        self.rows()
            .iter()
            .filter(|row| matches!(row[1], Value::Int(v) if v == version_id))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_are_valid_and_distinct() {
        let a = credit_code("320583", 1);
        let b = credit_code("320583", 2);
        assert_ne!(a, b);
        for code in [a, b, credit_code("320115", 99_999_999)] {
            assert!(
                pingjia_server::services::credit_code::CreditCode::parse(&code).is_ok(),
                "{code}"
            );
        }
    }

    #[test]
    fn amounts_keep_their_unit() {
        assert_eq!(scale(Json::from("1200万"), 1.5), Json::from("1800万"));
        assert_eq!(scale(Json::from("11.5%"), 2.0), Json::from("23.0%"));
        assert_eq!(scale(Json::from(86), 0.5), Json::from(43));
        assert_eq!(scale(Json::from("是"), 2.0), Json::from("是"));
        assert_eq!(
            scale(Json::from("2016-03-18"), 2.0),
            Json::from("2016-03-18")
        );
    }

    #[test]
    fn every_example_reads_and_grades() {
        let catalog = Catalog::builtin().unwrap();
        let scheme = catalog.schemes.iter().find(|s| s.id == SCHEME).unwrap();
        for template in templates(&catalog).unwrap() {
            let assessment = assess::assess(
                scheme,
                template.type_index,
                &template.body,
                &Round::from_scheme(scheme),
            );
            assert!(
                assessment.field_errors.is_empty(),
                "{}: {:?}",
                template.provider_type,
                assessment.field_errors
            );
        }
    }
}
