//! The life of an application (docs/workflow.md) as pure rules: states, roles, actions, and
//! the one function, [`next`], that says whether an action may move an application on.
//!
//! The procedure is the one the seeds prescribe:
//! - 002 (Shaoxing) 第八条: 企业向所在区、县（市）经信局递交申报材料 → 区县初审 → 报送市经信局
//!   (the city is the authority) → 评审（可现场核查）→ 择优确定拟认定名单 → 公示7天 →
//!   异议核实处理 → 发文公布; 第十一条: revocation and a 3-year bar.
//! - 003 (Jiangsu) 二（二）1: 县（市、区）工信局开展申报审核 → 设区市工信局及昆山市、泰兴市、
//!   沭阳县工信局组织审核推荐 → 省工信厅组织专家评选; 二（二）2, 4 and 三、2: removal
//!   from the pool; 三、1: fraud → 3-year blacklist.
//!
//! Everything a rule needs besides the state arrives as [`Facts`]; the caller computes them
//! from its records (the round's dates, the region tree, objections, expert assignments).
//! [`actions_for`] is derived from [`next`], so the buttons shown and the transitions
//! accepted cannot disagree. [`editable`] is the single rule for when an applicant may edit.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An id that names no state, role or action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的{what_zh}「{id}」 / unknown {what_en} `{id}`")]
pub struct UnknownId {
    pub what_zh: &'static str,
    pub what_en: &'static str,
    pub id: String,
}

/// Declares a closed set of named values: ids (also their serde form), Chinese and English
/// labels, `ALL`, `FromStr` and `Display` (the id).
macro_rules! named {
    (
        $(#[$meta:meta])*
        $name:ident ($what_zh:literal, $what_en:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $id:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $id)] $variant, )+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable id (storage, API, URLs).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id,)+ }
            }

            /// The label shown in the Chinese interface.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// The label shown in the English interface.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownId;

            fn from_str(text: &str) -> Result<Self, UnknownId> {
                match text {
                    $($id => Ok($name::$variant),)+
                    _ => Err(UnknownId { what_zh: $what_zh, what_en: $what_en, id: text.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Reads a stored id (a database column is read through this once, at its edge).
        impl TryFrom<String> for $name {
            type Error = UnknownId;

            fn try_from(text: String) -> Result<Self, UnknownId> {
                text.parse()
            }
        }
    };
}

named! {
    /// Where an application is in its life. The first ten ids are the server's; `withdrawn`
    /// and `not_graded` complete the states of docs/workflow.md §1 States.
    State("状态", "state") {
        /// Being written by the applicant; editable.
        Draft = "draft", "草稿", "Draft";
        /// 初审 by the county office (002 第八条（一）; 003 二（二）1 「开展申报审核」).
        CountyReview = "county_review", "区县初审", "County review";
        /// 审核推荐 by the city office (003 二（二）1 「组织审核推荐」).
        CityReview = "city_review", "设区市审核", "City review";
        /// Evaluation by the authority's expert panel (002 第八条（二）; 003 二（二）1).
        ExpertReview = "expert_review", "专家评审", "Expert review";
        /// The proposed result is on public notice; objections may be filed (002 第八条（二）（三）).
        PublicNotice = "public_notice", "公示", "Public notice";
        /// Recognised or graded and published (002 第八条（三） 「发文公布」).
        Published = "published", "已发布", "Published";
        /// Returned to the applicant for correction with comments; editable.
        Returned = "returned", "退回修改", "Returned for correction";
        /// Rejected at a review level, or after an objection or a finding of fraud (003 三、1).
        Rejected = "rejected", "未通过", "Rejected";
        /// Recognition cancelled (002 第十一条; 003 三、1).
        Revoked = "revoked", "已撤销", "Revoked";
        /// Removed from the pool (003 二（二）2, 4; 三、2).
        Removed = "removed", "已除名", "Removed";
        /// Withdrawn by the applicant before a decision.
        Withdrawn = "withdrawn", "已撤回", "Withdrawn";
        /// Evaluated, and no grade or recognition reached (「不予定级」: 003 二（二）1 grades
        /// 三、四、五星 only; docs/workflow.md §1 States).
        NotGraded = "not_graded", "不予定级/认定", "Not graded";
    }
}

impl State {
    /// No action leads out of this state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Rejected | State::Revoked | State::Removed | State::Withdrawn | State::NotGraded
        )
    }
}

