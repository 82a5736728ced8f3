//! A browser without JavaScript for the dashboard tests: keeps cookies, follows no redirect,
//! so each answer (status, Location, Set-Cookie, page) can be checked.

use crate::helpers::{Tenant, TestApp};
use std::collections::HashMap;

/// A cookie-keeping client that does not follow redirects, so each answer can be checked.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The first form's CSRF token on this page.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }

    #[track_caller]
    pub fn assert_html(&self) {
        assert!(
            self.body.starts_with("<!DOCTYPE html>"),
            "not a page: {}",
            &self.body[..self.body.len().min(300)]
        );
        assert!(
            !self.body.contains("\"statusCode\""),
            "a raw JSON envelope on the page"
        );
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.url(""),
            cookies: HashMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn finish(&mut self, r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status,
            location,
            set_cookies,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn sign_in(&mut self, key: &str) -> Page {
        let form = self.get("/dashboard/sign-in").await;
        let token = form.csrf();
        self.post(
            "/dashboard/sign-in",
            &[
                ("api_key", key),
                ("csrf", &token),
                ("next", "/dashboard/numbers"),
            ],
        )
        .await
    }

    /// Signed in, on `path`, with that page's CSRF token.
    pub async fn signed_in(app: &TestApp, t: &Tenant) -> (Browser, String) {
        let mut b = Browser::new(app);
        let r = b.sign_in(&t.key).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = b.get("/dashboard/numbers").await;
        assert_eq!(page.status, 200);
        let token = page.csrf();
        (b, token)
    }
}
