//! The resource pool (资源池, 003 二（二）2–4, 三、1–2): a member per organisation, scheme and
//! provider type, granted or changed by each publication (`grant_in`, inside the publication's
//! transaction, with its certificate: `services::certificates`), and the pool's named jobs, each idempotent with today passed in:
//! `renewal_reminders` (180, 90 and 30 days before a term ends, configurable) and
//! `member_expiry` (a term that ended removes the member, without re-grading: 003 三、2) and
//! `legacy_deadline` (existing members not graded within a year are removed: 003 二（二）2,
//! `services::lifecycle`).

use crate::context::AppState;
use crate::error::AppResult;
use crate::services::notifications::{self, Kind};
use crate::storage::{self as store, Tx};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// The pool's jobs by name, in the order `pingjia jobs run` runs them.
pub const JOBS: &[&str] = &["member_expiry", "renewal_reminders", "legacy_deadline"];

/// What a publication grants, as `notices::publish` knows it.
#[derive(Debug)]
pub struct Granted<'a> {
    pub organization: &'a store::Organization,
    pub scheme_id: &'a str,
    pub provider_type: Option<&'a str>,
    pub type_label: &'a str,
    pub result: &'a str,
    pub stars: Option<i64>,
    pub valid_from: &'a str,
    pub valid_until: Option<&'a str>,
    pub grant_id: i64,
    pub round_id: i64,
    pub document_number: &'a str,
    pub actor_id: i64,
}

/// How a grant changes a member: first granted (or granted again after its term ended or a
/// removal), renewed at the same grade, upgraded or downgraded.
fn change(before: Option<&store::Member>, stars: Option<i64>) -> &'static str {
    match before {
        Some(member) if member.status == "active" => match (member.stars, stars) {
            (Some(old), Some(new)) if new > old => "upgraded",
            (Some(old), Some(new)) if new < old => "downgraded",
            _ => "renewed",
        },
        _ => "granted",
    }
}

/// Writes a publication's grant into the pool, inside the publication's transaction: the
/// member (new or replaced: the latest grant is in force) and the event of its history.
pub async fn grant_in(tx: &mut Tx, granted: &Granted<'_>, now: i64) -> AppResult<i64> {
    let provider_type = granted.provider_type.unwrap_or_default();
    let before = store::member_for_update(
        tx,
        granted.organization.id,
        granted.scheme_id,
        provider_type,
    )
    .await?;
    let kind = change(before.as_ref(), granted.stars);
    let member = store::save_grant(
        tx,
        &store::Grant {
            organization_id: granted.organization.id,
            scheme_id: granted.scheme_id,
            provider_type,
            type_label: granted.type_label,
            region_id: granted.organization.region_id,
            organization: &granted.organization.name,
            credit_code: &granted.organization.credit_code,
            result: granted.result,
            stars: granted.stars,
            valid_from: granted.valid_from,
            valid_until: granted.valid_until,
            grant_id: granted.grant_id,
            round_id: granted.round_id,
            document_number: granted.document_number,
        },
        now,
    )
    .await?;
    crate::services::certificates::issue_in(tx, granted.grant_id, member, granted.valid_from, now)
        .await?;
    let detail = match &before {
        Some(before) if kind != "granted" => format!("原为{}", before.result),
        _ => String::new(),
    };
    store::insert_member_event(
        tx,
        &store::NewMemberEvent {
            member_id: member,
            kind,
            result: granted.result,
            stars: granted.stars,
            valid_until: granted.valid_until,
            document_number: granted.document_number,
            detail: &detail,
            once_key: None,
            actor_id: Some(granted.actor_id),
        },
        now,
    )
    .await?;
    Ok(member)
}

/// What one run of a job did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct JobRun {
    pub job: String,
    /// Members changed or told.
    pub done: usize,
}

/// Runs the pool's job `name` for `today`; `None` for an unknown name.
pub async fn run(state: &AppState, name: &str, today: NaiveDate) -> AppResult<Option<JobRun>> {
    let done = match name {
        "member_expiry" => expire_members(state, today).await?,
        "renewal_reminders" => remind_renewals(state, today).await?,
        "legacy_deadline" => crate::services::lifecycle::settle_legacy(state, today).await?,
        _ => return Ok(None),
    };
    Ok(Some(JobRun {
        job: name.to_owned(),
        done,
    }))
}

