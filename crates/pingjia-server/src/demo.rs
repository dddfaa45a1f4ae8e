//! The demo data set of `pingjia serve --demo`: organisations in Jiangsu and Shaoxing, a user
//! per role, and declarations at several stages, so a newcomer can look around at once.

use crate::api::NewUserRequest;
use crate::app::AppState;
use crate::auth::Role;
use crate::store;
use pingjia_core::declaration::{Format, parse_tree};
use serde_json::Value as Json;

/// Every demo account shares this password (the demo is for looking around, not for use).
pub const DEMO_PASSWORD: &str = "pingjia-demo-2026";

/// (user name, display name, role, region code, credit code prefix, organisation, organisation region)
const ACCOUNTS: &[(&str, &str, Role, Option<&str>, Option<(&str, &str, &str)>)] = &[
    (
        "js-admin",
        "江苏省工信厅",
        Role::AuthorityAdmin,
        Some("32"),
        None,
    ),
    (
        "sz-reviewer",
        "苏州市工信局",
        Role::CityReviewer,
        Some("3205"),
        None,
    ),
    (
        "ks-reviewer",
        "昆山市工信局",
        Role::CountyReviewer,
        Some("320583"),
        None,
    ),
    (
        "nj-reviewer",
        "南京市工信局",
        Role::CityReviewer,
        Some("3201"),
        None,
    ),
    (
        "sx-admin",
        "绍兴市经信局",
        Role::AuthorityAdmin,
        Some("3306"),
        None,
    ),
    (
        "kq-reviewer",
        "柯桥区经信局",
        Role::CountyReviewer,
        Some("330603"),
        None,
    ),
    ("expert1", "评审专家 王工", Role::Expert, None, None),
    (
        "zhilian",
        "苏州智联 申报员",
        Role::Applicant,
        None,
        Some((
            "91320583MA1P7K2X0",
            "苏州智联工业互联网科技有限公司",
            "320583",
        )),
    ),
    (
        "yunshu",
        "南京云数 申报员",
        Role::Applicant,
        None,
        Some(("91320115MA1Q3D8H1", "南京云数网络技术有限公司", "320115")),
    ),
    (
        "kqtex",
        "柯桥纺织 申报员",
        Role::Applicant,
        None,
        Some((
            "91330621MA2BX6Y72",
            "绍兴柯桥纺织产业互联网有限公司",
            "330603",
        )),
    ),
];

/// (user, scheme, provider type, example file, submit?)
const DECLARATIONS: &[(&str, &str, Option<&str>, &str, bool)] = &[
    (
        "zhilian",
        "jiangsu-pool-2021",
        Some("comprehensive_platform"),
        include_str!("../../../examples/jiangsu/comprehensive_platform.toml"),
        false,
    ),
    (
        "zhilian",
        "jiangsu-pool-2021",
        Some("data_collection"),
        include_str!("../../../examples/jiangsu/data_collection.toml"),
        true,
    ),
    (
        "yunshu",
        "jiangsu-pool-2021",
        Some("network"),
        include_str!("../../../examples/jiangsu/network.toml"),
        true,
    ),
    (
        "kqtex",
        "shaoxing-platform",
        None,
        include_str!("../../../examples/shaoxing/eligible_platform.toml"),
        true,
    ),
];

/// Loads the demo set unless it is already there. Returns the accounts created.
pub async fn load(state: &AppState) -> anyhow::Result<Vec<(String, &'static str)>> {
    crate::regions::seed(&state.db).await?;
    if store::user_by_username(&state.db, "js-admin")
        .await?
        .is_some()
    {
        return Ok(Vec::new());
    }
    let mut created = Vec::new();
    for (username, display_name, role, region, organization) in ACCOUNTS {
        let (credit_code, organization_name, organization_region) = match organization {
            Some((prefix, name, region)) => {
                let code = crate::credit_code::CreditCode::with_check(prefix)
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
        crate::account::create_user(state, None, &request)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        created.push(((*username).to_owned(), role.label()));
    }
    for (username, scheme, provider_type, text, submit) in DECLARATIONS {
        let user = store::user_by_username(&state.db, username)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo user {username}"))?;
        let actor = crate::auth::Actor {
            role: Role::Applicant,
            region_path: None,
            session: None,
            token_scopes: None,
            user,
        };
        let id = crate::applications::create(state, &actor, scheme, *provider_type)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let mut body: Json = parse_tree(text, Format::Toml).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(object) = body.as_object_mut() {
            object.remove("scheme");
            object.remove("provider_type");
        }
        crate::applications::save_draft(state, &actor, id, body)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        if *submit {
            crate::applications::submit(state, &actor, id)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        }
    }
    Ok(created)
}
