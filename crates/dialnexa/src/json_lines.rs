//! The JSON log line: the object tracing-subscriber's JSON format writes with flattened event
//! fields (`timestamp`, `level`, the event's fields, `target`, then `span` and `spans` when the
//! line was written inside a span), written straight into the line. The library's format goes
//! through `serde_json`'s map serializer and a visitor per field; on the one line every request
//! logs that was a tenth of a cached `get`'s time. The test below holds the two formats to the
//! same objects.

use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The event format of `LogFormat::Json`; its spans' fields must be formatted by
/// [`JsonFields`] (`fmt::layer().fmt_fields(JsonFields::new())`).
pub struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut line: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        line.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut line)?;
        write!(line, "\",\"level\":\"{}\"", meta.level())?;
        let mut fields = Fields {
            line: &mut line,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        line.write_str(",\"target\":")?;
        string(&mut line, meta.target())?;
        if let Some(current) = ctx.lookup_current() {
            line.write_str(",\"span\":")?;
            span(&mut line, &current)?;
            line.write_str(",\"spans\":[")?;
            if let Some(scope) = ctx.event_scope() {
                for (i, each) in scope.from_root().enumerate() {
                    if i > 0 {
                        line.write_char(',')?;
                    }
                    span(&mut line, &each)?;
                }
            }
            line.write_char(']')?;
        }
        line.write_str("}\n")
    }
}

/// A span as the JSON format shows it: its fields (kept as a JSON object by [`JsonFields`]),
/// then its name.
fn span<S>(line: &mut Writer<'_>, span: &SpanRef<'_, S>) -> fmt::Result
where
    S: for<'a> LookupSpan<'a>,
{
    line.write_char('{')?;
    let extensions = span.extensions();
    if let Some(fields) = extensions.get::<FormattedFields<JsonFields>>() {
        let inner = fields
            .fields
            .trim()
            .strip_prefix('{')
            .and_then(|f| f.strip_suffix('}'))
            .unwrap_or_default();
        if !inner.is_empty() {
            line.write_str(inner)?;
            line.write_char(',')?;
        }
    }
    line.write_str("\"name\":")?;
    string(line, span.name())?;
    line.write_char('}')
}

/// The event's fields as `,"name":value` pairs; `log.*` fields (a `log` record's metadata,
/// shown as the line's own) are left out, as the JSON format does.
struct Fields<'a, 'w> {
    line: &'a mut Writer<'w>,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn pair(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = self
            .line
            .write_char(',')
            .and_then(|()| string(self.line, name))
            .and_then(|()| self.line.write_char(':'))
            .and_then(|()| value(self.line));
    }
}

impl Visit for Fields<'_, '_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // As serde_json writes it: `null` for what JSON cannot hold.
        self.pair(field, |line| match serde_json::Number::from_f64(value) {
            Some(n) => write!(line, "{n}"),
            None => line.write_str("null"),
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.pair(field, |line| write!(line, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.pair(field, |line| write!(line, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.pair(field, |line| write!(line, "{value}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.pair(field, |line| string(line, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.pair(field, |line| {
            line.write_char('"')?;
            write!(Escaped(line), "{value:?}")?;
            line.write_char('"')
        });
    }
}

/// `s` as a JSON string.
fn string(line: &mut Writer<'_>, s: &str) -> fmt::Result {
    line.write_char('"')?;
    Escaped(line).write_str(s)?;
    line.write_char('"')
}

/// Writes what it is given escaped for the inside of a JSON string, as serde_json escapes.
struct Escaped<'a, 'w>(&'a mut Writer<'w>);

impl Write for Escaped<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, b) in s.bytes().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{b:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = i + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
mod tests {
    use super::JsonLines;
    use serde_json::Value;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::fmt::format::JsonFields;
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    impl Lines {
        fn parsed(&self) -> Vec<Value> {
            let bytes = self.0.lock().unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            assert!(text.ends_with('\n'), "{text}");
            text.lines()
                .map(|line| serde_json::from_str(line).expect(line))
                .collect()
        }
    }

    /// Events of every field type, inside nested spans and outside any, awkward strings too.
    fn log_some() {
        tracing::info!(target: "dialnexa_http::access", route = %"/v1/x/{id}", method = %"GET",
            status = 200u16, latency_ms = 11.268, workspace_id = Some(tracing::field::display("ws_1")),
            request_id = %"0af7", "request");
        let outer = tracing::info_span!("request", request_id = "r-1");
        let _outer = outer.enter();
        tracing::warn!(error = %"line one\nline \"two\"\t\u{1}\\", count = -3i64, ok = true,
            ratio = f64::NAN, r#type = "raw", absent = None::<u64>, "answer lost: {}", "ü ✓");
        let inner = tracing::info_span!("step", attempt = 2u64, empty = tracing::field::Empty);
        let _inner = inner.enter();
        tracing::error!(debug = ?vec!["a", "b"], "nested");
        let bare = tracing::info_span!("bare");
        let _bare = bare.enter();
        tracing::debug!("no fields");
    }

    fn lines_of(ours: bool) -> Vec<Value> {
        let lines = Lines::default();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(lines.clone());
        let subscriber = tracing_subscriber::registry().with(if ours {
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(JsonLines)
                .with_writer(lines.clone())
                .boxed()
        } else {
            layer.boxed()
        });
        tracing::subscriber::with_default(subscriber, log_some);
        lines.parsed()
    }

    use tracing_subscriber::Layer;

    #[test]
    fn a_line_is_the_object_the_json_format_writes() {
        let (ours, theirs) = (lines_of(true), lines_of(false));
        assert_eq!(ours.len(), 4);
        assert_eq!(ours.len(), theirs.len());
        for (mut ours, mut theirs) in ours.into_iter().zip(theirs) {
            for line in [&ours, &theirs] {
                let at = line["timestamp"].as_str().unwrap();
                assert!(at.parse::<jiff::Timestamp>().is_ok(), "{line}");
            }
            ours.as_object_mut().unwrap().remove("timestamp");
            theirs.as_object_mut().unwrap().remove("timestamp");
            assert_eq!(ours, theirs);
        }
    }
}
