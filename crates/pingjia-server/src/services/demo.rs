//! The demo data set of `pingjia serve --demo`: organisations in Jiangsu and Shaoxing, a user
//! per role, and declarations at several stages, so a newcomer can look around at once.

use crate::context::AppState;
use crate::services::accounts::NewUserRequest;
use crate::services::actor::{Actor, Role};
use crate::storage as store;
use pingjia_core::declaration::{Format, parse_tree};
use serde_json::Value as Json;

/// Every demo account shares this password (the demo is for looking around, not for use).
pub const DEMO_PASSWORD: &str = "pingjia-demo-2026";

/// One demo account; applicants name their organisation, reviewers their region.
struct DemoAccount {
    username: &'static str,
    display_name: &'static str,
    role: Role,
    /// The region a reviewer or authority is bound to.
    region: Option<&'static str>,
    /// An applicant's organisation: (credit code without its check character, name, region code).
    organization: Option<(&'static str, &'static str, &'static str)>,
}

const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "js-admin",
        display_name: "江苏省工信厅",
        role: Role::AuthorityAdmin,
        region: Some("32"),
        organization: None,
    },
    DemoAccount {
        username: "sz-reviewer",
        display_name: "苏州市工信局",
        role: Role::CityReviewer,
        region: Some("3205"),
        organization: None,
    },
    DemoAccount {
        username: "ks-reviewer",
        display_name: "昆山市工信局",
        role: Role::CountyReviewer,
        region: Some("320583"),
        organization: None,
    },
    DemoAccount {
        username: "jn-reviewer",
        display_name: "江宁区工信局",
        role: Role::CountyReviewer,
        region: Some("320115"),
        organization: None,
    },
    DemoAccount {
        username: "nj-reviewer",
        display_name: "南京市工信局",
        role: Role::CityReviewer,
        region: Some("3201"),
        organization: None,
    },
    DemoAccount {
        username: "sx-admin",
        display_name: "绍兴市经信局",
        role: Role::AuthorityAdmin,
        region: Some("3306"),
        organization: None,
    },
    DemoAccount {
        username: "kq-reviewer",
        display_name: "柯桥区经信局",
        role: Role::CountyReviewer,
        region: Some("330603"),
        organization: None,
    },
    DemoAccount {
        username: "expert1",
        display_name: "评审专家 王工",
        role: Role::Expert,
        region: None,
        organization: None,
    },
    DemoAccount {
        username: "sx-expert1",
        display_name: "评审专家 李工",
        role: Role::Expert,
        region: Some("3306"),
        organization: None,
    },
    DemoAccount {
        username: "sx-expert2",
        display_name: "评审专家 张工",
        role: Role::Expert,
        region: Some("3306"),
        organization: None,
    },
    DemoAccount {
        username: "sx-expert3",
        display_name: "评审专家 陈工",
        role: Role::Expert,
        region: Some("3306"),
        organization: None,
    },
    DemoAccount {
        username: "sx-expert4",
        display_name: "评审专家 赵工",
        role: Role::Expert,
        region: Some("3306"),
        organization: None,
    },
    DemoAccount {
        username: "zhilian",
        display_name: "苏州智联 申报员",
        role: Role::Applicant,
        region: None,
        organization: Some((
            "91320583MA1P7K2X0",
            "苏州智联工业互联网科技有限公司",
            "320583",
        )),
    },
    DemoAccount {
        username: "yunshu",
        display_name: "南京云数 申报员",
        role: Role::Applicant,
        region: None,
        organization: Some(("91320115MA1Q3D8H1", "南京云数网络技术有限公司", "320115")),
    },
    DemoAccount {
        username: "njyun",
        display_name: "江宁云工 申报员",
        role: Role::Applicant,
        region: None,
        organization: Some(("91320115MA1R5T6W2", "南京江宁云工科技有限公司", "320115")),
    },
    DemoAccount {
        username: "kqtex",
        display_name: "柯桥纺织 申报员",
        role: Role::Applicant,
        region: None,
        organization: Some((
            "91330621MA2BX6Y72",
            "绍兴柯桥纺织产业互联网有限公司",
            "330603",
        )),
    },
    DemoAccount {
        username: "ycyun",
        display_name: "越城智造云 申报员",
        role: Role::Applicant,
        region: None,
        organization: Some(("91330602MA2D4K7L3", "绍兴越城智造云科技有限公司", "330602")),
    },
    DemoAccount {
        username: "ksgl",
        display_name: "昆山工联 申报员",
        role: Role::Applicant,
        region: None,
        organization: Some(("91320583MA1T2N4P5", "昆山工联数据科技有限公司", "320583")),
    },
    DemoAccount {
        username: "js-expert1",
        display_name: "评审专家 孙工",
        role: Role::Expert,
        region: Some("32"),
        organization: None,
    },
    DemoAccount {
        username: "js-expert2",
        display_name: "评审专家 周工",
        role: Role::Expert,
        region: Some("32"),
        organization: None,
    },
    DemoAccount {
        username: "js-expert3",
        display_name: "评审专家 吴工",
        role: Role::Expert,
        region: Some("32"),
        organization: None,
    },
];

