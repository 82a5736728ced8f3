//! Log lines gathered in memory and written out in batches. A request appends its line to a
//! buffer under a mutex and goes on; the first line into an empty buffer wakes a thread of its
//! own, which lets the lines of the next [`INTERVAL`] gather and writes them to stderr at once
//! (an idle process wakes it never), and a writer that finds [`LIMIT`] bytes waiting writes
//! them itself, so the buffer stays bounded and no line is ever dropped. Handing each line to a
//! writer thread (`tracing-appender`'s non-blocking writer) woke that thread once per line:
//! measured on `get`, the wake-ups and the write per line cost more than formatting the line.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{JoinHandle, Thread};
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
const INTERVAL: Duration = Duration::from_millis(20);
/// The most bytes kept waiting: the writer that reaches it writes them out itself.
const LIMIT: usize = 256 * 1024;

struct Shared<W> {
    pending: Mutex<Vec<u8>>,
    /// Held while a batch is taken and written, so batches reach `out` in the order taken.
    out: Mutex<W>,
    stopped: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<W: Write> Shared<W> {
    /// Write out what is waiting.
    fn drain(&self) -> io::Result<()> {
        let mut out = lock(&self.out);
        let batch = std::mem::take(&mut *lock(&self.pending));
        if batch.is_empty() {
            return Ok(());
        }
        out.write_all(&batch)?;
        out.flush()
    }
}

/// The `MakeWriter` of the log layer: every line it is given lands in the shared buffer.
pub struct BatchedWriter<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
    /// The writing thread, woken by the first line into an empty buffer.
    thread: Option<Thread>,
}

/// Stops the writing thread and writes out every line still waiting, when dropped.
pub struct FlushGuard<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
    thread: Option<JoinHandle<()>>,
}

/// A batched writer to `out`, and the guard that flushes it at the end.
pub fn batched<W: Write + Send + 'static>(out: W) -> (BatchedWriter<W>, FlushGuard<W>) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Vec::new()),
        out: Mutex::new(out),
        stopped: AtomicBool::new(false),
    });
    let worker = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            while !worker.stopped.load(Ordering::Acquire) {
                std::thread::park();
                if !worker.stopped.load(Ordering::Acquire) {
                    std::thread::sleep(INTERVAL);
                }
                // A log that cannot be written has nowhere to say so.
                let _ = worker.drain();
            }
        })
        .ok();
    (
        BatchedWriter {
            shared: shared.clone(),
            thread: thread.as_ref().map(|t| t.thread().clone()),
        },
        FlushGuard { shared, thread },
    )
}

impl<W: Write + Send + 'static> Drop for FlushGuard<W> {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
        let _ = self.shared.drain();
    }
}

/// One line's writer: the formatter writes a whole line in one `write_all`.
pub struct Line<'a, W: Write + Send + 'static> {
    writer: &'a BatchedWriter<W>,
}

impl<W: Write + Send + 'static> Write for Line<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let shared = &self.writer.shared;
        let (first, full) = {
            let mut pending = lock(&shared.pending);
            let first = pending.is_empty();
            pending.extend_from_slice(bytes);
            (first, pending.len() >= LIMIT)
        };
        if first && let Some(thread) = &self.writer.thread {
            thread.unpark();
        }
        if full {
            shared.drain()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + Send + 'static> MakeWriter<'a> for BatchedWriter<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        Line { writer: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What reached the output, shared with the test.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn text(sink: &Sink) -> String {
        String::from_utf8(lock(&sink.0).clone()).unwrap()
    }

    #[test]
    fn lines_reach_the_output_in_order_within_the_interval_and_at_the_end() {
        let sink = Sink::default();
        let (writer, guard) = batched(sink.clone());
        writer.make_writer().write_all(b"one\n").unwrap();
        writer.make_writer().write_all(b"two\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while text(&sink).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(text(&sink), "one\ntwo\n", "written by the thread, unasked");

        writer.make_writer().write_all(b"three\n").unwrap();
        drop(guard);
        assert_eq!(
            text(&sink),
            "one\ntwo\nthree\n",
            "the guard writes what waits"
        );
    }

    #[test]
    fn a_full_buffer_is_written_by_the_writer_that_fills_it() {
        let sink = Sink::default();
        // No thread: only the writers themselves write.
        let writer = BatchedWriter {
            shared: Arc::new(Shared {
                pending: Mutex::new(Vec::new()),
                out: Mutex::new(sink.clone()),
                stopped: AtomicBool::new(false),
            }),
            thread: None,
        };
        let line = vec![b'x'; 1000];
        let mut written = 0;
        while written < LIMIT {
            writer.make_writer().write_all(&line).unwrap();
            written += line.len();
        }
        assert_eq!(
            lock(&sink.0).len(),
            written,
            "written once {LIMIT} bytes waited"
        );
    }
}