named! {
    /// Who acts (docs/workflow.md §2 Roles), with the server's role ids. Experts score and
    /// the public files objections, but neither moves an application: they have no
    /// transitions.
    Role("角色", "role") {
        Applicant = "applicant", "申报单位", "Applicant";
        /// 区县经信/工信局.
        CountyReviewer = "county_reviewer", "区县审核", "County reviewer";
        /// 设区市工信局 (003 二（二）1 「组织审核推荐」). 昆山市、泰兴市、沭阳县's offices are county
        /// offices that recommend to the province themselves (the Jiangsu chain's `direct`).
        CityReviewer = "city_reviewer", "设区市审核", "City reviewer";
        /// 省工信厅 (Jiangsu) or 市经信局 (Shaoxing).
        AuthorityAdmin = "authority_admin", "主管部门", "Authority";
        Expert = "expert", "评审专家", "Expert";
        SystemAdmin = "system_admin", "系统管理员", "System administrator";
        Public = "public", "公众", "Public";
    }
}

impl Role {
    /// Roles bound to a region: they see the applications of organisations inside it.
    pub fn is_regional(self) -> bool {
        matches!(
            self,
            Role::CountyReviewer | Role::CityReviewer | Role::AuthorityAdmin
        )
    }

    /// Roles an account can have (the public signs in as nobody).
    pub fn is_account(self) -> bool {
        self != Role::Public
    }
}

named! {
    /// What an actor may do to an application. Actions marked as needing a comment carry a
    /// reason that the applicant or the record must see ([`Action::needs_comment`]).
    Action("操作", "action") {
        /// Applicant submits a draft to the county office while the round's window is open
        /// (002 第五条、第八条（一）; 003 三、2 「每半年度组织开展1次」).
        Submit = "submit", "提交", "Submit";
        /// Applicant submits a returned application again, as a new version; it starts again
        /// at the county (docs/workflow.md §9 Editing and versions).
        Resubmit = "resubmit", "重新提交", "Resubmit";
        /// Applicant withdraws before any decision: while under review or returned.
        Withdraw = "withdraw", "撤回", "Withdraw";
        /// County passes its initial review on to the city (003 二（二）1).
        Pass = "pass", "通过初审", "Pass the initial review";
        /// The recommending level sends the application to the authority for expert review:
        /// the city (003 二（二）1 「组织审核推荐」), or the county where the chain has no city
        /// level (昆山市、泰兴市、沭阳县; Shaoxing, 002 第八条（一） 「汇总推荐表报送市经信局」).
        Recommend = "recommend", "审核推荐", "Recommend";
        /// The level currently reviewing returns the application to the applicant with comments.
        Return = "return", "退回修改", "Return for correction";
        /// The authority sends the application back to the level that recommended it: the city,
        /// or the county where the chain has no city level.
        ReturnToRecommender = "return_to_recommender", "退回推荐单位", "Return to the recommending office";
        /// The level currently reviewing (or the authority during the notice, after an objection
        /// or a finding of fraud, 003 三、1) rejects the application.
        Reject = "reject", "驳回", "Reject";
        /// The authority fixes the proposed grade or recognition and puts it on public notice
        /// (002 第八条（二） 「择优确定拟认定平台名单，在市经信局网站公示7天」; 003 二（二）1).
        Decide = "decide", "拟定结果并公示", "Decide and open the public notice";
        /// The authority concludes the evaluation without a grade or recognition.
        Decline = "decline", "不予定级/认定", "Decline to grade";
        /// After an objection that changes the result, the authority takes the application back
        /// into expert review (002 第八条（三） 「公示有异议的，按照相关程序对有关问题进行核实处理」).
        ReopenReview = "reopen_review", "重新评审", "Reopen the expert review";
        /// The authority publishes once the notice has ended and every objection is resolved
        /// (002 第八条（三） 「公示无异议的……发文公布」).
        Publish = "publish", "发布", "Publish";
        /// The authority cancels a recognition (002 第十一条; 003 三、1); the organisation is
        /// barred for 3 years.
        Revoke = "revoke", "撤销", "Revoke";
        /// The authority removes a member from the pool: not graded in time (003 二（二）2),
        /// failed spot check (二（二）4), expired without re-grading (三、2).
        Remove = "remove", "除名", "Remove from the pool";
    }
}

