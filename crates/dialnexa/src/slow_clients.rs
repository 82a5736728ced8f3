//! Deadlines on the API's connections, so slow or silent clients cannot hold the server's
//! sockets: a request header must arrive whole within `header` of the connection opening (or
//! of the first byte of the next request), and a kept-alive connection with no request for
//! `idle` is closed. A request being served is never cut short by either.
//!
//! hyper's own `header_read_timeout` starts when a connection goes idle, so it cannot tell the
//! two apart: one timeout would close idle connections as fast as slow headers. The deadlines
//! live in the connection's reader instead, which sees every byte and knows (from `Busy`)
//! whether a request is being served.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a client may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// From the connection opening, or the first byte of a request, to its whole header.
    pub header: Duration,
    /// From the end of one request to the first byte of the next.
    pub idle: Duration,
}

/// One connection's requests, as its service sees them, for its reader: how many began, and
/// how many are being served.
#[derive(Debug, Clone, Default)]
pub struct Busy(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    begun: AtomicUsize,
    serving: AtomicUsize,
}

/// Held while a request is served.
pub struct Serving(Busy);

impl Busy {
    pub fn enter(&self) -> Serving {
        self.0.serving.fetch_add(1, Ordering::AcqRel);
        self.0.begun.fetch_add(1, Ordering::AcqRel);
        Serving(self.clone())
    }

    fn serving(&self) -> bool {
        self.0.serving.load(Ordering::Acquire) > 0
    }

    fn begun(&self) -> usize {
        self.0.begun.load(Ordering::Acquire)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        (self.0).0.serving.fetch_sub(1, Ordering::AcqRel);
    }
}

enum Phase {
    /// Waiting for (the rest of) a request header.
    Header,
    /// Between requests, nothing received yet.
    Idle,
    /// A request is being served: no deadline.
    Serving,
}

/// A connection whose reads fail with `TimedOut` once a deadline passes, which makes hyper
/// close it.
pub struct Guarded<T> {
    io: T,
    busy: Busy,
    deadlines: Deadlines,
    phase: Phase,
    /// `Busy::begun` when this reader last looked: a change means a request was served since.
    seen: usize,
    timer: Pin<Box<Sleep>>,
}

impl<T> Guarded<T> {
    pub fn new(io: T, busy: Busy, deadlines: Deadlines) -> Self {
        Guarded {
            io,
            busy,
            deadlines,
            phase: Phase::Header,
            seen: 0,
            timer: Box::pin(tokio::time::sleep(deadlines.header)),
        }
    }

    fn arm(&mut self, phase: Phase, after: Duration) {
        self.phase = phase;
        self.timer.as_mut().reset(Instant::now() + after);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let begun = this.busy.begun();
        if this.busy.serving() {
            this.phase = Phase::Serving;
            this.seen = begun;
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        if matches!(this.phase, Phase::Serving) || this.seen != begun {
            this.seen = begun;
            this.arm(Phase::Idle, this.deadlines.idle);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && matches!(this.phase, Phase::Idle) {
                    this.arm(Phase::Header, this.deadlines.header);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let what = match this.phase {
                        Phase::Idle => "the kept-alive connection was idle too long",
                        _ => "the request header did not arrive in time",
                    };
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)))
                }
                Poll::Pending => Poll::Pending,
            },
            failed => failed,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
