//! `lionrock credentials verify <HC1 code | picture.png>`: the verdict, the
//! failing step in words, and the holder's name and birth date.
//!
//! Trust comes from the local database (our published document signers,
//! imported foreign ones, revocations and the rules in force: what the
//! trust bundle carries) or from `--bundle FILE`, a saved trust bundle
//! whose signature is checked against its root and whose age is shown.
//! Pictures: PNG only (decoded with `png`, read with rqrr).

use std::path::{Path, PathBuf};

use clap::Args;
use platform::cli::{Context, Failure};
use serde_json::json;
use time::OffsetDateTime;

use crate::trust::verify::{Invalid, Trust, holder_name, uvci};
use crate::trust::{Bundle, BundlePayload};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// An `HC1:` code, or the path of a PNG picture of its QR code.
    code: String,
    /// Trust a saved trust bundle (`GET /api/v1/credentials/trust-bundle`)
    /// instead of the local database.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Check as at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
}

/// The text of a QR code in a PNG picture.
fn read_picture(path: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(Failure::usage(format!(
            "{}: not a PNG picture (only PNG is read; convert other formats, or paste the HC1: text)",
            path.display()
        )));
    }
    let unreadable =
        |e: &dyn std::fmt::Display| Failure::runtime(format!("{}: cannot read the PNG: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| unreadable(&e))?;
    let size = reader.output_buffer_size().ok_or_else(|| unreadable(&"too large"))?;
    let mut pixels = vec![0; size];
    let frame = reader.next_frame(&mut pixels).map_err(|e| unreadable(&e))?;
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let luma = |x: usize, y: usize| -> u8 {
        let i = (y * frame.line_size) + x * channels;
        match channels {
            1 | 2 => pixels[i],
            _ => {
                let (r, g, b) = (u32::from(pixels[i]), u32::from(pixels[i + 1]), u32::from(pixels[i + 2]));
                u8::try_from((r * 299 + g * 587 + b * 114) / 1000).unwrap_or(u8::MAX)
            }
        }
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    for grid in image.detect_grids() {
        if let Ok((_, text)) = grid.decode() {
            return Ok(text);
        }
    }
    Err(Failure::runtime(format!("{}: no readable QR code in the picture", path.display())))
}

/// The bundle in a file, checked; and a warning when it is stale.
fn saved_bundle(path: &Path, now: OffsetDateTime) -> Result<(BundlePayload, Option<String>), Failure> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("--bundle {}: {e}", path.display())))?;
    let bundle: Bundle = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("--bundle {}: not a trust bundle: {e}", path.display())))?;
    let (payload, _) = bundle.open().map_err(|e| Failure::runtime(format!("--bundle {}: {e}", path.display())))?;
    let hours = (now - payload.issued_at).whole_hours().max(0);
    let stale = (hours >= i64::from(payload.stale_after_hours)).then(|| {
        format!(
            "the trust bundle is {hours} hours old, older than {} hours: fetch a fresh one",
            payload.stale_after_hours
        )
    });
    Ok((payload, stale))
}

pub(crate) async fn run(ctx: Context, args: VerifyArgs) -> Result<(), Failure> {
    let now = match &args.at {
        Some(at) => OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| Failure::usage(format!("--at {at}: not an RFC 3339 time: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let text = if args.code.trim_start().starts_with("HC1:") {
        args.code.trim().to_owned()
    } else if Path::new(&args.code).is_file() {
        read_picture(Path::new(&args.code))?
    } else if args.code.len() > 200 {
        // Long text that is neither: check it, so the prefix step names the fault.
        args.code.trim().to_owned()
    } else {
        return Err(Failure::usage(format!("{}: neither an HC1: code nor a file", args.code)));
    };
    let (payload, stale, source) = match &args.bundle {
        Some(path) => {
            let (payload, stale) = saved_bundle(path, now)?;
            (payload, stale, "bundle")
        }
        None => {
            let state = ctx.state().await?;
            let payload = crate::trust::store::payload(&state).await.map_err(Failure::runtime)?;
            (payload, None, "database")
        }
    };
    if let Some(warning) = &stale {
        eprintln!("warning: {warning}");
    }
    let age_hours = (now - payload.issued_at).whole_hours().max(0);
    let lists = json!({
        "source": source,
        "issuedAt": crate::trust::rfc3339(payload.issued_at),
        "ageHours": age_hours,
        "stale": stale.is_some(),
        "rulesVersion": payload.rules.version,
    });
    let trust = Trust::new(&payload);
    match trust.check(&text, now) {
        Ok(valid) => {
            let dcc = &valid.credential.dcc;
            let (name, standard) = holder_name(dcc);
            let kind = dcc.kind().map(|k| k.to_string()).unwrap_or_default();
            ctx.print(
                json!({
                    "verdict": "VALID",
                    "kind": kind,
                    "name": name,
                    "standardisedName": standard,
                    "dob": dcc.dob,
                    "uvci": uvci(dcc),
                    "signer": { "kid": valid.credential.kid.to_string(), "country": valid.signer_country },
                    "lists": lists,
                }),
                format!(
                    "VALID\nHolder: {name} ({standard})\nBorn: {}\nRecord: {kind}, {}\nSigner: {} ({})\nTrust: {source}, {age_hours} hours old, rules version {}",
                    dcc.dob,
                    uvci(dcc),
                    valid.credential.kid,
                    valid.signer_country,
                    payload.rules.version,
                ),
            );
            Ok(())
        }
        Err(Invalid { step, detail, credential }) => {
            let holder = credential.as_ref().map(|c| {
                let (name, standard) = holder_name(&c.dcc);
                (name, standard, c.dcc.dob.clone())
            });
            let mut out = json!({ "verdict": "INVALID", "step": step, "reason": detail, "lists": lists });
            let mut lines = format!("INVALID\nReason: {step}: {detail}");
            if let Some((name, standard, dob)) = &holder {
                out["name"] = json!(name);
                out["standardisedName"] = json!(standard);
                out["dob"] = json!(dob);
                lines.push_str(&format!("\nHolder: {name} ({standard})\nBorn: {dob}"));
            }
            ctx.print(out, lines);
            Err(Failure::runtime(format!("the credential is not valid ({step})")))
        }
    }
}
