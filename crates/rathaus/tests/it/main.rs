//! Integration tests of Rathaus: one binary, one module per area. Every test that
//! touches the database runs on SQLite and on PostgreSQL.

mod harness;

mod account_settings;
mod accounts;
mod api;
mod app_access;
mod application_copy;
mod assistant;
mod audit;
mod authorization;
mod blobs;
mod by_hand;
mod case_planning;
mod case_search;
mod catalog;
mod catalog_admin;
mod cli;
mod crash;
mod dispatch;
mod efile;
mod external_login;
mod jobs;
mod joining_and_splitting;
mod letters;
mod mail;
mod organisations;
mod paper_mail;
mod passkeys;
mod payments;
mod reminders;
mod retention;
mod routing;
mod staff;
mod staff_sso;
mod storage;
mod submissions;
mod teams;
mod tenants;
mod uploads;
mod web;
mod workflows;
