//! Failpoints: named places in the sagas where a test can make the process exit, to prove that
//! a crash at any step loses nothing. Off unless configured (`DIALNEXA_FAILPOINTS`), so they are
//! harmless in production: an unconfigured `hit` is a hash-map lookup on an empty map. Each
//! saga names its own (`crate::saga::FAILPOINTS` lists them all).

use crate::saga::{purchase, release};
use std::collections::HashMap;
use std::str::FromStr;

pub use purchase::{
    AFTER_ACTIVATE as PURCHASE_AFTER_ACTIVATE, AFTER_CARRIER as PURCHASE_AFTER_CARRIER,
    AFTER_CLAIM as PURCHASE_AFTER_CLAIM,
};
pub use release::{AFTER_CARRIER as RELEASE_AFTER_CARRIER, AFTER_CLAIM as RELEASE_AFTER_CLAIM};

/// Every step of the purchase saga, in order: the crash tests fail the saga at each one.
pub const PURCHASE_STEPS: [&str; 3] = [
    PURCHASE_AFTER_CLAIM,
    PURCHASE_AFTER_CARRIER,
    PURCHASE_AFTER_ACTIVATE,
];
/// Every step of the release saga, in order.
pub const RELEASE_STEPS: [&str; 2] = [RELEASE_AFTER_CLAIM, RELEASE_AFTER_CARRIER];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailAction {
    /// End the process at once, as a crash would (no destructors, no flushing beyond the OS).
    Exit,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failpoints(HashMap<String, FailAction>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a failpoint list like purchase.after_carrier=exit")]
pub struct BadFailpoints(String);

impl FromStr for Failpoints {
    type Err = BadFailpoints;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut points = HashMap::new();
        for item in s.split([',', ';']).map(str::trim).filter(|i| !i.is_empty()) {
            let (name, action) = item
                .split_once('=')
                .ok_or_else(|| BadFailpoints(s.to_owned()))?;
            let action = match action.trim() {
                "exit" => FailAction::Exit,
                _ => return Err(BadFailpoints(s.to_owned())),
            };
            points.insert(name.trim().to_owned(), action);
        }
        Ok(Failpoints(points))
    }
}

impl Failpoints {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Called at each named step; acts only when the step was configured.
    pub fn hit(&self, name: &str) {
        if let Some(FailAction::Exit) = self.0.get(name) {
            tracing::error!(failpoint = name, "failpoint reached: exiting");
            std::process::exit(86);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        let f: Failpoints = "purchase.after_claim=exit, purchase.after_carrier=exit"
            .parse()
            .unwrap();
        assert_eq!(f.0.len(), 2);
        assert!("".parse::<Failpoints>().unwrap().is_empty());
        assert!("purchase.after_claim".parse::<Failpoints>().is_err());
        assert!("purchase.after_claim=panic".parse::<Failpoints>().is_err());
        // An unconfigured point does nothing.
        f.hit("purchase.somewhere_else");
    }
}
