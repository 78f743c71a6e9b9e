//! Integration tests of the deployment, booted in-process on 127.0.0.1 with free ports.

mod assets;
mod binary;
mod bodies;
mod connection_flood;
mod connection_limits;
mod dashboard;
mod dev_api;
mod events;
mod garbage;
mod hardening;
mod ice_servers;
mod ice_tcp;
mod limits;
mod media_events;
mod rest_api;
mod rest_connections;
mod rest_model;
mod rpc_errors;
mod rpc_media;
mod rpc_session;
mod stuck_client;
mod support;
mod tls;
mod turn;
mod turn_client;
mod webhook_delivery;
