//! Backends behind real infrastructure: a TLS backend whose certificate a private CA issued
//! (`--cacert`, `--insecure`), an API gateway that wants its own header (`--header`), and a
//! proxy from the environment (`HTTP_PROXY`, `NO_PROXY`).
//!
//! The CA and the server certificate are made here with rcgen (a self-signed certificate
//! used directly as the server's is refused by rustls, so the test issues one from a CA, as a
//! private CA does). Everything listens on 127.0.0.1.

mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use support::listen::Listen;
use support::*;

/// A private CA and a certificate it issued for 127.0.0.1 and localhost.
struct Pki {
    ca_pem: String,
    server_cert: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "deskhook test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("the CA certificate");
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().expect("a server key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("server params");
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let server_cert = leaf
        .signed_by(&server_key, &issuer)
        .expect("the server certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: server_cert.der().clone(),
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    }
}

/// What the TLS backend saw of one request: path and headers (names lower-case).
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTPS backend on 127.0.0.1 answering every callback with the Tencent acknowledgement
/// (or the CEC one on the push path); it stops with the test process.
struct TlsBackend {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TlsBackend {
    fn start(pki: &Pki) -> TlsBackend {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
            .expect("the server certificate and key");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("an address");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let recorded = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, recorded) = (acceptor.clone(), recorded.clone());
                    tokio::spawn(async move {
                        // A client that refuses the certificate ends the handshake here.
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                            let recorded = recorded.clone();
                            async move {
                                let (parts, body) = req.into_parts();
                                let _ = body.collect().await;
                                recorded.lock().unwrap().push(Seen {
                                    path: parts.uri.path().to_owned(),
                                    headers: parts
                                        .headers
                                        .iter()
                                        .map(|(k, v)| {
                                            (
                                                k.as_str().to_owned(),
                                                String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                            )
                                        })
                                        .collect(),
                                });
                                let answer = if parts.uri.path().ends_with("/webhooks/v1/messages")
                                {
                                    r#"{"resultCode":"0","resultDesc":"success"}"#
                                } else {
                                    r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#
                                };
                                Ok::<_, std::convert::Infallible>(Response::new(Full::new(
                                    Bytes::from_static(answer.as_bytes()),
                                )))
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), svc)
                            .await;
                    });
                }
            });
        });
        TlsBackend { addr, seen }
    }

    fn url(&self) -> String {
        format!("https://{}/cb", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// The CA certificate written to a file, as a user would pass it.
fn ca_file(dir: &tempfile::TempDir, pki: &Pki) -> PathBuf {
    let path = dir.path().join("private-ca.pem");
    std::fs::write(&path, &pki.ca_pem).expect("write the CA");
    path
}

#[test]
fn a_private_ca_is_refused_without_cacert_and_trusted_with_it() {
    let pki = pki();
    let backend = TlsBackend::start(&pki);
    let url = backend.url();

    let r = run(&["send", "SessionBegin", "--to", &url]);
    assert_code(&r, 3);
    let want = format!(
        "the certificate of {} is not trusted (unknown issuer): pass --cacert FILE",
        backend.addr
    );
    assert!(r.stdout.contains(&want), "{}", r.dump());
    assert!(!r.stdout.contains("UnknownIssuer"), "{}", r.dump());
    assert!(
        backend.seen().is_empty(),
        "nothing was sent over an untrusted link"
    );

    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&dir, &pki);
    let r = run(&[
        "send",
        "SessionBegin",
        "--to",
        &url,
        "--cacert",
        ca.to_str().unwrap(),
        "--header",
        "X-Api-Gateway: staging",
        "-H",
        "X-Tenant: 7",
    ]);
    assert_code(&r, 0);
    let seen = backend.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path, "/cb");
    assert_eq!(seen[0].header("x-api-gateway"), Some("staging"));
    assert_eq!(seen[0].header("x-tenant"), Some("7"));
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
}

#[test]
fn insecure_skips_the_check_and_says_so_loudly() {
    let pki = pki();
    let backend = TlsBackend::start(&pki);
    let r = run(&["send", "SessionBegin", "--to", &backend.url(), "--insecure"]);
    assert_code(&r, 0);
    assert!(
        r.stderr
            .contains("warning: --insecure: TLS certificates are NOT checked"),
        "{}",
        r.dump()
    );
}

