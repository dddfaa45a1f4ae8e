//! The public page `/transparency`: the audit log's public key, its last signed checkpoint and
//! how to verify it (docs/audit.md); and the one-line summary of the last checkpoint that the
//! public 公示 and publication pages include (`audit_checkpoint.html`).

use super::PageActor;
use crate::context::AppState;
use crate::error::AppResult;
use crate::http::extract::MaybeActor;
use crate::services::audit;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use minijinja::{Value, context};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/transparency", get(transparency))
}

/// The last checkpoint as the public pages show it (size, the root's first 16 hex digits);
/// undefined before the first.
pub async fn summary(state: &AppState) -> AppResult<Value> {
    Ok(match audit::latest_checkpoint(state).await? {
        Some(checkpoint) => context! {
            size => checkpoint.size,
            root_short => checkpoint.root.chars().take(16).collect::<String>(),
        },
        None => Value::UNDEFINED,
    })
}

async fn transparency(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
) -> AppResult<Response> {
    let lang = super::language(&headers);
    let layout = match actor {
        Some(actor) => {
            let unread = crate::services::notifications::unread(&state, &actor).await?;
            PageActor {
                actor,
                lang,
                unread,
            }
            .base("transparency")
        }
        None => context! { lang => lang },
    };
    let html = super::render(
        "transparency.html",
        context! {
            key => audit::verifier_key(&state)?,
            checkpoint => audit::latest_checkpoint(&state).await?.map(|c| super::serde_value(&c)),
            ..layout
        },
    )?;
    Ok(html.into_response())
}