/// (user, scheme, provider type, example file, submit?)
const DECLARATIONS: &[(&str, &str, Option<&str>, &str, bool)] = &[
    (
        "zhilian",
        "jiangsu-pool-2021",
        Some("comprehensive_platform"),
        include_str!("../../../../examples/jiangsu/comprehensive_platform.toml"),
        false,
    ),
    (
        "zhilian",
        "jiangsu-pool-2021",
        Some("data_collection"),
        include_str!("../../../../examples/jiangsu/data_collection.toml"),
        true,
    ),
    (
        "yunshu",
        "jiangsu-pool-2021",
        Some("network"),
        include_str!("../../../../examples/jiangsu/network.toml"),
        true,
    ),
    (
        "njyun",
        "jiangsu-pool-2021",
        Some("cloud_platform"),
        include_str!("../../../../examples/jiangsu/cloud_platform.toml"),
        true,
    ),
    (
        "njyun",
        "jiangsu-pool-2021",
        Some("supporting"),
        include_str!("../../../../examples/jiangsu/supporting.toml"),
        true,
    ),
    (
        "kqtex",
        "shaoxing-platform",
        None,
        include_str!("../../../../examples/shaoxing/eligible_platform.toml"),
        true,
    ),
    (
        "ksgl",
        "jiangsu-pool-2021",
        Some("network"),
        include_str!("../../../../examples/jiangsu/network.toml"),
        true,
    ),
    (
        "ksgl",
        "jiangsu-pool-2021",
        Some("cloud_platform"),
        include_str!("../../../../examples/jiangsu/cloud_platform.toml"),
        true,
    ),
];

/// One demo account as the start-up message lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    /// Where it works: a reviewer's or authority's region, an applicant organisation's region
    /// (「不限」 for an expert, who is bound to none).
    pub region: String,
}

/// The demo set after [`load`]: whether it was created now, and every demo account.
#[derive(Debug)]
pub struct Demo {
    pub created: bool,
    pub accounts: Vec<Account>,
}

/// Loads the demo set unless it is already there, and lists its accounts either way (so that
/// every start can print them).
pub async fn load(state: &AppState) -> anyhow::Result<Demo> {
    crate::services::regions::seed(&state.db).await?;
    let created = store::user_by_username(&state.db, "js-admin")
        .await?
        .is_none();
    if created {
        create(state).await?;
    }
    let mut accounts = Vec::new();
    for account in ACCOUNTS {
        let code = account
            .region
            .or(account.organization.map(|(_, _, region)| region));
        let region = match code {
            Some(code) => store::region_by_code(&state.db, code)
                .await?
                .map_or_else(|| code.to_owned(), |r| r.name),
            None => "不限".to_owned(),
        };
        accounts.push(Account {
            username: account.username,
            display_name: account.display_name,
            role: account.role,
            region,
        });
    }
    Ok(Demo { created, accounts })
}

