//! Where a network address is, in words a resident recognises ("Central
//! Library public Wi-Fi", "Hong Kong"), for the sessions list and the
//! approval page of "sign in with the app". lionrock bundles no GeoIP
//! database: the operator may give one as a file of address ranges
//! (`identity.places_file`), e.g. the city's own networks or an export from a
//! GeoIP provider. Without it, places are simply not shown.
//!
//! The file is UTF-8 text, one range per line, `#` starts a comment:
//!
//! ```text
//! # CIDR, English, 繁體中文, 简体中文
//! 203.0.113.0/24, Central Library public Wi-Fi, 中央圖書館公共 Wi-Fi, 中央图书馆公共 Wi-Fi
//! 198.51.100.0/22, Hong Kong, 香港, 香港
//! ```
//!
//! The most specific range containing an address wins.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;

use platform::i18n::Lang;

/// The ranges and their names, most specific first.
#[derive(Debug, Default, Clone)]
pub struct Places {
    ranges: Vec<(IpNet, [String; 3])>,
}

impl Places {
    /// Reads `path`; the error names the line and what is wrong with it.
    pub fn load(path: &Path) -> Result<Places, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Places::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Places, String> {
        let mut ranges = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [cidr, en, hk, cn] = fields.as_slice() else {
                return Err(format!(
                    "line {}: expected 4 comma-separated fields (CIDR and 3 names), found {}",
                    n + 1,
                    fields.len()
                ));
            };
            let net: IpNet = cidr
                .parse()
                .map_err(|_| format!("line {}: {cidr:?} is not an address range like 203.0.113.0/24", n + 1))?;
            if [en, hk, cn].iter().any(|name| name.is_empty() || name.chars().count() > 80) {
                return Err(format!("line {}: each name must be 1 to 80 characters", n + 1));
            }
            ranges.push((net.trunc(), [(*en).to_owned(), (*hk).to_owned(), (*cn).to_owned()]));
        }
        // Longest prefix first, so the first match is the most specific.
        ranges.sort_by_key(|(net, _)| std::cmp::Reverse(net.prefix_len()));
        Ok(Places { ranges })
    }

    /// The name of the place `ip` is in, in `lang`, if a range holds it.
    pub fn name(&self, ip: IpAddr, lang: Lang) -> Option<&str> {
        let (_, names) = self.ranges.iter().find(|(net, _)| net.contains(&ip))?;
        let i = match lang {
            Lang::En => 0,
            Lang::ZhHk => 1,
            Lang::ZhCn => 2,
        };
        Some(names[i].as_str())
    }

    /// The same, for an address as stored (text); `None` if it does not parse.
    pub fn name_of(&self, ip: &str, lang: Lang) -> Option<&str> {
        self.name(ip.parse().ok()?, lang)
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# CIDR, English, 繁體中文, 简体中文\n\
        198.51.100.0/22, Hong Kong, 香港, 香港\n\
        198.51.100.128/25 , Central Library Wi-Fi, 中央圖書館 Wi-Fi, 中央图书馆 Wi-Fi\n\
        \n\
        2001:db8::/32, Kowloon, 九龍, 九龙\n";

    #[test]
    fn the_most_specific_range_names_the_place_in_each_language() {
        let places = Places::parse(FILE).unwrap();
        assert_eq!(places.len(), 3);
        assert_eq!(places.name_of("198.51.100.200", Lang::En), Some("Central Library Wi-Fi"));
        assert_eq!(places.name_of("198.51.100.200", Lang::ZhHk), Some("中央圖書館 Wi-Fi"));
        assert_eq!(places.name_of("198.51.101.7", Lang::ZhCn), Some("香港"));
        assert_eq!(places.name_of("2001:db8::1", Lang::ZhHk), Some("九龍"));
        assert_eq!(places.name_of("192.0.2.1", Lang::En), None);
        assert_eq!(places.name_of("not an address", Lang::En), None);
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(
            Places::parse("10.0.0.0/8, A, B").unwrap_err(),
            "line 1: expected 4 comma-separated fields (CIDR and 3 names), found 3"
        );
        let err = Places::parse("# x\n10.0.0.300/8, A, B, C").unwrap_err();
        assert!(err.starts_with("line 2: \"10.0.0.300/8\" is not an address range"), "{err}");
        assert_eq!(Places::parse("10.0.0.0/8, A, , C").unwrap_err(), "line 1: each name must be 1 to 80 characters");
    }
}