impl Action {
    /// The action must carry a non-empty comment or reason (see [`check_comment`]).
    pub fn needs_comment(self) -> bool {
        matches!(
            self,
            Action::Return
                | Action::ReturnToRecommender
                | Action::Reject
                | Action::ReopenReview
                | Action::Revoke
                | Action::Remove
        )
    }
}

/// The facts a rule needs that are not the application's state, computed by the caller.
///
/// `Default` is all `false`: nobody owns, nothing is in region, the window is closed —
/// deny by default. Set `chain_has_city` explicitly for chains with a city level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Facts {
    /// The round's submission window is open today (002 第五条; 003 三、2).
    pub window_open: bool,
    /// The actor's organisation is the applicant (applicant actions).
    pub owner: bool,
    /// The application's organisation lies inside the actor's region (reviewer and authority
    /// actions; docs/workflow.md §6 Facts; 002 第四条 「所辖区域」).
    pub in_region: bool,
    /// The review chain has a city level between county and authority. `false` for
    /// 昆山市、泰兴市、沭阳县 (003 二（二）1) and for Shaoxing, where the city is the authority.
    pub chain_has_city: bool,
    /// The chain's first level is an authority office, not a county: the MIIT selection, where
    /// the 省级主管部门 reviews and recommends to the ministry ([`Chain`]). Its authority
    /// account then takes the county level's actions in `county_review`.
    pub first_level_is_authority: bool,
    /// The organisation is inside a 3-year bar: revoked (002 第十一条) or blacklisted for
    /// fraud (003 三、1), from the system's own records.
    pub barred: bool,
    /// Every assigned expert has finished scoring.
    pub review_complete: bool,
    /// The public notice period (7 days in 002 第八条（二）) has ended.
    pub notice_ended: bool,
    /// An objection filed during the notice is not yet resolved (002 第八条（三）).
    pub unresolved_objections: bool,
}

/// An accepted state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: State,
    pub to: State,
    pub action: Action,
}

/// Why an action was refused: a stable [`code`](mod@code) and a reason in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{zh} / {en}")]
pub struct Refusal {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Refusal {
    fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Refusal {
        Refusal {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The actor may not act on this application at all (wrong role, not theirs, outside
    /// their region), as opposed to a right actor at the wrong moment.
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self.code,
            code::WRONG_ROLE | code::NOT_OWNER | code::OUT_OF_REGION
        )
    }
}

/// The stable codes of [`Refusal`].
pub mod code {
    /// The action does not apply in the application's current state.
    pub const WRONG_STATE: &str = "wrong_state";
    /// The actor's role may not take this action (here).
    pub const WRONG_ROLE: &str = "wrong_role";
    /// An applicant acting on another organisation's application.
    pub const NOT_OWNER: &str = "not_owner";
    /// A reviewer or authority acting outside their region.
    pub const OUT_OF_REGION: &str = "out_of_region";
    /// The round's submission window is closed.
    pub const WINDOW_CLOSED: &str = "window_closed";
    /// The organisation is inside a 3-year bar (002 第十一条; 003 三、1).
    pub const BARRED: &str = "barred";
    /// `pass` where the chain has no city level: recommend instead.
    pub const NO_CITY_LEVEL: &str = "no_city_level";
    /// A county `recommend` where the chain has a city level: pass instead.
    pub const CITY_LEVEL_REQUIRED: &str = "city_level_required";
    /// A decision before every expert has scored.
    pub const REVIEW_INCOMPLETE: &str = "review_incomplete";
    /// Publication before the notice period has ended.
    pub const NOTICE_NOT_ENDED: &str = "notice_not_ended";
    /// Publication with an objection unresolved.
    pub const UNRESOLVED_OBJECTIONS: &str = "unresolved_objections";
    /// An action that needs a comment came without one.
    pub const COMMENT_REQUIRED: &str = "comment_required";

