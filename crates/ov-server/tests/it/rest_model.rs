//! Property test against a model: random sequences of valid REST requests on live
//! sessions and connections (one of them a joined participant) mixed with unknown ones
//! get exactly the status OpenVidu gives in each case, and afterwards the server lists
//! exactly the connections the model holds.

use std::sync::atomic::{AtomicUsize, Ordering};

use ov_testkit::rpc::RpcClient;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestServer;

/// Sessions of a case: [`LIVE`] live ones (the first with a joined participant), then
/// one that never exists.
const SESSIONS: usize = 3;
const LIVE: usize = 2;

/// One request; sessions are picked among [`SESSIONS`], connections among every id the
/// case has known (live, deleted, never existing), resolved when the step runs.
#[derive(Debug, Clone)]
enum Op {
    GetSession(usize),
    CreateConnection(usize),
    GetConnection(usize, Index),
    PatchConnection(usize, Index, &'static str),
    DeleteConnection(usize, Index),
    Signal(usize, Vec<Index>),
    Token(usize),
    DeleteSession(usize),
}

fn arb_op() -> impl Strategy<Value = Op> {
    let s = 0..SESSIONS;
    let role = prop::sample::select(vec!["PUBLISHER", "SUBSCRIBER", "MODERATOR"]);
    prop_oneof![
        s.clone().prop_map(Op::GetSession),
        s.clone().prop_map(Op::CreateConnection),
        (s.clone(), any::<Index>()).prop_map(|(s, c)| Op::GetConnection(s, c)),
        (s.clone(), any::<Index>(), role).prop_map(|(s, c, r)| Op::PatchConnection(s, c, r)),
        (s.clone(), any::<Index>()).prop_map(|(s, c)| Op::DeleteConnection(s, c)),
        (s.clone(), prop::collection::vec(any::<Index>(), 0..2))
            .prop_map(|(s, to)| Op::Signal(s, to)),
        s.clone().prop_map(Op::Token),
        s.prop_map(Op::DeleteSession),
    ]
}

/// A live connection of the model.
#[derive(Debug, Clone)]
struct Connection {
    id: String,
    session: usize,
    /// A participant joined with it.
    active: bool,
}

/// What the server should hold.
struct Model {
    ids: [String; SESSIONS],
    live: [bool; SESSIONS],
    connections: Vec<Connection>,
    /// Every connection id the case has seen, and one that never existed.
    pool: Vec<String>,
}

impl Model {
    fn has(&self, s: usize, c: &str) -> bool {
        self.connections.iter().any(|m| m.session == s && m.id == c)
    }

    fn active_in(&self, s: usize) -> Vec<&str> {
        self.connections
            .iter()
            .filter(|m| m.session == s && m.active)
            .map(|m| m.id.as_str())
            .collect()
    }

    fn pick(&self, c: &Index) -> String {
        self.pool[c.index(self.pool.len())].clone()
    }

    fn add(&mut self, s: usize, id: &str) {
        self.connections.push(Connection {
            id: id.to_owned(),
            session: s,
            active: false,
        });
        self.pool.push(id.to_owned());
    }

