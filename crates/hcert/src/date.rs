//! Calendar dates and RFC 3339 times as the DCC writes them, and their conversion to seconds since 1970.

/// Days from 1970-01-01 to the given proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if month <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD`, a real calendar day (RFC 3339 `full-date`).
pub(crate) fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (i64::from(digits(&s[0..4])?), digits(&s[5..7])?, digits(&s[8..10])?);
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some((year, month, day))
}

/// An RFC 3339 `date-time` (`2021-05-24T15:20:00+02:00`, fraction optional,
/// `Z` or a numeric offset) as seconds since 1970.
pub(crate) fn parse_date_time(s: &str) -> Option<i64> {
    let (year, month, day) = parse_date(s.get(..10)?)?;
    let rest = s.get(10..)?;
    let b = rest.as_bytes();
    if b.len() < 10 || !matches!(b[0], b'T' | b't') || b[3] != b':' || b[6] != b':' {
        return None;
    }
    let (hour, minute, second) = (digits(rest.get(1..3)?)?, digits(rest.get(4..6)?)?, digits(rest.get(7..9)?)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut zone = rest.get(9..)?;
    if let Some(fraction) = zone.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        zone = &fraction[end..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let b = zone.as_bytes();
            if b.len() != 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
                return None;
            }
            let (h, m) = (digits(zone.get(1..3)?)?, digits(zone.get(4..6)?)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::from(h * 60 + m);
            if b[0] == b'-' { -minutes } else { minutes }
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset * 60)
}

/// Whether a date of birth as the DCC writes it (`1979-04-14`, `1979-04`,
/// `1979`, with `00` for an unknown month or day) lies after the given day.
pub(crate) fn date_of_birth_after(dob: &str, year: i64, month: u32, day: u32) -> bool {
    let mut parts = dob.split('-').map(digits);
    let given = (parts.next().flatten(), parts.next().flatten(), parts.next().flatten());
    match given {
        (Some(y), m, d) => {
            let y = i64::from(y);
            if y != year {
                return y > year;
            }
            match m {
                Some(m) if m != 0 && m != month => m > month,
                Some(m) if m != 0 => d.is_some_and(|d| d != 0 && d > day),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn no_text_makes_the_parsers_panic(s in "\\PC{0,40}", prefix in 0usize..30) {
            let near = format!("{}{s}", &"2021-05-03T18:00:00.123+02:00"[..prefix]);
            for text in [&s, &near] {
                let _ = parse_date(text);
                let _ = parse_date_time(text);
                let _ = date_of_birth_after(text, 2021, 5, 3);
            }
        }
    }

    #[test]
    fn days_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 18_765, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2021, 5, 3), 18_750);
    }

    #[test]
    fn dates_are_real_days() {
        assert_eq!(parse_date("2000-02-29"), Some((2000, 2, 29)));
        for bad in ["1900-02-29", "2021-13-01", "2021-00-10", "2021-1-01", "2021-01-01T00:00:00Z", "２０２１-01-01"]
        {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_times_follow_rfc_3339() {
        assert_eq!(parse_date_time("2021-05-03T18:00:00Z"), Some(1_620_064_800));
        assert_eq!(parse_date_time("2021-05-03T20:00:00.123+02:00"), Some(1_620_064_800));
        for bad in [
            "2021-05-03T18:00:00",
            "2021-05-03 18:00:00Z",
            "2021-05-03T18:00Z",
            "2021-05-03T18:00:00+0200",
            "2021-05-03T18:00:0é+02:00",
            "2021-05-03T18:00:00+0é:00",
            "2021-05-0éT18:00:00Z",
            "2021-05-03T18:00:00.Z",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_of_birth_compare_on_what_they_give() {
        assert!(date_of_birth_after("2023-01-01", 2021, 5, 30));
        assert!(date_of_birth_after("2021-06", 2021, 5, 30));
        assert!(!date_of_birth_after("2021", 2021, 5, 30));
        assert!(!date_of_birth_after("2021-05-00", 2021, 5, 30));
        assert!(!date_of_birth_after("", 2021, 5, 30));
    }
}