    /// Every code, for documentation and exhaustive checks.
    pub const ALL: &[&str] = &[
        WRONG_STATE,
        WRONG_ROLE,
        NOT_OWNER,
        OUT_OF_REGION,
        WINDOW_CLOSED,
        BARRED,
        NO_CITY_LEVEL,
        CITY_LEVEL_REQUIRED,
        REVIEW_INCOMPLETE,
        NOTICE_NOT_ENDED,
        UNRESOLVED_OBJECTIONS,
        COMMENT_REQUIRED,
    ];
}

const APPLICANT: &[Role] = &[Role::Applicant];
const COUNTY: &[Role] = &[Role::CountyReviewer];
const CITY: &[Role] = &[Role::CityReviewer];
const AUTHORITY: &[Role] = &[Role::AuthorityAdmin];

/// The transition table: where `action` leads from `state` and who may take it there,
/// before the conditions on [`Facts`].
fn rule(
    state: State,
    action: Action,
    chain_has_city: bool,
    first_level_is_authority: bool,
) -> Option<(State, &'static [Role])> {
    use Action as A;
    use State as S;
    let first = if first_level_is_authority {
        AUTHORITY
    } else {
        COUNTY
    };
    Some(match (state, action) {
        (S::Draft, A::Submit) => (S::CountyReview, APPLICANT),
        (S::Returned, A::Resubmit) => (S::CountyReview, APPLICANT),
        (S::CountyReview | S::CityReview | S::ExpertReview | S::Returned, A::Withdraw) => {
            (S::Withdrawn, APPLICANT)
        }

        (S::CountyReview, A::Pass) => (S::CityReview, first),
        (S::CountyReview, A::Recommend) => (S::ExpertReview, first),
        (S::CountyReview, A::Return) => (S::Returned, first),
        (S::CountyReview, A::Reject) => (S::Rejected, first),

        (S::CityReview, A::Recommend) => (S::ExpertReview, CITY),
        (S::CityReview, A::Return) => (S::Returned, CITY),
        (S::CityReview, A::Reject) => (S::Rejected, CITY),

        (S::ExpertReview, A::Decide) => (S::PublicNotice, AUTHORITY),
        (S::ExpertReview, A::Decline) => (S::NotGraded, AUTHORITY),
        (S::ExpertReview, A::Return) => (S::Returned, AUTHORITY),
        (S::ExpertReview, A::ReturnToRecommender) if chain_has_city => (S::CityReview, AUTHORITY),
        (S::ExpertReview, A::ReturnToRecommender) => (S::CountyReview, AUTHORITY),
        (S::ExpertReview, A::Reject) => (S::Rejected, AUTHORITY),

        (S::PublicNotice, A::Publish) => (S::Published, AUTHORITY),
        (S::PublicNotice, A::ReopenReview) => (S::ExpertReview, AUTHORITY),
        (S::PublicNotice, A::Reject) => (S::Rejected, AUTHORITY),

        (S::Published, A::Revoke) => (S::Revoked, AUTHORITY),
        (S::Published, A::Remove) => (S::Removed, AUTHORITY),

        _ => return None,
    })
}

/// The roles that may take `action` in some state.
fn roles_anywhere(action: Action) -> Vec<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|role| {
            State::ALL.iter().any(|&state| {
                [(true, false), (false, false), (false, true)]
                    .into_iter()
                    .any(|(city, authority_first)| {
                        rule(state, action, city, authority_first)
                            .is_some_and(|(_, roles)| roles.contains(role))
                    })
            })
        })
        .collect()
}

