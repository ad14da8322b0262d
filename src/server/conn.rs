//! One connection's socket, shared between hyper and the handlers of its requests: hyper
//! reads and writes it through [`SharedIo`]; a handler that waits (`--delay`, `--forward-to`)
//! watches it through [`Caller`] to notice a caller that closes its side before the answer.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The socket as hyper's IO: the same reads and writes as a `TcpStream`, through an `Arc`.
pub struct SharedIo(Arc<TcpStream>);

/// The caller's end of a connection, as a handler sees it.
#[derive(Clone)]
pub struct Caller(Arc<TcpStream>);

/// Share a connection's socket: the IO for hyper, and the handle for its handlers.
pub fn share(stream: TcpStream) -> (SharedIo, Caller) {
    let stream = Arc::new(stream);
    (SharedIo(stream.clone()), Caller(stream))
}

impl Caller {
    /// Resolves once the caller has closed its side of the connection (end of stream, or a
    /// reset). A caller that gave up looks exactly like one that half-closed and still waits
    /// for the answer. When the caller sends more bytes instead (a pipelined request), nothing
    /// more can be told without reading them, and this never resolves.
    pub async fn closed(&self) {
        let mut byte = [0u8; 1];
        match self.0.peek(&mut byte).await {
            Ok(0) | Err(_) => {}
            Ok(_) => std::future::pending().await,
        }
    }
}

impl AsyncRead for SharedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            // Into the buffer's uninitialised part, as tokio's own TcpStream does: zeroing
            // hyper's 8 KiB read buffer first was 6.6% of a request's instructions.
            match self.0.try_read_buf(buf) {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for SharedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = socket2::SockRef::from(&*self.0).shutdown(std::net::Shutdown::Write);
        // Already closed by the peer is as good as shut down.
        Poll::Ready(match r {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}
