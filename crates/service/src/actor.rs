//! Who is acting: the caller's workspace is what a use case may touch; the actor (an API key,
//! a dashboard session, the operator) with the client's address and the request's id is who
//! the audit log says did it. The HTTP extractors fill both in; the service never sees HTTP.

use dialnexa_domain::{ApiKeyId, WorkspaceId};
use std::net::IpAddr;

/// The authenticated caller of a workspace-scoped use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub workspace_id: WorkspaceId,
    pub actor: Actor,
    /// The workspace's change token, read together with the key's revocation check when this
    /// request was authenticated (`Services::authenticate`): after the request arrived, so the
    /// request's own cached reads may use it instead of reading it again. Never carried from
    /// one request to the next.
    pub(crate) token_at_auth: Option<u64>,
}

impl Caller {
    /// A caller acting for `workspace_id`.
    pub fn new(workspace_id: WorkspaceId, actor: Actor) -> Self {
        Caller {
            workspace_id,
            actor,
            token_at_auth: None,
        }
    }

    /// A caller with an API key and nothing known about its request (tests, tools).
    pub fn with_key(workspace_id: WorkspaceId, key: ApiKeyId) -> Self {
        Caller::new(workspace_id, Actor::new(ActorKind::ApiKey(key)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    /// A request carrying a workspace API key.
    ApiKey(ApiKeyId),
    /// Someone signed in to the dashboard: the session, and the API key that opened it.
    Dashboard { session: String, key: ApiKeyId },
    /// The operator: `admin_token` through the operator API, `cli` on the command line.
    Operator(&'static str),
    /// The service on its own behalf, e.g. `demo` for the demo workspace made at first start.
    System(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The client's address, as the connection gave it.
    pub ip: Option<IpAddr>,
    /// The request's id (`x-request-id`), to find the request in the logs.
    pub request_id: Option<String>,
}

impl Actor {
    pub fn new(kind: ActorKind) -> Self {
        Actor {
            kind,
            ip: None,
            request_id: None,
        }
    }

    pub fn operator(via: &'static str) -> Self {
        Actor::new(ActorKind::Operator(via))
    }

    pub fn system(what: &'static str) -> Self {
        Actor::new(ActorKind::System(what))
    }

    /// The audit log's `actor_type`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ActorKind::ApiKey(_) => "api_key",
            ActorKind::Dashboard { .. } => "dashboard",
            ActorKind::Operator(_) => "operator",
            ActorKind::System(_) => "system",
        }
    }

    /// The audit log's `actor_id`: the key, the session, or what the operator used.
    pub fn id(&self) -> String {
        match &self.kind {
            ActorKind::ApiKey(key) => key.to_string(),
            ActorKind::Dashboard { session, .. } => session.clone(),
            ActorKind::Operator(via) | ActorKind::System(via) => (*via).to_owned(),
        }
    }

    /// The API key behind the action, when one is.
    pub fn key(&self) -> Option<&ApiKeyId> {
        match &self.kind {
            ActorKind::ApiKey(key) | ActorKind::Dashboard { key, .. } => Some(key),
            _ => None,
        }
    }
}