/// Whether `role` may take `action` on an application in `state`, given `facts`; if so, the
/// transition.
///
/// The checks, in order: the role ever takes this action; the action applies in this
/// state; this state's reviewing level is the role; the application is the applicant's own
/// or inside the reviewer's region; then the action's own conditions (submission window,
/// 3-year bar, chain shape, expert review complete, notice ended, objections resolved).
/// `today` is part of the signature for date rules; none needs it yet, every date-bound
/// condition arrives as a fact.
pub fn next(
    state: State,
    action: Action,
    role: Role,
    facts: &Facts,
    today: NaiveDate,
) -> Result<Transition, Refusal> {
    let _ = today;
    let ruled = rule(
        state,
        action,
        facts.chain_has_city,
        facts.first_level_is_authority,
    );
    let to = match ruled {
        Some((to, roles)) if roles.contains(&role) => to,
        _ => {
            let anywhere = roles_anywhere(action);
            return Err(match ruled {
                _ if !anywhere.contains(&role) => wrong_role(action, &anywhere),
                Some((_, roles)) => wrong_role(action, roles),
                None => Refusal::new(
                    code::WRONG_STATE,
                    format!("当前状态为{}，不能{}", state.label_zh(), action.label_zh()),
                    format!(
                        "cannot {}: the application's state is {}",
                        lower(action.label_en()),
                        lower(state.label_en())
                    ),
                ),
            });
        }
    };
    if role == Role::Applicant {
        if !facts.owner {
            return Err(Refusal::new(
                code::NOT_OWNER,
                format!("只能{}本单位的申报", action.label_zh()),
                format!(
                    "you may {} only your own organisation's application",
                    lower(action.label_en())
                ),
            ));
        }
    } else if !facts.in_region {
        return Err(Refusal::new(
            code::OUT_OF_REGION,
            "该申报不在本部门管辖区域内",
            "the application is outside your region",
        ));
    }
    condition(state, action, facts)?;
    Ok(Transition {
        from: state,
        to,
        action,
    })
}

/// The conditions of an action beyond state, role and scope.
fn condition(state: State, action: Action, facts: &Facts) -> Result<(), Refusal> {
    use Action as A;
    let refuse = |code, zh: &str, en: &str| Err(Refusal::new(code, zh, en));
    match action {
        A::Submit | A::Resubmit if facts.barred => refuse(
            code::BARRED,
            "申报单位被撤销认定或列入黑名单，3年内不予受理申报",
            "the organisation is barred from applying for 3 years after a revocation or blacklisting",
        ),
        A::Submit if !facts.window_open => refuse(
            code::WINDOW_CLOSED,
            "申报窗口已关闭",
            "the round's submission window is closed",
        ),
        A::Pass if !facts.chain_has_city => refuse(
            code::NO_CITY_LEVEL,
            "本申报不经设区市审核，初审后应直接审核推荐",
            "this chain has no city level: recommend directly after the initial review",
        ),
        A::Recommend if state == State::CountyReview && facts.chain_has_city => refuse(
            code::CITY_LEVEL_REQUIRED,
            "本申报须经设区市审核，初审后应选择通过初审",
            "this chain has a city level: pass the application on to the city",
        ),
        A::Decide | A::Decline if !facts.review_complete => refuse(
            code::REVIEW_INCOMPLETE,
            "专家评审尚未完成",
            "the expert review is not complete",
        ),
        A::Publish if !facts.notice_ended => refuse(
            code::NOTICE_NOT_ENDED,
            "公示期尚未结束",
            "the public notice period has not ended",
        ),
        A::Publish if facts.unresolved_objections => refuse(
            code::UNRESOLVED_OBJECTIONS,
            "公示期间的异议尚未处理完毕",
            "objections filed during the public notice are not resolved",
        ),
        _ => Ok(()),
    }
}

