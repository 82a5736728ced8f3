//! The two sagas: a purchase and a release each span the carrier and our database, so each
//! saves its intent first, then calls the carrier, then finishes in one transaction, and each
//! has a recovery that settles what a crash left between the steps. Each names the failpoints
//! (`crate::failpoints`) between its steps, where the crash tests stop the process.

pub mod order;
pub mod purchase;
pub mod release;

/// Every failpoint of both sagas, in the order their steps run.
pub const FAILPOINTS: &[&str] = &[
    purchase::AFTER_CLAIM,
    purchase::AFTER_CARRIER,
    purchase::AFTER_ACTIVATE,
    release::AFTER_CLAIM,
    release::AFTER_CARRIER,
    order::AFTER_HOLD,
    order::AFTER_FIRST_PURCHASE,
];

#[cfg(test)]
mod tests {
    #[test]
    fn failpoint_names_are_the_saga_and_the_step() {
        for name in super::FAILPOINTS {
            let (saga, step) = name.split_once('.').unwrap();
            assert!(["purchase", "release", "order"].contains(&saga), "{name}");
            assert!(step.starts_with("after_"), "{name}");
            let parsed: crate::failpoints::Failpoints = format!("{name}=exit").parse().unwrap();
            assert!(!parsed.is_empty());
        }
    }
}
