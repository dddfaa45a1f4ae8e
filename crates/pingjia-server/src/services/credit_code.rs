//! 统一社会信用代码 (unified social credit code), validated per GB 32100-2015: 18 characters
//! from a 31-character alphabet (no I, O, Z, S, V), the last a check character over the first 17.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid code; construct with [`CreditCode::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码应为18位 / must be 18 characters")]
    Length,
    #[error("统一社会信用代码含非法字符 “{0}” / invalid character")]
    Character(char),
    #[error("统一社会信用代码校验位错误 / check character does not match")]
    CheckDigit,
}

impl CreditCode {
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String = text.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        let mut values = Vec::with_capacity(18);
        for c in code.chars() {
            let value = ALPHABET
                .iter()
                .position(|a| *a as char == c)
                .ok_or(CreditCodeError::Character(c))?;
            values.push(value as u32);
        }
        if check_value(&values[..17]) != values[17] {
            return Err(CreditCodeError::CheckDigit);
        }
        Ok(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 characters with their check character (for demo data and tests).
    pub fn with_check(first17: &str) -> Option<CreditCode> {
        let values: Option<Vec<u32>> = first17
            .chars()
            .map(|c| {
                ALPHABET
                    .iter()
                    .position(|a| *a as char == c)
                    .map(|v| v as u32)
            })
            .collect();
        let values = values.filter(|v| v.len() == 17)?;
        let check = ALPHABET[check_value(&values) as usize] as char;
        Some(CreditCode(format!("{first17}{check}")))
    }
}

fn check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_character_by_hand() {
        // 9132050076 0 000000 → weighted sum computed by hand below.
        // values: 9 1 3 2 0 5 0 0 7 6 0 0 0 0 0 0 0
        // sum = 9·1 + 1·3 + 3·9 + 2·27 + 0 + 5·26 + 0 + 0 + 7·20 + 6·29 = 9+3+27+54+130+140+174 = 537
        // 537 mod 31 = 10 → 31 − 10 = 21 → ALPHABET[21] = 'M'
        assert_eq!(
            CreditCode::with_check("91320500760000000")
                .unwrap()
                .as_str(),
            "91320500760000000M"
        );
        assert!(CreditCode::parse("91320500760000000M").is_ok());
        assert_eq!(
            CreditCode::parse("91320500760000000N"),
            Err(CreditCodeError::CheckDigit)
        );
        assert_eq!(
            CreditCode::parse("9132050076000000"),
            Err(CreditCodeError::Length)
        );
        assert_eq!(
            CreditCode::parse("9132050076000000IM"),
            Err(CreditCodeError::Character('I'))
        );
        // Lower case is accepted and normalised.
        assert_eq!(
            CreditCode::parse("91320500760000000m").unwrap().as_str(),
            "91320500760000000M"
        );
    }

    #[test]
    fn a_check_of_zero_is_written_0() {
        // A weighted sum divisible by 31 gives (31 − 0) mod 31 = 0, written '0'.
        assert_eq!(
            CreditCode::with_check("00000000000000000")
                .unwrap()
                .as_str(),
            "000000000000000000"
        );
    }
}
