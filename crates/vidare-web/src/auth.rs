//! Password hashing (argon2id) and the rules for new passwords.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

/// Checks a password against a stored hash. Without a stored hash (an account that has
/// never had a password) it still does the work, so timing does not tell which
/// accounts exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not a real password at all"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY.as_str(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

/// Why a new password is refused, as a translation key.
pub fn password_problem(password: &str, email: &str) -> Option<&'static str> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Some("account.too_short")
    } else if password.trim().eq_ignore_ascii_case(email.trim()) {
        Some("account.same_as_email")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let h = hash_password("ett långt lösenord");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("ett långt lösenord", Some(&h)));
        assert!(!verify_password("ett annat lösenord", Some(&h)));
        assert!(!verify_password("ett långt lösenord", None));
        assert!(!verify_password("x", Some("not a hash")));
    }

    #[test]
    fn password_rules() {
        assert_eq!(
            password_problem("kort", "a@b.se"),
            Some("account.too_short")
        );
        assert_eq!(
            password_problem("a@example.org", "A@example.org"),
            Some("account.same_as_email")
        );
        assert_eq!(password_problem("tolv tecken!", "a@b.se"), None);
    }
}
