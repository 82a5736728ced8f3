//! The release saga dies at each of its steps: the release is finished by the worker after the
//! restart, at the carrier and here, and the number is billed no more.

use crate::harness::{A_MINUTE_ON, FAILPOINT_EXIT, FORTY_DAYS_ON, Site, assert_died, client, send};
use dialnexa_service::failpoints::RELEASE_STEPS;
use serde_json::{Value, json};

const RELEASED: &str = "+14155552671";
const KEPT: &str = "+14155550123";

#[tokio::test]
async fn a_crash_at_any_step_of_a_release_ends_released_here_and_at_the_carrier() {
    for step in RELEASE_STEPS {
        let site = Site::new().await;
        let mut server = site.serve(&format!("{step}=exit"), 0).await;
        let key = site.tenant(&server).await;
        let http = client();
        let mut bought = Vec::new();
        for number in [RELEASED, KEPT] {
            let (status, record) = send(
                http.post(format!(
                    "{}/v1/organization-phone-numbers/purchase",
                    server.url
                ))
                .bearer_auth(&key)
                .json(&json!({"phone_number": number})),
            )
            .await;
            assert_eq!(status, 201, "{step}: {record}");
            bought.push(record);
        }
        let id = bought[0]["id"].as_str().unwrap().to_owned();
        let r = http
            .delete(format!("{}/v1/organization-phone-numbers/{id}", server.url))
            .bearer_auth(&key)
            .send()
            .await;
        assert_died(step, r);
        assert_eq!(
            server.proc.exit_code().await,
            Some(FAILPOINT_EXIT),
            "{step}: the server should exit at the failpoint; {}",
            server.proc.output()
        );
        drop(server);

        // The caller asked for the release, so recovery finishes it whatever step it died at.
        let settled = site.recover(step, &key, A_MINUTE_ON, 1).await;
        let ids = |records: &[Value]| -> Vec<String> {
            records
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&settled.released), [id.as_str()], "{step}");
        assert!(
            settled.released[0]["released_at"].is_string(),
            "{step}: {}",
            settled.released[0]
        );
        assert_eq!(settled.released[0]["next_renewal_at"], Value::Null);
        assert_eq!(ids(&settled.active), [bought[1]["id"].as_str().unwrap()]);
        let (_, at_carrier) = send(http.get(format!(
            "{}/_emulator/numbers/%2B{}",
            settled.server.emulator(),
            &RELEASED[1..]
        )))
        .await;
        assert_eq!(at_carrier["available"], true, "{step}: {at_carrier}");
        drop(settled);

        // A month on, the number kept pays period 1 and the released one nothing more.
        let later = site.recover(step, &key, FORTY_DAYS_ON, 2).await;
        assert_eq!(ids(&later.released), [id.as_str()], "{step}");
    }
}
