//! The CWT claims set (RFC 8392) of an HCERT: issuer (1), expiry (4), issued-at (6), and the payload under claim -260, key 1.

use ciborium::Value;

use crate::Error;
use crate::cose::cbor_item;

const ISS: i64 = 1;
const EXP: i64 = 4;
const IAT: i64 = 6;
const HCERT: i64 = -260;
const HCERT_EU_DCC: i64 = 1;

/// The claims around the payload. Times are seconds since 1970 (NumericDate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Issuer country, ISO 3166-1 alpha-2 (`HK`); some issuers leave it out.
    pub issuer: Option<String>,
    /// When the certificate was signed.
    pub issued_at: i64,
    /// When it stops being valid.
    pub expires_at: i64,
}

/// The claims set with the payload, as CBOR bytes (a definite-length map).
pub fn encode(claims: &Claims, payload: &serde_json::Value) -> Result<Vec<u8>, Error> {
    let mut map = Vec::new();
    if let Some(issuer) = &claims.issuer {
        map.push((Value::from(ISS), Value::Text(issuer.clone())));
    }
    map.push((Value::from(EXP), Value::from(claims.expires_at)));
    map.push((Value::from(IAT), Value::from(claims.issued_at)));
    let payload = json_to_cbor(payload);
    map.push((Value::from(HCERT), Value::Map(vec![(Value::from(HCERT_EU_DCC), payload)])));
    let mut out = Vec::new();
    ciborium::ser::into_writer(&Value::Map(map), &mut out).map_err(|e| Error::Signing(e.to_string()))?;
    Ok(out)
}

/// The claims and the payload (as JSON) from the claims set's CBOR bytes.
pub fn decode(bytes: &[u8]) -> Result<(Claims, serde_json::Value), Error> {
    let Value::Map(map) = cbor_item(bytes)? else {
        return Err(Error::Claims("the signed payload is not a CBOR map".into()));
    };
    let claim = |key: i64| {
        let mut found = map.iter().filter(|(k, _)| k.as_integer().is_some_and(|k| i128::from(k) == i128::from(key)));
        match (found.next(), found.next()) {
            (_, Some(_)) => Err(Error::Claims(format!("claim {key} appears twice"))),
            (found, None) => Ok(found.map(|(_, v)| v)),
        }
    };
    let issuer = match claim(ISS)? {
        None => None,
        Some(Value::Text(issuer)) => Some(issuer.clone()),
        Some(_) => return Err(Error::Claims("the issuer (claim 1) is not text".into())),
    };
    let time = |key: i64, name: &str| -> Result<i64, Error> {
        match claim(key)? {
            Some(value) => {
                numeric_date(value).ok_or_else(|| Error::Claims(format!("{name} (claim {key}) is not a time")))
            }
            None => Err(Error::Claims(format!("no {name} (claim {key})"))),
        }
    };
    let claims = Claims { issuer, expires_at: time(EXP, "expiry")?, issued_at: time(IAT, "issued-at")? };
    let Some(Value::Map(hcert)) = claim(HCERT)? else {
        return Err(Error::Claims("no HCERT map (claim -260)".into()));
    };
    let dcc = hcert
        .iter()
        .find(|(k, _)| k.as_integer().is_some_and(|k| i128::from(k) == i128::from(HCERT_EU_DCC)))
        .map(|(_, v)| v)
        .ok_or_else(|| Error::Claims("no DCC payload (claim -260, key 1)".into()))?;
    Ok((claims, cbor_to_json(dcc)?))
}

/// A NumericDate: an integer, or a float truncated to whole seconds.
fn numeric_date(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        Value::Float(f) if f.is_finite() && f.abs() < 1e15 => Some(f.trunc() as i64),
        Value::Tag(1, inner) => numeric_date(inner),
        _ => None,
    }
}

/// The payload in JSON terms. Text keys only; tags are looked through (some
/// issuers tag dates); byte strings and non-finite floats have no JSON form.
pub fn cbor_to_json(value: &Value) -> Result<serde_json::Value, Error> {
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Text(s) => serde_json::Value::String(s.clone()),
        Value::Integer(i) => {
            let i = i128::from(*i);
            if let Ok(i) = i64::try_from(i) {
                serde_json::Value::from(i)
            } else if let Ok(u) = u64::try_from(i) {
                serde_json::Value::from(u)
            } else {
                return Err(payload_error("an integer out of range"));
            }
        }
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .ok_or_else(|| payload_error("a float that is not a number"))?,
        Value::Array(items) => serde_json::Value::Array(items.iter().map(cbor_to_json).collect::<Result<_, _>>()?),
        Value::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                let Value::Text(key) = key else { return Err(payload_error("a map key that is not text")) };
                if object.insert(key.clone(), cbor_to_json(value)?).is_some() {
                    return Err(payload_error("a key that appears twice"));
                }
            }
            serde_json::Value::Object(object)
        }
        Value::Tag(_, inner) => cbor_to_json(inner)?,
        Value::Bytes(_) => return Err(payload_error("a byte string")),
        _ => return Err(payload_error("an unknown CBOR value")),
    })
}

fn payload_error(what: &str) -> Error {
    Error::Schema(vec![crate::Violation { path: String::new(), problem: format!("the payload holds {what}") }])
}

/// The payload in CBOR terms: integers stay integers, objects become text-keyed maps.
pub fn json_to_cbor(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::Float(n.as_f64().unwrap_or_default())
            }
        }
        serde_json::Value::Array(items) => Value::Array(items.iter().map(json_to_cbor).collect()),
        serde_json::Value::Object(object) => {
            Value::Map(object.iter().map(|(k, v)| (Value::Text(k.clone()), json_to_cbor(v))).collect())
        }
    }
}
