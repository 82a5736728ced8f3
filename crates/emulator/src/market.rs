//! The carrier-neutral core both front-ends share: searching, buying and describing numbers.
//!
//! Twilio and Plivo sell from one stock and one ownership table, so a number bought through
//! one is gone from the other; only the wire formats differ.

use rand::Rng;

use crate::error::Error;
use crate::faults::HANG_AFTER_COMMIT;
use crate::inventory::{
    AddressRequirement, Capabilities, Country, Inventory, NumberType, Offer, Pattern, Place, Query,
    SearchPage,
};
use crate::state::EmulatorState;
use crate::store::{NumberChanges, OwnedNumber, StoreError};

/// What the carriers report about a number, whether or not it is in stock: numbers planted
/// through the test controls may lie outside it.
#[derive(Clone, Debug)]
pub(crate) struct Facts {
    pub(crate) number_type: NumberType,
    pub(crate) capabilities: Capabilities,
    pub(crate) country: Option<&'static Country>,
    pub(crate) place: Place,
    pub(crate) monthly_micros: u64,
    pub(crate) address_requirement: AddressRequirement,
}

impl EmulatorState {
    /// Available numbers of `country` matching `query`, and how many match in all.
    pub(crate) fn search(
        &self,
        country: &'static Country,
        query: &Query,
        offset: u64,
        limit: usize,
    ) -> SearchPage<'static> {
        self.store()
            .with_owned(|owned| country.search(query, offset, limit, owned))
    }

    /// The first `limit` available numbers of `country` matching `query`, uncounted.
    pub(crate) fn first_available(
        &self,
        country: &'static Country,
        query: &Query,
        limit: usize,
    ) -> Vec<Offer<'static>> {
        self.store()
            .with_owned(|owned| country.first_available(query, limit, owned))
    }

    /// Sells `e164` to `owner`. The purchase is committed before any injected hang, so a
    /// client that times out has still bought the number, as with a real carrier.
    pub(crate) async fn buy(
        &self,
        e164: &str,
        owner: String,
        sid: Option<String>,
        setup: NumberChanges,
    ) -> Result<OwnedNumber, Error> {
        // Every number in stock is one libphonenumber accepts (`inventory::tests` samples every
        // range), so its costly check only decides why a number not in stock is refused.
        if self.inventory().lookup(e164).is_none() {
            return Err(if is_valid_number(e164) {
                Error::NotAvailable
            } else {
                Error::InvalidNumber
            });
        }
        let now = self.now();
        let number = OwnedNumber {
            e164: e164.to_owned(),
            owner,
            sid,
            friendly_name: setup.friendly_name,
            voice_url: setup.voice_url,
            app_id: setup.app_id,
            settings: setup.settings,
            created_at: now,
            updated_at: now,
        };
        // Claim an injected hang before committing: a client that gives up mid-insert drops
        // this future, and the hang must not pass on to the next, unrelated buy.
        let hang = self.faults().take_hang_after_commit();
        let bought = match self.store().insert(number).await {
            Ok(bought) => bought,
            Err(e) => {
                if hang {
                    self.faults().give_back_hang();
                }
                return Err(match e {
                    StoreError::Taken => Error::NotAvailable,
                    e => e.into(),
                });
            }
        };
        tracing::debug!(number = %bought.e164, owner = %bought.owner, "number sold");
        if hang {
            tracing::info!(number = %bought.e164, "hanging after commit, as asked");
            self.sleep_unless_stopping(HANG_AFTER_COMMIT).await;
        }
        Ok(bought)
    }

    /// Twilio's buy by `AreaCode`: the first available North American local number there.
    pub(crate) async fn buy_in_area_code(
        &self,
        area_code: &str,
        owner: String,
        sid: impl Fn() -> Option<String>,
        setup: NumberChanges,
    ) -> Result<OwnedNumber, Error> {
        if area_code.len() != 3 || !area_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidAreaCode);
        }
        let pattern = Pattern::national_prefix(area_code).map_err(|_| Error::InvalidAreaCode)?;
        let mut query = Query::new(NumberType::Local);
        query.patterns.push(pattern);
        for iso in ["US", "CA"] {
            let Some(country) = self.inventory().country(iso) else {
                continue;
            };
            // A concurrent buyer may win a candidate; the next ones are still fine.
            for offer in self.first_available(country, &query, 10) {
                match self
                    .buy(&offer.e164, owner.clone(), sid(), setup.clone())
                    .await
                {
                    Err(Error::NotAvailable) => continue,
                    other => return other,
                }
            }
        }
        Err(Error::NoNumbersInAreaCode)
    }
}

