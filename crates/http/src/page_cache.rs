//! Rendered answers of `GET /v1/organization-phone-numbers` (a page) and
//! `GET /v1/organization-phone-numbers/{id}` (a number), kept for as long as they stay true.
//!
//! A page is the same bytes until something the workspace's numbers show is committed to the
//! database or the clock passes the next renewal date it shows. So each page is stored with
//! the workspace's change token read before the page was (see `Store::change_token`: it moves
//! with any such commit, by this process or another) and with the earliest renewal date on it;
//! a later request for the same workspace, filters and page gets the bytes back only while the
//! token is the same and the clock has not reached that date. Where the store has no token,
//! nothing is kept.

use bytes::Bytes;
use dialnexa_domain::WorkspaceId;
use dialnexa_service::numbers::NumberListing;
use jiff::Timestamp;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// At most this many bytes of pages are kept (about 450 pages of 20 numbers); the least used
/// go first.
pub const CAPACITY_BYTES: u64 = 4 << 20;

/// What a kept answer answers, always within one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageKey {
    /// A page of the list.
    List {
        workspace: WorkspaceId,
        listing: NumberListing,
    },
    /// One number, by the id in the URL.
    Number { workspace: WorkspaceId, id: String },
}

#[derive(Clone)]
struct Rendered {
    token: u64,
    valid_until: Option<Timestamp>,
    body: Bytes,
}

#[derive(Clone)]
struct BodyLength;

impl Weighter<PageKey, Rendered> for BodyLength {
    fn weight(&self, _key: &PageKey, page: &Rendered) -> u64 {
        page.body.len() as u64 + 64
    }
}

pub struct PageCache {
    pages: Cache<PageKey, Rendered, BodyLength>,
}

impl PageCache {
    pub fn new(capacity_bytes: u64) -> PageCache {
        PageCache {
            pages: Cache::with_weighter(256, capacity_bytes, BodyLength),
        }
    }

    /// The page rendered for `key`, if it was rendered under `token` and `now` has not
    /// reached a renewal date it shows.
    pub fn get(&self, key: &PageKey, token: u64, now: Timestamp) -> Option<Bytes> {
        let page = self.pages.get(key)?;
        let fresh = page.token == token && page.valid_until.is_none_or(|until| now < until);
        fresh.then_some(page.body)
    }

    /// Keep `body`, rendered from a read made after `token` was read, until the database
    /// changes or the clock reaches `valid_until`.
    pub fn put(&self, key: PageKey, token: u64, valid_until: Option<Timestamp>, body: Bytes) {
        self.pages.insert(
            key,
            Rendered {
                token,
                valid_until,
                body,
            },
        );
    }
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("pages", &self.pages.len())
            .field("bytes", &self.pages.weight())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialnexa_service::Page;
    use dialnexa_service::numbers::NumberFilter;

    fn key(workspace: &str, page: u32) -> PageKey {
        PageKey::List {
            workspace: WorkspaceId::from_trusted(workspace.to_owned()),
            listing: NumberListing {
                filter: NumberFilter::default(),
                page: Page { page, limit: 20 },
            },
        }
    }

    #[test]
    fn a_page_is_given_back_only_under_its_token_and_before_its_renewal() {
        let cache = PageCache::new(CAPACITY_BYTES);
        let now: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        let renewal: Timestamp = "2026-12-27T10:00:00Z".parse().unwrap();
        cache.put(
            key("ws_a", 1),
            7,
            Some(renewal),
            Bytes::from_static(b"{\"items\":[]}"),
        );

        assert_eq!(
            cache.get(&key("ws_a", 1), 7, now).as_deref(),
            Some(&b"{\"items\":[]}"[..])
        );
        assert_eq!(
            cache.get(&key("ws_a", 1), 8, now),
            None,
            "the database changed"
        );
        assert_eq!(
            cache.get(&key("ws_a", 1), 7, renewal),
            None,
            "a renewal date passed"
        );
        assert_eq!(
            cache.get(&key("ws_b", 1), 7, now),
            None,
            "another workspace"
        );
        assert_eq!(cache.get(&key("ws_a", 2), 7, now), None, "another page");
    }

    #[test]
    fn pages_beyond_the_capacity_are_dropped() {
        let cache = PageCache::new(64 * 1024);
        let now = Timestamp::UNIX_EPOCH;
        for page in 1..=100 {
            cache.put(key("ws_a", page), 1, None, Bytes::from(vec![b'x'; 4096]));
        }
        let kept = (1..=100)
            .filter(|&page| cache.get(&key("ws_a", page), 1, now).is_some())
            .count();
        assert!(kept > 0 && kept <= 16, "{kept} pages of 4 KB kept in 64 KB");
    }
}
