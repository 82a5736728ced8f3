//! The North American part of the inventory: real area codes, their states and provinces.
//!
//! Area codes come from a data file derived from libphonenumber's geocoding tables, so the
//! emulator offers numbers in area codes that exist, named after the places they serve.

/// `NPA|country|state|locality` lines; see the file's header.
const AREA_CODES: &str = include_str!("../../data/nanp_area_codes.txt");

/// Exchanges (the three digits after the area code) the emulator offers: the first digit
/// 2-9 as NANP requires, the middle one odd and not 1 (so no N11 service codes). Exchanges
/// with an even or 1 middle digit are never offered, which gives tests valid numbers that
/// are not for sale, e.g. +14152001234.
pub(crate) const LOCAL_TAIL: &str = "[2-9][3579]#####";

/// Toll-free codes shared by the US and Canada; libphonenumber files them under the US.
pub(crate) const TOLL_FREE_CODES: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];
pub(crate) const TOLL_FREE_TAIL: &str = "[2-9]######";

pub(crate) struct AreaCode {
    pub(crate) npa: &'static str,
    pub(crate) iso: &'static str,
    pub(crate) region: &'static str,
    pub(crate) locality: &'static str,
}

pub(crate) fn area_codes() -> impl Iterator<Item = AreaCode> {
    super::catalog::data_lines(AREA_CODES).map(|f| {
        assert_eq!(f.len(), 4, "bad area code line {f:?}");
        AreaCode {
            npa: f[0],
            iso: f[1],
            region: f[2],
            locality: f[3],
        }
    })
}

/// A state or province: its name and a rough centre, which Twilio reports as the number's
/// latitude and longitude.
pub(crate) fn region(code: &str) -> Option<(&'static str, f64, f64)> {
    REGIONS
        .iter()
        .find(|r| r.0 == code)
        .map(|r| (r.1, r.2, r.3))
}

const REGIONS: &[(&str, &str, f64, f64)] = &[
    ("AL", "Alabama", 32.8, -86.8),
    ("AK", "Alaska", 61.4, -152.3),
    ("AZ", "Arizona", 34.2, -111.7),
    ("AR", "Arkansas", 34.9, -92.4),
    ("CA", "California", 37.2, -119.4),
    ("CO", "Colorado", 39.0, -105.5),
    ("CT", "Connecticut", 41.6, -72.7),
    ("DE", "Delaware", 39.0, -75.5),
    ("DC", "District of Columbia", 38.9, -77.0),
    ("FL", "Florida", 28.6, -82.4),
    ("GA", "Georgia", 32.7, -83.4),
    ("HI", "Hawaii", 20.8, -156.3),
    ("ID", "Idaho", 44.4, -114.6),
    ("IL", "Illinois", 40.0, -89.2),
    ("IN", "Indiana", 39.9, -86.3),
    ("IA", "Iowa", 42.1, -93.5),
    ("KS", "Kansas", 38.5, -98.4),
    ("KY", "Kentucky", 37.5, -85.3),
    ("LA", "Louisiana", 31.1, -92.0),
    ("ME", "Maine", 45.4, -69.2),
    ("MD", "Maryland", 39.0, -76.8),
    ("MA", "Massachusetts", 42.3, -71.8),
    ("MI", "Michigan", 44.3, -85.4),
    ("MN", "Minnesota", 46.3, -94.3),
    ("MS", "Mississippi", 32.7, -89.7),
    ("MO", "Missouri", 38.4, -92.5),
    ("MT", "Montana", 47.0, -109.6),
    ("NE", "Nebraska", 41.5, -99.8),
    ("NV", "Nevada", 39.3, -116.6),
    ("NH", "New Hampshire", 43.7, -71.6),
    ("NJ", "New Jersey", 40.2, -74.7),
    ("NM", "New Mexico", 34.4, -106.1),
    ("NY", "New York", 42.9, -75.5),
    ("NC", "North Carolina", 35.6, -79.4),
    ("ND", "North Dakota", 47.5, -100.5),
    ("OH", "Ohio", 40.3, -82.8),
    ("OK", "Oklahoma", 35.6, -97.5),
    ("OR", "Oregon", 43.9, -120.6),
    ("PA", "Pennsylvania", 40.9, -77.8),
    ("RI", "Rhode Island", 41.7, -71.5),
    ("SC", "South Carolina", 33.9, -80.9),
    ("SD", "South Dakota", 44.4, -100.2),
    ("TN", "Tennessee", 35.9, -86.4),
    ("TX", "Texas", 31.5, -99.3),
    ("UT", "Utah", 39.3, -111.7),
    ("VT", "Vermont", 44.1, -72.7),
    ("VA", "Virginia", 37.5, -78.9),
    ("WA", "Washington", 47.4, -120.5),
    ("WV", "West Virginia", 38.6, -80.6),
    ("WI", "Wisconsin", 44.6, -89.9),
    ("WY", "Wyoming", 43.0, -107.6),
    ("AB", "Alberta", 53.9, -116.6),
    ("BC", "British Columbia", 53.7, -127.6),
    ("MB", "Manitoba", 53.8, -98.8),
    ("NB", "New Brunswick", 46.6, -66.5),
    ("NL", "Newfoundland and Labrador", 53.1, -57.7),
    ("NS", "Nova Scotia", 45.0, -63.0),
    ("NT", "Northwest Territories", 64.8, -124.8),
    ("NU", "Nunavut", 70.3, -83.1),
    ("ON", "Ontario", 50.0, -85.3),
    ("PE", "Prince Edward Island", 46.5, -63.4),
    ("QC", "Quebec", 52.9, -73.5),
    ("SK", "Saskatchewan", 52.9, -106.5),
    ("YT", "Yukon", 64.3, -135.0),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_code_has_a_known_region() {
        let codes: Vec<AreaCode> = area_codes().collect();
        assert!(codes.len() > 400, "{}", codes.len());
        for code in &codes {
            assert_eq!(code.npa.len(), 3);
            assert!(matches!(code.iso, "US" | "CA"), "{}", code.npa);
            assert!(
                region(code.region).is_some(),
                "{} {}",
                code.npa,
                code.region
            );
            assert!(!code.locality.is_empty(), "{}", code.npa);
        }
        let sf = codes.iter().find(|c| c.npa == "415").unwrap();
        assert_eq!(
            (sf.iso, sf.region, sf.locality),
            ("US", "CA", "San Francisco")
        );
    }
}
