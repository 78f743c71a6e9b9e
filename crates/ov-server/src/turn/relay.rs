//! The relay's receiving side: what the media sends to an allocation's relay socket goes
//! back to the client, on its channel when one is bound, else in a Data indication.
//! Only from peers with a live permission; anything else is dropped.

use std::sync::Arc;
use std::time::Instant;

use stun_codec::rfc5766::attributes::{Data, XorPeerAddress};
use stun_codec::rfc5766::methods::DATA;
use stun_codec::{MessageClass, TransactionId};

use super::allocation::Allocation;
use super::wire::{self, Message};

/// Largest datagram read from a relay socket.
const MAX_DATAGRAM: usize = 65_507;

/// Runs until the allocation is removed (the task is aborted then).
pub async fn run(allocation: Arc<Allocation>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let Ok((len, source)) = allocation.relay.recv_from(&mut buf).await else {
            continue;
        };
        let Some((peer, channel)) = allocation.inbound(source, Instant::now()) else {
            continue;
        };
        let data = &buf[..len];
        let frame = match channel {
            Some(channel) => wire::channel_data(channel, data, allocation.sink.is_stream()),
            None => data_indication(peer, data),
        };
        if let Some(frame) = frame {
            allocation.sink.send(frame);
        }
    }
}

fn data_indication(peer: std::net::SocketAddr, data: &[u8]) -> Option<Vec<u8>> {
    let mut m = Message::new(
        MessageClass::Indication,
        DATA,
        TransactionId::new(rand::random()),
    );
    m.add_attribute(XorPeerAddress::new(peer));
    m.add_attribute(Data::new(data.to_vec()).ok()?);
    wire::encode(m)
}