/// The accounts as a table for a terminal, one a line: region, role, user name and name
/// (「昆山市    区县审核    ks-reviewer   昆山市工信局」), columns aligned with Chinese characters
/// two columns wide.
pub fn table(accounts: &[Account]) -> String {
    fn width(text: &str) -> usize {
        text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
    }
    let header = ["地区", "角色", "账号", "名称"];
    let rows: Vec<[&str; 4]> = accounts
        .iter()
        .map(|a| {
            [
                a.region.as_str(),
                a.role.label_zh(),
                a.username,
                a.display_name,
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..4)
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| width(row[column]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::from("  ");
        for (column, text) in row.iter().enumerate() {
            line.push_str(text);
            if column + 1 < row.len() {
                line.push_str(&" ".repeat(widths[column] - width(text) + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Creates the demo accounts and declarations.
async fn create(state: &AppState) -> anyhow::Result<()> {
    for DemoAccount {
        username,
        display_name,
        role,
        region,
        organization,
    } in ACCOUNTS
    {
        let (credit_code, organization_name, organization_region) = match organization {
            Some((prefix, name, region)) => {
                let code = crate::services::credit_code::CreditCode::with_check(prefix)
                    .ok_or_else(|| anyhow::anyhow!("bad demo credit code {prefix}"))?;
                (
                    Some(code.to_string()),
                    Some((*name).to_owned()),
                    Some((*region).to_owned()),
                )
            }
            None => (None, None, None),
        };
        let request = NewUserRequest {
            username: (*username).to_owned(),
            display_name: (*display_name).to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            role: *role,
            credit_code,
            organization_name,
            region_code: region.map(str::to_owned).or(organization_region),
        };
        crate::services::accounts::create_user(state, None, &request)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    }
    rounds(state).await?;
    // 柯桥纺织's application went through 绍兴市's round three weeks before the demo's day, so
    // that its 公示 has ended and the result is published (the services take today from the
    // clock: these steps run on one set back).
    let earlier = days_before(state, 21)?;
    for (username, scheme, provider_type, text, submit) in DECLARATIONS {
        let state = if *scheme == "shaoxing-platform" {
            &earlier
        } else {
            state
        };
        let user = store::user_by_username(&state.db, username)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo user {username}"))?;
        let actor = crate::services::actor::Actor {
            role: Role::Applicant,
            region_path: None,
            session: None,
            token_scopes: None,
            user,
        };
        let id = crate::services::applications::create(state, &actor, scheme, *provider_type, None)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let mut body: Json = parse_tree(text, Format::Toml).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(object) = body.as_object_mut() {
            object.remove("scheme");
            object.remove("provider_type");
        }
        crate::services::applications::save_draft(state, &actor, id, body)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        if *submit {
            crate::services::applications::submit(state, &actor, id)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        }
    }
    // One organisation that registered itself and awaits its first application: 柯桥区's
    // reviewer finds it in the list of registrations and in the inbox.
    let code = crate::services::credit_code::CreditCode::with_check("91330603MA2D4K7L3")
        .ok_or_else(|| anyhow::anyhow!("bad demo credit code"))?;
    let request = crate::services::registration::RegistrationRequest {
        organization_name: "绍兴织造数字科技有限公司".into(),
        credit_code: code.to_string(),
        region_code: "330603".into(),
        kind: "enterprise".into(),
        contact: "陈女士".into(),
        phone: "0575-85123456".into(),
        email: String::new(),
        username: "zhizao".into(),
        display_name: "绍兴织造 申报员".into(),
        password: DEMO_PASSWORD.into(),
        password_confirm: DEMO_PASSWORD.into(),
    };
    crate::services::registration::register(state, &request, "demo")
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    experts(&earlier).await?;
    shaoxing_publication(state).await?;
    jiangsu_notice(state).await?;
    Ok(())
}

/// A demo account acting as itself (no session): the demo's own steps, and a test's setup.
pub async fn actor(state: &AppState, username: &str) -> anyhow::Result<Actor> {
    let user = store::user_by_username(&state.db, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {username}"))?;
    let region_path = match user.region_id {
        Some(id) => store::region(&state.db, id).await?.map(|r| r.path),
        None => None,
    };
    Ok(Actor {
        role: user.role,
        region_path,
        session: None,
        token_scopes: None,
        user,
    })
}

/// 柯桥纺织's organisation and its one application.
async fn kqtex_application(state: &AppState) -> anyhow::Result<(i64, store::ApplicationSummary)> {
    let applicant = actor(state, "kqtex").await?;
    let organization = applicant
        .user
        .organization_id
        .ok_or_else(|| anyhow::anyhow!("demo organisation"))?;
    let (applications, _) = store::applications(
        &state.db,
        &store::Scope::Organization(organization),
        &store::ApplicationFilter::default(),
        store::Page::new(None, None),
    )
    .await?;
    let application = applications
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("demo application of kqtex"))?;
    Ok((organization, application))
}

/// 绍兴市's expert panel: four experts (赵工 worked at 柯桥纺织 until a year ago: a potential
/// conflict shown to the authority), 柯桥区 recommends 柯桥纺织's application, three experts
/// are assigned, declare no conflict, score the rubric and submit.
async fn experts(state: &AppState) -> anyhow::Result<()> {
    use crate::services::experts::{
        self, Declaration, ExpertInput, ItemScore, RelationInput, ReviewInput,
    };
    let failed = |e: crate::error::AppError| anyhow::anyhow!("{}", e.message);
    let admin = actor(state, "sx-admin").await?;
    let (organization, application) = kqtex_application(state).await?;
    let application = &application;
    let county = actor(state, "kq-reviewer").await?;
    crate::services::review::decide(
        state,
        &county,
        application.id,
        &crate::services::review::Decision {
            action: "recommend".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(failed)?;
    let code = store::organization(&state.db, organization)
        .await?
        .map(|o| o.credit_code)
        .unwrap_or_default();
    let pool = [
        ("sx-expert1", "李工", "浙江工业大学", "91330000470003281L"),
        ("sx-expert2", "张工", "绍兴文理学院", ""),
        ("sx-expert3", "陈工", "杭州某工业软件公司", ""),
        ("sx-expert4", "赵工", "绍兴某智能制造公司", ""),
    ];
    let mut ids = Vec::new();
    for (username, name, employer, employer_code) in pool {
        let input = ExpertInput {
            name: name.into(),
            employer: employer.into(),
            employer_code: (!employer_code.is_empty())
                .then(|| crate::services::credit_code::CreditCode::with_check(&employer_code[..17]))
                .flatten()
                .map(|c| c.to_string()),
            specialties: vec!["shaoxing-platform".into(), "纺织".into()],
            home_region: Some("330602".into()),
            username: Some(username.into()),
            ..Default::default()
        };
        ids.push(
            experts::create(state, &admin, &input)
                .await
                .map_err(failed)?,
        );
    }
    let year_ago = (state.today() - chrono::Duration::days(365))
        .format("%Y-%m-%d")
        .to_string();
    experts::add_relation(
        state,
        &admin,
        ids[3],
        &RelationInput {
            kind: "former_employer".into(),
            credit_code: code,
            organization: "绍兴柯桥纺织产业互联网有限公司".into(),
            from_on: Some("2019-03-01".into()),
            until_on: Some(year_ago),
            note: "曾任技术部经理".into(),
        },
    )
    .await
    .map_err(failed)?;
    experts::assign(
        state,
        &admin,
        application.id,
        &experts::AssignRequest {
            expert_ids: ids[..3].to_vec(),
        },
    )
    .await
    .map_err(failed)?;
    let sheets: [([f64; 9], &str); 3] = [
        (
            [8.0, 7.5, 8.0, 8.5, 7.0, 7.5, 16.0, 15.5, 4.0],
            "平台设备接入和纺织行业应用较好，建议认定。",
        ),
        (
            [8.5, 8.0, 7.5, 8.0, 7.5, 8.0, 17.0, 16.0, 3.5],
            "投入到位，成效明显，同意认定。",
        ),
        (
            [7.0, 7.0, 7.5, 7.5, 6.5, 7.0, 14.0, 14.5, 3.0],
            "技术创新有待加强，基本符合认定条件。",
        ),
    ];
    let items = [
        "platform_level.equipment",
        "platform_level.environment",
        "platform_level.users",
        "platform_level.coverage",
        "platform_level.innovation",
        "platform_level.indicators",
        "investment",
        "outcomes",
        "regional_layout",
    ];
    for (n, (scores, opinion)) in sheets.iter().enumerate() {
        let expert = actor(state, &format!("sx-expert{}", n + 1)).await?;
        let task = experts::tasks(state, &expert)
            .await
            .map_err(failed)?
            .first()
            .map(|t| t.assignment_id)
            .ok_or_else(|| anyhow::anyhow!("demo assignment"))?;
        experts::declare(
            state,
            &expert,
            task,
            &Declaration {
                no_conflict: true,
                text: String::new(),
            },
        )
        .await
        .map_err(failed)?;
        let input = ReviewInput {
            scores: items
                .iter()
                .zip(scores)
                .map(|(item, score)| {
                    (
                        (*item).to_owned(),
                        ItemScore {
                            score: serde_json::json!(score),
                            note: "依据申报材料和佐证评分".into(),
                        },
                    )
                })
                .collect(),
            opinion: Some((*opinion).to_owned()),
        };
        experts::save_review(state, &expert, task, &input)
            .await
            .map_err(failed)?;
        experts::submit_review(state, &expert, task)
            .await
            .map_err(failed)?;
    }
    Ok(())
}

/// The demo's rounds, open around the day the demo is loaded: a Jiangsu half-year round, a
/// Shaoxing year round, and an MIIT selection run by the Jiangsu province with the scheme's
/// example parameters (named as examples).
async fn rounds(state: &AppState) -> anyhow::Result<()> {
    let today = state.today();
    let day = |offset: i64| {
        (today + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let year = chrono::Datelike::year(&today);
    let first_half = chrono::Datelike::month(&today) <= 6;
    let half = if first_half { "上半年" } else { "下半年" };
    // Durations are counted to the end of the half-year before the round (注2), and 「上年度」
    // figures are last year's.
    let cutoff = if first_half {
        format!("{}-12-31", year - 1)
    } else {
        format!("{year}-06-30")
    };
    let rounds = [
        (
            "jiangsu-pool-2021",
            "32",
            "js-admin",
            format!("{year}年{half}"),
            "江苏省工业和信息化厅信息化推进处",
            "025-00000000",
        ),
        (
            "shaoxing-platform",
            "3306",
            "sx-admin",
            format!("{year}年度"),
            "绍兴市经济和信息化局",
            "0575-00000000",
        ),
        (
            "miit-platform-2018",
            "32",
            "js-admin",
            format!("{year}年工业互联网平台遴选（示例参数）"),
            "江苏省工业和信息化厅",
            "025-00000000",
        ),
    ];
    for (scheme_id, region, admin, name, office, phone) in rounds {
        let scheme = state
            .catalog
            .schemes
            .iter()
            .find(|s| s.id == scheme_id)
            .ok_or_else(|| anyhow::anyhow!("demo scheme {scheme_id}"))?;
        let region = store::region_by_code(&state.db, region)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo region {region}"))?;
        let admin = store::user_by_username(&state.db, admin)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo user {admin}"))?;
        let fields = store::RoundFields {
            name,
            reference_year: scheme.round.reference_year.map(|_| i64::from(year) - 1),
            cutoff: Some(cutoff.clone()),
            opens_on: Some(day(-30)),
            closes_on: Some(day(45)),
            county_deadline: Some(day(60)),
            city_deadline: Some(day(75)),
            aggregation: "mean".into(),
            divergence_ratio: Some(scheme.round.divergence_ratio.to_string()),
            params: if scheme.parameters.is_empty() {
                "{}".into()
            } else {
                crate::services::rounds::example_params(scheme)
            },
            request_optional_materials: false,
            materials: "[]".into(),
            chain: None,
            notice: format!(
                "面向{}内符合条件的单位开展{}申报。",
                region.name, scheme.title
            ),
            contact_office: office.into(),
            contact_phone: phone.into(),
            show_reviewer_names: false,
        };
        let now = state.now();
        let mut tx = state.db.begin().await?;
        let id =
            store::insert_round(&mut tx, &scheme.id, region.id, &fields, admin.id, now).await?;
        store::publish_round(&mut tx, id, now).await?;
        store::audit(
            &mut tx,
            Some(admin.id),
            "round_published",
            &format!("round:{id}"),
            &fields.name,
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// 江苏省's half after the experts: 昆山市 recommends 昆山工联's two applications to the
/// province, three experts of a small Jiangsu pool review both, the province decides (one
/// result departing from the computed grade, with its reason) and opens the 公示, which runs
/// on the demo's day; a named member of the public objects to one entry, unresolved.
async fn jiangsu_notice(state: &AppState) -> anyhow::Result<()> {
    use crate::services::experts::{self, Declaration, ExpertInput, ItemScore, ReviewInput};
    use crate::services::{decisions, notices};
    use rust_decimal::Decimal;
    let failed = |e: crate::error::AppError| anyhow::anyhow!("{}", e.message);
    let admin = actor(state, "js-admin").await?;
    let applicant = actor(state, "ksgl").await?;
    let organization = applicant
        .user
        .organization_id
        .ok_or_else(|| anyhow::anyhow!("demo organisation"))?;
    let (applications, _) = store::applications(
        &state.db,
        &store::Scope::Organization(organization),
        &store::ApplicationFilter {
            oldest_first: true,
            ..Default::default()
        },
        store::Page::new(None, None),
    )
    .await?;
    let county = actor(state, "ks-reviewer").await?;
    for application in &applications {
        crate::services::review::decide(
            state,
            &county,
            application.id,
            &crate::services::review::Decision {
                action: "recommend".into(),
                ..Default::default()
            },
        )
        .await
        .map_err(failed)?;
    }
    let pool = [
        ("js-expert1", "孙工", "南京理工大学", "3201"),
        ("js-expert2", "周工", "江苏省工业互联网研究院", "3201"),
        ("js-expert3", "吴工", "无锡某工业软件公司", "3202"),
    ];
    let mut ids = Vec::new();
    for (username, name, employer, region) in pool {
        let input = ExpertInput {
            name: name.into(),
            employer: employer.into(),
            specialties: vec![
                "jiangsu-pool-2021".into(),
                "network".into(),
                "cloud_platform".into(),
            ],
            home_region: Some(region.into()),
            username: Some(username.into()),
            ..Default::default()
        };
        ids.push(
            experts::create(state, &admin, &input)
                .await
                .map_err(failed)?,
        );
    }
    for application in &applications {
        experts::assign(
            state,
            &admin,
            application.id,
            &experts::AssignRequest {
                expert_ids: ids.clone(),
            },
        )
        .await
        .map_err(failed)?;
    }
    // Each expert scores every item at a share of its maximum (in the item's step), a little
    // differently from the others.
    let shares = [(8, 9), (7, 8), (6, 7)];
    for (n, (first, second)) in shares.iter().enumerate() {
        let expert = actor(state, &format!("js-expert{}", n + 1)).await?;
        let tasks = experts::tasks(state, &expert).await.map_err(failed)?;
        for (k, task) in tasks.iter().enumerate() {
            let task = task.assignment_id;
            experts::declare(
                state,
                &expert,
                task,
                &Declaration {
                    no_conflict: true,
                    text: String::new(),
                },
            )
            .await
            .map_err(failed)?;
            let share = Decimal::new(if k == 0 { *first } else { *second }, 1);
            let sheet = experts::review(state, &expert, task)
                .await
                .map_err(failed)?;
            let mut scores = std::collections::BTreeMap::new();
            for item in &sheet.items {
                let step = item.step.unwrap_or(Decimal::ONE);
                let score = (item.max * share / step).floor() * step;
                let score: f64 = score.to_string().parse()?;
                scores.insert(
                    item.criterion_id.clone(),
                    ItemScore {
                        score: serde_json::json!(score),
                        note: "依据申报材料和佐证评分".into(),
                    },
                );
            }
            let input = ReviewInput {
                scores,
                opinion: Some("材料齐全，指标真实，同意按评估结果定级。".into()),
            };
            experts::save_review(state, &expert, task, &input)
                .await
                .map_err(failed)?;
            experts::submit_review(state, &expert, task)
                .await
                .map_err(failed)?;
        }
    }
    let round_id = store::application(
        &state.db,
        &store::Scope::Organization(organization),
        applications[0].id,
    )
    .await?
    .and_then(|a| a.round_id)
    .ok_or_else(|| anyhow::anyhow!("demo round"))?;
    let board = decisions::full_board(state, &admin, round_id)
        .await
        .map_err(failed)?;
    for (n, application) in applications.iter().enumerate() {
        let default = board
            .rows
            .iter()
            .find(|r| r.application_id == application.id)
            .map(|r| r.default_result.clone())
            .unwrap_or_default();
        // The second departs from the computed grade: the authority's reason is on record.
        let input = if n == 1 {
            decisions::DecisionInput {
                result: Some(
                    match default.as_str() {
                        "star4" | "star5" => "star3",
                        _ => "star4",
                    }
                    .into(),
                ),
                reason: "经厅评审委员会集体研究，结合现场核查情况调整定级。".into(),
            }
        } else {
            decisions::DecisionInput::default()
        };
        decisions::decide(state, &admin, application.id, &input)
            .await
            .map_err(failed)?;
    }
    let opened = notices::open(state, &admin, round_id, &notices::OpenInput::default())
        .await
        .map_err(failed)?;
    let notice_id = opened
        .notice_id
        .ok_or_else(|| anyhow::anyhow!("demo notice"))?;
    let notice = notices::public_notice(state, notice_id)
        .await
        .map_err(failed)?;
    let entry = notice
        .entries
        .first()
        .ok_or_else(|| anyhow::anyhow!("demo notice entry"))?;
    notices::object(
        state,
        notice_id,
        &notices::ObjectionInput {
            entry_id: entry.entry_id,
            name: "刘建国".into(),
            contact: "13800000000".into(),
            text: "该企业申报的平台连接设备数量与实际运营情况不符，请予核实。".into(),
        },
        Vec::new(),
        "demo",
    )
    .await
    .map_err(failed)?;
    Ok(())
}

/// The application's state on a clock set back by `days`.
fn days_before(state: &AppState, days: i64) -> anyhow::Result<AppState> {
    let at = state.now() - days * 86_400;
    AppState::new(
        state.db.clone(),
        state.config.clone(),
        std::sync::Arc::new(move || at),
    )
}

/// 绍兴市 decides 柯桥纺织's application (its computed result), opens the 公示 21 days before
/// the demo's day (7 days, so it ended two weeks ago) and publishes it 12 days before, with the
/// document dated the day before: `/published` lists the recognition.
async fn shaoxing_publication(state: &AppState) -> anyhow::Result<()> {
    use crate::services::{decisions, notices};
    let failed = |e: crate::error::AppError| anyhow::anyhow!("{}", e.message);
    let earlier = days_before(state, 21)?;
    let admin = actor(state, "sx-admin").await?;
    let (organization, application) = kqtex_application(state).await?;
    let application = &application;
    let round_id = store::application(
        &state.db,
        &store::Scope::Organization(organization),
        application.id,
    )
    .await?
    .and_then(|a| a.round_id)
    .ok_or_else(|| anyhow::anyhow!("demo round"))?;
    decisions::decide(
        &earlier,
        &admin,
        application.id,
        &decisions::DecisionInput::default(),
    )
    .await
    .map_err(failed)?;
    let opened = notices::open(&earlier, &admin, round_id, &notices::OpenInput::default())
        .await
        .map_err(failed)?;
    let notice_id = opened
        .notice_id
        .ok_or_else(|| anyhow::anyhow!("demo notice"))?;
    let document_date = (state.today() - chrono::Duration::days(13))
        .format("%Y-%m-%d")
        .to_string();
    notices::publish(
        &days_before(state, 12)?,
        &admin,
        notice_id,
        &notices::PublishInput {
            document_number: format!("绍市经信〔{}〕8号", chrono::Datelike::year(&state.today())),
            document_date,
        },
    )
    .await
    .map_err(failed)?;
    Ok(())
}
