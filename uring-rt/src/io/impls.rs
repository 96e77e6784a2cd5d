//! The owned-buffer traits for the stream sockets and their halves.

use std::io;

use super::{AsyncReadOwned, AsyncWriteOwned};
use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream, UnixStream};

macro_rules! stream_impls {
    ($($t:ty),*) => {$(
        impl AsyncReadOwned for $t {
            async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
                <$t>::read(self, buf).await
            }
        }

        impl AsyncWriteOwned for $t {
            async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
                <$t>::write(self, buf).await
            }

            async fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }

            async fn shutdown(&mut self) -> io::Result<()> {
                <$t>::shutdown_write(self)
            }
        }
    )*};
}

stream_impls!(TcpStream, UnixStream);

impl AsyncReadOwned for OwnedReadHalf {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        OwnedReadHalf::read(self, buf).await
    }
}

impl AsyncWriteOwned for OwnedWriteHalf {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        OwnedWriteHalf::write(self, buf).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        OwnedWriteHalf::shutdown(self)
    }
}
