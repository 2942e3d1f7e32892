//! The Luhn (mod 10) check digit used by Swedish personal identity numbers,
//! coordination numbers and organisation numbers.
//!
//! Skatteverket describes it as weights 2, 1, 2, 1, … from the left over the nine
//! payload digits; that is the standard Luhn algorithm, in which the rightmost
//! payload digit gets weight 2. Counting from the right keeps the function correct
//! for payloads of any length.

/// Computes the Luhn check digit for `digits`, each a value in `0..=9`.
///
/// The rightmost digit gets weight 2, the next weight 1 and so on; products of
/// two digits are reduced to their digit sum. An empty payload gives 0.
///
/// # Panics
///
/// In debug builds, if any element is greater than 9 (a caller bug: digits
/// are validated before they reach this function).
pub fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            debug_assert!(d <= 9, "Luhn digits must be 0..=9, got {d}");
            let weighted = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            // Digit sum of a product that is at most 18.
            weighted / 10 + weighted % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// True when the last element of `digits` is the check digit of the others.
///
/// Returns false for an empty slice or when any element is not a digit value
/// (`0..=9`), so untrusted input can be passed without further checks.
pub fn is_valid(digits: &[u8]) -> bool {
    match digits.split_last() {
        Some((&last, payload)) if digits.iter().all(|&d| d <= 9) => check_digit(payload) == last,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn skatteverket_test_number() {
        // 811228-9874 is Skatteverket's published example.
        assert_eq!(check_digit(&digits("811228987")), 4);
        assert!(is_valid(&digits("8112289874")));
        assert!(!is_valid(&digits("8112289875")));
    }

    #[test]
    fn organisation_number_example() {
        // Telefonaktiebolaget LM Ericsson, 556016-0680.
        assert_eq!(check_digit(&digits("556016068")), 0);
        assert!(is_valid(&digits("5560160680")));
    }

    #[test]
    fn classic_luhn_examples() {
        // The textbook example from the Luhn algorithm's description.
        assert_eq!(check_digit(&digits("7992739871")), 3);
        assert!(is_valid(&digits("79927398713")));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(check_digit(&[]), 0);
        assert!(!is_valid(&[]));
        assert!(is_valid(&[0]));
        assert!(!is_valid(&[1]));
        assert!(!is_valid(&[10, 0]));
    }
}