/// Whether libphonenumber accepts `e164` (`+` and digits) as a valid number.
pub(crate) fn is_valid_number(e164: &str) -> bool {
    let Some(digits) = e164.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && phonenumber::parse(None, e164).is_ok_and(|n| phonenumber::is_valid(&n))
}

/// `+` and digits from what clients send: `+1 (415) 555-2671`, `14155552671`, `%2B1415…`
/// (decoded already). `None` if anything but digits and separators remains.
pub(crate) fn normalize_e164(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let digits: String = trimmed
        .strip_prefix('+')
        .unwrap_or(trimmed)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let ok = (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| format!("+{digits}"))
}

/// A fresh Twilio IncomingPhoneNumber sid: `PN` and 32 hex digits.
pub(crate) fn new_twilio_sid() -> String {
    format!("PN{:032x}", rand::rng().random::<u128>())
}

/// The facts of a number from the stock, or plain defaults for one planted outside it.
pub(crate) fn facts(inventory: &'static Inventory, e164: &str) -> Facts {
    if let Some(offer) = inventory.lookup(e164) {
        let number_type = offer.range.number_type;
        return Facts {
            number_type,
            capabilities: offer.range.capabilities,
            country: Some(offer.country),
            place: offer.range.place,
            monthly_micros: offer.country.monthly_micros(number_type),
            address_requirement: offer.country.address_requirement,
        };
    }
    let country = inventory
        .countries()
        .iter()
        .filter(|c| {
            e164.strip_prefix('+')
                .is_some_and(|d| d.starts_with(c.calling_code))
        })
        // The longest calling code wins; among equals (US, CA) the first listed.
        .rev()
        .max_by_key(|c| c.calling_code.len());
    Facts {
        number_type: NumberType::Local,
        capabilities: Capabilities {
            voice: true,
            sms: false,
            mms: false,
            fax: false,
        },
        country,
        place: Place::default(),
        monthly_micros: country.map_or(0, |c| c.monthly_micros(NumberType::Local)),
        address_requirement: AddressRequirement::None,
    }
}

/// How North American numbers are written for people: `(415) 555-2671`.
pub(crate) fn friendly_name(e164: &str) -> String {
    FriendlyName(e164).to_string()
}

/// [`friendly_name`] without building a string, for serializers to write out directly.
pub(crate) struct FriendlyName<'a>(pub(crate) &'a str);

impl std::fmt::Display for FriendlyName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.strip_prefix("+1") {
            Some(n) if n.len() == 10 && n.is_ascii() => {
                write!(f, "({}) {}-{}", &n[..3], &n[3..6], &n[6..])
            }
            _ => f.write_str(self.0),
        }
    }
}

/// Money as the carriers print it, from USD micros: `places` decimals.
pub(crate) fn money(micros: u64, places: usize) -> String {
    let whole = micros / 1_000_000;
    let fraction = format!("{:06}", micros % 1_000_000);
    let mut fraction = fraction[..places.min(6)].to_owned();
    while fraction.len() < places {
        fraction.push('0');
    }
    format!("{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised_and_validated() {
        assert_eq!(
            normalize_e164("+1 (415) 555-2671").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            normalize_e164("14155552671").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(normalize_e164("+1415abc"), None);
        assert!(is_valid_number("+14155552671"));
        assert!(is_valid_number("+390212345678"));
        assert!(!is_valid_number("+1415555267"));
        assert!(!is_valid_number("14155552671"));
    }

    #[test]
    fn formats_names_money_and_sids() {
        assert_eq!(friendly_name("+14155552671"), "(415) 555-2671");
        assert_eq!(friendly_name("+442071234567"), "+442071234567");
        assert_eq!(money(1_150_000, 5), "1.15000");
        assert_eq!(money(8_500, 5), "0.00850");
        assert_eq!(money(25_000_000, 2), "25.00");
        let sid = new_twilio_sid();
        assert_eq!(sid.len(), 34);
        assert!(sid.starts_with("PN") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn facts_cover_numbers_outside_the_stock() {
        let inventory = Inventory::global();
        let stocked = facts(inventory, "+14155552671");
        assert_eq!(stocked.country.map(|c| c.iso), Some("US"));
        assert_eq!(stocked.place.region, Some("CA"));
        let planted = facts(inventory, "+14152001234");
        assert_eq!(planted.number_type, NumberType::Local);
        assert_eq!(planted.country.map(|c| c.calling_code), Some("1"));
        assert!(
            facts(inventory, "+35120000000")
                .country
                .is_some_and(|c| c.iso == "PT")
        );
    }
}