/// The job `member_expiry`: every active member whose term ended before `today` (its last day
/// is `valid_until`) leaves the pool, without re-grading (003 三、2 「到期自动退出」), with an
/// event and a notice to the organisation. A member already expired is left alone, so a
/// second run changes nothing.
pub async fn expire_members(state: &AppState, today: NaiveDate) -> AppResult<usize> {
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    let mut done = 0;
    for member in store::active_ending_by(&state.db, &yesterday).await? {
        let now = state.now();
        let mut tx = state.db.begin().await?;
        if !store::expire_member(&mut tx, member.id, now).await? {
            continue;
        }
        let until = member.valid_until.as_deref().unwrap_or_default();
        store::insert_member_event(
            &mut tx,
            &store::NewMemberEvent {
                member_id: member.id,
                kind: "expired",
                result: &member.result,
                stars: member.stars,
                valid_until: member.valid_until.as_deref(),
                document_number: "",
                detail: &format!("有效期至 {until}，未复评，自动退出资源池"),
                once_key: None,
                actor_id: None,
            },
            now,
        )
        .await?;
        notifications::notify_organization(
            &mut tx,
            member.organization_id,
            Kind::Deadline,
            None,
            &format!("{}的{}已到期", member.type_label, member.result),
            &format!("有效期至 {until}，已退出资源池；如需继续入库，请在申报批次中重新申报。"),
            now,
        )
        .await?;
        store::audit(
            &mut tx,
            None,
            "pool_member_expired",
            &format!("pool_member:{}", member.id),
            &format!("{} {} until {until}", member.organization, member.result),
            now,
        )
        .await?;
        tx.commit().await?;
        done += 1;
    }
    if done > 0 {
        notifications::spawn_delivery(state);
    }
    Ok(done)
}

/// The job `renewal_reminders`: an active member whose term ends within one of the configured
/// thresholds (`renewal_reminder_days`, by default 180, 90 and 30 days) is told once per
/// threshold and term — the nearest threshold reached, so that a member granted with 60 days
/// left is told once, at 90. The event's key makes a second run send nothing.
pub async fn remind_renewals(state: &AppState, today: NaiveDate) -> AppResult<usize> {
    let mut thresholds = state.config.renewal_reminder_days.clone();
    thresholds.sort_unstable();
    let Some(&widest) = thresholds.last() else {
        return Ok(0);
    };
    let horizon = (today + chrono::Duration::days(i64::from(widest))).to_string();
    let mut sent = 0;
    for member in store::active_ending_by(&state.db, &horizon).await? {
        let Some(until) = member
            .valid_until
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        let left = (until - today).num_days();
        if left < 0 {
            continue;
        }
        // The nearest threshold reached: 45 days left → the 90-day reminder (if the 30-day
        // one is not due yet).
        let Some(&threshold) = thresholds.iter().find(|&&t| left <= i64::from(t)) else {
            continue;
        };
        let key = format!("reminder:{}:{threshold}:{until}", member.id);
        let now = state.now();
        let mut tx = state.db.begin().await?;
        let first = store::insert_member_event(
            &mut tx,
            &store::NewMemberEvent {
                member_id: member.id,
                kind: "reminded",
                result: &member.result,
                stars: member.stars,
                valid_until: member.valid_until.as_deref(),
                document_number: "",
                detail: &format!("距有效期届满还有 {left} 天（{threshold} 天提醒）"),
                once_key: Some(&key),
                actor_id: None,
            },
            now,
        )
        .await?;
        if !first {
            continue;
        }
        notifications::notify_organization(
            &mut tx,
            member.organization_id,
            Kind::Deadline,
            None,
            &format!("{}的{}将于 {until} 到期", member.type_label, member.result),
            &format!(
                "距有效期届满还有 {left} 天。请在到期前参加复评申报，逾期未复评的将自动退出资源池。"
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        notifications::spawn_delivery(state);
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(status: &str, stars: Option<i64>) -> store::Member {
        store::Member {
            id: 1,
            organization_id: 1,
            scheme_id: "jiangsu-pool-2021".into(),
            provider_type: "network".into(),
            type_label: "网络".into(),
            region_id: 1,
            organization: "甲".into(),
            credit_code: String::new(),
            result: "三星".into(),
            stars,
            valid_from: "2026-01-01".into(),
            valid_until: Some("2028-12-31".into()),
            status: status.into(),
            grant_id: 1,
            round_id: 1,
            document_number: String::new(),
            updated_at: 0,
        }
    }

    #[test]
    fn a_grant_is_named_by_what_it_changes() {
        assert_eq!(change(None, Some(3)), "granted");
        assert_eq!(
            change(Some(&member("active", Some(3))), Some(4)),
            "upgraded"
        );
        assert_eq!(
            change(Some(&member("active", Some(4))), Some(3)),
            "downgraded"
        );
        assert_eq!(change(Some(&member("active", Some(3))), Some(3)), "renewed");
        assert_eq!(
            change(Some(&member("expired", Some(3))), Some(3)),
            "granted"
        );
        assert_eq!(change(Some(&member("active", None)), None), "renewed");
    }
}
