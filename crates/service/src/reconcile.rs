//! Reconciliation: our live numbers against each carrier account's owned numbers.
//! - orphan: owned at the carrier, held by no row here. Fix: release it at the carrier (nobody
//!   here routes or pays for it, so keeping it only costs money).
//! - ghost: active here, gone at the carrier. Fix: mark it released here (routing cannot work
//!   and renewals must stop).
//! - mismatch: both sides have the number but disagree on the carrier's handle. Fix: adopt the
//!   carrier's handle.
//!
//! Pending rows are the recovery worker's: they are neither orphans' owners nor ghosts.

use crate::{ServiceResult, Services};
use dialnexa_carriers::OwnedNumber;
use dialnexa_domain::{NumberStatus, Provider};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    pub provider: Provider,
    pub phone_number: String,
    pub carrier_ref: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ghost {
    pub id: String,
    pub workspace_id: String,
    pub provider: Provider,
    pub phone_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub id: String,
    pub provider: Provider,
    pub phone_number: String,
    pub ours: Option<String>,
    pub carrier: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    pub orphans: Vec<Orphan>,
    pub ghosts: Vec<Ghost>,
    pub mismatches: Vec<Mismatch>,
    /// What `--fix` changed, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
}

impl ReconcileReport {
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty() && self.ghosts.is_empty() && self.mismatches.is_empty()
    }
}

impl Services {
    #[tracing::instrument(skip_all, fields(fix))]
    pub async fn reconcile(&self, fix: bool) -> ServiceResult<ReconcileReport> {
        let mut report = ReconcileReport::default();
        for carrier in self.carriers.iter() {
            let provider = carrier.provider();
            let owned = carrier
                .list_owned()
                .await
                .map_err(|e| crate::carriers::carrier_error(provider, e))?;
            let ours = self.store.live_numbers_by_provider(provider).await?;
            let ours_by_number: HashMap<&str, _> =
                ours.iter().map(|r| (r.phone_number.as_str(), r)).collect();
            let owned_by_number: HashMap<&str, &OwnedNumber> =
                owned.iter().map(|o| (o.phone_number.as_str(), o)).collect();

            for o in &owned {
                match ours_by_number.get(o.phone_number.as_str()) {
                    None => report.orphans.push(Orphan {
                        provider,
                        phone_number: o.phone_number.to_string(),
                        carrier_ref: o.carrier_ref.clone(),
                    }),
                    Some(row)
                        if row.status == NumberStatus::Active
                            && row.carrier_ref.as_deref() != Some(&o.carrier_ref) =>
                    {
                        let data = serde_json::json!({
                            "kind": "mismatch", "id": row.id, "phone_number": o.phone_number,
                            "provider": provider, "carrier_ref": o.carrier_ref,
                        });
                        self.emit_drift(&row.workspace_id, "mismatch", &row.id, data)
                            .await;
                        report.mismatches.push(Mismatch {
                            id: row.id.to_string(),
                            provider,
                            phone_number: o.phone_number.to_string(),
                            ours: row.carrier_ref.clone(),
                            carrier: o.carrier_ref.clone(),
                        })
                    }
                    Some(_) => {}
                }
            }
            for row in ours.iter().filter(|r| r.status == NumberStatus::Active) {
                if !owned_by_number.contains_key(row.phone_number.as_str()) {
                    let data = serde_json::json!({
                        "kind": "ghost", "id": row.id, "phone_number": row.phone_number,
                        "provider": provider,
                    });
                    self.emit_drift(&row.workspace_id, "ghost", &row.id, data)
                        .await;
                    report.ghosts.push(Ghost {
                        id: row.id.to_string(),
                        workspace_id: row.workspace_id.to_string(),
                        provider,
                        phone_number: row.phone_number.to_string(),
                    });
                }
            }
            if fix {
                self.fix(provider, &owned, &mut report).await?;
            }
        }
        Ok(report)
    }

    async fn fix(
        &self,
        provider: Provider,
        owned: &[OwnedNumber],
        report: &mut ReconcileReport,
    ) -> ServiceResult<()> {
        let carrier = self.carriers.get(provider)?;
        for orphan in report.orphans.iter().filter(|o| o.provider == provider) {
            let Some(number) = owned
                .iter()
                .find(|o| o.phone_number.as_str() == orphan.phone_number)
            else {
                continue;
            };
            match carrier.release(number).await {
                Ok(()) | Err(dialnexa_carriers::CarrierError::NotFound) => {
                    report.fixed.push(format!(
                        "released orphan {} at {provider}",
                        orphan.phone_number
                    ));
                }
                Err(e) => {
                    tracing::warn!(number = %orphan.phone_number, error = %e, "could not release an orphan")
                }
            }
        }
        let now = self.clock.now();
        for ghost in report.ghosts.iter().filter(|g| g.provider == provider) {
            if let Some(id) = dialnexa_domain::PhoneNumberId::parse(&ghost.id) {
                self.store.release_ghost(&id, now).await?;
                report.fixed.push(format!(
                    "marked ghost {} ({}) released",
                    ghost.phone_number, ghost.id
                ));
            }
        }
        for m in report.mismatches.iter().filter(|m| m.provider == provider) {
            if let Some(id) = dialnexa_domain::PhoneNumberId::parse(&m.id) {
                self.store.set_carrier_ref(&id, &m.carrier).await?;
                report.fixed.push(format!(
                    "adopted {}'s handle {} for {}",
                    provider, m.carrier, m.phone_number
                ));
            }
        }
        Ok(())
    }
}
