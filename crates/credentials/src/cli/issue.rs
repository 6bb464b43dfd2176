//! `lionrock credentials issue --csv FILE [--json]`: issues a record for
//! each row of a CSV file whose header names [`Request`] fields (the README
//! lists the columns). Rows stand alone: a valid row is issued in its own
//! transaction, a row with an error makes nothing. Each row's outcome is
//! printed as it is done: with `--json`, one JSON object a line (`{"row",
//! "uvci", "hc1"}` or `{"row", "errors": [{"field", "message"}]}`, messages
//! in English from the catalogue); rows count from 1 after the header.
//! Exit 0 when every row was issued, 1 when any failed, 2 when the file
//! cannot be used (unreadable, malformed CSV, unknown column).

use std::path::PathBuf;

use platform::cli::{Context, Failure};
use platform::error::{AppError, ErrorKind};
use platform::i18n::Lang;
use serde_json::json;

use crate::issuance::csv;
use crate::records::{Request, store};

/// Who the audit log names for records the command issues.
const ACTOR: &str = "cli";

/// Issue records from a CSV file (one per row).
#[derive(Debug, clap::Args)]
pub(super) struct IssueArgs {
    /// The CSV file: a header row of field names, then one record a row.
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
}

/// One row's problem: the field (empty for the row as a whole) and why.
struct RowError {
    field: String,
    message: String,
}

pub(super) async fn run(ctx: Context, args: IssueArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.csv).map_err(|e| Failure::usage(format!("--csv {}: {e}", args.csv.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("--csv {}: not UTF-8 text", args.csv.display())))?;
    let records = csv::records(&text).map_err(|e| Failure::usage(format!("--csv {}: {e}", args.csv.display())))?;
    let Some((head, rows)) = records.split_first() else {
        return Err(Failure::usage(format!("--csv {}: {}", args.csv.display(), csv::FileError::Empty)));
    };
    let columns = csv::header(head).map_err(|e| Failure::usage(format!("--csv {}: {e}", args.csv.display())))?;
    let state = ctx.state().await?;
    let mut failed = 0;
    for (i, record) in rows.iter().enumerate() {
        let row = i + 1;
        let outcome = match csv::request(&columns, record) {
            Ok(request) => issue(&state, &request).await?,
            Err(w) => Err(vec![RowError {
                field: String::new(),
                message: format!("this row has {} fields; the header has {}", w.found, w.expected),
            }]),
        };
        match outcome {
            Ok(issued) => ctx.print(
                json!({ "row": row, "uvci": issued.uvci, "hc1": issued.hc1 }),
                format!("row {row}: {} {}", issued.uvci, issued.hc1),
            ),
            Err(errors) => {
                failed += 1;
                let text: Vec<String> = errors
                    .iter()
                    .map(|e| if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", e.field, e.message) })
                    .collect();
                let errors: Vec<_> = errors.iter().map(|e| json!({ "field": e.field, "message": e.message })).collect();
                ctx.print(
                    json!({ "row": row, "errors": errors }),
                    format!("row {row} (line {}): not issued: {}", record.line, text.join("; ")),
                );
            }
        }
    }
    if failed > 0 {
        return Err(Failure::runtime(format!("{failed} of {} rows not issued", rows.len())));
    }
    Ok(())
}

/// Issues one row: the record, or its errors; `Err` only for a failure
/// that stops the whole run (the database is gone, say).
async fn issue(
    state: &platform::app::AppState,
    request: &Request,
) -> Result<Result<store::Issued, Vec<RowError>>, Failure> {
    let english = |key: &str, args: &[(String, String)]| {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        state.catalog.text_with(Lang::En, key, &args)
    };
    match store::issue(state, ACTOR, request).await {
        Ok(issued) => Ok(Ok(issued)),
        Err(e) if e.is(ErrorKind::Validation) => Ok(Err(e
            .fields
            .iter()
            .map(|f| RowError {
                field: f.field.trim_start_matches('/').to_owned(),
                message: english(&f.message_key, &f.args),
            })
            .collect())),
        Err(e) if e.problem.status.is_client_error() => Ok(Err(vec![row_problem(&e, &english)])),
        Err(e) => Err(Failure::runtime(e)),
    }
}

/// A refusal about the row as a whole (a record the DCC rules refuse).
fn row_problem(e: &AppError, english: &impl Fn(&str, &[(String, String)]) -> String) -> RowError {
    let args: Vec<(String, String)> = e.args.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    let mut message = english(&e.problem.detail_key(), &args);
    if let Some(detail) = &e.detail {
        message = format!("{message} ({detail})");
    }
    RowError { field: String::new(), message }
}
