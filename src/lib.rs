#![recursion_limit = "256"]
//! Haven: a gentle Discord bot for the facilitators of support groups.
//!
//! Layers, dependencies pointing down only: [`bot`] (poise handlers) →
//! [`scheduler`] → [`store`] (SQLite or PostgreSQL) → [`domain`] (pure logic). [`sim`] is a
//! fake Discord for tests, benchmarks and the sandbox.

pub mod app;
pub mod bot;
pub mod clock;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod ops;
pub mod rest;
pub mod sandbox;
pub mod scheduler;
pub mod sim;
pub mod store;
pub mod views;
pub mod web;
