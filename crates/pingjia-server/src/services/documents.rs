//! Printable documents as PDF: the self-assessment report (自评估报告) and the decision record
//! (决定记录) of an application. Each is read through the same service function as its page
//! (`applications::detail`, `decisions::record`), so whoever may not see the page gets the same
//! `404`; without the font, `503 pdf_font_missing` (the pages still print).

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Actor;
use crate::services::applications;
use crate::services::decisions;
use crate::services::pdf::{self, Flow};

/// A PDF and the name it downloads as.
#[derive(Debug)]
pub struct PdfFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

fn date_time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at + 8 * 3600, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The self-assessment report of the version the caller may see: the organisation, the grade
/// and its basis, every criterion with its clause, and the gaps to each higher level (the
/// core's explanation, `Report::to_text`).
pub async fn report_pdf(state: &AppState, actor: &Actor, id: i64) -> AppResult<PdfFile> {
    let detail = applications::detail(state, actor, id).await?;
    let font = pdf::font_for(state)?;
    let report = &detail.assessment.report;
    let organization = &detail.organization;
    let mut flow = Flow::new(
        &font,
        &format!("自评估报告 · {}", organization.name),
        &format!("{} · 自评估报告", organization.name),
    );
    flow.title("自评估报告");
    flow.text(
        11.0,
        0.0,
        pdf::GREY,
        &report.provider_type_title.as_ref().map_or_else(
            || report.scheme_title.clone(),
            |t| format!("{} · {t}", report.scheme_title),
        ),
    );
    flow.heading("申报单位");
    flow.field("单位名称", &organization.name);
    flow.field("统一社会信用代码", &organization.credit_code);
    flow.field("单位性质", report.organization_kind);
    flow.field(
        "申报状态",
        &format!(
            "{}　第 {} 版",
            detail.application.state.label_zh(),
            detail.version.number
        ),
    );
    if let Some(at) = detail.version.submitted_at {
        flow.field("提交时间", &date_time(at));
    }
    flow.heading("评估结论");
    flow.field("评估结果", &report.grade);
    if let Some(unfilled) = detail.assessment.unfilled {
        flow.field("尚未填写", &format!("还有 {unfilled} 项待填"));
    }
    flow.heading("评估说明");
    for line in report.to_text().lines() {
        let indent = line.chars().take_while(|c| *c == ' ').count();
        let text = line.trim_start();
        if text.is_empty() {
            flow.space(4.0);
        } else if text.starts_with('【') || (indent == 0 && text.ends_with('：')) {
            flow.space(2.0);
            flow.text(11.0, 0.0, pdf::BLACK, text);
        } else {
            flow.text(9.5, indent as f32 * 4.0, pdf::BLACK, text);
        }
    }
    flow.rule();
    flow.text(
        8.5,
        0.0,
        pdf::GREY,
        &format!(
            "生成时间：{}（系统自评估，不代替评审结论）",
            date_time(state.now())
        ),
    );
    let bytes = pdf::render(&font, &flow.finish()).map_err(AppError::internal)?;
    Ok(PdfFile {
        filename: format!("自评估报告-{}-{id}.pdf", organization.name),
        bytes,
    })
}

/// The decision record of an application, for the authority of its round.
pub async fn decision_record_pdf(state: &AppState, actor: &Actor, id: i64) -> AppResult<PdfFile> {
    let record = decisions::record(state, actor, id).await?;
    let font = pdf::font_for(state)?;
    let mut flow = Flow::new(
        &font,
        &format!("决定记录 · {}", record.organization),
        &format!("{} · 决定记录", record.organization),
    );
    flow.title("评定决定记录");
    flow.heading("申报");
    flow.field("单位名称", &record.organization);
    flow.field("统一社会信用代码", &record.credit_code);
    flow.field("评价方案", &record.scheme_title);
    flow.field("申报类型", &record.provider_type);
    flow.field("批次", &record.round_name);
    flow.field("申报状态", &record.state_label);
    flow.field("核定值计算结果", &record.grade);
    if let Some(score) = &record.score {
        flow.field("专家评分", score);
    }
    flow.field("默认决定", &record.default_label);
    flow.heading("决定（按时间先后）");
    if record.history.is_empty() {
        flow.text(10.5, 0.0, pdf::GREY, "尚无决定");
    }
    for (index, decision) in record.history.iter().enumerate() {
        flow.field(
            &format!("第 {} 次", index + 1),
            &format!(
                "{}　{}{}",
                date_time(decision.decided_at),
                decision.result_label,
                if decision.departs {
                    format!("（不同于计算结果 {}）", decision.default_label)
                } else {
                    String::new()
                }
            ),
        );
        if !decision.reason.is_empty() {
            flow.field("理由", &decision.reason);
        }
    }
    flow.heading("发文公布");
    match &record.published {
        Some(grade) => {
            flow.field("评定结果", &grade.result);
            flow.field("发文文号", &grade.document_number);
            flow.field("发文日期", &grade.document_date);
            flow.field(
                "有效期",
                &match &grade.valid_until {
                    Some(until) => format!("{} 至 {until}", grade.valid_from),
                    None => format!("自 {} 起", grade.valid_from),
                },
            );
            if let Some(number) = &record.certificate {
                flow.field("证书编号", number);
            }
        }
        None => flow.text(10.5, 0.0, pdf::GREY, "尚未发文公布"),
    }
    flow.rule();
    flow.text(
        8.5,
        0.0,
        pdf::GREY,
        &format!("生成时间：{}", date_time(state.now())),
    );
    let bytes = pdf::render(&font, &flow.finish()).map_err(AppError::internal)?;
    Ok(PdfFile {
        filename: format!("决定记录-{}-{id}.pdf", record.organization),
        bytes,
    })
}
