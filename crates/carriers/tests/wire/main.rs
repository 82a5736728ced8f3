//! Wire-format tests: each adapter against a local fake that records requests, so the exact
//! method, path, credentials and body of every call, and the classification of every failure,
//! are pinned down without a network or a real carrier account.

mod errors;
mod fake;
mod ping;
mod plivo;
mod telnyx;
mod twilio;
