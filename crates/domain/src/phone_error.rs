//! Why a phone-number value was refused, in words that say how to write it instead.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "`{0}` is not an E.164 phone number: use a leading + and the country code, digits only, e.g. +912234567890"
    )]
    NotE164(String),
    #[error("`{0}` is not a valid phone number for any country")]
    NotValid(String),
    #[error("`{0}` is not a two-letter ISO 3166 country code such as US, GB or IN")]
    BadCountry(String),
    #[error("`{0}` is not a number type: use local, mobile or toll_free")]
    BadType(String),
    #[error("`{0}` is not a capability: use voice, sms, mms or fax")]
    BadCapability(String),
    #[error(
        "`{0}` is not a search pattern: use 1 to 16 digits, letters (as on a phone keypad) or * for any digit"
    )]
    BadPattern(String),
}
