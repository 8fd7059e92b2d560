//! What every anonymous submission must pass before anything is stored: text within its length, at most
//! [`MAX_LINKS`] links, an e-mail address that looks like one, the honeypot field (`website`, hidden from people by
//! the form, filled by robots) left empty, and at most [`super::BurstLimit`] submissions per client address in its
//! window. Each refusal names its field.
use registry::{InputProblem, RegistryError};
use sqlx::Row;

use super::{Feedback, stamp};

/// Links allowed in one text.
pub const MAX_LINKS: usize = 2;

/// The honeypot field's name, in the JSON API and the forms.
pub const HONEYPOT: &str = "website";

/// Collects the problems of one submission.
#[derive(Debug, Default)]
pub struct Check {
    problems: Vec<InputProblem>,
}

/// Links in a text: `http://`, `https://` and `www.` starts.
pub fn links_in(text: &str) -> usize {
    let lower = text.to_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower
            .match_indices("www.")
            .filter(|(i, _)| !lower[..*i].ends_with("://"))
            .count()
}

impl Check {
    /// A new check.
    pub fn new() -> Self {
        Self::default()
    }

    /// A required text of `min..=max` characters (trimmed) with at most [`MAX_LINKS`] links; the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let value = value.trim();
        let n = value.chars().count();
        if n < min || n > max {
            self.problems.push(InputProblem::field(
                field,
                format!("between {min} and {max} characters (this one has {n})"),
            ));
        } else if links_in(value) > MAX_LINKS {
            self.problems.push(InputProblem::field(
                field,
                format!(
                    "at most {MAX_LINKS} links (this one has {})",
                    links_in(value)
                ),
            ));
        }
        value.to_owned()
    }

    /// An optional short text (a name): at most `max` characters, no link; empty is none.
    pub fn short(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if value.chars().count() > max {
            self.problems.push(InputProblem::field(
                field,
                format!("at most {max} characters"),
            ));
        } else if links_in(value) > 0 || value.contains(['<', '>']) {
            self.problems.push(InputProblem::field(
                field,
                "a name, without links or markup",
            ));
        }
        Some(value.to_owned())
    }

    /// An optional e-mail address; empty is none.
    pub fn email(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        if !looks_like_email(value) {
            self.problems.push(InputProblem::field(
                field,
                "an e-mail address like ten@example.vn",
            ));
        }
        Some(value.to_owned())
    }

    /// A required e-mail address.
    pub fn required_email(&mut self, field: &str, value: &str) -> String {
        match self.email(field, Some(value)) {
            Some(v) => v,
            None => {
                self.problems
                    .push(InputProblem::field(field, "an e-mail address is required"));
                String::new()
            }
        }
    }

    /// The honeypot field, which people never see and must stay empty.
    pub fn honeypot(&mut self, value: Option<&str>) {
        if value.is_some_and(|v| !v.trim().is_empty()) {
            self.problems.push(InputProblem::field(
                HONEYPOT,
                "this field must stay empty: it is hidden from people, and only robots fill it",
            ));
        }
    }

    /// Adds a problem found elsewhere.
    pub fn problem(&mut self, problem: InputProblem) {
        self.problems.push(problem);
    }

    /// Refuses when anything was wrong.
    pub fn finish(self) -> Result<(), RegistryError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(RegistryError::Invalid(self.problems))
        }
    }
}

/// `local@domain.tld`, no spaces, no markup, at most 254 characters.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"<>(),;:\"[]\\".contains(c))
}

/// The client has made too many submissions lately: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany {
    /// Seconds until the oldest counted submission leaves the window.
    pub retry_after_secs: u64,
}

impl Feedback {
    /// Checks the burst limit of `client` (a [`super::client_hash`]) over every kind of anonymous submission.
    pub async fn check_burst(&self, client: &str) -> Result<Result<(), TooMany>, RegistryError> {
        let now = chrono::Utc::now();
        let since = stamp(now - chrono::Duration::from_std(self.burst.window).unwrap_or_default());
        let mut times: Vec<String> = Vec::new();
        for table in ["feedback_threads", "data_requests", "notify_subscriptions"] {
            let rows = sqlx::query(&format!(
                "SELECT created_at FROM {table} WHERE client_hash = $1 AND created_at > $2"
            ))
            .bind(client)
            .bind(&since)
            .fetch_all(self.db.pool())
            .await?;
            for r in rows {
                times.push(r.try_get(0)?);
            }
        }
        if times.len() < self.burst.count as usize {
            return Ok(Ok(()));
        }
        times.sort();
        let oldest = times
            .first()
            .and_then(|t| super::parse_stamp(t))
            .unwrap_or(now);
        let free_at = oldest + chrono::Duration::from_std(self.burst.window).unwrap_or_default();
        Ok(Err(TooMany {
            retry_after_secs: (free_at - now).num_seconds().max(1) as u64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_counted_once_each() {
        assert_eq!(links_in("see https://www.example.org and www.x.vn"), 2);
        assert_eq!(links_in("no link here"), 0);
        assert_eq!(links_in("HTTP://A http://b https://c"), 3);
    }

    #[test]
    fn texts_refuse_length_and_links_naming_the_field() {
        let mut c = Check::new();
        c.text("message", "short", 10, 100);
        c.text("title", "http://a http://b http://c spam spam", 10, 100);
        c.honeypot(Some("http://spam"));
        c.email("email", Some("not an address"));
        let Err(RegistryError::Invalid(p)) = c.finish() else {
            panic!("refused")
        };
        let fields: Vec<_> = p.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, ["message", "title", "website", "email"]);
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("an@example.vn"));
        assert!(!looks_like_email("an@example"));
        assert!(!looks_like_email("a n@example.vn"));
        assert!(!looks_like_email("a@b@example.vn"));
        assert!(!looks_like_email("<a>@example.vn"));
    }
}
