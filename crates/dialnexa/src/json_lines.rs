//! The JSON log line: the object tracing-subscriber's JSON format writes with flattened event
//! fields (`timestamp`, `level`, the event's fields, `target`, then `span` and `spans` when the
//! line was written inside a span), written straight into the line, and the spans' fields kept
//! as the JSON object they show. The library's format goes through `serde_json`'s maps for
//! both; on the one line and the one span every request makes that was a seventh of a cached
//! `get`'s instructions. The test below holds the two formats to the same objects.

use std::cell::RefCell;
use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The event format of `LogFormat::Json`, with [`JsonSpanFields`] as the layer's field format
/// (`fmt::layer().fmt_fields(JsonSpanFields).event_format(JsonLines)`).
pub struct JsonLines;

/// A span's fields as a JSON object, `{"request_id":"…"}`.
pub struct JsonSpanFields;

impl<'w> FormatFields<'w> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        writer.write_char('{')?;
        pairs(&mut writer, fields, true)?;
        writer.write_char('}')
    }

    /// Fields recorded after the span began: merged into its object, a later value replacing
    /// an earlier one of the same name. Rare (the log context records nothing later), so
    /// through `serde_json`.
    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &Record<'_>,
    ) -> fmt::Result {
        if current.fields.is_empty() {
            return self.format_fields(current.as_writer(), fields);
        }
        let mut added = String::new();
        self.format_fields(Writer::new(&mut added), fields)?;
        let object = |json: &str| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
                .map_err(|_| fmt::Error)
        };
        let mut merged = object(&current.fields)?;
        merged.extend(object(&added)?);
        current.fields = serde_json::Value::Object(merged).to_string();
        Ok(())
    }
}

impl<S> FormatEvent<S, JsonSpanFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonSpanFields>,
        mut line: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        line.write_str("{\"timestamp\":\"")?;
        timestamp(&mut line)?;
        write!(line, "\",\"level\":\"{}\"", meta.level())?;
        pairs(&mut line, event, false)?;
        line.write_str(",\"target\":")?;
        string(&mut line, meta.target())?;
        // The request's log context is the outermost span the line shows.
        let context = dialnexa_http::observe::log_context();
        let current = ctx.lookup_current();
        if context.is_some() || current.is_some() {
            line.write_str(",\"span\":")?;
            if let Some(current) = &current {
                span(&mut line, current)?;
            } else if let Some(id) = &context {
                request_span(&mut line, id)?;
            }
            line.write_str(",\"spans\":[")?;
            let mut first = true;
            if let Some(id) = &context {
                request_span(&mut line, id)?;
                first = false;
            }
            for each in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
                if !std::mem::take(&mut first) {
                    line.write_char(',')?;
                }
                span(&mut line, &each)?;
            }
            line.write_char(']')?;
        }
        line.write_str("}\n")
    }
}

/// The request's log context as its span would show: `{"request_id":"…","name":"request"}`.
fn request_span(line: &mut Writer<'_>, request_id: &str) -> fmt::Result {
    line.write_str("{\"request_id\":")?;
    string(line, request_id)?;
    line.write_str(",\"name\":\"request\"}")
}

/// The time as tracing-subscriber's `SystemTime` writes it (`2026-12-02T17:07:03.123456Z`),
/// the date and the time of day formatted once a second per thread: formatting the whole of
/// it on each line cost a cached GET 3.5 % of its instructions.
fn timestamp(line: &mut Writer<'_>) -> fmt::Result {
    thread_local! {
        /// The second last formatted, and its `2026-12-02T17:07:03`.
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else {
        return SystemTime.format_time(line);
    };
    let (seconds, micros) = (now.as_secs(), now.subsec_micros());
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != seconds {
            let at = jiff::Timestamp::from_second(seconds as i64).map_err(|_| fmt::Error)?;
            text.clear();
            write!(text, "{}", at.strftime("%Y-%m-%dT%H:%M:%S"))?;
            *second = seconds;
        }
        line.write_str(text)
    })?;
    let mut digits = *b".000000Z";
    let mut rest = micros;
    for digit in digits[1..7].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    line.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
}

