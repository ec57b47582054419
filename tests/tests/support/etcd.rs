//! A real etcd (Debian's `etcd-server`, which `.ci/run` installs) on loopback ports of its
//! own, with a temporary data directory; killed when dropped.
//!
//! One at a time per test binary: its ports are found free, then given to etcd, and a test
//! that stops and restarts etcd leaves them free meanwhile. Another test's etcd started then
//! could take one, and the restart would talk to the wrong server (CI saw the outage test
//! fail once so). A restart also checks that the member answering is the same.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, OwnedMutexGuard};

static ONE_AT_A_TIME: LazyLock<Arc<Mutex<()>>> = LazyLock::new(Arc::default);

pub struct Etcd {
    pub client_addr: SocketAddr,
    peer_port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// The member's id, from its first start: a restart must find the same.
    member_id: Option<u64>,
    _one_at_a_time: OwnedMutexGuard<()>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Etcd {
    /// Starts etcd and waits until it answers.
    pub async fn start() -> Etcd {
        let one_at_a_time = ONE_AT_A_TIME.clone().lock_owned().await;
        let client_port = free_port();
        let peer_port = free_port();
        // tmpfs when there is one: etcd syncs every write.
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!(
            "routemark-etcd-{}-{client_port}",
            std::process::id()
        ));
        let mut etcd = Etcd {
            client_addr: format!("127.0.0.1:{client_port}").parse().unwrap(),
            peer_port,
            dir,
            child: None,
            member_id: None,
            _one_at_a_time: one_at_a_time,
        };
        etcd.restart().await;
        etcd
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.client_addr)
    }

    /// Kills the process (the data directory stays, for [`restart`](Self::restart)).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same ports and data.
    pub async fn restart(&mut self) {
        self.kill();
        let client = self.endpoint();
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let child = Command::new("etcd")
            .args([
                "--name",
                "routemark-test",
                "--data-dir",
                self.dir.to_str().unwrap(),
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
                "--initial-cluster",
                &format!("routemark-test={peer}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd (Debian package `etcd-server`; .ci/run installs it)");
        self.child = Some(child);
        let start = Instant::now();
        loop {
            if let Ok(mut client) = etcd_client::Client::connect([self.endpoint()], None).await
                && let Ok(status) = client.status().await
            {
                let member = status.header().map(|h| h.member_id());
                match self.member_id {
                    None => self.member_id = member,
                    Some(ours) => assert_eq!(
                        member,
                        Some(ours),
                        "another process answers on {} after etcd's restart: its port was \
                         taken while etcd was down",
                        self.endpoint()
                    ),
                }
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "etcd did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn client(&self) -> etcd_client::Client {
        etcd_client::Client::connect([self.endpoint()], None)
            .await
            .expect("connect to etcd")
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
