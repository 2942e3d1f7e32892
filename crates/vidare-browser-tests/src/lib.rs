//! Vidare's pages in a real browser. This crate has no code of its own: its tests
//! (`tests/`) start ChromeDriver and headless Chromium (Debian's `chromium` and
//! `chromium-driver`), serve the real application on loopback, sign in as every role
//! through the sign-in form, and run axe-core (`vendor/axe.min.js`, MPL-2.0) on every
//! page the role's menu reaches, failing on any serious or critical WCAG 2.1 A/AA
//! violation.
