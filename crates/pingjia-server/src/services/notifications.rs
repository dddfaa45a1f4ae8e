//! Notifications: the inbox of every user, written by the command that causes them (inside
//! its transaction), and e-mail through SMTP after the command commits, when configured.
//!
//! Mailing is a job, not part of a command: [`deliver_pending`] claims each unsent
//! notification of a user with an address (marking `emailed_at`), sends it, and gives the
//! claim back when the server refuses it. Running it again sends nothing twice.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::storage::{self as store, NewNotification, Notification};

/// What a notification is about (ids: `returned`, `rejected`, `passed`, `recommended`,
/// `withdrawn`, `comment`, `deadline`, `registration`, `account`).
pub use crate::storage::NotificationKind as Kind;

/// The Chinese label of a kind, as the inbox shows it.
pub fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Returned => "退回修改",
        Kind::Rejected => "未通过",
        Kind::Passed => "审核通过",
        Kind::Recommended => "已推荐",
        Kind::Withdrawn => "已撤回",
        Kind::Comment => "新意见",
        Kind::Deadline => "截止提醒",
        Kind::Registration => "新单位注册",
        Kind::Account => "账号",
    }
}

/// Notifies every active account of an organisation (its applicants).
pub async fn notify_organization(
    tx: &mut store::Tx,
    organization_id: i64,
    kind: Kind,
    application_id: Option<i64>,
    title: &str,
    body: &str,
    now: i64,
) -> AppResult<()> {
    store::notify_organization_users(
        tx,
        organization_id,
        &NewNotification {
            kind,
            application_id,
            title,
            body,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Notifies every active account with `role` whose region contains `region_path` (an
/// organisation's path): a county reviewer of the county, and one bound to the city or the
/// province above it.
#[expect(
    clippy::too_many_arguments,
    reason = "the one signature every service calls inside its command"
)]
pub async fn notify_reviewers(
    tx: &mut store::Tx,
    role: Role,
    region_path: &str,
    kind: Kind,
    application_id: Option<i64>,
    title: &str,
    body: &str,
    now: i64,
) -> AppResult<()> {
    store::notify_role_in_regions(
        tx,
        role,
        &ancestor_paths(region_path),
        &NewNotification {
            kind,
            application_id,
            title,
            body,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Notifies one user.
pub async fn notify_user(
    tx: &mut store::Tx,
    user_id: i64,
    kind: Kind,
    application_id: Option<i64>,
    title: &str,
    body: &str,
    now: i64,
) -> AppResult<()> {
    store::notify_user(
        tx,
        user_id,
        &NewNotification {
            kind,
            application_id,
            title,
            body,
            now,
        },
    )
    .await?;
    Ok(())
}

/// `/32/3205/320583/` → `/32/`, `/32/3205/`, `/32/3205/320583/`.
fn ancestor_paths(path: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::from("/");
    for code in path.split('/').filter(|c| !c.is_empty()) {
        current.push_str(code);
        current.push('/');
        paths.push(current.clone());
    }
    paths
}

/// The caller's inbox: one page, unread first, newest first; the total and the unread count.
pub async fn inbox(
    state: &AppState,
    actor: &Actor,
    page: store::Page,
) -> AppResult<(Vec<Notification>, i64, i64)> {
    Ok(store::notifications_of(&state.db, actor.user.id, page).await?)
}

/// How many of the caller's notifications are unread (the page header's badge).
pub async fn unread(state: &AppState, actor: &Actor) -> AppResult<i64> {
    Ok(store::unread_count(&state.db, actor.user.id).await?)
}

/// Marks one of the caller's notifications read; another user's answers as missing. Read
/// marks are the reader's own view of the inbox: they change no object and are not audited.
pub async fn mark_read(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    if !store::mark_read(&mut tx, actor.user.id, id, state.now()).await? {
        return Err(AppError::not_found());
    }
    tx.commit().await?;
    Ok(())
}

/// Marks every notification of the caller read; returns how many were unread.
pub async fn mark_all_read(state: &AppState, actor: &Actor) -> AppResult<u64> {
    let mut tx = state.db.begin().await?;
    let count = store::mark_all_read(&mut tx, actor.user.id, state.now()).await?;
    tx.commit().await?;
    Ok(count)
}

/// Notifications older than this are not mailed any more (a user who adds an address later
/// is not sent the whole history).
const MAIL_WITHIN: i64 = 7 * 86_400;
/// Notifications mailed per run at most.
const MAIL_BATCH: i64 = 200;

/// Mails every pending notification of a user with an address, when SMTP is configured;
/// returns how many were sent. Safe to run repeatedly and in parallel: each message is
/// claimed before it is sent.
pub async fn deliver_pending(state: &AppState, now: i64) -> AppResult<usize> {
    let Some(url) = state.config.smtp_url.as_deref() else {
        return Ok(0);
    };
    let pending = store::pending_mail(&state.db, now - MAIL_WITHIN, MAIL_BATCH).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let from = state
        .config
        .smtp_from
        .as_deref()
        .unwrap_or("pingjia <noreply@localhost>");
    let mailer = mail::Mailer::new(url, from)?;
    let mut sent = 0;
    for message in pending {
        let mut tx = state.db.begin().await?;
        let claimed = store::claim_mail(&mut tx, message.id, now).await?;
        tx.commit().await?;
        if !claimed {
            continue;
        }
        let body = match message.application_id {
            Some(id) => format!("{}\n\n申报编号 / application: {id}\n", message.body),
            None => format!("{}\n", message.body),
        };
        match mailer.send(&message.email, &message.title, &body).await {
            Ok(()) => sent += 1,
            Err(error) => {
                tracing::warn!(%error, notification = message.id, "notification not mailed");
                let mut tx = state.db.begin().await?;
                store::release_mail(&mut tx, message.id).await?;
                tx.commit().await?;
            }
        }
    }
    Ok(sent)
}

/// Starts [`deliver_pending`] in the background after a command committed (when SMTP is
/// configured); the command's answer does not wait for the mail server.
pub fn spawn_delivery(state: &AppState) {
    if state.config.smtp_url.is_none() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(error) = deliver_pending(&state, state.now()).await {
            tracing::warn!(code = error.code, message = %error.message, "mail delivery failed");
        }
    });
}

/// The SMTP client (lettre).
mod mail {
    use crate::error::{AppError, AppResult};
    use lettre::message::{Mailbox, header::ContentType};
    use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

    #[derive(Debug)]
    pub struct Mailer {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    }

    impl Mailer {
        pub fn new(url: &str, from: &str) -> AppResult<Mailer> {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| AppError::internal(format!("smtp_url: {e}")))?
                .build();
            let from = from
                .parse()
                .map_err(|e| AppError::internal(format!("smtp_from: {e}")))?;
            Ok(Mailer { transport, from })
        }

        pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
            let to: Mailbox = to.parse().map_err(|e| format!("address: {e}"))?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(subject)
                .header(ContentType::TEXT_PLAIN)
                .body(body.to_owned())
                .map_err(|e| format!("message: {e}"))?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("smtp: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_path_has_its_ancestors() {
        assert_eq!(
            ancestor_paths("/32/3205/320583/"),
            ["/32/", "/32/3205/", "/32/3205/320583/"]
        );
        assert_eq!(ancestor_paths("/"), Vec::<String>::new());
    }

    #[test]
    fn kinds_have_snake_case_ids_and_labels() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert!(!kind_label(kind).is_empty());
        }
        assert_eq!(Kind::Registration.as_str(), "registration");
        assert_eq!(Kind::parse("Registration"), None);
    }
}