/// A span as the JSON format shows it: its fields (kept as a JSON object by
/// [`JsonSpanFields`]), then its name.
fn span<S>(line: &mut Writer<'_>, span: &SpanRef<'_, S>) -> fmt::Result
where
    S: for<'a> LookupSpan<'a>,
{
    line.write_char('{')?;
    let extensions = span.extensions();
    if let Some(fields) = extensions.get::<FormattedFields<JsonSpanFields>>() {
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

/// `fields` as `"name":value` pairs, after a comma unless `first` (inside a span's object).
fn pairs(line: &mut Writer<'_>, fields: impl RecordFields, first: bool) -> fmt::Result {
    let mut pairs = Fields {
        line,
        result: Ok(()),
        first,
    };
    fields.record(&mut pairs);
    pairs.result
}

/// Fields as `"name":value` pairs, each after a comma but the first; `log.*` fields (a `log`
/// record's metadata, shown as the line's own) are left out, as the JSON format does.
struct Fields<'a, 'w> {
    line: &'a mut Writer<'w>,
    result: fmt::Result,
    first: bool,
}

impl Fields<'_, '_> {
    fn pair(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        let comma = if std::mem::take(&mut self.first) {
            Ok(())
        } else {
            self.line.write_char(',')
        };
        self.result = comma
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
    fn write_str(&mut self, mut s: &str) -> fmt::Result {
        // Most text needs no escape: it goes out in one piece.
        while let Some(at) = s.bytes().position(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.0.write_str(&s[..at])?;
            match s.as_bytes()[at] {
                b'"' => self.0.write_str("\\\"")?,
                b'\\' => self.0.write_str("\\\\")?,
                b'\n' => self.0.write_str("\\n")?,
                b'\r' => self.0.write_str("\\r")?,
                b'\t' => self.0.write_str("\\t")?,
                0x08 => self.0.write_str("\\b")?,
                0x0c => self.0.write_str("\\f")?,
                control => write!(self.0, "\\u{control:04x}")?,
            }
            s = &s[at + 1..];
        }
        self.0.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::{JsonLines, JsonSpanFields};
    use serde_json::Value;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;
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
        tracing::info!("before the span's later fields");
        inner.record("empty", "filled later");
        inner.record("attempt", 3u64);
        tracing::error!(debug = ?vec!["a", "b"], "nested");
        let bare = tracing::info_span!("bare");
        let _bare = bare.enter();
        tracing::debug!("no fields");
    }

    /// Lines written while a request runs, with the request's log context made as a span
    /// (`theirs`) or as the task-local `observe::in_log_context` sets (`ours`).
    fn in_a_request(ours: bool) {
        let lines_of_the_request = || {
            tracing::warn!(count = 1u64, "answer lost");
            let step = tracing::info_span!("step", attempt = 2u64);
            let _step = step.enter();
            tracing::info!("inside a step");
        };
        if ours {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(dialnexa_http::observe::in_log_context(
                "r-9".into(),
                async { lines_of_the_request() },
            ));
        } else {
            let context = tracing::info_span!(target: dialnexa_http::observe::LOG_CONTEXT,
                "request", request_id = "r-9");
            context.in_scope(lines_of_the_request);
        }
        tracing::info!("after the request");
    }

    fn lines_of(ours: bool) -> Vec<Value> {
        lines_written(ours, log_some)
    }

    fn lines_written(ours: bool, write: impl FnOnce()) -> Vec<Value> {
        let lines = Lines::default();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(lines.clone());
        let subscriber = tracing_subscriber::registry().with(if ours {
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonSpanFields)
                .event_format(JsonLines)
                .with_writer(lines.clone())
                .boxed()
        } else {
            layer.boxed()
        });
        tracing::subscriber::with_default(subscriber, write);
        lines.parsed()
    }

    /// Timestamps aside, the same objects.
    fn same_objects(ours: Vec<Value>, theirs: Vec<Value>) {
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

    use tracing_subscriber::Layer;

    #[test]
    fn a_line_is_the_object_the_json_format_writes() {
        let (ours, theirs) = (lines_of(true), lines_of(false));
        assert_eq!(ours.len(), 5);
        same_objects(ours, theirs);
    }

    /// Our timestamps have the library's shape, and tell the same time.
    #[test]
    fn a_timestamp_is_written_as_the_library_writes_it() {
        use tracing_subscriber::fmt::format::Writer;
        use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
        for _ in 0..3 {
            let (mut ours, mut theirs) = (String::new(), String::new());
            super::timestamp(&mut Writer::new(&mut ours)).unwrap();
            SystemTime
                .format_time(&mut Writer::new(&mut theirs))
                .unwrap();
            assert_eq!(ours.len(), theirs.len(), "{ours} {theirs}");
            assert_eq!(ours.as_bytes()[19], b'.', "{ours}");
            assert!(ours.ends_with('Z'), "{ours}");
            let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
            let apart = at(&theirs).duration_since(at(&ours));
            assert!(apart.as_secs_f64().abs() < 1.0, "{ours} {theirs}");
            std::thread::sleep(std::time::Duration::from_millis(400));
        }
    }

    /// The request's log context, read from the task-local, shows as the span it replaces:
    /// the outermost of `spans`, and `span` when no other is entered.
    #[test]
    fn a_requests_log_context_shows_as_its_span_would() {
        let ours = lines_written(true, || in_a_request(true));
        let theirs = lines_written(false, || in_a_request(false));
        assert_eq!(ours.len(), 3);
        assert_eq!(ours[0]["span"]["request_id"], "r-9", "{}", ours[0]);
        assert_eq!(ours[1]["spans"][0]["request_id"], "r-9", "{}", ours[1]);
        assert!(ours[2].get("span").is_none(), "{}", ours[2]);
        same_objects(ours, theirs);
    }
}
