//! EMFILE on accept is an error the caller recovers from. Its own test binary: it lowers
//! RLIMIT_NOFILE, which is process-wide.

use std::time::Duration;

use uring_rt::net::TcpListener;
use uring_rt::time::sleep;

fn nofile() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to write into.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim
}

fn set_nofile(lim: libc::rlimit) {
    // SAFETY: `lim` is a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

/// Restores the fd limit even if the test panics.
struct Restore(libc::rlimit);
impl Drop for Restore {
    fn drop(&mut self) {
        set_nofile(self.0);
    }
}

fn highest_fd() -> i32 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .max()
        .unwrap_or(2)
}

#[test]
fn emfile_on_accept_is_recoverable() {
    let original = nofile();
    let _restore = Restore(original);
    uring_rt::start(async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // Three clients, connected before the limit is lowered (they need fds too).
        let clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        uring_rt::io::nop().await.unwrap();
        // Room for exactly one more fd: fill every hole below the limit, then free one.
        let limit = highest_fd() as u64 + 2;
        set_nofile(libc::rlimit {
            rlim_cur: limit,
            rlim_max: original.rlim_max,
        });
        let mut fillers = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            fillers.push(f);
        }
        assert!(!fillers.is_empty());
        fillers.pop();

        let (first, _) = listener.accept().await.unwrap();
        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        // The multishot path reports it too, and keeps working afterwards.
        let mut incoming = listener.incoming();
        let err = incoming.next().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        drop(incoming);

        // Free a descriptor (the close is asynchronous) and accept again: the listener
        // survived and the connection waited in the backlog.
        drop(first);
        sleep(Duration::from_millis(20)).await;
        let (second, _) = listener.accept().await.unwrap();
        drop(second);
        drop(fillers);
        sleep(Duration::from_millis(20)).await;
        let mut incoming = listener.incoming();
        let third = incoming.next().await.unwrap();
        assert!(third.peer_addr().is_ok());
        drop(clients);
    });
}