fn wrong_role(action: Action, roles: &[Role]) -> Refusal {
    let zh = roles
        .iter()
        .map(|r| r.label_zh())
        .collect::<Vec<_>>()
        .join("或");
    let en = roles
        .iter()
        .map(|r| lower(r.label_en()))
        .collect::<Vec<_>>()
        .join(" or ");
    let action_en = lower(action.label_en());
    if roles.is_empty() {
        return Refusal::new(
            code::WRONG_ROLE,
            format!("无人可以{}", action.label_zh()),
            format!("nobody may {action_en}"),
        );
    }
    Refusal::new(
        code::WRONG_ROLE,
        format!("只有{zh}可以{}", action.label_zh()),
        format!("only the {en} may {action_en}"),
    )
}

/// An English label with its first letter in lower case, for use inside a sentence.
fn lower(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// The actions `role` may take on an application in `state` now: the buttons to show.
/// Derived from [`next`], so every action listed is accepted and every accepted one listed.
pub fn actions_for(state: State, role: Role, facts: &Facts, today: NaiveDate) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|&action| next(state, action, role, facts, today).is_ok())
        .collect()
}

/// Whether the applicant may edit the application: only as a draft or when returned for
/// correction. Every submitted version is immutable (docs/workflow.md §9 Editing and
/// versions); an application under review is not edited, it is returned and resubmitted
/// as a new version.
pub fn editable(state: State) -> bool {
    matches!(state, State::Draft | State::Returned)
}

/// Checks the comment an action carries: those that [need one](Action::needs_comment) are
/// refused without a non-blank comment.
pub fn check_comment(action: Action, comment: &str) -> Result<(), Refusal> {
    if action.needs_comment() && comment.trim().is_empty() {
        return Err(Refusal::new(
            code::COMMENT_REQUIRED,
            format!("{}须填写意见或理由", action.label_zh()),
            format!("{} needs a comment or reason", action.label_en()),
        ));
    }
    Ok(())
}

named! {
    /// The level of the office that acts at a step of a review chain, by the region it governs.
    Office("审核层级", "office level") {
        /// 县（市、区）经信/工信局.
        County = "county", "县（市、区）主管部门", "county office";
        /// 设区市工信局 (or 市经信局 as Shaoxing's authority).
        City = "city", "设区市主管部门", "city office";
        /// 省工信厅: Jiangsu's authority; the first level of an MIIT selection.
        Province = "province", "省级主管部门", "provincial office";
        /// 工业和信息化部: the authority of an MIIT selection.
        Nation = "nation", "工业和信息化部", "the ministry";
    }
}

impl Office {
    /// The account role that acts for an office of this level.
    pub fn role(self) -> Role {
        match self {
            Office::County => Role::CountyReviewer,
            Office::City => Role::CityReviewer,
            Office::Province | Office::Nation => Role::AuthorityAdmin,
        }
    }

    /// The region level (`regions.level`) of an office of this level; the ministry governs no
    /// region of the tree.
    pub fn region_level(self) -> Option<&'static str> {
        match self {
            Office::County => Some("county"),
            Office::City => Some("city"),
            Office::Province => Some("province"),
            Office::Nation => None,
        }
    }
}

/// A review chain as data (docs/workflow.md §3): the offices that review an application before
/// the authority, and the authority. A scheme file states its chain (`[chain]`), and a round
/// may override it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    /// The reviewing offices before the authority, first to last: `[county]` or
    /// `[county, city]`, or `[province]` for a selection the province recommends to.
    pub levels: Vec<Office>,
    /// The office that runs the evaluation, decides and publishes.
    pub authority: Office,
    /// Region codes whose own office recommends straight to the authority, skipping the second
    /// level (003 二（一）、二（二）1: 昆山市、泰兴市、沭阳县).
    #[serde(default)]
    pub direct: Vec<String>,
    /// The clauses that prescribe the chain.
    #[serde(default)]
    pub clause: String,
}

