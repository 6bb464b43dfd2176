//! The residents' pages: find a centre (by district, on a schematic map of
//! Hong Kong's eighteen districts, or by distance), book in steps that work
//! without JavaScript, the confirmation with a QR code of the reference,
//! my bookings with cancel and reschedule. Here the rules, without I/O:
//! where each district sits (its centre point and its tile on the map),
//! distances, opening hours as lines to read, and the QR code. Handlers and
//! forms are in `http`; the queries they use are the features' own stores.

pub(crate) mod http;

use qrcode::{Color, EcLevel, QrCode};

use crate::programmes::DISTRICTS;

/// Where the residents' pages start, without the language prefix.
pub const PATH: &str = "/booking";
/// My bookings.
pub const MINE: &str = "/booking/mine";
/// Days shown ahead, today included.
pub const DAYS: i64 = 7;

/// A district's centre point (latitude, longitude), roughly where its
/// people live: the point a resident may choose to sort centres by distance.
pub fn centroid(district: &str) -> Option<(f64, f64)> {
    let point = match district {
        "central-western" => (22.2860, 114.1500),
        "wan-chai" => (22.2780, 114.1820),
        "eastern" => (22.2740, 114.2250),
        "southern" => (22.2450, 114.1750),
        "yau-tsim-mong" => (22.3110, 114.1700),
        "sham-shui-po" => (22.3300, 114.1600),
        "kowloon-city" => (22.3230, 114.1900),
        "wong-tai-sin" => (22.3420, 114.1950),
        "kwun-tong" => (22.3130, 114.2250),
        "kwai-tsing" => (22.3540, 114.1170),
        "tsuen-wan" => (22.3710, 114.1100),
        "tuen-mun" => (22.3910, 113.9770),
        "yuen-long" => (22.4450, 114.0220),
        "north" => (22.4960, 114.1380),
        "tai-po" => (22.4500, 114.1650),
        "sha-tin" => (22.3830, 114.1880),
        "sai-kung" => (22.3600, 114.2700),
        "islands" => (22.2610, 113.9460),
        _ => return None,
    };
    Some(point)
}

/// A district's tile on the schematic map: its top-left corner (the map is
/// `MAP_WIDTH` by `MAP_HEIGHT`, tiles `TILE_WIDTH` by `TILE_HEIGHT`), placed
/// roughly where the district lies: New Territories at the top, Kowloon in
/// the middle, Hong Kong Island below, the Islands to the south-west.
pub fn tile(district: &str) -> Option<(u32, u32)> {
    let at = match district {
        "yuen-long" => (110, 10),
        "north" => (220, 10),
        "tai-po" => (330, 10),
        "tuen-mun" => (0, 80),
        "tsuen-wan" => (110, 80),
        "sha-tin" => (275, 80),
        "sai-kung" => (385, 80),
        "kwai-tsing" => (110, 150),
        "sham-shui-po" => (220, 150),
        "wong-tai-sin" => (330, 150),
        "yau-tsim-mong" => (165, 220),
        "kowloon-city" => (275, 220),
        "kwun-tong" => (385, 220),
        "islands" => (0, 290),
        "central-western" => (110, 290),
        "wan-chai" => (220, 290),
        "eastern" => (330, 290),
        "southern" => (220, 360),
        _ => return None,
    };
    Some(at)
}

pub const MAP_WIDTH: u32 = 490;
pub const MAP_HEIGHT: u32 = 420;
pub const TILE_WIDTH: u32 = 100;
pub const TILE_HEIGHT: u32 = 52;

/// Whether `slug` is one of the eighteen districts.
pub fn is_district(slug: &str) -> bool {
    DISTRICTS.contains(&slug)
}

/// Great-circle distance in kilometres (haversine; the Earth as a sphere).
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let a = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// A point a resident gave: latitude and longitude in range, else `None`.
pub fn point(lat: &str, lon: &str) -> Option<(f64, f64)> {
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// The weekdays of a centre's opening hours, in order.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A centre's opening hours (its stored JSON) as (weekday, periods) in
/// weekday order, days without hours left out; periods read `09:00–13:00`.
pub fn opening_lines(json: &str) -> Vec<(&'static str, String)> {
    let Ok(serde_json::Value::Object(days)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    WEEKDAYS
        .into_iter()
        .filter_map(|day| {
            let periods: Vec<String> =
                days.get(day)?.as_array()?.iter().filter_map(|p| p.as_str().map(|p| p.replace('-', "–"))).collect();
            (!periods.is_empty()).then(|| (day, periods.join(", ")))
        })
        .collect()
}

/// The QR code of `text` as an SVG image with the accessible name `label`
/// (escaped here), scaled by CSS; dark modules drawn as horizontal runs.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    const QUIET: usize = 4;
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                path.push_str(&format!("M{} {}h{}v1h-{}z", start + QUIET, y + QUIET, x - start, x - start));
            } else {
                x += 1;
            }
        }
    }
    let side = width + 2 * QUIET;
    let label = platform::form::escape(label);
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" role="img" aria-label="{label}" shape-rendering="crispEdges"><title>{label}</title><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_district_has_a_point_and_a_tile_and_no_two_tiles_overlap() {
        let mut tiles = Vec::new();
        for d in DISTRICTS {
            assert!(centroid(d).is_some(), "{d}");
            let (x, y) = tile(d).unwrap();
            assert!(x + TILE_WIDTH <= MAP_WIDTH && y + TILE_HEIGHT <= MAP_HEIGHT, "{d}");
            for &(ox, oy) in &tiles {
                let apart =
                    x + TILE_WIDTH <= ox || ox + TILE_WIDTH <= x || y + TILE_HEIGHT <= oy || oy + TILE_HEIGHT <= y;
                assert!(apart, "{d} overlaps");
            }
            tiles.push((x, y));
        }
        assert!(centroid("atlantis").is_none() && !is_district("atlantis"));
    }

    #[test]
    fn distances_are_in_kilometres() {
        let sha_tin = centroid("sha-tin").unwrap();
        assert!(distance_km(sha_tin, sha_tin) < 1e-9);
        let d = distance_km(sha_tin, centroid("wan-chai").unwrap());
        assert!((10.0..13.0).contains(&d), "{d}");
        assert_eq!(point("22.3", "114.2"), Some((22.3, 114.2)));
        assert_eq!(point("91", "0"), None);
        assert_eq!(point("x", "0"), None);
    }

    #[test]
    fn opening_hours_read_in_weekday_order() {
        let lines = opening_lines(r#"{"sun": ["10:00-12:00"], "mon": ["09:00-13:00", "14:00-17:00"], "tue": []}"#);
        assert_eq!(lines, vec![("mon", "09:00–13:00, 14:00–17:00".to_owned()), ("sun", "10:00–12:00".to_owned())]);
        assert!(opening_lines("not json").is_empty());
    }

    #[test]
    fn the_qr_code_is_named_and_escaped() {
        let svg = qr_svg("K7Q2M9XD3P", "Booking <K7Q2M-9XD3P>").unwrap();
        assert!(svg.contains(r#"aria-label="Booking &lt;K7Q2M-9XD3P&gt;""#));
        assert!(svg.contains("<path"));
    }
}
