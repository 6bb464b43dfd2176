//! Form errors for pages: a form that fails validation is shown again with
//! an error summary at the top (focused, each entry linking to its field)
//! and a message beside each field, in the resident's language.

use std::borrow::Cow;

use crate::error::DomainError;
use crate::page::PageContext;

/// One problem with one field of a submitted form.
#[derive(Debug, Clone)]
pub struct FormError {
    /// The field's `id` in the page (the summary links to it).
    pub field: &'static str,
    /// Fluent key of the message.
    pub key: Cow<'static, str>,
    pub args: Vec<(&'static str, String)>,
}

/// The problems of one submitted form, in field order.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<FormError>);

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.push(FormError { field, key: Cow::Borrowed(key), args: Vec::new() });
    }

    pub fn add_with(&mut self, field: &'static str, key: &'static str, args: Vec<(&'static str, String)>) {
        self.0.push(FormError { field, key: Cow::Borrowed(key), args });
    }

    /// A domain error, shown beside `field` with the same translated detail
    /// the API gives for it.
    pub fn problem(&mut self, field: &'static str, error: &impl DomainError) {
        self.0.push(FormError { field, key: Cow::Owned(error.problem().detail_key()), args: error.args() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.key.as_ref()).collect()
    }

    fn text(ctx: &PageContext, e: &FormError) -> String {
        let args: Vec<(&str, &str)> = e.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ctx.t_with(&e.key, &args)
    }

    /// The messages for one field (empty when it is fine).
    pub fn messages(&self, ctx: &PageContext, field: &str) -> Vec<String> {
        self.0.iter().filter(|e| e.field == field).map(|e| Self::text(ctx, e)).collect()
    }

    /// The error summary block (empty string when there are no errors).
    pub fn summary(&self, ctx: &PageContext) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let mut html = format!(
            "<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\" id=\"error-summary\">\
             <h2 id=\"error-summary-title\">{}</h2><ul>",
            escape(&ctx.t("error-summary-title"))
        );
        for e in &self.0 {
            html.push_str(&format!("<li><a href=\"#{}\">{}</a></li>", e.field, escape(&Self::text(ctx, e))));
        }
        html.push_str("</ul></div>");
        html
    }
}

/// Minimal HTML escaping for text we put into markup ourselves.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