    fn close(&mut self, s: usize) {
        self.live[s] = false;
        self.connections.retain(|m| m.session != s);
    }
}

/// Runs `op` on the server and the model; fails unless the status is the model's.
async fn step(t: &TestServer, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let (method, path, body, expected): (Method, String, Option<Value>, u16) = match op {
        &Op::GetSession(s) => {
            let expected = if m.live[s] { 200 } else { 404 };
            (
                Method::GET,
                format!("/sessions/{}", m.ids[s]),
                None,
                expected,
            )
        }
        &Op::CreateConnection(s) | &Op::Token(s) => {
            let expected = if m.live[s] { 200 } else { 404 };
            let (path, body) = match op {
                Op::Token(_) => ("/tokens".to_owned(), json!({"session": m.ids[s]})),
                _ => (format!("/sessions/{}/connection", m.ids[s]), json!({})),
            };
            let (status, answer) = t.call(Method::POST, &path, Some(body)).await;
            prop_assert_eq!(status.as_u16(), expected, "{:?}: {}", op, answer);
            if expected == 200 {
                let id = answer["connectionId"].as_str().or(answer["id"].as_str());
                m.add(s, id.expect("a connection id"));
            }
            return Ok(());
        }
        Op::GetConnection(s, c) => {
            let c = m.pick(c);
            let expected = match (m.live[*s], m.has(*s, &c)) {
                (false, _) => 400,
                (true, false) => 404,
                (true, true) => 200,
            };
            let path = format!("/sessions/{}/connection/{c}", m.ids[*s]);
            (Method::GET, path, None, expected)
        }
        Op::PatchConnection(s, c, role) => {
            let c = m.pick(c);
            let expected = if m.live[*s] && m.has(*s, &c) {
                200
            } else {
                404
            };
            let path = format!("/sessions/{}/connection/{c}", m.ids[*s]);
            let (status, answer) = t
                .call(Method::PATCH, &path, Some(json!({"role": role})))
                .await;
            prop_assert_eq!(status.as_u16(), expected, "{:?}: {}", op, answer);
            if expected == 200 {
                prop_assert_eq!(&answer["role"], role);
            }
            return Ok(());
        }
        Op::DeleteConnection(s, c) => {
            let (s, c) = (*s, m.pick(c));
            let expected = match (m.live[s], m.has(s, &c)) {
                (false, _) => 400,
                (true, false) => 404,
                (true, true) => 204,
            };
            if expected == 204 {
                let was_last_participant = m.active_in(s) == [c.as_str()];
                m.connections.retain(|x| x.id != c);
                // Evicting the last participant closes the session, as leaving does.
                if was_last_participant {
                    m.close(s);
                }
            }
            let path = format!("/sessions/{}/connection/{c}", m.ids[s]);
            (Method::DELETE, path, None, expected)
        }
        Op::Signal(s, to) => {
            let to: Vec<String> = to.iter().map(|c| m.pick(c)).collect();
            let active = m.active_in(*s);
            let expected = if !m.live[*s] {
                404
            } else if active.is_empty() || to.iter().any(|c| !active.contains(&c.as_str())) {
                406
            } else {
                200
            };
            let body = json!({"session": m.ids[*s], "to": to, "type": "t", "data": "d"});
            (Method::POST, "/signal".to_owned(), Some(body), expected)
        }
        &Op::DeleteSession(s) => {
            let expected = if m.live[s] { 204 } else { 404 };
            m.close(s);
            (
                Method::DELETE,
                format!("/sessions/{}", m.ids[s]),
                None,
                expected,
            )
        }
    };
    let (status, answer) = t.call(method, &path, body).await;
    prop_assert_eq!(status.as_u16(), expected, "{:?} {}: {}", op, path, answer);
    Ok(())
}

/// One case: fresh sessions, a participant, the steps, then the listing checked.
async fn run_case(t: &TestServer, case: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let ids = [0, 1, 2].map(|i| format!("model-{case}-{i}"));
    let mut m = Model {
        ids: ids.clone(),
        live: [true, true, false],
        connections: Vec::new(),
        pool: vec!["con_Nobody".to_owned()],
    };
    for id in &ids[..LIVE] {
        t.new_session(json!({"customSessionId": id})).await;
    }
    let joined = t.new_connection(&ids[0], json!({})).await;
    let participant = RpcClient::join(&t.ws_url(), joined["token"].as_str().unwrap(), "P").await;
    m.add(0, &participant.connection_id);
    m.connections[0].active = true;
    for (s, id) in ids[..LIVE].iter().enumerate() {
        let pending = t.new_connection(id, json!({})).await;
        m.add(s, pending["id"].as_str().unwrap());
    }
    for op in ops {
        step(t, &mut m, op).await?;
    }
    for s in 0..SESSIONS {
        let path = format!("/sessions/{}/connection?pendingConnections=true", m.ids[s]);
        let (status, page) = t.call(Method::GET, &path, None).await;
        if !m.live[s] {
            prop_assert_eq!(status.as_u16(), 404, "{} is gone", m.ids[s]);
            continue;
        }
        let mut listed: Vec<&str> = page["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = m
            .connections
            .iter()
            .filter(|c| c.session == s)
            .map(|c| c.id.as_str())
            .collect();
        listed.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(listed, expected, "connections of {}", m.ids[s]);
        t.call(Method::DELETE, &format!("/sessions/{}", m.ids[s]), None)
            .await;
    }
    participant.close().await;
    Ok(())
}

#[test]
fn valid_requests_get_the_status_of_the_model() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestServer::start());
    let cases = AtomicUsize::new(0);
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 48,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let ops = prop::collection::vec(arb_op(), 1..12);
    let result = runner.run(&ops, |ops| {
        let case = cases.fetch_add(1, Ordering::Relaxed);
        rt.block_on(run_case(&t, case, &ops))
    });
    rt.block_on(t.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}
