//! Guards the promise the inventory makes: every number it holds is one libphonenumber
//! accepts as valid, of the right country and type, and searches stay cheap.

use std::collections::HashSet;
use std::time::Instant;

use phonenumber::metadata::{DATABASE, Descriptor};
use phonenumber::{PhoneNumber, Type};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// libphonenumber's type for a number judged by `iso`'s metadata. The crate's own
/// `number_type` drops leading national zeros (Italy), so the rules are applied here with them.
fn number_type(number: &PhoneNumber, iso: &str) -> Type {
    let meta = DATABASE.by_id(iso).unwrap();
    let d = meta.descriptors();
    let national = number.national().to_string();
    let hit = |descriptor: Option<&Descriptor>| descriptor.is_some_and(|x| x.is_match(&national));
    if !d.general().is_match(&national) {
        return Type::Unknown;
    }
    let exclusive = [
        (d.premium_rate(), Type::PremiumRate),
        (d.toll_free(), Type::TollFree),
        (d.shared_cost(), Type::SharedCost),
        (d.voip(), Type::Voip),
        (d.personal_number(), Type::PersonalNumber),
        (d.pager(), Type::Pager),
        (d.uan(), Type::Uan),
        (d.voicemail(), Type::Voicemail),
    ];
    if let Some((_, kind)) = exclusive.into_iter().find(|(desc, _)| hit(*desc)) {
        return kind;
    }
    match (hit(d.fixed_line()), hit(d.mobile())) {
        (true, true) => Type::FixedLineOrMobile,
        (true, false) => Type::FixedLine,
        (false, true) => Type::Mobile,
        (false, false) => Type::Unknown,
    }
}

fn accepted(number_type: NumberType, found: Type) -> bool {
    match number_type {
        NumberType::Local => matches!(found, Type::FixedLine | Type::FixedLineOrMobile),
        NumberType::Mobile => matches!(found, Type::Mobile | Type::FixedLineOrMobile),
        NumberType::TollFree => found == Type::TollFree,
    }
}

fn assert_valid(country: &Country, range: &Range, e164: &str) {
    let parsed = phonenumber::parse(None, e164).unwrap_or_else(|e| panic!("{e164}: {e:?}"));
    assert!(phonenumber::is_valid(&parsed), "{e164} is not valid");
    // Numbers with a leading national zero confuse the crate's region lookup; their calling
    // code is checked instead.
    if let Some(id) = parsed.country().id() {
        assert_eq!(id.as_ref(), country.iso, "{e164} belongs elsewhere");
    }
    assert_eq!(
        parsed.code().value().to_string(),
        country.calling_code,
        "{e164}"
    );
    let found = number_type(&parsed, country.iso);
    assert!(
        accepted(range.number_type, found),
        "{e164}: {found:?} is not {:?}",
        range.number_type
    );
}