/// The offices one application passes through: its chain applied to its region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The reviewing offices before the authority, first to last.
    pub levels: Vec<Office>,
    pub authority: Office,
}

impl Chain {
    /// Checks the chain's shape: one or two levels, each above the one before, the authority
    /// above them all; a second level is a city office; `direct` only where there is a second
    /// level to skip. The errors are in Chinese and English.
    pub fn validate(&self) -> Result<(), String> {
        let Some(&first) = self.levels.first() else {
            return Err("审核链至少有一个审核层级 / a chain needs at least one level".into());
        };
        if self.levels.len() > 2 {
            return Err("审核链至多两个审核层级 / a chain has at most two levels".into());
        }
        if !matches!(first, Office::County | Office::Province) {
            return Err(
                "第一审核层级应为县（市、区）或省级主管部门 / the first level is a county or provincial office".into(),
            );
        }
        if let Some(&second) = self.levels.get(1)
            && (first != Office::County || second != Office::City)
        {
            return Err(
                "两级审核链应为县（市、区）→ 设区市 / a two-level chain is county → city".into(),
            );
        }
        let last = *self.levels.last().unwrap_or(&first);
        if self.authority <= last {
            return Err(
                "主管部门的层级应高于各审核层级 / the authority is above every level".into(),
            );
        }
        if !self.direct.is_empty() && self.levels.len() < 2 {
            return Err(
                "只有两级审核链可以设直接推荐的地区 / only a two-level chain has direct regions"
                    .into(),
            );
        }
        if let Some(code) = self
            .direct
            .iter()
            .find(|code| code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "直接推荐地区代码「{code}」应为数字 / direct region codes are digits"
            ));
        }
        Ok(())
    }

    /// The route of an application whose organisation lies in the region with these codes
    /// (its own and its ancestors'): a region named in `direct` skips the second level.
    pub fn route<S: AsRef<str>>(&self, region_codes: &[S]) -> Route {
        let direct = region_codes
            .iter()
            .any(|code| self.direct.iter().any(|d| d == code.as_ref()));
        let levels = if direct {
            self.levels.iter().copied().take(1).collect()
        } else {
            self.levels.clone()
        };
        Route {
            levels,
            authority: self.authority,
        }
    }
}

impl Route {
    /// The facts the chain's shape gives [`next`]: whether a city level follows the first,
    /// and whether the first level is an authority office.
    pub fn shape(&self) -> (bool, bool) {
        (
            self.levels.len() > 1,
            self.levels
                .first()
                .is_some_and(|l| l.role() == Role::AuthorityAdmin),
        )
    }

    /// The office that acts on an application in `state`: the first level in `county_review`,
    /// the second in `city_review`, the authority from the expert review on. `None` where no
    /// office acts (a draft, a returned application, a final state).
    pub fn office_for(&self, state: State) -> Option<Office> {
        match state {
            State::CountyReview => self.levels.first().copied(),
            State::CityReview => self.levels.get(1).copied(),
            State::ExpertReview | State::PublicNotice | State::Published => Some(self.authority),
            _ => None,
        }
    }

    /// The name of the step `state` is for this route: 「县（市、区）初审」, 「设区市审核推荐」,
    /// 「省级主管部门初审推荐」 …
    pub fn step_label_zh(&self, state: State) -> String {
        match (state, self.office_for(state)) {
            (State::CountyReview, Some(Office::County)) if self.levels.len() > 1 => {
                "县（市、区）初审".into()
            }
            (State::CountyReview, Some(Office::County)) => "县（市、区）初审推荐".into(),
            (State::CountyReview, Some(office)) => format!("{}初审推荐", office.label_zh()),
            (State::CityReview, _) => "设区市审核推荐".into(),
            _ => state.label_zh().into(),
        }
    }
}