#[test]
fn flow_replay_and_forward_take_the_same_flags() {
    let pki = pki();
    let backend = TlsBackend::start(&pki);
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&dir, &pki);
    let ca = ca.to_str().unwrap();
    let url = backend.url();

    let r = run(&[
        "flow",
        "bot-resolved",
        "--to",
        &url,
        "--cacert",
        ca,
        "-H",
        "X-Flow: 1",
    ]);
    assert_code(&r, 0);
    assert!(backend
        .seen()
        .iter()
        .all(|s| s.header("x-flow") == Some("1")));

    // listen --forward-to the TLS backend, capturing; then replay that capture to it.
    let capture = dir.path().join("calls.jsonl");
    let relay = Listen::start(&[
        "--forward-to",
        &url,
        "--cacert",
        ca,
        "--header",
        "X-Relay: yes",
        "--save",
        capture.to_str().unwrap(),
        "--max-requests",
        "1",
    ]);
    assert_code(&run(&["send", "SessionEnd", "--to", &relay.url()]), 0);
    let fin = relay.wait_exit("after one callback");
    fin.assert_exited("forward over TLS");
    assert!(fin.stdout.iter().any(|l| l.contains("accepted")), "{fin:?}");
    assert_eq!(
        backend.seen().last().unwrap().header("x-relay"),
        Some("yes")
    );

    let r = run(&[
        "replay",
        capture.to_str().unwrap(),
        "--to",
        &url,
        "--cacert",
        ca,
        "-H",
        "X-Replay: 1",
    ]);
    assert_code(&r, 0);
    assert_eq!(backend.seen().last().unwrap().header("x-replay"), Some("1"));
}

#[test]
fn https_to_a_plain_http_server_says_so() {
    let plain = TestServer::never_hit();
    let url = plain.url().replace("http://", "https://");
    let r = run(&["send", "SessionBegin", "--to", &url]);
    assert_code(&r, 3);
    assert!(
        r.stdout
            .contains("does not answer in TLS (is it a plain-HTTP server? then use http://)"),
        "{}",
        r.dump()
    );
    assert!(!r.stdout.contains("corrupt message"), "{}", r.dump());
}

#[test]
fn header_never_overrides_what_the_platform_sets() {
    let server = TestServer::never_hit();
    let r = run(&[
        "send",
        "SessionBegin",
        "--to",
        &server.url(),
        "--header",
        "Content-Type: text/plain",
    ]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("set by the platform"), "{}", r.dump());

    // A CEC push keeps its own Bearer; a Tencent callback gets the gateway's Authorization.
    let server = TestServer::documented();
    let r = run(&[
        "send",
        "SessionBegin",
        "cec.read",
        "--token",
        "s3cret-token",
        "--to",
        &server.url(),
        "--header",
        "Authorization: Basic Z2F0ZXdheQ==",
    ]);
    assert_code(&r, 0);
    assert!(
        r.stderr
            .contains("--header Authorization is not sent on CEC pushes"),
        "{}",
        r.dump()
    );
    let reqs = server.requests();
    let cec = reqs.iter().find(|r| r.is_cec()).expect("the push");
    assert_eq!(cec.header("authorization"), Some("Bearer s3cret-token"));
    let tencent = reqs.iter().find(|r| !r.is_cec()).expect("the callback");
    assert_eq!(tencent.header("authorization"), Some("Basic Z2F0ZXdheQ=="));
    assert_no_secret(&r, "Z2F0ZXdheQ==", "send with a gateway Authorization");
}

#[test]
fn dry_run_shows_added_headers_redacted_when_secret() {
    let r = run(&[
        "send",
        "SessionBegin",
        "--dry-run",
        "-H",
        "X-Api-Key: k3y-value",
        "-H",
        "X-Gateway: staging",
    ]);
    assert_code(&r, 0);
    assert!(
        r.stdout.contains("X-Gateway: staging") || r.stdout.contains("x-gateway: staging"),
        "{}",
        r.dump()
    );
    assert!(
        r.stdout
            .to_ascii_lowercase()
            .contains("x-api-key: (redacted)"),
        "{}",
        r.dump()
    );
    assert_no_secret(&r, "k3y-value", "dry run with a gateway key");
}

#[test]
fn connection_flags_without_forward_to_are_refused_by_listen() {
    let r = run(&["listen", "--port", "0", "--header", "X-A: 1"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("add --forward-to"), "{}", r.dump());
}

#[test]
fn proxies_come_from_the_environment() {
    // HTTP_PROXY: the callback to a host that does not exist goes through the proxy.
    let proxy = TestServer::documented();
    let out = deskhook()
        .args(["send", "SessionBegin", "--to", "http://backend.invalid/cb"])
        .env("HTTP_PROXY", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("deskhook runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/cb");
    assert_eq!(reqs[0].header("host"), Some("backend.invalid"));

    // NO_PROXY: a host listed there is reached directly.
    let proxy = TestServer::never_hit();
    let direct = TestServer::documented();
    let out = deskhook()
        .args(["send", "SessionBegin", "--to", &direct.url()])
        .env("HTTP_PROXY", proxy.url())
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .expect("deskhook runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(direct.requests().len(), 1);
}