#[test]
fn sampled_numbers_are_valid_for_their_country_and_type() {
    let mut rng = StdRng::seed_from_u64(7);
    let inventory = Inventory::global();
    let mut checked = 0;
    for country in inventory.countries() {
        for number_type in NumberType::ALL {
            let ranges: Vec<&Range> = country.ranges(number_type).collect();
            if ranges.is_empty() {
                continue;
            }
            // At least ~400 numbers per country and type, and a few from every range.
            let per_range = (400 / ranges.len()).max(6);
            for range in ranges {
                let mut tails: Vec<Vec<u8>> = vec![
                    range.tail.iter().map(|c| c.nth(0).unwrap()).collect(),
                    range
                        .tail
                        .iter()
                        .map(|c| c.nth(c.len() - 1).unwrap())
                        .collect(),
                ];
                tails.extend((0..per_range).map(|_| {
                    range
                        .tail
                        .iter()
                        .map(|c| c.nth(rng.random_range(0..c.len())).unwrap())
                        .collect()
                }));
                for tail in tails {
                    let digits: String = tail.iter().map(|d| char::from(b'0' + d)).collect();
                    let e164 = format!("+{}{}{}", country.calling_code, range.prefix, digits);
                    assert_valid(country, range, &e164);
                    let offer = inventory
                        .lookup(&e164)
                        .expect("a generated number is in stock");
                    assert_eq!(offer.country.iso, country.iso);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5_000, "{checked}");
}

#[test]
fn seed_numbers_are_in_stock() {
    let inventory = Inventory::global();
    let us = inventory.lookup("+14155552671").unwrap();
    assert_eq!(
        (us.country.iso, us.range.number_type),
        ("US", NumberType::Local)
    );
    assert_eq!(us.range.place.region, Some("CA"));
    let india = inventory.lookup("+912234567890").unwrap();
    assert_eq!(
        (india.country.iso, india.range.number_type),
        ("IN", NumberType::Local)
    );
    // Valid numbers outside the offered exchanges are not for sale.
    assert!(inventory.lookup("+14152001234").is_none());
    assert!(inventory.lookup("+1415555267").is_none());
    assert!(inventory.lookup("14155552671").is_none());
}

#[test]
fn stock_is_large() {
    let inventory = Inventory::global();
    let us = inventory.country("us").unwrap();
    assert!(us.size(NumberType::Local) >= 10_000_000);
    for iso in [
        "US", "CA", "GB", "IN", "AU", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "PT",
    ] {
        let country = inventory.country(iso).unwrap();
        assert!(country.size(NumberType::Local) >= 1_000_000, "{iso}");
    }
    for iso in ["GB", "IN", "AU", "DE"] {
        let country = inventory.country(iso).unwrap();
        assert!(country.size(NumberType::Mobile) >= 1_000_000, "{iso}");
        assert!(country.size(NumberType::TollFree) >= 100_000, "{iso}");
    }
}

#[test]
fn contains_and_area_code_searches_are_fast_and_exact() {
    let us = Inventory::global().country("US").unwrap();
    let mut query = Query::new(NumberType::Local);
    query.patterns.push(Pattern::contains("555").unwrap());
    query
        .patterns
        .push(Pattern::national_prefix("415").unwrap());
    let started = Instant::now();
    let page = us.search(&query, 0, 50, &NumberSet::default());
    let elapsed = started.elapsed();
    assert_eq!(page.offers.len(), 50);
    let mut previous = String::new();
    for offer in &page.offers {
        assert!(offer.e164.starts_with("+1415"), "{}", offer.e164);
        assert!(offer.national().contains("555"), "{}", offer.e164);
        assert!(offer.e164 > previous, "ascending and without repeats");
        previous.clone_from(&offer.e164);
    }
    // Debug builds are slow; a scan of millions of numbers would still take seconds.
    assert!(elapsed.as_millis() < 250, "{elapsed:?}");

    let mut anywhere = Query::new(NumberType::Local);
    anywhere.patterns.push(Pattern::contains("*2671$").unwrap());
    let page = us.search(&anywhere, 0, 20, &NumberSet::default());
    assert_eq!(page.offers.len(), 20);
    assert!(page.offers.iter().all(|o| o.e164.ends_with("2671")));
}

#[test]
fn owned_numbers_are_skipped_and_offsets_count_available_numbers() {
    let us = Inventory::global().country("US").unwrap();
    let mut query = Query::new(NumberType::Local);
    query
        .patterns
        .push(Pattern::national_prefix("415555").unwrap());
    let free = us.search(&query, 0, 5, &NumberSet::default());
    assert_eq!(free.total, 10_000);
    let taken: NumberSet = [free.offers[0].e164.as_str(), free.offers[2].e164.as_str()]
        .into_iter()
        .collect();
    let page = us.search(&query, 0, 3, &taken);
    let numbers: Vec<&str> = page.offers.iter().map(|o| o.e164.as_str()).collect();
    assert_eq!(
        numbers,
        [
            &free.offers[1].e164,
            &free.offers[3].e164,
            &free.offers[4].e164
        ]
    );
    assert_eq!(page.total, 9_998);
    let second = us.search(&query, 1, 2, &taken);
    assert_eq!(second.offers[0].e164, free.offers[3].e164);
    let deep = us.search(&query, 9_997, 5, &taken);
    assert_eq!(deep.offers.len(), 1);
    assert_eq!(deep.offers[0].e164, "+14155559999");
}

#[test]
fn region_and_capability_filters_pick_ranges() {
    let us = Inventory::global().country("US").unwrap();
    let mut query = Query::new(NumberType::Local);
    query.region = Some("tx".into());
    query.capabilities.sms = Some(true);
    let page = us.search(&query, 0, 10, &NumberSet::default());
    assert_eq!(page.offers.len(), 10);
    for offer in &page.offers {
        assert_eq!(offer.range.place.region, Some("TX"));
        assert!(offer.range.capabilities.sms);
    }
    let mut nowhere = Query::new(NumberType::Local);
    nowhere.region = Some("Atlantis".into());
    assert!(
        us.search(&nowhere, 0, 10, &NumberSet::default())
            .offers
            .is_empty()
    );
}

#[test]
fn ranges_do_not_overlap() {
    // A number in two ranges would have two types or places; lookups would pick one silently.
    for country in Inventory::global().countries() {
        let cells: Vec<Vec<DigitSet>> = country
            .ranges
            .iter()
            .map(|r| r.block(country.calling_code).cells().to_vec())
            .collect();
        for (i, a) in cells.iter().enumerate() {
            for (j, b) in cells.iter().enumerate().skip(i + 1) {
                let overlap =
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| !x.intersect(*y).is_empty());
                assert!(
                    !overlap,
                    "{}: ranges {} and {} overlap",
                    country.iso, country.ranges[i].prefix, country.ranges[j].prefix
                );
            }
        }
    }
}

#[test]
fn matching_a_number_agrees_with_placing_the_pattern_on_its_digits() {
    let patterns = [
        Pattern::contains("1234").unwrap(),
        Pattern::contains("+1415").unwrap(),
        Pattern::contains("*2671$").unwrap(),
        Pattern::contains("55").unwrap(),
        Pattern::contains("+44*0").unwrap(),
        Pattern::national_prefix("415555").unwrap(),
        Pattern::national_prefix("2*3").unwrap(),
    ];
    let mut rng = StdRng::seed_from_u64(6);
    for _ in 0..5_000 {
        let len = rng.random_range(3..=13);
        let digits: Vec<u8> = (0..len).map(|_| rng.random_range(0..10)).collect();
        let block = Block::new(digits.iter().map(|&d| DigitSet::single(d)));
        for cc_len in 1..=2 {
            for pattern in &patterns {
                let mut placed = Vec::new();
                pattern.place(&block, cc_len, &mut placed);
                assert_eq!(
                    pattern.matches(&digits, cc_len),
                    !placed.is_empty(),
                    "{pattern:?} on {digits:?}, calling code of {cc_len}"
                );
            }
        }
    }
}

#[test]
fn searches_agree_with_scanning_every_number() {
    // The 10,000 numbers +1415555XXXX, scanned one by one, against the block search.
    let us = Inventory::global().country("US").unwrap();
    let mut rng = StdRng::seed_from_u64(8);
    let digits = |line: u32| -> Vec<u8> {
        format!("1415555{line:04}")
            .bytes()
            .map(|b| b - b'0')
            .collect()
    };
    for round in 0..120 {
        let mut query = Query::new(NumberType::Local);
        query
            .patterns
            .push(Pattern::national_prefix("415555").unwrap());
        if round % 2 != 0 {
            let len = rng.random_range(1..=3);
            let contains: String = (0..len)
                .map(|_| match rng.random_range(0..12) {
                    10 => '*',
                    11 => 'K',
                    d => char::from(b'0' + d as u8),
                })
                .collect();
            let contains = if round % 5 == 1 {
                format!("{contains}$")
            } else {
                contains
            };
            query.patterns.push(Pattern::contains(&contains).unwrap());
        }
        // Owned: runs and scattered numbers, with a few of other area codes.
        let mut owned: Vec<String> = Vec::new();
        // Half the time the run is where the offsets below land.
        let start = rng.random_range(0..if round % 4 < 2 { 40 } else { 10_000 });
        owned.extend(
            (start..(start + rng.random_range(0..300)).min(10_000))
                .map(|l| format!("+1415555{l:04}")),
        );
        owned.extend(
            (0..rng.random_range(0..2_000))
                .map(|_| format!("+1415555{:04}", rng.random_range(0..10_000))),
        );
        owned.extend(
            [
                "+14155552671",
                "+14165550000",
                "+1415555000",
                "+442071234567",
            ]
            .map(String::from),
        );
        let taken: NumberSet = owned.iter().map(String::as_str).collect();
        let owned: HashSet<&str> = owned.iter().map(String::as_str).collect();

        let scanned: Vec<String> = (0..10_000)
            .filter(|&line| query.patterns.iter().all(|p| p.matches(&digits(line), 1)))
            .map(|line| format!("+1415555{line:04}"))
            .filter(|e164| !owned.contains(e164.as_str()))
            .collect();
        let offset = match round % 6 {
            0 => 0,
            1 => rng.random_range(0..=scanned.len() as u64 + 5),
            _ => rng.random_range(0..40),
        };
        let limit = rng.random_range(1..=60);
        let page = us.search(&query, offset, limit, &taken);
        let found: Vec<&str> = page.offers.iter().map(|o| o.e164.as_str()).collect();
        let expected: Vec<&str> = scanned
            .iter()
            .skip(offset as usize)
            .take(limit)
            .map(String::as_str)
            .collect();
        assert_eq!(found, expected, "{query:?}, offset {offset}, limit {limit}");
        if query.patterns.len() == 1 {
            assert_eq!(page.total, scanned.len() as u64, "{query:?}");
        } else {
            // Overlapping placements count twice: an upper bound.
            assert!(page.total >= scanned.len() as u64, "{query:?}");
        }
        if offset == 0 {
            let first = us.first_available(&query, limit, &taken);
            let first: Vec<&str> = first.iter().map(|o| o.e164.as_str()).collect();
            assert_eq!(first, expected, "{query:?}");
        }
    }
}
