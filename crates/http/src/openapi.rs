//! The OpenAPI document of the JSON API, generated from the handlers' `#[utoipa::path]`
//! annotations so it cannot be hand-edited out of step; `docs/openapi.json` is its committed
//! copy, and a test fails when the two drift.

use crate::routes::{
    admin, agents, audit, available, billing, catalog, health, numbers, orders, purchase,
    reservations, sip_trunks, webhook_deliveries, webhooks, workspace,
};
use axum::Json;
use axum::routing::get;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "DialNexa Numbers",
        description = "Phone-number provisioning for voice AI agents: search, buy, route, bill and release numbers.",
        license(name = "MIT")
    ),
    paths(
        health::health,
        health::ready,
        available::available,
        available::plivo_numbers,
        numbers::list,
        purchase::purchase,
        reservations::create,
        reservations::get_one,
        reservations::release,
        orders::create,
        orders::get_one,
        numbers::get_one,
        numbers::update,
        numbers::release,
        sip_trunks::link,
        billing::list,
        agents::list,
        agents::create,
        agents::get_one,
        agents::update,
        agents::delete,
        audit::list,
        catalog::pricing,
        catalog::countries,
        catalog::enabled_network_groups,
        workspace::get_workspace,
        workspace::get_config,
        workspace::put_config,
        workspace::get_kyc,
        workspace::set_default,
        admin::create_workspace,
        admin::list_workspaces,
        admin::create_key,
        admin::set_kyc,
        webhooks::create,
        webhooks::list,
        webhooks::get_one,
        webhooks::update,
        webhooks::delete,
        webhook_deliveries::list,
        webhook_deliveries::retry,
        webhook_deliveries::test,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::openapi_webhooks::WebhookEvent,
        crate::openapi_webhooks::NumberEventData,
        crate::openapi_webhooks::ChargeEventData,
        crate::openapi_webhooks::SipTrunkEventData,
        crate::openapi_webhooks::DriftEventData,
        crate::openapi_webhooks::TestEventData,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "phone numbers", description = "Search, buy, update and release numbers."),
        (name = "agents", description = "The AI agents numbers route to."),
        (name = "billing", description = "The rental ledger."),
        (name = "catalog", description = "Pricing and country rules."),
        (name = "workspace", description = "The caller's workspace and telephony config."),
        (name = "webhooks", description = "Signed event deliveries to your endpoints."),
        (name = "admin", description = "The operator API, guarded by the admin token."),
        (name = "health", description = "Liveness and readiness."),
    )
)]
struct ApiDoc;

/// `bearer`: a workspace API key; `admin`: the operator token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A workspace API key: `Authorization: Bearer <key>`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The operator token given to `serve --admin-token`: `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document: what the handlers' annotations say, with the rules every operation shares
/// (`openapi_rules.rs`) applied.
pub fn openapi() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    crate::openapi_rules::apply(&mut doc);
    crate::openapi_webhooks::add(&mut doc);
    doc
}

/// The document as pretty JSON, as committed in `docs/openapi.json`.
pub fn openapi_json() -> String {
    serde_json::to_string_pretty(&openapi()).expect("the OpenAPI document serializes")
}

/// `GET /openapi.json`.
pub fn router() -> axum::Router<crate::AppState> {
    let doc = std::sync::Arc::new(openapi());
    axum::Router::new().route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
}
